// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Sends information emails (`domain::mailing`): each recipient's mail rendered in their
//! language when it goes out, with `List-Unsubscribe` (https and mailto), RFC 8058's
//! `List-Unsubscribe-Post`, a stable `Message-ID` per mailing and recipient, and a VERP
//! envelope sender, over a pool of SMTP connections at a configured rate.
//!
//! Any number of instances may send one mailing at once: each claims its own batches.

use crate::config::{MailTransport, MailingSettings, Settings};
use domain::mailing::delivery::{self, Claimed, Failure};
use domain::mailing::token::AddressKind;
use domain::mailing::{Mailing, MailingKeys, campaign, list};
use domain::types::Language;
use futures_util::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use lettre::address::Envelope;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mails::campaign::{Compiled, Footer, Variables};
use sqlx::PgPool;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A `[mailing]` setting that cannot be used, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum MailingSetupError {
    #[error("mailing.key_file {path}: {reason}")]
    Keys { path: PathBuf, reason: String },
    #[error("mailing.bounce_address {0:?} is not an address like bounces@example.org")]
    BounceAddress(String),
    #[error("mailing.dkim_key_file {path}: {reason}")]
    Dkim { path: PathBuf, reason: String },
    #[error(transparent)]
    Mail(#[from] crate::mail::MailSetupError),
}

/// Where a development set-up keeps its key when `mailing.key_file` is not set.
const LOCAL_KEY_FILE: &str = ".local/mailing.keys";

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let host_port = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match host_port.rfind(':') {
        Some(i) if !host_port.ends_with(']') => &host_port[..i],
        _ => host_port,
    };
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

/// The keys of `mailing.key_file`. In development (a loopback `http://` public URL) a missing
/// file is created with one new key (mode 600), at `.local/mailing.keys` when none is set;
/// elsewhere `None` without a file (campaigns cannot be sent, unsubscribe links say so).
pub fn read_keys(settings: &Settings) -> Result<Option<MailingKeys>, MailingSetupError> {
    let development = is_loopback_http(&settings.http.public_url);
    let path = match (&settings.mailing.key_file, development) {
        (Some(path), _) => path.clone(),
        (None, true) => PathBuf::from(LOCAL_KEY_FILE),
        (None, false) => return Ok(None),
    };
    let named = |reason: String| MailingSetupError::Keys { path: path.clone(), reason };
    if development && !path.exists() {
        create_key_file(&path).map_err(|e| named(format!("cannot create it: {e}")))?;
        tracing::info!(file = %path.display(), "created a mailing key file (development)");
    }
    let text = std::fs::read_to_string(&path).map_err(|e| named(format!("cannot read it: {e}")))?;
    MailingKeys::parse(&text).map(Some).map_err(|e| named(e.to_string()))
}

fn create_key_file(path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let id = format!("local-{}", time::OffsetDateTime::now_utc().date());
    file.write_all(
        format!(
            "# Keys of unsubscribe links and bounce addresses (mailing.key_file).\n\
             # The first line signs, every line verifies; see docs/mailings.md before changing it.\n{}",
            MailingKeys::new_file_line(&id)
        )
        .as_bytes(),
    )?;
    file.sync_all()
}

/// The base address of bounce and unsubscribe addresses, checked.
pub fn bounce_base(settings: &MailingSettings) -> Result<Option<String>, MailingSetupError> {
    let base = settings.bounce_address.trim();
    if base.is_empty() {
        return Ok(None);
    }
    match base.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !local.contains('+')
                && !base.contains(char::is_whitespace) =>
        {
            Ok(Some(base.to_owned()))
        }
        _ => Err(MailingSetupError::BounceAddress(base.to_owned())),
    }
}

