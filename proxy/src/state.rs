// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What every connection shares, and reloading it: a new file is checked and built in full
//! (routes, certificate files, access gate) before anything is swapped, so a bad file leaves
//! the running configuration untouched.

use crate::access::Gate;
use crate::acme::AcmeSite;
use crate::config::{Certificate, Config};
use crate::metrics::Metrics;
use crate::pool::Pool;
use crate::routes::Table;
use crate::tls::{self, CertStore, Loaded};
use arc_swap::{ArcSwap, ArcSwapOption};
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type ProxyBody = BoxBody<Bytes, BoxError>;
pub type UpstreamClient = Client<HttpConnector, ProxyBody>;

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("proxy settings: `site[{site}].certificate`: {source}")]
    Certificate { site: usize, source: tls::CertError },
    #[error("proxy settings: {0}")]
    Other(String),
}

pub struct Shared {
    pub config: ArcSwap<Config>,
    pub table: ArcSwap<Table>,
    pub certs: Arc<CertStore>,
    pub metrics: Metrics,
    pub client: UpstreamClient,
    pub gate: ArcSwapOption<Gate>,
    /// Pending HTTP-01 answers of this instance (others' are in the ACME folder).
    pub http01: Mutex<HashMap<String, String>>,
    pub acme_wakeup: Notify,
    /// The port the HTTPS listener got, for redirects when `listen.public_https_port` is unset.
    pub https_port: std::sync::atomic::AtomicU16,
}

fn upstream_client(config: &Config) -> UpstreamClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(config.limits.upstream_connect_timeout()));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .build(connector)
}

pub fn acme_sites(config: &Config) -> Vec<AcmeSite> {
    config
        .sites
        .iter()
        .filter(|site| matches!(site.certificate, Some(Certificate::Acme(_))))
        .map(|site| AcmeSite {
            name: site.hosts[0].to_ascii_lowercase(),
            hosts: site.hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
        })
        .collect()
}

struct Built {
    table: Table,
    certs: HashMap<String, Loaded>,
    gate: Option<Arc<Gate>>,
}

impl Shared {
    pub fn new(config: Config) -> Result<Arc<Self>, ReloadError> {
        let built = build(&config, None, &CertStore::default())?;
        let shared = Arc::new(Self {
            client: upstream_client(&config),
            config: ArcSwap::from_pointee(config),
            table: ArcSwap::from_pointee(Table::empty()),
            certs: Arc::new(CertStore::default()),
            metrics: Metrics::default(),
            gate: ArcSwapOption::empty(),
            http01: Mutex::new(HashMap::new()),
            acme_wakeup: Notify::new(),
            https_port: std::sync::atomic::AtomicU16::new(443),
        });
        shared.swap(built);
        Ok(shared)
    }

    /// Applies a new file, or changes nothing and says why. Listener addresses and upstream
    /// timeouts are read at start only.
    pub fn reload(self: &Arc<Self>, config: Config) -> Result<(), ReloadError> {
        let old_gate = self.gate.load_full();
        let keep_gate = old_gate.filter(|gate| config.access.as_ref() == Some(gate.settings()));
        let built = build(&config, keep_gate, &self.certs)?;
        self.config.store(Arc::new(config));
        self.swap(built);
        self.acme_wakeup.notify_one();
        Ok(())
    }

    fn swap(self: &Arc<Self>, mut built: Built) {
        for (host, loaded) in &built.certs {
            self.metrics.certificate_expiry(host, loaded.not_after);
        }
        built.table.tasks = built.table.pools().map(|pool| self.spawn_health_checks(pool.clone())).collect();
        self.certs.replace(built.certs);
        let default_host = self.config.load().tls.default_host.as_ref().map(|h| h.to_ascii_lowercase());
        self.certs.default_host.store(Arc::new(default_host));
        if let Some(gate) = &built.gate {
            gate.spawn_refresh();
        }
        self.gate.store(built.gate);
        self.table.store(Arc::new(built.table));
    }

    /// Serves a certificate for `hosts` (ACME) and exports its expiry.
    pub fn install(&self, hosts: &[String], loaded: &Loaded) {
        self.certs.install(hosts, loaded);
        for host in hosts {
            self.metrics.certificate_expiry(host, loaded.not_after);
        }
    }

    fn spawn_health_checks(self: &Arc<Self>, pool: Arc<Pool>) -> tokio::task::AbortHandle {
        let shared = Arc::downgrade(self);
        tokio::spawn(async move {
            let Some(path) = pool.health_path.clone() else {
                if let Some(shared) = shared.upgrade() {
                    for upstream in &pool.upstreams {
                        shared.metrics.upstream_health(&upstream.authority, true);
                    }
                }
                return;
            };
            let mut tick = tokio::time::interval(pool.health_interval);
            loop {
                tick.tick().await;
                let Some(shared) = shared.upgrade() else { return };
                for upstream in &pool.upstreams {
                    let healthy =
                        crate::forward::probe(&shared, &upstream.authority, &path, pool.health_interval)
                            .await;
                    pool.set_healthy(upstream, healthy, &shared.metrics);
                }
            }
        })
        .abort_handle()
    }
}

/// Everything a configuration needs, built without touching the running one. ACME
/// certificates already served are carried over for hosts that still ask for ACME.
fn build(config: &Config, gate: Option<Arc<Gate>>, current: &CertStore) -> Result<Built, ReloadError> {
    let table = Table::build(config).map_err(ReloadError::Other)?;
    let serving = current.snapshot();
    let mut certs = HashMap::new();
    for (i, site) in config.sites.iter().enumerate() {
        let loaded = match &site.certificate {
            Some(Certificate::Files(files)) => Some(
                tls::load_files(&files.cert_file, &files.key_file)
                    .map_err(|source| ReloadError::Certificate { site: i, source })?,
            ),
            Some(Certificate::Acme(_)) => serving.get(&site.hosts[0].to_ascii_lowercase()).cloned(),
            None => None,
        };
        if let Some(loaded) = loaded {
            for host in &site.hosts {
                certs.insert(host.to_ascii_lowercase(), loaded.clone());
            }
        }
    }
    let gate = match (&config.access, gate) {
        (None, _) => None,
        (Some(_), Some(kept)) => Some(kept),
        (Some(access), None) => Some(Arc::new(Gate::new(access.clone()).map_err(ReloadError::Other)?)),
    };
    Ok(Built { table, certs, gate })
}
