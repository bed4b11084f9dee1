// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The proxy's TOML file: listeners, limits, TLS, ACME, the idp whose tokens open protected
//! paths, and the sites. Unknown keys are refused (a typo must not silently disable a rule), and
//! every error names the key to fix.

use ipnet::IpNet;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the proxy settings {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("proxy settings {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("proxy settings: `{key}` {problem}")]
    Invalid { key: String, problem: String },
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), problem: problem.into() }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub listen: Listen,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub forwarding: Forwarding,
    #[serde(default)]
    pub tls: Tls,
    #[serde(default)]
    pub logging: Logging,
    pub acme: Option<Acme>,
    pub access: Option<Access>,
    #[serde(default, rename = "site")]
    pub sites: Vec<Site>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// Plain HTTP: ACME HTTP-01 answers, redirects to HTTPS, and sites without a certificate.
    pub http: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    /// `/healthz` and `/metrics`; keep it on loopback or an internal network.
    pub admin: Option<SocketAddr>,
    /// The HTTPS port clients see, for redirects (differs from `https` behind port forwarding).
    pub public_https_port: Option<u16>,
}

impl Default for Listen {
    fn default() -> Self {
        Self {
            http: Some(SocketAddr::from(([0, 0, 0, 0], 80))),
            https: Some(SocketAddr::from(([0, 0, 0, 0], 443))),
            admin: Some(SocketAddr::from(([127, 0, 0, 1], 9900))),
            public_https_port: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Request bodies above this get 413 (checked while streaming, not by buffering).
    pub max_body_bytes: u64,
    /// A client must send its whole request head within this time (slow clients are cut off).
    pub header_timeout_ms: u64,
    /// Most headers in one request; more get 431.
    pub max_headers: usize,
    /// Largest request head (bytes) a client may send.
    pub max_header_bytes: usize,
    pub upstream_connect_timeout_ms: u64,
    /// Until the upstream's response head arrives.
    pub upstream_response_timeout_ms: u64,
    /// Concurrent HTTP/2 streams per client connection.
    pub max_concurrent_streams: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 * 1024 * 1024,
            header_timeout_ms: 10_000,
            max_headers: 100,
            max_header_bytes: 64 * 1024,
            upstream_connect_timeout_ms: 2_000,
            upstream_response_timeout_ms: 60_000,
            max_concurrent_streams: 128,
        }
    }
}

