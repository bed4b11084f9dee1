// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Routing, headers, TLS, HTTP/2, load balancing, upgrades and body limits over real sockets.

use crate::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn two_sites(my: &Upstream, api: &Upstream, extra: &str) -> (Proxy, Certs) {
    let certs = certs(&["my.test"]);
    let text = listen_any(&format!(
        r#"
        [limits]
        max_body_bytes = 1000
        {extra}
        [[site]]
        hosts = ["my.test"]
        certificate = {{ cert_file = "{}", key_file = "{}" }}
        [[site.route]]
        upstreams = ["{}"]
        [[site.route]]
        path = "/api"
        upstreams = ["{}"]
        [[site]]
        hosts = ["plain.test"]
        [[site.route]]
        upstreams = ["{}"]
        "#,
        certs.cert().display(),
        certs.key().display(),
        my.url,
        api.url,
        my.url,
    ));
    (start(&text).await, certs)
}

#[tokio::test]
async fn https_requests_reach_the_upstream_with_honest_forwarding_headers() {
    let (my, api) = (upstream("my").await, upstream("api").await);
    let (proxy, certs) = two_sites(&my, &api, "").await;
    let client = client(&certs.ca_pem, &proxy, &["my.test"]);
    let response = client
        .get(https(&proxy, "my.test", "/headers?q=1"))
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-forwarded-host", "bank.example")
        .header("x-request-id", "forged")
        .header("connection", "x-secret")
        .header("x-secret", "hop-only")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2, "ALPN offers h2");
    let hsts = response.headers()["strict-transport-security"].to_str().unwrap().to_owned();
    assert_eq!(hsts, "max-age=31536000");
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(!response.headers().contains_key("x-upstream-secret"), "hop-by-hop from upstream dropped");
    let seen = json(response).await;
    let headers = &seen["headers"];
    assert_eq!(seen["upstream"], "my");
    assert_eq!(seen["uri"], "/headers?q=1");
    assert_eq!(headers["x-forwarded-for"], "127.0.0.1", "a stranger's X-Forwarded-For is replaced");
    assert_eq!(headers["x-forwarded-proto"], "https");
    assert_eq!(headers["x-forwarded-host"], "my.test");
    assert_eq!(headers["forwarded"], "for=127.0.0.1;proto=https;host=\"my.test\"");
    assert_eq!(headers["x-request-id"], request_id.as_str());
    assert_ne!(request_id, "forged");
    assert!(headers["host"].as_str().unwrap().starts_with("my.test"), "{headers}");
    assert!(headers.get("x-secret").is_none(), "headers named by Connection are not forwarded");

    let api_answer = client.get(https(&proxy, "my.test", "/api/v1")).send().await.unwrap();
    assert_eq!(api_answer.text().await.unwrap(), "api /api/v1");
    let not_api = client.get(https(&proxy, "my.test", "/apix")).send().await.unwrap();
    assert_eq!(not_api.text().await.unwrap(), "my /apix");
    proxy.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test]
async fn plain_http_redirects_to_https_except_acme_and_sites_without_certificates() {
    let (my, api) = (upstream("my").await, upstream("api").await);
    let (proxy, _certs) = two_sites(&my, &api, "[tls]\nhsts_max_age_secs = 0\n").await;
    let http = proxy.http_addr.unwrap();
    let answer = raw(
        http,
        b"POST /register?x=1 HTTP/1.1\r\nHost: my.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 308"), "{answer}");
    let port = proxy.https_addr.unwrap().port();
    assert!(
        answer.to_ascii_lowercase().contains(&format!("location: https://my.test:{port}/register?x=1")),
        "{answer}"
    );
    let acme = raw(
        http,
        b"GET /.well-known/acme-challenge/unknown HTTP/1.1\r\nHost: my.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(acme.starts_with("HTTP/1.1 404"), "unknown tokens are not redirected: {acme}");
    let plain = raw(http, b"GET /x HTTP/1.1\r\nHost: plain.test\r\nConnection: close\r\n\r\n").await;
    assert!(plain.starts_with("HTTP/1.1 200") && plain.ends_with("my /x"), "{plain}");
    assert!(!plain.to_ascii_lowercase().contains("strict-transport-security"), "no HSTS over plain HTTP");
    let unknown = raw(http, b"GET / HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n").await;
    assert!(unknown.starts_with("HTTP/1.1 421"), "{unknown}");
    let hostless = raw(http, b"GET / HTTP/1.0\r\n\r\n").await;
    assert!(hostless.starts_with("HTTP/1.0 400") || hostless.starts_with("HTTP/1.1 400"), "{hostless}");
}

