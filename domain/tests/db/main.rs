// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Database tests of the domain layer: the one integration-test binary of this crate.
//! Each `#[sqlx::test]` gets a fresh, migrated database on the server named by `DATABASE_URL`
//! (the README's test command points it at a throwaway cluster) and drops it afterwards.

// Test helpers outside #[test] functions: a failed set-up should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod annual_statements;
mod audit_log;
mod demo_data;
mod emails;
mod groups;
mod logins;
mod mailings;
mod manual_payments;
mod oidc;
mod payments;
mod persons;
mod registration;
mod renewal;
mod schedule;
mod statement;
mod throttle;

use domain::audit::{Actor, Origin};
use domain::email::{self, Verification};
use domain::person::{self, NewPerson, Person};
use domain::types::{DisplayName, Language};
use domain::types::{Email, PersonId};
use sqlx::PgPool;

pub const SOURCE: &str = "test";

/// A minimal person, committed.
pub async fn new_person(pool: &PgPool, name: &str) -> Person {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from(name).unwrap(),
        country: None,
        address: None,
        preferred_language: Language::German,
        referrer: None,
    };
    let person =
        person::create(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, &new).await.unwrap();
    tx.commit().await.unwrap();
    person
}

/// A person with a confirmed primary address (mail reaches them), committed.
pub async fn supporter(pool: &PgPool, name: &str, address: &str) -> PersonId {
    let person = new_person(pool, name).await;
    let mut tx = pool.begin().await.unwrap();
    add_email(&mut tx, person.id, address, true, Verification::VerifiedAt(time::OffsetDateTime::now_utc()))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    person.id
}

/// Adds an address to a person, as the system, in the given transaction.
pub async fn add_email(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    person: PersonId,
    address: &str,
    primary: bool,
    verification: Verification,
) -> domain::Result<email::EmailAddress> {
    let origin = Origin { actor: &Actor::System, source: SOURCE };
    email::add(tx, origin, person, &Email::try_from(address).unwrap(), primary, verification).await
}

/// Words the thank-you mail so a test can read what it said.
pub struct Words;

impl domain::payment::notice::PaymentWriter for Words {
    fn thank_you(
        &self,
        language: Language,
        thanks: &domain::payment::Thanks<'_>,
    ) -> domain::registration::Written {
        (format!("thanks {}", thanks.name), format!("{language:?} {} {}", thanks.amount, thanks.booked_on))
    }
    fn renewal(
        &self,
        language: Language,
        notice: &domain::payment::RenewalNotice<'_>,
    ) -> domain::registration::Written {
        domain::testing::PlainWords.renewal(language, notice)
    }
    fn payment_failed(
        &self,
        language: Language,
        notice: &domain::payment::PaymentFailedNotice<'_>,
    ) -> domain::registration::Written {
        domain::testing::PlainWords.payment_failed(language, notice)
    }
    fn transfer_reminder(
        &self,
        language: Language,
        notice: &domain::payment::ReminderNotice<'_>,
    ) -> domain::registration::Written {
        domain::testing::PlainWords.transfer_reminder(language, notice)
    }
    fn statement_ready(
        &self,
        language: Language,
        notice: &domain::payment::StatementNotice<'_>,
    ) -> domain::registration::Written {
        domain::testing::PlainWords.statement_ready(language, notice)
    }
}
