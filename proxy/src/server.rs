// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The listeners: plain HTTP, HTTPS (TLS handshake, then HTTP/1.1 or HTTP/2 by ALPN) and the
//! admin port. Connection limits are hyper's: header read timeout (slow clients), header count
//! and size; a TLS handshake must also finish within the header timeout. The SNI name a TLS
//! client sent goes with each of its requests, so one made for another site gets 421.

use crate::config::Limits;
use crate::forward::{self, Connection};
use crate::state::Shared;
use crate::tls::ACME_TLS_ALPN;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

pub fn http_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout())
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_concurrent_streams)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    builder
}

/// Accepts until `stop` turns true; connections then finish their current requests.
pub async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    graceful: Arc<GracefulShutdown>,
    mut stop: watch::Receiver<bool>,
) {
    let builder = Arc::new(http_builder(&shared.config.load().limits));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            match tls {
                None => {
                    let conn = Connection { peer, tls: false, sni: None };
                    serve(stream, shared, conn, &builder, watcher).await;
                }
                Some(acceptor) => {
                    let timeout = shared.config.load().limits.header_timeout();
                    let stream = match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(error)) => {
                            tracing::debug!(%peer, %error, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake too slow");
                            return;
                        }
                    };
                    // A CA validating TLS-ALPN-01 only needs the handshake.
                    if stream.get_ref().1.alpn_protocol() == Some(ACME_TLS_ALPN) {
                        return;
                    }
                    let sni =
                        stream.get_ref().1.server_name().map(|name| Arc::from(name.to_ascii_lowercase()));
                    let conn = Connection { peer, tls: true, sni };
                    serve(stream, shared, conn, &builder, watcher).await;
                }
            }
        });
    }
}

async fn serve<S>(
    stream: S,
    shared: Arc<Shared>,
    conn: Connection,
    builder: &auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = conn.peer;
    let service = service_fn(move |request| {
        let shared = shared.clone();
        let conn = conn.clone();
        async move { Ok::<_, Infallible>(forward::handle(shared, conn, request).await) }
    });
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    if let Err(error) = watcher.watch(connection.into_owned()).await {
        tracing::debug!(%peer, error = %error, "connection ended with an error");
    }
}
