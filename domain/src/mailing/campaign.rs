// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Mailings and their content: create, edit while a draft, schedule, pause and resume. The
//! content's templates are checked by the caller before they are saved (`mails::campaign`
//! compiles them; this crate knows no template engine), so a mailing never fails at send time
//! for a typo.

use super::segment::{self, Segment};
use crate::audit::{self, Action, Origin};
use crate::consent::ListKey;
use crate::types::Language;
use crate::{DomainError, Result};
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

/// Where a mailing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type, serde::Serialize)]
#[sqlx(type_name = "mailing_state", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MailingState {
    /// Being written; may change freely.
    Draft,
    /// Starts sending at `scheduled_for`; may still change (or go back to draft).
    Scheduled,
    /// Its recipients are chosen; senders are sending.
    Sending,
    /// Stopped by staff, or by the sender when the relay refused every mail alike
    /// (`paused_because` says why); resumes where it stopped.
    Paused,
    /// Every recipient was sent to (or failed for good, or was skipped).
    Sent,
}

impl MailingState {
    pub fn as_str(self) -> &'static str {
        match self {
            MailingState::Draft => "draft",
            MailingState::Scheduled => "scheduled",
            MailingState::Sending => "sending",
            MailingState::Paused => "paused",
            MailingState::Sent => "sent",
        }
    }

    fn editable(self) -> bool {
        matches!(self, MailingState::Draft | MailingState::Scheduled)
    }
}

/// Why a mailing operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum MailingError {
    #[error("no such mailing")]
    NotFound,
    #[error("no such list, or it is archived")]
    NoSuchList,
    #[error("the mailing is {state}: {action} is not possible now")]
    WrongState { state: &'static str, action: &'static str },
    #[error("the mailing has no content in its fallback language ({0})")]
    NoFallbackContent(&'static str),
    #[error("the segment matches nobody: nothing to send")]
    EmptySegment,
    #[error("the title is 1 to 200 characters")]
    BadTitle,
    #[error("{0}")]
    InvalidList(&'static str),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<sqlx::Error> for MailingError {
    fn from(error: sqlx::Error) -> Self {
        Self::Domain(error.into())
    }
}

/// A mailing's subject and Markdown body in one language (both templates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub language: Language,
    pub subject: String,
    pub body: String,
}

/// A mailing as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Mailing {
    pub id: Uuid,
    pub title: String,
    pub list: ListKey,
    pub segment: Segment,
    pub fallback_language: Language,
    pub state: MailingState,
    pub scheduled_for: Option<OffsetDateTime>,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    /// Why the sender paused it by itself (the relay's refusal); None when staff paused it.
    pub paused_because: Option<String>,
    pub contents: Vec<Content>,
}

impl Mailing {
    /// The content for a recipient whose preferred language is `language`: theirs, else the
    /// fallback language's (a stored `de-CH` arrives here as `de` already: persons store the
    /// primary subtag).
    pub fn content_for(&self, language: Language) -> Option<&Content> {
        self.contents
            .iter()
            .find(|c| c.language == language)
            .or_else(|| self.contents.iter().find(|c| c.language == self.fallback_language))
    }
}

/// A new mailing, as a draft.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMailing {
    pub title: String,
    pub list: ListKey,
    pub segment: Segment,
    pub fallback_language: Language,
}

fn check_title(title: &str) -> std::result::Result<(), MailingError> {
    let length = title.chars().count();
    if !(1..=200).contains(&length) || title.chars().any(char::is_control) {
        return Err(MailingError::BadTitle);
    }
    Ok(())
}

async fn check_list(
    tx: &mut Transaction<'_, Postgres>,
    list: &ListKey,
) -> std::result::Result<(), MailingError> {
    let exists = sqlx::query_scalar!(
        r#"SELECT true AS "exists!" FROM info_list WHERE key = $1 AND archived_at IS NULL"#,
        list.as_str()
    )
    .fetch_optional(&mut **tx)
    .await?;
    exists.map(drop).ok_or(MailingError::NoSuchList)
}

