// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Offline verification of a PayPal webhook delivery, before anything else is done with it.
//!
//! PayPal signs every delivery with the key of a certificate it names in `PAYPAL-CERT-URL`
//! (<https://developer.paypal.com/api/rest/webhooks/rest/#link-verifyoffline>). We do not ask
//! PayPal's `verify-webhook-signature` endpoint (one API round trip per event, and PayPal down
//! would mean every event refused); instead, in this order, cheapest first:
//! 1. `PAYPAL-AUTH-ALGO` is `SHA256withRSA` (nothing else is accepted, so no downgrade);
//! 2. `PAYPAL-TRANSMISSION-TIME` (RFC 3339) is within `max_age` of now, either side;
//! 3. `PAYPAL-CERT-URL` is `https` on an allow-listed host (an entry without a port allows the
//!    default port only), under `/v1/notifications/certs/`, with no userinfo, query, fragment,
//!    `..`, backslash or percent-encoding: checked on the text as sent, before any URL parser
//!    could normalise `..` away;
//! 4. the certificate chain (PEM, leaf first) is fetched once per URL and cached (a bounded
//!    cache, 64 KiB at most per download, a short timeout, no redirects), and verified on every
//!    use: it chains to the web PKI roots (`webpki-roots`) or a configured extra trust anchor,
//!    is valid now, allows server authentication, and its leaf names `cert_name`
//!    (`messageverificationcerts.paypal.com`);
//! 5. `PAYPAL-TRANSMISSION-SIG` (base64) is an RSA PKCS#1 v1.5 SHA-256 signature by the leaf's
//!    key over `transmission_id|transmission_time|webhook_id|crc32(body)`, the CRC-32 of the raw
//!    body in unsigned decimal and `webhook_id` OUR webhook's id, so an event signed for another
//!    merchant's webhook (or another body) does not verify.
//!
//! No error says more than which step failed; none carries a header's value or the body.
//!
//! Tests: `cargo test -p providers --test paypal verify_`; speed: `cargo bench -p providers
//! --bench paypal_verify`.

use base64::Engine as _;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The only algorithm PayPal signs with, and the only one accepted.
pub const AUTH_ALGO: &str = "SHA256withRSA";
/// The path every PayPal signing certificate is served under.
pub const CERT_PATH: &str = "/v1/notifications/certs/";
/// PayPal's certificate hosts, live and sandbox.
pub const DEFAULT_CERT_HOSTS: [&str; 4] =
    ["api.paypal.com", "api.sandbox.paypal.com", "api-m.paypal.com", "api-m.sandbox.paypal.com"];
/// The name the live signing certificate is issued for (the sandbox's is
/// `messageverificationcerts.sandbox.paypal.com`).
pub const DEFAULT_CERT_NAME: &str = "messageverificationcerts.paypal.com";
/// How far a transmission time may be from now, either side, by default.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
/// The largest certificate chain downloaded; PayPal's is about 5 KiB.
const MAX_CERT_BYTES: usize = 64 * 1024;
/// Certificate URLs remembered; PayPal rotates its certificate a few times a year.
const MAX_CACHED: usize = 16;
/// How long one certificate download may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Downloads of certificates not in the cache, at most, per [`DOWNLOAD_WINDOW`]: a download
/// comes before the signature can be checked, so forged deliveries naming ever new (allowed)
/// URLs must not make us fetch without end. PayPal itself needs one per rotation.
const MAX_DOWNLOADS: usize = 10;
const DOWNLOAD_WINDOW: Duration = Duration::from_secs(60);

/// The headers PayPal sends with a delivery (names are case-insensitive on the wire).
pub mod header {
    pub const TRANSMISSION_ID: &str = "paypal-transmission-id";
    pub const TRANSMISSION_TIME: &str = "paypal-transmission-time";
    pub const TRANSMISSION_SIG: &str = "paypal-transmission-sig";
    pub const CERT_URL: &str = "paypal-cert-url";
    pub const AUTH_ALGO: &str = "paypal-auth-algo";
}