enum Transport {
    Outbox(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Sends campaigns. One per instance; cheap to share behind an `Arc`.
pub struct CampaignSender {
    transport: Transport,
    from: Mailbox,
    keys: Arc<MailingKeys>,
    bounce_base: Option<String>,
    /// `https://my.example.org`: unsubscribe links start with it.
    public_origin: String,
    organisation: String,
    settings: MailingSettings,
    dkim: Option<DkimConfig>,
    per_second: Option<DefaultDirectRateLimiter>,
    per_hour: Option<DefaultDirectRateLimiter>,
}

/// What one pass over a mailing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// Sent recipients are marked in groups of this many: after a crash at most this many (plus
/// the mails in flight) are sent again.
const MARK_EVERY: usize = 50;

impl CampaignSender {
    pub fn from_settings(settings: &Settings, keys: Arc<MailingKeys>) -> Result<Self, MailingSetupError> {
        let mail = &settings.mail;
        let from: Mailbox =
            mail.from.parse().map_err(|_| crate::mail::MailSetupError::From(mail.from.clone()))?;
        let connections = settings.mailing.connections.max(1);
        let transport = match mail.transport {
            MailTransport::Outbox => {
                let path = mail.outbox_dir.clone();
                std::fs::create_dir_all(&path)
                    .map_err(|source| crate::mail::MailSetupError::Outbox { path: path.clone(), source })?;
                Transport::Outbox(AsyncFileTransport::new(path))
            }
            MailTransport::Smtp => Transport::Smtp(
                crate::mail::smtp_builder(mail)?
                    .pool_config(
                        PoolConfig::new().max_size(connections).idle_timeout(Duration::from_secs(30)),
                    )
                    .build(),
            ),
        };
        let dkim = dkim(&settings.mailing, &from)?;
        let quota =
            |n: u32, per: fn(NonZeroU32) -> Quota| NonZeroU32::new(n).map(|n| RateLimiter::direct(per(n)));
        Ok(Self {
            transport,
            from,
            keys,
            bounce_base: bounce_base(&settings.mailing)?,
            public_origin: settings.http.public_url.trim_end_matches('/').to_owned(),
            organisation: settings.site.organisation.clone(),
            settings: settings.mailing.clone(),
            dkim,
            per_second: quota(settings.mailing.messages_per_second, Quota::per_second),
            per_hour: quota(settings.mailing.messages_per_hour, Quota::per_hour),
        })
    }

    /// Starts the scheduled mailings that are due, then sends every sending mailing until
    /// nothing is left to claim. Returns how many mails went out. A mailing that fails (its
    /// list deleted, the database gone for a moment) is logged and the others go on.
    pub async fn send_due(&self, pool: &PgPool) -> Result<usize, domain::DomainError> {
        let system = domain::audit::Actor::System;
        let origin = domain::audit::Origin { actor: &system, source: "mailing scheduler" };
        match campaign::start_due(pool, origin).await {
            Ok(started) => {
                for id in started {
                    tracing::info!(mailing = %id, "scheduled mailing started");
                }
            }
            Err(error) => tracing::warn!(?error, "scheduled mailings could not be started"),
        }
        let mut sent = 0;
        for id in delivery::sending(pool).await? {
            match self.send_mailing(pool, id).await {
                Ok(pass) => sent += pass.sent,
                Err(error) => {
                    tracing::warn!(mailing = %id, ?error, "sending a mailing failed; retried later")
                }
            }
        }
        Ok(sent)
    }

    /// Sends one mailing's due recipients, batch by batch, until none is left to claim (or it
    /// is paused); marks it sent when nothing is queued any more.
    ///
    /// A recipient is only sent to while its claim holds (within 80% of the lease): one the
    /// rate limit or a slow relay kept waiting longer is given back untried, so another sender
    /// that claimed it after the lease ended cannot send it a second time. When the relay
    /// refuses a mail for a reason every recipient shares ([`Failure::Relay`]), the rest of the
    /// batch is given back and the mailing paused with the relay's answer.
    pub async fn send_mailing(&self, pool: &PgPool, id: uuid::Uuid) -> Result<Pass, domain::DomainError> {
        let mut pass = Pass::default();
        let Some(mailing) = campaign::get(&mut *pool.acquire().await?, id).await? else { return Ok(pass) };
        let Some(list) = list::get(&mut *pool.acquire().await?, &mailing.list).await? else {
            return Ok(pass);
        };
        // Checked when saved; a content that no longer compiles (a newer template engine?) is
        // left out and its readers get the fallback, or nothing is sent at all.
        let compiled: Vec<(Language, Compiled)> = mailing
            .contents
            .iter()
            .filter_map(|c| match Compiled::compile(&c.subject, &c.body) {
                Ok(compiled) => Some((c.language, compiled)),
                Err(error) => {
                    tracing::error!(mailing = %id, language = c.language.code(), %error, "mailing content does not compile");
                    None
                }
            })
            .collect();
        if !compiled.iter().any(|(language, _)| *language == mailing.fallback_language) {
            tracing::error!(mailing = %id, "no usable content in the fallback language: not sending");
            return Ok(pass);
        }
        let lease_secs = self.settings.lease_secs.max(1);
        let lease = time::Duration::seconds(i64::from(lease_secs));
        let connections = self.settings.connections.max(1) as usize;
        let halted = AtomicBool::new(false);
        loop {
            let claimed = delivery::claim(pool, id, i64::from(self.settings.batch.max(1)), lease).await?;
            if claimed.is_empty() {
                break;
            }
            let claim_ends = Instant::now() + Duration::from_millis(u64::from(lease_secs) * 800);
            let (to_send, to_skip): (Vec<Claimed>, Vec<Claimed>) =
                claimed.into_iter().partition(|r| r.skip_reason().is_none());
            let mut by_reason: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
            for recipient in &to_skip {
                let reason = recipient.skip_reason().unwrap_or_default();
                by_reason.entry(reason).or_default().push(recipient.recipient);
            }
            for (reason, recipients) in by_reason {
                delivery::mark_skipped(pool, &recipients, reason).await?;
            }
            pass.skipped += to_skip.len();
            let (halted, mailing, list, compiled) = (&halted, &mailing, &list, &compiled);
            let mut results = futures_util::stream::iter(to_send)
                .map(|recipient| async move {
                    // None: not tried (the claim ran short, or the relay refused everything).
                    let still_ours = || !halted.load(Ordering::Relaxed) && Instant::now() < claim_ends;
                    if !still_ours() {
                        return (recipient, None);
                    }
                    self.wait_for_rate().await;
                    if !still_ours() {
                        return (recipient, None);
                    }
                    let outcome = self.send_one(mailing, list, compiled, &recipient).await;
                    (recipient, Some(outcome))
                })
                .buffer_unordered(connections);
            let mut delivered = Vec::with_capacity(MARK_EVERY);
            let mut untried = Vec::new();
            let mut relay_refusal = None;
            while let Some((recipient, outcome)) = results.next().await {
                match outcome {
                    None => untried.push(recipient.recipient),
                    Some(Ok(())) => {
                        delivered.push(recipient.recipient);
                        pass.sent += 1;
                        if delivered.len() >= MARK_EVERY {
                            delivery::mark_sent(pool, &delivered).await?;
                            delivered.clear();
                        }
                    }
                    Some(Err(Failure::Relay { code, message })) => {
                        halted.store(true, Ordering::Relaxed);
                        untried.push(recipient.recipient);
                        relay_refusal.get_or_insert(format!("{code} {message}"));
                    }
                    Some(Err(failure)) => {
                        tracing::warn!(mailing = %id, recipient = recipient.recipient, attempt = recipient.attempts, ?failure, "campaign mail failed");
                        delivery::mark_failed(pool, &recipient, &failure, self.settings.hard_bounce_limit)
                            .await?;
                        pass.failed += 1;
                    }
                }
            }
            drop(results);
            delivery::mark_sent(pool, &delivered).await?;
            delivery::release(pool, &untried).await?;
            if let Some(reason) = relay_refusal {
                tracing::error!(mailing = %id, %reason, "the relay refuses this mailing's mail: mailing paused");
                campaign::pause_by_sender(pool, id, &reason).await?;
                return Ok(pass);
            }
        }
        if delivery::finish_if_done(pool, id).await? {
            tracing::info!(mailing = %id, "mailing sent");
        }
        Ok(pass)
    }

    async fn wait_for_rate(&self) {
        if let Some(limiter) = &self.per_second {
            limiter.until_ready().await;
        }
        if let Some(limiter) = &self.per_hour {
            limiter.until_ready().await;
        }
    }

    /// The mail of one recipient, as it goes out.
    pub fn message(
        &self,
        mailing: &Mailing,
        list: &domain::mailing::List,
        compiled: &[(Language, Compiled)],
        recipient: &Claimed,
    ) -> Result<Message, Failure> {
        let person = recipient.person.ok_or_else(|| Failure::Unsendable("the person was erased".into()))?;
        let wanted = Language::try_from(recipient.language.as_str()).unwrap_or(mailing.fallback_language);
        let (language, template) = compiled
            .iter()
            .find(|(language, _)| *language == wanted)
            .or_else(|| compiled.iter().find(|(language, _)| *language == mailing.fallback_language))
            .ok_or_else(|| Failure::Unsendable("no content".into()))?;
        let token = self.keys.unsubscribe_token(person, mailing.id, list.key.as_str());
        let unsubscribe_url = format!("{}/u/{token}", self.public_origin);
        let footer = Footer {
            language: *language,
            organisation: &self.organisation,
            list_name: list.name(*language),
            unsubscribe_url: &unsubscribe_url,
        };
        let variables =
            Variables { name: &recipient.display_name, supporter_number: recipient.supporter_number };
        let rendered =
            template.render(&variables, &footer).map_err(|e| Failure::Unsendable(e.to_string()))?;
        let to: Mailbox = recipient
            .address
            .parse()
            .map_err(|_| Failure::Unsendable("the address is not one lettre can send to".into()))?;
        let domain = self.from.email.domain().to_owned();
        let envelope_from = match &self.bounce_base {
            Some(base) => self.keys.address(AddressKind::Bounce, recipient.recipient, base),
            None => None,
        }
        .unwrap_or_else(|| self.from.email.to_string());
        let envelope = Envelope::new(
            Some(envelope_from.parse().map_err(|_| Failure::Unsendable("bad envelope sender".into()))?),
            vec![to.email.clone()],
        )
        .map_err(|e| Failure::Unsendable(e.to_string()))?;
        let mut unsubscribe = format!("<{unsubscribe_url}>");
        if let Some(address) = self
            .bounce_base
            .as_deref()
            .and_then(|base| self.keys.address(AddressKind::Unsubscribe, recipient.recipient, base))
        {
            unsubscribe.push_str(&format!(", <mailto:{address}?subject=unsubscribe>"));
        }
        let header =
            |name: &'static str, value: String| HeaderValue::new(HeaderName::new_from_ascii_str(name), value);
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!("<{}.{}@{domain}>", mailing.id, recipient.recipient)))
            .raw_header(header("List-Unsubscribe", unsubscribe))
            .raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()))
            .raw_header(header("List-Id", format!("<{}.{domain}>", list.key.as_str())))
            .envelope(envelope)
            .multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html))
            .map_err(|e| Failure::Unsendable(format!("building the message: {e}")))?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }

    /// Sends one mail built by [`CampaignSender::message`] as it is (`cdb-admin mailing test`),
    /// through the same transport, recording nothing.
    pub async fn send_test(&self, message: Message) -> Result<(), Failure> {
        self.transmit(message).await
    }

    async fn send_one(
        &self,
        mailing: &Mailing,
        list: &domain::mailing::List,
        compiled: &[(Language, Compiled)],
        recipient: &Claimed,
    ) -> Result<(), Failure> {
        let message = self.message(mailing, list, compiled, recipient)?;
        self.transmit(message).await
    }

    async fn transmit(&self, message: Message) -> Result<(), Failure> {
        match &self.transport {
            Transport::Outbox(outbox) => {
                outbox.send(message).await.map(drop).map_err(|e| Failure::Transient(e.to_string()))
            }
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                if e.is_permanent() {
                    let reply = e.status().and_then(|code| code.to_string().parse().ok());
                    delivery::refusal(reply, &e.to_string())
                } else {
                    Failure::Transient(e.to_string())
                }
            }),
        }
    }
}

