// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! ISO 20022 camt.053 ("BankToCustomerStatement") reader: the XML account statement European
//! banks offer for download, read into a [`Statement`].
//!
//! One streaming pass of quick-xml over the bytes, with a stack of element names, instead of the
//! `sepa` crate's camt types: those read only `RmtInf/Ustrd`, and our references mostly arrive in
//! `RmtInf/Strd/CdtrRefInf/Ref`. Elements are matched by local name and path, which is the same
//! for every version from camt.053.001.02 to .13 except two spots read both ways: the status
//! (`Sts` text in .02, `Sts/Cd` from .08) and the parties (`Dbtr/Nm` in .02, `Dbtr/Pty/Nm` from
//! .07). A generated 100,000-entry file (about 70 MB) takes about a second in a release build
//! on a 2-core machine. Several `Stmt` in one file (several accounts) are read in order.
//!
//! What is read, per `Ntry` (and per `NtryDtls/TxDtls` if the entry has transaction details):
//! `Amt` with its `Ccy`, `CdtDbtInd`, `RvslInd`, `Sts`, `BookgDt` (`Dt` or `DtTm`; `ValDt` if
//! missing), `AcctSvcrRef`/`NtryRef`, `BkTxCd`, `RltdPties`, `RmtInf`, `RtrInf`,
//! `AddtlNtryInf`/`AddtlTxInf`. Entries not booked (`Sts` `PDNG` or `INFO`) are skipped: the
//! statement that books them carries them again.
//!
//! Security: a DOCTYPE is refused outright, so no entity can be defined (no expansion bombs, no
//! external entities reading files or URLs); references to other entities than the five of XML
//! are refused; files over [`MAX_STATEMENT_BYTES`](super::MAX_STATEMENT_BYTES) are refused before
//! parsing; only UTF-8 is read. Errors say the line (and the entry, the `N`-th `Ntry` of the
//! file) and the field.

use super::{EntryKind, Format, Statement, StatementEntry, StatementError, line_and_column, quoted};
use domain::payment::{Currency, Money};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::ops::RangeInclusive;

/// The camt.053.001 message versions read (`urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN`).
pub const SUPPORTED_CAMT053_VERSIONS: RangeInclusive<u8> = 2..=13;

const NAMESPACE_PREFIX: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.";

/// Bank transaction sub-family codes (ISO 20022 external code list) of a returned or reversed
/// payment: RRTN reversal due to payment return, ARET ACH return, RPCR reversal due to a
/// cancellation request, UPDD reversal due to a returned or unpaid direct debit, PRDD reversal
/// due to a payment reversal. Proprietary codes (`BkTxCd/Prtry/Cd`, e.g. `PMNT/RCDT/RRTN`) are
/// checked word by word against the same list.
pub const RETURN_CODES: &[&str] = &["RRTN", "ARET", "RPCR", "UPDD", "PRDD"];

/// Reads a camt.053 statement.
pub fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    super::check_size(bytes)?;
    let mut parser = Parser { bytes, ..Parser::default() };
    parser.run()?;
    Ok(Statement { format: Format::Camt053, entries: parser.entries })
}

/// The element names that matter; all others are `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Document,
    BkToCstmrStmt,
    Stmt,
    Ntry,
    NtryRef,
    Amt,
    CdtDbtInd,
    RvslInd,
    Sts,
    Cd,
    BookgDt,
    ValDt,
    Dt,
    DtTm,
    AcctSvcrRef,
    BkTxCd,
    Domn,
    Fmly,
    SubFmlyCd,
    Prtry,
    AddtlNtryInf,
    NtryDtls,
    TxDtls,
    Refs,
    AmtDtls,
    TxAmt,
    InstdAmt,
    RltdPties,
    Dbtr,
    Cdtr,
    Pty,
    Nm,
    DbtrAcct,
    CdtrAcct,
    Id,
    Iban,
    RmtInf,
    Ustrd,
    Strd,
    CdtrRefInf,
    Ref,
    RtrInf,
    AddtlTxInf,
    Other,
}

