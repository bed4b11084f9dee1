// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Stripe: everything this system says to or hears from Stripe, as plain data for the rest.
//!
//! - [`signature`]: checks the `Stripe-Signature` header of a webhook delivery (one or two endpoint
//!   secrets, 300 s tolerance, `now` passed in).
//! - [`event`]: turns a verified body into a [`event::Received`] with the one [`event::Action`] we
//!   act on, using async-stripe's models of API version `2026-09-30.endive`.
//! - [`client`]: the few API calls we make (Checkout, our one Product, subscription changes,
//!   the billing portal, look-ups that tie a refund or dispute to its invoice).
//! - `testing` (feature `testing`): a local stand-in for Stripe's API for tests.
//!
//! The webhook route is `server/src/routes/webhooks/`; rules and SQL are in `domain::payment`.
//! Tests: `cargo test -p providers --test stripe` and `cargo test -p providers --lib stripe`.

pub mod apply;
pub mod client;
pub mod event;
pub mod signature;
#[cfg(feature = "testing")]
pub mod testing;

pub use client::{CheckoutRequest, CheckoutSession, Client, ClientError};
pub use event::{Action, EventError, Received};
pub use signature::{SignatureError, verify};
