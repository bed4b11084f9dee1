// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Signing keys at rest: sealed with the key-encryption keys of `idp.key_encryption_key_file`,
//! plaintext from before sealing existed is sealed at start, and a wrong file stops start-up
//! with a line naming the setting.

use crate::spawn_idp_with;
use domain::oidc::kek::KeyEncryptionKeys;
use hosting::config::Settings;
use idp::startup::Application;
use secrecy::ExposeSecret;
use sqlx::{PgPool, Row};
use std::path::{Path, PathBuf};

/// The DER prefix of every PKCS#8 P-256 private key (SEQUENCE, version 0, id-ecPublicKey,
/// prime256v1): if it shows up in a column, a key is stored in the clear.
const PKCS8_P256_PREFIX: [u8; 17] =
    [0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a];

fn write_keks(dir: &Path, name: &str, ids: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let text: String = ids.iter().map(|id| KeyEncryptionKeys::new_file_line(id)).collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every column of every stored key, as bytes, with the row's kid.
async fn stored_rows(pool: &PgPool) -> Vec<(String, Option<Vec<u8>>, Vec<u8>)> {
    sqlx::query(
        "SELECT kid, private_der, coalesce(sealed_private_key, ''::bytea) AS sealed FROM oidc_signing_key",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get("kid"), r.get("private_der"), r.get("sealed")))
    .collect()
}

/// Starts (builds) the idp on `pool` with `settings`; the start-up error, if any.
async fn start(pool: &PgPool, settings: &Settings) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    match Application::build_on(listener, settings, (*pool.connect_options()).clone()).await {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn settings_with(file: Option<PathBuf>) -> Settings {
    let mut settings = Settings::default();
    let outbox = std::env::temp_dir();
    settings.mail.outbox_dir = outbox;
    settings.idp.key_encryption_key_file = file;
    settings
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn no_private_key_is_left_in_the_clear_after_start(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = write_keks(dir.path(), "keks", &["kek-1"]);
    let keks = KeyEncryptionKeys::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let configured = file.clone();
    let idp =
        spawn_idp_with(pool.clone(), None, move |s| s.idp.key_encryption_key_file = Some(configured)).await;
    let before = idp.tokens().await;

    // A key as a release before sealing stored it: plaintext DER, no KEK.
    let published = domain::oidc::keys::published(&pool, time::Duration::minutes(10)).await.unwrap();
    let der = published[0].private_der(&keks).unwrap().expose_secret().to_vec();
    assert!(contains(&der, &PKCS8_P256_PREFIX), "the prefix this test looks for is right");
    sqlx::query("UPDATE oidc_signing_key SET private_der = $1, sealed_private_key = NULL, kek_id = NULL")
        .bind(&der)
        .execute(&pool)
        .await
        .unwrap();

    start(&pool, &settings_with(Some(file.clone()))).await.unwrap();
    let rows = stored_rows(&pool).await;
    assert_eq!(rows.len(), 1);
    for (kid, plaintext, sealed) in &rows {
        assert_eq!(plaintext, &None, "{kid}: the plaintext column is cleared");
        assert!(!contains(sealed, &der) && !contains(sealed, &PKCS8_P256_PREFIX), "{kid}: sealed");
        assert!(sealed.len() > der.len(), "{kid}: nonce and tag around the ciphertext");
    }
    let kek_ids: Vec<String> =
        sqlx::query_scalar("SELECT kek_id FROM oidc_signing_key").fetch_all(&pool).await.unwrap();
    assert_eq!(kek_ids, ["kek-1"]);
    // Tokens signed before still verify, and the sealed key still signs.
    assert_eq!(idp.userinfo(before["access_token"].as_str().unwrap()).await.status(), 200);
    idp.state.keys.reload().await.unwrap();
    let after = idp.tokens().await;
    assert_eq!(idp.userinfo(after["access_token"].as_str().unwrap()).await.status(), 200);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_wrong_or_missing_key_encryption_key_file_stops_start_up_naming_the_setting(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let right = write_keks(dir.path(), "right", &["kek-1"]);
    start(&pool, &settings_with(Some(right.clone()))).await.unwrap();

    let setting = "idp.key_encryption_key_file";
    let same_id_other_key = write_keks(dir.path(), "wrong", &["kek-1"]);
    let error = start(&pool, &settings_with(Some(same_id_other_key))).await.unwrap_err();
    assert!(error.contains(setting) && error.contains("does not open"), "{error}");
    let other_id = write_keks(dir.path(), "other", &["kek-2"]);
    let error = start(&pool, &settings_with(Some(other_id))).await.unwrap_err();
    assert!(error.contains(setting) && error.contains("kek-1"), "{error}");
    std::fs::write(dir.path().join("garbled"), "kek-1 no colon\n").unwrap();
    let error = start(&pool, &settings_with(Some(dir.path().join("garbled")))).await.unwrap_err();
    assert!(error.contains(setting) && error.contains("line 1"), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");

    // Outside development the file is required and never created.
    let mut production = settings_with(None);
    production.idp.public_url = "https://id.example.org".into();
    let error = start(&pool, &production).await.unwrap_err();
    assert!(error.contains(setting) && error.contains("not set"), "{error}");
    production.idp.key_encryption_key_file = Some(dir.path().join("absent"));
    let error = start(&pool, &production).await.unwrap_err();
    assert!(error.contains(setting), "{error}");
    assert!(!dir.path().join("absent").exists());

    // After a rotation in the file (new key first, old kept) the idp starts again.
    let rotated = dir.path().join("rotated");
    let old = std::fs::read_to_string(&right).unwrap();
    std::fs::write(&rotated, format!("{}{old}", KeyEncryptionKeys::new_file_line("kek-2"))).unwrap();
    start(&pool, &settings_with(Some(rotated))).await.unwrap();
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn in_development_a_missing_file_is_created_for_the_owner_only(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub").join("keks");
    start(&pool, &settings_with(Some(file.clone()))).await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(KeyEncryptionKeys::parse(&text).is_ok());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    start(&pool, &settings_with(Some(file))).await.unwrap();
}
