// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Bounce mails end to end: DSNs as Postfix, Exim, Sendmail, Exchange Online and Gmail write
//! them (`tests/fixtures/bounces/`), mail that is no DSN, hostile and broken input, random bytes,
//! and a Maildir built in a temporary directory.
//! Run with `cargo test -p providers --test bounce`.
// The helpers outside `#[test]` functions (`dsn`, `write`, …) should fail a test loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use proptest::prelude::*;
use providers::bounce::{
    self, Action, BounceError, Dsn, Incoming, MAX_MESSAGE_BYTES, RecipientError, Status,
};

const POSTFIX: &[u8] = include_bytes!("fixtures/bounces/postfix_user_unknown.eml");
const GMAIL: &[u8] = include_bytes!("fixtures/bounces/gmail_mailbox_full.eml");
const EXCHANGE: &[u8] = include_bytes!("fixtures/bounces/exchange_delayed.eml");
const EXIM: &[u8] = include_bytes!("fixtures/bounces/exim_failed.eml");
const SENDMAIL: &[u8] = include_bytes!("fixtures/bounces/sendmail_failed_and_delayed.eml");
const GLOBAL: &[u8] = include_bytes!("fixtures/bounces/postfix_global_utf8.eml");
const OUT_OF_OFFICE: &[u8] = include_bytes!("fixtures/bounces/out_of_office.eml");
const UNSUBSCRIBE: &[u8] = include_bytes!("fixtures/bounces/unsubscribe_plain.eml");
const FEEDBACK: &[u8] = include_bytes!("fixtures/bounces/feedback_report.eml");

fn dsn(raw: &[u8]) -> Dsn {
    match bounce::parse(raw) {
        Ok(Incoming::Dsn(dsn)) => dsn,
        other => panic!("expected a DSN, got {other:?}"),
    }
}

fn not_dsn(raw: &[u8]) -> (Vec<String>, Option<String>) {
    match bounce::parse(raw) {
        Ok(Incoming::NotDsn { addressed_to, subject }) => (addressed_to, subject),
        other => panic!("expected a mail that is no DSN, got {other:?}"),
    }
}

fn status(text: &str) -> Status {
    Status::parse(text).unwrap()
}

/// A DSN around the given delivery-status body, as Postfix frames it.
fn report(report_type: &str, status_part: &str) -> Vec<u8> {
    format!(
        "Delivered-To: bounce+1.abc@bounces.example.org\n\
         From: MAILER-DAEMON@mx.example.net\n\
         To: bounce+1.abc@bounces.example.org\n\
         Subject: Undelivered Mail Returned to Sender\n\
         MIME-Version: 1.0\n\
         Content-Type: multipart/report; report-type={report_type}; boundary=\"b\"\n\
         \n\
         --b\n\
         Content-Type: text/plain\n\
         \n\
         The mail system\n\
         \n\
         {status_part}\
         --b--\n"
    )
    .into_bytes()
}

fn status_part(body: &str) -> String {
    format!("--b\nContent-Type: message/delivery-status\n\n{body}\n")
}

// --- DSNs as servers write them -------------------------------------------------------------

#[test]
fn postfix_user_unknown_is_a_permanent_failure_for_the_verp_address() {
    let dsn = dsn(POSTFIX);
    assert_eq!(dsn.addressed_to, ["bounce+1042.k3J9x2Qa@bounces.example.org"]);
    assert_eq!(dsn.reporting_mta.as_deref(), Some("mx.example.net"));
    assert!(dsn.rejected.is_empty());
    let [recipient] = dsn.recipients.as_slice() else { panic!("{dsn:?}") };
    assert_eq!(recipient.final_recipient.as_deref(), Some("nobody@example.net"));
    // The original recipient is kept as we sent it (local part as written, domain lower-cased).
    assert_eq!(recipient.original_recipient.as_deref(), Some("Nobody@example.net"));
    assert_eq!(recipient.address(), Some("Nobody@example.net"));
    assert_eq!(recipient.action, Action::Failed);
    assert_eq!(recipient.status, status("5.1.1"));
    assert!(recipient.status.is_permanent());
    assert_eq!(
        recipient.diagnostic.as_deref(),
        Some(
            "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual \
             mailbox table"
        )
    );
}

