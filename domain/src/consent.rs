// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Consent to information emails, as a ledger: every subscribe and unsubscribe is a row with the
//! list, the state, the time, where it happened and which version of the list's text was shown.
//! The current choice is the newest row per list (kept as a projection in `subscription`, written
//! with each row); nothing is ever overwritten, so the organisation can show what a person agreed
//! to and when.

use crate::audit::{self, Action, Origin};
use crate::types::PersonId;
use crate::{DomainError, Result};
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// The key of an information-email list (`newsletter`): lower-case ASCII letters, digits, `_`
/// and `-`, starting with a letter, at most 63 characters. The lists themselves are rows
/// ([`crate::mailing::list`]); a key says nothing about whether its list exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ListKey(String);

impl ListKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key, if `name` is one.
    pub fn parse(name: &str) -> Option<Self> {
        let mut bytes = name.bytes();
        let first_is_letter = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
        (first_is_letter && rest_ok && name.len() <= 63).then(|| Self(name.to_owned()))
    }
}

impl TryFrom<String> for ListKey {
    type Error = String;
    fn try_from(value: String) -> std::result::Result<Self, String> {
        Self::parse(&value).ok_or_else(|| format!("{value:?} is not a list key"))
    }
}

impl From<ListKey> for String {
    fn from(key: ListKey) -> String {
        key.0
    }
}

impl std::fmt::Display for ListKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Subscribed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "consent_state", rename_all = "snake_case")]
pub enum State {
    Subscribed,
    Unsubscribed,
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub list: String,
    pub state: State,
    pub recorded_at: OffsetDateTime,
    pub source: String,
    pub text_version: String,
}

/// Records a decision for one list, unless it is the current state already (ticking a box that
/// is ticked is not a new consent). Returns whether a row was written. The ledger row, the
/// current-subscription projection and the audit entry are written together. A list that does
/// not exist, or is archived, is `NotFound` (an unsubscribe from an archived list still counts).
pub async fn record(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    list: &ListKey,
    state: State,
) -> Result<bool> {
    record_from(tx, origin, person, list, state, None).await
}

/// [`record`], naming the mailing whose unsubscribe link or address the decision came through.
pub async fn record_from(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    list: &ListKey,
    state: State,
    mailing: Option<uuid::Uuid>,
) -> Result<bool> {
    let text_version = sqlx::query!(
        "SELECT text_version, archived_at IS NOT NULL AS \"archived!\" FROM info_list WHERE key = $1",
        list.as_str()
    )
    .fetch_optional(&mut **tx)
    .await?
    .filter(|row| !row.archived || state == State::Unsubscribed)
    .ok_or(DomainError::NotFound("list"))?
    .text_version;
    // Serialises decisions of one person on one list, so two at once cannot both write a row.
    sqlx::query!("SELECT id FROM person WHERE id = $1 FOR UPDATE", person as PersonId)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    let current = current_state(&mut **tx, person, list).await?;
    // No row yet means "never subscribed": an unsubscribe then changes nothing.
    if current.unwrap_or(State::Unsubscribed) == state {
        return Ok(false);
    }
    sqlx::query!(
        "INSERT INTO consent (person_id, list, state, source, text_version, mailing_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
        person as PersonId,
        list.as_str(),
        state as State,
        origin.source,
        text_version,
        mailing,
    )
    .execute(&mut **tx)
    .await?;
    match state {
        State::Subscribed => {
            sqlx::query!(
                "INSERT INTO subscription (list_key, person_id, since) VALUES ($1, $2, now())
                 ON CONFLICT DO NOTHING",
                list.as_str(),
                person as PersonId,
            )
            .execute(&mut **tx)
            .await?;
        }
        State::Unsubscribed => {
            sqlx::query!(
                "DELETE FROM subscription WHERE list_key = $1 AND person_id = $2",
                list.as_str(),
                person as PersonId,
            )
            .execute(&mut **tx)
            .await?;
        }
    }
    let action = match state {
        State::Subscribed => Action::ConsentGiven,
        State::Unsubscribed => Action::ConsentWithdrawn,
    };
    let details = match mailing {
        Some(mailing) => json!({ "list": list.as_str(), "mailing": mailing }),
        None => json!({ "list": list.as_str() }),
    };
    audit::record(tx, origin, Some(person), action, details).await?;
    Ok(true)
}

/// Sets each list of `offered` to subscribed exactly when it is in `wanted` (a form's
/// checkboxes); lists not offered on that form keep their state. A key in `wanted` that is not
/// offered is `NotFound`.
pub async fn set_all(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    offered: &[ListKey],
    wanted: &[ListKey],
) -> Result<()> {
    if wanted.iter().any(|list| !offered.contains(list)) {
        return Err(DomainError::NotFound("list"));
    }
    for list in offered {
        let state = if wanted.contains(list) { State::Subscribed } else { State::Unsubscribed };
        record(tx, origin, person, list, state).await?;
    }
    Ok(())
}

async fn current_state<'e>(
    executor: impl PgExecutor<'e>,
    person: PersonId,
    list: &ListKey,
) -> Result<Option<State>> {
    let state = sqlx::query_scalar!(
        r#"SELECT state AS "state: State" FROM consent WHERE person_id = $1 AND list = $2
           ORDER BY id DESC LIMIT 1"#,
        person as PersonId,
        list.as_str(),
    )
    .fetch_optional(executor)
    .await?;
    Ok(state)
}

/// The lists a person is subscribed to now, archived ones left out, in the lists' order.
pub async fn subscribed<'e>(executor: impl PgExecutor<'e>, person: PersonId) -> Result<Vec<ListKey>> {
    let keys = sqlx::query_scalar!(
        "SELECT l.key FROM subscription s JOIN info_list l ON l.key = s.list_key
         WHERE s.person_id = $1 AND l.archived_at IS NULL ORDER BY l.position, l.key",
        person as PersonId,
    )
    .fetch_all(executor)
    .await?;
    Ok(keys.into_iter().filter_map(|key| ListKey::parse(&key)).collect())
}

/// The whole ledger of a person, oldest first.
pub async fn history<'e>(executor: impl PgExecutor<'e>, person: PersonId) -> Result<Vec<Entry>> {
    let entries = sqlx::query_as!(
        Entry,
        r#"SELECT list, state AS "state: State", recorded_at, source, text_version FROM consent
           WHERE person_id = $1 ORDER BY id"#,
        person as PersonId,
    )
    .fetch_all(executor)
    .await?;
    Ok(entries)
}
