// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Settings of the web binaries: built-in defaults, then one TOML file shared by `server` and
//! `idp` (each reads its own sections and the common ones), then environment variables. Every
//! key is documented in `config/community.example.toml`.
//!
//! - File: `--config PATH` or `CDB_CONFIG=PATH`; with neither, only defaults and environment.
//! - Environment: `CDB_` + the key path in capitals, levels joined by `__`, e.g.
//!   `CDB_HTTP__LISTEN=0.0.0.0:8080`, `CDB_IDP__LISTEN=0.0.0.0:8081`,
//!   `CDB_DATABASE__MAX_CONNECTIONS=20`.
//! - `DATABASE_URL` wins over `database.url`, so the usual convention works.
//! - Secrets can come from files (`database.url_file`), so they stay out of the environment.
//!
//! Unknown keys are errors: a typo must not silently fall back to a default.

mod mailing;
mod payments;
mod statements;

pub use mailing::MailingSettings;
pub use payments::{
    BankSettings, EXAMPLE_IBAN, PaymentSettings, PaypalSecrets, PaypalSettings, StripeSecrets, StripeSettings,
};
pub use statements::StatementSettings;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnectOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub site: SiteSettings,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub session: SessionSettings,
    pub log: LogSettings,
    /// The identity provider (id.*); the supporter app reads its public URL too.
    pub idp: IdpSettings,
    /// Outgoing mail: every binary that queues mail also sends the queue.
    pub mail: MailSettings,
    /// The LDAP directory, used when `idp.directory = "ldap"`.
    pub ldap: LdapSettings,
    /// How the supporter app logs people in at the idp (as its OpenID Connect client).
    pub login: LoginSettings,
    /// What donors may give and where bank transfers go.
    pub payments: PaymentSettings,
    /// Stripe, when `payments.methods` offers it.
    pub stripe: StripeSettings,
    /// PayPal, when `payments.methods` offers it.
    pub paypal: PaypalSettings,
    /// Annual donation statements (`cdb-admin statements`).
    pub statements: StatementSettings,
    /// Information emails (campaigns): signing key, bounce address, speed.
    pub mailing: MailingSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginSettings {
    /// The supporter app's client id at the idp (`cdb-admin client create`). Its redirect URI
    /// there must be `{http.public_url}/auth/callback`, its post-logout URI
    /// `{http.public_url}/logout`.
    pub client_id: String,
    /// A file holding the client secret. Without it, `/login` says login is not set up.
    pub client_secret_file: Option<PathBuf>,
}

impl Default for LoginSettings {
    fn default() -> Self {
        Self { client_id: "my-supporter-app".into(), client_secret_file: None }
    }
}

/// Where the idp checks passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectoryChoice {
    /// argon2id hashes in PostgreSQL.
    Builtin,
    /// An LDAP server (`[ldap]`) for everyone without a built-in account.
    Ldap,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdapSettings {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade `ldap://` with StartTLS; the connection fails if the server cannot.
    pub starttls: bool,
    /// A PEM CA certificate to trust instead of the system roots.
    pub ca_file: Option<PathBuf>,
    /// The service account that searches for people and groups.
    pub bind_dn: String,
    /// A file holding the service account's password.
    pub bind_password_file: Option<PathBuf>,
    pub base_dn: String,
    /// `{login}` is replaced by the typed login name or address, escaped.
    pub user_filter: String,
    /// Empty: group memberships are not read.
    pub group_base_dn: String,
    /// `{dn}` is replaced by the person's DN, escaped.
    pub group_filter: String,
    pub timeout_secs: u64,
}

impl Default for LdapSettings {
    fn default() -> Self {
        Self {
            url: "ldap://localhost:389".into(),
            starttls: false,
            ca_file: None,
            bind_dn: String::new(),
            bind_password_file: None,
            base_dn: String::new(),
            user_filter: "(&(objectClass=inetOrgPerson)(|(uid={login})(mail={login})))".into(),
            group_base_dn: String::new(),
            group_filter: "(&(objectClass=groupOfNames)(member={dn}))".into(),
            timeout_secs: 5,
        }
    }
}

