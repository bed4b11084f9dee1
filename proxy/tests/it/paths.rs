// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Request paths over real sockets: one canonical path is routed, checked and forwarded;
//! spellings upstreams disagree about are refused with 400. Raw requests, because an HTTP
//! client library would tidy the attack spellings up before sending them.

use crate::*;

/// `GET {target}` to `host` over plain HTTP; the status line's code and the body.
async fn get_raw(proxy: &Proxy, host: &str, target: &str) -> (String, String) {
    let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let answer = raw(proxy.http_addr.unwrap(), request.as_bytes()).await;
    let status = answer.split(' ').nth(1).unwrap_or("none").to_owned();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

async fn proxy_for(up: &Upstream, site: &str) -> Proxy {
    start(&listen_any(&format!(
        r#"
        [access]
        issuer = "http://127.0.0.1:9"
        any_audience = true
        [[site]]
        hosts = ["app.test"]
        {site}
        [[site.route]]
        upstreams = ["{}"]
        [[site.protect]]
        path = "/admin"
        groups = ["staff"]
        "#,
        up.url
    )))
    .await
}

#[tokio::test]
async fn the_upstream_gets_the_canonical_path_and_the_query_as_sent() {
    let up = upstream("up").await;
    let proxy = proxy_for(&up, "").await;
    let cases = [
        ("/%70ublic/x", "up /public/x"),
        ("/public/a/../b", "up /public/b"),
        ("/public/a/%2e%2e/b", "up /public/b"),
        ("/public/a/.%2E/b", "up /public/b"),
        ("/public/./b/.", "up /public/b/"),
        ("//public///b", "up /public/b"),
        ("/public/caf%c3%a9", "up /public/caf%C3%A9"),
        ("/../../public", "up /public"),
    ];
    for (target, seen) in cases {
        assert_eq!(get_raw(&proxy, "app.test", target).await, ("200".into(), seen.into()), "{target}");
    }
    // The query is neither normalised nor matched.
    for (target, uri) in [
        ("/x/../headers?next=/admin/../x&q=%2e%2E%2f", "/headers?next=/admin/../x&q=%2e%2E%2f"),
        ("/%68eaders?a=%41;b", "/headers?a=%41;b"),
        ("/headers?/admin", "/headers?/admin"),
    ] {
        let (status, body) = get_raw(&proxy, "app.test", target).await;
        assert_eq!(status, "200", "{target}: {body}");
        let seen: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(seen["uri"], uri, "{target}");
    }
}

#[tokio::test]
async fn spellings_upstreams_disagree_about_get_400_and_never_reach_the_upstream() {
    let up = upstream("up").await;
    let proxy = proxy_for(&up, "").await;
    let refused = [
        // `;` path parameters (Tomcat, Jetty: `/admin;x` is `/admin`).
        "/admin;x/",
        "/x/..;/admin/",
        "/public;/../admin",
        // Double encoding: an upstream that decodes twice sees `..` or `admin`.
        "/%252e%252e/admin",
        "/public/%252E%252E/admin",
        "/%2561dmin",
        "/%25%36%31dmin",
        // Encoded slashes and backslashes.
        "/public%2f..%2fadmin",
        "/public/..%2Fadmin",
        "/public\\..\\admin",
        "/public/..%5cadmin",
        "/public%5C..%5Cadmin",
        // Control characters, encoded (raw ones never pass hyper's parser, also 400).
        "/admin%00",
        "/public%00/../admin",
        "/admin%0d%0aX-Injected:%20yes",
        "/admin%09",
        // Trailing dots and spaces, which Windows file systems drop.
        "/admin./",
        "/admin.",
        "/admin%2e/",
        "/admin%20/",
        "/admin%20",
        // Malformed escapes.
        "/admin%zz",
        "/admin%",
    ];
    for target in refused {
        let (status, body) = get_raw(&proxy, "app.test", target).await;
        assert_eq!(status, "400", "{target} must be refused: {body}");
        assert!(body.starts_with("Bad request: "), "{target}: {body}");
        assert!(!body.contains("up "), "{target} reached the upstream: {body}");
    }
    let (status, _) = get_raw(&proxy, "app.test", "/admin\x00").await;
    assert_eq!(status, "400");
    // And the proxy still serves.
    assert_eq!(get_raw(&proxy, "app.test", "/fine").await, ("200".into(), "up /fine".into()));
}

#[tokio::test]
async fn case_folding_is_a_per_site_choice() {
    let up = upstream("up").await;
    let sensitive = proxy_for(&up, "").await;
    let insensitive = proxy_for(&up, "case_insensitive_paths = true").await;
    for target in ["/ADMIN", "/Admin/x", "/%41dmin", "/aDmIn/", "/x/../ADMIN"] {
        // For an upstream that serves paths case-insensitively, the rule holds…
        let (status, _) = get_raw(&insensitive, "app.test", target).await;
        assert_eq!(status, "401", "{target} on a case-insensitive site");
        // …for a case-sensitive one, /ADMIN is another path than /admin.
        let (status, body) = get_raw(&sensitive, "app.test", target).await;
        assert_eq!(status, "200", "{target} on a case-sensitive site");
        assert!(body.starts_with("up /"), "{body}");
    }
    // The path keeps its case on the way upstream.
    assert_eq!(get_raw(&insensitive, "app.test", "/Public/X").await, ("200".into(), "up /Public/X".into()));
}
