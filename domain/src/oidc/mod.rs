// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The data of the OpenID Connect provider: clients, signing keys, login sessions, grants with
//! their authorization codes and refresh tokens, and revoked access tokens.
//!
//! The protocol itself (HTTP, JWTs, error codes) lives in the `idp` crate; here are the rules
//! that must hold whatever speaks the protocol: codes are single use and short-lived, a replayed
//! code or refresh token revokes everything issued from it, every secret is stored as a hash.

pub mod claims;
pub mod client;
pub mod grant;
pub mod kek;
pub mod keys;
pub mod login_link;
pub mod login_session;
pub mod secret;
pub mod types;

pub use types::{ClientId, GrantType, Scope, Scopes};
