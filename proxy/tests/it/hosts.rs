// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Which host a request is for: the target's authority and `Host` must agree and the upstream
//! gets the routed one; a TLS connection made (by SNI) for one site cannot carry requests for
//! another (421).

use crate::*;
use rustls::pki_types::ServerName;
use rustls::pki_types::pem::PemObject;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Two sites with one certificate covering both (as a SAN certificate would), so a client
/// could be tempted to reuse a connection for the other.
async fn two_sites(a: &Upstream, b: &Upstream, tls: &str) -> (Proxy, Certs) {
    let certs = certs(&["a.test", "www.a.test", "b.test"]);
    let certificate = format!(
        "certificate = {{ cert_file = \"{}\", key_file = \"{}\" }}",
        certs.cert().display(),
        certs.key().display()
    );
    let proxy = start(&listen_any(&format!(
        r#"
        [tls]
        redirect_http = false
        {tls}
        [[site]]
        hosts = ["a.test", "www.a.test"]
        {certificate}
        [[site.route]]
        upstreams = ["{}"]
        [[site]]
        hosts = ["b.test"]
        {certificate}
        [[site.route]]
        upstreams = ["{}"]
        "#,
        a.url, b.url
    )))
    .await;
    (proxy, certs)
}

fn status(answer: &str) -> &str {
    answer.split(' ').nth(1).unwrap_or("none")
}

fn body(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[tokio::test]
async fn a_host_header_that_disagrees_with_the_target_is_refused() {
    let (a, b) = (upstream("a").await, upstream("b").await);
    let (proxy, _certs) = two_sites(&a, &b, "").await;
    let http = proxy.http_addr.unwrap();
    let refused = [
        "GET http://a.test/headers HTTP/1.1\r\nHost: b.test\r\n",
        "GET http://b.test/headers HTTP/1.1\r\nHost: a.test\r\n",
        "GET http://a.test/headers HTTP/1.1\r\nHost: a.test:8080\r\n",
        "GET http://a.test:8080/headers HTTP/1.1\r\nHost: a.test\r\n",
        "GET http://a.test/headers HTTP/1.1\r\nHost: a.test.b.test\r\n",
        "GET /headers HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n",
        "GET /headers HTTP/1.1\r\nHost: b.test\r\nHost: a.test\r\n",
        "GET /headers HTTP/1.1\r\nHost: x@a.test\r\n",
        "GET /headers HTTP/1.1\r\n",
    ];
    for head in refused {
        let answer = raw(http, format!("{head}Connection: close\r\n\r\n").as_bytes()).await;
        assert_eq!(status(&answer), "400", "{head:?}: {answer}");
        assert!(!body(&answer).contains("upstream"), "{head:?} reached an upstream: {answer}");
    }
    // Agreeing spellings pass, and the upstream gets the routed host, lowercased.
    let passed = [
        ("GET http://a.test/headers HTTP/1.1\r\nHost: a.test\r\n", "a", "a.test"),
        ("GET http://A.Test/headers HTTP/1.1\r\nHost: a.test.\r\n", "a", "a.test"),
        ("GET http://a.test/headers HTTP/1.1\r\nHost: a.test:80\r\n", "a", "a.test"),
        ("GET http://b.test/headers HTTP/1.1\r\n", "b", "b.test"),
        ("GET /headers HTTP/1.1\r\nHost: B.TEST\r\n", "b", "b.test"),
    ];
    for (head, name, host) in passed {
        let answer = raw(http, format!("{head}Connection: close\r\n\r\n").as_bytes()).await;
        assert_eq!(status(&answer), "200", "{head:?}: {answer}");
        let seen: serde_json::Value = serde_json::from_str(body(&answer)).unwrap();
        assert_eq!(
            (seen["upstream"].as_str(), seen["headers"]["host"].as_str()),
            (Some(name), Some(host)),
            "{head:?}"
        );
    }
}

/// An HTTP/1.1 request over TLS with the given SNI (none: no SNI extension), raw.
async fn over_tls(proxy: &Proxy, ca_pem: &str, sni: Option<&str>, head: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    let ca = rustls::pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap();
    roots.add(ca).unwrap();
    let mut config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.enable_sni = sni.is_some();
    // Without SNI the certificate is still checked, for the default host.
    let name = ServerName::try_from(sni.unwrap_or("a.test").to_owned()).unwrap();
    let tcp = tokio::net::TcpStream::connect(proxy.https_addr.unwrap()).await.unwrap();
    let mut stream = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap();
    stream.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_tls_connection_made_for_one_site_cannot_carry_requests_for_another() {
    let (a, b) = (upstream("a").await, upstream("b").await);
    let (proxy, certs) = two_sites(&a, &b, "default_host = \"a.test\"").await;
    let cases = [
        // (SNI, Host, status, upstream)
        (Some("a.test"), "a.test", "200", Some("a")),
        (Some("a.test"), "www.a.test", "200", Some("a")),
        (Some("b.test"), "b.test", "200", Some("b")),
        (Some("a.test"), "b.test", "421", None),
        (Some("a.test"), "B.Test.", "421", None),
        (Some("b.test"), "a.test", "421", None),
        (Some("b.test"), "www.a.test", "421", None),
        (Some("www.a.test"), "b.test:443", "421", None),
        // No SNI: the connection got `tls.default_host`'s certificate and is for its site only.
        (None, "a.test", "200", Some("a")),
        (None, "www.a.test", "200", Some("a")),
        (None, "b.test", "421", None),
    ];
    for (sni, host, expected, upstream) in cases {
        let answer =
            over_tls(&proxy, &certs.ca_pem, sni, &format!("GET /headers HTTP/1.1\r\nHost: {host}\r\n")).await;
        assert_eq!(status(&answer), expected, "SNI {sni:?}, Host {host}: {answer}");
        match upstream {
            Some(name) => {
                let seen: serde_json::Value = serde_json::from_str(body(&answer)).unwrap();
                assert_eq!(seen["upstream"], name, "SNI {sni:?}, Host {host}");
            }
            None => assert!(body(&answer).contains("another host name"), "{answer}"),
        }
    }
    // HTTP/2 (`:authority`) goes through the same check.
    let client = client(&certs.ca_pem, &proxy, &["a.test", "b.test"]);
    let ok = client.get(https(&proxy, "a.test", "/x")).send().await.unwrap();
    assert_eq!((ok.version(), ok.status().as_u16()), (reqwest::Version::HTTP_2, 200));
    for host in ["b.test", "www.a.test"] {
        let other = client.get(https(&proxy, "a.test", "/x")).header("host", host).send().await.unwrap();
        assert_eq!(other.version(), reqwest::Version::HTTP_2);
        assert_eq!(other.status().as_u16(), 400, "`:authority` a.test with Host {host}");
    }
}