/// The signed headers of one delivery, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct Transmission<'a> {
    pub id: Option<&'a str>,
    pub time: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub cert_url: Option<&'a str>,
    pub auth_algo: Option<&'a str>,
}

impl<'a> Transmission<'a> {
    /// Reads the headers through `get` (a header map's look-up by lower-case name).
    pub fn from_headers(get: impl Fn(&'static str) -> Option<&'a str>) -> Self {
        Self {
            id: get(header::TRANSMISSION_ID),
            time: get(header::TRANSMISSION_TIME),
            signature: get(header::TRANSMISSION_SIG),
            cert_url: get(header::CERT_URL),
            auth_algo: get(header::AUTH_ALGO),
        }
    }
}

/// Why a delivery is not PayPal's. Says which check failed, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("PAYPAL-AUTH-ALGO is not SHA256withRSA")]
    Algorithm,
    #[error("PAYPAL-TRANSMISSION-TIME is not an RFC 3339 time")]
    BadTime,
    #[error("the transmission time is too far in the past")]
    Stale,
    #[error("the transmission time is too far in the future")]
    Future,
    #[error("PAYPAL-CERT-URL is not a PayPal certificate URL ({0})")]
    CertUrl(&'static str),
    #[error("the signing certificate could not be fetched ({0})")]
    CertFetch(&'static str),
    #[error("the signing certificate is not a PEM chain")]
    CertFormat,
    #[error("the signing certificate does not chain to a trusted root")]
    Untrusted,
    #[error("the signing certificate is not issued for PayPal's message verification name")]
    CertName,
    #[error("PAYPAL-TRANSMISSION-SIG is not base64")]
    SignatureEncoding,
    #[error("the signature does not match the body and our webhook id")]
    Signature,
}

/// What the verifier is configured with (`[paypal]`).
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Our webhook's id at PayPal: part of what is signed.
    pub webhook_id: String,
    /// Hosts certificates may come from; `host:port` allows that port, `host` the default one.
    pub cert_hosts: Vec<String>,
    /// The DNS name the leaf certificate must be valid for.
    pub cert_name: String,
    pub max_age: Duration,
    /// PEM certificates trusted as roots besides the web PKI (tests: their throwaway CA).
    pub extra_trust_anchor_pem: Option<String>,
}

impl VerifierConfig {
    /// PayPal's live defaults for a webhook id.
    pub fn new(webhook_id: impl Into<String>) -> Self {
        Self {
            webhook_id: webhook_id.into(),
            cert_hosts: DEFAULT_CERT_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
            cert_name: DEFAULT_CERT_NAME.to_owned(),
            max_age: DEFAULT_MAX_AGE,
            extra_trust_anchor_pem: None,
        }
    }
}

/// Why a verifier could not be built (a setting to fix).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("paypal.extra_trust_anchor_file holds no usable PEM certificate")]
    TrustAnchor,
    #[error("paypal.cert_name {0:?} is not a DNS name")]
    CertName(String),
    #[error("the HTTP client for PayPal certificates could not be built: {0}")]
    Http(String),
}

/// Verifies deliveries; built once per process and shared (it holds the certificate cache).
pub struct Verifier {
    webhook_id: String,
    hosts: Vec<(String, Option<u16>)>,
    cert_name: ServerName<'static>,
    max_age: Duration,
    anchors: Vec<TrustAnchor<'static>>,
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Arc<Chain>>>,
    /// One download at a time (many deliveries naming a new certificate fetch it once), and
    /// when the recent ones started.
    fetching: tokio::sync::Mutex<std::collections::VecDeque<std::time::Instant>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("hosts", &self.hosts).finish_non_exhaustive()
    }
}

/// A downloaded chain: the leaf and what it may chain through.
#[derive(Debug)]
struct Chain {
    leaf: CertificateDer<'static>,
    intermediates: Vec<CertificateDer<'static>>,
}

