// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! PayPal: everything this system says to or hears from PayPal (no maintained Rust SDK exists;
//! this is a small client on reqwest with rustls on ring).
//!
//! - [`verify`]: offline verification of a webhook delivery (certificate URL allow-list, the
//!   signing chain against the web PKI plus an optional extra anchor, the RSA-SHA256 signature
//!   over `transmission_id|time|webhook_id|crc32`, the transmission time), before anything else.
//! - [`event`]: the event envelope and the resources of the types we act on, amounts exact.
//! - [`client`]: OAuth2 client credentials, Orders v2, Subscriptions v1, with
//!   `PayPal-Request-Id` idempotency.
//! - [`checkout`]: an order or subscription for a pledge; products and plans made once.
//! - [`apply`]: one event, one transaction, like Stripe's.
//! - `testing` (feature `testing`): a local HTTPS stand-in for PayPal with a throwaway CA.
//!
//! The webhook route is `server/src/routes/webhooks/paypal.rs`; docs in `docs/paypal.md`.
//! Tests: `cargo test -p providers --test paypal` and `cargo test -p providers --lib paypal`.

pub mod apply;
pub mod checkout;
pub mod client;
pub mod event;
#[cfg(feature = "testing")]
pub mod testing;
pub mod verify;

pub use client::{Client, ClientConfig, ClientError};
pub use verify::{Transmission, Verifier, VerifierConfig, VerifyError};
