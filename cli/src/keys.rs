// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin keys ...`: the idp's token signing keys and the key-encryption keys (KEKs) that
//! seal them in PostgreSQL (`domain::oidc::keys`, `domain::oidc::kek`; docs/idp.md).

use crate::clients::domain_error;
use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use domain::audit::Origin;
use domain::oidc::kek::KeyEncryptionKeys;
use domain::oidc::keys::{self, StoredPrivateKey, UnsealError};
use sqlx::PgPool;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct KeysArgs {
    /// The idp's KEK file (its `idp.key_encryption_key_file`): needed to seal a new key and to
    /// rewrap.
    #[arg(long, value_name = "PATH", env = "CDB_IDP__KEY_ENCRYPTION_KEY_FILE", global = true)]
    key_encryption_key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Start signing with a new key. The old key stays published until the tokens it signed
    /// have expired; running idp instances pick the new key up within a minute.
    Rotate,
    /// Seal every signing key again with the first KEK of the file (after a new KEK was put
    /// first), so the older KEKs can then be removed from the file.
    Rewrap,
    /// List the signing keys and the KEK that seals each.
    List,
}

fn read_keks(file: Option<&Path>) -> anyhow::Result<KeyEncryptionKeys> {
    let path = file.ok_or_else(|| {
        anyhow!(
            "--key-encryption-key-file / CDB_IDP__KEY_ENCRYPTION_KEY_FILE is needed: the file the idp's \
             idp.key_encryption_key_file names"
        )
    })?;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--key-encryption-key-file {}: cannot read it", path.display()))?;
    KeyEncryptionKeys::parse(&text).map_err(|e| anyhow!("--key-encryption-key-file {}: {e}", path.display()))
}

pub async fn run(pool: &PgPool, origin: Origin<'_>, args: KeysArgs) -> anyhow::Result<()> {
    let file = args.key_encryption_key_file.as_deref();
    match args.command {
        KeysCommand::Rotate => {
            let keks = read_keks(file)?;
            let mut tx = pool.begin().await?;
            let kid = keys::rotate(&mut tx, origin, &keks).await.map_err(domain_error)?;
            tx.commit().await?;
            println!("new signing key {kid}, sealed with key-encryption key {}", keks.sealing_id());
        }
        KeysCommand::Rewrap => {
            let keks = read_keks(file)?;
            let mut tx = pool.begin().await?;
            let count = keys::rewrap(&mut tx, origin, &keks).await.map_err(|e| match e {
                UnsealError::Key { kid, reason } => anyhow!(
                    "signing key {kid} does not open with any key of the file ({reason}); nothing was changed"
                ),
                UnsealError::Domain(e) => domain_error(e),
            })?;
            tx.commit().await?;
            println!("{count} signing keys sealed with key-encryption key {}", keks.sealing_id());
        }
        KeysCommand::List => {
            // Ten years back: every key still kept, retired ones included.
            for key in keys::published(pool, time::Duration::days(3650)).await.map_err(domain_error)? {
                let state = match key.retired_at {
                    None => "signing".to_owned(),
                    Some(at) => format!("retired {at}"),
                };
                let sealed = match &key.private_key {
                    StoredPrivateKey::Sealed(sealed) => format!("sealed with {}", sealed.kek_id),
                    StoredPrivateKey::Plaintext(_) => {
                        "NOT SEALED (the idp seals it at its next start)".into()
                    }
                };
                println!("{} ES256 created {} {state}, {sealed}", key.kid, key.created_at);
            }
        }
    }
    Ok(())
}