impl Tag {
    fn of(local_name: &[u8]) -> Self {
        match local_name {
            b"Document" => Tag::Document,
            b"BkToCstmrStmt" => Tag::BkToCstmrStmt,
            b"Stmt" => Tag::Stmt,
            b"Ntry" => Tag::Ntry,
            b"NtryRef" => Tag::NtryRef,
            b"Amt" => Tag::Amt,
            b"CdtDbtInd" => Tag::CdtDbtInd,
            b"RvslInd" => Tag::RvslInd,
            b"Sts" => Tag::Sts,
            b"Cd" => Tag::Cd,
            b"BookgDt" => Tag::BookgDt,
            b"ValDt" => Tag::ValDt,
            b"Dt" => Tag::Dt,
            b"DtTm" => Tag::DtTm,
            b"AcctSvcrRef" => Tag::AcctSvcrRef,
            b"BkTxCd" => Tag::BkTxCd,
            b"Domn" => Tag::Domn,
            b"Fmly" => Tag::Fmly,
            b"SubFmlyCd" => Tag::SubFmlyCd,
            b"Prtry" => Tag::Prtry,
            b"AddtlNtryInf" => Tag::AddtlNtryInf,
            b"NtryDtls" => Tag::NtryDtls,
            b"TxDtls" => Tag::TxDtls,
            b"Refs" => Tag::Refs,
            b"AmtDtls" => Tag::AmtDtls,
            b"TxAmt" => Tag::TxAmt,
            b"InstdAmt" => Tag::InstdAmt,
            b"RltdPties" => Tag::RltdPties,
            b"Dbtr" => Tag::Dbtr,
            b"Cdtr" => Tag::Cdtr,
            b"Pty" => Tag::Pty,
            b"Nm" => Tag::Nm,
            b"DbtrAcct" => Tag::DbtrAcct,
            b"CdtrAcct" => Tag::CdtrAcct,
            b"Id" => Tag::Id,
            b"IBAN" => Tag::Iban,
            b"RmtInf" => Tag::RmtInf,
            b"Ustrd" => Tag::Ustrd,
            b"Strd" => Tag::Strd,
            b"CdtrRefInf" => Tag::CdtrRefInf,
            b"Ref" => Tag::Ref,
            b"RtrInf" => Tag::RtrInf,
            b"AddtlTxInf" => Tag::AddtlTxInf,
            _ => Tag::Other,
        }
    }
}

/// The leaf values kept, of an entry (`Ntry/...`) or of a transaction (`Ntry/NtryDtls/TxDtls/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    EntryRef,
    EntryAmount,
    EntryCreditDebit,
    Reversal,
    Status,
    BookingDate,
    ValueDate,
    EntryServicerRef,
    EntrySubFamily,
    EntryProprietary,
    EntryInfo,
    TxServicerRef,
    TxAmount,
    TxAmountDetails,
    TxInstructedAmount,
    TxCreditDebit,
    TxSubFamily,
    TxProprietary,
    DebtorName,
    CreditorName,
    DebtorIban,
    CreditorIban,
    Unstructured,
    Structured,
    TxInfo,
}

impl Field {
    fn is_amount(self) -> bool {
        matches!(
            self,
            Field::EntryAmount | Field::TxAmount | Field::TxAmountDetails | Field::TxInstructedAmount
        )
    }
}

/// The field at a path below `Ntry`.
fn entry_field(path: &[Tag]) -> Option<Field> {
    use Tag::*;
    Some(match path {
        [NtryRef] => Field::EntryRef,
        [Amt] => Field::EntryAmount,
        [CdtDbtInd] => Field::EntryCreditDebit,
        [RvslInd] => Field::Reversal,
        [Sts] | [Sts, Cd] => Field::Status,
        [BookgDt, Dt | DtTm] => Field::BookingDate,
        [ValDt, Dt | DtTm] => Field::ValueDate,
        [AcctSvcrRef] => Field::EntryServicerRef,
        [BkTxCd, Domn, Fmly, SubFmlyCd] => Field::EntrySubFamily,
        [BkTxCd, Prtry, Cd] => Field::EntryProprietary,
        [AddtlNtryInf] => Field::EntryInfo,
        _ => return None,
    })
}

