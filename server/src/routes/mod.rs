// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Plain HTTP routes beside the Leptos pages.

pub mod amount;
pub mod command;
pub mod donate;
pub mod donations;
pub mod flash;
pub mod health;
pub mod language;
pub mod login;
pub mod paypal_checkout;
pub mod register;
pub mod renew;
pub mod statements;
pub mod unsubscribe;
pub mod webhooks;
