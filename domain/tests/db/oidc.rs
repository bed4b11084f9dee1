// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{SOURCE, new_person};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::DomainError;
use domain::account::{self, Credential};
use domain::audit::{Actor, Origin};
use domain::oidc::client::{self, ClientKind, ClientSpec};
use domain::oidc::grant::{self, CodeRequest, Refusal};
use domain::oidc::kek::KeyEncryptionKeys;
use domain::oidc::types::RedirectUri;
use domain::oidc::{ClientId, GrantType, Scopes, keys, login_session};
use domain::types::PersonId;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use time::Duration;

const REDIRECT: &str = "https://my.example.org/auth/callback";
const VERIFIER: &str = "a-pkce-verifier-that-is-long-enough-0123456789";

fn origin() -> Origin<'static> {
    Origin { actor: &Actor::System, source: SOURCE }
}

pub fn keks() -> KeyEncryptionKeys {
    KeyEncryptionKeys::parse(&KeyEncryptionKeys::new_file_line("test-kek")).unwrap()
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn web_client(pool: &PgPool) -> (ClientId, String) {
    let id = ClientId::new("my-app").unwrap();
    let spec = ClientSpec::new(
        "My app",
        ClientKind::Confidential,
        vec![RedirectUri::new(REDIRECT).unwrap()],
        vec![],
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        Scopes::parse("openid profile email").unwrap(),
    )
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let secret = client::create(&mut tx, origin(), &id, &spec).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    (id, secret.expose_secret().to_owned())
}

async fn person_with_account(pool: &PgPool) -> PersonId {
    let person = new_person(pool, "Grace").await;
    let mut tx = pool.begin().await.unwrap();
    account::create(&mut tx, origin(), person.id, None, &Credential::Builtin { password_hash: None })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    person.id
}

async fn code_for(pool: &PgPool, client: &ClientId, person: PersonId) -> String {
    let (session, _) = login_session::start(pool, person, Duration::hours(1)).await.unwrap();
    let scopes = Scopes::parse("openid email").unwrap();
    let challenge = challenge(VERIFIER);
    let request = CodeRequest {
        client,
        person,
        login_session: session.id,
        auth_time: session.authenticated_at,
        scopes: &scopes,
        redirect_uri: REDIRECT,
        nonce: Some("n-0S6_WzA2Mj"),
        code_challenge: &challenge,
    };
    grant::issue_code(pool, &request).await.unwrap().expose_secret().to_owned()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn confidential_clients_authenticate_with_their_secret_only(pool: PgPool) {
    let (id, secret) = web_client(&pool).await;
    let client = client::get(&pool, &id).await.unwrap().unwrap();
    assert!(client.authenticates(Some(&secret)));
    assert!(!client.authenticates(Some("wrong")));
    assert!(!client.authenticates(None));
    assert!(client.has_redirect_uri(REDIRECT));
    assert!(!client.has_redirect_uri("https://my.example.org/auth/callback/"));
    assert!(!client.has_redirect_uri("https://my.example.org/auth/callback?x=1"));

    let mut tx = pool.begin().await.unwrap();
    let new_secret = client::rotate_secret(&mut tx, origin(), &id).await.unwrap();
    tx.commit().await.unwrap();
    let client = client::get(&pool, &id).await.unwrap().unwrap();
    assert!(!client.authenticates(Some(&secret)), "the old secret stops working");
    assert!(client.authenticates(Some(new_secret.expose_secret())));

    let mut tx = pool.begin().await.unwrap();
    let again = client::create(&mut tx, origin(), &id, &client.spec).await.unwrap_err();
    assert!(matches!(again, DomainError::Conflict("client id")));
}

#[test]
fn impossible_client_specs_are_refused() {
    let scopes = Scopes::parse("openid").unwrap();
    let public_service = ClientSpec::new(
        "x",
        ClientKind::Public,
        vec![],
        vec![],
        vec![GrantType::ClientCredentials],
        scopes.clone(),
    );
    assert_eq!(public_service.unwrap_err(), client::SpecError::PublicClientCredentials);
    let no_redirect = ClientSpec::new(
        "x",
        ClientKind::Public,
        vec![],
        vec![],
        vec![GrantType::AuthorizationCode],
        scopes.clone(),
    );
    assert_eq!(no_redirect.unwrap_err(), client::SpecError::NoRedirectUri);
    let nothing =
        ClientSpec::new(" ", ClientKind::Public, vec![], vec![], vec![GrantType::AuthorizationCode], scopes);
    assert_eq!(nothing.unwrap_err(), client::SpecError::Name);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_code_is_redeemed_once_and_a_replay_revokes_its_grant(pool: PgPool) {
    let (client, _) = web_client(&pool).await;
    let person = person_with_account(&pool).await;
    let code = code_for(&pool, &client, person).await;

    let redeemed = grant::redeem_code(&pool, &client, &code, REDIRECT, VERIFIER).await.unwrap().unwrap();
    assert_eq!(redeemed.grant.person, person);
    assert_eq!(redeemed.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    let refresh = grant::issue_refresh_token(&pool, redeemed.grant.id, Duration::days(1)).await.unwrap();
    let jti = uuid::Uuid::new_v4();
    assert!(grant::access_token_is_active(&pool, jti, Some(redeemed.grant.id)).await.unwrap());

    let replay = grant::redeem_code(&pool, &client, &code, REDIRECT, VERIFIER).await.unwrap();
    assert_eq!(replay.unwrap_err(), Refusal::Replayed);
    assert!(!grant::access_token_is_active(&pool, jti, Some(redeemed.grant.id)).await.unwrap());
    let refreshed =
        grant::rotate_refresh_token(&pool, &client, refresh.expose_secret(), None, Duration::days(1)).await;
    assert_eq!(refreshed.unwrap().unwrap_err(), Refusal::Revoked);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_code_needs_the_right_client_redirect_and_verifier(pool: PgPool) {
    let (client, _) = web_client(&pool).await;
    let person = person_with_account(&pool).await;
    let other = ClientId::new("other-app").unwrap();

    let code = code_for(&pool, &client, person).await;
    assert_eq!(
        grant::redeem_code(&pool, &other, &code, REDIRECT, VERIFIER).await.unwrap().unwrap_err(),
        Refusal::Unknown
    );
    assert!(
        grant::redeem_code(&pool, &client, &code, REDIRECT, VERIFIER).await.unwrap().is_ok(),
        "a stranger's attempt does not burn the code"
    );

    let code = code_for(&pool, &client, person).await;
    let wrong_redirect =
        grant::redeem_code(&pool, &client, &code, "https://my.example.org/other", VERIFIER).await;
    assert_eq!(wrong_redirect.unwrap().unwrap_err(), Refusal::RedirectMismatch);
    let after = grant::redeem_code(&pool, &client, &code, REDIRECT, VERIFIER).await.unwrap();
    assert_eq!(after.unwrap_err(), Refusal::Replayed, "a refused attempt uses the code up");

    let code = code_for(&pool, &client, person).await;
    let plain = grant::redeem_code(&pool, &client, &code, REDIRECT, &challenge(VERIFIER)).await;
    assert_eq!(plain.unwrap().unwrap_err(), Refusal::VerifierMismatch);

    assert_eq!(
        grant::redeem_code(&pool, &client, "not-a-code", REDIRECT, VERIFIER).await.unwrap().unwrap_err(),
        Refusal::Unknown
    );
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_expired_code_is_refused(pool: PgPool) {
    let (client, _) = web_client(&pool).await;
    let person = person_with_account(&pool).await;
    let code = code_for(&pool, &client, person).await;
    domain::testing::expire_authorization_codes(&pool).await.unwrap();
    let expired = grant::redeem_code(&pool, &client, &code, REDIRECT, VERIFIER).await.unwrap();
    assert_eq!(expired.unwrap_err(), Refusal::Expired);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family(pool: PgPool) {
    let (client, _) = web_client(&pool).await;
    let person = person_with_account(&pool).await;
    let code = code_for(&pool, &client, person).await;
    let grant_id =
        grant::redeem_code(&pool, &client, &code, REDIRECT, VERIFIER).await.unwrap().unwrap().grant.id;
    let first = grant::issue_refresh_token(&pool, grant_id, Duration::days(1)).await.unwrap();

    let (grant, second) =
        grant::rotate_refresh_token(&pool, &client, first.expose_secret(), None, Duration::days(1))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(grant.id, grant_id);
    assert_ne!(first.expose_secret(), second.expose_secret());

    // The first token, used again (stolen copy): the whole family dies, the newest token too.
    let reuse = grant::rotate_refresh_token(&pool, &client, first.expose_secret(), None, Duration::days(1))
        .await
        .unwrap();
    assert_eq!(reuse.unwrap_err(), Refusal::Replayed);
    let newest = grant::rotate_refresh_token(&pool, &client, second.expose_secret(), None, Duration::days(1))
        .await
        .unwrap();
    assert_eq!(newest.unwrap_err(), Refusal::Revoked);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn disabling_an_account_stops_refresh_and_sessions(pool: PgPool) {
    let (client, _) = web_client(&pool).await;
    let person = person_with_account(&pool).await;
    let (_, cookie) = login_session::start(&pool, person, Duration::hours(1)).await.unwrap();
    assert!(login_session::find(&pool, cookie.expose_secret()).await.unwrap().is_some());
    let code = code_for(&pool, &client, person).await;
    let grant_id =
        grant::redeem_code(&pool, &client, &code, REDIRECT, VERIFIER).await.unwrap().unwrap().grant.id;
    let refresh = grant::issue_refresh_token(&pool, grant_id, Duration::days(1)).await.unwrap();

    sqlx::query("UPDATE account SET disabled = true").execute(&pool).await.unwrap();
    assert!(login_session::find(&pool, cookie.expose_secret()).await.unwrap().is_none());
    let refused =
        grant::rotate_refresh_token(&pool, &client, refresh.expose_secret(), None, Duration::days(1))
            .await
            .unwrap();
    assert_eq!(refused.unwrap_err(), Refusal::AccountDisabled);
    assert!(!grant::access_token_is_active(&pool, uuid::Uuid::new_v4(), Some(grant_id)).await.unwrap());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn ending_a_login_session_revokes_its_grants(pool: PgPool) {
    let (client, _) = web_client(&pool).await;
    let person = person_with_account(&pool).await;
    let code = code_for(&pool, &client, person).await;
    let grant = grant::redeem_code(&pool, &client, &code, REDIRECT, VERIFIER).await.unwrap().unwrap().grant;
    let refresh = grant::issue_refresh_token(&pool, grant.id, Duration::days(1)).await.unwrap();
    login_session::end(&pool, grant.login_session.unwrap()).await.unwrap();
    let refused =
        grant::rotate_refresh_token(&pool, &client, refresh.expose_secret(), None, Duration::days(1))
            .await
            .unwrap();
    assert_eq!(refused.unwrap_err(), Refusal::Revoked);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn signing_keys_rotate_and_retired_keys_stay_published_for_a_token_lifetime(pool: PgPool) {
    let keks = keks();
    assert!(keys::ensure(&pool, &keks).await.unwrap(), "the first start makes a key");
    assert!(!keys::ensure(&pool, &keks).await.unwrap(), "later starts keep it");
    let lifetime = Duration::minutes(10);
    let first = keys::published(&pool, lifetime).await.unwrap();
    assert_eq!(first.len(), 1);

    let mut tx = pool.begin().await.unwrap();
    let new_kid = keys::rotate(&mut tx, origin(), &keks).await.unwrap();
    tx.commit().await.unwrap();
    let after = keys::published(&pool, lifetime).await.unwrap();
    assert_eq!(
        after.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        [new_kid.as_str(), first[0].kid.as_str()]
    );
    assert!(after[0].retired_at.is_none() && after[1].retired_at.is_some());

    // Once the lifetime has passed, the old key is neither published nor kept.
    domain::testing::age_retired_signing_keys(&pool, Duration::minutes(11)).await.unwrap();
    assert_eq!(keys::published(&pool, lifetime).await.unwrap().len(), 1);
    assert_eq!(keys::prune(&pool, lifetime).await.unwrap(), 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_refresh_asking_for_more_scope_leaves_the_token_unused(pool: PgPool) {
    let (client, _) = web_client(&pool).await;
    let person = person_with_account(&pool).await;
    let code = code_for(&pool, &client, person).await; // openid email
    let grant = grant::redeem_code(&pool, &client, &code, REDIRECT, VERIFIER).await.unwrap().unwrap().grant;
    let refresh = grant::issue_refresh_token(&pool, grant.id, Duration::days(1)).await.unwrap();
    let wider = Scopes::parse("openid email profile").unwrap();
    let refused =
        grant::rotate_refresh_token(&pool, &client, refresh.expose_secret(), Some(&wider), Duration::days(1))
            .await
            .unwrap();
    assert_eq!(refused.unwrap_err(), Refusal::ScopeNotGranted);

    let narrower = Scopes::parse("openid").unwrap();
    let (narrowed, _) = grant::rotate_refresh_token(
        &pool,
        &client,
        refresh.expose_secret(),
        Some(&narrower),
        Duration::days(1),
    )
    .await
    .unwrap()
    .expect("the refused request did not use the token");
    assert_eq!(narrowed.scopes, narrower);
    let again = grant::rotate_refresh_token(&pool, &client, refresh.expose_secret(), None, Duration::days(1))
        .await
        .unwrap();
    assert_eq!(again.unwrap_err(), Refusal::Replayed, "used once");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn plaintext_keys_are_sealed_and_rewrap_moves_every_key_to_the_first_kek(pool: PgPool) {
    let old_line = KeyEncryptionKeys::new_file_line("old");
    let old = KeyEncryptionKeys::parse(&old_line).unwrap();
    keys::ensure(&pool, &old).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    keys::rotate(&mut tx, origin(), &old).await.unwrap();
    tx.commit().await.unwrap();
    let lifetime = Duration::minutes(10);
    let stored = keys::published(&pool, lifetime).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|k| !k.is_plaintext()), "new keys are sealed from the start");
    let ders: Vec<Vec<u8>> =
        stored.iter().map(|k| k.private_der(&old).unwrap().expose_secret().to_vec()).collect();

    // One row as a release before sealing wrote it.
    sqlx::query("UPDATE oidc_signing_key SET private_der = $2, sealed_private_key = NULL, kek_id = NULL WHERE kid = $1")
        .bind(&stored[1].kid)
        .bind(&ders[1])
        .execute(&pool)
        .await
        .unwrap();
    let report = keys::seal_plaintext(&pool, &old).await.unwrap();
    assert_eq!((report.sealed, report.unopenable.len()), (1, 0));
    let in_the_clear: i64 =
        sqlx::query_scalar("SELECT count(*) FROM oidc_signing_key WHERE private_der IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(in_the_clear, 0);
    let sealed: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT sealed_private_key FROM oidc_signing_key").fetch_all(&pool).await.unwrap();
    for bytes in &sealed {
        for der in &ders {
            assert!(!bytes.windows(der.len()).any(|w| w == der.as_slice()), "a key in the clear");
        }
    }

    // Rotation of the KEK: the new one first, the old one kept until rewrap.
    let new_line = KeyEncryptionKeys::new_file_line("new");
    let both = KeyEncryptionKeys::parse(&format!("{new_line}{old_line}")).unwrap();
    let only_new = KeyEncryptionKeys::parse(&new_line).unwrap();
    let report = keys::seal_plaintext(&pool, &only_new).await.unwrap();
    assert_eq!(report.unopenable.len(), 2, "the new KEK alone opens nothing yet");
    let mut tx = pool.begin().await.unwrap();
    let refused = keys::rewrap(&mut tx, origin(), &only_new).await;
    assert!(matches!(refused, Err(keys::UnsealError::Key { .. })), "rewrap needs the old KEK too");
    drop(tx);
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(keys::rewrap(&mut tx, origin(), &both).await.unwrap(), 2);
    tx.commit().await.unwrap();
    for (key, der) in keys::published(&pool, lifetime).await.unwrap().iter().zip(&ders) {
        assert_eq!(key.private_der(&only_new).unwrap().expose_secret(), der.as_slice(), "{}", key.kid);
        assert!(key.private_der(&old).is_err());
    }
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'oidc.signing_key%'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(actions.iter().any(|a| a == "oidc.signing_keys_rewrapped"), "{actions:?}");
}