/// The field at a path below `Ntry/NtryDtls/TxDtls`.
fn transaction_field(path: &[Tag]) -> Option<Field> {
    use Tag::*;
    Some(match path {
        [Refs, AcctSvcrRef] => Field::TxServicerRef,
        [Amt] => Field::TxAmount,
        [AmtDtls, TxAmt, Amt] => Field::TxAmountDetails,
        [AmtDtls, InstdAmt, Amt] => Field::TxInstructedAmount,
        [CdtDbtInd] => Field::TxCreditDebit,
        [BkTxCd, Domn, Fmly, SubFmlyCd] => Field::TxSubFamily,
        [BkTxCd, Prtry, Cd] => Field::TxProprietary,
        [RltdPties, Dbtr, Nm] | [RltdPties, Dbtr, Pty, Nm] => Field::DebtorName,
        [RltdPties, Cdtr, Nm] | [RltdPties, Cdtr, Pty, Nm] => Field::CreditorName,
        [RltdPties, DbtrAcct, Id, Iban] => Field::DebtorIban,
        [RltdPties, CdtrAcct, Id, Iban] => Field::CreditorIban,
        [RmtInf, Ustrd] => Field::Unstructured,
        [RmtInf, Strd, CdtrRefInf, Ref] => Field::Structured,
        [AddtlTxInf] => Field::TxInfo,
        _ => return None,
    })
}

/// An amount as written, converted once the entry is complete (so errors can name it).
#[derive(Debug, Default)]
struct RawAmount {
    text: String,
    currency: Option<String>,
}

#[derive(Debug, Default)]
struct RawTransaction {
    servicer_ref: Option<String>,
    amount: Option<RawAmount>,
    amount_details: Option<RawAmount>,
    instructed: Option<RawAmount>,
    credit_debit: Option<String>,
    sub_family: Option<String>,
    proprietary: Option<String>,
    debtor_name: Option<String>,
    creditor_name: Option<String>,
    debtor_iban: Option<String>,
    creditor_iban: Option<String>,
    unstructured: Vec<String>,
    structured: Option<String>,
    info: Option<String>,
    has_return_info: bool,
}

#[derive(Debug, Default)]
struct RawEntry {
    /// The `N`-th `Ntry` of the file, 1-based.
    number: u32,
    /// Byte offset of its start tag.
    offset: usize,
    entry_ref: Option<String>,
    amount: Option<RawAmount>,
    credit_debit: Option<String>,
    reversal: Option<String>,
    status: Option<String>,
    booking_date: Option<String>,
    value_date: Option<String>,
    servicer_ref: Option<String>,
    sub_family: Option<String>,
    proprietary: Option<String>,
    info: Option<String>,
    transactions: Vec<RawTransaction>,
}

/// The streaming state. `Ntry` sits at depth 3 (`Document/BkToCstmrStmt/Stmt/Ntry`).
#[derive(Default)]
struct Parser<'a> {
    bytes: &'a [u8],
    stack: Vec<Tag>,
    seen_root: bool,
    seen_statement: bool,
    entry_count: u32,
    entry: Option<RawEntry>,
    transaction: Option<RawTransaction>,
    /// Index in `stack` of the open `TxDtls`.
    transaction_at: Option<usize>,
    /// The field whose text is being collected, and the stack length of its element.
    capture: Option<(Field, usize)>,
    text: String,
    currency: Option<String>,
    entries: Vec<StatementEntry>,
}

const ENTRY_AT: usize = 3;

