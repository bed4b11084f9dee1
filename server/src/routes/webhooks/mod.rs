// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Webhooks: deliveries from payment providers, under `/webhooks/`. They carry their own
//! signatures, so the CSRF guard exempts this prefix (`startup::router`), and they answer
//! programs, so their refusals are JSON of the one answer table (`app::refusal`).

pub mod paypal;
pub mod stripe;
