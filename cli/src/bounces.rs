// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin mail bounces import MAILDIR`: takes in what came back to the campaign mails'
//! bounce and unsubscribe addresses (docs/mailings.md).
//!
//! `providers::bounce` reads the Maildir and tells DSNs from other mail; `domain::mailing::
//! feedback::take` decides what each means (a hard or soft bounce of the recipient its signed
//! VERP address names, an unsubscribe by mail, or nothing) and takes each DSN file once, by its
//! SHA-256. So the import is safe to run as often as wanted over the same folder, and a file
//! that cannot be read is reported and skipped, never the end of the run.

use crate::clients::domain_error;
use crate::context::Context;
use anyhow::anyhow;
use clap::Subcommand;
use domain::mailing::feedback::{self, RecipientStatus, Report, Taken};
use providers::bounce::{self, Action, Incoming};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Bounces and unsubscribes by mail that came back to campaign mails.
    #[command(subcommand)]
    Bounces(BouncesCommand),
}

#[derive(Debug, Subcommand)]
pub enum BouncesCommand {
    /// Take in every mail of the bounce Maildir: bounces count against the recipient's address,
    /// mails to the unsubscribe address unsubscribe.
    ///
    /// Campaign mails are sent from `<local>+b.<id>.<mac>@<domain>` (VERP) and name
    /// `<local>+u.<id>.<mac>@<domain>` as their mailto: unsubscribe, both made from
    /// mailing.bounce_address and signed with mailing.key_file (both needed here). Have the
    /// mail server deliver `<local>+*@<domain>` (e.g. bounces+*@example.org) into one Maildir
    /// (Postfix: recipient_delimiter = +; Dovecot/procmail/fetchmail into ~/Maildir), and run
    /// this from cron or a systemd timer, e.g. every 10 minutes:
    ///
    ///   */10 * * * * cdb-admin --config /etc/cdb/community.toml mail bounces import /var/mail/bounces/Maildir
    ///
    /// Reads new/ and cur/ (never tmp/). A hard bounce (failed, 5.x.x) counts against the
    /// address, which becomes undeliverable after mailing.hard_bounce_limit of them; a soft one
    /// (4.x.x) is only counted. Mails not addressed to one of our signed addresses, or reporting
    /// no failure, change nothing. Files are neither moved nor deleted: a file taken in before
    /// is reported as a duplicate, so delete old files when convenient (e.g. find … -mtime +30
    /// -delete). Prints one line per file and a summary; exits non-zero only when the folder
    /// cannot be read (or the database fails).
    Import {
        /// The Maildir (the folder with new/, cur/ and tmp/).
        maildir: PathBuf,
        /// One JSON object ({"files": [...], "summary": {...}}) instead of lines.
        #[arg(long)]
        json: bool,
    },
}

/// What became of the files of one run.
#[derive(Debug, Default)]
struct Summary {
    hard: usize,
    soft: usize,
    unsubscribed: usize,
    duplicates: usize,
    ignored: usize,
    unreadable: usize,
}

pub async fn run(context: &Context, command: MailCommand) -> anyhow::Result<()> {
    match command {
        MailCommand::Bounces(BouncesCommand::Import { maildir, json }) => {
            import(context, &maildir, json).await
        }
    }
}

