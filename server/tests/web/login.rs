// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Logging in and out through the real idp (started in-process on the same database): code +
//! PKCE, state and nonce, ID-token checks, session rotation, protected pages, RP-initiated
//! logout; and what forged, replayed and foreign callbacks get.

use crate::{TestApp, spawn_app_with, test_settings, text};
use domain::audit::{Actor, Origin};
use domain::oidc::client::{self, ClientKind, ClientSpec};
use domain::oidc::types::RedirectUri;
use domain::oidc::{ClientId, GrantType, Scopes};
use hosting::config::Settings;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use std::collections::HashMap;

/// What the server believes its public address is (the redirect URIs registered at the idp);
/// the tests carry each redirect to the server's real address.
const PUBLIC: &str = "http://localhost:1";

pub struct Stack {
    pub app: TestApp,
    pub idp: String,
    secret: tempfile::NamedTempFile,
    _idp_shutdown: tokio::sync::oneshot::Sender<()>,
}

pub async fn stack(pool: PgPool) -> Stack {
    stack_with(pool, test_settings()).await
}

/// The idp and my.* with `settings` (plus the public URL, the idp and the client secret).
pub async fn stack_with(pool: PgPool, mut settings: Settings) -> Stack {
    domain::demo::ensure(&pool).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let idp = format!("http://{}", listener.local_addr().unwrap());
    let mut idp_settings = Settings::default();
    idp_settings.idp.public_url = idp.clone();
    let outbox = tempfile::tempdir().unwrap();
    idp_settings.mail.outbox_dir = outbox.path().to_owned();
    let connect = (*pool.connect_options()).clone();
    let idp_app = idp::startup::Application::build_on(listener, &idp_settings, connect).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(idp_app.run_until(async move {
        let _ = rx.await;
        drop(outbox);
    }));

    let spec = ClientSpec::new(
        "Supporter app",
        ClientKind::Confidential,
        vec![RedirectUri::new(&format!("{PUBLIC}/auth/callback")).unwrap()],
        vec![RedirectUri::new(&format!("{PUBLIC}/logout")).unwrap()],
        vec![GrantType::AuthorizationCode],
        Scopes::parse("openid profile email").unwrap(),
    )
    .unwrap();
    let mut db = pool.begin().await.unwrap();
    let id = ClientId::new("my-supporter-app").unwrap();
    let secret = client::create(&mut db, Origin { actor: &Actor::System, source: "test" }, &id, &spec)
        .await
        .unwrap()
        .unwrap();
    db.commit().await.unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), secret.expose_secret()).unwrap();

    settings.http.public_url = PUBLIC.into();
    settings.idp.public_url = idp.clone();
    settings.login.client_secret_file = Some(file.path().to_owned());
    let app = spawn_app_with(pool, settings).await;
    Stack { app, idp, secret: file, _idp_shutdown: tx }
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").expect("a redirect").to_str().unwrap().to_owned()
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("cdb_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

impl Stack {
    /// The `[login]` settings of the stack's server, for starting another one like it.
    pub fn login_settings(&self) -> hosting::config::LoginSettings {
        hosting::config::LoginSettings {
            client_id: "my-supporter-app".into(),
            client_secret_file: Some(self.secret.path().to_owned()),
        }
    }

    /// Logs `client` in as `login` (through the idp).
    pub async fn log_in(&self, client: &reqwest::Client, login: &str, password: &str) {
        assert!(self.try_log_in(client, login, password).await, "logged in as {login}");
    }

    /// Tries to log `client` in as `login` (through the idp); whether it worked.
    pub async fn try_log_in(&self, client: &reqwest::Client, login: &str, password: &str) -> bool {
        let start = client.get(self.app.url("/login")).send().await.unwrap();
        let authorize = location(&start);
        let mut form: Vec<(String, String)> = query(&authorize).into_iter().collect();
        form.push(("identifier".into(), login.into()));
        form.push(("password".into(), password.into()));
        let back = client
            .post(format!("{}/login", self.idp))
            .header("origin", &self.idp)
            .form(&form)
            .send()
            .await
            .unwrap();
        if !back.status().is_redirection() {
            return false;
        }
        let done = client.get(self.to_app(&location(&back))).send().await.unwrap();
        location(&done) == "/"
    }

    async fn log_in_at_idp(&self, next: &str, password: &str) -> reqwest::Response {
        let client = &self.app.client;
        let start = client.get(self.app.url(&format!("/login?next={next}"))).send().await.unwrap();
        assert_eq!(start.status(), 303);
        let authorize = location(&start);
        assert!(authorize.starts_with(&format!("{}/authorize?", self.idp)), "{authorize}");
        let params = query(&authorize);
        assert_eq!(params["code_challenge_method"], "S256");
        assert_eq!(params["redirect_uri"], format!("{PUBLIC}/auth/callback"));
        assert!(params["state"].len() >= 16 && params["nonce"].len() >= 16);
        let page = client.get(&authorize).send().await.unwrap();
        if page.status() == 303 {
            // Still logged in at the idp (single sign-on): straight back.
            return page;
        }
        assert_eq!(page.status(), 200);
        let mut form: Vec<(String, String)> = params.into_iter().collect();
        form.push(("identifier".into(), "ada".into()));
        form.push(("password".into(), password.into()));
        client
            .post(format!("{}/login", self.idp))
            .header("origin", &self.idp)
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// The idp's redirect to our public address, sent to the server's real one.
    pub fn to_app(&self, public_url: &str) -> String {
        public_url.replacen(PUBLIC, &self.app.address, 1)
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn log_in_come_back_to_the_page_and_log_out_everywhere(pool: PgPool) {
    let stack = stack(pool).await;
    let app = &stack.app;

    // A protected page sends a visitor to log in and remembers where they were going.
    let response = app.client.get(app.url("/settings")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login?next=/settings");

    let before = app.client.get(app.url("/")).send().await.unwrap();
    let before = session_cookie(&before);
    let back = stack.log_in_at_idp("/settings", "ada-lovelace-1815").await;
    assert_eq!(back.status(), 303);
    let callback = location(&back);
    assert!(callback.starts_with(&format!("{PUBLIC}/auth/callback?code=")), "{callback}");
    let done = app.client.get(stack.to_app(&callback)).send().await.unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), "/settings");
    let rotated = session_cookie(&done).expect("a new session id at login");
    assert_ne!(Some(rotated), before);

    let (status, html) = app.get_html("/settings", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Ada Lovelace") && html.contains("ada@example.org"), "{html}");
    assert!(html.contains("12 St James&#x27;s Square") || html.contains("12 St James's Square"), "{html}");
    let (_, home) = app.get_html("/", &[]).await;
    assert!(home.contains("Welcome, Ada Lovelace") && home.contains(r#"action="/logout""#), "{home}");

    // Replaying the callback finds no login in progress.
    let replay = app.client.get(stack.to_app(&callback)).send().await.unwrap();
    assert_eq!(location(&replay), "/login/problem?reason=expired");

    // Logging out ends our session, then the idp's, and comes back with the state we gave.
    let out = app.client.post(app.url("/logout")).header("origin", &app.origin).send().await.unwrap();
    assert_eq!(out.status(), 303);
    let end_session = location(&out);
    assert!(end_session.starts_with(&format!("{}/logout?", stack.idp)), "{end_session}");
    let params = query(&end_session);
    assert_eq!(params["post_logout_redirect_uri"], format!("{PUBLIC}/logout"));
    assert!(params.contains_key("id_token_hint"));
    let returned = app.client.get(&end_session).send().await.unwrap();
    assert_eq!(returned.status(), 303, "{:?}", returned.text().await);
    let returned = location(&returned);
    assert_eq!(query(&returned)["state"], params["state"]);
    let (_, html) = app.get_html(&stack.to_app(&returned)[app.address.len()..], &[]).await;
    assert!(html.contains("You are logged out"), "{html}");
    // Shown once: the state is spent.
    let (_, html) = app.get_html(&stack.to_app(&returned)[app.address.len()..], &[]).await;
    assert!(!html.contains("You are logged out"));

    assert_eq!(app.client.get(app.url("/settings")).send().await.unwrap().status(), 303);
    // The idp asks for the password again: its session ended too.
    let again = app.client.get(app.url("/login")).send().await.unwrap();
    let page = app.client.get(location(&again)).send().await.unwrap();
    assert_eq!(page.status(), 200, "the idp's login form, not a silent login");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn forged_foreign_and_refused_callbacks_log_nobody_in(pool: PgPool) {
    let stack = stack(pool).await;
    let app = &stack.app;
    let back = stack.log_in_at_idp("/", "ada-lovelace-1815").await;
    let callback = stack.to_app(&location(&back));
    let params = query(&callback);

    // Another browser (no login in progress there) cannot use the code: a planted login.
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = other.get(&callback).send().await.unwrap();
    assert_eq!(location(&response), "/login/problem?reason=expired");

    // A wrong state is refused, and the login in progress is spent with it.
    let forged = format!("{}/auth/callback?code={}&state=forged", app.address, params["code"]);
    let response = app.client.get(&forged).send().await.unwrap();
    assert_eq!(location(&response), "/login/problem?reason=expired");
    let response = app.client.get(&callback).send().await.unwrap();
    assert_eq!(location(&response), "/login/problem?reason=expired");
    assert_eq!(app.client.get(app.url("/settings")).send().await.unwrap().status(), 303);

    // A tampered code: the idp refuses it.
    let back = stack.log_in_at_idp("/", "ada-lovelace-1815").await;
    let params = query(&location(&back));
    let tampered =
        format!("{}/auth/callback?code={}x&state={}", app.address, params["code"], params["state"]);
    let response = app.client.get(&tampered).send().await.unwrap();
    assert_eq!(location(&response), "/login/problem?reason=refused");

    // The person cancelled at the idp.
    let start = app.client.get(app.url("/login")).send().await.unwrap();
    let state = query(&location(&start))["state"].clone();
    let denied = format!("{}/auth/callback?error=access_denied&state={state}", app.address);
    let response = app.client.get(&denied).send().await.unwrap();
    assert_eq!(location(&response), "/login/problem?reason=refused");
    let (status, html) = app.get_html("/login/problem?reason=refused", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("cancelled or refused") && html.contains(r#"href="/login""#), "{html}");
    let hostile = "/login/problem?reason=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let (_, html) = app.get_html(hostile, &[("accept-language", "de")]).await;
    assert!(html.contains("ließ sich nicht prüfen") && !html.contains("<script>alert"), "{html}");

    // The language chosen on my.* carries over to the idp's pages.
    let german = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response =
        german.get(app.url("/login")).header("cookie", "i18n_pref_locale=de").send().await.unwrap();
    assert_eq!(query(&location(&response)).get("ui_locales").map(String::as_str), Some("de"));

    // An open redirect through `next` is not possible.
    for next in ["https://evil.example/", "//evil.example/", "/\\evil.example"] {
        let back = stack.log_in_at_idp(next, "ada-lovelace-1815").await;
        let done = app.client.get(stack.to_app(&location(&back))).send().await.unwrap();
        assert_eq!(location(&done), "/", "{next}");
        app.client.post(app.url("/logout")).header("origin", &app.origin).send().await.unwrap();
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn without_a_client_secret_or_a_reachable_idp_login_says_so(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), test_settings()).await;
    let response = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(location(&response), "/login/problem?reason=not-configured");

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "secret").unwrap();
    let mut settings = test_settings();
    // Nothing listens there.
    settings.idp.public_url = "http://127.0.0.1:9".into();
    settings.login.client_secret_file = Some(file.path().to_owned());
    let app = spawn_app_with(pool, settings).await;
    let response = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(location(&response), "/login/problem?reason=unreachable");
    let (_, html) = app.get_html("/login/problem?reason=unreachable", &[]).await;
    assert!(text(&html).contains("cannot be reached right now"));
    // Logging out still ends the local session and lands on our own page.
    let out = app.client.post(app.url("/logout")).header("origin", &app.origin).send().await.unwrap();
    assert!(location(&out).starts_with("/logout?state="));
}
