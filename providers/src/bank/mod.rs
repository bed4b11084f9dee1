// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Bank statements and the EPC QR code: the two ends of a donation by bank transfer.
//!
//! - [`parse`] reads a statement file an administrator downloaded from the bank, ISO 20022
//!   camt.053 XML ([`camt`]) or our documented CSV layout ([`csv_statement`]), into one
//!   [`Statement`]: a list of [`StatementEntry`] with amounts as [`Money`], so matching entries to
//!   pledges (in `domain`) never sees a wire format.
//! - [`epc_qr`] builds the EPC QR code ("GiroCode") a supporter scans to pay a pledge with its
//!   creditor reference already filled in.
//!
//! This module only reads and writes formats; it touches no database. The layouts, limits and
//! the payout rule are documented for administrators in `docs/bank-statements.md`.
//! Tests: `cargo test -p providers --lib bank` and `cargo test -p providers --test bank`.

pub mod camt;
pub mod csv_statement;
pub mod epc_qr;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use domain::payment::Money;

pub use camt::SUPPORTED_CAMT053_VERSIONS;
pub use epc_qr::{EpcError, Transfer};

/// The largest statement file read, in bytes (200 MB). A year of a large organisation's
/// account (100,000 entries of camt.053 with full details) is about 70 MB; anything much larger
/// is refused before parsing, so an upload cannot make the server hold gigabytes.
pub const MAX_STATEMENT_BYTES: usize = 200 * 1024 * 1024;

/// Which file format a statement was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ISO 20022 camt.053 (bank-to-customer statement), XML.
    Camt053,
    /// Our CSV layout, for banks without camt.053 (see [`csv_statement`]).
    Csv,
}

/// A bank statement, reduced to what matching pledges needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub format: Format,
    /// In file order. An ISO entry (`Ntry`) with several transactions (`NtryDtls/TxDtls`, a
    /// batch booking) gives one entry per transaction.
    pub entries: Vec<StatementEntry>,
}

/// What kind of movement an entry is, as far as the file tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// An ordinary transfer: for a credit, possibly a donation.
    Transfer,
    /// A returned or reversed transfer (`RvslInd` true, return information `RtrInf`, or a bank
    /// transaction code of a return, see [`camt`]). Never a donation.
    Returned,
    /// A payment provider paying out what it collected (see [`PAYOUT_NAMES`]). The donations in
    /// it are already recorded from the provider's own events; counting the payout again would
    /// count them twice.
    Payout,
}

/// One booked movement on the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementEntry {
    /// 1-based place in [`Statement::entries`], to point an administrator at a line.
    pub position: u32,
    pub booking_date: time::Date,
    /// Always zero or positive; the direction is [`Self::is_credit`].
    pub amount: Money,
    /// Money came in (CRDT), or went out (DBIT).
    pub is_credit: bool,
    /// The bank's own reference of the entry (camt `AcctSvcrRef`, else `NtryRef`), which
    /// identifies a booking when the same statement is imported twice.
    pub bank_reference: Option<String>,
    /// Unstructured remittance information (camt `Ustrd` lines, joined with a space). Where
    /// people write "Spende RF18 5390 0754 7034".
    pub remittance: Option<String>,
    /// A structured creditor reference as written in the file (camt
    /// `Strd/CdtrRefInf/Ref`), not validated: matching decides what it means.
    pub structured_reference: Option<String>,
    /// The other party: the debtor of a credit, the creditor of a debit.
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub kind: EntryKind,
}

/// Names of payment providers whose credits are payouts, not donations: a credit whose
/// counterparty name contains one of these words (any case) is [`EntryKind::Payout`]. So is a
/// credit whose remittance text contains one, unless it carries a creditor reference (a donor
/// who writes "not via PayPal" next to our reference is still a donor). Extend the list when
/// the organisation uses another provider that pays out by bank transfer.
pub const PAYOUT_NAMES: &[&str] = &["STRIPE", "PAYPAL"];