#[test]
fn gmail_mailbox_full_is_read_through_nested_multiparts() {
    let dsn = dsn(GMAIL);
    assert_eq!(dsn.addressed_to, ["bounce+2203.Vb8q0LmR@bounces.example.org"]);
    assert_eq!(dsn.reporting_mta.as_deref(), Some("googlemail.com"));
    let [recipient] = dsn.recipients.as_slice() else { panic!("{dsn:?}") };
    assert_eq!(recipient.final_recipient.as_deref(), Some("jane.roe@gmail.com"));
    assert_eq!(recipient.original_recipient, None);
    assert_eq!(recipient.address(), Some("jane.roe@gmail.com"));
    assert_eq!((recipient.action, recipient.status.to_string()), (Action::Failed, "5.2.2".into()));
    assert!(recipient.status.is_permanent());
    let diagnostic = recipient.diagnostic.as_deref().unwrap_or_default();
    assert!(diagnostic.starts_with("552-5.2.2 The recipient's inbox is out of storage space and inactive."));
    assert!(diagnostic.ends_with("- gsmtp"), "{diagnostic}");
}

#[test]
fn exchange_delay_is_transient_and_not_a_failure() {
    let dsn = dsn(EXCHANGE);
    assert_eq!(dsn.addressed_to, ["bounce+3310.pQ7rT2sW@bounces.example.org"]);
    assert_eq!(dsn.reporting_mta.as_deref(), Some("DB9PR02MB7097.eurprd02.prod.outlook.com"));
    let [recipient] = dsn.recipients.as_slice() else { panic!("{dsn:?}") };
    assert_eq!(recipient.original_recipient.as_deref(), Some("max.muster@contoso.example"));
    assert_eq!(recipient.final_recipient.as_deref(), Some("max.muster@contoso.example"));
    assert_eq!(recipient.action, Action::Delayed);
    assert_eq!(recipient.status, Status { class: 4, subject: 4, detail: 7 });
    assert!(recipient.status.is_transient() && !recipient.status.is_permanent());
    assert_eq!(recipient.diagnostic, None);
}

#[test]
fn exim_envelope_to_finds_the_verp_address_and_field_order_does_not_matter() {
    let dsn = dsn(EXIM);
    // Exim's `Envelope-to` comes before `To`; both hold the same address, kept once.
    assert_eq!(dsn.addressed_to, ["bounce+4471.Zq8sLm0P@bounces.example.org"]);
    assert_eq!(dsn.reporting_mta.as_deref(), Some("mx1.example.com"));
    let [recipient] = dsn.recipients.as_slice() else { panic!("{dsn:?}") };
    assert_eq!(recipient.final_recipient.as_deref(), Some("old.member@example.com"));
    assert_eq!((recipient.action, recipient.status), (Action::Failed, status("5.0.0")));
    assert!(recipient.status.is_permanent());
    assert!(recipient.diagnostic.as_deref().is_some_and(|d| d.starts_with("550 5.1.1 <old.member@")));
}

#[test]
fn sendmail_report_with_one_failed_and_one_delayed_recipient() {
    let dsn = dsn(SENDMAIL);
    assert_eq!(dsn.addressed_to, ["bounce+5120.Hn4cXy7e@bounces.example.org"]);
    let summary: Vec<_> = dsn
        .recipients
        .iter()
        .map(|r| (r.address(), r.action, r.status.to_string(), r.status.is_permanent()))
        .collect();
    assert_eq!(
        summary,
        [
            (Some("ex.member@example.com"), Action::Failed, "5.1.1".to_owned(), true),
            (Some("busy.member@example.com"), Action::Delayed, "4.4.1".to_owned(), false),
        ]
    );
    assert_eq!(
        dsn.recipients[0].diagnostic.as_deref(),
        Some("550 5.1.1 <ex.member@example.com>... User unknown")
    );
    assert_eq!(dsn.recipients[1].diagnostic, None);
}