impl Parser<'_> {
    fn run(&mut self) -> Result<(), StatementError> {
        let mut reader = Reader::from_reader(self.bytes);
        // Trimming stays off: it would also cut the spaces around `&amp;` in "Müller &amp; Söhne".
        reader.config_mut().check_end_names = true;
        loop {
            let before = offset(reader.buffer_position());
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(error) => return Err(self.malformed(offset(reader.error_position()), error.to_string())),
            };
            match event {
                Event::Decl(declaration) => {
                    if let Some(encoding) = declaration.encoding() {
                        let encoding = encoding.map_err(|error| self.malformed(before, error.to_string()))?;
                        let encoding = String::from_utf8_lossy(&encoding).into_owned();
                        if !encoding.eq_ignore_ascii_case("UTF-8") && !encoding.eq_ignore_ascii_case("UTF8") {
                            return Err(StatementError::Encoding { found: quoted(&encoding) });
                        }
                    }
                }
                Event::DocType(_) => {
                    return Err(StatementError::Doctype { line: line_and_column(self.bytes, before).0 });
                }
                Event::Start(element) => self.open(&element, before)?,
                Event::Empty(element) => {
                    self.open(&element, before)?;
                    self.close()?;
                }
                Event::End(_) => self.close()?,
                Event::Text(text) => {
                    if self.capture.is_some() {
                        let text = text
                            .xml10_content()
                            .map_err(|error| self.malformed(before, error.to_string()))?;
                        self.text.push_str(&text);
                    }
                }
                Event::CData(data) => {
                    if self.capture.is_some() {
                        let text =
                            data.decode().map_err(|error| self.malformed(before, error.to_string()))?;
                        self.text.push_str(&text);
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => {
                            let name = reference.decode().unwrap_or(Cow::Borrowed("?"));
                            match &*name {
                                "lt" => '<',
                                "gt" => '>',
                                "amp" => '&',
                                "apos" => '\'',
                                "quot" => '"',
                                other => {
                                    return Err(StatementError::UnknownEntity {
                                        line: line_and_column(self.bytes, before).0,
                                        name: quoted(other),
                                    });
                                }
                            }
                        }
                        Err(error) => return Err(self.malformed(before, error.to_string())),
                    };
                    if self.capture.is_some() {
                        self.text.push(resolved);
                    }
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => break,
            }
        }
        if let Some(open) = self.stack.last() {
            return Err(self.malformed(self.bytes.len(), format!("the file ends inside <{open:?}>")));
        }
        if !self.seen_root {
            return Err(self.malformed(self.bytes.len(), "no root element".to_owned()));
        }
        if !self.seen_statement {
            return Err(StatementError::NoStatement);
        }
        Ok(())
    }

    fn malformed(&self, at: usize, message: String) -> StatementError {
        let (line, column) = line_and_column(self.bytes, at);
        StatementError::MalformedXml { line, column, message }
    }

    fn open(&mut self, element: &BytesStart<'_>, at: usize) -> Result<(), StatementError> {
        let tag = Tag::of(element.local_name().as_ref());
        if self.stack.is_empty() {
            if self.seen_root {
                return Err(self.malformed(at, "a second root element".to_owned()));
            }
            self.seen_root = true;
            if tag != Tag::Document {
                let found = String::from_utf8_lossy(element.name().as_ref()).into_owned();
                return Err(StatementError::WrongRoot { found: quoted(&found) });
            }
            self.check_namespace(element, at)?;
            self.stack.push(tag);
            return Ok(());
        }
        self.stack.push(tag);
        let depth = self.stack.len();
        if depth == 2 && tag == Tag::BkToCstmrStmt {
            self.seen_statement = true;
        }
        if depth == ENTRY_AT + 1 && tag == Tag::Ntry && self.stack[1..3] == [Tag::BkToCstmrStmt, Tag::Stmt] {
            self.entry_count = self.entry_count.saturating_add(1);
            self.entry = Some(RawEntry { number: self.entry_count, offset: at, ..RawEntry::default() });
            return Ok(());
        }
        if self.entry.is_none() || depth <= ENTRY_AT + 1 {
            return Ok(());
        }
        let field = match self.transaction_at {
            Some(transaction_index) => {
                let path = &self.stack[transaction_index + 1..];
                if path == [Tag::RtrInf]
                    && let Some(transaction) = self.transaction.as_mut()
                {
                    transaction.has_return_info = true;
                }
                transaction_field(path)
            }
            None => {
                let path = &self.stack[ENTRY_AT + 1..];
                if path == [Tag::NtryDtls, Tag::TxDtls] {
                    self.transaction = Some(RawTransaction::default());
                    self.transaction_at = Some(depth - 1);
                    return Ok(());
                }
                entry_field(path)
            }
        };
        if let Some(field) = field {
            if field.is_amount() {
                self.currency = currency_attribute(element).map_err(|message| self.malformed(at, message))?;
            }
            self.capture = Some((field, depth));
            self.text.clear();
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), StatementError> {
        let depth = self.stack.len();
        let Some(index) = depth.checked_sub(1) else {
            return Ok(());
        };
        if let Some((field, at)) = self.capture
            && at == depth
        {
            self.capture = None;
            let text = std::mem::take(&mut self.text);
            self.store(field, text);
        }
        self.stack.pop();
        if self.transaction_at == Some(index) {
            self.transaction_at = None;
            if let (Some(entry), Some(transaction)) = (self.entry.as_mut(), self.transaction.take()) {
                entry.transactions.push(transaction);
            }
        } else if depth == ENTRY_AT + 1
            && let Some(entry) = self.entry.take()
        {
            self.finish(entry)?;
        }
        Ok(())
    }

    /// Keeps a leaf's text; for single values the first one written wins.
    fn store(&mut self, field: Field, text: String) {
        let Some(value) = non_empty(text) else {
            return;
        };
        let set = |slot: &mut Option<String>, value: String| {
            if slot.is_none() {
                *slot = Some(value);
            }
        };
        let amount = |slot: &mut Option<RawAmount>, text: String, currency: Option<String>| {
            if slot.is_none() {
                *slot = Some(RawAmount { text, currency });
            }
        };
        let currency = self.currency.take();
        if let Some(transaction) = self.transaction.as_mut() {
            match field {
                Field::TxServicerRef => set(&mut transaction.servicer_ref, value),
                Field::TxAmount => amount(&mut transaction.amount, value, currency),
                Field::TxAmountDetails => amount(&mut transaction.amount_details, value, currency),
                Field::TxInstructedAmount => amount(&mut transaction.instructed, value, currency),
                Field::TxCreditDebit => set(&mut transaction.credit_debit, value),
                Field::TxSubFamily => set(&mut transaction.sub_family, value),
                Field::TxProprietary => set(&mut transaction.proprietary, value),
                Field::DebtorName => set(&mut transaction.debtor_name, value),
                Field::CreditorName => set(&mut transaction.creditor_name, value),
                Field::DebtorIban => set(&mut transaction.debtor_iban, value),
                Field::CreditorIban => set(&mut transaction.creditor_iban, value),
                Field::Unstructured => transaction.unstructured.push(value),
                Field::Structured => set(&mut transaction.structured, value),
                Field::TxInfo => set(&mut transaction.info, value),
                _ => {}
            }
            return;
        }
        let Some(entry) = self.entry.as_mut() else {
            return;
        };
        match field {
            Field::EntryRef => set(&mut entry.entry_ref, value),
            Field::EntryAmount => amount(&mut entry.amount, value, currency),
            Field::EntryCreditDebit => set(&mut entry.credit_debit, value),
            Field::Reversal => set(&mut entry.reversal, value),
            Field::Status => set(&mut entry.status, value),
            Field::BookingDate => set(&mut entry.booking_date, value),
            Field::ValueDate => set(&mut entry.value_date, value),
            Field::EntryServicerRef => set(&mut entry.servicer_ref, value),
            Field::EntrySubFamily => set(&mut entry.sub_family, value),
            Field::EntryProprietary => set(&mut entry.proprietary, value),
            Field::EntryInfo => set(&mut entry.info, value),
            _ => {}
        }
    }

    /// Turns a complete `Ntry` into statement entries. The line of an error is counted only
    /// when there is an error: counting for every entry would make a big file quadratic.
    fn finish(&mut self, raw: RawEntry) -> Result<(), StatementError> {
        let offset = raw.offset;
        self.convert(raw).map_err(|mut error| {
            if let StatementError::MissingField { line, .. }
            | StatementError::InvalidField { line, .. }
            | StatementError::UnknownCurrency { line, .. } = &mut error
            {
                *line = line_and_column(self.bytes, offset).0;
            }
            error
        })
    }

    fn convert(&mut self, raw: RawEntry) -> Result<(), StatementError> {
        let number = raw.number;
        // Filled in by `finish` if there is an error.
        let line = 0;
        if raw.status.as_deref().is_some_and(|status| !status.eq_ignore_ascii_case("BOOK")) {
            return Ok(());
        }
        let missing = |field| StatementError::MissingField { entry: number, line, field };
        let invalid = |field, value: &str, reason| StatementError::InvalidField {
            entry: number,
            line,
            field,
            value: quoted(value),
            reason,
        };
        let (date_text, date_field) = match (&raw.booking_date, &raw.value_date) {
            (Some(date), _) => (date, "BookgDt"),
            (None, Some(date)) => (date, "ValDt"),
            (None, None) => return Err(missing("BookgDt")),
        };
        let booking_date =
            parse_date(date_text).ok_or_else(|| invalid(date_field, date_text, "not a date YYYY-MM-DD"))?;
        let credit_debit = raw.credit_debit.as_deref().ok_or_else(|| missing("Ntry/CdtDbtInd"))?;
        let entry_is_credit = parse_credit_debit(credit_debit)
            .ok_or_else(|| invalid("Ntry/CdtDbtInd", credit_debit, "neither CRDT nor DBIT"))?;
        let raw_amount = raw.amount.as_ref().ok_or_else(|| missing("Ntry/Amt"))?;
        let entry_amount = money(raw_amount, "Ntry/Amt", number, line)?;
        let reversal = match raw.reversal.as_deref() {
            None => false,
            Some(text) => {
                parse_bool(text).ok_or_else(|| invalid("RvslInd", text, "neither true nor false"))?
            }
        };
        let entry_returned = reversal
            || is_return_code(raw.sub_family.as_deref())
            || is_return_code(raw.proprietary.as_deref());
        let entry_reference = raw.servicer_ref.clone().or_else(|| raw.entry_ref.clone());

        if raw.transactions.is_empty() {
            let remittance = raw.info.clone();
            let kind = kind(entry_is_credit, entry_returned, None, remittance.as_deref(), None);
            self.push(StatementEntry {
                position: 0,
                booking_date,
                amount: entry_amount,
                is_credit: entry_is_credit,
                bank_reference: entry_reference,
                remittance,
                structured_reference: None,
                counterparty_name: None,
                counterparty_iban: None,
                kind,
            })?;
            return Ok(());
        }

        let count = raw.transactions.len();
        for (index, transaction) in raw.transactions.into_iter().enumerate() {
            let amount =
                match (&transaction.amount, &transaction.amount_details, &transaction.instructed, count) {
                    (Some(amount), _, _, _) => money(amount, "TxDtls/Amt", number, line)?,
                    (None, Some(amount), _, _) => money(amount, "TxDtls/AmtDtls/TxAmt/Amt", number, line)?,
                    (None, None, _, 1) => entry_amount,
                    (None, None, Some(amount), _) => {
                        money(amount, "TxDtls/AmtDtls/InstdAmt/Amt", number, line)?
                    }
                    (None, None, None, _) => return Err(missing("TxDtls/Amt")),
                };
            let is_credit = match transaction.credit_debit.as_deref() {
                None => entry_is_credit,
                Some(text) => parse_credit_debit(text)
                    .ok_or_else(|| invalid("TxDtls/CdtDbtInd", text, "neither CRDT nor DBIT"))?,
            };
            // Every line of a batch keeps a reference of its own, so re-importing the same
            // statement finds each one again.
            let bank_reference = transaction.servicer_ref.or_else(|| match (&entry_reference, count) {
                (Some(reference), 1) => Some(reference.clone()),
                (Some(reference), _) => Some(format!("{reference}/{}", index + 1)),
                (None, _) => None,
            });
            let remittance = if transaction.unstructured.is_empty() {
                if transaction.structured.is_none() {
                    transaction.info.or_else(|| if count == 1 { raw.info.clone() } else { None })
                } else {
                    None
                }
            } else {
                Some(join_lines(&transaction.unstructured))
            };
            let (counterparty_name, counterparty_iban) = if is_credit {
                (transaction.debtor_name, transaction.debtor_iban)
            } else {
                (transaction.creditor_name, transaction.creditor_iban)
            };
            let returned = entry_returned
                || transaction.has_return_info
                || is_return_code(transaction.sub_family.as_deref())
                || is_return_code(transaction.proprietary.as_deref());
            let kind = kind(
                is_credit,
                returned,
                counterparty_name.as_deref(),
                remittance.as_deref(),
                transaction.structured.as_deref(),
            );
            self.push(StatementEntry {
                position: 0,
                booking_date,
                amount,
                is_credit,
                bank_reference,
                remittance,
                structured_reference: transaction.structured,
                counterparty_name,
                counterparty_iban: counterparty_iban.map(|iban| iban.replace(' ', "")),
                kind,
            })?;
        }
        Ok(())
    }

    fn push(&mut self, mut entry: StatementEntry) -> Result<(), StatementError> {
        entry.position = u32::try_from(self.entries.len() + 1)
            .map_err(|_| StatementError::TooManyEntries { max: u32::MAX })?;
        self.entries.push(entry);
        Ok(())
    }

    /// The document must be in a camt.053.001 namespace of a supported version.
    fn check_namespace(&self, root: &BytesStart<'_>, at: usize) -> Result<(), StatementError> {
        let key: Cow<'_, [u8]> = match root.name().prefix() {
            Some(prefix) => [b"xmlns:", prefix.as_ref()].concat().into(),
            None => Cow::Borrowed(b"xmlns"),
        };
        let mut found = None;
        for attribute in root.attributes() {
            let attribute = attribute.map_err(|error| self.malformed(at, error.to_string()))?;
            if attribute.key.as_ref() == key.as_ref() {
                let value =
                    attribute.unescape_value().map_err(|error| self.malformed(at, error.to_string()))?;
                found = Some(value.into_owned());
            }
        }
        let found = found.unwrap_or_default();
        let supported = found
            .strip_prefix(NAMESPACE_PREFIX)
            .filter(|version| version.len() == 2)
            .and_then(|version| version.parse::<u8>().ok())
            .is_some_and(|version| SUPPORTED_CAMT053_VERSIONS.contains(&version));
        if supported { Ok(()) } else { Err(StatementError::UnsupportedNamespace { found: quoted(&found) }) }
    }
}

