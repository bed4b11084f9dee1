// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What the idp may say about a person in tokens and at `/userinfo`.

use crate::Result;
use crate::types::PersonId;
use sqlx::PgExecutor;

/// A person's standard claims, read in one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonClaims {
    pub person: PersonId,
    pub name: String,
    /// The primary address, if any.
    pub email: Option<String>,
    pub email_verified: bool,
    pub preferred_username: Option<String>,
    /// BCP 47 tag, e.g. `de`.
    pub locale: String,
    /// Names of the groups the person belongs to, sorted.
    pub groups: Vec<String>,
}

/// The claims of a person with an enabled account; `None` for an unknown or disabled one.
pub async fn for_person<'e>(executor: impl PgExecutor<'e>, person: PersonId) -> Result<Option<PersonClaims>> {
    let row = sqlx::query!(
        r#"SELECT p.display_name, p.preferred_language, a.login_name,
                  e.address AS "email?", e.verified_at IS NOT NULL AS "email_verified?",
                  ARRAY(SELECT g.name FROM group_membership m JOIN groups g ON g.id = m.group_id
                        WHERE m.person_id = p.id ORDER BY g.name) AS "groups!"
           FROM person p JOIN account a ON a.person_id = p.id
           LEFT JOIN email_address e ON e.person_id = p.id AND e.is_primary
           WHERE p.id = $1 AND NOT a.disabled"#,
        person as PersonId,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| PersonClaims {
        person,
        name: r.display_name,
        email: r.email,
        email_verified: r.email_verified.unwrap_or(false),
        preferred_username: r.login_name,
        locale: r.preferred_language,
        groups: r.groups,
    }))
}
