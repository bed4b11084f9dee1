// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The LDAP directory (ldap3): find the entry by the typed name with a service bind, bind as that
//! entry with the password, read its groups, and keep a local person for it.
//!
//! - Values typed by people are escaped (RFC 4515) before they go into a filter.
//! - An empty password is refused before anything is sent: LDAP treats a bind with a DN and no
//!   password as an anonymous bind that *succeeds* (RFC 4513 §5.1.2).
//! - Invalid credentials (result 49) are a refusal; anything else the server or network does is
//!   `DirectoryUnavailable`, which must not count as anyone's failed login.
//! - The first login creates the person (name, verified address, login name from the entry);
//!   later logins find them by DN. Group memberships the entry has are synchronised at each login
//!   (`from_directory`); memberships staff gave by hand are left alone.

use crate::audit::{Actor, Origin};
use crate::login::Outcome;
use crate::types::{DisplayName, Email, GroupName, Language, LoginName, PersonId};
use crate::{DomainError, Result, account, email, person};
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// How to reach and read the directory.
#[derive(Clone)]
pub struct LdapConfig {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS (required when set).
    pub starttls: bool,
    /// A PEM CA certificate to trust instead of the system's roots (a private directory CA).
    pub ca_pem: Option<Vec<u8>>,
    /// The service account that searches.
    pub bind_dn: String,
    pub bind_password: SecretString,
    /// Where people are found, and how: `{login}` stands for the typed name, escaped.
    pub base_dn: String,
    pub user_filter: String,
    /// Where groups are found: `{dn}` stands for the person's DN, escaped. Empty: no groups.
    pub group_base_dn: String,
    pub group_filter: String,
    /// Longest wait for the connection and for each operation.
    pub timeout: Duration,
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum LdapConfigError {
    #[error("url {0:?} must start with ldap:// or ldaps://")]
    Url(String),
    #[error("user_filter must contain {{login}}")]
    UserFilter,
    #[error("group_filter must contain {{dn}}")]
    GroupFilter,
    #[error("starttls needs an ldap:// URL (ldaps:// is TLS already)")]
    StartTlsOnLdaps,
    #[error("ca_file holds no usable PEM certificate")]
    Certificate,
}

/// The LDAP directory.
pub struct Ldap {
    config: LdapConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// What an entry says about its person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub dn: String,
    pub login_name: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub groups: Vec<String>,
}

fn unavailable(error: impl std::fmt::Display) -> DomainError {
    DomainError::DirectoryUnavailable(error.to_string())
}

/// Result code of a bind with a wrong password or an unknown DN.
const INVALID_CREDENTIALS: u32 = 49;

impl Ldap {
    pub fn new(config: LdapConfig) -> std::result::Result<Self, LdapConfigError> {
        let ldaps = config.url.starts_with("ldaps://");
        if !(ldaps || config.url.starts_with("ldap://")) {
            return Err(LdapConfigError::Url(config.url.clone()));
        }
        if ldaps && config.starttls {
            return Err(LdapConfigError::StartTlsOnLdaps);
        }
        if !config.user_filter.contains("{login}") {
            return Err(LdapConfigError::UserFilter);
        }
        if !config.group_base_dn.is_empty() && !config.group_filter.contains("{dn}") {
            return Err(LdapConfigError::GroupFilter);
        }
        let tls = match &config.ca_pem {
            None => None,
            Some(pem) => Some(Arc::new(tls_trusting(pem)?)),
        };
        Ok(Self { config, tls })
    }

    /// Checks a password against the directory; on success, the local person for the entry.
    pub async fn check_password(
        &self,
        pool: &PgPool,
        identifier: &str,
        password: &SecretString,
    ) -> Result<Outcome> {
        let identifier = identifier.trim();
        if identifier.is_empty() || identifier.len() > 254 || password.expose_secret().is_empty() {
            return Ok(Outcome::Refused);
        }
        match self.authenticate(identifier, password).await? {
            Some(entry) => provision(pool, &entry).await,
            None => Ok(Outcome::Refused),
        }
    }

