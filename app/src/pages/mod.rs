// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! One module per page.

pub mod account;
pub mod command;
pub mod donate;
#[cfg(feature = "ssr")]
pub mod donate_ssr;
pub mod donations;
pub mod home;
pub mod not_found;
pub mod register;
pub mod renew;
pub mod settings;
pub mod statements;
pub mod unsubscribe;
