// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Server-only parts of the app: the state every request sees, and accessors for server
//! functions.

use crate::page_data::SiteInfo;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;
use sqlx::PgPool;

/// Everything a request handler or server function may need. Built once at start-up; cheap to
/// clone (the pool and options are reference-counted).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub site: SiteInfo,
    /// Where my.* is reached from outside (`https://my.example.org`), for links in mails.
    pub public_origin: String,
}

/// The state, inside a server function or while rendering. Missing state is a wiring bug: it
/// is logged, never a panic.
pub fn state() -> Option<AppState> {
    let state = use_context::<AppState>();
    if state.is_none() {
        tracing::error!("AppState missing from the Leptos context");
    }
    state
}

/// Names of the values kept in a session, in one place so two features never share a key by
/// accident.
pub mod session_keys {
    /// `u32`: the monthly amount picked on the landing page.
    pub const CHOSEN_AMOUNT: &str = "chosen_amount";
    /// `forms::RegisterOutcome`: what the last registration POST came to, for the next page.
    pub const REGISTER_OUTCOME: &str = "register_outcome";
    /// `forms::CommandOutcome`: what the last command-link POST did, for the next page.
    pub const COMMAND_OUTCOME: &str = "command_outcome";
    /// `uuid::Uuid`: the person logged in with this session.
    pub const PERSON: &str = "person";
    /// `String`: the ID token of the login, for `id_token_hint` at logout.
    pub const ID_TOKEN: &str = "id_token";
    /// State, nonce and PKCE verifier of a login in progress.
    pub const LOGIN_PENDING: &str = "login_pending";
    /// `String`: the `state` sent with the idp logout, checked when the browser returns.
    pub const LOGOUT_STATE: &str = "logout_state";
}