#[test]
fn global_delivery_status_with_utf8_addresses() {
    let dsn = dsn(GLOBAL);
    assert_eq!(dsn.addressed_to, ["bounce+6001.Rw2mKd9T@bounces.example.org"]);
    assert_eq!(dsn.reporting_mta.as_deref(), Some("mx.xn--bcher-kva.example"));
    let [recipient] = dsn.recipients.as_slice() else { panic!("{dsn:?}") };
    assert_eq!(recipient.final_recipient.as_deref(), Some("jörg@bücher.example"));
    assert_eq!(recipient.original_recipient.as_deref(), Some("jörg@bücher.example"));
    assert_eq!((recipient.action, recipient.status), (Action::Failed, status("5.1.1")));
    assert_eq!(recipient.diagnostic.as_deref(), Some("unknown user: \"jörg\""));
}

#[test]
fn crlf_line_ends_read_the_same() {
    let text = String::from_utf8_lossy(POSTFIX).replace('\n', "\r\n");
    assert_eq!(dsn(text.as_bytes()), dsn(POSTFIX));
}

#[test]
fn a_base64_encoded_status_part_is_decoded() {
    let body = "Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; a@example.net\r\n\
        Action: failed\r\nStatus: 5.1.1\r\n";
    let encoded = base64::engine::general_purpose::STANDARD.encode(body);
    let part = format!(
        "--b\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n{encoded}\n"
    );
    let dsn = dsn(&report("delivery-status", &part));
    assert_eq!(dsn.recipients[0].final_recipient.as_deref(), Some("a@example.net"));
    assert_eq!(dsn.reporting_mta.as_deref(), Some("mx.example.net"));
}

#[test]
fn a_report_without_report_type_is_recognised_by_its_part() {
    let raw = String::from_utf8_lossy(&report(
        "delivery-status",
        &status_part("Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n"),
    ))
    .replace("report-type=delivery-status; ", "");
    assert_eq!(dsn(raw.as_bytes()).recipients.len(), 1);
}

// --- Mail that is no DSN --------------------------------------------------------------------

#[test]
fn out_of_office_reply_is_not_a_dsn_but_finds_the_verp_address_first() {
    let (addressed_to, subject) = not_dsn(OUT_OF_OFFICE);
    assert_eq!(addressed_to, ["bounce+7007.Yt5nBv3C@bounces.example.org", "info@example.org"]);
    assert_eq!(subject.as_deref(), Some("Automatic reply: Our November newsletter"));
}

#[test]
fn plain_mail_to_the_unsubscribe_address_is_not_a_dsn() {
    let (addressed_to, subject) = not_dsn(UNSUBSCRIBE);
    // `Delivered-To` has the domain in capitals; lower-cased it equals `X-Original-To` and `To`.
    assert_eq!(addressed_to, ["unsubscribe+Tk9wZ3Jx@lists.example.org"]);
    assert_eq!(subject.as_deref(), Some("unsubscribe please – Jana"));
}

#[test]
fn feedback_report_is_not_a_dsn() {
    let (addressed_to, subject) = not_dsn(FEEDBACK);
    assert_eq!(addressed_to, ["fbl@bounces.example.org"]);
    assert_eq!(subject.as_deref(), Some("complaint about message from 192.0.2.10"));
}

#[test]
fn read_receipt_is_not_a_dsn_even_with_a_status_part() {
    // A report that declares another type is never read as a DSN, whatever parts it carries.
    let mdn = report(
        "disposition-notification",
        &status_part("Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n"),
    );
    let (addressed_to, _) = not_dsn(&mdn);
    assert_eq!(addressed_to, ["bounce+1.abc@bounces.example.org"]);
}

