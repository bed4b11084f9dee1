// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::spawn_idp;
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn discovery_names_the_issuer_and_exactly_what_is_supported(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let meta: serde_json::Value = idp
        .backend
        .get(idp.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], idp.issuer.as_str());
    assert_eq!(meta["token_endpoint"], idp.url("/token").as_str());
    assert_eq!(meta["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(meta["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(meta["request_uri_parameter_supported"], false);
    assert_eq!(meta["id_token_signing_alg_values_supported"], serde_json::json!(["ES256"]));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_jwks_publishes_public_keys_only_and_follows_rotation(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let jwks: serde_json::Value =
        idp.backend.get(idp.url("/jwks")).send().await.unwrap().json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "ES256");
    assert!(keys[0].get("d").is_none(), "no private key material");

    let before = idp.tokens().await;
    let old_kid = keys[0]["kid"].as_str().unwrap().to_owned();

    let mut tx = idp.pool.begin().await.unwrap();
    let origin = domain::audit::Origin { actor: &domain::audit::Actor::System, source: "test" };
    let new_kid =
        domain::oidc::keys::rotate(&mut tx, origin, idp.state.keys.key_encryption_keys()).await.unwrap();
    tx.commit().await.unwrap();
    idp.state.keys.reload().await.unwrap(); // what every instance does each minute

    let jwks: serde_json::Value =
        idp.backend.get(idp.url("/jwks")).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> =
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()], "the old key stays published");
    let after = idp.tokens().await;
    let header = jsonwebtoken::decode_header(after["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()), "new tokens are signed with the new key");
    let userinfo = idp.userinfo(before["access_token"].as_str().unwrap()).await;
    assert_eq!(userinfo.status(), 200, "tokens signed with the old key stay valid");
}
