// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Header rewriting between client and upstream: hop-by-hop headers (RFC 9110 §7.6.1) are
//! dropped, and `X-Forwarded-For/Proto/Host`, `Forwarded` (RFC 7239) and `X-Request-Id` are
//! believed only from trusted proxies; from anyone else they are replaced.

use http::HeaderMap;
use http::header::{self, HeaderName, HeaderValue};
use ipnet::IpNet;
use std::net::IpAddr;

pub static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static FORWARDED: HeaderName = HeaderName::from_static("forwarded");
static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

/// Drops hop-by-hop headers and every header the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        &header::CONNECTION,
        &KEEP_ALIVE,
        &PROXY_CONNECTION,
        &header::PROXY_AUTHENTICATE,
        &header::PROXY_AUTHORIZATION,
        &header::TE,
        &header::TRAILER,
        &header::TRANSFER_ENCODING,
        &header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

pub struct Hop<'a> {
    pub peer: IpAddr,
    pub trusted: &'a [IpNet],
    /// `https` or `http`: how the client reached us.
    pub proto: &'static str,
    /// The host the client asked for.
    pub host: &'a str,
}

impl Hop<'_> {
    pub fn peer_trusted(&self) -> bool {
        self.trusted.iter().any(|net| net.contains(&self.peer))
    }

    /// Sets the forwarding headers on a request going upstream.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let trusted = self.peer_trusted();
        let peer = self.peer.to_string();
        let chain = match headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
            Some(earlier) if trusted => format!("{earlier}, {peer}"),
            _ => peer.clone(),
        };
        set(headers, &X_FORWARDED_FOR, &chain);
        if !trusted || !headers.contains_key(&X_FORWARDED_PROTO) {
            set(headers, &X_FORWARDED_PROTO, self.proto);
        }
        if !trusted || !headers.contains_key(&X_FORWARDED_HOST) {
            set(headers, &X_FORWARDED_HOST, self.host);
        }
        let node = match self.peer {
            IpAddr::V6(v6) => format!("\"[{v6}]\""),
            IpAddr::V4(v4) => v4.to_string(),
        };
        let host = self.host.replace(['"', '\\'], "");
        let element = format!("for={node};proto={};host=\"{host}\"", self.proto);
        let forwarded = match headers.get(&FORWARDED).and_then(|v| v.to_str().ok()) {
            Some(earlier) if trusted => format!("{earlier}, {element}"),
            _ => element,
        };
        set(headers, &FORWARDED, &forwarded);
    }

    /// The request id: a trusted proxy's if it sent a sane one, else a new one.
    pub fn request_id(&self, headers: &HeaderMap) -> HeaderValue {
        if self.peer_trusted()
            && let Some(value) = headers.get(&X_REQUEST_ID)
            && value.len() <= 128
            && value.as_bytes().iter().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
        {
            return value.clone();
        }
        HeaderValue::from_str(&next_request_id()).unwrap_or(HeaderValue::from_static("unknown"))
    }
}

/// A random per-process prefix and a counter: unique across instances and restarts without a
/// system call per request (a v4 UUID costs a getrandom call each). Ids are not secrets.
fn next_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    format!("{prefix:016x}{:016x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn set(headers: &mut HeaderMap, name: &HeaderName, value: &str) {
    // Every value here is built from an IP address, a fixed word or a Host header that
    // already was a valid header value; a failure would only drop the header.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name.clone(), value);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let mut h = headers(&[
            ("connection", "keep-alive, x-secret"),
            ("x-secret", "1"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("upgrade", "h2c"),
            ("proxy-authorization", "Basic eA=="),
            ("accept", "text/html"),
        ]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("accept"));
    }

    #[test]
    fn forwarding_headers_from_strangers_are_replaced() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "bank.example"),
            ("forwarded", "for=1.2.3.4"),
            ("x-request-id", "chosen-by-attacker"),
        ]);
        let hop = Hop {
            peer: "192.0.2.7".parse().unwrap(),
            trusted: &trusted,
            proto: "http",
            host: "my.example.org",
        };
        let id = hop.request_id(&h);
        hop.apply(&mut h);
        assert_eq!(h["x-forwarded-for"], "192.0.2.7");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-forwarded-host"], "my.example.org");
        assert_eq!(h["forwarded"], "for=192.0.2.7;proto=http;host=\"my.example.org\"");
        assert_ne!(id, "chosen-by-attacker");
        assert_eq!(id.len(), 32);
    }

    #[test]
    fn trusted_proxies_are_extended() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let mut h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=203.0.113.9"),
            ("x-request-id", "abc-123"),
        ]);
        let hop =
            Hop { peer: "::1".parse().unwrap(), trusted: &trusted, proto: "http", host: "my.example.org" };
        assert_eq!(hop.request_id(&h), "abc-123");
        hop.apply(&mut h);
        assert_eq!(h["x-forwarded-for"], "203.0.113.9, ::1");
        assert_eq!(h["x-forwarded-proto"], "https");
        assert_eq!(h["forwarded"], "for=203.0.113.9, for=\"[::1]\";proto=http;host=\"my.example.org\"");
        let mut bad = headers(&[("x-request-id", "a b\"c")]);
        assert_ne!(hop.request_id(&bad), "a b\"c");
        hop.apply(&mut bad);
    }
}
