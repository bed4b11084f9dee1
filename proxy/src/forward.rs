// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! One request through the proxy: its host (`authority`) and canonical path (`path`), ACME
//! answers and HTTPS redirects on the plain port, the site (and whether the TLS connection was
//! made for it) and route, the access rule, then the upstream (bodies streamed both ways, a retry on
//! another upstream for idempotent requests without a body, WebSocket and other upgrades
//! passed through), and the access log line.

use crate::error::{self, ProxyError};
use crate::headers::{self, Hop, X_REQUEST_ID};
use crate::path::{self, CanonicalPath};
use crate::routes::{SiteEntry, Table};
use crate::state::{BoxError, ProxyBody, Shared};
use crate::tls::CertStore;
use crate::{authority, redact};
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::{Body, Incoming};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

const ACME_PREFIX: &str = "/.well-known/acme-challenge/";

#[derive(Clone, Debug)]
pub struct Connection {
    pub peer: SocketAddr,
    pub tls: bool,
    /// The name the TLS client sent as SNI (lowercase), if any.
    pub sni: Option<Arc<str>>,
}

pub async fn handle(
    shared: Arc<Shared>,
    conn: Connection,
    request: Request<Incoming>,
) -> Response<ProxyBody> {
    let started = Instant::now();
    let config = shared.config.load_full();
    let routed = authority::routed(request.uri(), request.headers(), conn.tls);
    let host = routed.as_ref().map_or_else(|_| String::new(), |r| r.name.clone());
    let canonical = path::canonical(request.uri().path());
    let prefixes = &config.logging.redact_path_prefixes;
    let logged_path = match &canonical {
        Ok(path) => redact::canonical_path(path.as_str(), prefixes).into_owned(),
        Err(_) => redact::raw_path(request.uri().path(), prefixes).into_owned(),
    };
    let hop = Hop {
        peer: conn.peer.ip(),
        trusted: &config.forwarding.trusted_proxies,
        proto: if conn.tls { "https" } else { "http" },
        host: &host,
    };
    let request_id = hop.request_id(request.headers());
    let method = request.method().clone();
    let table = shared.table.load_full();
    let site = table.site(&host).cloned();
    let mut upstream = None;
    // Every line logged while the request is handled carries this span, with the path only as
    // logs may show it.
    let span = tracing::info_span!(
        "request",
        request_id = request_id.to_str().unwrap_or("-"),
        method = %method,
        host = %host,
        path = %logged_path,
    );
    let result = async {
        let (routed, path) = match (routed, canonical) {
            (Err(why), _) => return Err(ProxyError::BadRequest(why.reason())),
            (_, Err(why)) => return Err(ProxyError::BadRequest(why.reason())),
            (Ok(routed), Ok(path)) => (routed, path),
        };
        if !conn.tls
            && let Some(token) = path.as_str().strip_prefix(ACME_PREFIX)
        {
            return Ok(acme_answer(&shared, config.acme.as_ref(), token).await);
        }
        let site = site.as_ref().ok_or(ProxyError::UnknownHost)?;
        if conn.tls && misdirected(&table, &shared.certs, conn.sni.as_deref(), site) {
            return Err(ProxyError::Misdirected);
        }
        if !conn.tls && site.has_certificate && config.tls.redirect_http && config.listen.https.is_some() {
            let port = config
                .listen
                .public_https_port
                .unwrap_or_else(|| shared.https_port.load(std::sync::atomic::Ordering::Relaxed));
            return Ok(redirect_to_https(&path, request.uri().query(), &routed.header, port));
        }
        let mut request = request;
        hop.apply(request.headers_mut());
        request.headers_mut().insert(X_REQUEST_ID.clone(), request_id.clone());
        let target = Target { path, host: routed.header };
        forward(&shared, &config.limits, site, &target, request, &mut upstream).await
    }
    .instrument(span)
    .await;
    let mut response = result.unwrap_or_else(ProxyError::into_response);
    let status = response.status();
    let headers = response.headers_mut();
    headers.insert(X_REQUEST_ID.clone(), request_id.clone());
    if conn.tls
        && config.tls.hsts_max_age_secs > 0
        && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY)
    {
        let mut value = format!("max-age={}", config.tls.hsts_max_age_secs);
        if config.tls.hsts_include_subdomains {
            value.push_str("; includeSubDomains");
        }
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(header::STRICT_TRANSPORT_SECURITY, value);
        }
    }
    let site_name = site.as_ref().map_or("-", |s| s.name.as_str());
    let elapsed = started.elapsed();
    shared.metrics.request(site_name, status.as_u16(), elapsed);
    tracing::info!(
        target: "access",
        request_id = request_id.to_str().unwrap_or("-"),
        peer = %conn.peer.ip(),
        method = %method,
        host = %host,
        path = %logged_path,
        status = status.as_u16(),
        upstream = upstream.as_deref().unwrap_or("-"),
        site = site_name,
        micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
    );
    response
}

