// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Where passwords are checked: one trait, two directories.
//!
//! - [`Builtin`] (the default): argon2id hashes in PostgreSQL (`login::check_password`).
//! - [`ldap::Ldap`]: an LDAP server, asked with a service bind and then a bind as the person.
//!
//! With LDAP configured the idp uses [`Federated`]: a name that belongs to a built-in account
//! (supporters who registered here) is checked here, every other name by LDAP. So an LDAP
//! outage stops LDAP logins only, and nobody's failure count grows while it lasts.

pub mod ldap;

use crate::Result;
use crate::account::{self, Credential};
use crate::login::{self, Outcome};
use secrecy::SecretString;
use sqlx::PgPool;
use std::future::Future;
use std::pin::Pin;

/// The future a directory returns (boxed, so directories can be chosen at run time).
pub type Check<'a> = Pin<Box<dyn Future<Output = Result<Outcome>> + Send + 'a>>;

/// Checks a password for the person a login form names. Every refusal is `Outcome::Refused`;
/// a directory that cannot be asked is `DomainError::DirectoryUnavailable`.
pub trait Directory: Send + Sync {
    fn check_password<'a>(
        &'a self,
        pool: &'a PgPool,
        identifier: &'a str,
        password: &'a SecretString,
    ) -> Check<'a>;
}

/// The built-in directory.
#[derive(Debug, Clone, Copy, Default)]
pub struct Builtin;

impl Directory for Builtin {
    fn check_password<'a>(
        &'a self,
        pool: &'a PgPool,
        identifier: &'a str,
        password: &'a SecretString,
    ) -> Check<'a> {
        Box::pin(login::check_password(pool, identifier, password))
    }
}

/// Built-in accounts here, everything else in LDAP.
pub struct Federated {
    pub ldap: ldap::Ldap,
}

impl Directory for Federated {
    fn check_password<'a>(
        &'a self,
        pool: &'a PgPool,
        identifier: &'a str,
        password: &'a SecretString,
    ) -> Check<'a> {
        Box::pin(async move {
            let local = account::find_for_login(pool, identifier).await?;
            match local.map(|a| a.credential) {
                Some(Credential::Builtin { .. }) => login::check_password(pool, identifier, password).await,
                Some(Credential::Ldap { .. }) | None => {
                    self.ldap.check_password(pool, identifier, password).await
                }
            }
        })
    }
}
