// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Hostile clients and failing upstreams: the proxy answers clearly and keeps serving.

use crate::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn plain_site(upstream_url: &str, limits: &str) -> Proxy {
    start(&listen_any(&format!(
        "[limits]\n{limits}\n[[site]]\nhosts = [\"app.test\"]\n[[site.route]]\nupstreams = [\"{upstream_url}\"]\n"
    )))
    .await
}

#[tokio::test]
async fn malformed_requests_and_header_floods_get_4xx_and_the_proxy_keeps_serving() {
    let up = upstream("up").await;
    let proxy = plain_site(&up.url, "max_headers = 50").await;
    let http = proxy.http_addr.unwrap();
    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: app.test\r\nBad Header\r\n\r\n"[..],
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
        b"GET /\x01 HTTP/1.1\r\nHost: app.test\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
    ] {
        let answer = raw(http, garbage).await;
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 400"), "{garbage:?} → {answer}");
    }
    let mut flood = String::from("GET / HTTP/1.1\r\nHost: app.test\r\n");
    for i in 0..200 {
        flood.push_str(&format!("x-h{i}: v\r\n"));
    }
    flood.push_str("\r\n");
    let answer = raw(http, flood.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    let huge = format!("GET / HTTP/1.1\r\nHost: app.test\r\nx-big: {}\r\n\r\n", "a".repeat(200_000));
    let answer = raw(http, huge.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431") || answer.is_empty(), "{}", &answer[..answer.len().min(200)]);
    let fine = raw(http, b"GET /still HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n").await;
    assert!(fine.ends_with("up /still"), "{fine}");
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    let up = upstream("up").await;
    let proxy = plain_site(&up.url, "header_timeout_ms = 300").await;
    let mut stream = tokio::net::TcpStream::connect(proxy.http_addr.unwrap()).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: app.test\r\n").await.unwrap();
    // Trickle a header byte by byte, never finishing the head.
    let mut closed = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream.write_all(b"x").await.is_err() {
            closed = true;
            break;
        }
    }
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed || matches!(read, Ok(Ok(_)) | Ok(Err(_))), "the proxy closed the slow connection");
    let text = String::from_utf8_lossy(&rest);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
}

#[tokio::test]
async fn an_upstream_that_never_answers_gives_504_and_one_that_resets_mid_body_is_not_passed_off_as_complete()
{
    // Accepts connections and says nothing.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let proxy = plain_site(&format!("http://{silent_addr}"), "upstream_response_timeout_ms = 300").await;
    let answer =
        raw(proxy.http_addr.unwrap(), b"GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");

    // Promises 100 bytes, sends 10, then resets the connection.
    let resetting = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let resetting_addr = resetting.local_addr().unwrap();
    let _reset = tokio::spawn(async move {
        while let Ok((mut stream, _)) = resetting.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789").await;
            // Zero linger sends a reset, not a FIN; it cannot block on drop.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    });
    let proxy = plain_site(&format!("http://{resetting_addr}"), "").await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/", proxy.http_addr.unwrap());
    let response = client.get(&url).header("host", "app.test").send().await.unwrap();
    assert_eq!(response.status(), 200, "the head was already sent");
    assert!(response.bytes().await.is_err(), "a truncated body must reach the client as an error");
    // And the proxy still serves.
    let up = upstream("up").await;
    let proxy = plain_site(&up.url, "").await;
    let again = client
        .get(format!("http://{}/ok", proxy.http_addr.unwrap()))
        .header("host", "app.test")
        .send()
        .await
        .unwrap();
    assert_eq!(again.text().await.unwrap(), "up /ok");
}

#[tokio::test]
async fn unknown_or_missing_sni_gets_no_certificate() {
    let certs = certs(&["my.test"]);
    let up = upstream("up").await;
    let proxy = start(&listen_any(&format!(
        "[[site]]\nhosts = [\"my.test\"]\ncertificate = {{ cert_file = \"{}\", key_file = \"{}\" }}\n[[site.route]]\nupstreams = [\"{}\"]\n",
        certs.cert().display(),
        certs.key().display(),
        up.url
    )))
    .await;
    let client = client(&certs.ca_pem, &proxy, &["my.test", "other.test"]);
    assert!(client.get(https(&proxy, "my.test", "/")).send().await.is_ok());
    let unknown = client.get(https(&proxy, "other.test", "/")).send().await;
    assert!(unknown.is_err(), "no certificate for a name not configured");
    // An IP address sends no SNI.
    let by_ip = client.get(format!("https://{}/", proxy.https_addr.unwrap())).send().await;
    assert!(by_ip.is_err());
    // With `tls.default_host`, clients without SNI get that host's certificate.
    let with_default = start(&listen_any(&format!(
        "[tls]\ndefault_host = \"my.test\"\n[[site]]\nhosts = [\"my.test\"]\ncertificate = {{ cert_file = \"{}\", key_file = \"{}\" }}\n[[site.route]]\nupstreams = [\"{}\"]\n",
        certs.cert().display(),
        certs.key().display(),
        up.url
    )))
    .await;
    let lenient = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .resolve("other.test", with_default.https_addr.unwrap())
        .build()
        .unwrap();
    let by_ip = lenient.get(format!("https://{}/", with_default.https_addr.unwrap())).send().await;
    // The handshake succeeds; the address itself names no site.
    assert_eq!(by_ip.unwrap().status(), 421);
    let unknown =
        lenient.get(format!("https://other.test:{}/", with_default.https_addr.unwrap().port())).send().await;
    assert!(unknown.is_err(), "an unknown name still gets no certificate");
    // A plaintext request on the TLS port is not answered as HTTP.
    let answer = raw(proxy.https_addr.unwrap(), b"GET / HTTP/1.1\r\nHost: my.test\r\n\r\n").await;
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
}
