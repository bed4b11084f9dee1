// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Malformed, replayed, expired and hostile input: each refused with the code the
//! specifications name, nothing lost, nothing revealed.

use crate::{REDIRECT, VERIFIER, challenge, location_query, spawn_idp};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn unknown_clients_and_unregistered_redirects_get_a_page_not_a_redirect(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    for extra in [
        [("redirect_uri", "http://127.0.0.1:9/callback/")],
        [("redirect_uri", "https://evil.example/callback")],
        [("client_id", "no-such-client")],
        [("redirect_uri", "")],
    ] {
        let response = idp.browser.get(idp.authorize_url(&extra)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{extra:?}");
        assert!(response.headers().get("location").is_none(), "{extra:?}: no open redirect");
        assert!(response.text().await.unwrap().contains("This login cannot continue"));
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn pkce_s256_is_required(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let plain = challenge(VERIFIER);
    for extra in [
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge", ""), ("code_challenge_method", "")],
        vec![("code_challenge_method", "")],
        vec![("code_challenge", "short")],
        vec![("code_challenge", plain.as_str()), ("code_challenge_method", "s256")],
    ] {
        let response = idp.browser.get(idp.authorize_url(&extra)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{extra:?}");
        let (target, query) = location_query(&response);
        assert_eq!(target, REDIRECT);
        assert_eq!(query["error"], "invalid_request", "{extra:?}");
        assert_eq!(query["state"], "s-123");
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn bad_authorization_requests_are_refused_with_their_spec_codes(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    for (extra, error) in [
        (vec![("response_type", "token")], "unsupported_response_type"),
        (vec![("scope", "profile")], "invalid_scope"),
        (vec![("scope", "openid admin")], "invalid_scope"),
        (vec![("request", "eyJ...")], "request_not_supported"),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("max_age", "-1")], "invalid_request"),
    ] {
        let response = idp.browser.get(idp.authorize_url(&extra)).send().await.unwrap();
        assert_eq!(location_query(&response).1["error"], error, "{extra:?}");
    }
    let oversized = "x".repeat(5000);
    let response = idp.browser.get(idp.authorize_url(&[("state", oversized.as_str())])).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let twice = format!("{}&client_id=other", idp.authorize_url(&[]));
    assert_eq!(idp.browser.get(twice).send().await.unwrap().status(), 400, "duplicate parameters");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn wrong_password_unknown_user_and_disabled_account_look_the_same(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let url = idp.authorize_url(&[]);
    let mut pages = Vec::new();
    for (identifier, password) in [("ada", "wrong password!"), ("nobody-here", "wrong password!")] {
        let response = idp.submit_login(&url, identifier, password).await;
        assert_eq!(response.status(), 401);
        pages.push(response.text().await.unwrap().replace(identifier, "NAME"));
    }
    sqlx::query("UPDATE account SET disabled = true").execute(&idp.pool).await.unwrap();
    let disabled = idp.submit_login(&url, "ada", domain::demo::PASSWORD).await;
    assert_eq!(disabled.status(), 401);
    pages.push(disabled.text().await.unwrap().replace("ada", "NAME"));
    assert_eq!(pages[0], pages[1]);
    assert_eq!(pages[0], pages[2]);
    assert!(pages[0].contains("do not match"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn repeated_failures_are_throttled_before_the_password_is_checked(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let url = idp.authorize_url(&[]);
    for _ in 0..10 {
        assert_eq!(idp.submit_login(&url, "ada", "not the password").await.status(), 401);
    }
    let blocked = idp.submit_login(&url, "ada", domain::demo::PASSWORD).await;
    assert_eq!(blocked.status(), 429, "even the right password waits out the window");
    assert!(blocked.text().await.unwrap().contains("too many failed attempts"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_login_form_refuses_cross_site_posts(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let query = url::Url::parse(&idp.authorize_url(&[])).unwrap().query().unwrap().to_owned();
    let response = idp
        .browser
        .post(idp.url("/login"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{query}&identifier=ada&password={}", domain::demo::PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn codes_are_single_use_and_bound_to_client_redirect_and_verifier(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let code = idp.code().await;
    let wrong_verifier = idp
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "x".repeat(43).as_str()),
        ])
        .await;
    assert_eq!(wrong_verifier.json::<Value>().await.unwrap()["error"], "invalid_grant");

    let code = idp.code().await;
    let tokens: Value = idp.exchange(&code).await.json().await.unwrap();
    let replay = idp.exchange(&code).await;
    assert_eq!(replay.status(), 400);
    assert_eq!(replay.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let info = idp.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info.status(), 401, "a replayed code revokes what it issued");

    let code = idp.code().await;
    domain::testing::expire_authorization_codes(&idp.pool).await.unwrap();
    assert_eq!(idp.exchange(&code).await.json::<Value>().await.unwrap()["error"], "invalid_grant", "expired");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn client_authentication_failures_are_invalid_client(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let code = idp.code().await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let wrong = idp
        .backend
        .post(idp.url("/token"))
        .basic_auth("web-app", Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_client");
    let missing = idp.backend.post(idp.url("/token")).form(&form).send().await.unwrap();
    assert_eq!(missing.json::<Value>().await.unwrap()["error"], "invalid_client");
    let mut with_id = form.to_vec();
    with_id.push(("client_id", "web-app"));
    let no_secret = idp.backend.post(idp.url("/token")).form(&with_id).send().await.unwrap();
    assert_eq!(
        no_secret.json::<Value>().await.unwrap()["error"],
        "invalid_client",
        "a confidential client needs its secret"
    );
    let unsupported = idp.token_request(&[("grant_type", "password")]).await;
    assert_eq!(unsupported.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");
    // None of this used the code up for its rightful owner? It did not: the code is still good.
    assert_eq!(idp.exchange(&code).await.status(), 200);
}

fn forge(header: &str, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn forged_tampered_and_expired_access_tokens_are_refused(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let tokens = idp.tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(access).unwrap();
    let kid = header.kid.unwrap();
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(access.split('.').nth(1).unwrap()).unwrap()).unwrap();
    let signature = access.split('.').nth(2).unwrap();

    let mut escalated = payload.clone();
    escalated["sub"] = Value::from("00000000-0000-0000-0000-000000000000");
    let mut expired = payload.clone();
    expired["exp"] = Value::from(1_000_000_000);
    let forged = [
        ("alg none", forge(r#"{"alg":"none","typ":"at+jwt"}"#, &payload, "")),
        (
            "HS256 with the public key",
            forge(&format!(r#"{{"alg":"HS256","typ":"at+jwt","kid":"{kid}"}}"#), &payload, signature),
        ),
        ("unknown kid", forge(r#"{"alg":"ES256","typ":"at+jwt","kid":"nope"}"#, &payload, signature)),
        (
            "tampered claims",
            forge(&format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{kid}"}}"#), &escalated, signature),
        ),
        (
            "expired",
            forge(&format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{kid}"}}"#), &expired, signature),
        ),
        ("an ID token", tokens["id_token"].as_str().unwrap().to_owned()),
        ("garbage", "a.b.c".to_owned()),
        ("oversized", "a".repeat(20_000)),
    ];
    for (what, token) in forged {
        let response = idp.userinfo(&token).await;
        assert_eq!(response.status(), 401, "{what}");
        assert!(response.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"), "{what}");
    }
    let unauthenticated = idp.backend.get(idp.url("/userinfo")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_database_outage_gives_a_clear_page_and_503_on_the_api(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let code = idp.code().await;
    idp.state.pool.close().await;
    let page = idp.backend.get(idp.authorize_url(&[])).send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.text().await.unwrap().contains("Nothing is wrong with your account"));
    let token = idp.exchange(&code).await;
    assert_eq!(token.status(), 503);
    assert_eq!(token.json::<Value>().await.unwrap()["error"], "temporarily_unavailable");
}
