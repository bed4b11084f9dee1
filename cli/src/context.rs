// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What every `cdb-admin` command works with: the database, the settings the servers read
//! (`hosting::config::Settings`: the same `--config`/`CDB_CONFIG` file and `CDB_…__…`
//! variables), the mail writer those settings give, and who is acting (for the audit log).
//! Built once in `main`, before the command runs, so a bad setting fails every command alike
//! and names the key to fix.

use anyhow::anyhow;
use domain::audit::{Actor, Origin};
use hosting::config::Settings;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use std::path::Path;

pub struct Context {
    /// Connects on first use: `--help` and commands that fail early never touch the database.
    pub pool: PgPool,
    pub settings: Settings,
    /// Writes mails as the supporter app does (`site.organisation`, links to `http.public_url`).
    pub writer: mails::Writer,
    actor: Actor,
}

impl Context {
    /// Reads the settings (`config` is `--config`/`CDB_CONFIG`; without it, defaults and the
    /// environment) and prepares the pool. `database_url` (`--database-url`/`DATABASE_URL`)
    /// wins over the file's `database.url`/`database.url_file`, so scripts that only set
    /// `DATABASE_URL` work without a settings file.
    pub fn load(config: Option<&Path>, database_url: Option<&str>) -> anyhow::Result<Self> {
        let settings = Settings::load(config).map_err(|e| anyhow!("{e}"))?;
        let options: PgConnectOptions = match database_url {
            Some(url) => url
                .parse()
                .map_err(|e| anyhow!("DATABASE_URL / --database-url is not a PostgreSQL URL: {e}"))?,
            None => settings.connect_options().map_err(|e| anyhow!("{e} (or pass --database-url)"))?,
        };
        let pool = domain::db::lazy_pool(options, &settings.pool_settings());
        let writer = mails::Writer {
            organisation: settings.site.organisation.clone(),
            // The same origin the server's mails use (`Settings::public_origin`).
            origin: settings.public_origin(),
        };
        let actor = Actor::Staff(std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
        Ok(Self { pool, settings, writer, actor })
    }

    /// Staff member `$USER` through "cdb-admin": what the audit log records for every change.
    pub fn origin(&self) -> Origin<'_> {
        Origin { actor: &self.actor, source: "cdb-admin" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[tokio::test]
    async fn the_writer_links_to_the_public_url_without_a_trailing_slash() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(
            b"[site]\norganisation = \"Friends\"\n[http]\npublic_url = \"https://my.example.org/\"\n",
        )
        .unwrap();
        let context = Context::load(Some(file.path()), Some("postgres://u@localhost/db")).unwrap();
        assert_eq!(context.writer.organisation, "Friends");
        assert_eq!(context.writer.origin, "https://my.example.org");
        assert_eq!(context.origin().source, "cdb-admin");
    }
}
