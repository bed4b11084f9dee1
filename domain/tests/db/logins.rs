// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{SOURCE, add_email, new_person};
use argon2::password_hash::{PasswordHasher, SaltString};
use domain::account::{self, Credential};
use domain::audit::{Actor, Origin};
use domain::email::Verification;
use domain::login::{self, Outcome};
use domain::password::{self, Password};
use domain::types::{LoginName, PersonId};
use sqlx::PgPool;

const PASSWORD: &str = "correct horse battery";

/// Ada: login "ada", verified ada@example.org, unverified unproven@example.org, password set.
async fn ada(pool: &PgPool) -> PersonId {
    let ada = new_person(pool, "Ada").await;
    let hash = password::hash(&Password::new(PASSWORD.into()).unwrap()).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    add_email(&mut tx, ada.id, "ada@example.org", true, Verification::VerifiedAt(now)).await.unwrap();
    add_email(&mut tx, ada.id, "unproven@example.org", false, Verification::Unverified).await.unwrap();
    let origin = Origin { actor: &Actor::System, source: SOURCE };
    let credential = Credential::Builtin { password_hash: Some(hash) };
    account::create(&mut tx, origin, ada.id, Some(&LoginName::try_from("ada").unwrap()), &credential)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    ada.id
}

async fn failed_logins(pool: &PgPool, person: PersonId) -> i32 {
    account::get(pool, person).await.unwrap().unwrap().failed_logins
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_right_password_logs_in_by_name_or_verified_address(pool: PgPool) {
    let ada = ada(&pool).await;
    for identifier in ["ada", "ADA", "ada@example.org", "Ada@Example.ORG"] {
        let outcome = login::check_password(&pool, identifier, &PASSWORD.into()).await.unwrap();
        assert_eq!(outcome, Outcome::Authenticated(ada), "{identifier}");
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn every_refusal_is_the_same_answer(pool: PgPool) {
    let ada = ada(&pool).await;
    let cases = [
        ("ada", "wrong password"),
        ("nobody", PASSWORD),
        ("unproven@example.org", PASSWORD),
        ("' OR '1'='1", PASSWORD),
        ("ada", ""),
    ];
    for (identifier, password) in cases {
        let outcome = login::check_password(&pool, identifier, &password.into()).await.unwrap();
        assert_eq!(outcome, Outcome::Refused, "{identifier} / {password}");
    }
    // Only the attempts that named Ada's account count against it.
    assert_eq!(failed_logins(&pool, ada).await, 2);
    // A success clears the counter.
    login::check_password(&pool, "ada", &PASSWORD.into()).await.unwrap();
    assert_eq!(failed_logins(&pool, ada).await, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_disabled_account_is_refused_even_with_the_right_password(pool: PgPool) {
    let ada = ada(&pool).await;
    sqlx::query("UPDATE account SET disabled = true WHERE person_id = $1")
        .bind(ada.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    let outcome = login::check_password(&pool, "ada", &PASSWORD.into()).await.unwrap();
    assert_eq!(outcome, Outcome::Refused);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn accounts_without_a_local_password_are_refused(pool: PgPool) {
    let grace = new_person(&pool, "Grace").await;
    let lin = new_person(&pool, "Lin").await;
    let mut tx = pool.begin().await.unwrap();
    let origin = Origin { actor: &Actor::System, source: SOURCE };
    account::create(
        &mut tx,
        origin,
        grace.id,
        Some(&LoginName::try_from("grace").unwrap()),
        &Credential::Builtin { password_hash: None },
    )
    .await
    .unwrap();
    let ldap = Credential::Ldap { dn: "uid=lin,ou=people,dc=example,dc=org".into() };
    account::create(&mut tx, origin, lin.id, Some(&LoginName::try_from("lin").unwrap()), &ldap)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for identifier in ["grace", "lin"] {
        assert_eq!(
            login::check_password(&pool, identifier, &PASSWORD.into()).await.unwrap(),
            Outcome::Refused
        );
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_hash_with_old_parameters_is_replaced_after_login(pool: PgPool) {
    let ada = ada(&pool).await;
    // A hash as an older release would have stored it: argon2id with 8 MiB and one pass.
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8 * 1024, 1, 1, None).unwrap(),
    );
    let old = weak
        .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut rand_core::OsRng))
        .unwrap()
        .to_string();
    sqlx::query("UPDATE account SET password_hash = $2 WHERE person_id = $1")
        .bind(ada.as_uuid())
        .bind(&old)
        .execute(&pool)
        .await
        .unwrap();

    let outcome = login::check_password(&pool, "ada", &PASSWORD.into()).await.unwrap();
    assert_eq!(outcome, Outcome::Authenticated(ada));
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM account WHERE person_id = $1")
        .bind(ada.as_uuid())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(stored, old);
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    // And the new hash still accepts the password.
    assert_eq!(
        login::check_password(&pool, "ada", &PASSWORD.into()).await.unwrap(),
        Outcome::Authenticated(ada)
    );
}
