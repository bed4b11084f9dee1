// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{SOURCE, add_email, new_person};
use domain::DomainError;
use domain::audit::{Actor, Origin};
use domain::email::Verification;
use domain::person::{self, NewPerson};
use domain::types::{
    CountryCode, DisplayName, Email, Language, PersonId, PostalAddress, PostalAddressInput, Referrer,
};
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_created_person_reads_back_unchanged(pool: PgPool) {
    let address = PostalAddress::parse(&PostalAddressInput {
        street: "Hauptstraße 1",
        postal_code: "10115",
        city: "Berlin",
        ..Default::default()
    })
    .unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from("Grace <b>Hopper</b>").unwrap(),
        country: Some(CountryCode::try_from("DE").unwrap()),
        address,
        preferred_language: Language::German,
        referrer: Some(Referrer::try_from("fosdem-2026").unwrap()),
    };
    let mut tx = pool.begin().await.unwrap();
    let created =
        person::create(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, &new).await.unwrap();
    tx.commit().await.unwrap();

    let read = person::get(&pool, created.id).await.unwrap().unwrap();
    assert_eq!(read, created);
    assert_eq!(read.display_name.as_str(), "Grace <b>Hopper</b>");
    assert_eq!(read.address.unwrap().city(), "Berlin");
    assert_eq!(read.supporter_number, None, "no number before confirmation");
    assert_eq!(read.preferred_language, Language::German);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_unknown_id_is_none(pool: PgPool) {
    assert_eq!(person::get(&pool, PersonId::from(uuid::Uuid::new_v4())).await.unwrap(), None);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_rolled_back_creation_leaves_nothing(pool: PgPool) {
    let new = NewPerson {
        display_name: DisplayName::try_from("Nobody").unwrap(),
        country: None,
        address: None,
        preferred_language: Language::English,
        referrer: None,
    };
    let mut tx = pool.begin().await.unwrap();
    let created =
        person::create(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, &new).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(person::get(&pool, created.id).await.unwrap(), None);
    let audit_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&pool).await.unwrap();
    assert_eq!(audit_rows, 0, "the audit entry rolls back with the change");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn persons_are_found_by_email_whatever_its_case(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let mut tx = pool.begin().await.unwrap();
    add_email(&mut tx, ada.id, "Ada@Example.org", true, Verification::Unverified).await.unwrap();
    tx.commit().await.unwrap();

    let found = person::find_by_email(&pool, &Email::try_from("ada@EXAMPLE.ORG").unwrap()).await.unwrap();
    assert_eq!(found.map(|p| p.id), Some(ada.id));
    let other = person::find_by_email(&pool, &Email::try_from("eve@example.org").unwrap()).await.unwrap();
    assert_eq!(other, None);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_supporter_number_is_assigned_once_and_never_changes(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let mut tx = pool.begin().await.unwrap();
    let first =
        person::assign_supporter_number(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, ada.id)
            .await
            .unwrap();
    let again =
        person::assign_supporter_number(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, ada.id)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first, again);
    assert!(first.get() >= 1000);

    // Not even SQL typed by hand can change it.
    let tampered = sqlx::query("UPDATE person SET supporter_number = supporter_number + 1 WHERE id = $1")
        .bind(ada.id.as_uuid())
        .execute(&pool)
        .await;
    let error = tampered.unwrap_err();
    assert!(error.to_string().contains("cannot change"), "{error}");
    let read = person::get(&pool, ada.id).await.unwrap().unwrap();
    assert_eq!(read.supporter_number, Some(first));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn numbers_of_deleted_persons_are_not_reused(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let mut tx = pool.begin().await.unwrap();
    let ada_number =
        person::assign_supporter_number(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, ada.id)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("DELETE FROM person WHERE id = $1").bind(ada.id.as_uuid()).execute(&pool).await.unwrap();

    let grace = new_person(&pool, "Grace").await;
    let mut tx = pool.begin().await.unwrap();
    let grace_number =
        person::assign_supporter_number(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, grace.id)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert!(grace_number > ada_number);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn numbering_an_unknown_person_is_not_found(pool: PgPool) {
    let mut tx = pool.begin().await.unwrap();
    let result = person::assign_supporter_number(
        &mut tx,
        Origin { actor: &Actor::System, source: SOURCE },
        PersonId::from(uuid::Uuid::new_v4()),
    )
    .await;
    assert!(matches!(result, Err(DomainError::NotFound("person"))));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn concurrent_confirmations_draw_one_number(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                let n = person::assign_supporter_number(
                    &mut tx,
                    Origin { actor: &Actor::System, source: SOURCE },
                    ada.id,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                n
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
}