/// The DSN's recipient blocks as `domain` reads them: permanent is `failed` with 5.x.x;
/// transient is `failed` or `delayed` with 4.x.x (Postfix gives up with 4.4.1).
fn report(incoming: &Incoming) -> Report {
    match incoming {
        Incoming::Dsn(dsn) => Report::Dsn(
            dsn.recipients
                .iter()
                .map(|r| RecipientStatus {
                    address: r.final_recipient.clone(),
                    permanent: r.action == Action::Failed && r.status.is_permanent(),
                    transient: matches!(r.action, Action::Failed | Action::Delayed)
                        && r.status.is_transient(),
                    status: r.status.to_string(),
                    diagnostic: r.diagnostic.clone(),
                })
                .collect(),
        ),
        Incoming::NotDsn { .. } => Report::Other,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

async fn import(context: &Context, maildir: &Path, json: bool) -> anyhow::Result<()> {
    let keys =
        hosting::mailing::read_keys(&context.settings).map_err(|e| anyhow!("{e}"))?.ok_or_else(|| {
            anyhow!(
                "mailing.key_file is not set (CDB_MAILING__KEY_FILE): without the key that signed the bounce \
             addresses no bounce can be told from a forged one"
            )
        })?;
    let base = hosting::mailing::bounce_base(&context.settings.mailing).map_err(|e| anyhow!("{e}"))?.ok_or_else(|| {
        anyhow!(
            "mailing.bounce_address is not set (CDB_MAILING__BOUNCE_ADDRESS): campaign mails then carry no \
             bounce address, so there is nothing to import"
        )
    })?;
    let limit = context.settings.mailing.hard_bounce_limit;
    let files = bounce::read_maildir(maildir).map_err(|e| anyhow!("cannot read the Maildir: {e}"))?;
    let mut summary = Summary::default();
    let mut lines: Vec<Value> = Vec::new();
    for item in files {
        let (name, outcome, detail) = match item {
            Err(error) => {
                summary.unreadable += 1;
                let name = match &error {
                    bounce::BounceError::Io { path, .. } | bounce::BounceError::FileTooLarge { path, .. } => {
                        file_name(path)
                    }
                    _ => String::new(),
                };
                (name, "unreadable", error.to_string())
            }
            Ok(file) => {
                let name = file_name(&file.path);
                match bounce::parse(&file.bytes) {
                    Err(error) => {
                        summary.unreadable += 1;
                        (name, "unreadable", error.to_string())
                    }
                    Ok(incoming) => {
                        let sha256: [u8; 32] = Sha256::digest(&file.bytes).into();
                        let taken = feedback::take(
                            &context.pool,
                            &keys,
                            &base,
                            &sha256,
                            incoming.addressed_to(),
                            &report(&incoming),
                            limit,
                        )
                        .await
                        .map_err(|e| anyhow!("{name}: {:#}", domain_error(e)))?;
                        match taken {
                            Taken::Bounces { hard, soft } => {
                                summary.hard += hard;
                                summary.soft += soft;
                                let kind = if hard > 0 { "hard bounce" } else { "soft bounce" };
                                (name, kind, status_of(&incoming))
                            }
                            Taken::Duplicate => {
                                summary.duplicates += 1;
                                (name, "duplicate", "taken in before".to_owned())
                            }
                            Taken::Unsubscribed => {
                                summary.unsubscribed += 1;
                                (name, "unsubscribed", "unsubscribe by mail".to_owned())
                            }
                            Taken::Ignored(why) => {
                                summary.ignored += 1;
                                (name, "ignored", why.to_owned())
                            }
                        }
                    }
                }
            }
        };
        if json {
            lines.push(json!({ "file": name, "outcome": outcome, "detail": detail }));
        } else {
            println!("{name}: {outcome}: {detail}");
        }
    }
    let Summary { hard, soft, unsubscribed, duplicates, ignored, unreadable } = summary;
    if json {
        let summary = json!({
            "hard": hard, "soft": soft, "unsubscribed": unsubscribed, "duplicates": duplicates,
            "ignored": ignored, "unreadable": unreadable,
        });
        println!("{}", json!({ "files": lines, "summary": summary }));
        return Ok(());
    }
    let total = hard + soft + unsubscribed + duplicates + ignored + unreadable;
    if total == 0 {
        println!("{}: no mail", maildir.display());
        return Ok(());
    }
    println!("{}: {total} files", maildir.display());
    println!("  hard bounces  {hard:>7}");
    println!("  soft bounces  {soft:>7}");
    println!("  unsubscribed  {unsubscribed:>7}");
    println!("  duplicates    {duplicates:>7}  (taken in before)");
    println!("  ignored       {ignored:>7}  (not for a signed address of ours, or no failure)");
    println!("  unreadable    {unreadable:>7}");
    Ok(())
}

/// "5.1.1 <diagnostic>" of the first failure block, for the file's line.
fn status_of(incoming: &Incoming) -> String {
    let Incoming::Dsn(dsn) = incoming else { return String::new() };
    let Some(r) = dsn.recipients.iter().find(|r| r.status.is_permanent() || r.status.is_transient()) else {
        return String::new();
    };
    match &r.diagnostic {
        Some(diagnostic) => format!("{} {diagnostic}", r.status),
        None => r.status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use providers::bounce::{Dsn, DsnRecipient, Status};

    fn block(action: Action, status: &str) -> DsnRecipient {
        DsnRecipient {
            final_recipient: Some("ada@example.net".into()),
            original_recipient: None,
            action,
            status: Status::parse(status).unwrap(),
            diagnostic: None,
        }
    }

    #[test]
    fn failed_5xx_is_permanent_and_4xx_failed_or_delayed_is_transient() {
        let dsn = Incoming::Dsn(Dsn {
            addressed_to: vec![],
            reporting_mta: None,
            recipients: vec![
                block(Action::Failed, "5.1.1"),
                block(Action::Delayed, "4.2.2"),
                block(Action::Failed, "4.4.1"),
                block(Action::Delivered, "2.0.0"),
                block(Action::Delayed, "5.0.0"),
            ],
            rejected: vec![],
        });
        let Report::Dsn(statuses) = report(&dsn) else { panic!("a DSN") };
        let flags: Vec<(bool, bool)> = statuses.iter().map(|s| (s.permanent, s.transient)).collect();
        assert_eq!(flags, [(true, false), (false, true), (false, true), (false, false), (false, false)]);
        assert_eq!(statuses[0].status, "5.1.1");
        let other = Incoming::NotDsn { addressed_to: vec![], subject: None };
        assert_eq!(report(&other), Report::Other);
    }
}
