// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Our CSV statement layout, for banks that offer no camt.053: an administrator exports the
//! bank's CSV, renames the columns to these and imports it. Every bank's own CSV differs (and
//! changes without notice), so instead of guessing at them there is one documented layout.
//!
//! - UTF-8, a header row, then one row per booking. Comma-separated, or semicolon-separated
//!   when the header row has a `;` and no `,` (spreadsheets in German or French write those).
//! - Columns by name, in any order, cells trimmed:
//!   - `booking_date` (required): `YYYY-MM-DD`.
//!   - `amount` (required): a decimal with `.` or `,` and at most the currency's decimals, no
//!     thousands separator; a leading `-` marks a debit (money going out).
//!   - `currency` (required): ISO 4217, e.g. `EUR`.
//!   - `reference`, `remittance`, `counterparty_name`, `counterparty_iban`, `bank_reference`
//!     (optional; the column may be left out or the cell empty). `reference` is a structured
//!     creditor reference (RF...), `remittance` the free text of the transfer.
//! - A column of another name is refused (a typo such as `refrence` would otherwise silently
//!   lose every reference).
//!
//! Errors name the row as the line number in the file (the header is line 1). The full
//! description for administrators is in `docs/bank-statements.md`.

use super::{EntryKind, Format, Statement, StatementEntry, StatementError, quoted};
use domain::payment::{Currency, Money};

/// The columns, in the order the documentation lists them.
pub const COLUMNS: [&str; 8] = [
    "booking_date",
    "amount",
    "currency",
    "reference",
    "remittance",
    "counterparty_name",
    "counterparty_iban",
    "bank_reference",
];

const EXPECTED: &str = "booking_date, amount, currency, and optionally reference, remittance, \
                        counterparty_name, counterparty_iban, bank_reference";

const REQUIRED: [&str; 3] = ["booking_date", "amount", "currency"];

/// Reads a statement in our CSV layout.
pub fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    super::check_size(bytes)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.contains(&b';') && !first_line.contains(&b',') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(bytes);

    let headers = reader.headers().map_err(|error| csv_error(&error, 1))?.clone();
    let mut index: [Option<usize>; COLUMNS.len()] = [None; COLUMNS.len()];
    for (position, name) in headers.iter().enumerate() {
        let name = name.to_ascii_lowercase();
        let Some(column) = COLUMNS.iter().position(|known| *known == name) else {
            return Err(StatementError::UnknownColumn { column: quoted(&name), expected: EXPECTED });
        };
        if index[column].replace(position).is_some() {
            return Err(StatementError::DuplicateColumn { column: name });
        }
    }
    for (column, found) in COLUMNS.iter().zip(index) {
        if found.is_none() && REQUIRED.contains(column) {
            return Err(StatementError::MissingColumn { column, expected: EXPECTED });
        }
    }

    let mut entries = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let row = reader.position().line() + 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => return Err(csv_error(&error, row)),
        }
        let row = record.position().map_or(row, csv::Position::line);
        let cell = |column: usize| {
            index[column].and_then(|i| record.get(i)).filter(|value| !value.is_empty()).map(str::to_owned)
        };
        let invalid = |column: &'static str, value: &str, reason| StatementError::InvalidCell {
            row,
            column,
            value: quoted(value),
            reason,
        };

        let date_text = cell(0).unwrap_or_default();
        let booking_date = super::camt::parse_date(&date_text)
            .filter(|_| date_text.len() == 10)
            .ok_or_else(|| invalid("booking_date", &date_text, "not a date YYYY-MM-DD"))?;
        let currency_text = cell(2).unwrap_or_default();
        let currency = Currency::parse(&currency_text)
            .map_err(|_| invalid("currency", &currency_text, "not a known ISO 4217 currency code"))?;
        let amount_text = cell(1).unwrap_or_default();
        let (is_credit, unsigned) = match amount_text.strip_prefix('-') {
            Some(rest) => (false, rest),
            None => (true, amount_text.as_str()),
        };
        let amount = Money::parse_decimal(unsigned, currency).map_err(|_| {
            invalid(
                "amount",
                &amount_text,
                "not a decimal amount (at most the currency's decimals, no thousands separator)",
            )
        })?;
        let structured_reference = cell(3);
        let remittance = cell(4);
        let counterparty_name = cell(5);
        let kind = if is_credit
            && super::is_payout(
                counterparty_name.as_deref(),
                remittance.as_deref(),
                super::has_reference(structured_reference.as_deref(), remittance.as_deref()),
            ) {
            EntryKind::Payout
        } else {
            EntryKind::Transfer
        };
        let position =
            u32::try_from(entries.len() + 1).map_err(|_| StatementError::TooManyEntries { max: u32::MAX })?;
        entries.push(StatementEntry {
            position,
            booking_date,
            amount,
            is_credit,
            bank_reference: cell(7),
            remittance,
            structured_reference,
            counterparty_name,
            counterparty_iban: cell(6).map(|iban| iban.replace(' ', "")),
            kind,
        });
    }
    Ok(Statement { format: Format::Csv, entries })
}

fn csv_error(error: &csv::Error, row: u64) -> StatementError {
    let row = error.position().map_or(row, csv::Position::line);
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} cells where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_owned(),
        _ => error.to_string(),
    };
    StatementError::Csv { row, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_may_come_in_any_order_and_with_semicolons() {
        let csv = "Currency;Amount;Booking_Date;Remittance\nEUR;-12,50;2026-11-30;Druckkosten\n";
        let statement = parse(csv.as_bytes()).unwrap();
        let entry = &statement.entries[0];
        assert_eq!(entry.amount.minor, 1250);
        assert!(!entry.is_credit);
        assert_eq!(entry.remittance.as_deref(), Some("Druckkosten"));
        assert_eq!(entry.structured_reference, None);
    }

    #[test]
    fn unknown_and_duplicate_columns_are_refused() {
        let unknown = parse(b"booking_date,amount,currency,refrence\n");
        assert!(
            matches!(unknown, Err(StatementError::UnknownColumn { ref column, .. }) if column == "refrence")
        );
        let twice = parse(b"booking_date,amount,currency,amount\n");
        assert!(matches!(twice, Err(StatementError::DuplicateColumn { .. })));
    }

    #[test]
    fn a_header_without_rows_is_an_empty_statement() {
        assert!(parse(b"booking_date,amount,currency\n").unwrap().entries.is_empty());
    }
}