    /// Binds as the entry the name finds; `None` when there is none, or the password is wrong.
    pub async fn authenticate(&self, identifier: &str, password: &SecretString) -> Result<Option<Entry>> {
        let config = &self.config;
        let mut settings =
            LdapConnSettings::new().set_conn_timeout(config.timeout).set_starttls(config.starttls);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(tls.clone());
        }
        let (connection, mut ldap) =
            LdapConnAsync::with_settings(settings, &config.url).await.map_err(unavailable)?;
        ldap3::drive!(connection);
        let service_bind = |ldap: &mut ldap3::Ldap| {
            let mut ldap = ldap.clone();
            let (dn, secret, timeout) =
                (config.bind_dn.clone(), config.bind_password.clone(), config.timeout);
            async move {
                ldap.with_timeout(timeout)
                    .simple_bind(&dn, secret.expose_secret())
                    .await
                    .and_then(|r| r.success())
                    .map(drop)
                    .map_err(|e| unavailable(format!("service bind as {dn}: {e}")))
            }
        };
        service_bind(&mut ldap).await?;
        let filter = config.user_filter.replace("{login}", &ldap_escape(identifier));
        let (found, _) = ldap
            .with_timeout(config.timeout)
            .search(&config.base_dn, Scope::Subtree, &filter, vec!["uid", "mail", "cn", "displayName"])
            .await
            .and_then(|r| r.success())
            .map_err(unavailable)?;
        // Nobody, or a name that matches several entries: refused, after a bind that costs the
        // server about what a real one does.
        let dn = match found.len() {
            1 => None,
            _ => Some(format!("uid={},{}", ldap_escape(identifier), config.base_dn)),
        };
        let entry = found.into_iter().next().map(SearchEntry::construct);
        let bind_dn = dn.clone().or_else(|| entry.as_ref().map(|e| e.dn.clone())).unwrap_or_default();
        let bind = ldap
            .with_timeout(config.timeout)
            .simple_bind(&bind_dn, password.expose_secret())
            .await
            .map_err(unavailable)?;
        let entry = match (dn, entry, bind.rc) {
            (None, Some(entry), 0) => entry,
            (_, _, 0) | (_, _, INVALID_CREDENTIALS) => {
                let _ = ldap.unbind().await;
                return Ok(None);
            }
            (_, _, rc) => return Err(unavailable(format!("bind as the person: result {rc} {}", bind.text))),
        };
        let mut groups = Vec::new();
        if !config.group_base_dn.is_empty() {
            service_bind(&mut ldap).await?;
            let filter = config.group_filter.replace("{dn}", &ldap_escape(&entry.dn));
            let (found, _) = ldap
                .with_timeout(config.timeout)
                .search(&config.group_base_dn, Scope::Subtree, &filter, vec!["cn"])
                .await
                .and_then(|r| r.success())
                .map_err(unavailable)?;
            groups = found.into_iter().filter_map(|g| first(&SearchEntry::construct(g), "cn")).collect();
            groups.sort();
        }
        let _ = ldap.unbind().await;
        Ok(Some(Entry {
            login_name: first(&entry, "uid"),
            email: first(&entry, "mail"),
            display_name: first(&entry, "displayName").or_else(|| first(&entry, "cn")),
            dn: entry.dn,
            groups,
        }))
    }
}

fn first(entry: &SearchEntry, attribute: &str) -> Option<String> {
    entry.attrs.get(attribute).and_then(|values| values.first()).cloned()
}

fn tls_trusting(pem: &[u8]) -> std::result::Result<rustls::ClientConfig, LdapConfigError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(pem) {
        let certificate = certificate.map_err(|_| LdapConfigError::Certificate)?;
        roots.add(certificate).map_err(|_| LdapConfigError::Certificate)?;
    }
    if roots.is_empty() {
        return Err(LdapConfigError::Certificate);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| LdapConfigError::Certificate)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The local person for an entry: found by DN, or created at the first login. A disabled
/// account is refused even though the directory accepted the password.
async fn provision(pool: &PgPool, entry: &Entry) -> Result<Outcome> {
    let origin = Origin { actor: &Actor::System, source: "ldap" };
    let mut tx = pool.begin().await?;
    let existing = sqlx::query!(
        r#"SELECT person_id AS "person: PersonId", disabled FROM account
           WHERE directory = 'ldap' AND ldap_dn = $1 FOR UPDATE"#,
        entry.dn
    )
    .fetch_optional(&mut *tx)
    .await?;
    let person = match existing {
        Some(row) if row.disabled => return Ok(Outcome::Refused),
        Some(row) => row.person,
        None => create_person(&mut tx, origin, entry).await?,
    };
    sync_groups(&mut tx, person, &entry.groups).await?;
    tx.commit().await?;
    Ok(Outcome::Authenticated(person))
}