impl Verifier {
    pub fn new(config: &VerifierConfig) -> Result<Self, SetupError> {
        let mut anchors: Vec<TrustAnchor<'static>> = webpki_roots::TLS_SERVER_ROOTS.to_vec();
        let mut http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true);
        if let Some(pem) = &config.extra_trust_anchor_pem {
            let extra = extra_anchors(pem)?;
            anchors.extend(extra);
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()).flatten() {
                let cert = reqwest::Certificate::from_der(&cert).map_err(|_| SetupError::TrustAnchor)?;
                http = http.add_root_certificate(cert);
            }
        }
        let cert_name = ServerName::try_from(config.cert_name.clone())
            .ok()
            .filter(|n| matches!(n, ServerName::DnsName(_)))
            .ok_or_else(|| SetupError::CertName(config.cert_name.clone()))?;
        let hosts = config.cert_hosts.iter().map(|h| split_host(h)).collect();
        Ok(Self {
            webhook_id: config.webhook_id.clone(),
            hosts,
            cert_name,
            max_age: config.max_age,
            anchors,
            http: http.build().map_err(|e| SetupError::Http(e.to_string()))?,
            cache: Mutex::new(HashMap::new()),
            fetching: tokio::sync::Mutex::new(std::collections::VecDeque::new()),
        })
    }

    /// Verifies one delivery: `Ok(())` only when every check of the module docs passes.
    pub async fn verify(
        &self,
        transmission: &Transmission<'_>,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), VerifyError> {
        let checked = self.check_headers(transmission, now)?;
        let chain = self.chain(checked.cert_url).await?;
        self.check_chain_and_signature(&chain, &checked, body, now)
    }

    /// Steps 1 to 3 and the signature's decoding: nothing leaves the process for these.
    fn check_headers<'t>(
        &self,
        t: &Transmission<'t>,
        now: OffsetDateTime,
    ) -> Result<Checked<'t>, VerifyError> {
        let id = t.id.ok_or(VerifyError::Missing("PAYPAL-TRANSMISSION-ID"))?;
        let time = t.time.ok_or(VerifyError::Missing("PAYPAL-TRANSMISSION-TIME"))?;
        let signature = t.signature.ok_or(VerifyError::Missing("PAYPAL-TRANSMISSION-SIG"))?;
        let cert_url = t.cert_url.ok_or(VerifyError::Missing("PAYPAL-CERT-URL"))?;
        let algo = t.auth_algo.ok_or(VerifyError::Missing("PAYPAL-AUTH-ALGO"))?;
        if algo != AUTH_ALGO {
            return Err(VerifyError::Algorithm);
        }
        let sent = OffsetDateTime::parse(time, &Rfc3339).map_err(|_| VerifyError::BadTime)?;
        let max_age = time::Duration::try_from(self.max_age).unwrap_or(time::Duration::MAX);
        if sent < now - max_age {
            return Err(VerifyError::Stale);
        }
        if sent > now + max_age {
            return Err(VerifyError::Future);
        }
        check_cert_url(cert_url, &self.hosts)?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .map_err(|_| VerifyError::SignatureEncoding)?;
        Ok(Checked { id, time, cert_url, signature })
    }

    /// Steps 4 (chain, time, usage, name) and 5 (the signature) for a chain at hand.
    fn check_chain_and_signature(
        &self,
        chain: &Chain,
        checked: &Checked<'_>,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), VerifyError> {
        let leaf = webpki::EndEntityCert::try_from(&chain.leaf).map_err(|_| VerifyError::CertFormat)?;
        let seconds = u64::try_from(now.unix_timestamp()).unwrap_or(0);
        leaf.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            &chain.intermediates,
            UnixTime::since_unix_epoch(Duration::from_secs(seconds)),
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(|_| VerifyError::Untrusted)?;
        leaf.verify_is_valid_for_subject_name(&self.cert_name).map_err(|_| VerifyError::CertName)?;
        let message = signed_message(checked.id, checked.time, &self.webhook_id, body);
        leaf.verify_signature(
            webpki::ring::RSA_PKCS1_2048_8192_SHA256,
            message.as_bytes(),
            &checked.signature,
        )
        .map_err(|_| VerifyError::Signature)
    }

    /// The chain at `url`: from the cache, else downloaded (one download at a time).
    async fn chain(&self, url: &str) -> Result<Arc<Chain>, VerifyError> {
        if let Some(chain) = self.cached(url) {
            return Ok(chain);
        }
        let mut recent = self.fetching.lock().await;
        if let Some(chain) = self.cached(url) {
            return Ok(chain);
        }
        let started = std::time::Instant::now();
        while recent.front().is_some_and(|t| started.duration_since(*t) > DOWNLOAD_WINDOW) {
            recent.pop_front();
        }
        if recent.len() >= MAX_DOWNLOADS {
            tracing::warn!("PayPal certificate downloads over the limit; delivery refused");
            return Err(VerifyError::CertFetch("too many downloads"));
        }
        recent.push_back(started);
        let pem = self.download(url).await?;
        let chain = Arc::new(parse_chain(&pem)?);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= MAX_CACHED {
            // Rotation leaves old URLs unused; starting afresh costs one download per URL.
            cache.clear();
        }
        cache.insert(url.to_owned(), chain.clone());
        Ok(chain)
    }

    fn cached(&self, url: &str) -> Option<Arc<Chain>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).get(url).cloned()
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>, VerifyError> {
        let mut response = self.http.get(url).send().await.map_err(|e| {
            tracing::warn!(error = %e, "PayPal signing certificate download failed");
            VerifyError::CertFetch("no answer")
        })?;
        if !response.status().is_success() {
            tracing::warn!(
                status = response.status().as_u16(),
                "PayPal signing certificate download refused"
            );
            return Err(VerifyError::CertFetch("not 2xx"));
        }
        if response.content_length().is_some_and(|n| n > MAX_CERT_BYTES as u64) {
            return Err(VerifyError::CertFetch("too large"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|_| VerifyError::CertFetch("cut off"))? {
            if body.len() + chunk.len() > MAX_CERT_BYTES {
                return Err(VerifyError::CertFetch("too large"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Puts a chain in the cache as if downloaded from `url` (benchmarks and tests of the
    /// cache); the chain is verified on use like any other.
    pub fn preload(&self, url: &str, pem: &[u8]) -> Result<(), VerifyError> {
        let chain = Arc::new(parse_chain(pem)?);
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).insert(url.to_owned(), chain);
        Ok(())
    }
}

/// The checked headers of one delivery.
struct Checked<'t> {
    id: &'t str,
    time: &'t str,
    cert_url: &'t str,
    signature: Vec<u8>,
}

/// What PayPal signs: `transmission_id|transmission_time|webhook_id|crc32(body)`.
pub fn signed_message(
    transmission_id: &str,
    transmission_time: &str,
    webhook_id: &str,
    body: &[u8],
) -> String {
    format!("{transmission_id}|{transmission_time}|{webhook_id}|{}", crc32fast::hash(body))
}

fn extra_anchors(pem: &str) -> Result<Vec<TrustAnchor<'static>>, SetupError> {
    let mut anchors = Vec::new();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|_| SetupError::TrustAnchor)?;
        let anchor = webpki::anchor_from_trusted_cert(&cert).map_err(|_| SetupError::TrustAnchor)?;
        anchors.push(anchor.to_owned());
    }
    if anchors.is_empty() {
        return Err(SetupError::TrustAnchor);
    }
    Ok(anchors)
}

fn parse_chain(pem: &[u8]) -> Result<Chain, VerifyError> {
    let mut certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| VerifyError::CertFormat)?
        .into_iter();
    let leaf = certs.next().ok_or(VerifyError::CertFormat)?;
    Ok(Chain { leaf, intermediates: certs.collect() })
}

/// `host` or `host:port`, lower-cased.
fn split_host(entry: &str) -> (String, Option<u16>) {
    let entry = entry.trim().to_ascii_lowercase();
    match entry.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => (host.to_owned(), port.parse().ok()),
        _ => (entry, None),
    }
}

