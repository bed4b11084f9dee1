// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The proxy in front of my.*, id.* and the organisation's other services: TLS termination
//! with ACME certificates, host and path routing to upstream pools, edge access rules checked
//! against the idp's tokens, health and metrics on an admin port. See docs/proxy.md.

pub mod access;
pub mod acme;
pub mod admin;
pub mod authority;
pub mod config;
pub mod error;
pub mod forward;
pub mod headers;
pub mod metrics;
pub mod path;
pub mod pool;
pub mod redact;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
pub mod tls;

use config::Config;
use state::{ReloadError, Shared};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Settings(#[from] ReloadError),
    #[error("cannot listen on {addr} (`listen.{which}`): {source}")]
    Listen { which: &'static str, addr: SocketAddr, source: std::io::Error },
    #[error("TLS settings: {0}")]
    Tls(#[from] rustls::Error),
}

/// A running proxy; dropping it does not stop it, `shutdown` does.
pub struct Proxy {
    pub shared: Arc<Shared>,
    pub http_addr: Option<SocketAddr>,
    pub https_addr: Option<SocketAddr>,
    pub admin_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    graceful: Arc<hyper_util::server::graceful::GracefulShutdown>,
    listeners: Vec<tokio::task::JoinHandle<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn bind(which: &'static str, addr: Option<SocketAddr>) -> Result<Option<TcpListener>, StartError> {
    match addr {
        None => Ok(None),
        Some(addr) => TcpListener::bind(addr).await.map(Some).map_err(|source| StartError::Listen {
            which,
            addr,
            source,
        }),
    }
}

impl Proxy {
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let shared = Shared::new(config.clone())?;
        let tls = tokio_rustls::TlsAcceptor::from(tls::server_config(shared.certs.clone())?);
        let http = bind("http", config.listen.http).await?;
        let https = bind("https", config.listen.https).await?;
        let admin = bind("admin", config.listen.admin).await?;
        let addr = |l: &Option<TcpListener>| l.as_ref().and_then(|l| l.local_addr().ok());
        let (http_addr, https_addr, admin_addr) = (addr(&http), addr(&https), addr(&admin));
        if let Some(addr) = https_addr {
            shared.https_port.store(addr.port(), std::sync::atomic::Ordering::Relaxed);
        }
        let (stop, stopped) = watch::channel(false);
        let graceful = Arc::new(hyper_util::server::graceful::GracefulShutdown::new());
        let mut listeners = Vec::new();
        let mut tasks = Vec::new();
        if let Some(listener) = http {
            listeners.push(tokio::spawn(server::accept_loop(
                listener,
                shared.clone(),
                None,
                graceful.clone(),
                stopped.clone(),
            )));
        }
        if let Some(listener) = https {
            listeners.push(tokio::spawn(server::accept_loop(
                listener,
                shared.clone(),
                Some(tls),
                graceful.clone(),
                stopped.clone(),
            )));
        }
        if let Some(listener) = admin {
            tasks.push(tokio::spawn(admin::serve(listener, shared.clone(), stopped.clone())));
        }
        tasks.push(tokio::spawn(acme::run(shared.clone())));
        tracing::info!(?http_addr, ?https_addr, ?admin_addr, "proxy listening");
        Ok(Self { shared, http_addr, https_addr, admin_addr, stop, graceful, listeners, tasks })
    }

    /// Applies a new configuration; on error the running one stays.
    pub fn reload(&self, config: Config) -> Result<(), ReloadError> {
        self.shared.reload(config)
    }

    /// Stops accepting, lets open requests finish (up to `grace`), then stops.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(true);
        for listener in self.listeners {
            let _ = listener.await;
        }
        // The accept loops held the other references; they have ended.
        if let Ok(graceful) = Arc::try_unwrap(self.graceful)
            && tokio::time::timeout(grace, graceful.shutdown()).await.is_err()
        {
            tracing::warn!("connections still open after the grace period; closing them");
        }
        for task in self.tasks {
            task.abort();
        }
    }
}
