// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Edge access rules with tokens the real idp issued (in-process, fresh database): the demo
//! supporter is in the group `staff`, not in `board`.

use crate::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::audit::{Actor, Origin};
use domain::oidc::client::{self, ClientKind, ClientSpec};
use domain::oidc::types::RedirectUri;
use domain::oidc::{ClientId, GrantType, Scopes};
use hosting::config::Settings;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "proxy-test-verifier-0123456789-0123456789-0123";

struct Idp {
    issuer: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _outbox: tempfile::TempDir,
}

async fn idp(pool: &PgPool) -> Idp {
    domain::demo::ensure(pool).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = Settings::default();
    settings.idp.public_url = issuer.clone();
    let outbox = tempfile::tempdir().unwrap();
    settings.mail.outbox_dir = outbox.path().to_owned();
    let app = idp::startup::Application::build_on(listener, &settings, (*pool.connect_options()).clone())
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    Idp { issuer, _stop: tx, _outbox: outbox }
}

/// Logs the demo supporter in at the idp (authorization code + PKCE, scope `groups`) and
/// returns the access token.
async fn access_token(pool: &PgPool, idp: &Idp) -> String {
    let spec = ClientSpec::new(
        "Staff wiki",
        ClientKind::Confidential,
        vec![RedirectUri::new(REDIRECT).unwrap()],
        vec![],
        vec![GrantType::AuthorizationCode],
        Scopes::parse("openid groups").unwrap(),
    )
    .unwrap();
    let mut db = pool.begin().await.unwrap();
    let secret = client::create(
        &mut db,
        Origin { actor: &Actor::System, source: "test" },
        &ClientId::new("wiki").unwrap(),
        &spec,
    )
    .await
    .unwrap()
    .unwrap();
    db.commit().await.unwrap();
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", "wiki"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid groups"),
            ("state", "s"),
            ("nonce", "n"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let page = browser.get(format!("{}/authorize?{query}", idp.issuer)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let login = format!(
        "{query}&{}",
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("identifier", domain::demo::LOGIN_NAME), ("password", domain::demo::PASSWORD)])
            .finish()
    );
    let answer = browser
        .post(format!("{}/login", idp.issuer))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &idp.issuer)
        .body(login)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let tokens: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/token", idp.issuer))
        .basic_auth("wiki", Some(secret.expose_secret()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn get(
    proxy: &Proxy,
    path: &str,
    token: Option<&str>,
    cookie: Option<&str>,
) -> (u16, String, Option<String>) {
    let mut request = reqwest::Client::new()
        .get(format!("http://{}{path}", proxy.http_addr.unwrap()))
        .header("host", "wiki.test");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), response.text().await.unwrap(), challenge)
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn protected_paths_need_an_idp_token_with_one_of_the_groups(pool: PgPool) {
    let idp = idp(&pool).await;
    let token = access_token(&pool, &idp).await;
    let wiki = upstream("wiki").await;
    let proxy = start(&listen_any(&format!(
        r#"
        [access]
        issuer = "{}"
        audience = "wiki"
        cookie = "access_token"
        [[site]]
        hosts = ["wiki.test"]
        [[site.route]]
        upstreams = ["{}"]
        [[site.protect]]
        path = "/staff"
        groups = ["staff", "board"]
        [[site.protect]]
        path = "/board"
        groups = ["board"]
        "#,
        idp.issuer, wiki.url
    )))
    .await;

    // World-readable: no token needed, a bad one is not even looked at.
    assert_eq!(get(&proxy, "/public", None, None).await.0, 200);
    assert_eq!(get(&proxy, "/public", Some("garbage"), None).await.0, 200);
    // The idp's token opens /staff, by header or cookie.
    let (status, body, _) = get(&proxy, "/staff/handbook", Some(&token), None).await;
    assert_eq!((status, body.as_str()), (200, "wiki /staff/handbook"));
    let cookie = format!("theme=dark; access_token={token}");
    assert_eq!(get(&proxy, "/staff", None, Some(&cookie)).await.0, 200);
    // A valid token without the group: 403 with a clear text.
    let (status, body, _) = get(&proxy, "/board/minutes", Some(&token), None).await;
    assert_eq!(status, 403);
    assert!(body.contains("not in a group"), "{body}");
    // Spelling tricks reach the rule too.
    assert_eq!(get(&proxy, "/%62oard/minutes", Some(&token), None).await.0, 403);
    assert_eq!(get(&proxy, "/x/../board", Some(&token), None).await.0, 403);
    // Missing, malformed, tampered and foreign tokens: 401 with a Bearer challenge.
    let (status, _, challenge) = get(&proxy, "/staff", None, None).await;
    assert_eq!(status, 401);
    assert!(challenge.unwrap().starts_with("Bearer"));
    assert_eq!(get(&proxy, "/staff", Some("not-a-jwt"), None).await.0, 401);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    let mut forged = claims.clone();
    forged["groups"] = serde_json::json!(["board"]);
    parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
    let (status, body, _) = get(&proxy, "/board", Some(&parts.join(".")), None).await;
    assert_eq!(status, 401, "a token whose groups were edited: {body}");
    // Signed by someone else under the idp's key id.
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    let key = jsonwebtoken::EncodingKey::from_ec_der(
        &rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap().serialize_der(),
    );
    let mut jwt_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    jwt_header.kid = header["kid"].as_str().map(str::to_owned);
    jwt_header.typ = Some("at+jwt".into());
    let foreign = jsonwebtoken::encode(&jwt_header, &forged, &key).unwrap();
    assert_eq!(get(&proxy, "/board", Some(&foreign), None).await.0, 401);
    // The idp's own token, but the rule is for another audience.
    let other_audience = start(&listen_any(&format!(
        "[access]\nissuer = \"{}\"\naudience = \"someone-else\"\n[[site]]\nhosts = [\"wiki.test\"]\n[[site.route]]\nupstreams = [\"{}\"]\n[[site.protect]]\npath = \"/staff\"\ngroups = [\"staff\"]\n",
        idp.issuer, wiki.url
    )))
    .await;
    let (status, body, _) = get(&other_audience, "/staff", Some(&token), None).await;
    assert_eq!(status, 401);
    assert!(body.contains("another audience"), "{body}");
    // An ID token is not an access token.
    let unsigned_typ = {
        let mut h = header.clone();
        h["typ"] = "JWT".into();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(h.to_string()), token.split_once('.').unwrap().1)
    };
    assert_eq!(get(&proxy, "/staff", Some(&unsigned_typ), None).await.0, 401);
}

