// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The domain layer of Community Database: types, business rules and every SQL query.
//!
//! Every binary (server, idp, cli) calls into this crate; none of them talks SQL itself. The crate
//! knows no HTTP and no Leptos. Functions that change data take a `&mut Transaction` so that the
//! caller decides what commits together; reads take any executor.
//!
//! Tests: `cargo test -p domain` with `DATABASE_URL` pointing at a PostgreSQL server where the
//! tests may create databases (the README's test command starts a throwaway one).

pub mod account;
pub mod audit;
pub mod command_link;
pub mod consent;
pub mod db;
pub mod demo;
pub mod directory;
pub mod email;
mod error;
pub mod group;
pub mod login;
pub mod mail;
pub mod mailing;
pub mod oidc;
pub mod password;
pub mod payment;
pub mod person;
pub mod registration;
pub mod schedule;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;
pub mod types;

pub use error::{DomainError, Result};

/// The schema history shared by every binary and every database test.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");
