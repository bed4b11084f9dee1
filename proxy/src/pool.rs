// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A pool of upstreams for one route: which one gets the next request (round robin or least
//! connections), which are skipped (failed active health check, or ejected for a while after
//! refusing a connection), and the active health-check loop.

use crate::config::{Balance, Route};
use crate::metrics::Metrics;
use http::uri::Authority;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Upstream {
    pub authority: Authority,
    /// Result of the last active health check (true until one fails).
    healthy: AtomicBool,
    /// Milliseconds after the pool's epoch until which the upstream is skipped.
    ejected_until: AtomicU64,
    active: AtomicUsize,
}

pub struct Pool {
    pub upstreams: Vec<Arc<Upstream>>,
    balance: Balance,
    next: AtomicUsize,
    eject_for: Duration,
    epoch: Instant,
    pub health_path: Option<String>,
    pub health_interval: Duration,
}

/// An upstream chosen for one request; counts as an active connection until dropped.
pub struct Lease {
    pub upstream: Arc<Upstream>,
    pub index: usize,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.upstream.active.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Pool {
    /// From a validated route (its upstream URLs were checked by `Config::validate`).
    pub fn new(route: &Route) -> Result<Self, String> {
        let upstreams = route
            .upstreams
            .iter()
            .map(|text| {
                Ok(Arc::new(Upstream {
                    authority: crate::config::parse_upstream(text)?,
                    healthy: AtomicBool::new(true),
                    ejected_until: AtomicU64::new(0),
                    active: AtomicUsize::new(0),
                }))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            upstreams,
            balance: route.balance,
            next: AtomicUsize::new(0),
            eject_for: Duration::from_millis(route.eject_ms),
            epoch: Instant::now(),
            health_path: route.health_path.clone(),
            health_interval: Duration::from_millis(route.health_interval_ms.max(100)),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn available(&self, upstream: &Upstream) -> bool {
        upstream.healthy.load(Ordering::Relaxed)
            && upstream.ejected_until.load(Ordering::Relaxed) <= self.now_ms()
    }

    /// The next upstream, skipping `tried` ones. When every untried upstream is marked down,
    /// one of them is still tried: a stale mark must not turn into an outage.
    pub fn pick(&self, tried: &[usize]) -> Option<Lease> {
        let n = self.upstreams.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let candidates = (0..n).map(|k| (start + k) % n).filter(|i| !tried.contains(i));
        let choose = |only_available: bool| {
            let mut pool =
                candidates.clone().filter(|&i| !only_available || self.available(&self.upstreams[i]));
            match self.balance {
                Balance::RoundRobin => pool.next(),
                // min_by_key keeps the first of equals, so ties still rotate.
                Balance::LeastConnections => {
                    pool.min_by_key(|&i| self.upstreams[i].active.load(Ordering::Relaxed))
                }
            }
        };
        let index = choose(true).or_else(|| choose(false))?;
        let upstream = self.upstreams[index].clone();
        upstream.active.fetch_add(1, Ordering::Relaxed);
        Some(Lease { upstream, index })
    }

    /// The upstream refused or dropped a connection: skip it for a while.
    pub fn eject(&self, upstream: &Upstream, metrics: &Metrics) {
        let until =
            self.now_ms().saturating_add(u64::try_from(self.eject_for.as_millis()).unwrap_or(u64::MAX));
        upstream.ejected_until.store(until, Ordering::Relaxed);
        metrics.upstream_health(&upstream.authority, false);
        tracing::warn!(upstream = %upstream.authority, eject_ms = self.eject_for.as_millis(), "upstream ejected");
    }

    pub fn set_healthy(&self, upstream: &Upstream, healthy: bool, metrics: &Metrics) {
        let was = upstream.healthy.swap(healthy, Ordering::Relaxed);
        if was != healthy {
            tracing::warn!(upstream = %upstream.authority, healthy, "upstream health changed");
        }
        metrics.upstream_health(&upstream.authority, healthy && self.available(upstream));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pool(balance: Balance, n: usize) -> Pool {
        let route = Route {
            path: "/".into(),
            upstreams: (0..n).map(|i| format!("http://127.0.0.1:{}", 4000 + i)).collect(),
            balance,
            health_path: None,
            health_interval_ms: 1000,
            eject_ms: 60_000,
        };
        Pool::new(&route).unwrap()
    }

    #[test]
    fn round_robin_rotates_and_skips_ejected_upstreams() {
        let pool = pool(Balance::RoundRobin, 3);
        let picks: Vec<usize> = (0..6).map(|_| pool.pick(&[]).unwrap().index).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
        pool.eject(&pool.upstreams[1], &Metrics::default());
        let picks: Vec<usize> = (0..4).map(|_| pool.pick(&[]).unwrap().index).collect();
        assert!(!picks.contains(&1), "{picks:?}");
    }

    #[test]
    fn retries_go_elsewhere_and_a_pool_all_down_still_tries() {
        let pool = pool(Balance::RoundRobin, 2);
        let metrics = Metrics::default();
        pool.eject(&pool.upstreams[0], &metrics);
        pool.set_healthy(&pool.upstreams[1], false, &metrics);
        let first = pool.pick(&[]).unwrap().index;
        let second = pool.pick(&[first]).unwrap().index;
        assert_ne!(first, second);
        assert!(pool.pick(&[0, 1]).is_none());
    }

    #[test]
    fn least_connections_prefers_the_idle_upstream() {
        let pool = pool(Balance::LeastConnections, 2);
        let busy = pool.pick(&[]).unwrap();
        for _ in 0..3 {
            assert_ne!(pool.pick(&[]).unwrap().index, busy.index);
        }
        drop(busy);
        let a = pool.pick(&[]).unwrap();
        let b = pool.pick(&[]).unwrap();
        assert_ne!(a.index, b.index, "equal load spreads");
    }
}
