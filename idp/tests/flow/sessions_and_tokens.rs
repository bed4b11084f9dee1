// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Sessions and tokens under hostile or careless use: a password reset throws everyone out,
//! logout hints must name this very session, a refresh asking for more keeps its token, prompt
//! values we cannot honour are refused, and introspection answers only a token's audience.

use crate::{AFTER_LOGOUT, REDIRECT, TestIdp, location_query, register, spawn_idp};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::demo;
use domain::oidc::GrantType;
use domain::oidc::client::ClientKind;
use domain::oidc::login_link::{self, Purpose};
use serde_json::Value;
use sqlx::PgPool;

/// A second browser of its own (own cookie jar, no redirects followed).
fn another_browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Logs the demo supporter in with `browser` (or reuses its session) for `url`; the code.
async fn code_in(idp: &TestIdp, browser: &reqwest::Client, url: &str) -> String {
    let page = browser.get(url).send().await.unwrap();
    if page.status() == 303 {
        return location_query(&page).1["code"].clone();
    }
    assert_eq!(page.status(), 200);
    let query = url::Url::parse(url).unwrap().query().unwrap().to_owned();
    let body = format!(
        "{query}&{}",
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("identifier", demo::LOGIN_NAME), ("password", demo::PASSWORD)])
            .finish()
    );
    let response = browser
        .post(idp.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &idp.issuer)
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    location_query(&response).1["code"].clone()
}

