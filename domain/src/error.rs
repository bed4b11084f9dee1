// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The one error type of the domain layer. The web layers map it to HTTP in one place each.

use crate::types::InvalidValue;

/// What can go wrong in a domain operation.
#[derive(thiserror::Error)]
pub enum DomainError {
    /// A value given by a caller does not meet the rules (bad email, name too long, ...).
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change would break a uniqueness rule; the string names which one.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// The database could not be reached or failed.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Schema migration failed.
    #[error("database migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Hashing a password failed (never for a wrong password: that is `Ok(false)`).
    #[error("password hashing failed")]
    PasswordHash,
    /// The system random generator or key encoding failed while making a signing key.
    #[error("signing key generation failed")]
    KeyGeneration,
    /// The LDAP directory cannot be asked (down, unreachable, misconfigured). Nobody's login
    /// failed: callers show "directory unavailable" and count no failure.
    #[error("directory unavailable: {0}")]
    DirectoryUnavailable(String),
}

/// Short for `std::result::Result<T, DomainError>`.
pub type Result<T> = std::result::Result<T, DomainError>;

impl From<sqlx::Error> for DomainError {
    fn from(error: sqlx::Error) -> Self {
        // Unique violations are expected outcomes ("this address is taken"), not failures.
        if let Some(db) = error.as_database_error()
            && db.is_unique_violation()
        {
            return match db.constraint() {
                Some("email_address_unique") => Self::Conflict("email address"),
                Some("account_login_name_unique") => Self::Conflict("login name"),
                Some("groups_name_key") => Self::Conflict("group name"),
                Some("person_supporter_number_key") => Self::Conflict("supporter number"),
                _ => Self::Database(error),
            };
        }
        Self::Database(error)
    }
}

// Debug prints the whole cause chain, so a log line of `{:?}` says why, not only what.
impl std::fmt::Debug for DomainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            writeln!(f, "caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
