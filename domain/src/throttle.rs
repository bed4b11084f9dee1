// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Throttling of logins and other abusable requests: each request is counted against two keys,
//! what it names (a login name, an email address) and where it comes from (the client's
//! network), in a fixed window; past either limit it is refused until the window ends, before
//! any password is checked or any mail is queued.
//!
//! - **Counted first, atomically.** [`take`] counts the attempt against both keys in one SQL
//!   statement and answers from the new counts, so concurrent attempts cannot all slip through
//!   before the first failure is counted (a check-then-count race gave a burst of 60 wrong
//!   passwords 60 tries instead of 10).
//! - **Keyed by what was typed, not by account**, so an unknown name is throttled exactly like a
//!   real one and the throttle reveals nothing. Keys are stored hashed (SHA-256).
//! - **Addresses are keyed by network** ([`network`]): an IPv4 address as it is, an IPv6
//!   address by its /64 (one customer's prefix: the rest of the bits are theirs to choose), an
//!   IPv4-mapped IPv6 address as the IPv4 address it is.
//! - **Successful logins are refunded** ([`record_success`]): the name's count is forgotten and
//!   the address's count goes down by the one attempt, so the address count is failures (plus
//!   attempts in flight) and a busy network of people who type their passwords right is never
//!   blocked. An attempt the server could not judge (directory or database outage) is refunded
//!   on both keys ([`refund`]): an outage locks nobody out.

use crate::Result;
use crate::oidc::secret::SecretHash;
use sqlx::PgPool;
use std::net::IpAddr;
use time::Duration;

/// How many attempts a key may have in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_account: i32,
    pub per_address: i32,
    pub window: Duration,
}

impl Default for Limits {
    /// Logins: 10 failures per name and 100 per network in 15 minutes: a person who mistypes
    /// is never stopped, a guesser gets 960 tries a day per name at most.
    fn default() -> Self {
        Self { per_account: 10, per_address: 100, window: Duration::minutes(15) }
    }
}

impl Limits {
    /// Mailed links: 5 per name and 50 per network in 15 minutes, every request counted. Enough
    /// for a person whose mail is slow; too few to flood anyone's mailbox.
    pub const LINKS: Limits = Limits { per_account: 5, per_address: 50, window: Duration::minutes(15) };
}

/// The two counters one attempt touches.
#[derive(Debug, Clone)]
pub struct Attempt {
    account: SecretHash,
    address: SecretHash,
}

impl Attempt {
    /// A password login for the typed `identifier` (login name or email address). Its keys are
    /// `account:<name>` and `ip:<network>`, as the first migration describes.
    pub fn new(identifier: &str, address: IpAddr) -> Self {
        let identifier = identifier.trim().to_lowercase();
        Self {
            account: SecretHash::of(&format!("account:{identifier}")),
            address: SecretHash::of(&format!("ip:{}", network(address))),
        }
    }

    /// A request for a mailed login link: counted apart from password failures, so asking for
    /// links never blocks a password login, and the other way round.
    pub fn link_request(identifier: &str, address: IpAddr) -> Self {
        Self::keyed("link", identifier, address)
    }

    /// Any other kind of counted request, e.g. `keyed("register", email, address)`: keys
    /// `<kind>:<target>` (trimmed, lower case) and `<kind>-ip:<network>`, counted apart from
    /// every other kind. `kind` must not be `account` or `ip` (the login's own keys).
    pub fn keyed(kind: &'static str, target: &str, address: IpAddr) -> Self {
        debug_assert!(kind != "account" && kind != "ip" && !kind.contains(':'), "{kind}");
        let target = target.trim().to_lowercase();
        Self {
            account: SecretHash::of(&format!("{kind}:{target}")),
            address: SecretHash::of(&format!("{kind}-ip:{}", network(address))),
        }
    }
}

/// The network an address is counted as: IPv4 (and IPv4-mapped IPv6) as the address, other
/// IPv6 as its /64, written `2001:db8:1:2::/64`. Every spelling of one address gives one key.
pub fn network(address: IpAddr) -> String {
    match address.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !(u128::MAX >> 64);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
    }
}