/// What goes upstream: the canonical path the rules were checked against, and the routed host.
struct Target {
    path: CanonicalPath,
    host: HeaderValue,
}

/// Whether a TLS request is for a site other than the one its connection was made for
/// (RFC 9110 §15.5.20, 421): the SNI name's site, or for a client without SNI the site of
/// `tls.default_host`, whose certificate it got. Hosts of one site share a certificate, so a
/// connection may carry requests for any of them (HTTP/2 connection reuse).
fn misdirected(table: &Table, certs: &CertStore, sni: Option<&str>, site: &Arc<SiteEntry>) -> bool {
    let named = match sni {
        Some(name) => Some(name.to_owned()),
        None => certs.default_host.load().as_ref().clone(),
    };
    match named.as_deref().and_then(|name| table.site(name)) {
        Some(connected) => !Arc::ptr_eq(connected, site),
        None => true,
    }
}

async fn acme_answer(
    shared: &Shared,
    acme: Option<&crate::config::Acme>,
    token: &str,
) -> Response<ProxyBody> {
    let mine = shared.http01.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(token).cloned();
    let answer = match (mine, acme) {
        (Some(answer), _) => Some(answer),
        // Another instance may have ordered: its answer is in the shared folder.
        (None, Some(acme)) => crate::store::Store::at(&acme.storage).http01(token).await,
        (None, None) => None,
    };
    match answer {
        Some(answer) => error::text(StatusCode::OK, answer),
        None => ProxyError::NoRoute.into_response(),
    }
}

fn redirect_to_https(
    path: &CanonicalPath,
    query: Option<&str>,
    host: &HeaderValue,
    port: u16,
) -> Response<ProxyBody> {
    let host = host.to_str().map(crate::routes::normal_host).unwrap_or_default();
    let port = if port == 443 { String::new() } else { format!(":{port}") };
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    let target = format!("https://{host}{port}{path}{query}");
    let mut response = error::text(StatusCode::PERMANENT_REDIRECT, format!("Moved to {target}\n"));
    match HeaderValue::from_str(&target) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => ProxyError::BadRequest("unusable path").into_response(),
    }
}

fn upgrade_protocol(request: &Request<Incoming>) -> Option<HeaderValue> {
    if request.version() != Version::HTTP_11 {
        return None;
    }
    let wants = request
        .headers()
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    wants.then(|| request.headers().get(header::UPGRADE).cloned()).flatten()
}

