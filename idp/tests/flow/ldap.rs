// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Logins checked by a real OpenLDAP server (slapd on loopback, started per test), with the
//! built-in accounts still working beside it.

use crate::{TestIdp, location_query, spawn_idp_with};
use domain::demo;
use hosting::config::{DirectoryChoice, Settings};
use hosting::testing::{
    LDAP_BASE, LDAP_READER, LDAP_READER_PASSWORD, Slapd, TestCertificates, test_certificates,
};
use serde_json::Value;
use sqlx::PgPool;
use std::path::Path;

fn use_ldap(settings: &mut Settings, slapd: &Slapd, password_file: &Path) {
    settings.idp.directory = DirectoryChoice::Ldap;
    settings.ldap.url = slapd.url.clone();
    settings.ldap.bind_dn = LDAP_READER.into();
    settings.ldap.bind_password_file = Some(password_file.to_owned());
    settings.ldap.base_dn = format!("ou=people,{LDAP_BASE}");
    settings.ldap.group_base_dn = format!("ou=groups,{LDAP_BASE}");
    settings.ldap.timeout_secs = 2;
}

fn password_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("ldap-password");
    std::fs::write(&path, format!("{LDAP_READER_PASSWORD}\n")).unwrap();
    path
}

async fn spawn_ldap_idp(pool: PgPool, slapd: &Slapd, dir: &Path, tls: Option<&TestCertificates>) -> TestIdp {
    let file = password_file(dir);
    spawn_idp_with(pool, None, |settings| {
        use_ldap(settings, slapd, &file);
        if let Some(certs) = tls {
            settings.ldap.starttls = true;
            settings.ldap.ca_file = Some(certs.ca.clone());
        }
    })
    .await
}

