// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Bounce mails: delivery status notifications (DSN, RFC 3464) and other mail that arrives at our
//! return and unsubscribe addresses, read from a Maildir.
//!
//! Information emails go out with a VERP envelope sender (`bounce+<id>.<mac>@bounces.example.org`)
//! and a `mailto:` unsubscribe address (`unsubscribe+<token>@…`). The organisation's mail server
//! delivers what comes back to either into one Maildir; `cdb-admin mail bounces import MAILDIR`
//! reads it with this module and decides in `domain` what each mail means for a supporter. This
//! module only reads formats; it touches no database, checks no MAC and moves no files.
//!
//! - [`read_maildir`] lists `new/` and `cur/` (never `tmp/`, where mail is still being written)
//!   and yields one [`MaildirFile`] per message, sorted by file name so that two runs over the
//!   same folder see the same order. A file over [`MAX_MESSAGE_BYTES`] is an error item, not
//!   read, so one huge mail cannot stop the import or fill memory.
//! - [`parse`] tells what one mail is ([`Incoming`]):
//!   - [`Incoming::Dsn`]: a `multipart/report; report-type=delivery-status` (or
//!     `global-delivery-status`, RFC 6533) whose `message/delivery-status` part holds one block
//!     of fields per recipient ([`DsnRecipient`]: final and original recipient, [`Action`],
//!     [`Status`], diagnostic text).
//!   - [`Incoming::NotDsn`]: everything else that is a mail: out-of-office replies, a person
//!     writing "unsubscribe please" to the unsubscribe address, other reports (read receipts
//!     `disposition-notification`, spam complaints `feedback-report`), and bounces in free text
//!     that some old servers still send.
//!
//!   Both carry `addressed_to`, where the VERP or unsubscribe address is found (see
//!   [`Incoming::addressed_to`] for which headers, in which order).
//!
//! Decisions worth knowing:
//! - **A recipient block that cannot be read is skipped, not fatal.** An unknown `Action`, a
//!   `Status` that is not `2|4|5.x.y`, or a missing field puts the block into
//!   [`Dsn::rejected`] with the reason, and the other recipients are kept: a server that
//!   writes one odd block should not hide a clear 5.1.1 for the next address. Only when no block
//!   is usable is the whole DSN refused ([`BounceError::InvalidRecipient`] for the first
//!   reason, or [`BounceError::NoRecipients`] when there is no block at all).
//! - **Garbage is an error, other mail is not.** An empty file, or bytes in which mail-parser
//!   finds no header, is [`BounceError::Unreadable`]; anything with headers that is not a DSN is
//!   `NotDsn`, possibly with an empty `addressed_to` (then it was not addressed to us in any
//!   way the importer can use).
//! - **Addresses are compared in one form:** the domain lower-cased, the local part as written
//!   (RFC 5321 leaves it case-sensitive, and our VERP MAC is case-sensitive).
//! - `Action: failed` with a 4.x.x status is a real case (Postfix gives up after
//!   `maximal_queue_lifetime` with 4.4.1): the message is lost although the status class is
//!   transient. Whether that counts as a hard bounce is for `domain` to decide, so both are kept.
//!
//! MIME structure, header folding, encoded words and transfer encodings are mail-parser's job
//! (0.11; 1.x needs a newer rustc). The delivery-status fields are read with its header
//! tokenizer too; only the meaning of the fields is ours (`fields.rs`).
//! Tests: `cargo test -p providers --lib bounce` and `cargo test -p providers --test bounce`.

