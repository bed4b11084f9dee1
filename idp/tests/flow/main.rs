// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Whole-app tests of the idp: the real router on a random port with a fresh database per test,
//! driven over HTTP the way a browser and a relying party would. The one integration-test
//! binary of this crate.

// Test helpers outside #[test] functions: a failed set-up should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attacks;
mod config_errors;
mod discovery;
mod keys_at_rest;
mod ldap;
mod login_flow;
mod login_limits;
mod login_links;
mod service_tokens;
mod sessions_and_tokens;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::audit::{Actor, Origin};
use domain::oidc::client::{self, ClientKind, ClientSpec};
use domain::oidc::types::RedirectUri;
use domain::oidc::{ClientId, GrantType, Scopes};
use hosting::config::{MailTransport, Settings, SmtpSecurity};
use hosting::testing::{SinkOptions, SmtpSink};
use idp::startup::Application;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::HashMap;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const AFTER_LOGOUT: &str = "http://127.0.0.1:9/logged-out";
pub const VERIFIER: &str = "test-verifier-0123456789-0123456789-0123456789";

pub struct TestIdp {
    pub issuer: String,
    pub pool: PgPool,
    /// A browser: keeps cookies, does not follow redirects.
    pub browser: reqwest::Client,
    /// A relying party's back channel: no cookies.
    pub backend: reqwest::Client,
    pub client_id: String,
    pub client_secret: String,
    pub state: idp::state::AppState,
    /// The SMTP server the idp sends to, for tests that read mail.
    pub smtp: Option<SmtpSink>,
    _outbox: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub async fn spawn_idp(pool: PgPool) -> TestIdp {
    spawn_idp_with(pool, None, |_| {}).await
}

/// An idp whose mail goes over SMTP to a real server (aiosmtpd) on loopback.
pub async fn spawn_idp_mailing(pool: PgPool) -> TestIdp {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    spawn_idp_with(pool, Some(sink), |_| {}).await
}

/// An idp with settings changed by `configure` before it starts.
pub async fn spawn_idp_with(
    pool: PgPool,
    smtp: Option<SmtpSink>,
    configure: impl FnOnce(&mut Settings),
) -> TestIdp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = Settings::default();
    settings.idp.public_url = issuer.clone();
    settings.site.organisation = "Test Supporters <e.V.>".into();
    let outbox = tempfile::tempdir().unwrap();
    settings.mail.outbox_dir = outbox.path().to_owned();
    settings.mail.poll_interval_ms = 50;
    if let Some(sink) = &smtp {
        settings.mail.transport = MailTransport::Smtp;
        settings.mail.smtp_host = "127.0.0.1".into();
        settings.mail.smtp_port = sink.port;
        settings.mail.smtp_security = SmtpSecurity::None;
    }
    configure(&mut settings);
    let connect = (*pool.connect_options()).clone();
    let app = Application::build_on(listener, &settings, connect).await.expect("idp starts");
    let state = app.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    domain::demo::ensure(&pool).await.unwrap();
    let client_secret = register(
        &pool,
        "web-app",
        ClientKind::Confidential,
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
    )
    .await
    .unwrap();
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let backend = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestIdp {
        issuer,
        pool,
        browser,
        backend,
        client_id: "web-app".into(),
        client_secret,
        state,
        smtp,
        _outbox: outbox,
        _shutdown: tx,
    }
}

/// Registers a client; returns its secret (empty for a public client).
pub async fn register(pool: &PgPool, id: &str, kind: ClientKind, grants: &[GrantType]) -> Option<String> {
    let code = grants.contains(&GrantType::AuthorizationCode);
    let spec = ClientSpec::new(
        "The Web App",
        kind,
        if code { vec![RedirectUri::new(REDIRECT).unwrap()] } else { vec![] },
        vec![RedirectUri::new(AFTER_LOGOUT).unwrap()],
        grants.to_vec(),
        Scopes::parse("openid profile email groups").unwrap(),
    )
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let secret = client::create(
        &mut tx,
        Origin { actor: &Actor::System, source: "test" },
        &ClientId::new(id).unwrap(),
        &spec,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Some(secret.map(|s| s.expose_secret().to_owned()).unwrap_or_default())
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A redirect's target without its query, and the query as a map.
pub fn location_query(response: &reqwest::Response) -> (String, HashMap<String, String>) {
    let location = response.headers().get("location").expect("a redirect").to_str().unwrap().to_owned();
    let url = url::Url::parse(&location).unwrap();
    let query = url.query_pairs().into_owned().collect();
    (location.split('?').next().unwrap().to_owned(), query)
}

impl TestIdp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The standard authorization request of the test client, with `extra` parameters.
    pub fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let challenge = challenge(VERIFIER);
        let mut url = url::Url::parse(&self.url("/authorize")).unwrap();
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in [
                ("response_type", "code"),
                ("client_id", self.client_id.as_str()),
                ("redirect_uri", REDIRECT),
                ("scope", "openid profile email groups"),
                ("state", "s-123"),
                ("nonce", "n-456"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ] {
                if !extra.iter().any(|(name, _)| *name == k) {
                    q.append_pair(k, v);
                }
            }
            for (k, v) in extra {
                if !v.is_empty() {
                    q.append_pair(k, v);
                }
            }
        }
        url.to_string()
    }

    /// Submits the login form the way a browser does, after GET /authorize.
    pub async fn submit_login(
        &self,
        authorize_url: &str,
        identifier: &str,
        password: &str,
    ) -> reqwest::Response {
        self.submit_login_form(authorize_url, &[("identifier", identifier), ("password", password)]).await
    }

    /// Submits the login form with `fields` besides the authorization request's hidden ones.
    pub async fn submit_login_form(&self, authorize_url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let query = url::Url::parse(authorize_url).unwrap().query().unwrap().to_owned();
        let body = format!(
            "{query}&{}",
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
        );
        self.post_form("/login", body).await
    }

    /// A same-origin form POST from the browser.
    pub async fn post_form(&self, path: &str, body: String) -> reqwest::Response {
        self.browser
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", &self.issuer)
            .header("sec-fetch-site", "same-origin")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Logs the demo supporter in (or reuses the browser's login session) and returns the
    /// authorization code.
    pub async fn code(&self) -> String {
        let url = self.authorize_url(&[]);
        let page = self.browser.get(&url).send().await.unwrap();
        if page.status() == 303 {
            return location_query(&page).1["code"].clone();
        }
        assert_eq!(page.status(), 200);
        let response = self.submit_login(&url, domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
        assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
        let (_, query) = location_query(&response);
        query["code"].clone()
    }

    /// `GET /userinfo` with a bearer token, as a relying party calls it.
    pub async fn userinfo(&self, access_token: &str) -> reqwest::Response {
        self.backend.get(self.url("/userinfo")).bearer_auth(access_token).send().await.unwrap()
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.backend
            .post(self.url("/token"))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn exchange(&self, code: &str) -> reqwest::Response {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .await
    }

    /// A full login: the token response as JSON.
    pub async fn tokens(&self) -> serde_json::Value {
        let code = self.code().await;
        let response = self.exchange(&code).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}