impl Limits {
    pub fn header_timeout(&self) -> Duration {
        Duration::from_millis(self.header_timeout_ms)
    }
    pub fn upstream_connect_timeout(&self) -> Duration {
        Duration::from_millis(self.upstream_connect_timeout_ms)
    }
    pub fn upstream_response_timeout(&self) -> Duration {
        Duration::from_millis(self.upstream_response_timeout_ms)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Forwarding {
    /// Peers whose `X-Forwarded-*`, `Forwarded` and `X-Request-Id` are believed and extended;
    /// from anyone else those headers are replaced.
    pub trusted_proxies: Vec<IpNet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// `Strict-Transport-Security: max-age=…` on every HTTPS answer; 0 sends none.
    pub hsts_max_age_secs: u64,
    pub hsts_include_subdomains: bool,
    /// Plain-HTTP requests to a site with a certificate are redirected to HTTPS.
    pub redirect_http: bool,
    /// The host whose certificate answers clients that send no SNI (old clients, scanners);
    /// without it they get a handshake failure. Unknown names always do.
    pub default_host: Option<String>,
}

impl Default for Tls {
    fn default() -> Self {
        Self {
            hsts_max_age_secs: 31_536_000,
            hsts_include_subdomains: false,
            redirect_http: true,
            default_host: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Logging {
    /// Paths that carry a secret: everything after one of these prefixes is logged as
    /// `[redacted]` (access log, error lines, request spans). Matched case-insensitively.
    pub redact_path_prefixes: Vec<String>,
}

impl Default for Logging {
    fn default() -> Self {
        // my.*'s command links: `/c/{token}` acts for its person.
        Self { redact_path_prefixes: vec!["/c/".into()] }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ChallengeKind {
    #[serde(rename = "http-01")]
    Http01,
    #[serde(rename = "tls-alpn-01")]
    TlsAlpn01,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acme {
    pub directory_url: String,
    #[serde(default)]
    pub contact: Vec<String>,
    /// Account, certificates, pending challenges and locks: share this folder between proxy
    /// instances (see docs/proxy.md).
    pub storage: PathBuf,
    #[serde(default = "default_challenge")]
    pub challenge: ChallengeKind,
    /// Renew when fewer days than this are left.
    #[serde(default = "default_renew_before_days")]
    pub renew_before_days: u64,
    /// How often certificates are checked (and the shared folder re-read).
    #[serde(default = "default_check_interval_secs")]
    pub check_interval_secs: u64,
    /// A CA for the ACME server's own HTTPS (a test CA such as Pebble's); default: web PKI.
    pub ca_file: Option<PathBuf>,
}

fn default_challenge() -> ChallengeKind {
    ChallengeKind::Http01
}
fn default_renew_before_days() -> u64 {
    30
}
fn default_check_interval_secs() -> u64 {
    3600
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// The idp's issuer (`iss` of its tokens).
    pub issuer: String,
    /// Where its signing keys are; default `{issuer}/jwks` (the idp of this project).
    pub jwks_url: Option<String>,
    /// A token's `aud` must contain it: the client id the tokens were issued to. Required,
    /// unless `any_audience = true`: a token the idp issued to any other client (a mobile app,
    /// a script) would otherwise open the protected paths too.
    pub audience: Option<String>,
    /// Accept tokens issued to any client of the idp; the explicit alternative to `audience`.
    #[serde(default)]
    pub any_audience: bool,
    /// A cookie that may carry the access token instead of the `Authorization` header.
    pub cookie: Option<String>,
    /// How often the idp's keys are fetched again, so a key the idp retired stops opening
    /// paths within this time (an unknown `kid` also fetches them, at most every 5 s).
    #[serde(default = "default_jwks_refresh_secs")]
    pub jwks_refresh_secs: u64,
}

fn default_jwks_refresh_secs() -> u64 {
    300
}

impl Access {
    pub fn jwks_url(&self) -> String {
        self.jwks_url.clone().unwrap_or_else(|| format!("{}/jwks", self.issuer.trim_end_matches('/')))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub hosts: Vec<String>,
    /// Absent: plain HTTP only.
    pub certificate: Option<Certificate>,
    /// Match routes and access rules ignoring ASCII case (`/ADMIN` is `/admin`): set it for
    /// upstreams that serve paths case-insensitively (IIS, some file servers), or a rule for
    /// `/admin` could be walked around as `/Admin`. The path is forwarded with its case.
    #[serde(default)]
    pub case_insensitive_paths: bool,
    #[serde(default, rename = "route")]
    pub routes: Vec<Route>,
    #[serde(default, rename = "protect")]
    pub protected: Vec<Protect>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Certificate {
    /// `certificate = "acme"`
    Acme(AcmeMarker),
    /// `certificate = { cert_file = "…", key_file = "…" }`
    Files(CertificateFiles),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AcmeMarker {
    Acme,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Balance {
    #[default]
    RoundRobin,
    LeastConnections,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// A path prefix on segment boundaries: `/api` matches `/api` and `/api/x`, not `/apix`.
    #[serde(default = "root")]
    pub path: String,
    pub upstreams: Vec<String>,
    #[serde(default)]
    pub balance: Balance,
    /// Polled on every upstream; absent: no active checks (failures still eject).
    pub health_path: Option<String>,
    #[serde(default = "default_health_interval_ms")]
    pub health_interval_ms: u64,
    /// How long an upstream that refused a connection is skipped.
    #[serde(default = "default_eject_ms")]
    pub eject_ms: u64,
}

fn root() -> String {
    "/".into()
}
fn default_health_interval_ms() -> u64 {
    5_000
}
fn default_eject_ms() -> u64 {
    10_000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protect {
    pub path: String,
    /// A token with any one of these groups passes.
    pub groups: Vec<String>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text)
            .map_err(|e| ConfigError::Syntax { path: path.to_owned(), message: e.to_string() })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot: references between sections, prefixes, upstream URLs. Files
    /// (certificates) are checked when they are loaded, with the same key names.
    fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.http.is_none() && self.listen.https.is_none() {
            return Err(invalid("listen", "needs `http` or `https`"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, site) in self.sites.iter().enumerate() {
            let key = |k: &str| format!("site[{i}].{k}");
            if site.hosts.is_empty() {
                return Err(invalid(key("hosts"), "must name at least one host"));
            }
            for host in &site.hosts {
                let normal = host.to_ascii_lowercase();
                if normal.is_empty() || normal.contains(['/', ':', ' ']) {
                    return Err(invalid(key("hosts"), format!("{host:?} is not a host name")));
                }
                if !seen.insert(normal) {
                    return Err(invalid(key("hosts"), format!("{host} is in more than one site")));
                }
            }
            if matches!(site.certificate, Some(Certificate::Acme(_))) && self.acme.is_none() {
                return Err(invalid(key("certificate"), "is \"acme\" but there is no [acme] section"));
            }
            if site.routes.is_empty() {
                return Err(invalid(key("route"), "needs at least one route"));
            }
            for (j, route) in site.routes.iter().enumerate() {
                let key = |k: &str| format!("site[{i}].route[{j}].{k}");
                check_prefix(&route.path, &key("path"))?;
                if route.upstreams.is_empty() {
                    return Err(invalid(key("upstreams"), "must list at least one upstream"));
                }
                for upstream in &route.upstreams {
                    parse_upstream(upstream).map_err(|problem| invalid(key("upstreams"), problem))?;
                }
                if let Some(path) = &route.health_path
                    && !path.starts_with('/')
                {
                    return Err(invalid(key("health_path"), "must start with /"));
                }
            }
            for (j, rule) in site.protected.iter().enumerate() {
                let key = |k: &str| format!("site[{i}].protect[{j}].{k}");
                check_prefix(&rule.path, &key("path"))?;
                if rule.groups.is_empty() {
                    return Err(invalid(key("groups"), "must list at least one group"));
                }
                if self.access.is_none() {
                    return Err(invalid(key("path"), "is protected but there is no [access] section"));
                }
            }
        }
        if let Some(host) = &self.tls.default_host {
            let served = self.sites.iter().any(|site| {
                site.certificate.is_some() && site.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
            });
            if !served {
                return Err(invalid(
                    "tls.default_host",
                    format!("{host} is not a host of a site with a certificate"),
                ));
            }
        }
        if let Some(access) = &self.access {
            access.validate()?;
        }
        for (i, prefix) in self.logging.redact_path_prefixes.iter().enumerate() {
            if !prefix.starts_with('/') {
                return Err(invalid(format!("logging.redact_path_prefixes[{i}]"), "must start with /"));
            }
        }
        if let Some(acme) = &self.acme {
            if !acme.directory_url.starts_with("https://") {
                return Err(invalid("acme.directory_url", "must be an https:// URL"));
            }
            if acme.check_interval_secs == 0 {
                return Err(invalid("acme.check_interval_secs", "must be at least 1"));
            }
        }
        Ok(())
    }
}

/// A prefix must be written in the canonical form requests are matched in (`crate::path`), or
/// it could never match: `/a/../b` or `/%61dmin` would silently protect nothing.
fn check_prefix(path: &str, key: &str) -> Result<(), ConfigError> {
    if !path.starts_with('/') {
        return Err(invalid(key, "must start with /"));
    }
    match crate::path::canonical(path) {
        Err(why) => Err(invalid(key, format!("{path:?} is not a usable path: {}", why.reason()))),
        Ok(canonical) if canonical.as_str() != path => {
            Err(invalid(key, format!("{path:?} is not in canonical form; write {:?}", canonical.as_str())))
        }
        Ok(_) => Ok(()),
    }
}

impl Access {
    fn validate(&self) -> Result<(), ConfigError> {
        match (&self.audience, self.any_audience) {
            (None, false) => {
                return Err(invalid(
                    "access.audience",
                    "must be set to the client id the tokens are issued to (or set \
                     `access.any_audience = true` to accept tokens the idp issued to any client)",
                ));
            }
            (Some(audience), _) if audience.is_empty() => {
                return Err(invalid("access.audience", "must not be empty"));
            }
            (Some(_), true) => {
                return Err(invalid("access.any_audience", "cannot be true when `access.audience` is set"));
            }
            _ => {}
        }
        if self.jwks_refresh_secs == 0 {
            return Err(invalid("access.jwks_refresh_secs", "must be at least 1"));
        }
        Ok(())
    }
}

/// `http://host:port` (no path): the only upstream form; TLS to upstreams is not supported yet.
pub fn parse_upstream(text: &str) -> Result<http::uri::Authority, String> {
    let uri: http::Uri = text.parse().map_err(|_| format!("{text:?} is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("{text:?}: upstreams are http:// URLs"));
    }
    if uri.path() != "/" && !uri.path().is_empty() {
        return Err(format!("{text:?}: an upstream has no path"));
    }
    uri.authority().cloned().ok_or_else(|| format!("{text:?} names no host"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("proxy.toml"))
    }

    const MINIMAL: &str = r#"
        [[site]]
        hosts = ["my.example.org"]
        [[site.route]]
        upstreams = ["http://127.0.0.1:3000"]
    "#;

    #[test]
    fn a_minimal_file_has_sane_defaults() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.sites[0].routes[0].path, "/");
        assert_eq!(config.sites[0].routes[0].balance, Balance::RoundRobin);
        assert_eq!(config.limits.max_headers, 100);
        assert!(config.tls.redirect_http);
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = parse(&format!("{MINIMAL}\n[limits]\nmax_body = 5\n")).unwrap_err().to_string();
        assert!(err.contains("max_body"), "{err}");
        let err = parse("[[site]]\nhosts=[\"a\"]\nupstream=[]\n").unwrap_err().to_string();
        assert!(err.contains("upstream"), "{err}");
    }

    #[test]
    fn wrong_values_name_their_key() {
        let cases = [
            (MINIMAL.replace("http://127.0.0.1:3000", "https://x"), "site[0].route[0].upstreams"),
            (MINIMAL.replace("http://127.0.0.1:3000", "http://x/a"), "site[0].route[0].upstreams"),
            (MINIMAL.replace("[[site.route]]", "[[site.route]]\npath = \"api\""), "site[0].route[0].path"),
            (MINIMAL.replace("hosts = [\"my.example.org\"]", "hosts = []"), "site[0].hosts"),
            (
                MINIMAL.replace("[[site.route]]", "certificate = \"acme\"\n[[site.route]]"),
                "site[0].certificate",
            ),
            (
                format!("{MINIMAL}\n[[site.protect]]\npath = \"/x\"\ngroups = [\"staff\"]"),
                "site[0].protect[0].path",
            ),
            (format!("{MINIMAL}\n{MINIMAL}"), "site[1].hosts"),
        ];
        for (text, key) in cases {
            let err = parse(&text).unwrap_err().to_string();
            assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
        }
    }

    #[test]
    fn access_rules_need_an_audience_or_an_explicit_any_audience() {
        let with = |access: &str| {
            format!(
                "{MINIMAL}\n[[site.protect]]\npath = \"/x\"\ngroups = [\"staff\"]\n[access]\nissuer = \"https://id.test\"\n{access}"
            )
        };
        let cases = [
            ("", "access.audience"),
            ("audience = \"\"", "access.audience"),
            ("any_audience = false", "access.audience"),
            ("audience = \"wiki\"\nany_audience = true", "access.any_audience"),
            ("audience = \"wiki\"\njwks_refresh_secs = 0", "access.jwks_refresh_secs"),
        ];
        for (access, key) in cases {
            let err = parse(&with(access)).unwrap_err().to_string();
            assert!(err.contains(&format!("`{key}`")), "{access:?}: {err}");
        }
        let config = parse(&with("audience = \"wiki\"")).unwrap();
        assert_eq!(config.access.as_ref().unwrap().jwks_refresh_secs, 300);
        assert!(parse(&with("any_audience = true")).is_ok());
    }

    #[test]
    fn prefixes_must_be_written_canonically() {
        for (path, key) in [
            ("/a/../admin", "site[0].protect[0].path"),
            ("/%61dmin", "site[0].protect[0].path"),
            ("//admin", "site[0].protect[0].path"),
            ("/admin;x", "site[0].protect[0].path"),
            ("/admin%2fx", "site[0].protect[0].path"),
        ] {
            let text = format!(
                "{MINIMAL}\n[[site.protect]]\npath = \"{path}\"\ngroups = [\"staff\"]\n[access]\nissuer = \"https://id.test\"\nany_audience = true"
            );
            let err = parse(&text).unwrap_err().to_string();
            assert!(err.contains(&format!("`{key}`")), "{path}: {err}");
        }
        let route = MINIMAL.replace("[[site.route]]", "[[site.route]]\npath = \"/api/./v1\"");
        assert!(parse(&route).unwrap_err().to_string().contains("`site[0].route[0].path`"));
    }

    #[test]
    fn logging_redacts_command_links_by_default() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.logging.redact_path_prefixes, ["/c/"]);
        let err = parse(&format!("{MINIMAL}\n[logging]\nredact_path_prefixes = [\"c/\"]")).unwrap_err();
        assert!(err.to_string().contains("`logging.redact_path_prefixes[0]`"), "{err}");
    }

    #[test]
    fn the_example_file_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("proxy.example.toml");
        Config::load(&path).unwrap();
    }
}
