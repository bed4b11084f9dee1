// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The monthly amount a visitor picked on the landing page, kept in their session until the
//! registration form asks for it.

use crate::error::AppError;
use leptos::prelude::*;

/// Monthly amounts offered, in whole euros.
pub const AMOUNTS: [u32; 4] = [5, 10, 25, 50];
/// The amount chosen before the visitor picks one.
pub const DEFAULT_AMOUNT: u32 = 10;

/// The amount, if it is one we offer. Anything else is dropped rather than echoed.
pub fn offered(amount: Option<u32>) -> Option<u32> {
    amount.filter(|amount| AMOUNTS.contains(amount))
}

/// The amount from a URL parameter, if it is one we offer.
pub fn from_query(raw: Option<&str>) -> Option<u32> {
    offered(raw?.trim().parse().ok())
}

/// Stores `amount` in the visitor's session when given, and returns the amount the session
/// holds. Needs no login: it touches only the caller's own session. The value is checked here
/// again, because anyone can call a server function with anything.
#[server(endpoint = "remember_amount")]
pub async fn remember_amount(amount: Option<u32>) -> Result<Option<u32>, AppError> {
    use crate::ssr::session_keys::CHOSEN_AMOUNT;
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })?;
    let failed = |e: tower_sessions::session::Error| {
        tracing::error!(error = %e, "session store failed");
        AppError::Internal
    };
    if let Some(amount) = offered(amount) {
        session.insert(CHOSEN_AMOUNT, amount).await.map_err(failed)?;
        return Ok(Some(amount));
    }
    Ok(offered(session.get::<u32>(CHOSEN_AMOUNT).await.map_err(failed)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_offered_amounts_are_taken_from_the_url() {
        assert_eq!(from_query(Some("25")), Some(25));
        assert_eq!(from_query(Some(" 5 ")), Some(5));
        for hostile in ["7", "-10", "1e9", "25<script>", "", "99999999999999999999"] {
            assert_eq!(from_query(Some(hostile)), None, "{hostile}");
        }
        assert_eq!(from_query(None), None);
    }
}