/// DKIM signing, when a selector and key are set. The signature covers the unsubscribe
/// headers too: RFC 8058 asks for it, and Gmail shows one-click only then.
fn dkim(settings: &MailingSettings, from: &Mailbox) -> Result<Option<DkimConfig>, MailingSetupError> {
    let (Some(path), false) = (&settings.dkim_key_file, settings.dkim_selector.is_empty()) else {
        return Ok(None);
    };
    let named = |reason: String| MailingSetupError::Dkim { path: path.clone(), reason };
    let pem = std::fs::read_to_string(path).map_err(|e| named(format!("cannot read it: {e}")))?;
    let algorithm = if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
        DkimSigningAlgorithm::Rsa
    } else if pem.contains("-----BEGIN") {
        return Err(named(
            "not a PKCS#1 RSA key: convert a PKCS#8 RSA key with `openssl rsa -in KEY -traditional`, \
             or give an Ed25519 key as the base64 of its 32 bytes"
                .into(),
        ));
    } else {
        DkimSigningAlgorithm::Ed25519
    };
    let key_text = match algorithm {
        DkimSigningAlgorithm::Rsa => pem.clone(),
        // An Ed25519 key is given as the base64 of its 32 bytes (lettre's format).
        DkimSigningAlgorithm::Ed25519 => pem.trim().to_owned(),
    };
    let key = DkimSigningKey::new(&key_text, algorithm).map_err(|e| named(format!("{e:?}")))?;
    let headers = [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "List-Id",
    ]
    .into_iter()
    .map(HeaderName::new_from_ascii_str)
    .collect();
    let canonicalization = DkimCanonicalization {
        header: DkimCanonicalizationType::Relaxed,
        body: DkimCanonicalizationType::Relaxed,
    };
    Ok(Some(DkimConfig::new(
        settings.dkim_selector.clone(),
        from.email.domain().to_owned(),
        key,
        headers,
        canonicalization,
    )))
}

/// Sends campaigns until the task is dropped: looks every `mailing.poll_secs` when idle, at once
/// again after a pass that sent something.
pub async fn run_sender(pool: PgPool, sender: Arc<CampaignSender>) {
    let idle = Duration::from_secs(u64::from(sender.settings.poll_secs.max(1)));
    loop {
        match sender.send_due(&pool).await {
            Ok(0) => tokio::time::sleep(idle).await,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = ?error, "campaigns could not be sent");
                tokio::time::sleep(idle).await;
            }
        }
    }
}
