// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Registered clients: who may ask the idp for what, and where it may send people back to.

use super::secret::{self, SecretHash};
use super::types::{ClientId, GrantType, RedirectUri, Scopes};
use crate::audit::{self, Action, Origin};
use crate::{DomainError, Result};
use secrecy::SecretString;
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};

/// Whether a client can keep a secret (a server) or not (a browser or native app).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "oidc_client_kind", rename_all = "lowercase")]
pub enum ClientKind {
    Confidential,
    Public,
}

/// What a client may do. Built by `ClientSpec::new`, which refuses impossible combinations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    pub name: String,
    pub kind: ClientKind,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    pub scopes: Scopes,
}

/// Why a client specification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("a client name must be 1 to 200 characters")]
    Name,
    #[error("a public client cannot use client_credentials: it has no secret to prove who it is")]
    PublicClientCredentials,
    #[error("the authorization_code grant needs at least one redirect URI")]
    NoRedirectUri,
    #[error("the refresh_token grant is only useful together with authorization_code")]
    RefreshWithoutCode,
    #[error("at least one grant type is needed")]
    NoGrant,
}

impl ClientSpec {
    pub fn new(
        name: &str,
        kind: ClientKind,
        redirect_uris: Vec<RedirectUri>,
        post_logout_redirect_uris: Vec<RedirectUri>,
        mut grant_types: Vec<GrantType>,
        scopes: Scopes,
    ) -> std::result::Result<Self, SpecError> {
        grant_types.sort();
        grant_types.dedup();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(SpecError::Name);
        }
        if grant_types.is_empty() {
            return Err(SpecError::NoGrant);
        }
        if kind == ClientKind::Public && grant_types.contains(&GrantType::ClientCredentials) {
            return Err(SpecError::PublicClientCredentials);
        }
        let code = grant_types.contains(&GrantType::AuthorizationCode);
        if code && redirect_uris.is_empty() {
            return Err(SpecError::NoRedirectUri);
        }
        if !code && grant_types.contains(&GrantType::RefreshToken) {
            return Err(SpecError::RefreshWithoutCode);
        }
        Ok(Self {
            name: name.to_owned(),
            kind,
            redirect_uris,
            post_logout_redirect_uris,
            grant_types,
            scopes,
        })
    }
}

/// A client as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    pub spec: ClientSpec,
    secret_hash: Option<SecretHash>,
}

impl Client {
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.spec.grant_types.contains(&grant)
    }

    /// Exact, byte-for-byte comparison with the registered URIs.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.spec.redirect_uris.iter().any(|r| r.as_str() == uri)
    }

    pub fn has_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.spec.post_logout_redirect_uris.iter().any(|r| r.as_str() == uri)
    }

    /// Whether `presented` proves this client's identity: the right secret for a confidential
    /// client (compared in constant time), no secret for a public one.
    pub fn authenticates(&self, presented: Option<&str>) -> bool {
        match (&self.secret_hash, presented) {
            (Some(hash), Some(secret)) => hash.matches(secret),
            (None, None) => true,
            _ => false,
        }
    }

    pub fn is_confidential(&self) -> bool {
        self.spec.kind == ClientKind::Confidential
    }
}

/// Registers a client. A confidential client's secret is returned here and never again.
pub async fn create(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: &ClientId,
    spec: &ClientSpec,
) -> Result<Option<SecretString>> {
    let secret = (spec.kind == ClientKind::Confidential).then(secret::generate);
    let hash = secret.as_ref().map(SecretHash::of_secret);
    let result = sqlx::query!(
        r#"INSERT INTO oidc_client (id, name, kind, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, scopes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
        id.as_str(),
        spec.name,
        spec.kind as ClientKind,
        hash.as_ref().map(|h| h.as_bytes()),
        &uris(&spec.redirect_uris),
        &uris(&spec.post_logout_redirect_uris),
        &grants(&spec.grant_types),
        &spec.scopes.to_db(),
    )
    .execute(&mut **tx)
    .await;
    match result {
        Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
            return Err(DomainError::Conflict("client id"));
        }
        other => other?,
    };
    audit::record(tx, origin, None, Action::ClientCreated, describe(id, spec)).await?;
    Ok(secret)
}