/// Logs in with a fresh browser; returns the response to the login form.
async fn login(idp: &TestIdp, identifier: &str, password: &str) -> reqwest::Response {
    let fresh = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = idp.authorize_url(&[]);
    let query = url::Url::parse(&url).unwrap().query().unwrap().to_owned();
    let body = format!(
        "{query}&{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("identifier", identifier)
            .append_pair("password", password)
            .finish()
    );
    fresh
        .post(idp.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &idp.issuer)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The userinfo claims after a successful login.
async fn claims_after(idp: &TestIdp, response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let code = location_query(&response).1["code"].clone();
    let tokens: Value = idp.exchange(&code).await.json().await.unwrap();
    idp.userinfo(tokens["access_token"].as_str().unwrap()).await.json().await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn ldap_people_log_in_by_uid_or_mail_and_bring_their_groups(pool: PgPool) {
    let slapd = Slapd::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let idp = spawn_ldap_idp(pool, &slapd, dir.path(), None).await;

    let grace = claims_after(&idp, login(&idp, "grace", "grace-hopper-1906").await).await;
    assert_eq!(grace["preferred_username"], "grace");
    assert_eq!(grace["email"], "grace@example.org");
    assert_eq!(grace["email_verified"], true);
    assert_eq!(grace["name"], "Grace Hopper");
    assert_eq!(grace["groups"], serde_json::json!(["board", "staff"]));

    // By address, and again: the same person, not a second one.
    let again = claims_after(&idp, login(&idp, "Grace@Example.org", "grace-hopper-1906").await).await;
    assert_eq!(again["sub"], grace["sub"]);
    let persons: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE directory = 'ldap'")
        .fetch_one(&idp.pool)
        .await
        .unwrap();
    assert_eq!(persons, 1);

    // Built-in accounts keep working beside the directory.
    let ada = claims_after(&idp, login(&idp, demo::LOGIN_NAME, demo::PASSWORD).await).await;
    assert_eq!(ada["preferred_username"], demo::LOGIN_NAME);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn wrong_passwords_hostile_names_and_empty_passwords_are_refused_alike(pool: PgPool) {
    let slapd = Slapd::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let idp = spawn_ldap_idp(pool, &slapd, dir.path(), None).await;
    let wrong = login(&idp, "grace", "not her password").await;
    assert_eq!(wrong.status(), 401);
    let wrong_page = wrong.text().await.unwrap().replace("grace", "NAME");
    for (name, password) in [
        ("nobody", "whatever password"),
        // Filter injection: must not match everyone (or anyone).
        ("*", "grace-hopper-1906"),
        ("*)(uid=*", "grace-hopper-1906"),
        ("grace)(|(uid=*", "grace-hopper-1906"),
    ] {
        let response = login(&idp, name, password).await;
        assert_eq!(response.status(), 401, "{name:?}");
        let page = response.text().await.unwrap().replace(name, "NAME").replace("grace", "NAME");
        if !name.contains(['*', '(']) {
            assert_eq!(page, wrong_page, "{name:?} looks like any wrong password");
        }
    }
    // An empty password would be an anonymous bind that LDAP accepts: refused before it is sent.
    assert_eq!(login(&idp, "grace", "").await.status(), 400);
    // A person disabled here stays out even with the directory's blessing.
    claims_after(&idp, login(&idp, "linus", "linus-torvalds-1969").await).await;
    sqlx::query("UPDATE account SET disabled = true WHERE ldap_dn LIKE 'uid=linus,%'")
        .execute(&idp.pool)
        .await
        .unwrap();
    assert_eq!(login(&idp, "linus", "linus-torvalds-1969").await.status(), 401);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn group_changes_in_the_directory_follow_at_the_next_login(pool: PgPool) {
    let slapd = Slapd::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let idp = spawn_ldap_idp(pool, &slapd, dir.path(), None).await;
    let first = claims_after(&idp, login(&idp, "grace", "grace-hopper-1906").await).await;
    assert_eq!(first["groups"], serde_json::json!(["board", "staff"]));

    // Staff add her to a group by hand; the directory drops her from staff.
    sqlx::query(
        "WITH g AS (INSERT INTO groups (name, display_name) VALUES ('volunteers', 'Volunteers') RETURNING id)
         INSERT INTO group_membership (group_id, person_id) SELECT g.id, a.person_id FROM g, account a
         WHERE a.ldap_dn LIKE 'uid=grace,%'",
    )
    .execute(&idp.pool)
    .await
    .unwrap();
    slapd.modify(&format!(
        "dn: cn=staff,ou=groups,{LDAP_BASE}\nchangetype: modify\nreplace: member\nmember: uid=linus,ou=people,{LDAP_BASE}\n"
    ));
    let second = claims_after(&idp, login(&idp, "grace", "grace-hopper-1906").await).await;
    assert_eq!(second["groups"], serde_json::json!(["board", "volunteers"]), "hand-given membership kept");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_directory_outage_says_so_and_locks_nobody_out(pool: PgPool) {
    let mut slapd = Slapd::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let idp = spawn_ldap_idp(pool, &slapd, dir.path(), None).await;
    slapd.stop();
    // More attempts than the per-name throttle allows: an outage is nobody's failure.
    for _ in 0..12 {
        let response = login(&idp, "grace", "grace-hopper-1906").await;
        assert_eq!(response.status(), 503);
        let page = response.text().await.unwrap();
        assert!(page.contains("The directory that checks passwords cannot be reached"), "{page}");
    }
    // Built-in accounts are not affected.
    assert_eq!(login(&idp, demo::LOGIN_NAME, demo::PASSWORD).await.status(), 303);
    slapd.restart();
    let response = login(&idp, "grace", "grace-hopper-1906").await;
    assert_eq!(response.status(), 303, "not throttled after the outage");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn starttls_is_verified_against_the_configured_ca(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let certs = test_certificates(dir.path());
    let slapd = Slapd::start(Some(&certs)).await;
    let idp = spawn_ldap_idp(pool, &slapd, dir.path(), Some(&certs)).await;
    let grace = claims_after(&idp, login(&idp, "grace", "grace-hopper-1906").await).await;
    assert_eq!(grace["preferred_username"], "grace");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn starttls_to_an_untrusted_server_is_unavailable_not_a_login(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let certs = test_certificates(dir.path());
    let slapd = Slapd::start(Some(&certs)).await;
    let file = password_file(dir.path());
    // StartTLS without the private CA: the system roots do not know it.
    let idp = spawn_idp_with(pool, None, |settings| {
        use_ldap(settings, &slapd, &file);
        settings.ldap.starttls = true;
    })
    .await;
    assert_eq!(login(&idp, "grace", "grace-hopper-1906").await.status(), 503);
}
