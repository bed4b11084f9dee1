// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The `[mailing]` section: information emails (campaigns). The key that signs unsubscribe
//! links and bounce addresses, the bounce address, and how fast campaigns go out. One-off mails
//! (`[mail]`) are not affected; campaigns use the same relay (`mail.smtp_*`).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MailingSettings {
    /// The key file that signs unsubscribe links and bounce addresses: one
    /// `<id>:<base64 of 32 random bytes>` per line, the first signs, all verify (rotation in
    /// docs/mailings.md). Required for sending campaigns, unless `http.public_url` is a loopback
    /// `http://` address: there a missing file is created.
    pub key_file: Option<PathBuf>,
    /// The mailbox bounces come back to, `bounces@example.org`: campaign mails are sent with the
    /// envelope sender `bounces+b.<id>.<mac>@example.org` (VERP) and name
    /// `bounces+u.<id>.<mac>@example.org` as their `mailto:` unsubscribe address. The mail server
    /// must deliver `+` sub-addresses to that mailbox (docs/mailings.md). Empty: `mail.from`'s
    /// address is the envelope sender and there is no `mailto:` unsubscribe.
    pub bounce_address: String,
    /// Hard bounces after which an address is undeliverable.
    pub hard_bounce_limit: i32,
    /// Campaign mails per second, per sending instance; 0 for no limit.
    pub messages_per_second: u32,
    /// Campaign mails per hour, per sending instance; 0 for no limit.
    pub messages_per_hour: u32,
    /// SMTP connections a sending instance keeps open (lettre's pool); also how many mails are
    /// in flight at once.
    pub connections: u32,
    /// Recipients a sender leases at a time: after a crash at most this many can get their mail
    /// twice.
    pub batch: u32,
    /// How long a leased batch stays with its sender before another may take it; longer than a
    /// batch takes to send.
    pub lease_secs: u32,
    /// How often an instance looks for mailings to send when there are none, in seconds.
    pub poll_secs: u32,
    /// DKIM signing of campaign mails (most relays sign instead; docs/mailings.md).
    pub dkim_selector: String,
    /// A PEM RSA or Ed25519 private key for DKIM; signing is on when this and the selector are set.
    pub dkim_key_file: Option<PathBuf>,
}

impl Default for MailingSettings {
    fn default() -> Self {
        Self {
            key_file: None,
            bounce_address: String::new(),
            hard_bounce_limit: 2,
            messages_per_second: 50,
            messages_per_hour: 0,
            connections: 10,
            batch: 200,
            lease_secs: 300,
            poll_secs: 10,
            dkim_selector: String::new(),
            dkim_key_file: None,
        }
    }
}