/// Replaces what a client may do (its secret stays; a client turned public loses it, a client
/// turned confidential gets a new one, returned here).
pub async fn update(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: &ClientId,
    spec: &ClientSpec,
) -> Result<Option<SecretString>> {
    let current = get(&mut **tx, id).await?.ok_or(DomainError::NotFound("client"))?;
    let new_secret = match (current.spec.kind, spec.kind) {
        (ClientKind::Public, ClientKind::Confidential) => Some(secret::generate()),
        _ => None,
    };
    let hash = match spec.kind {
        ClientKind::Public => None,
        ClientKind::Confidential => new_secret.as_ref().map(SecretHash::of_secret).or(current.secret_hash),
    };
    sqlx::query!(
        r#"UPDATE oidc_client SET name = $2, kind = $3, secret_hash = $4, redirect_uris = $5,
                  post_logout_redirect_uris = $6, grant_types = $7, scopes = $8, updated_at = now()
           WHERE id = $1"#,
        id.as_str(),
        spec.name,
        spec.kind as ClientKind,
        hash.as_ref().map(|h| h.as_bytes()),
        &uris(&spec.redirect_uris),
        &uris(&spec.post_logout_redirect_uris),
        &grants(&spec.grant_types),
        &spec.scopes.to_db(),
    )
    .execute(&mut **tx)
    .await?;
    audit::record(tx, origin, None, Action::ClientUpdated, describe(id, spec)).await?;
    Ok(new_secret)
}

/// Gives a confidential client a new secret; the old one stops working at once.
pub async fn rotate_secret(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: &ClientId,
) -> Result<SecretString> {
    let secret = secret::generate();
    let hash = SecretHash::of_secret(&secret);
    let updated = sqlx::query!(
        "UPDATE oidc_client SET secret_hash = $2, updated_at = now() WHERE id = $1 AND kind = 'confidential'",
        id.as_str(),
        hash.as_bytes(),
    )
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(DomainError::NotFound("confidential client"));
    }
    audit::record(tx, origin, None, Action::ClientSecretRotated, json!({ "client": id.as_str() })).await?;
    Ok(secret)
}

/// Removes a client and everything issued to it.
pub async fn delete(tx: &mut Transaction<'_, Postgres>, origin: Origin<'_>, id: &ClientId) -> Result<()> {
    let deleted =
        sqlx::query!("DELETE FROM oidc_client WHERE id = $1", id.as_str()).execute(&mut **tx).await?;
    if deleted.rows_affected() == 0 {
        return Err(DomainError::NotFound("client"));
    }
    audit::record(tx, origin, None, Action::ClientDeleted, json!({ "client": id.as_str() })).await?;
    Ok(())
}

pub async fn get<'e>(executor: impl PgExecutor<'e>, id: &ClientId) -> Result<Option<Client>> {
    let row = sqlx::query!(
        r#"SELECT id, name, kind AS "kind: ClientKind", secret_hash, redirect_uris, post_logout_redirect_uris,
                  grant_types, scopes
           FROM oidc_client WHERE id = $1"#,
        id.as_str(),
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| {
        from_row(
            r.id,
            r.name,
            r.kind,
            r.secret_hash,
            r.redirect_uris,
            r.post_logout_redirect_uris,
            r.grant_types,
            r.scopes,
        )
    }))
}

/// Every client, by id.
pub async fn list<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<Client>> {
    let rows = sqlx::query!(
        r#"SELECT id, name, kind AS "kind: ClientKind", secret_hash, redirect_uris, post_logout_redirect_uris,
                  grant_types, scopes
           FROM oidc_client ORDER BY id"#,
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            from_row(
                r.id,
                r.name,
                r.kind,
                r.secret_hash,
                r.redirect_uris,
                r.post_logout_redirect_uris,
                r.grant_types,
                r.scopes,
            )
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn from_row(
    id: String,
    name: String,
    kind: ClientKind,
    secret_hash: Option<Vec<u8>>,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    scopes: Vec<String>,
) -> Client {
    // Rows were checked on the way in (and by CHECK constraints); a value that no longer parses
    // is dropped rather than trusted.
    let parse_uris = |list: Vec<String>| list.iter().filter_map(|u| RedirectUri::new(u).ok()).collect();
    Client {
        id: ClientId::from_db(id),
        spec: ClientSpec {
            name,
            kind,
            redirect_uris: parse_uris(redirect_uris),
            post_logout_redirect_uris: parse_uris(post_logout_redirect_uris),
            grant_types: grant_types.iter().filter_map(|g| GrantType::parse(g).ok()).collect(),
            scopes: Scopes::from_db(scopes),
        },
        secret_hash: secret_hash.as_deref().and_then(SecretHash::from_db),
    }
}

fn uris(list: &[RedirectUri]) -> Vec<String> {
    list.iter().map(|u| u.as_str().to_owned()).collect()
}

fn grants(list: &[GrantType]) -> Vec<String> {
    list.iter().map(|g| g.as_str().to_owned()).collect()
}

fn describe(id: &ClientId, spec: &ClientSpec) -> serde_json::Value {
    json!({
        "client": id.as_str(),
        "name": spec.name,
        "kind": format!("{:?}", spec.kind).to_lowercase(),
        "redirect_uris": uris(&spec.redirect_uris),
        "post_logout_redirect_uris": uris(&spec.post_logout_redirect_uris),
        "grant_types": grants(&spec.grant_types),
        "scopes": spec.scopes.to_string(),
    })
}
