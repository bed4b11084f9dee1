// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! One module per endpoint.

pub mod authorize;
pub mod discovery;
pub mod health;
pub mod introspect;
pub mod link;
pub mod login;
pub mod logout;
pub mod revoke;
pub mod token;
pub mod userinfo;

/// The cookie naming the browser's login session at the idp.
pub const SESSION_COOKIE: &str = "cdb_idp";
