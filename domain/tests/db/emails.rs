// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{SOURCE, add_email, new_person};
use domain::DomainError;
use domain::audit::{Actor, Origin};
use domain::email::{self, Refusal, Verification};
use domain::types::Email;
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_address_has_one_owner_whatever_its_case(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let eve = new_person(&pool, "Eve").await;
    let mut tx = pool.begin().await.unwrap();
    add_email(&mut tx, ada.id, "ada@example.org", true, Verification::Unverified).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    let taken = add_email(&mut tx, eve.id, "ADA@example.org", true, Verification::Unverified).await;
    assert!(matches!(taken, Err(DomainError::Conflict("email address"))), "{taken:?}");
    drop(tx);
    assert!(email::list_for_person(&pool, eve.id).await.unwrap().is_empty());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_new_primary_address_replaces_the_old_one(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let now = time::OffsetDateTime::now_utc();
    let mut tx = pool.begin().await.unwrap();
    add_email(&mut tx, ada.id, "old@example.org", true, Verification::VerifiedAt(now)).await.unwrap();
    add_email(&mut tx, ada.id, "new@example.org", true, Verification::Unverified).await.unwrap();
    add_email(&mut tx, ada.id, "side@example.org", false, Verification::Unverified).await.unwrap();
    tx.commit().await.unwrap();

    let addresses = email::list_for_person(&pool, ada.id).await.unwrap();
    let primary: Vec<_> = addresses.iter().filter(|a| a.is_primary).map(|a| a.address.as_str()).collect();
    assert_eq!(primary, ["new@example.org"]);
    assert_eq!(addresses.len(), 3);
    assert_eq!(addresses[0].address.as_str(), "new@example.org", "primary first");
    let old = addresses.iter().find(|a| a.address.as_str() == "old@example.org").unwrap();
    assert!(old.verified_at.is_some());
}

/// The actions recorded for a person, oldest first.
async fn actions(pool: &PgPool, person: domain::types::PersonId) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log WHERE subject_person_id = $1 ORDER BY id")
        .bind(person.as_uuid())
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn addresses_are_removed_and_made_primary_only_by_their_owner_and_within_the_rules(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let eve = new_person(&pool, "Eve").await;
    let now = time::OffsetDateTime::now_utc();
    let mut tx = pool.begin().await.unwrap();
    add_email(&mut tx, ada.id, "ada@example.org", true, Verification::VerifiedAt(now)).await.unwrap();
    add_email(&mut tx, ada.id, "Work@Example.org", false, Verification::VerifiedAt(now)).await.unwrap();
    add_email(&mut tx, ada.id, "pending@example.org", false, Verification::Unverified).await.unwrap();
    add_email(&mut tx, eve.id, "eve@example.org", true, Verification::VerifiedAt(now)).await.unwrap();
    tx.commit().await.unwrap();
    let origin = |actor| Origin { actor, source: SOURCE };
    let as_ada = Actor::Person(ada.id);
    let as_eve = Actor::Person(eve.id);
    let email = |a: &str| Email::try_from(a).unwrap();
    let primary = |pool: PgPool, person| async move {
        email::list_for_person(&pool, person)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.is_primary)
            .unwrap()
            .address
    };

    let mut tx = pool.begin().await.unwrap();
    // Not hers: refused, whatever the case, and nothing changes for the owner.
    assert_eq!(
        email::remove(&mut tx, origin(&as_eve), eve.id, &email("WORK@example.org")).await.unwrap(),
        Err(Refusal::NotYours)
    );
    assert_eq!(
        email::make_primary(&mut tx, origin(&as_eve), eve.id, &email("work@example.org")).await.unwrap(),
        Err(Refusal::NotYours)
    );
    // The primary address stays; an unproven one cannot become primary.
    assert_eq!(
        email::remove(&mut tx, origin(&as_ada), ada.id, &email("ada@example.org")).await.unwrap(),
        Err(Refusal::IsPrimary)
    );
    assert_eq!(
        email::make_primary(&mut tx, origin(&as_ada), ada.id, &email("pending@example.org")).await.unwrap(),
        Err(Refusal::Unverified)
    );
    // Another case of her own address is hers.
    email::make_primary(&mut tx, origin(&as_ada), ada.id, &email("work@example.org")).await.unwrap().unwrap();
    email::remove(&mut tx, origin(&as_ada), ada.id, &email("ada@example.org")).await.unwrap().unwrap();
    // Already primary: nothing to do, nothing logged.
    email::make_primary(&mut tx, origin(&as_ada), ada.id, &email("Work@Example.org")).await.unwrap().unwrap();
    tx.commit().await.unwrap();

    assert_eq!(primary(pool.clone(), ada.id).await.as_str(), "Work@example.org");
    let left: Vec<_> =
        email::list_for_person(&pool, ada.id).await.unwrap().into_iter().map(|a| a.address).collect();
    assert_eq!(
        left.iter().map(Email::as_str).collect::<Vec<_>>(),
        ["Work@example.org", "pending@example.org"]
    );
    assert_eq!(primary(pool.clone(), eve.id).await.as_str(), "eve@example.org");
    // The removed address is free for anyone to add again.
    let mut tx = pool.begin().await.unwrap();
    add_email(&mut tx, eve.id, "ada@example.org", false, Verification::Unverified).await.unwrap();
    tx.commit().await.unwrap();

    let logged = actions(&pool, ada.id).await;
    let tail: Vec<_> = logged.iter().rev().take(2).rev().map(String::as_str).collect();
    assert_eq!(tail, ["email.made_primary", "email.removed"]);
}
