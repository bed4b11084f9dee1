// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The address a request really comes from, for throttling. The throttle then counts it by
//! network (`domain::throttle::network`: IPv6 by /64, IPv4-mapped IPv6 as IPv4).

use http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The peer address, or, when the peer is a trusted proxy, the last address in
/// `X-Forwarded-For` that is not itself a trusted proxy. Entries before that were written by
/// the client and prove nothing.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let from_proxy = SocketAddr::new(proxy, 4000);
        let stranger = SocketAddr::new("203.0.113.9".parse().unwrap(), 4000);
        let spoofed = headers("198.51.100.1, 192.0.2.7");
        assert_eq!(resolve(stranger, &spoofed, &[proxy]).to_string(), "203.0.113.9");
        assert_eq!(resolve(from_proxy, &spoofed, &[proxy]).to_string(), "192.0.2.7");
        assert_eq!(resolve(from_proxy, &headers("192.0.2.7, 10.0.0.1"), &[proxy]).to_string(), "192.0.2.7");
        assert_eq!(resolve(from_proxy, &headers("garbage"), &[proxy]), proxy);
        assert_eq!(resolve(from_proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}