#[test]
fn a_status_part_outside_a_report_does_not_make_a_dsn() {
    let raw = String::from_utf8_lossy(&report(
        "delivery-status",
        &status_part("Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n"),
    ))
    .replace("multipart/report; report-type=delivery-status;", "multipart/mixed;");
    not_dsn(raw.as_bytes());
}

#[test]
fn a_forwarded_dsn_is_not_a_dsn() {
    let raw = format!(
        "To: bounce+1.abc@bounces.example.org\nSubject: Fwd: bounce\nContent-Type: multipart/mixed; \
         boundary=outer\n\n--outer\nContent-Type: text/plain\n\nsee below\n--outer\n\
         Content-Type: message/rfc822\n\n{}\n--outer--\n",
        String::from_utf8_lossy(POSTFIX)
    );
    not_dsn(raw.as_bytes());
}

// --- Broken and hostile input ---------------------------------------------------------------

#[test]
fn empty_and_headerless_input_is_unreadable() {
    for raw in [&b""[..], b"\n", b"\r\n\r\n", b"   "] {
        assert!(matches!(bounce::parse(raw), Err(BounceError::Unreadable)), "{raw:?}");
    }
}

#[test]
fn garbage_bytes_never_panic_and_are_never_a_dsn() {
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    assert!(!matches!(bounce::parse(&garbage), Ok(Incoming::Dsn(_))));
    let binary = b"\x00\x01\x02\xff\xfe\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
    assert!(!matches!(bounce::parse(binary), Ok(Incoming::Dsn(_))));
}

#[test]
fn a_report_without_its_status_part_is_an_error() {
    let raw = report("delivery-status", "--b\nContent-Type: text/rfc822-headers\n\nSubject: x\n\n");
    assert!(matches!(bounce::parse(&raw), Err(BounceError::MissingDeliveryStatus)));
}

#[test]
fn a_status_part_without_recipients_is_an_error() {
    let raw = report("delivery-status", &status_part("Reporting-MTA: dns; mx.example.net\n"));
    assert!(matches!(bounce::parse(&raw), Err(BounceError::NoRecipients)));
}

#[test]
fn an_unknown_action_skips_that_recipient_and_keeps_the_others() {
    let raw = report(
        "delivery-status",
        &status_part(
            "Reporting-MTA: dns; mx.example.net\n\n\
             Final-Recipient: rfc822; a@example.net\nAction: bounced\nStatus: 5.1.1\n\n\
             Final-Recipient: rfc822; b@example.net\nAction: failed\nStatus: 5.1.1\n",
        ),
    );
    let dsn = dsn(&raw);
    assert_eq!(dsn.recipients.len(), 1);
    assert_eq!(dsn.recipients[0].address(), Some("b@example.net"));
    assert_eq!(dsn.rejected.len(), 1);
    assert_eq!(dsn.rejected[0].position, 1);
    assert_eq!(dsn.rejected[0].recipient.as_deref(), Some("a@example.net"));
    assert_eq!(dsn.rejected[0].reason, RecipientError::UnknownAction { value: "bounced".into() });
}

#[test]
fn a_dsn_with_only_unreadable_recipients_is_an_error_that_says_why() {
    let raw = report(
        "delivery-status",
        &status_part("Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.9\n"),
    );
    let error = bounce::parse(&raw).unwrap_err();
    assert!(matches!(
        &error,
        BounceError::InvalidRecipient { position: 1, reason: RecipientError::InvalidStatus { value } } if value == "5.9"
    ));
    assert!(error.to_string().contains("\"5.9\""), "{error}");
}

