// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The proxy over real sockets: real upstream servers on loopback, real TLS with a throwaway
//! CA, Pebble as the ACME CA, the idp for access tokens, and the `proxy` binary for reloads.

// Test helpers outside #[test] functions: a failed set-up should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod acme;
mod binary;
mod faults;
mod hosts;
mod logs;
mod paths;
mod routing;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use proxy::Proxy;
use proxy::config::Config;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A test upstream: `/headers` echoes what it received as JSON, `/count` the size of the
/// request body, `/upgrade` switches protocols and echoes bytes, anything else names itself.
pub struct Upstream {
    pub addr: SocketAddr,
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn upstream(name: &'static str) -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let service = service_fn(move |request| answer(name, request));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Upstream { addr, url: format!("http://{addr}"), task }
}

async fn answer(
    name: &'static str,
    mut request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let body = match path.as_str() {
        "/headers" => {
            let headers: serde_json::Map<String, serde_json::Value> = request
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").into()))
                .collect();
            serde_json::json!({ "upstream": name, "method": request.method().as_str(), "uri": request.uri().to_string(), "headers": headers })
                .to_string()
        }
        "/count" => {
            let body = request.body_mut().collect().await.map(|b| b.to_bytes().len());
            match body {
                Ok(n) => n.to_string(),
                Err(_) => "error".into(),
            }
        }
        "/upgrade" => {
            let upgrade = hyper::upgrade::on(&mut request);
            tokio::spawn(async move {
                if let Ok(upgraded) = upgrade.await {
                    let mut io = TokioIo::new(upgraded);
                    let mut buf = [0u8; 64];
                    while let Ok(n) = io.read(&mut buf).await {
                        if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            });
            return Ok(Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header("connection", "upgrade")
                .header("upgrade", "echo")
                .body(Full::default())
                .unwrap());
        }
        _ => format!("{name} {path}"),
    };
    Ok(Response::builder()
        .header("connection", "x-upstream-secret")
        .header("x-upstream-secret", "hop")
        .body(Full::new(Bytes::from(body)))
        .unwrap())
}

/// A port nothing listens on.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A throwaway CA and a certificate for `hosts`, as files.
pub struct Certs {
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
}

impl Certs {
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }
}

pub fn certs(hosts: &[&str]) -> Certs {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Proxy test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
    let cert = CertificateParams::new(names).unwrap().signed_by(&key, &ca).unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    Certs { dir, ca_pem: ca.pem() }
}

pub fn config(text: &str) -> Config {
    Config::parse(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Listeners on ephemeral loopback ports, then `rest`.
pub fn listen_any(rest: &str) -> String {
    format!("[listen]\nhttp = \"127.0.0.1:0\"\nhttps = \"127.0.0.1:0\"\nadmin = \"127.0.0.1:0\"\n{rest}")
}

pub async fn start(text: &str) -> Proxy {
    // RUST_LOG=proxy=debug shows the proxy's own log next to a failing test.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    Proxy::start(config(text)).await.unwrap()
}

/// A client that trusts `ca_pem` and sends `hosts` to the proxy.
pub fn client(ca_pem: &str, proxy: &Proxy, hosts: &[&str]) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap());
    for host in hosts {
        builder = builder.resolve(host, proxy.https_addr.unwrap());
    }
    builder.build().unwrap()
}

pub fn https(proxy: &Proxy, host: &str, path: &str) -> String {
    format!("https://{host}:{}{path}", proxy.https_addr.unwrap().port())
}

/// Sends raw bytes to `addr` and returns everything read until the peer closes or 5 s pass.
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

pub async fn json(response: reqwest::Response) -> serde_json::Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}