/// Step 3: the URL as sent. Refuses rather than normalises: a URL PayPal would send needs none.
pub fn check_cert_url(url: &str, hosts: &[(String, Option<u16>)]) -> Result<(), VerifyError> {
    let bad = VerifyError::CertUrl;
    if url.len() > 2048 {
        return Err(bad("too long"));
    }
    let Some(rest) = url.strip_prefix("https://") else { return Err(bad("not https")) };
    if url.contains('@') {
        return Err(bad("userinfo"));
    }
    if url.contains('?') {
        return Err(bad("query"));
    }
    if url.contains('#') {
        return Err(bad("fragment"));
    }
    if url.contains('%') || url.contains('\\') || url.contains("..") {
        return Err(bad("encoded or dotted path"));
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("odd characters"));
    }
    let (authority, path) = rest.split_at(rest.find('/').ok_or(bad("no path"))?);
    let authority = authority.to_ascii_lowercase();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse::<u16>().map_err(|_| bad("port"))?)),
        None => (authority.as_str(), None),
    };
    // `:443` is the default port written out; PayPal does not, but it is no other server.
    let port = port.filter(|p| *p != 443);
    if !hosts.iter().any(|(h, p)| h == host && *p == port) {
        return Err(bad("host not allowed"));
    }
    let Some(name) = path.strip_prefix(CERT_PATH) else { return Err(bad("path")) };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(bad("path"));
    }
    Ok(())
}