impl LdapSettings {
    /// The directory these settings describe, with its files read; errors name the key.
    pub fn directory(&self) -> Result<domain::directory::ldap::Ldap, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid(message);
        let read = |key: &str, path: &Option<PathBuf>| -> Result<Option<Vec<u8>>, ConfigError> {
            path.as_ref()
                .map(|p| std::fs::read(p).map_err(|e| invalid(format!("ldap.{key} {}: {e}", p.display()))))
                .transpose()
        };
        if self.base_dn.is_empty() {
            return Err(invalid("ldap.base_dn is required with idp.directory = \"ldap\"".into()));
        }
        let password = read("bind_password_file", &self.bind_password_file)?
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
            .unwrap_or_default();
        let config = domain::directory::ldap::LdapConfig {
            url: self.url.clone(),
            starttls: self.starttls,
            ca_pem: read("ca_file", &self.ca_file)?,
            bind_dn: self.bind_dn.clone(),
            bind_password: SecretString::from(password),
            base_dn: self.base_dn.clone(),
            user_filter: self.user_filter.clone(),
            group_base_dn: self.group_base_dn.clone(),
            group_filter: self.group_filter.clone(),
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
        };
        domain::directory::ldap::Ldap::new(config).map_err(|e| invalid(format!("ldap: {e}")))
    }
}

/// How queued mail leaves: into a folder of `.eml` files (the local default) or over SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    Outbox,
    Smtp,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host.
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// Sender of every mail, e.g. `"FSFE <noreply@fsfe.org>"`.
    pub from: String,
    /// `outbox` writes each mail to `outbox_dir` as an `.eml` file; `smtp` sends through `smtp_*`.
    pub transport: MailTransport,
    pub outbox_dir: PathBuf,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    /// Login for SMTP AUTH; leave empty for a relay that needs none.
    pub smtp_username: String,
    /// A file holding the SMTP password (required with `smtp_username`).
    pub smtp_password_file: Option<PathBuf>,
    /// A PEM certificate to trust besides the public roots (a private relay's own CA).
    pub smtp_ca_file: Option<PathBuf>,
    /// How often the queue is looked at when idle.
    pub poll_interval_ms: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "Community Database <noreply@localhost>".into(),
            transport: MailTransport::Outbox,
            outbox_dir: PathBuf::from(".local/outbox"),
            smtp_host: "localhost".into(),
            smtp_port: 587,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: String::new(),
            smtp_password_file: None,
            smtp_ca_file: None,
            poll_interval_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdpSettings {
    /// Address and port the idp listens on.
    pub listen: SocketAddr,
    /// The issuer: the URL clients use to reach the idp, without a trailing slash. Tokens name
    /// it in `iss`; an `https` URL also marks the idp's cookies `Secure`.
    pub public_url: String,
    /// Lifetime of access and ID tokens.
    pub access_token_minutes: i64,
    /// Lifetime of a refresh token (each use issues a new one).
    pub refresh_token_days: i64,
    /// How long a person stays logged in at the idp (single sign-on across clients).
    pub login_session_hours: i64,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed, so login throttling
    /// counts the real client address. Empty: the connecting address counts.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `builtin` (the default) or `ldap`: see `[ldap]`.
    pub directory: DirectoryChoice,
    /// The file of key-encryption keys that seal the token signing keys in PostgreSQL (one
    /// `<id>:<base64 of 32 bytes>` per line; the first seals, all open; docs/idp.md). Required
    /// unless `public_url` is a loopback `http://` address: there a missing file is created, and
    /// without one a throwaway key is used.
    pub key_encryption_key_file: Option<PathBuf>,
    /// Logins that may wait for a password check while one per core runs; when that many wait,
    /// further logins get a 503 with `Retry-After` at once (each check holds 19 MiB).
    pub login_queue: u32,
}

impl Default for IdpSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3001)),
            public_url: "http://127.0.0.1:3001".into(),
            access_token_minutes: 10,
            refresh_token_days: 30,
            login_session_hours: 12,
            trusted_proxies: Vec::new(),
            directory: DirectoryChoice::Builtin,
            key_encryption_key_file: None,
            login_queue: 64,
        }
    }
}