mod fields;
mod maildir;

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use mail_parser::parsers::MessageStream;
use mail_parser::{
    Encoding, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

pub use maildir::{MaildirFile, read_maildir};

/// The largest mail read, in bytes (2 MiB). A DSN is a few kilobytes plus, at most, the
/// returned message; our information emails are far below this, and a bounce that carries a
/// large attachment back needs only its headers, which a well-behaved server sends alone
/// (`text/rfc822-headers`). Larger files are refused before reading.
pub const MAX_MESSAGE_BYTES: u64 = 2 * 1024 * 1024;

/// What an incoming mail is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A delivery status notification (RFC 3464).
    Dsn(Dsn),
    /// Any other mail: an auto-reply, a person's mail to the unsubscribe address, another kind
    /// of report.
    NotDsn {
        /// See [`Incoming::addressed_to`].
        addressed_to: Vec<String>,
        /// Decoded (RFC 2047), as the sender wrote it.
        subject: Option<String>,
    },
}

impl Incoming {
    /// The addresses this mail was delivered to, from the headers a delivering MTA adds or
    /// keeps, in this order of trust: `Delivered-To` (all of them, top first: the top one was
    /// added by our own server), `X-Original-To`, `Envelope-To`, then `To` and `Cc`. The
    /// envelope headers come first because the VERP address is the envelope recipient; `To` of
    /// an auto-reply may be anything. Domains lower-cased, duplicates removed, first place kept.
    pub fn addressed_to(&self) -> &[String] {
        match self {
            Incoming::Dsn(dsn) => &dsn.addressed_to,
            Incoming::NotDsn { addressed_to, .. } => addressed_to,
        }
    }
}

/// A delivery status notification, reduced to what bounce handling needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    /// See [`Incoming::addressed_to`]. For a bounce of our mail this holds the VERP address.
    pub addressed_to: Vec<String>,
    /// The server that wrote the report (`Reporting-MTA: dns; mx.example.net` gives
    /// `mx.example.net`), for the administrator's log.
    pub reporting_mta: Option<String>,
    /// The readable recipient blocks, in the order of the report; never empty.
    pub recipients: Vec<DsnRecipient>,
    /// Recipient blocks that were skipped, with why (see the module documentation).
    pub rejected: Vec<RejectedRecipient>,
}

/// One recipient block of a DSN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnRecipient {
    /// `Final-Recipient`: the address the reporting server tried, without the `rfc822;` type.
    pub final_recipient: Option<String>,
    /// `Original-Recipient`: the address as we sent it, if the server kept it (it differs from
    /// the final one after forwarding or aliasing). At least one of the two is present.
    pub original_recipient: Option<String>,
    pub action: Action,
    pub status: Status,
    /// `Diagnostic-Code` without its type (`smtp;`), folding collapsed: usually the remote
    /// server's reply, e.g. "550 5.1.1 <x@example.net>: Recipient address rejected".
    pub diagnostic: Option<String>,
}

impl DsnRecipient {
    /// The address to look the supporter up by: the original recipient if the server kept it
    /// (that is the one we sent to), else the final one.
    pub fn address(&self) -> Option<&str> {
        self.original_recipient.as_deref().or(self.final_recipient.as_deref())
    }
}

/// A recipient block that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRecipient {
    /// 1-based place among the recipient blocks of the report.
    pub position: usize,
    /// `Final-Recipient` (else `Original-Recipient`), if readable, to name the block in a log.
    pub recipient: Option<String>,
    pub reason: RecipientError,
}

/// The `Action` field of a recipient block (RFC 3464 section 2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Delivery failed and will not be retried: a bounce.
    Failed,
    /// Not delivered yet, still being retried: a warning, not a bounce.
    Delayed,
    /// Delivered (only sent when a delivery report was asked for).
    Delivered,
    /// Handed on to a system that sends no DSN.
    Relayed,
    /// Delivered to a list or alias and expanded to further recipients.
    Expanded,
}

impl Action {
    /// Parses an action value, case-insensitively (after comments are removed).
    pub fn parse(text: &str) -> Option<Self> {
        const ACTIONS: [(&str, Action); 5] = [
            ("failed", Action::Failed),
            ("delayed", Action::Delayed),
            ("delivered", Action::Delivered),
            ("relayed", Action::Relayed),
            ("expanded", Action::Expanded),
        ];
        ACTIONS.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)).map(|&(_, action)| action)
    }
}

