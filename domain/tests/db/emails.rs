// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{add_email, new_person};
use domain::DomainError;
use domain::email::{self, Verification};
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