/// Counts one attempt against both keys and answers whether it may go ahead: true iff neither
/// count exceeds its limit now, this attempt included. One statement, so concurrent attempts
/// see each other; refused attempts count too (a blocked key stays blocked until its window
/// ends, and it does not end earlier for trying harder).
#[tracing::instrument(name = "throttle::take", skip_all)]
pub async fn take(pool: &PgPool, attempt: &Attempt, limits: Limits) -> Result<bool> {
    // The only statement that locks two rows, always the account key first: no deadlocks.
    let allowed = sqlx::query_scalar!(
        r#"WITH counted AS (
               INSERT INTO login_throttle (key_hash, failures, window_start)
               SELECT key_hash, 1, now() FROM (VALUES ($1::bytea, 1), ($2::bytea, 2)) AS k(key_hash, n)
               ORDER BY n
               ON CONFLICT (key_hash) DO UPDATE SET
                 failures = CASE WHEN login_throttle.window_start > now() - make_interval(secs => $3)
                                 THEN login_throttle.failures + 1 ELSE 1 END,
                 window_start = CASE WHEN login_throttle.window_start > now() - make_interval(secs => $3)
                                     THEN login_throttle.window_start ELSE now() END
               RETURNING key_hash, failures)
           SELECT coalesce(bool_and(CASE WHEN key_hash = $1 THEN failures <= $4 ELSE failures <= $5 END),
                           false) AS "allowed!"
           FROM counted"#,
        attempt.account.as_bytes(),
        attempt.address.as_bytes(),
        limits.window.as_seconds_f64(),
        limits.per_account,
        limits.per_address,
    )
    .fetch_one(pool)
    .await?;
    Ok(allowed)
}

/// After a successful login: forgets the name's count, and takes the attempt back from the
/// address's count (see the module header).
pub async fn record_success(pool: &PgPool, attempt: &Attempt) -> Result<()> {
    // One row per statement, so these never wait for each other's locks in a cycle.
    sqlx::query!("DELETE FROM login_throttle WHERE key_hash = $1", attempt.account.as_bytes())
        .execute(pool)
        .await?;
    give_back(pool, &attempt.address).await
}

/// Takes an attempt back from both counts: for attempts that could not be judged (the
/// directory or the database was unavailable), which must not count against anyone.
pub async fn refund(pool: &PgPool, attempt: &Attempt) -> Result<()> {
    give_back(pool, &attempt.account).await?;
    give_back(pool, &attempt.address).await
}

async fn give_back(pool: &PgPool, key: &SecretHash) -> Result<()> {
    sqlx::query!(
        "UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key_hash = $1",
        key.as_bytes()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes counters whose window has ended.
pub async fn prune(pool: &PgPool, limits: Limits) -> Result<u64> {
    // SKIP LOCKED: a counter being counted right now is left for the next round, rather than
    // risking a lock cycle with `take`.
    let deleted = sqlx::query!(
        r#"DELETE FROM login_throttle WHERE key_hash IN (
               SELECT key_hash FROM login_throttle
               WHERE window_start <= now() - make_interval(secs => $1)
               FOR UPDATE SKIP LOCKED)"#,
        limits.window.as_seconds_f64()
    )
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(spelling: &str) -> String {
        network(spelling.parse().unwrap())
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_and_every_spelling_agrees() {
        let one = net("2001:db8:1:2::1");
        assert_eq!(one, "2001:db8:1:2::/64");
        for spelling in [
            "2001:DB8:1:2::1",
            "2001:0db8:0001:0002:0000:0000:0000:0001",
            "2001:db8:1:2:0:0:0:1",
            "2001:db8:1:2:ffff:ffff:ffff:ffff",
            "2001:db8:1:2:abcd::",
        ] {
            assert_eq!(net(spelling), one, "{spelling}");
        }
        assert_ne!(net("2001:db8:1:3::1"), one, "the next /64 is another network");
        assert_ne!(net("2001:db8:1:2::1"), net("2001:db9:1:2::1"));
        assert_eq!(net("::1"), "::/64");
    }

    #[test]
    fn ipv4_counts_as_itself_also_when_mapped_into_ipv6() {
        assert_eq!(net("192.0.2.1"), "192.0.2.1");
        assert_eq!(net("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(net("::FFFF:c000:0201"), "192.0.2.1");
        assert_eq!(net("0:0:0:0:0:ffff:192.0.2.1"), "192.0.2.1");
        assert_ne!(net("192.0.2.2"), net("192.0.2.1"), "IPv4 addresses are not grouped");
    }

    #[test]
    fn kinds_and_spellings_give_their_own_keys() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let login = Attempt::new(" Ada ", ip);
        assert_eq!(login.account, Attempt::new("ada", mapped).account);
        assert_eq!(login.address, Attempt::new("grace", mapped).address);
        let register = Attempt::keyed("register", "Ada@Example.org", ip);
        assert_ne!(register.address, login.address, "kinds are counted apart");
        assert_eq!(register.account, Attempt::keyed("register", "ada@example.org ", mapped).account);
        assert_eq!(Attempt::link_request("ada", ip).account, Attempt::keyed("link", "ada", ip).account);
    }
}
