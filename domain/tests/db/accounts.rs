// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{SOURCE, add_email, new_person};
use domain::DomainError;
use domain::account::{self, Credential};
use domain::audit::{self, Actor, Origin};
use domain::email::Verification;
use domain::password::{self, Password};
use domain::types::LoginName;
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn login_names_are_unique(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let eve = new_person(&pool, "Eve").await;
    let name = LoginName::try_from("ada").unwrap();
    let builtin = Credential::Builtin { password_hash: None };
    let mut tx = pool.begin().await.unwrap();
    account::create(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, ada.id, Some(&name), &builtin)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    let taken = account::create(
        &mut tx,
        Origin { actor: &Actor::System, source: SOURCE },
        eve.id,
        Some(&LoginName::try_from("ADA").unwrap()),
        &builtin,
    )
    .await;
    assert!(matches!(taken, Err(DomainError::Conflict("login name"))), "{taken:?}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn ldap_accounts_keep_their_dn_and_no_hash(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let ldap = Credential::Ldap { dn: "uid=ada,ou=people,dc=example,dc=org".into() };
    let mut tx = pool.begin().await.unwrap();
    account::create(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, ada.id, None, &ldap)
        .await
        .unwrap();
    // A password cannot be set on an LDAP account: the directory owns it.
    let hash = password::hash(&Password::new("a long password".into()).unwrap()).await.unwrap();
    let refused =
        account::set_password(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, ada.id, &hash).await;
    assert!(matches!(refused, Err(DomainError::NotFound("built-in account"))));
    tx.commit().await.unwrap();
    assert_eq!(account::get(&pool, ada.id).await.unwrap().unwrap().credential, ldap);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn login_finds_names_and_verified_addresses_only(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let mut tx = pool.begin().await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    add_email(&mut tx, ada.id, "ada@example.org", true, Verification::VerifiedAt(now)).await.unwrap();
    add_email(&mut tx, ada.id, "unproven@example.org", false, Verification::Unverified).await.unwrap();
    account::create(
        &mut tx,
        Origin { actor: &Actor::System, source: SOURCE },
        ada.id,
        Some(&LoginName::try_from("ada").unwrap()),
        &Credential::Builtin { password_hash: None },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    for identifier in ["ada", " ADA ", "ada@example.org", "Ada@Example.ORG"] {
        let found = account::find_for_login(&pool, identifier).await.unwrap();
        assert_eq!(found.map(|a| a.person), Some(ada.id), "{identifier}");
    }
    for identifier in ["unproven@example.org", "eve", "", "' OR '1'='1", &"a".repeat(10_000)] {
        assert_eq!(account::find_for_login(&pool, identifier).await.unwrap(), None, "{identifier:.20}");
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn setting_a_password_is_audited_without_the_hash(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let mut tx = pool.begin().await.unwrap();
    account::create(
        &mut tx,
        Origin { actor: &Actor::System, source: SOURCE },
        ada.id,
        None,
        &Credential::Builtin { password_hash: None },
    )
    .await
    .unwrap();
    let hash = password::hash(&Password::new("correct horse battery".into()).unwrap()).await.unwrap();
    account::set_password(&mut tx, Origin { actor: &Actor::Person(ada.id), source: SOURCE }, ada.id, &hash)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let stored = account::get(&pool, ada.id).await.unwrap().unwrap();
    let Credential::Builtin { password_hash: Some(stored_hash) } = stored.credential else {
        panic!("no hash stored")
    };
    assert!(password::verify(&"correct horse battery".into(), &stored_hash).await.unwrap());

    let entries = audit::for_person(&pool, ada.id).await.unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["person.created", "account.created", "account.password_set"]);
    assert_eq!(entries[2].actor_person, Some(ada.id));
    let everything = serde_json::to_string(&entries.iter().map(|e| &e.details).collect::<Vec<_>>()).unwrap();
    assert!(!everything.contains("argon2"), "a hash leaked into the audit log: {everything}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_password_change_ends_every_session_and_grant_but_a_rehash_does_not(pool: PgPool) {
    use domain::oidc::client::{ClientKind, ClientSpec};
    use domain::oidc::grant::{self, CodeRequest, Refusal};
    use domain::oidc::types::RedirectUri;
    use domain::oidc::{ClientId, GrantType, Scopes, client, login_session};
    use secrecy::ExposeSecret;
    use time::Duration;

    let origin = || Origin { actor: &Actor::System, source: SOURCE };
    let ada = new_person(&pool, "Ada").await;
    let mut tx = pool.begin().await.unwrap();
    account::create(&mut tx, origin(), ada.id, None, &Credential::Builtin { password_hash: None })
        .await
        .unwrap();
    let client_id = ClientId::new("app").unwrap();
    let redirect = "https://app.example.org/cb";
    let spec = ClientSpec::new(
        "App",
        ClientKind::Public,
        vec![RedirectUri::new(redirect).unwrap()],
        vec![],
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        Scopes::parse("openid").unwrap(),
    )
    .unwrap();
    client::create(&mut tx, origin(), &client_id, &spec).await.unwrap();
    tx.commit().await.unwrap();

    // Two browsers, each with a grant and a refresh token.
    let verifier = "a-pkce-verifier-that-is-long-enough-0123456789";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let scopes = Scopes::parse("openid").unwrap();
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let (session, cookie) = login_session::start(&pool, ada.id, Duration::hours(1)).await.unwrap();
        let request = CodeRequest {
            client: &client_id,
            person: ada.id,
            login_session: session.id,
            auth_time: session.authenticated_at,
            scopes: &scopes,
            redirect_uri: redirect,
            nonce: None,
            code_challenge: &challenge,
        };
        let code = grant::issue_code(&pool, &request).await.unwrap();
        let grant = grant::redeem_code(&pool, &client_id, code.expose_secret(), redirect, verifier)
            .await
            .unwrap()
            .unwrap();
        let refresh = grant::issue_refresh_token(&pool, grant.grant.id, Duration::days(1)).await.unwrap();
        sessions.push((cookie, grant.grant.id, refresh));
    }

    // A rehash (same password, new parameters) changes nothing of that.
    let hash = password::hash(&Password::new("correct horse battery".into()).unwrap()).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    account::rehash_password(&mut tx, origin(), ada.id, &hash).await.unwrap();
    tx.commit().await.unwrap();
    for (cookie, grant, _) in &sessions {
        assert!(login_session::find(&pool, cookie.expose_secret()).await.unwrap().is_some());
        assert!(grant::access_token_is_active(&pool, uuid::Uuid::new_v4(), Some(*grant)).await.unwrap());
    }

    // A change ends both sessions and both grants, in the transaction of the new hash.
    let mut tx = pool.begin().await.unwrap();
    account::set_password(&mut tx, origin(), ada.id, &hash).await.unwrap();
    let (cookie, _, _) = &sessions[0];
    assert!(login_session::find(&pool, cookie.expose_secret()).await.unwrap().is_some(), "not before commit");
    tx.commit().await.unwrap();
    for (cookie, grant, refresh) in &sessions {
        assert!(login_session::find(&pool, cookie.expose_secret()).await.unwrap().is_none());
        assert!(!grant::access_token_is_active(&pool, uuid::Uuid::new_v4(), Some(*grant)).await.unwrap());
        let refused =
            grant::rotate_refresh_token(&pool, &client_id, refresh.expose_secret(), None, Duration::days(1))
                .await
                .unwrap();
        assert_eq!(refused.unwrap_err(), Refusal::Revoked);
    }
    let last = audit::for_person(&pool, ada.id).await.unwrap().pop().unwrap();
    assert_eq!(last.action.as_str(), "account.password_set");
    assert_eq!(last.details["login_sessions_ended"], 2);
    assert_eq!(last.details["grants_revoked"], 2);
}