#[test]
fn invalid_utf8_in_the_status_part_is_an_error_reason_not_a_panic() {
    let raw = report(
        "delivery-status",
        &status_part(
            "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.~.1\n\n\
             Final-Recipient: rfc822; b@exa~ple.net\nAction: failed\nStatus: 5.1.1\n",
        ),
    );
    // `~` stands for a byte that is not UTF-8.
    let raw: Vec<u8> = raw.into_iter().map(|b| if b == b'~' { 0xff } else { b }).collect();
    let dsn = dsn(&raw);
    assert!(matches!(dsn.rejected[0].reason, RecipientError::InvalidStatus { .. }), "{dsn:?}");
    assert_eq!(dsn.recipients.len(), 1);
    assert!(dsn.recipients[0].final_recipient.as_deref().is_some_and(|r| r.contains('\u{fffd}')));
}

#[test]
fn every_truncation_of_a_dsn_is_handled() {
    let full = dsn(POSTFIX);
    let status_end = find(POSTFIX, b"mailbox table\n\n--").unwrap_or(0) + "mailbox table\n".len();
    for cut in 0..POSTFIX.len() {
        match bounce::parse(&POSTFIX[..cut]) {
            // Once the recipient block is complete, nothing after it matters.
            Ok(Incoming::Dsn(dsn)) if cut >= status_end => assert_eq!(dsn, full, "cut at {cut}"),
            Ok(Incoming::Dsn(dsn)) => assert!(!dsn.recipients.is_empty(), "cut at {cut}"),
            Ok(Incoming::NotDsn { .. }) | Err(_) => assert!(cut < status_end, "cut at {cut}"),
        }
    }
    let after_final = find(POSTFIX, b"Original-Recipient").unwrap_or(0);
    assert!(matches!(
        bounce::parse(&POSTFIX[..after_final]),
        Err(BounceError::InvalidRecipient { reason: RecipientError::MissingField { field: "Action" }, .. })
    ));
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[test]
fn huge_headers_and_fields_are_read_in_bounded_time() {
    let started = Instant::now();
    // One header line of 1.5 MB.
    let long_subject = format!(
        "Delivered-To: bounce+1.abc@bounces.example.org\nSubject: {}\n\nbody\n",
        "x".repeat(1_500_000)
    );
    let (addressed_to, subject) = not_dsn(long_subject.as_bytes());
    assert_eq!(addressed_to, ["bounce+1.abc@bounces.example.org"]);
    assert_eq!(subject.map(|s| s.len()), Some(1_500_000));
    // 60,000 header lines, then a DSN.
    let mut many = "X-Junk: y\n".repeat(60_000).into_bytes();
    many.extend_from_slice(POSTFIX);
    assert_eq!(dsn(&many).recipients, dsn(POSTFIX).recipients);
    // A recipient field of 1.5 MB, folded every 70 characters.
    let folded = "a"
        .repeat(70)
        .repeat(20_000)
        .chars()
        .collect::<Vec<_>>()
        .chunks(70)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n ");
    let raw = report(
        "delivery-status",
        &status_part(&format!("Final-Recipient: rfc822; {folded}\nAction: failed\nStatus: 5.1.1\n")),
    );
    let dsn = dsn(&raw);
    assert!(dsn.recipients[0].final_recipient.as_deref().is_some_and(|r| r.len() < 200), "shortened");
    // Deeply nested multiparts.
    let depth = 2_000;
    let mut nested = String::from("To: a@example.org\n");
    for level in 0..depth {
        nested.push_str(&format!("Content-Type: multipart/mixed; boundary=b{level}\n\n--b{level}\n"));
    }
    nested.push_str("Content-Type: text/plain\n\nhello\n");
    not_dsn(nested.as_bytes());
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
}

#[test]
fn a_mail_over_the_limit_is_refused_before_parsing() {
    let raw = vec![b'a'; usize::try_from(MAX_MESSAGE_BYTES).unwrap_or(usize::MAX) + 1];
    assert!(matches!(
        bounce::parse(&raw),
        Err(BounceError::TooLarge { size, limit }) if size == MAX_MESSAGE_BYTES + 1 && limit == MAX_MESSAGE_BYTES
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = bounce::parse(&raw);
    }

    #[test]
    fn damaged_dsns_never_panic_and_a_dsn_always_has_recipients(
        cut in 0..SENDMAIL.len(),
        flips in proptest::collection::vec((0..SENDMAIL.len(), any::<u8>()), 0..16),
    ) {
        let mut raw = SENDMAIL[..cut].to_vec();
        for (at, byte) in flips {
            if let Some(place) = raw.get_mut(at) {
                *place = byte;
            }
        }
        if let Ok(Incoming::Dsn(dsn)) = bounce::parse(&raw) {
            prop_assert!(!dsn.recipients.is_empty());
        }
    }
}

// --- Maildir ---------------------------------------------------------------------------------

fn write(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap();
}

#[test]
fn maildir_yields_new_and_cur_sorted_and_skips_tmp_dot_files_and_directories() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    for sub in ["new", "cur", "tmp"] {
        fs::create_dir(dir.join(sub)).unwrap();
    }
    write(&dir.join("new/1764666003.M511P4242.mail.example.org"), POSTFIX);
    write(&dir.join("cur/1764665000.M12P4040.mail.example.org:2,S"), EXIM);
    write(&dir.join("new/1764670000.M9P4343.mail.example.org"), UNSUBSCRIBE);
    write(&dir.join("tmp/1764660000.M1P1.mail.example.org"), SENDMAIL);
    write(&dir.join("new/.1764650000.M1P1.hidden"), SENDMAIL);
    fs::create_dir(dir.join("cur/stray-directory")).unwrap();

    let files: Vec<_> = bounce::read_maildir(dir).unwrap().collect::<Result<_, _>>().unwrap();
    let names: Vec<_> =
        files.iter().map(|f| f.path.strip_prefix(dir).unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        [
            "cur/1764665000.M12P4040.mail.example.org:2,S",
            "new/1764666003.M511P4242.mail.example.org",
            "new/1764670000.M9P4343.mail.example.org",
        ]
    );
    assert_eq!(files[0].bytes, EXIM);
    let kinds: Vec<_> =
        files.iter().map(|f| matches!(bounce::parse(&f.bytes), Ok(Incoming::Dsn(_)))).collect();
    assert_eq!(kinds, [true, true, false]);
}

#[test]
fn maildir_reports_an_oversized_file_as_an_item_and_goes_on() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    for sub in ["new", "cur", "tmp"] {
        fs::create_dir(dir.join(sub)).unwrap();
    }
    let huge = dir.join("new/1764666001.M1P1.mail.example.org");
    fs::File::create(&huge).unwrap().set_len(MAX_MESSAGE_BYTES + 1).unwrap();
    write(&dir.join("new/1764666002.M2P2.mail.example.org"), POSTFIX);

    let items: Vec<_> = bounce::read_maildir(dir).unwrap().collect();
    assert_eq!(items.len(), 2);
    match &items[0] {
        Err(error @ BounceError::FileTooLarge { path, size, .. }) => {
            assert_eq!((path, *size), (&huge, MAX_MESSAGE_BYTES + 1));
            assert!(error.to_string().contains("1764666001.M1P1"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&items[1], Ok(file) if file.bytes == POSTFIX));
}

#[test]
fn a_directory_that_is_no_maildir_is_refused() {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir(root.path().join("new")).unwrap();
    assert!(matches!(
        bounce::read_maildir(root.path()).map(|_| ()),
        Err(BounceError::NotAMaildir { missing: "cur", .. })
    ));
    assert!(matches!(
        bounce::read_maildir(&root.path().join("missing")).map(|_| ()),
        Err(BounceError::NotAMaildir { missing: "new", .. })
    ));
    // An empty Maildir is fine: nothing to import.
    fs::create_dir(root.path().join("cur")).unwrap();
    assert_eq!(bounce::read_maildir(root.path()).unwrap().count(), 0);
}