async fn tokens_in(idp: &TestIdp, browser: &reqwest::Client) -> Value {
    let code = code_in(idp, browser, &idp.authorize_url(&[])).await;
    let response = idp.exchange(&code).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn refresh(idp: &TestIdp, token: &str, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    idp.token_request(&form).await
}

/// Whether `browser` is logged in at the idp (single sign-on answers at once).
async fn logged_in(idp: &TestIdp, browser: &reqwest::Client) -> bool {
    browser.get(idp.authorize_url(&[])).send().await.unwrap().status() == 303
}

fn payload(jwt: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_password_reset_ends_every_session_and_revokes_every_grant(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let laptop = idp.tokens().await;
    let phone_browser = another_browser();
    let phone = tokens_in(&idp, &phone_browser).await;
    assert!(logged_in(&idp, &idp.browser).await && logged_in(&idp, &phone_browser).await);

    // A "forgot password" link (as mailed), used in a third browser.
    let recipient =
        login_link::recipient(&idp.pool, demo::LOGIN_NAME, Purpose::SetPassword).await.unwrap().unwrap();
    let request = url::Url::parse(&idp.authorize_url(&[])).unwrap().query().unwrap().to_owned();
    let mut token = String::new();
    let mut tx = idp.pool.begin().await.unwrap();
    login_link::issue(&mut tx, &recipient, Purpose::SetPassword, &request, |t| {
        token = t.to_owned();
        ("subject".into(), "body".into())
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let third = another_browser();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("t", token.as_str()),
            ("password", "a brand new passphrase"),
            ("password_repeat", "a brand new passphrase"),
        ])
        .finish();
    let used = third
        .post(idp.url("/link"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &idp.issuer)
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 303, "{}", used.text().await.unwrap());

    for (name, tokens, browser) in [("laptop", &laptop, &idp.browser), ("phone", &phone, &phone_browser)] {
        assert!(!logged_in(&idp, browser).await, "{name}: its login session ended");
        let refreshed = refresh(&idp, tokens["refresh_token"].as_str().unwrap(), None).await;
        assert_eq!(refreshed.status(), 400, "{name}: its refresh token is revoked");
        assert_eq!(refreshed.json::<Value>().await.unwrap()["error"], "invalid_grant");
        let info = idp.userinfo(tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(info.status(), 401, "{name}: its access token is inactive");
    }
    assert!(logged_in(&idp, &third).await, "the browser that set the password is logged in anew");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_logout_hint_from_another_session_of_the_same_person_asks_first(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let laptop = idp.tokens().await;
    let phone_browser = another_browser();
    let phone = tokens_in(&idp, &phone_browser).await;
    let (laptop_sid, phone_sid) = (
        payload(laptop["id_token"].as_str().unwrap())["sid"].clone(),
        payload(phone["id_token"].as_str().unwrap())["sid"].clone(),
    );
    assert!(laptop_sid.is_string() && phone_sid.is_string(), "ID tokens carry sid");
    assert_ne!(laptop_sid, phone_sid);

    // The phone's browser, with the laptop's (valid, same person) hint: asked, not logged out.
    let logout = |hint: &str| {
        let mut url = url::Url::parse(&idp.url("/logout")).unwrap();
        url.query_pairs_mut()
            .append_pair("id_token_hint", hint)
            .append_pair("post_logout_redirect_uri", AFTER_LOGOUT);
        url.to_string()
    };
    let asked = phone_browser.get(logout(laptop["id_token"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains(r#"name="confirm" value="yes""#), "a confirmation");
    assert!(logged_in(&idp, &phone_browser).await, "nothing ended without asking");

    // Its own hint logs it out at once; the laptop's session stays.
    let own = phone_browser.get(logout(phone["id_token"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(own.status(), 303);
    assert_eq!(location_query(&own).0, AFTER_LOGOUT);
    assert!(!logged_in(&idp, &phone_browser).await);
    assert!(logged_in(&idp, &idp.browser).await);
    // A refreshed ID token keeps the session's sid.
    let refreshed: Value =
        refresh(&idp, laptop["refresh_token"].as_str().unwrap(), None).await.json().await.unwrap();
    assert_eq!(payload(refreshed["id_token"].as_str().unwrap())["sid"], laptop_sid);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_refresh_asking_for_more_scope_is_refused_and_the_token_still_works_once(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let url = idp.authorize_url(&[("scope", "openid email")]);
    let code = code_in(&idp, &idp.browser, &url).await;
    let tokens: Value = idp.exchange(&code).await.json().await.unwrap();
    let token = tokens["refresh_token"].as_str().unwrap();

    let wider = refresh(&idp, token, Some("openid email profile")).await;
    assert_eq!(wider.status(), 400);
    assert_eq!(wider.json::<Value>().await.unwrap()["error"], "invalid_scope");

    let narrower = refresh(&idp, token, Some("openid")).await;
    assert_eq!(narrower.status(), 200, "the refused request did not use the token");
    let narrower: Value = narrower.json().await.unwrap();
    assert_eq!(narrower["scope"], "openid");
    let next = narrower["refresh_token"].as_str().unwrap();
    let again = refresh(&idp, token, None).await;
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "invalid_grant", "used once only");
    assert_eq!(refresh(&idp, next, None).await.status(), 400, "the replay revoked the grant");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn prompt_values_we_cannot_honour_are_answered_at_the_redirect_uri(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    idp.code().await; // logged in: SSO must not hide the refusal
    for (prompt, error) in [
        ("consent", "consent_required"),
        ("login consent", "consent_required"),
        ("select_account", "account_selection_required"),
    ] {
        let response = idp.browser.get(idp.authorize_url(&[("prompt", prompt)])).send().await.unwrap();
        assert_eq!(response.status(), 303, "{prompt}");
        let (target, query) = location_query(&response);
        assert_eq!(target, REDIRECT);
        assert_eq!(query["error"], error, "{prompt}");
        assert_eq!(query["state"], "s-123");
        assert_eq!(query["iss"], idp.issuer);
        assert!(!query.contains_key("code"));
    }
    let metadata: Value = idp
        .backend
        .get(idp.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["prompt_values_supported"], serde_json::json!(["none", "login"]));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn introspection_describes_a_token_only_to_its_audience(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let other_secret =
        register(&idp.pool, "resource-server", ClientKind::Confidential, &[GrantType::ClientCredentials])
            .await
            .unwrap();
    let tokens = idp.tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    let ask = |id: &'static str, secret: String, jwt: bool| {
        let mut request =
            idp.backend.post(idp.url("/introspect")).basic_auth(id, Some(secret)).form(&[("token", access)]);
        if jwt {
            request = request.header("accept", "application/token-introspection+jwt");
        }
        request.send()
    };

    let own: Value = ask("web-app", idp.client_secret.clone(), false).await.unwrap().json().await.unwrap();
    assert_eq!(own["active"], true);
    assert_eq!(own["aud"], "web-app");

    let foreign: Value =
        ask("resource-server", other_secret.clone(), false).await.unwrap().json().await.unwrap();
    assert_eq!(foreign, serde_json::json!({ "active": false }), "nothing about another client's token");
    let signed = ask("resource-server", other_secret, true).await.unwrap();
    assert_eq!(signed.status(), 200);
    let claims = payload(&signed.text().await.unwrap());
    assert_eq!(claims["aud"], "resource-server");
    assert_eq!(claims["token_introspection"], serde_json::json!({ "active": false }));
    let own_signed = ask("web-app", idp.client_secret.clone(), true).await.unwrap().text().await.unwrap();
    assert_eq!(payload(&own_signed)["token_introspection"]["active"], true);
}
