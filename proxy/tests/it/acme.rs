// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Certificates from a real ACME server: Debian's Pebble, with pebble-challtestsrv answering
//! every DNS name with 127.0.0.1, both started here on loopback ports and stopped afterwards.

use crate::*;
use rustls::pki_types::pem::PemObject;
use std::process::{Child, Command};
use std::time::Duration;

struct Pebble {
    dir: tempfile::TempDir,
    children: Vec<Child>,
    directory_url: String,
    management: SocketAddr,
    /// The CA of Pebble's own HTTPS (its API), not the CA it issues from.
    api_ca: PathBuf,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port that is free now, below Linux's ephemeral range (32768-60999): Pebble must be told
/// the ports before the proxy binds them, and a port from the ephemeral range can meanwhile be
/// taken as the source port of any outgoing connection of a test running alongside.
fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    // Spread by process, so two test runs at once start apart; then walk the range.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    for _ in 0..12_000 {
        let port = 20_000 + (start - 20_000 + NEXT.fetch_add(1, Ordering::Relaxed)) % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(program: &str, args: &[&str], dir: &Path, log: &str) -> Child {
    let log = std::fs::File::create(dir.join(log)).unwrap();
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .env("PEBBLE_AUTHZREUSE", "0")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} must be installed (Debian package pebble; scripts/setup.sh test): {e}")
        })
}

/// Pebble validating against `http_port` (HTTP-01) and `tls_port` (TLS-ALPN-01).
async fn pebble(http_port: u16, tls_port: u16) -> Pebble {
    let dir = tempfile::tempdir().unwrap();
    let api = certs(&["127.0.0.1", "localhost"]);
    let api_ca = dir.path().join("api-ca.pem");
    std::fs::write(&api_ca, &api.ca_pem).unwrap();
    let (listen, management, dns) = (free_port(), free_port(), free_port());
    let config = serde_json::json!({ "pebble": {
        "listenAddress": format!("127.0.0.1:{listen}"),
        "managementListenAddress": format!("127.0.0.1:{management}"),
        "certificate": api.cert(),
        "privateKey": api.key(),
        "httpPort": http_port,
        "tlsPort": tls_port,
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false,
    }});
    std::fs::write(dir.path().join("pebble.json"), config.to_string()).unwrap();
    let dns_addr = format!("127.0.0.1:{dns}");
    let challtest_management = format!("127.0.0.1:{}", free_port());
    let children = vec![
        spawn(
            "pebble-challtestsrv",
            &[
                "-defaultIPv4",
                "127.0.0.1",
                "-defaultIPv6",
                "",
                "-dns01",
                &dns_addr,
                "-http01",
                "",
                "-https01",
                "",
                "-tlsalpn01",
                "",
                "-management",
                &challtest_management,
            ],
            dir.path(),
            "challtestsrv.log",
        ),
        spawn("pebble", &["-config", "pebble.json", "-dnsserver", &dns_addr], dir.path(), "pebble.log"),
    ];
    let pebble = Pebble {
        directory_url: format!("https://127.0.0.1:{listen}/dir"),
        management: SocketAddr::from(([127, 0, 0, 1], management)),
        api_ca,
        children,
        dir,
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", listen)).await.is_ok() {
            // Keep `api` (its files) alive until Pebble has read them.
            drop(api);
            return pebble;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "pebble did not start: {}",
        std::fs::read_to_string(pebble.dir.path().join("pebble.log")).unwrap_or_default()
    );
}

impl Pebble {
    /// The root Pebble issues from (it is generated at every start).
    async fn issuing_root(&self) -> String {
        let api_ca = std::fs::read(&self.api_ca).unwrap();
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&api_ca).unwrap())
            .build()
            .unwrap();
        client.get(format!("https://{}/roots/0", self.management)).send().await.unwrap().text().await.unwrap()
    }
}

struct Setup {
    pebble: Pebble,
    proxy: Proxy,
    storage: tempfile::TempDir,
    _upstream: Upstream,
}

