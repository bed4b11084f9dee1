// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{register, spawn_idp};
use domain::oidc::GrantType;
use domain::oidc::client::ClientKind;
use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_service_client_gets_tokens_for_itself_within_its_scopes(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let secret = register(&idp.pool, "newsletter", ClientKind::Confidential, &[GrantType::ClientCredentials])
        .await
        .unwrap();
    let grant = |scope: &'static str| {
        let mut form = vec![("grant_type", "client_credentials")];
        if !scope.is_empty() {
            form.push(("scope", scope));
        }
        idp.backend
            .post(idp.url("/token"))
            .form(&[form, vec![("client_id", "newsletter"), ("client_secret", secret.as_str())]].concat())
            .send()
    };
    let response = grant("email").await.unwrap();
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["scope"], "email");
    assert!(token.get("refresh_token").is_none() && token.get("id_token").is_none());
    let too_wide = grant("email admin").await.unwrap();
    assert_eq!(too_wide.json::<Value>().await.unwrap()["error"], "invalid_scope");

    let info = idp.userinfo(token["access_token"].as_str().unwrap()).await;
    assert_eq!(info.status(), 403, "a service token is nobody's: no userinfo");

    // The web client may not use this grant.
    let refused = idp.token_request(&[("grant_type", "client_credentials")]).await;
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "unauthorized_client");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn public_clients_log_in_with_pkce_and_no_secret(pool: PgPool) {
    let mut idp = spawn_idp(pool).await;
    register(&idp.pool, "spa", ClientKind::Public, &[GrantType::AuthorizationCode]).await;
    idp.client_id = "spa".into();
    let code = idp.code().await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", crate::REDIRECT),
        ("code_verifier", crate::VERIFIER),
        ("client_id", "spa"),
    ];
    let response = idp.backend.post(idp.url("/token")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert!(tokens.get("refresh_token").is_none(), "no refresh grant registered");
    let introspect = idp
        .backend
        .post(idp.url("/introspect"))
        .form(&[("client_id", "spa"), ("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(introspect.status(), 401, "public clients cannot introspect");
}
