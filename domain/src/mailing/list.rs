// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Information-email lists: a key, a name and description per language, whether a subscription
//! needs confirming by mail (double opt-in), and who sees the list. Staff manage them
//! (`cdb-admin lists …`); the consent ledger names them by key.

use super::MailingError;
use crate::Result;
use crate::audit::{self, Action, Origin};
use crate::consent::ListKey;
use crate::types::{Language, PersonId};
use serde_json::json;
use sqlx::{Postgres, Transaction};

/// Who is offered a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "list_visibility", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Offered at registration and in every supporter's settings.
    Supporters,
    /// Staff subscribe people; the settings show it only to its subscribers (to leave it).
    Staff,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Supporters => "supporters",
            Visibility::Staff => "staff",
        }
    }
}

/// A list's name and description in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListText {
    pub language: Language,
    pub name: String,
    pub description: String,
}

/// A list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub key: ListKey,
    pub double_opt_in: bool,
    pub visibility: Visibility,
    pub text_version: String,
    pub position: i32,
    pub archived: bool,
    pub texts: Vec<ListText>,
}

impl List {
    /// The text in `language`, else English, else any: a list always has a name to show.
    pub fn text(&self, language: Language) -> Option<&ListText> {
        self.texts
            .iter()
            .find(|t| t.language == language)
            .or_else(|| self.texts.iter().find(|t| t.language == Language::English))
            .or_else(|| self.texts.first())
    }

    /// The name in `language` (see [`List::text`]), or the key.
    pub fn name(&self, language: Language) -> &str {
        self.text(language).map_or(self.key.as_str(), |t| t.name.as_str())
    }
}

/// A list to create, or the new state of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInput {
    pub key: ListKey,
    pub double_opt_in: bool,
    pub visibility: Visibility,
    /// Change it whenever the descriptions' promise changes.
    pub text_version: String,
    pub position: i32,
    /// At least one; English is the fallback for languages without a text.
    pub texts: Vec<ListText>,
}

impl ListInput {
    fn check(&self) -> std::result::Result<(), MailingError> {
        if self.texts.is_empty() {
            return Err(MailingError::InvalidList("a list needs a name in at least one language"));
        }
        if !(1..=100).contains(&self.text_version.chars().count()) {
            return Err(MailingError::InvalidList("the text version is 1 to 100 characters"));
        }
        for text in &self.texts {
            if !(1..=100).contains(&text.name.chars().count()) {
                return Err(MailingError::InvalidList("a name is 1 to 100 characters"));
            }
            if text.description.chars().count() > 1000 {
                return Err(MailingError::InvalidList("a description is at most 1,000 characters"));
            }
            if self.texts.iter().filter(|t| t.language == text.language).count() > 1 {
                return Err(MailingError::InvalidList("one text per language"));
            }
        }
        Ok(())
    }
}

/// Every list, in form order; archived ones only when asked.
pub async fn all(conn: &mut sqlx::PgConnection, include_archived: bool) -> Result<Vec<List>> {
    let rows = sqlx::query!(
        r#"SELECT key, double_opt_in, visibility AS "visibility: Visibility", text_version, position,
                  archived_at IS NOT NULL AS "archived!"
           FROM info_list WHERE $1 OR archived_at IS NULL ORDER BY position, key"#,
        include_archived,
    )
    .fetch_all(&mut *conn)
    .await?;
    let texts =
        sqlx::query!("SELECT list_key, language, name, description FROM info_list_text ORDER BY language")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let key = ListKey::parse(&row.key)?;
            let texts = texts
                .iter()
                .filter(|t| t.list_key == row.key)
                .filter_map(|t| {
                    Some(ListText {
                        language: Language::try_from(t.language.as_str()).ok()?,
                        name: t.name.clone(),
                        description: t.description.clone(),
                    })
                })
                .collect();
            Some(List {
                key,
                double_opt_in: row.double_opt_in,
                visibility: row.visibility,
                text_version: row.text_version,
                position: row.position,
                archived: row.archived,
                texts,
            })
        })
        .collect())
}

/// One list, archived or not.
pub async fn get(conn: &mut sqlx::PgConnection, key: &ListKey) -> Result<Option<List>> {
    Ok(all(conn, true).await?.into_iter().find(|list| &list.key == key))
}

/// The lists a person may choose in their settings: every list for supporters, and the staff
/// lists they are subscribed to (so they can leave them).
pub async fn offered_to(conn: &mut sqlx::PgConnection, person: PersonId) -> Result<Vec<List>> {
    let subscribed = crate::consent::subscribed(&mut *conn, person).await?;
    Ok(all(&mut *conn, false)
        .await?
        .into_iter()
        .filter(|list| list.visibility == Visibility::Supporters || subscribed.contains(&list.key))
        .collect())
}

/// The lists offered on the registration form.
pub async fn offered_at_registration(conn: &mut sqlx::PgConnection) -> Result<Vec<List>> {
    Ok(all(conn, false).await?.into_iter().filter(|l| l.visibility == Visibility::Supporters).collect())
}

/// Creates a list, or changes one (its texts replaced by `input`'s); un-archives it.
pub async fn save(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    input: &ListInput,
) -> std::result::Result<(), MailingError> {
    input.check()?;
    let created = sqlx::query_scalar!(
        r#"INSERT INTO info_list (key, double_opt_in, visibility, text_version, position)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (key) DO UPDATE SET double_opt_in = $2, visibility = $3, text_version = $4,
               position = $5, archived_at = NULL
           RETURNING (xmax = 0) AS "created!""#,
        input.key.as_str(),
        input.double_opt_in,
        input.visibility as Visibility,
        input.text_version,
        input.position,
    )
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query!("DELETE FROM info_list_text WHERE list_key = $1", input.key.as_str())
        .execute(&mut **tx)
        .await?;
    for text in &input.texts {
        sqlx::query!(
            "INSERT INTO info_list_text (list_key, language, name, description) VALUES ($1, $2, $3, $4)",
            input.key.as_str(),
            text.language.code(),
            text.name,
            text.description,
        )
        .execute(&mut **tx)
        .await?;
    }
    let action = if created { Action::ListCreated } else { Action::ListChanged };
    let details = json!({
        "list": input.key.as_str(),
        "double_opt_in": input.double_opt_in,
        "visibility": input.visibility.as_str(),
        "text_version": input.text_version,
    });
    audit::record(tx, origin, None, action, details).await?;
    Ok(())
}

/// Stops offering and sending to a list; its ledger stays. Returns whether it was active.
pub async fn archive(tx: &mut Transaction<'_, Postgres>, origin: Origin<'_>, key: &ListKey) -> Result<bool> {
    let archived = sqlx::query!(
        "UPDATE info_list SET archived_at = now() WHERE key = $1 AND archived_at IS NULL",
        key.as_str()
    )
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if archived {
        audit::record(tx, origin, None, Action::ListArchived, json!({ "list": key.as_str() })).await?;
    }
    Ok(archived)
}