impl IdpSettings {
    /// The issuer identifier exactly as tokens and discovery show it.
    pub fn issuer(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    pub fn origin(&self) -> String {
        origin_of(&self.public_url)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Whether this is a development set-up: the issuer is plain `http://` on a loopback host.
    pub fn is_local_development(&self) -> bool {
        let Some(rest) = self.public_url.strip_prefix("http://") else { return false };
        let host_port = rest.split(['/', '?']).next().unwrap_or_default();
        let host = match host_port.rfind(':') {
            Some(i) if !host_port.ends_with(']') => &host_port[..i],
            _ => host_port,
        };
        matches!(host, "127.0.0.1" | "[::1]" | "localhost")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteSettings {
    /// The organisation's name as pages show it.
    pub organisation: String,
    /// Where this instance's source code can be downloaded (AGPL §13).
    pub source_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The address people use to reach the site. State-changing requests must come from this
    /// origin; an `https` URL also marks cookies `Secure`.
    pub public_url: String,
    /// Longest time one request may take before it is answered with 408.
    pub request_timeout_secs: u64,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed, so throttling (of
    /// registration and address mails) counts the real client address. Empty: the connecting
    /// address counts (`hosting::client_address`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// PostgreSQL URL, e.g. `postgres://user@host:5432/community`. Prefer `url_file` when it
    /// holds a password.
    #[serde(skip_serializing)]
    pub url: Option<SecretString>,
    /// A file whose content is the URL.
    pub url_file: Option<PathBuf>,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// A session ends after this long without a request.
    pub idle_timeout_minutes: i64,
    /// A login on my.* ends this long after it began, however busy the session is: a stolen
    /// or forgotten session cookie does not stay good for ever. Counted from the login (a
    /// session without one holds nothing worth stealing and ends by `idle_timeout_minutes`).
    pub absolute_hours: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// `tracing` filter directives, e.g. `info` or `info,server=debug`; `RUST_LOG` wins.
    pub filter: String,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self { idle_timeout_minutes: 120, absolute_hours: 24 }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { format: LogFormat::Text, filter: "info".into() }
    }
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self { organisation: "Community Database".into(), source_url: String::new() }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: "http://127.0.0.1:3000".into(),
            request_timeout_secs: 30,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: None, url_file: None, max_connections: 10, acquire_timeout_secs: 5 }
    }
}

/// A setting that cannot be used, with the key to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist (check --config or CDB_CONFIG)")]
    MissingFile(PathBuf),
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("database.url_file {path}: {source}")]
    UrlFile { path: PathBuf, source: std::io::Error },
    #[error("no database configured: set DATABASE_URL, database.url or database.url_file")]
    NoDatabase,
    #[error("database URL ({key}) is not a valid PostgreSQL URL: {reason}")]
    BadDatabaseUrl { key: &'static str, reason: String },
    #[error("{key} {url:?} must start with http:// or https://")]
    BadPublicUrl { key: &'static str, url: String },
    #[error("idp.{key} must be at least 1")]
    BadLifetime { key: &'static str },
    #[error("site.source_url {0:?} must be empty, a path starting with /, or an http(s):// URL")]
    BadSourceUrl(String),
}

impl Settings {
    /// Reads the settings. `file` is the path from `--config`/`CDB_CONFIG`, if any.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        check_environment_names(std::env::vars().map(|(name, _)| name))?;
        // A setting is always CDB_<SECTION>__<KEY>; other CDB_ variables (CDB_CONFIG, the
        // scripts' port choices) are not settings and must not be read as unknown ones.
        figment = figment.merge(Env::prefixed("CDB_").filter(|key| key.as_str().contains("__")).split("__"));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(("database.url", url));
        }
        let settings: Settings = figment.extract().map_err(|e| ConfigError::Invalid(one_line(&e)))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for (key, url) in
            [("http.public_url", &self.http.public_url), ("idp.public_url", &self.idp.public_url)]
        {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::BadPublicUrl { key, url: url.clone() });
            }
        }
        for (key, value) in [
            ("access_token_minutes", self.idp.access_token_minutes),
            ("refresh_token_days", self.idp.refresh_token_days),
            ("login_session_hours", self.idp.login_session_hours),
        ] {
            if value < 1 {
                return Err(ConfigError::BadLifetime { key });
            }
        }
        for (key, value) in [
            ("session.idle_timeout_minutes", self.session.idle_timeout_minutes),
            ("session.absolute_hours", self.session.absolute_hours),
        ] {
            if value < 1 {
                return Err(ConfigError::Invalid(format!("{key} must be at least 1")));
            }
        }
        if self.idp.login_queue < 1 {
            return Err(ConfigError::BadLifetime { key: "login_queue" });
        }
        self.payments.offer().map_err(ConfigError::Invalid)?;
        if self.payments.offers_stripe() {
            match self.stripe.secrets() {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(ConfigError::Invalid(
                        "payments.methods offers stripe, so stripe.secret_key_file must be set".into(),
                    ));
                }
                Err(e) => return Err(ConfigError::Invalid(e)),
            }
            if !(self.stripe.api_url.starts_with("https://") || self.stripe.api_url.starts_with("http://")) {
                return Err(ConfigError::BadPublicUrl {
                    key: "stripe.api_url",
                    url: self.stripe.api_url.clone(),
                });
            }
        }
        if self.payments.offers_paypal() {
            match self.paypal.secrets() {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(ConfigError::Invalid(
                        "payments.methods offers paypal, so paypal.client_secret_file must be set".into(),
                    ));
                }
                Err(e) => return Err(ConfigError::Invalid(e)),
            }
        }
        let source = &self.site.source_url;
        if !(source.is_empty()
            || source.starts_with("https://")
            || source.starts_with("http://")
            || source.starts_with('/'))
        {
            return Err(ConfigError::BadSourceUrl(source.clone()));
        }
        Ok(())
    }

    /// The public origin (`scheme://host[:port]`) that state-changing requests must come from.
    pub fn public_origin(&self) -> String {
        origin_of(&self.http.public_url)
    }

    pub fn secure_cookies(&self) -> bool {
        self.http.public_url.starts_with("https://")
    }

    /// How to connect, from `DATABASE_URL`/`database.url` or else `database.url_file`.
    pub fn connect_options(&self) -> Result<PgConnectOptions, ConfigError> {
        let (key, url) = match (&self.database.url, &self.database.url_file) {
            (Some(url), _) => ("DATABASE_URL or database.url", url.expose_secret().trim().to_owned()),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::UrlFile { path: path.clone(), source })?;
                ("database.url_file", text.trim().to_owned())
            }
            (None, None) => return Err(ConfigError::NoDatabase),
        };
        // sqlx parses any scheme; refuse the wrong database early and plainly.
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::BadDatabaseUrl { key, reason: "it must start with postgres://".into() });
        }
        // The parser's message never contains the password; the URL itself is not repeated.
        // (Never log PgConnectOptions with {:?}: its Debug output includes the password.)
        url.parse::<PgConnectOptions>()
            .map_err(|e| ConfigError::BadDatabaseUrl { key, reason: e.to_string() })
    }

    pub fn pool_settings(&self) -> domain::db::PoolSettings {
        domain::db::PoolSettings {
            max_connections: self.database.max_connections,
            acquire_timeout: Duration::from_secs(self.database.acquire_timeout_secs),
        }
    }
}

