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
