// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What the proxy logs, captured: command-link tokens never appear, in the access log, in error
//! lines or in the request span, however the path was spelt.

use crate::*;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Everything logged on this thread (the test's single-threaded runtime runs the proxy too),
/// in the text format, with spans, or as JSON.
fn capture(json: bool) -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let builder = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone());
    let guard = if json {
        tracing::subscriber::set_default(builder.json().with_current_span(true).with_span_list(true).finish())
    } else {
        tracing::subscriber::set_default(builder.finish())
    };
    (captured, guard)
}

async fn send(proxy: &Proxy, host: &str, target: &str) -> String {
    let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    raw(proxy.http_addr.unwrap(), request.as_bytes()).await
}

#[tokio::test]
async fn command_link_tokens_are_redacted_in_every_log_line() {
    for json in [false, true] {
        let (logs, _guard) = capture(json);
        let up = upstream("up").await;
        let dead = closed_port().await;
        let proxy = start(&listen_any(&format!(
            "[[site]]\nhosts = [\"my.test\"]\n[[site.route]]\nupstreams = [\"{}\"]\n[[site]]\nhosts = [\"down.test\"]\n[[site.route]]\nupstreams = [\"http://{dead}\"]\n",
            up.url
        )))
        .await;
        let cases = [
            ("my.test", "/c/SECRET-plain", "200"),
            ("my.test", "/c/SECRET-query?x=1", "200"),
            ("my.test", "/%63/SECRET-encoded", "200"),
            ("my.test", "/x/../c/SECRET-dots", "200"),
            ("my.test", "//c/SECRET-slashes", "200"),
            ("my.test", "/C/SECRET-case", "200"),
            ("my.test", "/c/SECRET-param;x", "400"),
            ("my.test", "/%63/SECRET-refused%00", "400"),
            ("my.test", "/x/..%2fc/SECRET-refused-slash", "400"),
            // An upstream that cannot be reached: an error line inside the request span.
            ("down.test", "/c/SECRET-error", "502"),
        ];
        for (host, target, status) in cases {
            let answer = send(&proxy, host, target).await;
            assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{target}: {answer}");
        }
        proxy.shutdown(std::time::Duration::from_secs(1)).await;
        let text = logs.text();
        assert!(!text.contains("SECRET"), "a token reached the logs:\n{text}");
        assert!(text.contains("/c/[redacted]"), "{text}");
        assert!(text.contains("/C/[redacted]"), "{text}");
        assert!(text.contains("upstream failed"), "the error line is there: {text}");
        let error_line = text.lines().find(|line| line.contains("upstream failed")).unwrap();
        assert!(error_line.contains("/c/[redacted]"), "the error line carries the span's path: {error_line}");
        let access_line = |line: &&str| line.contains(" access: ") || line.contains("\"target\":\"access\"");
        assert_eq!(text.lines().filter(access_line).count(), cases.len(), "one access line each: {text}");
        // Other paths are logged as they are.
        let (logs, _guard) = capture(json);
        let proxy = start(&listen_any(&format!(
            "[[site]]\nhosts = [\"my.test\"]\n[[site.route]]\nupstreams = [\"{}\"]\n",
            up.url
        )))
        .await;
        send(&proxy, "my.test", "/public/page").await;
        assert!(logs.text().contains("/public/page"), "{}", logs.text());
    }
}

#[tokio::test]
async fn the_redacted_prefixes_are_a_setting() {
    let (logs, _guard) = capture(false);
    let up = upstream("up").await;
    let proxy = start(&listen_any(&format!(
        "[logging]\nredact_path_prefixes = [\"/c/\", \"/reset/\"]\n[[site]]\nhosts = [\"my.test\"]\n[[site.route]]\nupstreams = [\"{}\"]\n",
        up.url
    )))
    .await;
    for target in ["/reset/SECRET-1", "/%72eset/SECRET-2", "/c/SECRET-3", "/reset/SECRET;4"] {
        send(&proxy, "my.test", target).await;
    }
    let text = logs.text();
    assert!(!text.contains("SECRET"), "{text}");
    assert!(text.contains("/reset/[redacted]"), "{text}");
}