/// An enhanced mail system status code (RFC 3463): `class.subject.detail`, e.g. 5.1.1 "bad
/// destination mailbox address". Subject and detail have up to three digits (Exchange sends
/// 5.1.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status {
    /// 2 success, 4 persistent transient failure, 5 permanent failure.
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl Status {
    /// Parses `5.1.1`; `None` unless the class is 2, 4 or 5 and subject and detail are one to
    /// three digits. Surrounding white space is allowed, anything else is not.
    pub fn parse(text: &str) -> Option<Self> {
        // 1 to 3 ASCII digits; `u16::from_str` alone would also take "+1" and "0001".
        fn number(part: &str) -> Option<u16> {
            let digits = (1..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse().ok()).flatten()
        }
        let mut parts = text.trim().split('.');
        let class = match parts.next()? {
            "2" => 2,
            "4" => 4,
            "5" => 5,
            _ => return None,
        };
        let subject = number(parts.next()?)?;
        let detail = number(parts.next()?)?;
        match parts.next() {
            None => Some(Status { class, subject, detail }),
            Some(_) => None,
        }
    }

    /// Class 5: the address will not work on retry (unknown user, domain does not exist,
    /// message refused as spam).
    pub fn is_permanent(&self) -> bool {
        self.class == 5
    }

    /// Class 4: may work later (mailbox full, server unreachable, greylisting).
    pub fn is_transient(&self) -> bool {
        self.class == 4
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// Why a recipient block of a DSN was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipientError {
    #[error("the block has no {field} field")]
    MissingField { field: &'static str },
    #[error("the block names no recipient (neither Final-Recipient nor Original-Recipient)")]
    NoRecipient,
    #[error("unknown Action {value:?} (known: failed, delayed, delivered, relayed, expanded)")]
    UnknownAction { value: String },
    #[error("Status {value:?} is not an enhanced status code 2|4|5.x.y (RFC 3463)")]
    InvalidStatus { value: String },
}

/// Why a file or a mail could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BounceError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{} is not a Maildir: it has no {missing}/ directory", path.display())]
    NotAMaildir { path: PathBuf, missing: &'static str },
    #[error("{}: the file has {size} bytes; mails over {limit} bytes are not read", path.display())]
    FileTooLarge { path: PathBuf, size: u64, limit: u64 },
    #[error("the mail has {size} bytes; mails over {limit} bytes are not read")]
    TooLarge { size: u64, limit: u64 },
    #[error("not a mail: it is empty or has no header")]
    Unreadable,
    #[error("the delivery report has no message/delivery-status part")]
    MissingDeliveryStatus,
    #[error("the delivery report names no recipient")]
    NoRecipients,
    #[error("the delivery report has no readable recipient; recipient block {position}: {reason}")]
    InvalidRecipient { position: usize, reason: RecipientError },
}

/// Tells what one mail is; see the module documentation for the rules.
pub fn parse(raw: &[u8]) -> Result<Incoming, BounceError> {
    let size = u64::try_from(raw.len()).unwrap_or(u64::MAX);
    if size > MAX_MESSAGE_BYTES {
        return Err(BounceError::TooLarge { size, limit: MAX_MESSAGE_BYTES });
    }
    let message = MessageParser::new().parse(raw).ok_or(BounceError::Unreadable)?;
    // mail-parser returns a message for any bytes it can split into lines; without a single
    // header it is not a mail.
    if message.parts.first().is_none_or(|root| root.headers.is_empty()) {
        return Err(BounceError::Unreadable);
    }
    let addressed_to = addressed_to(&message);
    match delivery_status_part(&message)? {
        Some(part) => {
            let body = part_body(raw, part);
            let report = fields::parse_delivery_status(&body)?;
            Ok(Incoming::Dsn(Dsn {
                addressed_to,
                reporting_mta: report.reporting_mta,
                recipients: report.recipients,
                rejected: report.rejected,
            }))
        }
        None => Ok(Incoming::NotDsn { addressed_to, subject: message.subject().map(str::to_owned) }),
    }
}

/// The `message/delivery-status` part of a DSN, `None` if the mail is no DSN.
///
/// Only direct children of a top-level `multipart/report` count: a DSN forwarded as an
/// attachment, or the returned original inside a DSN, is not a report about our mail. A report
/// without the `report-type` parameter is taken as a DSN if it has the part (some servers drop
/// the parameter); one that declares another report type never is.
fn delivery_status_part<'m>(message: &'m Message<'_>) -> Result<Option<&'m MessagePart<'m>>, BounceError> {
    let Some(root) = message.parts.first() else { return Ok(None) };
    let Some(content_type) = root.content_type() else { return Ok(None) };
    let is_report = content_type.ctype().eq_ignore_ascii_case("multipart")
        && content_type.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"));
    if !is_report {
        return Ok(None);
    }
    let declared = content_type.attribute("report-type");
    let declares_dsn = declared.is_some_and(is_delivery_status_subtype);
    if declared.is_some() && !declares_dsn {
        return Ok(None);
    }
    let children = root.sub_parts().unwrap_or_default();
    let part = children.iter().filter_map(|&id| message.parts.get(usize::try_from(id).ok()?)).find(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message") && ct.subtype().is_some_and(is_delivery_status_subtype)
        })
    });
    match part {
        Some(part) => Ok(Some(part)),
        None if declares_dsn => Err(BounceError::MissingDeliveryStatus),
        None => Ok(None),
    }
}

