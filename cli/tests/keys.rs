// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin keys rewrap` against a fresh database: every signing key ends up sealed with the
//! first KEK of the file. Needs `DATABASE_URL` (a server where tests may create databases).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::oidc::kek::KeyEncryptionKeys;
use domain::oidc::keys;
use sqlx::PgPool;
use std::process::Command;

fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    )
}

fn admin(pool: &PgPool, file: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cdb-admin"))
        .env("DATABASE_URL", database_url(pool))
        .env("CDB_IDP__KEY_ENCRYPTION_KEY_FILE", file)
        .args(args)
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn rewrap_seals_every_key_with_the_first_kek(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let old_line = KeyEncryptionKeys::new_file_line("old");
    let file = dir.path().join("keks");
    std::fs::write(&file, &old_line).unwrap();
    let old = KeyEncryptionKeys::parse(&old_line).unwrap();
    keys::ensure(&pool, &old).await.unwrap();
    let (ok, out) = admin(&pool, &file, &["keys", "rotate"]);
    assert!(ok && out.contains("sealed with key-encryption key old"), "{out}");

    let new_line = KeyEncryptionKeys::new_file_line("new");
    std::fs::write(&file, &new_line).unwrap();
    let (ok, out) = admin(&pool, &file, &["keys", "rewrap"]);
    assert!(!ok && out.contains("nothing was changed"), "the old KEK is needed to open: {out}");

    std::fs::write(&file, format!("{new_line}{old_line}")).unwrap();
    let (ok, out) = admin(&pool, &file, &["keys", "rewrap"]);
    assert!(ok && out.contains("2 signing keys sealed with key-encryption key new"), "{out}");
    let new = KeyEncryptionKeys::parse(&new_line).unwrap();
    for key in keys::published(&pool, time::Duration::days(1)).await.unwrap() {
        assert!(key.private_der(&new).is_ok(), "{}", key.kid);
    }
    let (ok, out) = admin(&pool, &file, &["keys", "list"]);
    assert!(ok && out.matches("sealed with new").count() == 2, "{out}");
}