/// The sections a settings variable can name.
const SECTIONS: [&str; 14] = [
    "site",
    "http",
    "database",
    "session",
    "log",
    "idp",
    "mail",
    "ldap",
    "login",
    "payments",
    "stripe",
    "statements",
    "paypal",
    "mailing",
];

/// Catches the likely typo of a single underscore after the section (`CDB_HTTP_LISTEN`), which
/// would otherwise be ignored silently.
fn check_environment_names(names: impl Iterator<Item = String>) -> Result<(), ConfigError> {
    for name in names {
        let Some(key) = name.strip_prefix("CDB_") else { continue };
        let key = key.to_ascii_lowercase();
        if key.contains("__") {
            continue;
        }
        if let Some(section) = SECTIONS.iter().find(|s| key.starts_with(&format!("{s}_"))) {
            let rest = &name["CDB_".len() + section.len() + 1..];
            return Err(ConfigError::Invalid(format!(
                "environment variable {name} is not a setting; did you mean CDB_{}__{rest}?",
                section.to_ascii_uppercase()
            )));
        }
    }
    Ok(())
}

/// `scheme://host[:port]` of a URL: what browsers send as `Origin`.
fn origin_of(url: &str) -> String {
    let url = url.trim_end_matches('/');
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(path) => url[..after_scheme + path].to_owned(),
        None => url.to_owned(),
    }
}

/// Figment can report several problems; one line naming the first is what an operator needs.
fn one_line(error: &figment::Error) -> String {
    error.to_string().lines().next().unwrap_or("invalid settings").to_owned()
}