fn is_delivery_status_subtype(subtype: &str) -> bool {
    subtype.eq_ignore_ascii_case("delivery-status") || subtype.eq_ignore_ascii_case("global-delivery-status")
}

/// The decoded body of a part. mail-parser 0.11 gives `message/delivery-status` as binary (it
/// only parses `message/rfc822` and `message/global` as messages), but a part it parsed as a
/// nested message is handled too: then `contents()` would be the whole outer mail when the part
/// was not transfer-encoded, so the part's own bytes are cut from the raw mail instead.
fn part_body<'a>(raw: &'a [u8], part: &'a MessagePart<'_>) -> Cow<'a, [u8]> {
    match (&part.body, part.encoding) {
        (PartType::Message(_), Encoding::None) => {
            let start = usize::try_from(part.offset_body).unwrap_or(usize::MAX);
            let end = usize::try_from(part.offset_end).unwrap_or(usize::MAX);
            Cow::Borrowed(raw.get(start..end.max(start)).unwrap_or_default())
        }
        (PartType::Message(nested), _) => Cow::Borrowed(nested.raw_message.as_ref()),
        _ => Cow::Borrowed(part.contents()),
    }
}

/// See [`Incoming::addressed_to`].
fn addressed_to(message: &Message<'_>) -> Vec<String> {
    let mut found = Vec::new();
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        // By name, not by `HeaderName`: mail-parser registers `Delivered-To` but not the other
        // two, and a registered name never equals `HeaderName::Other` of the same text. It
        // keeps all three as raw text; their values are address lists.
        let values = message.headers().iter().filter(|header| header.name().eq_ignore_ascii_case(name));
        for value in values.filter_map(|header| header.value().as_text()) {
            found.extend(addresses_in(value));
        }
    }
    for value in message.header_values(HeaderName::To).chain(message.header_values(HeaderName::Cc)) {
        if let HeaderValue::Address(list) = value {
            found.extend(list.iter().filter_map(|addr| addr.address()).map(str::to_owned));
        }
    }
    let mut unique: Vec<String> = Vec::with_capacity(found.len());
    for address in found.iter().filter_map(|a| normalize_address(a)) {
        if !unique.contains(&address) {
            unique.push(address);
        }
    }
    unique
}

