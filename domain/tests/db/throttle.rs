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

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_name_is_blocked_after_its_limit_whether_or_not_it_exists(pool: PgPool) {
    for name in ["ada", "nobody-by-this-name"] {
        for attempt in 0..3 {
            let a = Attempt::new(name, ip(attempt));
            assert!(throttle::allows(&pool, &a, LIMITS).await.unwrap());
            throttle::record_failure(&pool, &a, LIMITS).await.unwrap();
        }
        // From a fresh address, in other letter case: still the same name.
        let next = Attempt::new(&name.to_uppercase(), ip(99));
        assert!(!throttle::allows(&pool, &next, LIMITS).await.unwrap(), "{name}");
    }
    assert!(throttle::allows(&pool, &Attempt::new("grace", ip(99)), LIMITS).await.unwrap());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_address_is_blocked_after_its_limit_and_windows_end(pool: PgPool) {
    for n in 0..5 {
        throttle::record_failure(&pool, &Attempt::new(&format!("user{n}"), ip(1)), LIMITS).await.unwrap();
    }
    assert!(!throttle::allows(&pool, &Attempt::new("someone-else", ip(1)), LIMITS).await.unwrap());
    assert!(throttle::allows(&pool, &Attempt::new("someone-else", ip(2)), LIMITS).await.unwrap());

    sqlx::query("UPDATE login_throttle SET window_start = now() - interval '16 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(throttle::allows(&pool, &Attempt::new("someone-else", ip(1)), LIMITS).await.unwrap());
    // A failure after the window starts a new count at one.
    throttle::record_failure(&pool, &Attempt::new("user0", ip(1)), LIMITS).await.unwrap();
    assert!(throttle::allows(&pool, &Attempt::new("user0", ip(1)), LIMITS).await.unwrap());
    assert_eq!(throttle::prune(&pool, LIMITS).await.unwrap(), 4, "the other names' stale counters go");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_success_clears_the_name_but_not_the_address(pool: PgPool) {
    let a = Attempt::new("ada", ip(1));
    for _ in 0..3 {
        throttle::record_failure(&pool, &a, LIMITS).await.unwrap();
    }
    throttle::record_success(&pool, &a).await.unwrap();
    assert!(throttle::allows(&pool, &a, LIMITS).await.unwrap());
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM login_throttle").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, 1);
}
