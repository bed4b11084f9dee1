// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The supporter web app (my.*) as a library, so tests can start it on port 0; `main.rs` only
//! reads the command line and runs it.
//!
//! Tests: `cargo test -p server` (the whole-app tests need `DATABASE_URL` pointing at a server
//! where they may create databases).

pub mod headers;
pub mod jobs;
pub mod oidc_client;
pub mod routes;
pub mod session_view;
pub mod startup;