/// Why a statement file was refused. Every message says where (line, entry, CSV row) and what.
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error("the statement file is empty")]
    Empty,
    #[error("the statement file has {size} bytes; files over {limit} bytes are refused")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed XML at line {line}, column {column}: {message}")]
    MalformedXml { line: usize, column: usize, message: String },
    #[error(
        "line {line}: the file contains a DOCTYPE declaration; statements with a DTD are refused \
         (it could define entities that expand without bound or read other files)"
    )]
    Doctype { line: usize },
    #[error("line {line}: unknown entity reference &{name}; (only the five XML entities are read)")]
    UnknownEntity { line: usize, name: String },
    #[error("the XML declares the encoding {found:?}; statements are read in UTF-8 only")]
    Encoding { found: String },
    #[error("the root element is <{found}>; a camt.053 statement starts with <Document>")]
    WrongRoot { found: String },
    #[error(
        "the document's namespace is {found:?}; supported are camt.053.001.02 to camt.053.001.13 \
         (urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)"
    )]
    UnsupportedNamespace { found: String },
    #[error("the document has no statement (<BkToCstmrStmt>)")]
    NoStatement,
    #[error("entry {entry} (line {line}): {field} is missing")]
    MissingField { entry: u32, line: usize, field: &'static str },
    #[error("entry {entry} (line {line}): {field} {value:?} is invalid: {reason}")]
    InvalidField { entry: u32, line: usize, field: &'static str, value: String, reason: &'static str },
    #[error("entry {entry} (line {line}): unknown currency {code:?} in {field}")]
    UnknownCurrency { entry: u32, line: usize, field: &'static str, code: String },
    #[error("the CSV header has no column {column:?} (header row required: {expected})")]
    MissingColumn { column: &'static str, expected: &'static str },
    #[error("the CSV header has an unknown column {column:?} (known: {expected})")]
    UnknownColumn { column: String, expected: &'static str },
    #[error("the CSV header names column {column:?} twice")]
    DuplicateColumn { column: String },
    #[error("CSV row {row}: {column} {value:?} is invalid: {reason}")]
    InvalidCell { row: u64, column: &'static str, value: String, reason: &'static str },
    #[error("CSV row {row}: {message}")]
    Csv { row: u64, message: String },
    #[error("the statement has more than {max} entries")]
    TooManyEntries { max: u32 },
}

/// Reads a statement file: camt.053 XML if it starts with `<` (after an optional byte order
/// mark and white space), else the CSV layout of [`csv_statement`].
pub fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    check_size(bytes)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(StatementError::Empty),
        Some(b'<') => camt::parse(bytes),
        Some(_) => csv_statement::parse(bytes),
    }
}

/// The size check shared by both readers.
fn check_size(bytes: &[u8]) -> Result<(), StatementError> {
    if bytes.len() > MAX_STATEMENT_BYTES {
        return Err(StatementError::TooLarge { size: bytes.len(), limit: MAX_STATEMENT_BYTES });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(StatementError::Empty);
    }
    Ok(())
}

/// Shortens a value quoted in an error message: a broken file should give a readable message,
/// not echo a megabyte.
fn quoted(value: &str) -> String {
    const MAX: usize = 60;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// Whether a credit is a provider's payout ([`PAYOUT_NAMES`]).
fn is_payout(counterparty_name: Option<&str>, remittance: Option<&str>, has_reference: bool) -> bool {
    let names_provider = |text: &str| {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|word| PAYOUT_NAMES.iter().any(|name| word.eq_ignore_ascii_case(name)))
    };
    counterparty_name.is_some_and(names_provider)
        || (!has_reference && remittance.is_some_and(names_provider))
}

/// Whether an entry carries something that looks like one of our references, structured or in
/// the remittance text.
fn has_reference(structured: Option<&str>, remittance: Option<&str>) -> bool {
    structured.is_some_and(|s| !s.trim().is_empty())
        || remittance.is_some_and(|r| domain::payment::CreditorReference::find_in(r).is_some())
}

/// Line (1-based) and column (1-based, in bytes) of a byte offset, for error messages.
fn line_and_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_files_are_refused() {
        for bytes in [&b""[..], b"  \n\t ", b"\xEF\xBB\xBF\n"] {
            assert!(matches!(parse(bytes), Err(StatementError::Empty)), "{bytes:?}");
        }
    }

    #[test]
    fn xml_and_csv_are_told_apart() {
        let csv = b"booking_date,amount,currency\n2026-11-30,5.00,EUR\n";
        assert_eq!(parse(csv).unwrap().format, Format::Csv);
        let xml = b"\xEF\xBB\xBF  <Other/>";
        assert!(matches!(parse(xml), Err(StatementError::WrongRoot { .. })));
    }

    #[test]
    fn payouts_are_recognised_by_name_or_by_text_without_reference() {
        assert!(is_payout(Some("Stripe Technology Europe Ltd"), None, false));
        assert!(is_payout(Some("PAYPAL (EUROPE) S.A R.L. ET CIE"), Some("RF18 5390 0754 7034"), true));
        assert!(is_payout(None, Some("STRIPE PAYOUT 2026-11"), false));
        assert!(!is_payout(None, Some("Spende statt PayPal RF18539007547034"), true));
        assert!(!is_payout(Some("Anna Stripes"), None, false), "whole words only");
        assert!(!is_payout(Some("Erika Mustermann"), Some("Spende"), false));
    }

    #[test]
    fn positions_are_lines_and_columns() {
        assert_eq!(line_and_column(b"ab\ncd\nef", 0), (1, 1));
        assert_eq!(line_and_column(b"ab\ncd\nef", 4), (2, 2));
        assert_eq!(line_and_column(b"ab", 99), (1, 3));
    }

    #[test]
    fn quoted_values_are_shortened() {
        assert_eq!(quoted("short"), "short");
        assert_eq!(quoted(&"ä".repeat(100)).chars().count(), 61);
    }
}
