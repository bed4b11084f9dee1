// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use domain::throttle::{self, Attempt, Limits};
use sqlx::PgPool;
use std::net::IpAddr;
use time::Duration;

const LIMITS: Limits = Limits { per_account: 3, per_address: 5, window: Duration::minutes(15) };

fn ip(last: u8) -> IpAddr {
    IpAddr::from([192, 0, 2, last])
}

async fn counts(pool: &PgPool) -> Vec<i32> {
    sqlx::query_scalar("SELECT failures FROM login_throttle ORDER BY failures").fetch_all(pool).await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_name_is_blocked_after_its_limit_whether_or_not_it_exists(pool: PgPool) {
    for name in ["ada", "nobody-by-this-name"] {
        for attempt in 0..3 {
            assert!(throttle::take(&pool, &Attempt::new(name, ip(attempt)), LIMITS).await.unwrap());
        }
        // From a fresh address, in other letter case: still the same name.
        let next = Attempt::new(&name.to_uppercase(), ip(99));
        assert!(!throttle::take(&pool, &next, LIMITS).await.unwrap(), "{name}");
    }
    assert!(throttle::take(&pool, &Attempt::new("grace", ip(98)), LIMITS).await.unwrap());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn concurrent_attempts_cannot_pass_together(pool: PgPool) {
    let attempt = Attempt::new("ada", ip(1));
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let (pool, attempt) = (pool.clone(), attempt.clone());
            tokio::spawn(async move { throttle::take(&pool, &attempt, LIMITS).await.unwrap() })
        })
        .collect();
    let mut allowed = 0;
    for task in tasks {
        allowed += usize::from(task.await.unwrap());
    }
    assert_eq!(allowed, 3, "exactly the limit gets through");
    assert_eq!(counts(&pool).await, [40, 40], "every attempt was counted against both keys");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_address_is_blocked_after_its_limit_and_windows_end(pool: PgPool) {
    for n in 0..5 {
        assert!(throttle::take(&pool, &Attempt::new(&format!("user{n}"), ip(1)), LIMITS).await.unwrap());
    }
    assert!(!throttle::take(&pool, &Attempt::new("someone-else", ip(1)), LIMITS).await.unwrap());
    assert!(throttle::take(&pool, &Attempt::new("someone-else", ip(2)), LIMITS).await.unwrap());

    domain::testing::age_throttle_windows(&pool, time::Duration::minutes(16)).await.unwrap();
    // An attempt after the window starts a new count at one.
    assert!(throttle::take(&pool, &Attempt::new("someone-else", ip(1)), LIMITS).await.unwrap());
    assert!(throttle::take(&pool, &Attempt::new("user0", ip(1)), LIMITS).await.unwrap());
    assert_eq!(
        throttle::prune(&pool, LIMITS).await.unwrap(),
        5,
        "the other names' and ip(2)'s stale counters go"
    );
    assert_eq!(counts(&pool).await, [1, 1, 2], "someone-else, user0, and ip(1) twice");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn ipv6_addresses_in_one_64_share_a_count(pool: PgPool) {
    for n in 0..5 {
        let address: IpAddr = format!("2001:db8:1:2::{:x}", n + 1).parse().unwrap();
        assert!(throttle::take(&pool, &Attempt::new(&format!("user{n}"), address), LIMITS).await.unwrap());
    }
    let same_64: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
    let next_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert!(!throttle::take(&pool, &Attempt::new("someone-else", same_64), LIMITS).await.unwrap());
    assert!(throttle::take(&pool, &Attempt::new("someone-else", next_64), LIMITS).await.unwrap());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_success_clears_the_name_and_refunds_the_address(pool: PgPool) {
    let a = Attempt::new("ada", ip(1));
    for _ in 0..3 {
        assert!(throttle::take(&pool, &a, LIMITS).await.unwrap());
    }
    throttle::record_success(&pool, &a).await.unwrap();
    assert_eq!(counts(&pool).await, [2], "the name is gone; the address keeps the two failures");
    // Many people logging in right from one network never fill its count.
    for n in 0..20 {
        let person = Attempt::new(&format!("person{n}"), ip(1));
        assert!(throttle::take(&pool, &person, LIMITS).await.unwrap(), "{n}");
        throttle::record_success(&pool, &person).await.unwrap();
    }
    assert_eq!(counts(&pool).await, [2]);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_refunded_attempt_counts_against_nobody(pool: PgPool) {
    let a = Attempt::new("ada", ip(1));
    for _ in 0..10 {
        assert!(throttle::take(&pool, &a, LIMITS).await.unwrap());
        throttle::refund(&pool, &a).await.unwrap();
    }
    assert_eq!(counts(&pool).await, [0, 0]);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn other_kinds_are_counted_apart(pool: PgPool) {
    for _ in 0..3 {
        assert!(
            throttle::take(&pool, &Attempt::keyed("register", "ada@example.org", ip(1)), LIMITS)
                .await
                .unwrap()
        );
    }
    let register = Attempt::keyed("register", "ADA@example.org", ip(2));
    assert!(!throttle::take(&pool, &register, LIMITS).await.unwrap());
    assert!(throttle::take(&pool, &Attempt::new("ada@example.org", ip(1)), LIMITS).await.unwrap());
    assert!(throttle::take(&pool, &Attempt::link_request("ada@example.org", ip(1)), LIMITS).await.unwrap());
}