#[tokio::test]
async fn load_is_spread_and_a_dead_upstream_is_skipped_without_failing_requests() {
    let (a, b) = (upstream("a").await, upstream("b").await);
    let dead = closed_port().await;
    let text = listen_any(&format!(
        "[[site]]\nhosts = [\"lb.test\"]\n[[site.route]]\nupstreams = [\"{}\", \"{}\", \"http://{dead}\"]\n",
        a.url, b.url
    ));
    let proxy = start(&text).await;
    let http = proxy.http_addr.unwrap();
    let mut seen = Vec::new();
    for _ in 0..9 {
        let answer = raw(http, b"GET /who HTTP/1.1\r\nHost: lb.test\r\nConnection: close\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "every GET succeeds, retried elsewhere: {answer}");
        seen.push(answer.rsplit("\r\n\r\n").next().unwrap().to_owned());
    }
    assert!(seen.contains(&"a /who".to_owned()) && seen.contains(&"b /who".to_owned()), "{seen:?}");
    // A request with a body is not replayed: when its upstream is down it fails clearly.
    let only_dead = listen_any(&format!(
        "[[site]]\nhosts = [\"down.test\"]\n[[site.route]]\nupstreams = [\"http://{dead}\"]\n"
    ));
    let proxy = start(&only_dead).await;
    let answer = raw(
        proxy.http_addr.unwrap(),
        b"POST /x HTTP/1.1\r\nHost: down.test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 502"), "{answer}");
    assert!(answer.contains("not reachable"), "{answer}");
    let metrics = reqwest::get(format!("http://{}/metrics", proxy.admin_addr.unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains(&format!("proxy_upstream_up{{upstream=\"{dead}\"}} 0")), "{metrics}");
}

#[tokio::test]
async fn upgrades_are_passed_through_both_ways() {
    let (my, api) = (upstream("my").await, upstream("api").await);
    let (proxy, _certs) = two_sites(&my, &api, "").await;
    let mut stream = tokio::net::TcpStream::connect(proxy.http_addr.unwrap()).await.unwrap();
    stream
        .write_all(
            b"GET /upgrade HTTP/1.1\r\nHost: plain.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = vec![0u8; 1024];
    let n = stream.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: echo"), "{head}");
    for message in ["ping", "second message"] {
        stream.write_all(message.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; message.len()];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, message.as_bytes());
    }
}

#[tokio::test]
async fn bodies_stream_through_and_oversized_ones_are_refused() {
    let (my, api) = (upstream("my").await, upstream("api").await);
    let (proxy, certs) = two_sites(&my, &api, "").await;
    let client = client(&certs.ca_pem, &proxy, &["my.test"]);
    let ok = client.post(https(&proxy, "my.test", "/count")).body(vec![b'x'; 1000]).send().await.unwrap();
    assert_eq!(ok.text().await.unwrap(), "1000");
    let declared =
        client.post(https(&proxy, "my.test", "/count")).body(vec![b'x'; 1001]).send().await.unwrap();
    assert_eq!(declared.status(), 413);
    // Chunked, without a length: cut off while streaming.
    let chunks = futures_chunks(3, 600);
    let streamed = client
        .post(https(&proxy, "my.test", "/count"))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 413);
}

fn futures_chunks(
    n: usize,
    size: usize,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::iter((0..n).map(move |_| Ok(vec![b'y'; size])))
}