/// Describes where a connection goes, without the password, for error messages and logs.
pub fn describe(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content.as_bytes()).unwrap();
        f
    }

    // Environment variables are process-wide; these tests only read files, and the keys they
    // check are not set by the test command.

    #[test]
    fn a_file_overrides_defaults() {
        let f = file("[site]\norganisation = \"FSFE\"\n[http]\nlisten = \"127.0.0.1:8080\"\n");
        let settings = Settings::load(Some(f.path())).unwrap();
        assert_eq!(settings.site.organisation, "FSFE");
        assert_eq!(settings.http.listen.port(), 8080);
        assert_eq!(settings.session.idle_timeout_minutes, 120, "untouched keys keep defaults");
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = Settings::load(Some(Path::new("/nonexistent/community.toml"))).unwrap_err();
        assert_eq!(
            error.to_string(),
            "configuration file /nonexistent/community.toml does not exist (check --config or CDB_CONFIG)"
        );
    }

    #[test]
    fn an_unknown_key_is_named() {
        let f = file("[http]\nlisen = \"127.0.0.1:8080\"\n");
        let error = Settings::load(Some(f.path())).unwrap_err().to_string();
        assert!(error.contains("lisen"), "{error}");
        assert!(!error.contains('\n'));
    }

    #[test]
    fn a_malformed_value_is_named() {
        let f = file("[http]\nlisten = \"not an address\"\n");
        let error = Settings::load(Some(f.path())).unwrap_err().to_string();
        assert!(error.contains("listen"), "{error}");
        let f = file("this is not toml = = =");
        assert!(Settings::load(Some(f.path())).is_err());
    }

    #[test]
    fn database_urls_are_checked_without_echoing_secrets() {
        let mut settings = Settings::default();
        settings.database.url = Some("mysql://root:hunter2@db/x".into());
        let error = settings.connect_options().unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
        settings.database.url = Some("postgres://ada:hunter2@db.example:5433/community".into());
        let described = describe(&settings.connect_options().unwrap());
        assert_eq!(described, "postgres://ada@db.example:5433/community");
    }

    #[test]
    fn the_url_file_is_read_and_trimmed() {
        let secret = file("postgres://ada@localhost/community\n");
        let mut settings = Settings::default();
        settings.database.url_file = Some(secret.path().to_owned());
        assert_eq!(describe(&settings.connect_options().unwrap()), "postgres://ada@localhost:5432/community");
        settings.database.url_file = Some("/nonexistent".into());
        assert!(
            settings.connect_options().unwrap_err().to_string().starts_with("database.url_file /nonexistent")
        );
    }

    #[test]
    fn a_script_url_as_source_is_refused() {
        let f = file("[site]\nsource_url = \"javascript:alert(1)\"\n");
        let error = Settings::load(Some(f.path())).unwrap_err().to_string();
        assert!(error.starts_with("site.source_url"), "{error}");
    }

    #[test]
    fn the_public_origin_drops_the_path() {
        let mut settings = Settings::default();
        settings.http.public_url = "https://my.example.org/some/path/".into();
        assert_eq!(settings.public_origin(), "https://my.example.org");
        assert!(settings.secure_cookies());
    }

    #[test]
    fn only_section_keys_in_the_environment_are_settings() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>().into_iter();
        assert!(
            check_environment_names(names(&["CDB_TEST_PG_PORT", "CDB_CONFIG", "CDB_HTTP__LISTEN", "PATH"]))
                .is_ok()
        );
        let error = check_environment_names(names(&["CDB_IDP_LISTEN"])).unwrap_err().to_string();
        assert_eq!(
            error,
            "configuration: environment variable CDB_IDP_LISTEN is not a setting; did you mean CDB_IDP__LISTEN?"
        );
    }

    #[test]
    fn the_idp_section_is_read_and_checked() {
        let f = file("[idp]\npublic_url = \"https://id.example.org/\"\nrefresh_token_days = 7\n");
        let settings = Settings::load(Some(f.path())).unwrap();
        assert_eq!(settings.idp.issuer(), "https://id.example.org");
        assert_eq!(settings.idp.refresh_token_days, 7);
        assert_eq!(settings.idp.access_token_minutes, 10);
        assert!(settings.idp.secure_cookies());
        let f = file("[idp]\naccess_token_minutes = 0\n");
        let error = Settings::load(Some(f.path())).unwrap_err().to_string();
        assert_eq!(error, "idp.access_token_minutes must be at least 1");
        let f = file("[idp]\npublic_url = \"id.example.org\"\n");
        let error = Settings::load(Some(f.path())).unwrap_err().to_string();
        assert!(error.starts_with("idp.public_url"), "{error}");
    }

    #[test]
    fn the_example_file_is_valid_and_documents_the_defaults() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/community.example.toml");
        let settings = Settings::load(Some(&example)).unwrap();
        assert_eq!(settings.mail.transport, MailTransport::Outbox);
        assert_eq!(settings.mail.smtp_port, MailSettings::default().smtp_port);
        assert_eq!(settings.idp.listen, IdpSettings::default().listen);
        assert_eq!(settings.mailing, MailingSettings::default());
    }
}
