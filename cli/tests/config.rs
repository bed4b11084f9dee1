// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin --config FILE`: the built binary reads the servers' settings file, takes its
//! database from it, lets `DATABASE_URL` win over it, and names a bad file or key in its error.
//! The database tests need `DATABASE_URL` (a server where tests may create databases); the
//! binary itself runs without it unless a test passes it on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::PgPool;
use std::path::Path;
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

/// Runs `cdb-admin` with `args`, none of the caller's settings variables, and `env`.
fn admin(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdb-admin"));
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name.starts_with("CDB_") {
            command.env_remove(name);
        }
    }
    let output = command.envs(env.iter().copied()).args(args).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn migrate_takes_the_database_from_the_settings_file(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&pool);
    let config = write(dir.path(), "community.toml", &format!("[database]\nurl = \"{url}\"\n"));
    let (ok, out) = admin(&["--config", &config, "migrate"], &[]);
    assert!(ok && out.contains("database schema is up to date"), "{out}");

    // The same through CDB_CONFIG and database.url_file.
    let url_file = write(dir.path(), "database-url", &format!("{url}\n"));
    let config = write(dir.path(), "file.toml", &format!("[database]\nurl_file = \"{url_file}\"\n"));
    let (ok, out) = admin(&["migrate"], &[("CDB_CONFIG", &config)]);
    assert!(ok && out.contains("database schema is up to date"), "{out}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn database_url_wins_over_the_settings_file(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&pool);
    // Nothing listens on port 1: had the file's URL been used, migrate would fail.
    let config =
        write(dir.path(), "community.toml", "[database]\nurl = \"postgres://nobody@127.0.0.1:1/none\"\n");
    let (ok, out) = admin(&["--config", &config, "migrate"], &[("DATABASE_URL", &url)]);
    assert!(ok && out.contains("database schema is up to date"), "{out}");
    let (ok, out) = admin(&["--config", &config, "--database-url", &url, "migrate"], &[]);
    assert!(ok && out.contains("database schema is up to date"), "{out}");
}

#[test]
fn a_missing_settings_file_is_named() {
    let (ok, out) = admin(&["--config", "/nonexistent/community.toml", "migrate"], &[]);
    assert!(!ok && out.contains("/nonexistent/community.toml") && out.contains("--config"), "{out}");
    let (ok, out) = admin(&["migrate"], &[("CDB_CONFIG", "/nonexistent/other.toml")]);
    assert!(!ok && out.contains("/nonexistent/other.toml"), "{out}");
}

#[test]
fn a_bad_setting_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "typo.toml", "[site]\norganization = \"Friends\"\n");
    let (ok, out) = admin(&["--config", &config, "migrate"], &[]);
    assert!(!ok && out.contains("organization"), "an unknown key is refused: {out}");

    let config = write(dir.path(), "mysql.toml", "[database]\nurl = \"mysql://u@localhost/db\"\n");
    let (ok, out) = admin(&["--config", &config, "migrate"], &[]);
    assert!(!ok && out.contains("database.url") && out.contains("postgres://"), "{out}");
}

#[test]
fn without_a_file_or_database_url_it_says_what_to_set() {
    let (ok, out) = admin(&["migrate"], &[]);
    assert!(!ok && out.contains("DATABASE_URL") && out.contains("database.url"), "{out}");
}
