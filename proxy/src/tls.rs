// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! TLS termination: which certificate answers which SNI name, the rustls settings, and loading
//! certificates from PEM files.
//!
//! The settings match Mozilla's "intermediate" profile as far as rustls goes: TLS 1.2 and 1.3,
//! ECDHE key exchange (X25519, P-256, P-384) with AES-GCM or ChaCha20-Poly1305 only. rustls has
//! no CBC, RSA key exchange or DHE, so nothing weaker can be negotiated. A client naming a host
//! that has no certificate here gets a handshake failure, never some other site's certificate;
//! one sending no SNI gets `tls.default_host`'s, if set.

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, version};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{0}: no certificate in the file")]
    NoCertificate(String),
    #[error("{0}: no private key in the file")]
    NoKey(String),
    #[error("the certificate and key do not belong together or are not usable: {0}")]
    Unusable(String),
}

/// A certificate ready to serve, with when it expires.
#[derive(Clone)]
pub struct Loaded {
    pub key: Arc<CertifiedKey>,
    /// Unix time of the leaf's notAfter.
    pub not_after: i64,
}

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Parses a PEM chain and key; checks that the key matches the leaf.
pub fn parse_pem(chain_pem: &[u8], key_pem: &[u8], label: &str) -> Result<Loaded, CertError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| CertError::Unusable(format!("{label}: {e}")))?;
    let leaf = chain.first().ok_or_else(|| CertError::NoCertificate(label.to_owned()))?;
    let not_after = x509_parser::parse_x509_certificate(leaf)
        .map_err(|e| CertError::Unusable(format!("{label}: {e}")))?
        .1
        .validity()
        .not_after
        .timestamp();
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| CertError::NoKey(label.to_owned()))?;
    let certified = CertifiedKey::from_der(chain, key, &provider())
        .map_err(|e| CertError::Unusable(format!("{label}: {e}")))?;
    Ok(Loaded { key: Arc::new(certified), not_after })
}

/// A TLS-ALPN-01 validation certificate. It carries the critical `acmeIdentifier` extension,
/// which webpki (rightly) refuses to parse, so the key is not matched against it here.
pub fn challenge_key(cert_pem: &[u8], key_pem: &[u8]) -> Option<Arc<CertifiedKey>> {
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(cert_pem).collect::<Result<_, _>>().ok()?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).ok()?;
    let signing = provider().key_provider.load_private_key(key).ok()?;
    Some(Arc::new(CertifiedKey::new(chain, signing)))
}

pub fn load_files(cert_file: &Path, key_file: &Path) -> Result<Loaded, CertError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| CertError::Read { path: path.display().to_string(), source })
    };
    parse_pem(&read(cert_file)?, &read(key_file)?, &cert_file.display().to_string())
}

/// Every certificate the proxy serves, replaced atomically on reload or renewal.
#[derive(Default)]
pub struct CertStore {
    by_host: ArcSwap<HashMap<String, Loaded>>,
    /// TLS-ALPN-01 validation certificates, by host; only offered for `acme-tls/1`.
    challenges: Mutex<HashMap<String, Arc<CertifiedKey>>>,
    /// Where other proxy instances leave their TLS-ALPN-01 certificates.
    pub shared_challenges: Mutex<Option<std::path::PathBuf>>,
    /// Served to clients without SNI (`tls.default_host`).
    pub default_host: ArcSwap<Option<String>>,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore").field("hosts", &self.by_host.load().len()).finish()
    }
}

impl CertStore {
    pub fn get(&self, host: &str) -> Option<Loaded> {
        self.by_host.load().get(host).cloned()
    }

    /// Serves `loaded` for every host in `hosts`.
    pub fn install(&self, hosts: &[String], loaded: &Loaded) {
        self.by_host.rcu(|current| {
            let mut next = HashMap::clone(current);
            for host in hosts {
                next.insert(host.to_ascii_lowercase(), loaded.clone());
            }
            next
        });
    }

    /// Replaces the whole table (reload): hosts no longer configured stop being served.
    pub fn replace(&self, table: HashMap<String, Loaded>) {
        self.by_host.store(Arc::new(table));
    }

    pub fn snapshot(&self) -> Arc<HashMap<String, Loaded>> {
        self.by_host.load_full()
    }

    pub fn set_challenge(&self, host: &str, key: Option<Arc<CertifiedKey>>) {
        let mut challenges = self.challenges.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match key {
            Some(key) => challenges.insert(host.to_ascii_lowercase(), key),
            None => challenges.remove(&host.to_ascii_lowercase()),
        };
    }

    fn challenge(&self, host: &str) -> Option<Arc<CertifiedKey>> {
        let found =
            self.challenges.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(host).cloned();
        found.or_else(|| {
            let dir =
                self.shared_challenges.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()?;
            crate::store::read_alpn_challenge(&dir, host)
        })
    }
}

#[derive(Debug)]
pub struct Resolver(pub Arc<CertStore>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let host = match hello.server_name() {
            Some(name) => name.to_ascii_lowercase(),
            None => self.0.default_host.load().as_ref().clone()?,
        };
        let acme = hello.alpn().is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN));
        if acme {
            return self.0.challenge(&host);
        }
        self.0.by_host.load().get(&host).map(|loaded| loaded.key.clone())
    }
}

pub fn server_config(store: Arc<CertStore>) -> Result<Arc<ServerConfig>, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&version::TLS13, &version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Resolver(store)));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec(), ACME_TLS_ALPN.to_vec()];
    Ok(Arc::new(config))
}
