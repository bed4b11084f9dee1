// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{AFTER_LOGOUT, REDIRECT, location_query, spawn_idp};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;
use sqlx::PgPool;

async fn verify_id_token(idp: &crate::TestIdp, token: &str) -> Value {
    let jwks: JwkSet = idp.backend.get(idp.url("/jwks")).send().await.unwrap().json().await.unwrap();
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let key = DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[idp.client_id.as_str()]);
    validation.set_issuer(&[idp.issuer.as_str()]);
    jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap().claims
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_person_logs_in_and_the_client_gets_verified_tokens_and_claims(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let url = idp.authorize_url(&[("ui_locales", "de")]);
    let page = idp.browser.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"de\""), "ui_locales picks German");
    assert!(html.contains("Anmeldename oder E-Mail-Adresse"));
    assert!(html.contains("The Web App"), "the page names the client");
    assert!(html.contains("Test Supporters &lt;e.V.&gt;"), "names are escaped");

    let response = idp.submit_login(&url, domain::demo::EMAIL, domain::demo::PASSWORD).await;
    assert_eq!(response.status(), 303);
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let (target, query) = location_query(&response);
    assert_eq!(target, REDIRECT);
    assert_eq!(query["state"], "s-123");
    assert_eq!(query["iss"], idp.issuer);

    let tokens: Value = idp.exchange(&query["code"]).await.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    let id = verify_id_token(&idp, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["email"], domain::demo::EMAIL);
    assert_eq!(id["preferred_username"], domain::demo::LOGIN_NAME);
    assert_eq!(id["groups"], serde_json::json!(["staff"]));
    assert_eq!(id["at_hash"], idp::tokens::at_hash(tokens["access_token"].as_str().unwrap()));

    let info: Value = idp.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["locale"], "en");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_second_client_request_is_answered_from_the_login_session(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    idp.code().await;
    let again = idp.browser.get(idp.authorize_url(&[])).send().await.unwrap();
    assert_eq!(again.status(), 303, "single sign-on: no second password");
    assert!(location_query(&again).1.contains_key("code"));

    let forced = idp.browser.get(idp.authorize_url(&[("prompt", "login")])).send().await.unwrap();
    assert_eq!(forced.status(), 200, "prompt=login shows the form again");
    domain::testing::age_login_sessions(&idp.pool, time::Duration::minutes(2)).await.unwrap();
    let stale = idp.browser.get(idp.authorize_url(&[("max_age", "60")])).send().await.unwrap();
    assert_eq!(stale.status(), 200, "max_age asks for a new login");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn prompt_none_without_a_session_tells_the_client_login_is_required(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let response = idp.browser.get(idp.authorize_url(&[("prompt", "none")])).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let (target, query) = location_query(&response);
    assert_eq!(target, REDIRECT);
    assert_eq!(query["error"], "login_required");
    assert_eq!(query["state"], "s-123");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_grant(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let first = idp.tokens().await;
    let old = first["refresh_token"].as_str().unwrap();
    let refreshed = idp
        .token_request(&[("grant_type", "refresh_token"), ("refresh_token", old), ("scope", "openid email")])
        .await;
    assert_eq!(refreshed.status(), 200);
    let second: Value = refreshed.json().await.unwrap();
    assert_eq!(second["scope"], "email openid", "a refresh may narrow scopes");
    let widened = idp
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", second["refresh_token"].as_str().unwrap()),
            ("scope", "openid admin"),
        ])
        .await;
    assert_eq!(widened.status(), 400);

    let reuse = idp.token_request(&[("grant_type", "refresh_token"), ("refresh_token", old)]).await;
    assert_eq!(reuse.status(), 400);
    assert_eq!(reuse.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let info = idp.userinfo(second["access_token"].as_str().unwrap()).await;
    assert_eq!(info.status(), 401, "the reuse revoked the family's access tokens too");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn introspection_and_revocation_follow_rfc_7662_9701_and_7009(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let tokens = idp.tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    let introspect = |accept: &'static str| {
        idp.backend
            .post(idp.url("/introspect"))
            .basic_auth(&idp.client_id, Some(&idp.client_secret))
            .header("accept", accept)
            .form(&[("token", access)])
            .send()
    };
    let json: Value = introspect("application/json").await.unwrap().json().await.unwrap();
    assert_eq!(json["active"], true);
    assert_eq!(json["client_id"], idp.client_id);

    let jwt = introspect("application/token-introspection+jwt").await.unwrap();
    assert_eq!(jwt.headers()["content-type"], "application/token-introspection+jwt");
    let jwt = jwt.text().await.unwrap();
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("token-introspection+jwt"));
    let jwks: JwkSet = idp.backend.get(idp.url("/jwks")).send().await.unwrap().json().await.unwrap();
    let key = DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap()).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[idp.client_id.as_str()]);
    validation.set_required_spec_claims(&["iss", "aud"]);
    let claims = jsonwebtoken::decode::<Value>(&jwt, &key, &validation).unwrap().claims;
    assert_eq!(claims["token_introspection"]["active"], true);

    let revoked = idp
        .backend
        .post(idp.url("/revoke"))
        .basic_auth(&idp.client_id, Some(&idp.client_secret))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let json: Value = introspect("application/json").await.unwrap().json().await.unwrap();
    assert_eq!(json, serde_json::json!({ "active": false }));

    // Revoking the refresh token ends the grant: refreshing fails.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    idp.backend
        .post(idp.url("/revoke"))
        .basic_auth(&idp.client_id, Some(&idp.client_secret))
        .form(&[("token", refresh)])
        .send()
        .await
        .unwrap();
    let after = idp.token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!(after.status(), 400);
    // Unknown tokens get the same 200: nothing to learn.
    let unknown = idp
        .backend
        .post(idp.url("/revoke"))
        .basic_auth(&idp.client_id, Some(&idp.client_secret))
        .form(&[("token", "nonsense")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 200);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn logout_with_an_id_token_hint_ends_the_session_and_returns_to_the_client(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let tokens = idp.tokens().await;
    let mut url = url::Url::parse(&idp.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", AFTER_LOGOUT)
        .append_pair("state", "bye");
    let response = idp.browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let (target, query) = location_query(&response);
    assert_eq!(target, AFTER_LOGOUT);
    assert_eq!(query["state"], "bye");

    let again = idp.browser.get(idp.authorize_url(&[("prompt", "none")])).send().await.unwrap();
    assert_eq!(location_query(&again).1["error"], "login_required", "the idp session is gone");
    let refresh = idp
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(refresh.status(), 400, "grants made in the session end with it");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn logout_without_a_hint_asks_first_and_unregistered_targets_are_refused(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    idp.code().await;
    let ask = idp.browser.get(idp.url("/logout")).send().await.unwrap();
    assert_eq!(ask.status(), 200);
    assert!(ask.text().await.unwrap().contains("name=\"confirm\""), "a link alone does not log out");
    let still = idp.browser.get(idp.authorize_url(&[("prompt", "none")])).send().await.unwrap();
    assert!(location_query(&still).1.contains_key("code"));

    let evil = format!(
        "{}?client_id=web-app&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
        idp.url("/logout")
    );
    let refused = idp.browser.get(evil).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.headers().get("location").is_none(), "no open redirect");

    let confirmed = idp
        .browser
        .post(idp.url("/logout"))
        .header("origin", &idp.issuer)
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    let gone = idp.browser.get(idp.authorize_url(&[("prompt", "none")])).send().await.unwrap();
    assert_eq!(location_query(&gone).1["error"], "login_required");
}
