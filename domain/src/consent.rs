// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Consent to information emails, as a ledger: every subscribe and unsubscribe is a row with the
//! list, the state, the time, where it happened and which version of the list's text was shown.
//! The current choice is the newest row per list; nothing is ever overwritten, so the
//! organisation can show what a person agreed to and when.

use crate::Result;
use crate::audit::{self, Action, Origin};
use crate::types::PersonId;
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// An information-email list a person can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InfoList {
    /// The organisation's regular newsletter.
    Newsletter,
    /// Calls to action in campaigns: petitions, consultations, events.
    Campaigns,
}

impl InfoList {
    pub const ALL: [InfoList; 2] = [InfoList::Newsletter, InfoList::Campaigns];

    /// The name stored in the ledger and used in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            InfoList::Newsletter => "newsletter",
            InfoList::Campaigns => "campaigns",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|list| list.as_str() == name)
    }

    /// The version of the text that describes the list where people choose it (the translations
    /// of one version say the same). Change it whenever the promise in the text changes, so the
    /// ledger shows which promise each person agreed to.
    pub fn text_version(self) -> &'static str {
        match self {
            InfoList::Newsletter => "newsletter-2026-11",
            InfoList::Campaigns => "campaigns-2026-11",
        }
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
/// is ticked is not a new consent). Returns whether a row was written.
pub async fn record(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    list: InfoList,
    state: State,
) -> Result<bool> {
    let current = current_state(&mut **tx, person, list).await?;
    // No row yet means "never subscribed": an unsubscribe then changes nothing.
    if current.unwrap_or(State::Unsubscribed) == state {
        return Ok(false);
    }
    sqlx::query!(
        "INSERT INTO consent (person_id, list, state, source, text_version) VALUES ($1, $2, $3, $4, $5)",
        person as PersonId,
        list.as_str(),
        state as State,
        origin.source,
        list.text_version(),
    )
    .execute(&mut **tx)
    .await?;
    let action = match state {
        State::Subscribed => Action::ConsentGiven,
        State::Unsubscribed => Action::ConsentWithdrawn,
    };
    audit::record(tx, origin, Some(person), action, json!({ "list": list.as_str() })).await?;
    Ok(true)
}

/// Sets every list to subscribed exactly when it is in `wanted` (a settings form's checkboxes).
pub async fn set_all(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    wanted: &[InfoList],
) -> Result<()> {
    for list in InfoList::ALL {
        let state = if wanted.contains(&list) { State::Subscribed } else { State::Unsubscribed };
        record(tx, origin, person, list, state).await?;
    }
    Ok(())
}

async fn current_state<'e>(
    executor: impl PgExecutor<'e>,
    person: PersonId,
    list: InfoList,
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

/// The lists a person is subscribed to now.
pub async fn subscribed<'e>(executor: impl PgExecutor<'e>, person: PersonId) -> Result<Vec<InfoList>> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (list) list, state AS "state: State" FROM consent
           WHERE person_id = $1 ORDER BY list, id DESC"#,
        person as PersonId,
    )
    .fetch_all(executor)
    .await?;
    // Lists no longer offered stay in the ledger but are not shown as choices.
    Ok(InfoList::ALL
        .into_iter()
        .filter(|list| rows.iter().any(|r| r.list == list.as_str() && r.state == State::Subscribed))
        .collect())
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