async fn setup(challenge: &str, prepare: impl FnOnce(&Path)) -> Setup {
    let (http_port, tls_port) = (free_port(), free_port());
    let pebble = pebble(http_port, tls_port).await;
    let storage = tempfile::tempdir().unwrap();
    prepare(storage.path());
    let up = upstream("site").await;
    let text = format!(
        r#"
        [listen]
        http = "127.0.0.1:{http_port}"
        https = "127.0.0.1:{tls_port}"
        admin = "127.0.0.1:0"
        [acme]
        directory_url = "{}"
        ca_file = "{}"
        storage = "{}"
        challenge = "{challenge}"
        contact = ["mailto:admin@example.org"]
        check_interval_secs = 1
        [[site]]
        hosts = ["my.test", "www.my.test"]
        certificate = "acme"
        [[site.route]]
        upstreams = ["{}"]
        "#,
        pebble.directory_url,
        pebble.api_ca.display(),
        storage.path().display(),
        up.url
    );
    let proxy = start(&text).await;
    Setup { pebble, proxy, storage, _upstream: up }
}

/// Polls until the proxy serves `host` with a certificate that chains to `root`.
async fn served_by(setup: &Setup, host: &str, root: &str) -> reqwest::Response {
    let proxy = &setup.proxy;
    let client = client(root, proxy, &[host]);
    for _ in 0..300 {
        if let Ok(response) = client.get(https(proxy, host, "/hello")).send().await {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(setup.pebble.dir.path().join("pebble.log")).unwrap_or_default();
    panic!("no certificate from the ACME CA was served for {host} within 30 s; Pebble's log:\n{log}");
}

async fn check_issued(setup: &Setup) {
    let root = setup.pebble.issuing_root().await;
    for host in ["my.test", "www.my.test"] {
        let response = served_by(setup, host, &root).await;
        assert_eq!(response.text().await.unwrap(), "site /hello");
    }
    let stored = setup.storage.path().join("certs/my.test.pem");
    assert!(stored.exists(), "the certificate is kept in the shared folder");
    assert!(setup.storage.path().join("account.json").exists());
    let ready = reqwest::get(format!("http://{}/readyz", setup.proxy.admin_addr.unwrap())).await.unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = reqwest::get(format!("http://{}/metrics", setup.proxy.admin_addr.unwrap())).await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("proxy_certificate_expiry_timestamp_seconds{host=\"www.my.test\"}"),
        "{metrics}"
    );
    assert!(
        std::fs::read_dir(setup.storage.path().join("http-01")).unwrap().next().is_none(),
        "answered challenges are cleaned up"
    );
}

#[tokio::test]
async fn a_certificate_is_obtained_over_http_01_and_served() {
    let setup = setup("http-01", |_| {}).await;
    check_issued(&setup).await;
}

#[tokio::test]
async fn a_certificate_is_obtained_over_tls_alpn_01_and_served() {
    let setup = setup("tls-alpn-01", |_| {}).await;
    check_issued(&setup).await;
}

#[tokio::test]
async fn a_certificate_near_expiry_is_renewed_without_a_restart() {
    let old = certs(&["my.test", "www.my.test"]);
    let setup = setup("http-01", |storage| {
        // A certificate from another CA with one day left, as if issued long ago.
        use rcgen::{CertificateParams, KeyPair};
        std::fs::create_dir_all(storage.join("certs")).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["my.test".into(), "www.my.test".into()]).unwrap();
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(89);
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(1);
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(storage.join("certs/my.test.pem"), cert.pem()).unwrap();
        std::fs::write(storage.join("certs/my.test.key"), key.serialize_pem()).unwrap();
    })
    .await;
    drop(old);
    let root = setup.pebble.issuing_root().await;
    let response = served_by(&setup, "my.test", &root).await;
    assert_eq!(response.status(), 200);
    let stored = std::fs::read(setup.storage.path().join("certs/my.test.pem")).unwrap();
    let der = rustls::pki_types::CertificateDer::pem_slice_iter(&stored).next().unwrap().unwrap();
    let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
    let days_left =
        (parsed.validity().not_after.timestamp() - time::OffsetDateTime::now_utc().unix_timestamp()) / 86_400;
    assert!(days_left > 30, "the renewed certificate is fresh ({days_left} days left)");
}
