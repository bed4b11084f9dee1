// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What the web binaries (`server` for my.*, `idp` for id.*) share: one settings file with a
//! section per binary, structured logs, the CSRF guard, and graceful shutdown.

pub mod client_address;
pub mod config;
pub mod csrf;
pub mod layers;
pub mod mail;
pub mod mailing;
pub mod scheduler;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