/// The addresses in a header value, parsed as an address list (`a@x, B <b@y>`).
fn addresses_in(text: &str) -> Vec<String> {
    // The address parser ends a header at its line break and drops the last address without
    // one, so the value gets its line break back.
    let line = format!("{text}\n");
    match MessageStream::new(line.as_bytes()).parse_address() {
        HeaderValue::Address(list) => {
            list.iter().filter_map(|addr| addr.address()).map(str::to_owned).collect()
        }
        _ => Vec::new(),
    }
}

/// `Local@Example.ORG` → `Local@example.org`; `None` for a value that is no address (no `@`,
/// or nothing on either side), so a display name or a stray word never looks like one.
fn normalize_address(address: &str) -> Option<String> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, domain) = address.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    if local.is_empty() || domain.is_empty() || address.chars().any(char::is_whitespace) {
        return None;
    }
    Some(format!("{local}@{}", domain.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_strictly() {
        assert_eq!(Status::parse("5.1.1"), Some(Status { class: 5, subject: 1, detail: 1 }));
        assert_eq!(Status::parse(" 5.1.10 "), Some(Status { class: 5, subject: 1, detail: 10 }));
        assert_eq!(Status::parse("4.4.7").map(|s| s.to_string()).as_deref(), Some("4.4.7"));
        for bad in ["", "5", "5.1", "5.1.1.1", "3.1.1", "5.a.1", "5.1.", "5..1", "5.1.1000", "5.+1.1", "550"]
        {
            assert_eq!(Status::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn permanence_follows_the_class() {
        let status = |text| Status::parse(text).unwrap();
        assert!(status("5.2.2").is_permanent() && !status("5.2.2").is_transient());
        assert!(status("4.4.7").is_transient() && !status("4.4.7").is_permanent());
        assert!(!status("2.0.0").is_transient() && !status("2.0.0").is_permanent());
    }

    #[test]
    fn actions_are_case_insensitive() {
        assert_eq!(Action::parse("FAILED"), Some(Action::Failed));
        assert_eq!(Action::parse("Delayed"), Some(Action::Delayed));
        assert_eq!(Action::parse("bounced"), None);
    }

    #[test]
    fn addresses_are_normalized() {
        assert_eq!(
            normalize_address("Bounce+1.AbC@Bounces.Example.ORG").as_deref(),
            Some("Bounce+1.AbC@bounces.example.org")
        );
        assert_eq!(normalize_address("<a@b.example.>").as_deref(), Some("a@b.example"));
        assert_eq!(normalize_address("undisclosed-recipients"), None);
        assert_eq!(normalize_address("@example.org"), None);
    }

    #[test]
    fn envelope_headers_come_before_to_and_cc() {
        let raw = b"To: Someone <Someone@Example.net>\r\nCc: bounce+1.x@bounces.example.org\r\n\
            X-Original-To: bounce+1.x@BOUNCES.example.org\r\nDelivered-To: bounce+1.x@bounces.example.org\r\n\
            Envelope-To: a@x.example, b@y.example\r\nSubject: hi\r\n\r\nbody\r\n";
        let incoming = parse(raw).unwrap();
        assert_eq!(
            incoming.addressed_to(),
            ["bounce+1.x@bounces.example.org", "a@x.example", "b@y.example", "Someone@example.net"]
        );
    }

    #[test]
    fn a_part_parsed_as_a_message_yields_its_own_bytes() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
            Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n";
        let message = MessageParser::new().parse(raw).unwrap();
        let part = message.parts.iter().find(|p| matches!(p.body, PartType::Message(_))).unwrap();
        let body = part_body(raw, part);
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("Subject: inner") && text.contains("inner body"), "{text:?}");
        assert!(!text.contains("multipart"), "{text:?}");
    }
}