/// The reader's `u64` positions as slice offsets (a statement is never larger than memory).
fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

fn currency_attribute(element: &BytesStart<'_>) -> Result<Option<String>, String> {
    match element.try_get_attribute("Ccy") {
        Ok(Some(attribute)) => attribute
            .unescape_value()
            .map(|value| Some(value.into_owned()))
            .map_err(|error| error.to_string()),
        Ok(None) => Ok(None),
        Err(error) => Err(error.to_string()),
    }
}

fn money(raw: &RawAmount, field: &'static str, entry: u32, line: usize) -> Result<Money, StatementError> {
    let code = raw.currency.as_deref().ok_or(StatementError::MissingField {
        entry,
        line,
        field: "Ccy (currency attribute of an amount)",
    })?;
    let currency = Currency::parse(code).map_err(|_| StatementError::UnknownCurrency {
        entry,
        line,
        field,
        code: quoted(code),
    })?;
    Money::parse_decimal(&raw.text, currency).map_err(|_| StatementError::InvalidField {
        entry,
        line,
        field,
        value: quoted(&raw.text),
        reason: "not a decimal amount with at most the currency's decimals",
    })
}

fn kind(
    is_credit: bool,
    returned: bool,
    counterparty_name: Option<&str>,
    remittance: Option<&str>,
    structured: Option<&str>,
) -> EntryKind {
    if returned {
        EntryKind::Returned
    } else if is_credit
        && super::is_payout(counterparty_name, remittance, super::has_reference(structured, remittance))
    {
        EntryKind::Payout
    } else {
        EntryKind::Transfer
    }
}

