// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The ACME folder, shared by every proxy instance (a volume or network file system):
//!
//! ```text
//! account.json              the ACME account (created once, by whichever instance is first)
//! certs/{site}.pem, .key    the current certificate chain and its key (key mode 0600)
//! http-01/{token}           pending HTTP-01 answers, so any instance can answer the CA
//! tls-alpn-01/{host}.pem    pending TLS-ALPN-01 certificates (with their key)
//! locks/{site}.lock         held while one instance orders a certificate for the site
//! ```
//!
//! Every file is written to a temporary name and renamed, so a reader never sees half a file.

use crate::tls::{self, Loaded};
use rustls::sign::CertifiedKey;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A lock older than this was left by an instance that died while ordering.
const STALE_LOCK: Duration = Duration::from_secs(600);

#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn open(root: &Path) -> std::io::Result<Self> {
        for dir in ["certs", "http-01", "tls-alpn-01", "locks"] {
            std::fs::create_dir_all(root.join(dir))?;
        }
        Ok(Self { root: root.to_owned() })
    }

    /// For reading only: creates nothing.
    pub fn at(root: &Path) -> Self {
        Self { root: root.to_owned() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn account(&self) -> Option<String> {
        std::fs::read_to_string(self.root.join("account.json")).ok()
    }

    pub fn save_account(&self, json: &str) -> std::io::Result<()> {
        write_atomic(&self.root.join("account.json"), json.as_bytes(), true)
    }

    pub fn certificate(&self, site: &str) -> Option<Result<Loaded, tls::CertError>> {
        let chain = std::fs::read(self.root.join("certs").join(format!("{site}.pem"))).ok()?;
        let key = std::fs::read(self.root.join("certs").join(format!("{site}.key"))).ok()?;
        Some(tls::parse_pem(&chain, &key, site))
    }

    /// Key first: a reader that sees the new chain also finds its key.
    pub fn save_certificate(&self, site: &str, chain_pem: &str, key_pem: &str) -> std::io::Result<()> {
        let dir = self.root.join("certs");
        write_atomic(&dir.join(format!("{site}.key.new")), key_pem.as_bytes(), true)?;
        write_atomic(&dir.join(format!("{site}.pem.new")), chain_pem.as_bytes(), false)?;
        std::fs::rename(dir.join(format!("{site}.key.new")), dir.join(format!("{site}.key")))?;
        std::fs::rename(dir.join(format!("{site}.pem.new")), dir.join(format!("{site}.pem")))
    }

    pub fn put_http01(&self, token: &str, key_authorization: &str) -> std::io::Result<()> {
        write_atomic(&self.root.join("http-01").join(token), key_authorization.as_bytes(), false)
    }

    pub fn remove_http01(&self, token: &str) {
        let _ = std::fs::remove_file(self.root.join("http-01").join(token));
    }

    pub async fn http01(&self, token: &str) -> Option<String> {
        if !is_token(token) {
            return None;
        }
        tokio::fs::read_to_string(self.root.join("http-01").join(token)).await.ok()
    }

    pub fn put_alpn(&self, host: &str, cert_pem: &str, key_pem: &str) -> std::io::Result<()> {
        write_atomic(
            &self.root.join("tls-alpn-01").join(format!("{host}.pem")),
            format!("{cert_pem}{key_pem}").as_bytes(),
            true,
        )
    }

    pub fn remove_alpn(&self, host: &str) {
        let _ = std::fs::remove_file(self.root.join("tls-alpn-01").join(format!("{host}.pem")));
    }

    /// Tries to become the one instance ordering for `site`.
    pub fn lock(&self, site: &str) -> Option<SiteLock> {
        let path = self.root.join("locks").join(format!("{site}.lock"));
        let stale = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age > STALE_LOCK);
        if stale {
            tracing::warn!(site, "removing a stale ACME lock");
            let _ = std::fs::remove_file(&path);
        }
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).ok()?;
        let _ = writeln!(file, "{}", std::process::id());
        Some(SiteLock { path })
    }
}

pub struct SiteLock {
    path: PathBuf,
}

impl Drop for SiteLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// ACME tokens are base64url; anything else never reaches the file system.
fn is_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 256
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !host.starts_with('.')
}

/// Used by the TLS resolver (synchronous), only for `acme-tls/1` handshakes.
pub fn read_alpn_challenge(root: &Path, host: &str) -> Option<Arc<CertifiedKey>> {
    if !is_host(host) {
        return None;
    }
    let both = std::fs::read(root.join("tls-alpn-01").join(format!("{host}.pem"))).ok()?;
    tls::challenge_key(&both, &both)
}

fn write_atomic(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if secret { 0o600 } else { 0o644 });
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_never_reach_the_file_system() {
        for token in ["../account.json", "a/b", "", "a.b", "%2e%2e"] {
            assert!(!is_token(token), "{token}");
        }
        assert!(is_token("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));
        for host in ["../x", ".hidden", "a/b", ""] {
            assert!(!is_host(host), "{host}");
        }
    }

    #[test]
    fn one_instance_at_a_time_orders_a_site() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let first = store.lock("my.example.org");
        assert!(first.is_some());
        assert!(store.lock("my.example.org").is_none());
        assert!(store.lock("id.example.org").is_some());
        drop(first);
        assert!(store.lock("my.example.org").is_some());
    }
}