/// Signs a delivery as PayPal does, for tests and the stand-in: the base64 signature over
/// [`signed_message`] with an RSA key (PKCS#8 DER).
#[cfg(feature = "testing")]
pub fn sign(
    key_pkcs8_der: &[u8],
    transmission_id: &str,
    transmission_time: &str,
    webhook_id: &str,
    body: &[u8],
) -> Result<String, String> {
    let key = ring::signature::RsaKeyPair::from_pkcs8(key_pkcs8_der).map_err(|e| e.to_string())?;
    let message = signed_message(transmission_id, transmission_time, webhook_id, body);
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        message.as_bytes(),
        &mut signature,
    )
    .map_err(|e| e.to_string())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Vec<(String, Option<u16>)> {
        let mut hosts: Vec<_> = DEFAULT_CERT_HOSTS.iter().map(|h| split_host(h)).collect();
        hosts.push(split_host("localhost:8443"));
        hosts
    }

    #[test]
    fn paypal_certificate_urls_pass() {
        for url in [
            "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
            "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
            "https://API.PAYPAL.COM:443/v1/notifications/certs/CERT-1",
            "https://localhost:8443/v1/notifications/certs/CERT-1",
        ] {
            assert_eq!(check_cert_url(url, &hosts()), Ok(()), "{url}");
        }
    }

    #[test]
    fn hostile_certificate_urls_fail() {
        for url in [
            "http://api.paypal.com/v1/notifications/certs/CERT-1",
            "https://evil.example/v1/notifications/certs/CERT-1",
            "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
            "https://api.paypal.com@evil.example/v1/notifications/certs/CERT-1",
            "https://evil.example/@api.paypal.com/v1/notifications/certs/CERT-1",
            "https://api.paypal.com/v1/notifications/certs/../../v2/anything",
            "https://api.paypal.com/v1/notifications/certs/%2e%2e/x",
            "https://api.paypal.com/v1/notifications/certs/CERT-1?x=1",
            "https://api.paypal.com/v1/notifications/certs/CERT-1#x",
            "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
            "https://localhost/v1/notifications/certs/CERT-1",
            "https://api.paypal.com/v1/other/CERT-1",
            "https://api.paypal.com/v1/notifications/certs/",
            "https://api.paypal.com/v1/notifications/certs/a/b",
            "https://api.paypal.com\\@evil.example/v1/notifications/certs/CERT-1",
            "https://api.paypal.com/v1/notifications/certs/CERT 1",
        ] {
            assert!(matches!(check_cert_url(url, &hosts()), Err(VerifyError::CertUrl(_))), "{url}");
        }
    }

    #[test]
    fn the_message_ends_in_the_unsigned_crc() {
        // crc32("hello") = 907060870 (0x3610a686): fits in u32, printed unsigned.
        assert_eq!(signed_message("id", "t", "wh", b"hello"), "id|t|wh|907060870");
        let high = signed_message("id", "t", "wh", b"\xff\xff\xff\xff");
        assert!(high.ends_with("|4294967295") || !high.contains('-'));
    }
}
