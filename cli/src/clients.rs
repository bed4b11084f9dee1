// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin client ...`: OIDC clients.

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use domain::DomainError;
use domain::audit::Origin;
use domain::oidc::client::{self, Client, ClientKind, ClientSpec};
use domain::oidc::types::RedirectUri;
use domain::oidc::{ClientId, GrantType, Scopes};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client. A confidential client's secret is printed once (or written to
    /// --secret-file) and never shown again.
    Create {
        /// The client id, e.g. "my-supporter-app".
        id: String,
        #[command(flatten)]
        spec: SpecArgs,
        /// Write the secret to this file (mode 600) instead of printing it.
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
        /// Do nothing (and succeed) when the client exists already.
        #[arg(long)]
        if_missing: bool,
    },
    /// Replace what a client may do. Its secret stays unless it turns from public to
    /// confidential.
    Update {
        id: String,
        #[command(flatten)]
        spec: SpecArgs,
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// List every client.
    List,
    /// Give a confidential client a new secret; the old one stops working at once.
    RotateSecret {
        id: String,
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// Remove a client and every grant and token issued to it.
    Delete { id: String },
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// The name people see on the login page.
    #[arg(long)]
    name: String,
    /// A public client (browser or native app): no secret, PKCE only.
    #[arg(long)]
    public: bool,
    /// A redirect URI, matched exactly; repeat for several.
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// Where the idp may send people after logout; repeat for several.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    /// authorization_code, refresh_token or client_credentials; repeat for several.
    #[arg(long = "grant", value_name = "GRANT", required = true)]
    grants: Vec<String>,
    /// The scopes the client may ask for, space-separated.
    #[arg(long, default_value = "openid profile email")]
    scopes: String,
}

impl SpecArgs {
    fn to_spec(&self) -> anyhow::Result<ClientSpec> {
        let uris = |list: &[String], what: &str| {
            list.iter()
                .map(|u| RedirectUri::new(u).map_err(|_| anyhow!("{what} {u:?}: must be https://, or http:// on a loopback address, without #fragment")))
                .collect::<anyhow::Result<Vec<_>>>()
        };
        let grants = self
            .grants
            .iter()
            .map(|g| {
                GrantType::parse(g).map_err(|_| {
                    anyhow!("--grant {g:?}: use authorization_code, refresh_token or client_credentials")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let scopes = Scopes::parse(&self.scopes)
            .map_err(|_| anyhow!("--scopes {:?} is not a list of scope names", self.scopes))?;
        let kind = if self.public { ClientKind::Public } else { ClientKind::Confidential };
        Ok(ClientSpec::new(
            &self.name,
            kind,
            uris(&self.redirect_uris, "--redirect-uri")?,
            uris(&self.post_logout_redirect_uris, "--post-logout-redirect-uri")?,
            grants,
            scopes,
        )?)
    }
}

fn client_id(id: &str) -> anyhow::Result<ClientId> {
    ClientId::new(id).map_err(|_| anyhow!("client id {id:?}: use 1 to 64 letters, digits, '.', '_' or '-'"))
}

pub fn domain_error(e: DomainError) -> anyhow::Error {
    anyhow!("{e:?}")
}

/// Prints the secret, or writes it to a file only its owner can read.
fn hand_out(secret: &SecretString, file: Option<&Path>) -> anyhow::Result<()> {
    match file {
        None => println!("client secret (shown once): {}", secret.expose_secret()),
        Some(path) => {
            use std::io::Write;
            #[cfg(unix)]
            use std::os::unix::fs::OpenOptionsExt;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            options.mode(0o600);
            let mut f = options.open(path).with_context(|| format!("cannot write {}", path.display()))?;
            f.write_all(secret.expose_secret().as_bytes())?;
            println!("client secret written to {}", path.display());
        }
    }
    Ok(())
}

fn describe(client: &Client) -> String {
    let spec = &client.spec;
    let list = |uris: &[RedirectUri]| uris.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(" ");
    format!(
        "{}\n  name: {}\n  kind: {}\n  grants: {}\n  scopes: {}\n  redirect URIs: {}\n  post-logout redirect URIs: {}",
        client.id,
        spec.name,
        if client.is_confidential() { "confidential" } else { "public" },
        spec.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(" "),
        spec.scopes,
        list(&spec.redirect_uris),
        list(&spec.post_logout_redirect_uris),
    )
}

pub async fn run(pool: &PgPool, origin: Origin<'_>, command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Create { id, spec, secret_file, if_missing } => {
            let id = client_id(&id)?;
            let spec = spec.to_spec()?;
            if if_missing && client::get(pool, &id).await.map_err(domain_error)?.is_some() {
                println!("client {id} exists already; left as it is");
                return Ok(());
            }
            let mut tx = pool.begin().await?;
            let secret = match client::create(&mut tx, origin, &id, &spec).await {
                Err(DomainError::Conflict(_)) => bail!("client {id} exists already (use `client update`)"),
                other => other.map_err(domain_error)?,
            };
            // Hand the secret out before committing: if that fails, nothing was created.
            if let Some(secret) = &secret {
                hand_out(secret, secret_file.as_deref())?;
            }
            tx.commit().await?;
            println!("client {id} created");
        }
        ClientCommand::Update { id, spec, secret_file } => {
            let id = client_id(&id)?;
            let spec = spec.to_spec()?;
            let mut tx = pool.begin().await?;
            let secret = client::update(&mut tx, origin, &id, &spec).await.map_err(domain_error)?;
            if let Some(secret) = &secret {
                hand_out(secret, secret_file.as_deref())?;
            }
            tx.commit().await?;
            println!("client {id} updated");
        }
        ClientCommand::List => {
            for client in client::list(pool).await.map_err(domain_error)? {
                println!("{}", describe(&client));
            }
        }
        ClientCommand::RotateSecret { id, secret_file } => {
            let id = client_id(&id)?;
            let mut tx = pool.begin().await?;
            let secret = client::rotate_secret(&mut tx, origin, &id).await.map_err(domain_error)?;
            hand_out(&secret, secret_file.as_deref())?;
            tx.commit().await?;
        }
        ClientCommand::Delete { id } => {
            let id = client_id(&id)?;
            let mut tx = pool.begin().await?;
            client::delete(&mut tx, origin, &id).await.map_err(domain_error)?;
            tx.commit().await?;
            println!("client {id} deleted");
        }
    }
    Ok(())
}
