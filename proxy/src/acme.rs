// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Certificates from an ACME CA (instant-acme): obtained at start, renewed when fewer than
//! `renew_before_days` are left, without a restart. Every check first re-reads the shared
//! folder, so a certificate another instance renewed is picked up instead of ordered again.

use crate::config::{Acme, ChallengeKind};
use crate::state::Shared;
use crate::store::Store;
use crate::tls;
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder,
    OrderStatus, RetryPolicy,
};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    #[error("ACME: {0}")]
    Protocol(#[from] instant_acme::Error),
    #[error("ACME folder: {0}")]
    Storage(#[from] std::io::Error),
    #[error("ACME: {0}")]
    Other(String),
}

/// A site whose certificate comes from ACME.
#[derive(Clone, Debug)]
pub struct AcmeSite {
    pub name: String,
    pub hosts: Vec<String>,
}

pub async fn run(shared: Arc<Shared>) {
    loop {
        let config = shared.config.load_full();
        let Some(settings) = config.acme.clone() else {
            shared.acme_wakeup.notified().await;
            continue;
        };
        let sites = crate::state::acme_sites(&config);
        let mut failed = false;
        match Store::open(&settings.storage) {
            Ok(store) => {
                *shared.certs.shared_challenges.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some(store.root().to_owned());
                for site in &sites {
                    if let Err(error) = check_site(&shared, &settings, &store, site).await {
                        failed = true;
                        tracing::error!(site = %site.name, %error, "certificate not obtained; will retry");
                    }
                }
            }
            Err(error) => {
                failed = true;
                tracing::error!(storage = %settings.storage.display(), %error, "ACME folder unusable");
            }
        }
        // After a failure, try again sooner (but not in a tight loop against the CA).
        let wait = if failed {
            Duration::from_secs(settings.check_interval_secs.min(60))
        } else {
            Duration::from_secs(settings.check_interval_secs)
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shared.acme_wakeup.notified() => {}
        }
    }
}

fn due(not_after: i64, settings: &Acme) -> bool {
    let renew_at =
        not_after.saturating_sub(i64::try_from(settings.renew_before_days * 86_400).unwrap_or(i64::MAX));
    time::OffsetDateTime::now_utc().unix_timestamp() >= renew_at
}

async fn check_site(
    shared: &Shared,
    settings: &Acme,
    store: &Store,
    site: &AcmeSite,
) -> Result<(), AcmeError> {
    // The shared folder first: another instance may have renewed it.
    if let Some(Ok(stored)) = store.certificate(&site.name) {
        let serving = shared.certs.get(&site.name);
        if serving.as_ref().is_none_or(|s| s.not_after < stored.not_after) {
            shared.install(&site.hosts, &stored);
        }
        if !due(stored.not_after, settings) {
            return Ok(());
        }
    }
    let Some(_lock) = store.lock(&site.name) else {
        tracing::info!(site = %site.name, "another instance is ordering this certificate");
        return Ok(());
    };
    // Checked again under the lock: the other instance may have just finished.
    if let Some(Ok(stored)) = store.certificate(&site.name)
        && !due(stored.not_after, settings)
    {
        shared.install(&site.hosts, &stored);
        return Ok(());
    }
    tracing::info!(site = %site.name, hosts = ?site.hosts, "ordering a certificate");
    let account = account(settings, store).await?;
    let (chain, key) = order(shared, settings, store, &account, site).await?;
    store.save_certificate(&site.name, &chain, &key)?;
    let loaded = tls::parse_pem(chain.as_bytes(), key.as_bytes(), &site.name)
        .map_err(|e| AcmeError::Other(e.to_string()))?;
    shared.install(&site.hosts, &loaded);
    tracing::info!(site = %site.name, not_after = loaded.not_after, "certificate installed");
    Ok(())
}

async fn account(settings: &Acme, store: &Store) -> Result<Account, AcmeError> {
    let builder = || match &settings.ca_file {
        Some(ca) => Account::builder_with_root(ca),
        None => Account::builder(),
    };
    if let Some(json) = store.account() {
        let credentials: AccountCredentials =
            serde_json::from_str(&json).map_err(|e| AcmeError::Other(format!("account.json: {e}")))?;
        return Ok(builder()?.from_credentials(credentials).await?);
    }
    let contact: Vec<&str> = settings.contact.iter().map(String::as_str).collect();
    let (account, credentials) = builder()?
        .create(
            &NewAccount { contact: &contact, terms_of_service_agreed: true, only_return_existing: false },
            settings.directory_url.clone(),
            None,
        )
        .await?;
    let json = serde_json::to_string(&credentials).map_err(|e| AcmeError::Other(e.to_string()))?;
    store.save_account(&json)?;
    Ok(account)
}

/// Orders, answers the challenges, and returns (chain PEM, key PEM).
async fn order(
    shared: &Shared,
    settings: &Acme,
    store: &Store,
    account: &Account,
    site: &AcmeSite,
) -> Result<(String, String), AcmeError> {
    let identifiers: Vec<Identifier> = site.hosts.iter().map(|h| Identifier::Dns(h.clone())).collect();
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
    let mut cleanup = Cleanup { shared, store, tokens: Vec::new(), hosts: Vec::new() };
    let mut authorizations = order.authorizations();
    while let Some(result) = authorizations.next().await {
        let mut authz = result?;
        match authz.status {
            AuthorizationStatus::Valid => continue,
            AuthorizationStatus::Pending => {}
            other => return Err(AcmeError::Other(format!("authorization is {other:?}"))),
        }
        let kind = match settings.challenge {
            ChallengeKind::Http01 => ChallengeType::Http01,
            ChallengeKind::TlsAlpn01 => ChallengeType::TlsAlpn01,
        };
        let mut challenge = authz
            .challenge(kind.clone())
            .ok_or_else(|| AcmeError::Other(format!("the CA offers no {kind:?} challenge")))?;
        let key_authorization = challenge.key_authorization();
        let host = challenge.identifier().to_string();
        match settings.challenge {
            ChallengeKind::Http01 => {
                shared
                    .http01
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(challenge.token.clone(), key_authorization.as_str().to_owned());
                store.put_http01(&challenge.token, key_authorization.as_str())?;
                cleanup.tokens.push(challenge.token.clone());
            }
            ChallengeKind::TlsAlpn01 => {
                let (cert, key) = alpn_certificate(&host, key_authorization.digest().as_ref())?;
                let challenge_key = tls::challenge_key(cert.as_bytes(), key.as_bytes())
                    .ok_or_else(|| AcmeError::Other("validation certificate unusable".into()))?;
                shared.certs.set_challenge(&host, Some(challenge_key));
                store.put_alpn(&host, &cert, &key)?;
                cleanup.hosts.push(host);
            }
        }
        challenge.set_ready().await?;
    }
    let retries = RetryPolicy::new().timeout(Duration::from_secs(90));
    let status = order.poll_ready(&retries).await?;
    if status != OrderStatus::Ready {
        return Err(AcmeError::Other(format!("order is {status:?}, not ready")));
    }
    let key = order.finalize().await?;
    let chain = order.poll_certificate(&retries).await?;
    Ok((chain, key))
}

/// The self-signed validation certificate of RFC 8737.
fn alpn_certificate(host: &str, digest: &[u8]) -> Result<(String, String), AcmeError> {
    let mut params =
        rcgen::CertificateParams::new(vec![host.to_owned()]).map_err(|e| AcmeError::Other(e.to_string()))?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate().map_err(|e| AcmeError::Other(e.to_string()))?;
    let cert = params.self_signed(&key).map_err(|e| AcmeError::Other(e.to_string()))?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Removes pending challenge answers whether the order succeeded or not.
struct Cleanup<'a> {
    shared: &'a Shared,
    store: &'a Store,
    tokens: Vec<String>,
    hosts: Vec<String>,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let mut http01 = self.shared.http01.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for token in &self.tokens {
            http01.remove(token);
            self.store.remove_http01(token);
        }
        for host in &self.hosts {
            self.shared.certs.set_challenge(host, None);
            self.store.remove_alpn(host);
        }
    }
}
