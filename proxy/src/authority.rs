// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Which host a request is for, from the one place that may say it. A leaf module.
//!
//! A request names its host in the target (HTTP/1.1 absolute-form `GET http://a.test/ …`,
//! HTTP/2 `:authority`) or in `Host`. If the proxy routed by one and forwarded the other, the
//! upstream would serve a site the routing, the access rules and the TLS certificate never
//! looked at. So (RFC 9112 §3.2, §3.2.2; RFC 9113 §8.3.1):
//! - more than one `Host`, an unusable one (user info, bad port) or none: 400;
//! - a target authority and a `Host` that name different hosts or ports (default ports by the
//!   connection: 443 with TLS, else 80): 400;
//! - the upstream always gets `Host` set to the authority the request was routed by, never a
//!   second one the client sent.

use http::header::{self, HeaderMap, HeaderValue};
use http::uri::{Authority, Uri};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// Lowercase host name without port or trailing dot: what sites are looked up by.
    pub name: String,
    /// The `Host` header the upstream is sent: `name`, with the port if the client gave one.
    pub header: HeaderValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    NoHost,
    SeveralHosts,
    Unusable,
    Differ,
}

impl Rejected {
    pub fn reason(self) -> &'static str {
        match self {
            Self::NoHost => "no host named",
            Self::SeveralHosts => "more than one Host header",
            Self::Unusable => "unusable host",
            Self::Differ => "the Host header and the request target name different hosts",
        }
    }
}

struct Named {
    name: String,
    port: Option<u16>,
}

fn parse(authority: &Authority) -> Result<Named, Rejected> {
    if authority.as_str().contains('@') {
        return Err(Rejected::Unusable);
    }
    // `Authority::port` hides a port that is not a u16 (`a.test:99999`): read the text.
    let port = match authority.as_str().get(authority.host().len()..) {
        Some("") => None,
        Some(rest) => {
            let digits = rest.strip_prefix(':').ok_or(Rejected::Unusable)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Rejected::Unusable);
            }
            Some(digits.parse::<u16>().map_err(|_| Rejected::Unusable)?)
        }
        None => return Err(Rejected::Unusable),
    };
    let name = authority.host().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return Err(Rejected::Unusable);
    }
    Ok(Named { name, port })
}

/// The host a request is routed by, or why it has none we can trust.
pub fn routed(uri: &Uri, headers: &HeaderMap, tls: bool) -> Result<Routed, Rejected> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let host_header = hosts.next();
    if hosts.next().is_some() {
        return Err(Rejected::SeveralHosts);
    }
    let from_header = host_header
        .map(|value| {
            Authority::try_from(value.as_bytes()).map_err(|_| Rejected::Unusable).and_then(|a| parse(&a))
        })
        .transpose()?;
    let from_target = uri.authority().map(parse).transpose()?;
    let default_port = if tls { 443 } else { 80 };
    let named = match (from_target, from_header) {
        (Some(target), Some(host)) => {
            if target.name != host.name
                || target.port.unwrap_or(default_port) != host.port.unwrap_or(default_port)
            {
                return Err(Rejected::Differ);
            }
            target
        }
        (Some(only), None) | (None, Some(only)) => only,
        (None, None) => return Err(Rejected::NoHost),
    };
    let text = match named.port {
        Some(port) => format!("{}:{port}", named.name),
        None => named.name.clone(),
    };
    let header = HeaderValue::from_str(&text).map_err(|_| Rejected::Unusable)?;
    Ok(Routed { name: named.name, header })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn request(target: &str, hosts: &[&str]) -> (Uri, HeaderMap) {
        let mut headers = HeaderMap::new();
        for host in hosts {
            headers.append(header::HOST, HeaderValue::from_str(host).unwrap());
        }
        (target.parse().unwrap(), headers)
    }

    #[test]
    fn the_upstream_gets_the_host_the_request_was_routed_by() {
        let cases = [
            // (target, Host headers, TLS, routed name, Host sent upstream)
            ("/x", &["my.test"][..], false, "my.test", "my.test"),
            ("/x", &["MY.Test.:8443"][..], true, "my.test", "my.test:8443"),
            ("http://my.test/x", &[][..], false, "my.test", "my.test"),
            ("http://my.test/x", &["my.test"][..], false, "my.test", "my.test"),
            ("http://My.Test/x", &["my.test:80"][..], false, "my.test", "my.test"),
            ("https://my.test:443/x", &["my.test"][..], true, "my.test", "my.test:443"),
            ("/x", &["[::1]:8080"][..], false, "[::1]", "[::1]:8080"),
        ];
        for (target, hosts, tls, name, header) in cases {
            let (uri, headers) = request(target, hosts);
            let routed = routed(&uri, &headers, tls).unwrap();
            assert_eq!(
                (routed.name.as_str(), routed.header.to_str().unwrap()),
                (name, header),
                "{target} {hosts:?}"
            );
        }
    }

    #[test]
    fn conflicting_or_unusable_hosts_are_refused() {
        use Rejected::*;
        let cases = [
            ("http://a.test/x", &["b.test"][..], false, Differ),
            ("http://a.test/x", &["a.test:8080"][..], false, Differ),
            ("http://a.test:8080/x", &["a.test"][..], false, Differ),
            ("https://a.test/x", &["a.test:80"][..], true, Differ),
            ("http://a.test/x", &["a.test.evil.test"][..], false, Differ),
            ("/x", &["a.test", "b.test"][..], false, SeveralHosts),
            ("/x", &["a.test", "a.test"][..], false, SeveralHosts),
            ("/x", &["user@a.test"][..], false, Unusable),
            ("/x", &["a.test:99999"][..], false, Unusable),
            ("/x", &["a.test:"][..], false, Unusable),
            ("/x", &["a.test:+80"][..], false, Unusable),
            ("/x", &["a.test/evil"][..], false, Unusable),
            ("/x", &[""][..], false, Unusable),
            ("/x", &[][..], false, NoHost),
        ];
        for (target, hosts, tls, why) in cases {
            let (uri, headers) = request(target, hosts);
            assert_eq!(routed(&uri, &headers, tls), Err(why), "{target} {hosts:?}");
        }
    }
}