/// Creates a draft.
pub async fn create(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    new: &NewMailing,
) -> std::result::Result<Uuid, MailingError> {
    check_title(&new.title)?;
    check_list(tx, &new.list).await?;
    let segment = serde_json::to_value(&new.segment).map_err(|_| DomainError::NotFound("segment"))?;
    let id = sqlx::query_scalar!(
        "INSERT INTO mailing (title, list_key, segment, fallback_language) VALUES ($1, $2, $3, $4) RETURNING id",
        new.title,
        new.list.as_str(),
        segment,
        new.fallback_language.code(),
    )
    .fetch_one(&mut **tx)
    .await?;
    let details = json!({ "mailing": id, "title": new.title, "list": new.list.as_str() });
    audit::record(tx, origin, None, Action::MailingCreated, details).await?;
    Ok(id)
}

/// Locks a mailing's row for a change and returns its state.
async fn lock(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
) -> std::result::Result<MailingState, MailingError> {
    sqlx::query_scalar!(r#"SELECT state AS "state: MailingState" FROM mailing WHERE id = $1 FOR UPDATE"#, id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(MailingError::NotFound)
}

async fn editable(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    action: &'static str,
) -> std::result::Result<(), MailingError> {
    let state = lock(tx, id).await?;
    if !state.editable() {
        return Err(MailingError::WrongState { state: state.as_str(), action });
    }
    Ok(())
}

/// Changes title, list, segment or fallback language of a draft or scheduled mailing.
pub async fn edit(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: Uuid,
    change: &NewMailing,
) -> std::result::Result<(), MailingError> {
    editable(tx, id, "editing").await?;
    check_title(&change.title)?;
    check_list(tx, &change.list).await?;
    let segment = serde_json::to_value(&change.segment).map_err(|_| DomainError::NotFound("segment"))?;
    sqlx::query!(
        "UPDATE mailing SET title = $2, list_key = $3, segment = $4, fallback_language = $5, updated_at = now()
         WHERE id = $1",
        id,
        change.title,
        change.list.as_str(),
        segment,
        change.fallback_language.code(),
    )
    .execute(&mut **tx)
    .await?;
    let details =
        json!({ "mailing": id, "segment": change.segment.describe(), "list": change.list.as_str() });
    audit::record(tx, origin, None, Action::MailingChanged, details).await?;
    Ok(())
}

/// Sets the subject and body of one language (already checked by `mails::campaign`).
pub async fn set_content(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: Uuid,
    content: &Content,
) -> std::result::Result<(), MailingError> {
    editable(tx, id, "changing the content").await?;
    sqlx::query!(
        "INSERT INTO mailing_content (mailing_id, language, subject, body) VALUES ($1, $2, $3, $4)
         ON CONFLICT (mailing_id, language) DO UPDATE SET subject = $3, body = $4",
        id,
        content.language.code(),
        content.subject,
        content.body,
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!("UPDATE mailing SET updated_at = now() WHERE id = $1", id).execute(&mut **tx).await?;
    let details = json!({ "mailing": id, "language": content.language.code() });
    audit::record(tx, origin, None, Action::MailingChanged, details).await?;
    Ok(())
}

/// One mailing with its content.
pub async fn get(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<Option<Mailing>> {
    let Some(row) = sqlx::query!(
        r#"SELECT id, title, list_key, segment, fallback_language, state AS "state: MailingState",
                  scheduled_for, started_at, finished_at, paused_because
           FROM mailing WHERE id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let contents = sqlx::query!(
        "SELECT language, subject, body FROM mailing_content WHERE mailing_id = $1 ORDER BY language",
        id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .filter_map(|c| {
        Some(Content {
            language: Language::try_from(c.language.as_str()).ok()?,
            subject: c.subject,
            body: c.body,
        })
    })
    .collect();
    let list = ListKey::parse(&row.list_key).ok_or(DomainError::NotFound("list"))?;
    // Stored by this module from a `Segment`; a row edited by hand into something else reads as
    // "not found" rather than as a segment that filters nothing.
    let segment: Segment =
        serde_json::from_value(row.segment).map_err(|_| DomainError::NotFound("segment"))?;
    Ok(Some(Mailing {
        id: row.id,
        title: row.title,
        list,
        segment,
        fallback_language: Language::try_from(row.fallback_language.as_str()).unwrap_or_default(),
        state: row.state,
        scheduled_for: row.scheduled_for,
        started_at: row.started_at,
        finished_at: row.finished_at,
        paused_because: row.paused_because,
        contents,
    }))
}

/// A line of the mailing list for staff.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: Uuid,
    pub title: String,
    pub list: String,
    pub state: MailingState,
    pub scheduled_for: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// Every mailing, newest first.
pub async fn all<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<Summary>> {
    Ok(sqlx::query_as!(
        Summary,
        r#"SELECT id, title, list_key AS list, state AS "state: MailingState", scheduled_for, created_at
           FROM mailing ORDER BY created_at DESC"#
    )
    .fetch_all(executor)
    .await?)
}

async fn set_state(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: Uuid,
    from: MailingState,
    to: MailingState,
) -> Result<()> {
    let details = json!({ "mailing": id, "from": from.as_str(), "to": to.as_str() });
    audit::record(tx, origin, None, Action::MailingStateChanged, details).await
}

/// Schedules a draft (or moves a scheduled mailing) to start at `at`. Needs content in the
/// fallback language.
pub async fn schedule(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: Uuid,
    at: OffsetDateTime,
) -> std::result::Result<(), MailingError> {
    editable(tx, id, "scheduling").await?;
    let mailing = get(tx, id).await?.ok_or(MailingError::NotFound)?;
    if !mailing.contents.iter().any(|c| c.language == mailing.fallback_language) {
        return Err(MailingError::NoFallbackContent(mailing.fallback_language.code()));
    }
    sqlx::query!(
        "UPDATE mailing SET state = 'scheduled', scheduled_for = $2, updated_at = now() WHERE id = $1",
        id,
        at
    )
    .execute(&mut **tx)
    .await?;
    set_state(tx, origin, id, mailing.state, MailingState::Scheduled).await?;
    Ok(())
}

/// Takes a scheduled mailing back to draft.
pub async fn unschedule(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: Uuid,
) -> std::result::Result<(), MailingError> {
    let state = lock(tx, id).await?;
    if state != MailingState::Scheduled {
        return Err(MailingError::WrongState { state: state.as_str(), action: "unscheduling" });
    }
    sqlx::query!(
        "UPDATE mailing SET state = 'draft', scheduled_for = NULL, updated_at = now() WHERE id = $1",
        id
    )
    .execute(&mut **tx)
    .await?;
    set_state(tx, origin, id, state, MailingState::Draft).await?;
    Ok(())
}

/// Starts sending a draft or scheduled mailing now: chooses its recipients (the segment is
/// fixed from here on) and lets senders at them. Refused when the segment matches nobody.
/// Returns the number of recipients.
pub async fn start(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: Uuid,
) -> std::result::Result<u64, MailingError> {
    editable(tx, id, "sending").await?;
    let mailing = get(tx, id).await?.ok_or(MailingError::NotFound)?;
    if !mailing.contents.iter().any(|c| c.language == mailing.fallback_language) {
        return Err(MailingError::NoFallbackContent(mailing.fallback_language.code()));
    }
    // The list may have been archived since the draft was made.
    check_list(tx, &mailing.list).await?;
    let chosen = segment::choose(&mut **tx, id, &mailing.list, &mailing.segment).await?;
    if chosen == 0 {
        return Err(MailingError::EmptySegment);
    }
    sqlx::query!(
        "UPDATE mailing SET state = 'sending', started_at = now(), scheduled_for = COALESCE(scheduled_for, now()),
                updated_at = now()
         WHERE id = $1",
        id
    )
    .execute(&mut **tx)
    .await?;
    set_state(tx, origin, id, mailing.state, MailingState::Sending).await?;
    Ok(chosen)
}

/// Starts every scheduled mailing whose time has come; one that cannot start (it matches
/// nobody, lacks its fallback content, its list was archived) goes back to draft, and staff see
/// why in the audit log and the sender's log. Returns the ids started. Several instances may
/// call this at once: each mailing is started by one of them.
pub async fn start_due(pool: &sqlx::PgPool, origin: Origin<'_>) -> Result<Vec<Uuid>> {
    let mut started = Vec::new();
    loop {
        let mut tx = pool.begin().await?;
        let Some(id) = sqlx::query_scalar!(
            "SELECT id FROM mailing WHERE state = 'scheduled' AND scheduled_for <= now()
             ORDER BY scheduled_for LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(started);
        };
        // A savepoint: a mailing that fails to start is unscheduled, and the loop goes on to
        // the next one instead of trying this one forever.
        let mut attempt = sqlx::Connection::begin(&mut *tx).await?;
        match start(&mut attempt, origin, id).await {
            Ok(_) => {
                attempt.commit().await?;
                started.push(id);
            }
            Err(MailingError::Domain(DomainError::Database(error))) => {
                return Err(DomainError::Database(error));
            }
            Err(error) => {
                attempt.rollback().await?;
                tracing::warn!(mailing = %id, %error, "a scheduled mailing could not start: back to draft");
                sqlx::query!(
                    "UPDATE mailing SET state = 'draft', scheduled_for = NULL, updated_at = now() WHERE id = $1",
                    id
                )
                .execute(&mut *tx)
                .await?;
                let details =
                    json!({ "mailing": id, "from": "scheduled", "to": "draft", "reason": error.to_string() });
                audit::record(&mut tx, origin, None, Action::MailingStateChanged, details).await?;
            }
        }
        tx.commit().await?;
    }
}

/// Pauses a sending mailing: senders stop claiming its recipients (those in flight finish).
pub async fn pause(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: Uuid,
) -> std::result::Result<(), MailingError> {
    let state = lock(tx, id).await?;
    if state != MailingState::Sending {
        return Err(MailingError::WrongState { state: state.as_str(), action: "pausing" });
    }
    sqlx::query!("UPDATE mailing SET state = 'paused', updated_at = now() WHERE id = $1", id)
        .execute(&mut **tx)
        .await?;
    set_state(tx, origin, id, state, MailingState::Paused).await?;
    Ok(())
}

/// Pauses a sending mailing because the relay refused a mail for a reason every recipient
/// shares (`reason`: its reply). Staff see the reason, fix the cause and resume. Returns false
/// when the mailing was no longer sending (paused already, by staff or another sender).
pub async fn pause_by_sender(pool: &sqlx::PgPool, id: Uuid, reason: &str) -> Result<bool> {
    let reason: String = reason.chars().take(1000).collect();
    let mut tx = pool.begin().await?;
    let paused = sqlx::query!(
        "UPDATE mailing SET state = 'paused', paused_because = $2, updated_at = now()
         WHERE id = $1 AND state = 'sending'",
        id,
        reason
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if paused {
        let system = crate::audit::Actor::System;
        let origin = Origin { actor: &system, source: "mailing sender" };
        let details = json!({ "mailing": id, "from": "sending", "to": "paused", "reason": reason });
        audit::record(&mut tx, origin, None, Action::MailingStateChanged, details).await?;
    }
    tx.commit().await?;
    Ok(paused)
}

/// Resumes a paused mailing where it stopped.
pub async fn resume(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: Uuid,
) -> std::result::Result<(), MailingError> {
    let state = lock(tx, id).await?;
    if state != MailingState::Paused {
        return Err(MailingError::WrongState { state: state.as_str(), action: "resuming" });
    }
    sqlx::query!(
        "UPDATE mailing SET state = 'sending', paused_because = NULL, updated_at = now() WHERE id = $1",
        id
    )
    .execute(&mut **tx)
    .await?;
    set_state(tx, origin, id, state, MailingState::Sending).await?;
    Ok(())
}
