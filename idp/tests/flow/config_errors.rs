// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Bad settings end the idp with one clear line naming what to fix, never a panic.

use std::process::Command;

fn idp(env: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_idp"))
        .env_remove("DATABASE_URL")
        .env_remove("CDB_CONFIG")
        .env("RUST_LOG", "off")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).trim().to_owned())
}

#[test]
fn bad_idp_settings_are_named_in_one_line() {
    let (code, stderr) = idp(&[("CDB_IDP__ACCESS_TOKEN_MINUTES", "0")]);
    assert_eq!((code, stderr.as_str()), (1, "error: idp.access_token_minutes must be at least 1"));
    let (code, stderr) = idp(&[("CDB_IDP__ISSUER", "https://id.example.org")]);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("error: configuration:") && stderr.contains("issuer"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
}

#[test]
fn a_port_in_use_names_the_setting_and_an_unreachable_database_hides_its_password() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) =
        idp(&[("CDB_IDP__LISTEN", addr.as_str()), ("DATABASE_URL", "postgres://ada:hunter2@127.0.0.1:1/x")]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(&format!("error: cannot listen on {addr} (idp.listen / CDB_IDP__LISTEN)")),
        "{stderr}"
    );

    let (code, stderr) =
        idp(&[("CDB_IDP__LISTEN", "127.0.0.1:0"), ("DATABASE_URL", "postgres://ada:hunter2@127.0.0.1:1/x")]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error: cannot reach the database at postgres://ada@127.0.0.1:1/x"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"));
}
