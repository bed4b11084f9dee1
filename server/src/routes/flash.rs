// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Values a POST leaves in the session for the one page it redirects to.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_sessions::Session;

/// Keeps `value` for the next page. If the session store fails, the next page simply shows no
/// outcome; the action itself has happened or not regardless.
pub async fn keep<T: Serialize>(session: &Session, key: &str, value: &T) {
    if let Err(error) = session.insert(key, value).await {
        tracing::error!(%error, key, "could not keep a value for the next page");
    }
}

/// Takes what a POST left (once: a reload no longer shows it).
pub async fn take<T: DeserializeOwned>(session: &Session, key: &str) -> Option<T> {
    // Look first: removing marks the session changed, and a changed session is written back to
    // the database, which would cost every page view a write.
    match session.get_value(key).await {
        Ok(None) => return None,
        Ok(Some(_)) => {}
        Err(error) => {
            tracing::warn!(%error, key, "could not read a value kept for this page");
            return None;
        }
    }
    match session.remove::<T>(key).await {
        Ok(value) => value,
        Err(error) => {
            tracing::warn!(%error, key, "could not read a value kept for this page");
            None
        }
    }
}