async fn forward(
    shared: &Shared,
    limits: &crate::config::Limits,
    site: &SiteEntry,
    target: &Target,
    mut request: Request<Incoming>,
    upstream_label: &mut Option<String>,
) -> Result<Response<ProxyBody>, ProxyError> {
    if let Some(groups) = site.required_groups(&target.path) {
        let gate =
            shared.gate.load_full().ok_or(ProxyError::Denied(crate::access::Denied::KeysUnavailable))?;
        gate.check(request.headers(), groups).await.map_err(ProxyError::Denied)?;
    }
    let pool = site.pool(&target.path).ok_or(ProxyError::NoRoute)?;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_body_bytes) {
        return Err(ProxyError::BodyTooLarge);
    }
    let upgrade = upgrade_protocol(&request);
    let client_upgrade = upgrade.as_ref().map(|_| hyper::upgrade::on(&mut request));
    let (mut parts, body) = request.into_parts();
    headers::strip_hop_by_hop(&mut parts.headers);
    if let Some(protocol) = &upgrade {
        parts.headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, protocol.clone());
    }
    // The host routed by, never a second one the client sent (RFC 9112 §3.2.2).
    parts.headers.insert(header::HOST, target.host.clone());
    // The path the rules saw; the query as sent.
    let path_and_query = match parts.uri.query() {
        Some(query) => format!("{}?{query}", target.path),
        None => target.path.to_string(),
    };
    // Without a body the request can be sent again, to another upstream, if one is down.
    let replayable = body.is_end_stream() && is_idempotent(&parts.method);
    let mut body =
        Some(Limited::new(body, usize::try_from(limits.max_body_bytes).unwrap_or(usize::MAX)).boxed());
    let mut tried = Vec::new();
    loop {
        let lease = pool.pick(&tried).ok_or(ProxyError::UpstreamUnavailable)?;
        tried.push(lease.index);
        *upstream_label = Some(lease.upstream.authority.to_string());
        let uri = Uri::builder()
            .scheme("http")
            .authority(lease.upstream.authority.clone())
            .path_and_query(path_and_query.as_str())
            .build()
            .map_err(|_| ProxyError::BadRequest("unusable path"))?;
        let this_body = if replayable {
            Empty::new().map_err(|never| match never {}).boxed()
        } else {
            body.take().ok_or(ProxyError::UpstreamUnavailable)?
        };
        let mut upstream_request = Request::new(this_body);
        *upstream_request.method_mut() = parts.method.clone();
        *upstream_request.uri_mut() = uri;
        *upstream_request.version_mut() = Version::HTTP_11;
        *upstream_request.headers_mut() = parts.headers.clone();
        let sent =
            tokio::time::timeout(limits.upstream_response_timeout(), shared.client.request(upstream_request))
                .await;
        let result = match sent {
            Err(_) => return Err(ProxyError::UpstreamTimeout),
            Ok(result) => result,
        };
        match result {
            Ok(response) => {
                drop(lease);
                return Ok(respond(response, client_upgrade, upgrade.is_some()));
            }
            Err(error) => {
                if is_body_too_large(&error) {
                    return Err(ProxyError::BodyTooLarge);
                }
                tracing::warn!(upstream = %lease.upstream.authority, error = %error_chain(&error), "upstream failed");
                if error.is_connect() {
                    pool.eject(&lease.upstream, &shared.metrics);
                }
                if !(replayable && tried.len() < pool.upstreams.len()) {
                    return Err(ProxyError::UpstreamUnavailable);
                }
            }
        }
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

fn is_body_too_large(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = e.source();
    }
    false
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(e) = current {
        text.push_str(": ");
        text.push_str(&e.to_string());
        current = e.source();
    }
    text
}

fn respond(
    response: Response<Incoming>,
    client_upgrade: Option<hyper::upgrade::OnUpgrade>,
    upgrading: bool,
) -> Response<ProxyBody> {
    let switching = upgrading && response.status() == StatusCode::SWITCHING_PROTOCOLS;
    let mut response = response;
    let protocol = response.headers().get(header::UPGRADE).cloned();
    if switching && let Some(client_upgrade) = client_upgrade {
        let upstream_upgrade = hyper::upgrade::on(&mut response);
        tokio::spawn(async move {
            match tokio::try_join!(client_upgrade, upstream_upgrade) {
                Ok((client, upstream)) => {
                    let mut client = TokioIo::new(client);
                    let mut upstream = TokioIo::new(upstream);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
                Err(error) => tracing::warn!(%error, "upgrade failed"),
            }
        });
    }
    let (mut parts, body) = response.into_parts();
    headers::strip_hop_by_hop(&mut parts.headers);
    if switching {
        parts.headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        if let Some(protocol) = protocol {
            parts.headers.insert(header::UPGRADE, protocol);
        }
    }
    Response::from_parts(parts, body.map_err(BoxError::from).boxed())
}

/// Active health check: any answer below 500 within the interval counts as healthy.
pub async fn probe(shared: &Shared, authority: &http::uri::Authority, path: &str, within: Duration) -> bool {
    let Ok(uri) = Uri::builder().scheme("http").authority(authority.clone()).path_and_query(path).build()
    else {
        return false;
    };
    let mut request = Request::new(Empty::new().map_err(|never| match never {}).boxed());
    *request.uri_mut() = uri;
    if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
        request.headers_mut().insert(header::HOST, host);
    }
    matches!(
        tokio::time::timeout(within, shared.client.request(request)).await,
        Ok(Ok(response)) if response.status().as_u16() < 500
    )
}
