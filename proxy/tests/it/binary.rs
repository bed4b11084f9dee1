// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The `proxy` binary: `--check`, and SIGHUP reloads that keep the old settings on a bad file.

use crate::*;
use std::process::{Command, Stdio};
use std::time::Duration;

fn proxy_binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_proxy"))
}

fn check(text: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxy.toml");
    std::fs::write(&path, text).unwrap();
    let output = proxy_binary().arg("--check").arg("--config").arg(&path).output().unwrap();
    (
        output.status.success(),
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    )
}

const SITE: &str = "[[site]]\nhosts = [\"a.test\"]\n[[site.route]]\nupstreams = [\"http://127.0.0.1:9\"]\n";

#[test]
fn check_accepts_a_good_file_and_names_the_key_of_a_bad_one() {
    let (ok, out) = check(SITE);
    assert!(ok, "{out}");
    let (ok, out) = check(&format!("{SITE}\n[limits]\nmax_body_byte = 1\n"));
    assert!(!ok);
    assert!(out.contains("max_body_byte"), "{out}");
    let (ok, out) = check(&SITE.replace(
        "[[site.route]]",
        "certificate = { cert_file = \"/nonexistent/cert.pem\", key_file = \"/nonexistent/key.pem\" }\n[[site.route]]",
    ));
    assert!(!ok);
    assert!(out.contains("site[0].certificate") && out.contains("/nonexistent/cert.pem"), "{out}");
    let certs = certs(&["a.test"]);
    let other = certs_key_mismatch(&certs);
    let (ok, out) = check(&SITE.replace(
        "[[site.route]]",
        &format!(
            "certificate = {{ cert_file = \"{}\", key_file = \"{}\" }}\n[[site.route]]",
            certs.cert().display(),
            other.display()
        ),
    ));
    assert!(!ok, "a key that does not match the certificate is refused");
    assert!(out.contains("site[0].certificate"), "{out}");
    // Access rules without an audience would accept tokens the idp issued to any client.
    let (ok, out) = check(&format!("{SITE}{PROTECTED}"));
    assert!(!ok);
    assert!(out.contains("`access.audience`"), "{out}");
    let (ok, out) = check(&format!("{SITE}{PROTECTED}any_audience = true\n"));
    assert!(ok, "{out}");
}

/// A protected path and an `[access]` section without `audience` (for appending to a file).
const PROTECTED: &str =
    "[[site.protect]]\npath = \"/x\"\ngroups = [\"staff\"]\n[access]\nissuer = \"http://127.0.0.1:9\"\n";

fn certs_key_mismatch(certs: &Certs) -> std::path::PathBuf {
    let path = certs.dir.path().join("other-key.pem");
    std::fs::write(&path, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
    path
}

struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hangup(child: &std::process::Child) {
    let status = Command::new("kill").arg("-HUP").arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
}

async fn get(port: u16, host: &str) -> Option<String> {
    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/x"))
        .header("host", host)
        .send()
        .await
        .ok()?;
    Some(format!("{} {}", response.status().as_u16(), response.text().await.ok()?))
}

#[tokio::test]
async fn sighup_applies_a_good_file_and_keeps_the_old_one_on_a_bad_file() {
    let (one, two) = (upstream("one").await, upstream("two").await);
    let port = closed_port().await.port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxy.toml");
    let file = |upstream: &str, extra: &str| {
        format!(
            "[listen]\nhttp = \"127.0.0.1:{port}\"\nhttps = \"127.0.0.1:0\"\nadmin = \"127.0.0.1:0\"\n{extra}\n[[site]]\nhosts = [\"a.test\"]\n[[site.route]]\nupstreams = [\"{upstream}\"]\n"
        )
    };
    std::fs::write(&path, file(&one.url, "")).unwrap();
    let log = dir.path().join("proxy.log");
    let child = Running(
        proxy_binary()
            .arg("--config")
            .arg(&path)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let mut answer = None;
    for _ in 0..100 {
        answer = get(port, "a.test").await;
        if answer.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answer.as_deref(), Some("200 one /x"));
    // A file with an unknown key: refused, the old routes stay.
    std::fs::write(&path, file(&two.url, "[limits]\nunknown_limit = 1")).unwrap();
    hangup(&child.0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get(port, "a.test").await.as_deref(), Some("200 one /x"));
    // Access rules without an audience: refused on reload as by --check, naming the setting.
    std::fs::write(&path, file(&two.url, "") + PROTECTED).unwrap();
    hangup(&child.0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get(port, "a.test").await.as_deref(), Some("200 one /x"));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("access.audience") && logged.contains("not reloaded"), "{logged}");
    // A good file: applied without a restart.
    std::fs::write(&path, file(&two.url, "")).unwrap();
    hangup(&child.0);
    let mut now = None;
    for _ in 0..50 {
        now = get(port, "a.test").await;
        if now.as_deref() == Some("200 two /x") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(now.as_deref(), Some("200 two /x"));
}