async fn create_person(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    origin: Origin<'_>,
    entry: &Entry,
) -> Result<PersonId> {
    let name = entry
        .display_name
        .as_deref()
        .and_then(|n| DisplayName::try_from(n).ok())
        .or_else(|| entry.login_name.as_deref().and_then(|n| DisplayName::try_from(n).ok()))
        .ok_or_else(|| unavailable(format!("entry {} has no usable cn or uid", entry.dn)))?;
    let new = person::NewPerson {
        display_name: name,
        country: None,
        address: None,
        preferred_language: Language::default(),
        referrer: None,
    };
    let person = person::create(tx, origin, &new).await?.id;
    // An address or login name someone here has already stays theirs: the entry's person is
    // created without it rather than taking it over. Savepoints keep the rest.
    if let Some(address) = entry.email.as_deref().and_then(|a| Email::try_from(a).ok()) {
        let mut savepoint = sqlx::Connection::begin(&mut **tx).await?;
        let verified = email::Verification::VerifiedAt(time::OffsetDateTime::now_utc());
        match email::add(&mut savepoint, origin, person, &address, true, verified).await {
            Ok(_) => savepoint.commit().await?,
            Err(DomainError::Conflict(_)) => {
                tracing::warn!(
                    dn = entry.dn,
                    "the entry's mail address belongs to another person here; not linked"
                );
            }
            Err(e) => return Err(e),
        }
    }
    let credential = account::Credential::Ldap { dn: entry.dn.clone() };
    let login_name =
        entry.login_name.as_deref().and_then(|n| LoginName::try_from(n.to_lowercase().as_str()).ok());
    let mut savepoint = sqlx::Connection::begin(&mut **tx).await?;
    match account::create(&mut savepoint, origin, person, login_name.as_ref(), &credential).await {
        Ok(_) => savepoint.commit().await?,
        Err(DomainError::Conflict(_)) => {
            drop(savepoint);
            tracing::warn!(dn = entry.dn, "the entry's uid is another account's login name here; not used");
            account::create(tx, origin, person, None, &credential).await?;
        }
        Err(e) => return Err(e),
    }
    Ok(person)
}

/// Makes the person's directory memberships exactly `groups`, creating groups met for the first
/// time. Names that are not valid group names here are skipped.
async fn sync_groups(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    person: PersonId,
    groups: &[String],
) -> Result<()> {
    let names: Vec<String> = groups
        .iter()
        .filter_map(|g| GroupName::try_from(g.to_lowercase().as_str()).ok())
        .map(|g| g.as_str().to_owned())
        .collect();
    sqlx::query!(
        r#"INSERT INTO groups (name, display_name, description)
           SELECT n, n, 'From the LDAP directory' FROM unnest($1::text[]) AS n
           ON CONFLICT (name) DO NOTHING"#,
        &names
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO group_membership (group_id, person_id, from_directory)
           SELECT g.id, $1, true FROM groups g WHERE g.name = ANY($2)
           ON CONFLICT (group_id, person_id) DO NOTHING"#,
        person as PersonId,
        &names
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        r#"DELETE FROM group_membership m USING groups g
           WHERE m.group_id = g.id AND m.person_id = $1 AND m.from_directory AND NOT (g.name = ANY($2))"#,
        person as PersonId,
        &names
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LdapConfig {
        LdapConfig {
            url: "ldap://127.0.0.1:389".into(),
            starttls: false,
            ca_pem: None,
            bind_dn: "cn=reader,dc=example,dc=org".into(),
            bind_password: SecretString::from("secret"),
            base_dn: "ou=people,dc=example,dc=org".into(),
            user_filter: "(|(uid={login})(mail={login}))".into(),
            group_base_dn: "ou=groups,dc=example,dc=org".into(),
            group_filter: "(member={dn})".into(),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn configurations_that_cannot_work_are_refused() {
        assert!(Ldap::new(config()).is_ok());
        assert!(matches!(
            Ldap::new(LdapConfig { url: "http://x".into(), ..config() }),
            Err(LdapConfigError::Url(_))
        ));
        let no_placeholder = LdapConfig { user_filter: "(uid=ada)".into(), ..config() };
        assert!(matches!(Ldap::new(no_placeholder), Err(LdapConfigError::UserFilter)));
        let ldaps_starttls = LdapConfig { url: "ldaps://x".into(), starttls: true, ..config() };
        assert!(matches!(Ldap::new(ldaps_starttls), Err(LdapConfigError::StartTlsOnLdaps)));
        let bad_ca = LdapConfig { ca_pem: Some(b"not a certificate".to_vec()), ..config() };
        assert!(matches!(Ldap::new(bad_ca), Err(LdapConfigError::Certificate)));
    }

    #[tokio::test]
    async fn an_empty_password_is_refused_before_anything_is_sent() {
        // Nothing listens on port 9 and the pool never connects: an attempt would fail loudly.
        let ldap = Ldap::new(LdapConfig { url: "ldap://127.0.0.1:9".into(), ..config() }).unwrap();
        let pool = PgPool::connect_lazy("postgres://nobody@127.0.0.1:9/none").unwrap();
        let outcome = ldap.check_password(&pool, "grace", &SecretString::from("")).await.unwrap();
        assert_eq!(outcome, Outcome::Refused);
    }

    #[test]
    fn typed_names_cannot_change_the_filter() {
        // What the filter gets for a hostile name: every special character escaped.
        let filter = config().user_filter.replace("{login}", &ldap_escape("*)(uid=*"));
        assert_eq!(filter, r"(|(uid=\2a\29\28uid=\2a)(mail=\2a\29\28uid=\2a))");
    }
}
