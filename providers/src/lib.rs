// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Payment provider adapters: what talks to (or reads files from) the outside world of money, so
//! that `domain` keeps the rules and SQL and knows no provider's wire format.
//!
//! - `stripe`: `Stripe-Signature` checks, event parsing (async-stripe), the API client
//!   (Checkout, subscriptions, billing portal) and applying an event to the database.
//! - `paypal`: offline webhook verification, event parsing, the REST client (Orders v2,
//!   Subscriptions v1) and applying an event to the database.
//! - `bank`: bank statements (ISO 20022 camt.053, CSV) and the EPC QR code ("GiroCode").
//!
//! Server and CLI both use this crate. Tests: `cargo test -p providers`.

pub mod bank;
pub mod bounce;
pub mod paypal;
pub mod stripe;
