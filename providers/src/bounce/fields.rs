// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The body of a `message/delivery-status` part (RFC 3464 section 2.1): blocks of header-like
//! fields separated by blank lines, first the per-message fields, then one block per recipient.
//!
//! Splitting into blocks and fields (folded lines, any case, CRLF or LF) is done by
//! mail-parser's header tokenizer, so the rules are the same as for the mail's own headers.
//! What is ours: which fields matter, the `type;` prefixes (`rfc822;`, `dns;`, `smtp;`), and
//! comments in parentheses, which RFC 3464 allows wherever RFC 822 does (`Status: 5.0.0
//! (permanent failure)`, written by some servers).

use mail_parser::parsers::MessageStream;
use mail_parser::{Header, MessageParser};

use super::{
    Action, BounceError, DsnRecipient, RecipientError, RejectedRecipient, Status, normalize_address,
};

/// The fields of one delivery-status part that bounce handling uses.
#[derive(Debug)]
pub(super) struct Report {
    pub(super) reporting_mta: Option<String>,
    pub(super) recipients: Vec<DsnRecipient>,
    pub(super) rejected: Vec<RejectedRecipient>,
}

/// Reads the blocks of a delivery-status body. Fails only if no recipient block is usable.
pub(super) fn parse_delivery_status(body: &[u8]) -> Result<Report, BounceError> {
    let mut report = Report { reporting_mta: None, recipients: Vec::new(), rejected: Vec::new() };
    let mut position = 0;
    for block in blocks(body) {
        // RFC 3464 puts the per-message fields first, but a server that leaves them out still
        // writes recipient blocks; a block is told by its fields, not by its place.
        let is_recipient_block = ["Final-Recipient", "Original-Recipient", "Action", "Status"]
            .iter()
            .any(|name| field(&block, name).is_some());
        if !is_recipient_block {
            if report.reporting_mta.is_none() {
                report.reporting_mta =
                    field(&block, "Reporting-MTA").map(|v| typed_value(&strip_comments(&v)).to_owned());
            }
            continue;
        }
        position += 1;
        match recipient(&block) {
            Ok(recipient) => report.recipients.push(recipient),
            Err(reason) => report.rejected.push(RejectedRecipient {
                position,
                recipient: recipient_address(&block, "Final-Recipient")
                    .or_else(|| recipient_address(&block, "Original-Recipient")),
                reason,
            }),
        }
    }
    if report.recipients.is_empty() {
        return Err(match report.rejected.into_iter().next() {
            Some(first) => BounceError::InvalidRecipient { position: first.position, reason: first.reason },
            None => BounceError::NoRecipients,
        });
    }
    Ok(report)
}

/// One field of a block: the name and the value, folding collapsed to single spaces.
type Field = (String, String);

/// The non-empty blocks of the body, each a list of fields.
fn blocks(body: &[u8]) -> Vec<Vec<Field>> {
    let parser = MessageParser::new();
    let mut stream = MessageStream::new(body);
    let mut blocks = Vec::new();
    loop {
        let mut headers: Vec<Header<'_>> = Vec::new();
        // `true`: stopped at a blank line, more may follow; `false`: end of the body. Every
        // call consumes at least the blank line, so the loop ends.
        let more = stream.parse_headers(&parser, &mut headers);
        let block: Vec<Field> = headers
            .iter()
            .filter_map(|header| {
                let value = header.value.as_text()?;
                Some((header.name.as_str().to_owned(), collapse_whitespace(value)))
            })
            .collect();
        if !block.is_empty() {
            blocks.push(block);
        }
        if !more {
            return blocks;
        }
    }
}

/// The first value of a field, by case-insensitive name; `None` if absent or blank.
fn field(block: &[Field], name: &str) -> Option<String> {
    block
        .iter()
        .find(|(field_name, _)| field_name.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.clone())
        .filter(|value| !value.is_empty())
}

fn recipient(block: &[Field]) -> Result<DsnRecipient, RecipientError> {
    let final_recipient = recipient_address(block, "Final-Recipient");
    let original_recipient = recipient_address(block, "Original-Recipient");
    if final_recipient.is_none() && original_recipient.is_none() {
        return Err(RecipientError::NoRecipient);
    }
    let action = field(block, "Action").ok_or(RecipientError::MissingField { field: "Action" })?;
    let action = strip_comments(&action);
    let action = Action::parse(action.trim())
        .ok_or_else(|| RecipientError::UnknownAction { value: shortened(action.trim()) })?;
    let status = field(block, "Status").ok_or(RecipientError::MissingField { field: "Status" })?;
    let status_text = strip_comments(&status);
    // The code is the first word: some servers append the text of the code after it.
    let status = status_text
        .split_whitespace()
        .next()
        .and_then(Status::parse)
        .ok_or_else(|| RecipientError::InvalidStatus { value: shortened(status_text.trim()) })?;
    let diagnostic = field(block, "Diagnostic-Code")
        .map(|value| typed_value(&value).to_owned())
        .filter(|value| !value.is_empty());
    Ok(DsnRecipient { final_recipient, original_recipient, action, status, diagnostic })
}

/// `Final-Recipient: rfc822; Nobody@Example.NET (Jo)` → `Nobody@example.net`. A value that
/// is not an address (an X.400 address, a bare word) is kept as written: the administrator
/// sees it in the log, and it simply matches no supporter.
fn recipient_address(block: &[Field], name: &str) -> Option<String> {
    let value = strip_comments(&field(block, name)?);
    let address = typed_value(&value).trim();
    if address.is_empty() {
        return None;
    }
    Some(normalize_address(address).unwrap_or_else(|| shortened(address)))
}

