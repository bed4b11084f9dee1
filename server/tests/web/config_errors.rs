// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Bad settings end the binary with one clear line naming what to fix, never a panic. The
//! binary listens on port 0 here, never on the stack's ports (3000, 3001).

use std::io::Write;
use std::process::Command;

fn server(config: Option<&std::path::Path>, env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    // Port 0 unless a test names one (or its file is broken and nothing binds): the default
    // (3000) belongs to `scripts/run.sh`'s stack, and a test must neither take it nor fail
    // because the stack holds it.
    command.env_remove("DATABASE_URL").env_remove("CDB_CONFIG").env("RUST_LOG", "off");
    match config {
        Some(path) => {
            command.arg("--config").arg(path);
        }
        None => {
            command.env("CDB_HTTP__LISTEN", "127.0.0.1:0");
        }
    }
    command.envs(env.iter().copied());
    let output = command.output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn one_line(stderr: &str) -> &str {
    let lines: Vec<_> = stderr.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    lines[0]
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn a_missing_config_file() {
    let (code, stderr) = server(Some("/nonexistent/server.toml".as_ref()), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        one_line(&stderr),
        "error: configuration file /nonexistent/server.toml does not exist (check --config or CDB_CONFIG)"
    );
}

#[test]
fn a_malformed_config_file() {
    let file = config_file("[http]\nlisten = 3000\n");
    let (code, stderr) = server(Some(file.path()), &[]);
    assert_eq!(code, 1);
    let line = one_line(&stderr);
    assert!(line.starts_with("error: configuration:") && line.contains("listen"), "{line}");
}

#[test]
fn no_database_configured() {
    let (code, stderr) = server(None, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        one_line(&stderr),
        "error: no database configured: set DATABASE_URL, database.url or database.url_file"
    );
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    // Port 1 on loopback: nothing listens there.
    let (code, stderr) = server(
        None,
        &[
            ("DATABASE_URL", "postgres://ada:hunter2@127.0.0.1:1/community"),
            ("CDB_DATABASE__ACQUIRE_TIMEOUT_SECS", "2"),
        ],
    );
    assert_eq!(code, 1);
    let line = one_line(&stderr);
    assert!(line.starts_with("error: cannot reach the database at postgres://ada@127.0.0.1:1/community (DATABASE_URL / database.url):"), "{line}");
    assert!(!stderr.contains("hunter2"));
}

#[test]
fn a_port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = server(
        None,
        &[("DATABASE_URL", "postgres://ada@127.0.0.1:1/community"), ("CDB_HTTP__LISTEN", &addr)],
    );
    assert_eq!(code, 1);
    let line = one_line(&stderr);
    assert!(
        line.starts_with(&format!("error: cannot listen on {addr} (http.listen / CDB_HTTP__LISTEN):")),
        "{line}"
    );
}

#[test]
fn a_session_lifetime_below_one_is_refused_by_name() {
    for (key, value) in [("CDB_SESSION__ABSOLUTE_HOURS", "0"), ("CDB_SESSION__IDLE_TIMEOUT_MINUTES", "-5")] {
        let (code, stderr) = server(None, &[(key, value)]);
        assert_eq!(code, 1);
        let line = one_line(&stderr);
        assert!(line.contains("session.") && line.contains("must be at least 1"), "{key}: {line}");
    }
}
