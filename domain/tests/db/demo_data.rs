// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use domain::account::{self, Credential};
use domain::{db, demo, group, password};
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn demo_data_loads_once_and_can_log_in(pool: PgPool) {
    let first = demo::ensure(&pool).await.unwrap();
    let second = demo::ensure(&pool).await.unwrap();
    assert!(first.created);
    assert!(!second.created);
    assert_eq!(first.person.id, second.person.id);
    assert_eq!(first.supporter_number, second.supporter_number);

    let account = account::find_for_login(&pool, demo::LOGIN_NAME).await.unwrap().unwrap();
    assert_eq!(
        account::find_for_login(&pool, demo::EMAIL).await.unwrap().map(|a| a.person),
        Some(account.person)
    );
    let Credential::Builtin { password_hash: Some(hash) } = account.credential else { panic!("no password") };
    assert!(password::verify(&demo::PASSWORD.into(), &hash).await.unwrap());
    let groups = group::memberships(&pool, account.person).await.unwrap();
    assert_eq!(groups.len(), 1);
    // A donor with payments: a monthly pledge paid three times, a one-off gift, and a yearly
    // card donation that needs a new way to pay.
    let pledges = domain::payment::pledge::for_person(&pool, account.person).await.unwrap();
    assert_eq!(pledges.len(), 3);
    assert_eq!(
        pledges.iter().filter(|p| p.status == domain::payment::PledgeStatus::NeedsRenewal).count(),
        1,
        "one pledge to try renewal with"
    );
    let payments = domain::payment::payment::for_person(&pool, account.person).await.unwrap();
    assert_eq!(payments.iter().map(|p| p.amount.minor).sum::<i64>(), 3 * 1000 + 5000 + 6000);
    let thanked: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_job").fetch_one(&pool).await.unwrap();
    assert_eq!(thanked, 0, "demo payments mail nobody");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_migrated_database_is_ready(pool: PgPool) {
    assert!(db::is_ready(&pool).await);
}

#[sqlx::test(migrations = false)]
async fn an_empty_database_is_not_ready_until_migrated(pool: PgPool) {
    assert!(!db::is_ready(&pool).await);
    db::migrate(&pool).await.unwrap();
    assert!(db::is_ready(&pool).await);
}