/// The value after an `address-type ;`, `mta-name-type ;` or `diagnostic-type ;` prefix. The
/// prefix is only removed if it is an atom, so a `;` in a diagnostic text stays.
fn typed_value(value: &str) -> &str {
    match value.split_once(';') {
        Some((kind, rest))
            if !kind.trim().is_empty()
                && kind.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') =>
        {
            rest.trim()
        }
        _ => value.trim(),
    }
}

/// Removes RFC 822 comments: `(…)`, nested, with `\` escapes, but not inside a quoted string
/// (a quoted local part may contain parentheses). An unclosed comment runs to the end.
fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    let mut in_quotes = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                in_quotes = !in_quotes;
                out.push(c);
            }
            '(' if !in_quotes => depth += 1,
            ')' if !in_quotes && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    collapse_whitespace(&out)
}

fn collapse_whitespace(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Shortens a value quoted in an error: a hostile report should give a readable log line, not
/// echo a megabyte.
fn shortened(value: &str) -> String {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTFIX: &str = "Reporting-MTA: dns; mx.example.net\r\n\
        X-Postfix-Queue-ID: 3F5A21C0D2\r\n\
        Arrival-Date: Wed,  2 Dec 2026 10:00:00 +0100 (CET)\r\n\
        \r\n\
        Final-Recipient: rfc822; nobody@Example.NET\r\n\
        Original-Recipient: rfc822;nobody@example.net\r\n\
        Action: failed\r\n\
        Status: 5.1.1\r\n\
        Remote-MTA: dns; mail.example.net\r\n\
        Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address\r\n    \
        rejected: User unknown in virtual mailbox table\r\n";

    #[test]
    fn a_postfix_block_is_read() {
        let report = parse_delivery_status(POSTFIX.as_bytes()).unwrap();
        assert_eq!(report.reporting_mta.as_deref(), Some("mx.example.net"));
        let [recipient] = report.recipients.as_slice() else { panic!("{report:?}") };
        assert_eq!(recipient.final_recipient.as_deref(), Some("nobody@example.net"));
        assert_eq!(recipient.action, Action::Failed);
        assert_eq!(recipient.status.to_string(), "5.1.1");
        assert_eq!(
            recipient.diagnostic.as_deref(),
            Some(
                "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table"
            )
        );
    }

    #[test]
    fn names_are_case_insensitive_and_comments_removed() {
        let body = "reporting-mta: DNS; mx.example.net (Postfix)\n\nFINAL-RECIPIENT: RFC822; a@b.example (Anna)\n\
            action: Failed (bad mailbox)\nstatus: 5.0.0 (permanent failure)\n";
        let report = parse_delivery_status(body.as_bytes()).unwrap();
        assert_eq!(report.reporting_mta.as_deref(), Some("mx.example.net"));
        let recipient = &report.recipients[0];
        assert_eq!(recipient.final_recipient.as_deref(), Some("a@b.example"));
        assert_eq!((recipient.action, recipient.status.to_string().as_str()), (Action::Failed, "5.0.0"));
        assert_eq!(recipient.diagnostic, None);
    }

    #[test]
    fn a_missing_per_message_block_is_tolerated() {
        let body = "Final-Recipient: rfc822; a@b.example\nAction: delayed\nStatus: 4.4.1\n";
        let report = parse_delivery_status(body.as_bytes()).unwrap();
        assert_eq!((report.reporting_mta, report.recipients.len()), (None, 1));
    }

    #[test]
    fn a_bad_block_is_skipped_and_the_others_kept() {
        let body = "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: bounced\nStatus: 5.1.1\n\n\
            Final-Recipient: rfc822; c@d.example\nAction: failed\nStatus: 5.1.1\n\n\
            Final-Recipient: rfc822; e@f.example\nAction: failed\nStatus: 550\n";
        let report = parse_delivery_status(body.as_bytes()).unwrap();
        assert_eq!(report.recipients.len(), 1);
        assert_eq!(report.recipients[0].final_recipient.as_deref(), Some("c@d.example"));
        let reasons: Vec<_> = report.rejected.iter().map(|r| (r.position, r.reason.clone())).collect();
        assert_eq!(
            reasons,
            [
                (1, RecipientError::UnknownAction { value: "bounced".into() }),
                (3, RecipientError::InvalidStatus { value: "550".into() })
            ]
        );
    }

    #[test]
    fn no_usable_block_refuses_the_report() {
        let only_bad = "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nStatus: 5.1.1\n";
        assert!(matches!(
            parse_delivery_status(only_bad.as_bytes()),
            Err(BounceError::InvalidRecipient {
                position: 1,
                reason: RecipientError::MissingField { field: "Action" }
            })
        ));
        let none = "Reporting-MTA: dns; mx\nArrival-Date: today\n\n\n";
        assert!(matches!(parse_delivery_status(none.as_bytes()), Err(BounceError::NoRecipients)));
        assert!(matches!(parse_delivery_status(b""), Err(BounceError::NoRecipients)));
    }

    #[test]
    fn type_prefixes_are_removed_only_when_they_are_atoms() {
        assert_eq!(typed_value("rfc822; a@b"), "a@b");
        assert_eq!(typed_value("X-Postfix; host said: 550; go away"), "host said: 550; go away");
        assert_eq!(typed_value("550 no such user; sorry"), "550 no such user; sorry");
        assert_eq!(typed_value("a@b"), "a@b");
    }

    #[test]
    fn comments_nest_and_respect_quotes() {
        assert_eq!(strip_comments("5.0.0 (a (nested) comment) x"), "5.0.0 x");
        assert_eq!(strip_comments(r#""a(b)"@c (d)"#), r#""a(b)"@c"#);
        assert_eq!(strip_comments(r"x (a \) b) y"), "x y");
        assert_eq!(strip_comments("x (unclosed"), "x");
    }
}