fn is_return_code(code: Option<&str>) -> bool {
    code.is_some_and(|code| {
        code.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| RETURN_CODES.iter().any(|known| word.eq_ignore_ascii_case(known)))
    })
}

fn parse_credit_debit(text: &str) -> Option<bool> {
    match text {
        "CRDT" => Some(true),
        "DBIT" => Some(false),
        _ => None,
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `2026-11-30`, or the date of a date-time `2026-11-30T10:15:00+01:00`.
pub(super) fn parse_date(text: &str) -> Option<time::Date> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 || (bytes.len() > 10 && bytes[10] != b'T') || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        let part = text.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse::<u16>().ok() } else { None }
    };
    let year = i32::from(number(0..4)?);
    let month = time::Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let day = u8::try_from(number(8..10)?).ok()?;
    time::Date::from_calendar_date(year, month, day).ok()
}

/// The `Ustrd` lines as one text: each trimmed, runs of white space (line breaks included)
/// made one space, joined with a space.
fn join_lines(lines: &[String]) -> String {
    let mut joined = String::new();
    for word in lines.iter().flat_map(|line| line.split_whitespace()) {
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(word);
    }
    joined
}

fn non_empty(text: String) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == text.len() {
        Some(text)
    } else {
        Some(trimmed.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_date_times_are_read() {
        let date = |y, m, d| time::Date::from_calendar_date(y, m, d).unwrap();
        assert_eq!(parse_date("2026-11-30"), Some(date(2026, time::Month::November, 30)));
        assert_eq!(parse_date("2026-02-01T23:59:59+01:00"), Some(date(2026, time::Month::February, 1)));
        for bad in ["", "2026-13-01", "2026-02-30", "30.11.2026", "2026-11-30Z", "+026-11-30", "2026-1-30"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn return_codes_are_found_in_iso_and_proprietary_codes() {
        assert!(is_return_code(Some("RRTN")));
        assert!(is_return_code(Some("PMNT/RCDT/RRTN")));
        assert!(is_return_code(Some("aret")));
        assert!(!is_return_code(Some("ESCT")));
        assert!(!is_return_code(Some("NTRF+166")));
        assert!(!is_return_code(None));
    }

    #[test]
    fn remittance_lines_are_joined() {
        let lines = ["  Spende RF18 5390\n".to_owned(), "0754 7034 ".to_owned(), "danke".to_owned()];
        assert_eq!(join_lines(&lines), "Spende RF18 5390 0754 7034 danke");
    }

    #[test]
    fn paths_map_to_fields_in_both_party_layouts() {
        use Tag::*;
        assert_eq!(transaction_field(&[RltdPties, Dbtr, Nm]), Some(Field::DebtorName));
        assert_eq!(transaction_field(&[RltdPties, Dbtr, Pty, Nm]), Some(Field::DebtorName));
        assert_eq!(transaction_field(&[RltdPties, Other, Nm]), None, "UltmtDbtr is not the debtor");
        assert_eq!(entry_field(&[Sts]), Some(Field::Status));
        assert_eq!(entry_field(&[Sts, Cd]), Some(Field::Status));
        assert_eq!(entry_field(&[BookgDt, DtTm]), Some(Field::BookingDate));
    }
}
