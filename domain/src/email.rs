// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A person's email addresses. Each address belongs to one person at most, whatever its case.

use crate::Result;
use crate::audit::{self, Action, Origin};
use crate::types::{Email, PersonId};
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

/// One address of a person.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailAddress {
    pub id: Uuid,
    pub person: PersonId,
    pub address: Email,
    pub is_primary: bool,
    /// When the person proved they receive mail there; `None` until then.
    pub verified_at: Option<OffsetDateTime>,
}

/// Whether an added address is already proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Unverified,
    VerifiedAt(OffsetDateTime),
}

/// Adds an address to a person. Fails with `Conflict("email address")` when any person,
/// this one included, already has it. A primary address replaces the previous primary one.
#[tracing::instrument(name = "email::add", skip_all, fields(person = %person))]
pub async fn add(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    address: &Email,
    primary: bool,
    verification: Verification,
) -> Result<EmailAddress> {
    if primary {
        sqlx::query!(
            "UPDATE email_address SET is_primary = false WHERE person_id = $1 AND is_primary",
            person as PersonId,
        )
        .execute(&mut **tx)
        .await?;
    }
    let verified_at = match verification {
        Verification::Unverified => None,
        Verification::VerifiedAt(at) => Some(at),
    };
    let id = sqlx::query_scalar!(
        r#"INSERT INTO email_address (person_id, address, is_primary, verified_at)
           VALUES ($1, $2, $3, $4) RETURNING id"#,
        person as PersonId,
        address.as_str(),
        primary,
        verified_at,
    )
    .fetch_one(&mut **tx)
    .await?;
    audit::record(
        tx,
        origin,
        Some(person),
        Action::EmailAdded,
        json!({ "address": address.as_str(), "primary": primary, "verified": verified_at.is_some() }),
    )
    .await?;
    Ok(EmailAddress { id, person, address: address.clone(), is_primary: primary, verified_at })
}

/// A person's addresses, the primary one first.
pub async fn list_for_person<'e>(
    executor: impl PgExecutor<'e>,
    person: PersonId,
) -> Result<Vec<EmailAddress>> {
    let rows = sqlx::query!(
        r#"SELECT id, address, is_primary, verified_at FROM email_address
           WHERE person_id = $1 ORDER BY is_primary DESC, created_at, address"#,
        person as PersonId,
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| EmailAddress {
            id: r.id,
            person,
            address: Email::from_db(r.address),
            is_primary: r.is_primary,
            verified_at: r.verified_at,
        })
        .collect())
}

/// Marks an address of the person as verified (they followed a link mailed there). Returns
/// `false` when the person has no such address (removed meanwhile).
#[tracing::instrument(name = "email::mark_verified", skip_all, fields(person = %person))]
pub async fn mark_verified(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    address: &Email,
) -> Result<bool> {
    let updated = sqlx::query!(
        // Proof that mail arrives here again: bounces counted before no longer hold it back.
        r#"UPDATE email_address SET verified_at = coalesce(verified_at, now()),
                  hard_bounces = 0, undeliverable_since = NULL
           WHERE person_id = $1 AND lower(address) = lower($2)"#,
        person as PersonId,
        address.as_str(),
    )
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(false);
    }
    audit::record(tx, origin, Some(person), Action::EmailVerified, json!({ "address": address.as_str() }))
        .await?;
    Ok(true)
}

/// Why an address could not be removed or made primary. Each says what the person can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The person has no such address (never had, or removed meanwhile).
    NotYours,
    /// The primary address receives every mail and cannot be removed: make another one primary
    /// first.
    IsPrimary,
    /// Only an address the person proved they receive mail at can become primary.
    Unverified,
}

/// Removes one of the person's addresses (not the primary one). Logging in with it stops
/// working at once; the audit log keeps that it was removed.
#[tracing::instrument(name = "email::remove", skip_all, fields(person = %person))]
pub async fn remove(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    address: &Email,
) -> Result<std::result::Result<(), Refusal>> {
    // Locked, so a concurrent "make primary" cannot turn it primary between check and delete.
    let Some(row) = sqlx::query!(
        r#"SELECT id, is_primary FROM email_address
           WHERE person_id = $1 AND lower(address) = lower($2) FOR UPDATE"#,
        person as PersonId,
        address.as_str(),
    )
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(Err(Refusal::NotYours));
    };
    if row.is_primary {
        return Ok(Err(Refusal::IsPrimary));
    }
    sqlx::query!("DELETE FROM email_address WHERE id = $1", row.id).execute(&mut **tx).await?;
    audit::record(tx, origin, Some(person), Action::EmailRemoved, json!({ "address": address.as_str() }))
        .await?;
    Ok(Ok(()))
}

/// Makes a verified address of the person the primary one (where mail goes, and what services
/// see as their address). Nothing changes, and nothing is logged, if it already is.
#[tracing::instrument(name = "email::make_primary", skip_all, fields(person = %person))]
pub async fn make_primary(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    address: &Email,
) -> Result<std::result::Result<(), Refusal>> {
    // All the person's rows locked in one order, so two concurrent changes queue up.
    let rows = sqlx::query!(
        r#"SELECT id, lower(address) = lower($2) AS "wanted!", is_primary,
                  verified_at IS NOT NULL AS "verified!"
           FROM email_address WHERE person_id = $1 ORDER BY id FOR UPDATE"#,
        person as PersonId,
        address.as_str(),
    )
    .fetch_all(&mut **tx)
    .await?;
    let Some(row) = rows.iter().find(|r| r.wanted) else {
        return Ok(Err(Refusal::NotYours));
    };
    if !row.verified {
        return Ok(Err(Refusal::Unverified));
    }
    if row.is_primary {
        return Ok(Ok(()));
    }
    sqlx::query!(
        "UPDATE email_address SET is_primary = false WHERE person_id = $1 AND is_primary",
        person as PersonId,
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!("UPDATE email_address SET is_primary = true WHERE id = $1", row.id)
        .execute(&mut **tx)
        .await?;
    audit::record(tx, origin, Some(person), Action::EmailMadePrimary, json!({ "address": address.as_str() }))
        .await?;
    Ok(Ok(()))
}