/// `GET {target}` to wiki.test with the token, sent raw (a client library would resolve the
/// dot segments before sending); the status code and the body.
async fn get_raw(proxy: &Proxy, target: &str, token: &str) -> (u16, String) {
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: wiki.test\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    let answer = raw(proxy.http_addr.unwrap(), request.as_bytes()).await;
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_nested_rule_cannot_be_borrowed_with_dot_segments(pool: PgPool) {
    let idp = idp(&pool).await;
    let token = access_token(&pool, &idp).await;
    let wiki = upstream("wiki").await;
    // The agenda is open to staff, the rest of /board to the board only. The demo supporter
    // is staff.
    let proxy = start(&listen_any(&format!(
        r#"
        [access]
        issuer = "{}"
        audience = "wiki"
        [[site]]
        hosts = ["wiki.test"]
        [[site.route]]
        upstreams = ["{}"]
        [[site.protect]]
        path = "/board"
        groups = ["board"]
        [[site.protect]]
        path = "/board/agenda"
        groups = ["staff", "board"]
        "#,
        idp.issuer, wiki.url
    )))
    .await;
    assert_eq!(get_raw(&proxy, "/board/agenda/item", &token).await, (200, "wiki /board/agenda/item".into()));
    for target in [
        "/board/agenda/../minutes",
        "/board/agenda/%2e%2e/minutes",
        "/board/agenda/.%2E/minutes",
        "/board/agenda/%2E./minutes",
        "/board/agenda/./../minutes",
        "/board/agenda//../minutes",
        "/board/agenda/x/../../minutes",
        "/%62oard/agenda/../minutes",
    ] {
        let (status, body) = get_raw(&proxy, target, &token).await;
        assert_eq!(status, 403, "{target} is /board/minutes, for the board only: {body}");
    }
    // Spellings that could only be told apart by guessing the upstream's reading: refused.
    for target in
        ["/board/agenda/..;/minutes", "/board/agenda/%252e%252e/minutes", "/board/agenda/..%2fminutes"]
    {
        assert_eq!(get_raw(&proxy, target, &token).await.0, 400, "{target}");
    }
    // And what the rule allowed is exactly what the upstream is asked for.
    assert_eq!(
        get_raw(&proxy, "/board/agenda/x/../item?next=../minutes", &token).await,
        (200, "wiki /board/agenda/item".into())
    );
}

/// Serves a JWKS document the test can change: the idp's own keys, or a set without the key
/// the idp retired.
struct Jwks {
    url: String,
    body: std::sync::Arc<std::sync::Mutex<String>>,
    _task: tokio::task::JoinHandle<()>,
}

async fn jwks_relay(initial: String) -> Jwks {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let body = std::sync::Arc::new(std::sync::Mutex::new(initial));
    let served = body.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let served = served.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_request| {
                    let text = served.lock().unwrap().clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                            bytes::Bytes::from(text),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Jwks { url, body, _task: task }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn keys_are_fetched_again_on_a_schedule_and_a_retired_one_stops_opening_paths(pool: PgPool) {
    let idp = idp(&pool).await;
    let token = access_token(&pool, &idp).await;
    let wiki = upstream("wiki").await;
    let published = reqwest::get(format!("{}/jwks", idp.issuer)).await.unwrap().text().await.unwrap();
    let jwks = jwks_relay(published.clone()).await;
    let proxy = start(&listen_any(&format!(
        r#"
        [access]
        issuer = "{}"
        jwks_url = "{}"
        audience = "wiki"
        jwks_refresh_secs = 1
        [[site]]
        hosts = ["wiki.test"]
        [[site.route]]
        upstreams = ["{}"]
        [[site.protect]]
        path = "/staff"
        groups = ["staff"]
        "#,
        idp.issuer, jwks.url, wiki.url
    )))
    .await;
    assert_eq!(get_raw(&proxy, "/staff", &token).await.0, 200);
    // The idp retires its key: within the refresh interval the proxy forgets it, although no
    // unknown `kid` ever asked it to look.
    *jwks.body.lock().unwrap() = r#"{"keys":[]}"#.to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (status, body) = get_raw(&proxy, "/staff", &token).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("unknown signing key"), "{body}");
    // Published again: accepted again, at the next refresh.
    *jwks.body.lock().unwrap() = published;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(get_raw(&proxy, "/staff", &token).await.0, 200);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn any_audience_must_be_asked_for_and_then_accepts_every_client(pool: PgPool) {
    let idp = idp(&pool).await;
    let token = access_token(&pool, &idp).await;
    let wiki = upstream("wiki").await;
    let text = |access: &str| {
        listen_any(&format!(
            "[access]\nissuer = \"{}\"\n{access}\n[[site]]\nhosts = [\"wiki.test\"]\n[[site.route]]\nupstreams = [\"{}\"]\n[[site.protect]]\npath = \"/staff\"\ngroups = [\"staff\"]\n",
            idp.issuer, wiki.url
        ))
    };
    let err = Config::parse(&text(""), Path::new("t.toml")).unwrap_err().to_string();
    assert!(err.contains("`access.audience`"), "{err}");
    for (access, status) in
        [("any_audience = true", 200), ("audience = \"wiki\"", 200), ("audience = \"payroll\"", 401)]
    {
        let proxy = start(&text(access)).await;
        assert_eq!(get_raw(&proxy, "/staff", &token).await.0, status, "{access}");
    }
}
