// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The address a request really comes from, for throttling: the connecting peer, or, when the
//! peer is a trusted reverse proxy, the nearest `X-Forwarded-For` hop that is not one.
//!
//! [`remember`] is a middleware that works it out once per request and leaves it in the
//! request's extensions as [`ClientAddress`], so plain routes (`Extension<ClientAddress>`) and
//! server functions (`leptos_axum::extract`) read the same value. It needs the server to be
//! served with `into_make_service_with_connect_info::<SocketAddr>()`; without the peer address
//! (a router driven by `oneshot` in a test) no `ClientAddress` is set and [`ClientAddress::of`]
//! answers the unspecified address, one shared bucket.
//!
//! The idp has its own copy (`idp/src/client_address.rs`) for now; both follow the same rule.

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// Addresses of the reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Arc<[IpAddr]>);

/// Where the request comes from, as [`resolve`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The address kept in these extensions, or the unspecified address when none was.
    pub fn of(extensions: &http::Extensions) -> IpAddr {
        extensions.get::<ClientAddress>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0)
    }
}

/// The peer address, or, when the peer is a trusted proxy, the last address in
/// `X-Forwarded-For` that is not itself a trusted proxy. Entries before that were written by
/// the client and prove nothing; a malformed entry stops the walk at the peer.
pub fn resolve(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.ip().to_canonical();
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip.to_canonical()) => continue,
            Ok(ip) => return ip.to_canonical(),
            Err(_) => return peer,
        }
    }
    peer
}

/// Middleware: works out the client address and keeps it in the request's extensions.
pub async fn remember(State(trusted): State<TrustedProxies>, mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let address = resolve(peer, request.headers(), &trusted.0);
        request.extensions_mut().insert(ClientAddress(address));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn at(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 4000)
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let spoofed = headers(&["198.51.100.1, 192.0.2.7"]);
        assert_eq!(resolve(at("203.0.113.9"), &spoofed, &[proxy]).to_string(), "203.0.113.9");
        assert_eq!(resolve(at("203.0.113.9"), &spoofed, &[]).to_string(), "203.0.113.9");
        assert_eq!(resolve(at("10.0.0.1"), &spoofed, &[proxy]).to_string(), "192.0.2.7");
        assert_eq!(
            resolve(at("10.0.0.1"), &headers(&["192.0.2.7, 10.0.0.1"]), &[proxy]).to_string(),
            "192.0.2.7"
        );
        // Two header lines are one list; the client's own first line proves nothing.
        assert_eq!(
            resolve(at("10.0.0.1"), &headers(&["1.1.1.1", "192.0.2.8"]), &[proxy]).to_string(),
            "192.0.2.8"
        );
    }

    #[test]
    fn hostile_forwarded_headers_fall_back_to_the_peer() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        for hostile in ["garbage", "192.0.2.7:80", "[2001:db8::1]", "", " , ", "192.0.2.7, nonsense"] {
            assert_eq!(resolve(at("10.0.0.1"), &headers(&[hostile]), &[proxy]), proxy, "{hostile:?}");
        }
        assert_eq!(resolve(at("10.0.0.1"), &HeaderMap::new(), &[proxy]), proxy);
        // Only proxies in the chain: the nearest is all we know.
        assert_eq!(resolve(at("10.0.0.1"), &headers(&["10.0.0.1"]), &[proxy]), proxy);
    }

    #[test]
    fn mapped_ipv6_peers_and_hops_are_their_ipv4_selves() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(
            resolve(at("::ffff:10.0.0.1"), &headers(&["::ffff:192.0.2.7"]), &[proxy]).to_string(),
            "192.0.2.7"
        );
        assert_eq!(resolve(at("::ffff:203.0.113.9"), &HeaderMap::new(), &[]).to_string(), "203.0.113.9");
    }
}
