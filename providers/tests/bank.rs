// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Bank statement files end to end: the camt.053 (.02 and .08) and CSV fixtures in
//! `tests/fixtures/bank/`, hostile and broken XML, and a generated 100,000-entry statement.
//! Run with `cargo test -p providers --test bank`.

use domain::payment::{CreditorReference, Currency};
use providers::bank::{self, EntryKind, Format, StatementError};
use time::{Date, Month};

const CAMT_02: &[u8] = include_bytes!("fixtures/bank/camt053_v02.xml");
const CAMT_08: &[u8] = include_bytes!("fixtures/bank/camt053_v08.xml");
const CSV: &[u8] = include_bytes!("fixtures/bank/statement.csv");

fn date(day: u8, month: Month) -> Date {
    Date::from_calendar_date(2026, month, day).unwrap_or(Date::MIN)
}

/// A minimal camt.053 document around the given entries.
fn camt(namespace: &str, entries: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{namespace}"><BkToCstmrStmt><GrpHdr><MsgId>T</MsgId></GrpHdr><Stmt><Id>S</Id>
{entries}
</Stmt></BkToCstmrStmt></Document>
"#
    )
    .into_bytes()
}

const V08: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08";

fn entry(amount: &str, date: &str) -> String {
    format!(
        "<Ntry><Amt {amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
         <BookgDt><Dt>{date}</Dt></BookgDt></Ntry>"
    )
}

#[test]
fn camt_053_001_02_is_read_entry_by_entry() {
    let statement = bank::parse(CAMT_02).unwrap();
    assert_eq!(statement.format, Format::Camt053);
    let entries = &statement.entries;
    assert_eq!(entries.len(), 9, "8 booked entries, one a batch of two; the pending one skipped");
    assert_eq!(entries.iter().map(|e| e.position).collect::<Vec<_>>(), (1..=9).collect::<Vec<_>>());

    let split = &entries[0];
    assert_eq!(split.booking_date, date(30, Month::November));
    assert_eq!((split.amount.minor, split.amount.currency), (2500, Currency::EUR));
    assert!(split.is_credit);
    assert_eq!(split.bank_reference.as_deref(), Some("2026113000001"));
    assert_eq!(split.remittance.as_deref(), Some("Spende RF18 5390 0754 7034"));
    assert_eq!(split.structured_reference, None);
    assert_eq!(split.counterparty_name.as_deref(), Some("Erika Mustermann"));
    assert_eq!(split.counterparty_iban.as_deref(), Some("DE02120300000000202051"));
    assert_eq!(split.kind, EntryKind::Transfer);
    let found = CreditorReference::find_in(split.remittance.as_deref().unwrap()).unwrap();
    assert_eq!(found.as_str(), "RF18539007547034");

    let structured = &entries[1];
    assert_eq!(structured.booking_date, date(30, Month::November), "from BookgDt/DtTm");
    assert_eq!(structured.amount.minor, 1050, "the entry amount, as TxDtls has none");
    assert_eq!(structured.structured_reference.as_deref(), Some("RF712348231"));
    assert_eq!(structured.remittance, None);
    assert_eq!(structured.counterparty_name.as_deref(), Some("Müller & Söhne GmbH"), "entities resolved");

    let debit = &entries[2];
    assert!(!debit.is_credit);
    assert_eq!(debit.amount.minor, 12000, "debits are positive too");
    assert_eq!(debit.bank_reference.as_deref(), Some("NR-3"), "NtryRef without AcctSvcrRef");
    assert_eq!(
        debit.counterparty_name.as_deref(),
        Some("Druckerei Beispiel GmbH"),
        "the creditor of a debit"
    );
    assert_eq!(debit.counterparty_iban.as_deref(), Some("DE75512108001245126199"));
    assert_eq!(debit.kind, EntryKind::Transfer);

    assert_eq!(entries[3].kind, EntryKind::Returned, "RvslInd true");
    assert_eq!(entries[4].kind, EntryKind::Payout, "Stripe in the debtor name");
    assert_eq!(entries[4].amount.minor, 73120);

    let chf = &entries[5];
    assert_eq!(chf.amount.currency, Currency::parse("CHF").unwrap(), "foreign currencies are kept");
    assert_eq!(chf.amount.minor, 5000);
    assert_eq!(chf.kind, EntryKind::Transfer);

    let (first, second) = (&entries[6], &entries[7]);
    assert_eq!((first.amount.minor, second.amount.minor), (1000, 2000), "AmtDtls/TxAmt of each TxDtls");
    assert_eq!(first.bank_reference.as_deref(), Some("B-7/1"), "batch lines keep references of their own");
    assert_eq!(second.bank_reference.as_deref(), Some("B-7/2"));
    assert_eq!(first.structured_reference.as_deref(), Some("RF18 5390 0754 7034"), "as written");
    assert_eq!(second.remittance.as_deref(), Some("Beitrag November"), "Ustrd lines joined with a space");
    assert_eq!(second.counterparty_name.as_deref(), Some("Bert Zweiter"));

    let fee = &entries[8];
    assert_eq!(fee.amount.minor, 455);
    assert!(!fee.is_credit);
    assert_eq!(fee.remittance.as_deref(), Some("Kontofuehrung November"), "AddtlNtryInf when no details");
    assert_eq!(fee.counterparty_name, None);
}

#[test]
fn camt_053_001_08_is_read_entry_by_entry() {
    let statement = bank::parse(CAMT_08).unwrap();
    let entries = &statement.entries;
    assert_eq!(entries.len(), 9);

    let split = &entries[0];
    assert_eq!(split.booking_date, date(1, Month::December));
    assert_eq!(split.amount.minor, 4200);
    assert_eq!(split.counterparty_name.as_deref(), Some("Jürgen Schäfer"), "Dbtr/Pty/Nm, not UltmtDbtr");
    assert_eq!(split.remittance.as_deref(), Some("Spende Dezember RF18 5390 07 54 7034 danke"));
    assert_eq!(
        CreditorReference::find_in(split.remittance.as_deref().unwrap()).map(|r| r.as_str().to_owned()),
        Some("RF18539007547034".to_owned()),
        "a reference split over two Ustrd lines is still found"
    );
    assert_eq!(split.kind, EntryKind::Transfer, "RvslInd false");

    let structured = &entries[1];
    assert_eq!(structured.structured_reference.as_deref(), Some("rf18 5390 0754 7034"));
    assert_eq!(
        CreditorReference::parse(structured.structured_reference.as_deref().unwrap()).unwrap().as_str(),
        "RF18539007547034"
    );
    assert_eq!(structured.counterparty_name.as_deref(), Some("Zofia <Kowalska>"), "CDATA is text");
    assert_eq!(structured.bank_reference.as_deref(), Some("A-1002"));

    let debit = &entries[2];
    assert!(!debit.is_credit);
    assert_eq!(debit.counterparty_name.as_deref(), Some("Hosting Provider SE"));

    let returned = &entries[3];
    assert!(returned.is_credit);
    assert_eq!(returned.kind, EntryKind::Returned, "RRTN and RtrInf");

    let paypal = &entries[4];
    assert_eq!(paypal.kind, EntryKind::Payout);

    let chf = &entries[5];
    assert_eq!(chf.amount.currency.as_str(), "CHF");
    assert_eq!(chf.counterparty_iban.as_deref(), Some("CH9300762011623852957"), "spaces removed");

    let batch = &entries[6..9];
    assert_eq!(batch.iter().map(|e| e.amount.minor).collect::<Vec<_>>(), [500, 2500, 3000]);
    assert_eq!(
        batch.iter().map(|e| e.bank_reference.as_deref().unwrap()).collect::<Vec<_>>(),
        ["A-1007-1", "A-1007-2", "A-1007-3"]
    );
    assert_eq!(batch[0].structured_reference.as_deref(), Some("RF18539007547034"));
    assert_eq!(batch[1].remittance.as_deref(), Some("Spende RF71 2348 231"));
    assert_eq!((batch[2].remittance.as_deref(), batch[2].structured_reference.as_deref()), (None, None));
    assert!(batch.iter().all(|e| e.kind == EntryKind::Transfer && e.is_credit));
}

#[test]
fn a_namespace_prefix_is_read() {
    let xml = format!(
        r#"<c:Document xmlns:c="{V08}"><c:BkToCstmrStmt><c:Stmt>
        <c:Ntry><c:Amt Ccy="EUR">1.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts><c:Cd>BOOK</c:Cd></c:Sts>
        <c:BookgDt><c:Dt>2026-12-01</c:Dt></c:BookgDt></c:Ntry></c:Stmt></c:BkToCstmrStmt></c:Document>"#
    );
    let statement = bank::parse(xml.as_bytes()).unwrap();
    assert_eq!(statement.entries[0].amount.minor, 100);
    // The default namespace does not count for a prefixed root.
    let xml = format!(r#"<c:Document xmlns="{V08}" xmlns:c="urn:other"><c:BkToCstmrStmt/></c:Document>"#);
    assert!(matches!(bank::parse(xml.as_bytes()), Err(StatementError::UnsupportedNamespace { .. })));
}

#[test]
fn malformed_xml_is_refused_with_line_and_column() {
    let xml = camt(V08, "<Ntry><Amt Ccy=\"EUR\">1.00</Amt>\n<CdtDbtInd>CRDT</Amt></Ntry>");
    match bank::parse(&xml) {
        Err(StatementError::MalformedXml { line, column, message }) => {
            assert_eq!(line, 4, "{message}");
            assert!(column > 1, "{column}");
            assert!(message.contains("CdtDbtInd"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let truncated = &CAMT_08[..CAMT_08.len() / 2];
    assert!(matches!(bank::parse(truncated), Err(StatementError::MalformedXml { .. })));
    let unquoted = camt(V08, "<Ntry><Amt Ccy=EUR>1.00</Amt></Ntry>");
    assert!(matches!(bank::parse(&unquoted), Err(StatementError::MalformedXml { .. })));
    let two_roots = [camt(V08, ""), camt(V08, "")].concat();
    assert!(matches!(bank::parse(&two_roots), Err(StatementError::MalformedXml { .. })));
}

#[test]
fn an_entity_expansion_bomb_is_refused() {
    let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Ntry>
<Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-12-01</Dt></BookgDt>
<AddtlNtryInf>&lol9;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"#;
    assert!(matches!(bank::parse(bomb), Err(StatementError::Doctype { line: 2 })));
}

#[test]
fn external_entities_are_refused_and_read_nothing() {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let first_line = passwd.lines().next().unwrap_or("root:x:0:0").to_owned();
    let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Document [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Ntry>
<Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-12-01</Dt></BookgDt>
<AddtlNtryInf>&x;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"#;
    let error = bank::parse(xml).unwrap_err();
    assert!(matches!(error, StatementError::Doctype { line: 2 }), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(&first_line) && !shown.contains("root:"), "{shown}");
    assert!(!shown.contains("ENTITY"), "the DTD itself is not echoed: {shown}");

    // Without a DOCTYPE, a reference to an undefined entity is refused, not left as text.
    let xml = camt(V08, "<Ntry><AddtlNtryInf>&x;</AddtlNtryInf></Ntry>");
    assert!(
        matches!(bank::parse(&xml), Err(StatementError::UnknownEntity { line: 3, ref name }) if name == "x")
    );
    // A parameter-entity style external subset is refused the same way.
    let xml = br#"<!DOCTYPE Document SYSTEM "http://example.invalid/camt.dtd"><Document/>"#;
    assert!(matches!(bank::parse(xml), Err(StatementError::Doctype { line: 1 })));
}

#[test]
fn other_messages_and_versions_are_refused_naming_the_namespace() {
    for namespace in [
        "urn:iso:std:iso:20022:tech:xsd:camt.052.001.08",
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.99",
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.1",
        "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09",
        "",
    ] {
        let error = bank::parse(&camt(namespace, "")).unwrap_err();
        assert!(
            matches!(&error, StatementError::UnsupportedNamespace { found } if found == namespace),
            "{namespace}: {error:?}"
        );
        assert!(error.to_string().contains(&format!("{namespace:?}")), "{error}");
    }
    let no_namespace = br#"<Document><BkToCstmrStmt/></Document>"#;
    assert!(matches!(bank::parse(no_namespace), Err(StatementError::UnsupportedNamespace { .. })));
    for version in ["02", "04", "08", "13"] {
        let namespace = format!("urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}");
        assert!(bank::parse(&camt(&namespace, "")).unwrap().entries.is_empty(), "{version}");
    }
}

#[test]
fn a_wrong_root_or_no_statement_is_refused() {
    let error = bank::parse(br#"<?xml version="1.0"?><html><body/></html>"#).unwrap_err();
    assert!(matches!(&error, StatementError::WrongRoot { found } if found == "html"), "{error:?}");
    let xml = format!(r#"<Document xmlns="{V08}"><BkToCstmrAcctRpt/></Document>"#);
    assert!(matches!(bank::parse(xml.as_bytes()), Err(StatementError::NoStatement)));
    let only_declaration = br#"<?xml version="1.0" encoding="UTF-8"?>"#;
    assert!(matches!(bank::parse(only_declaration), Err(StatementError::MalformedXml { .. })));
}

#[test]
fn empty_files_are_refused() {
    assert!(matches!(bank::parse(b""), Err(StatementError::Empty)));
    assert!(matches!(bank::parse(b"\n\n  "), Err(StatementError::Empty)));
    assert!(matches!(bank::camt::parse(b""), Err(StatementError::Empty)));
    assert!(matches!(bank::csv_statement::parse(b" "), Err(StatementError::Empty)));
}

#[test]
fn files_over_the_limit_are_refused_before_parsing() {
    let mut big = vec![b' '; bank::MAX_STATEMENT_BYTES + 1];
    big[0] = b'<';
    assert!(matches!(
        bank::parse(&big),
        Err(StatementError::TooLarge { size, limit }) if size == limit + 1
    ));
}

#[test]
fn only_utf8_is_read() {
    let xml = format!(r#"<?xml version="1.0" encoding="ISO-8859-1"?><Document xmlns="{V08}"/>"#);
    let error = bank::parse(xml.as_bytes()).unwrap_err();
    assert!(matches!(&error, StatementError::Encoding { found } if found == "ISO-8859-1"), "{error:?}");
    let mut latin1 = camt(V08, "<Ntry><AddtlNtryInf>M\u{fc}ller</AddtlNtryInf></Ntry>");
    let at = latin1.windows(2).position(|w| w == "ü".as_bytes()).unwrap();
    latin1.splice(at..at + 2, [0xFC]);
    assert!(matches!(bank::parse(&latin1), Err(StatementError::MalformedXml { line: 3, .. })));
    let with_bom = [&b"\xEF\xBB\xBF"[..], CAMT_08].concat();
    assert_eq!(bank::parse(&with_bom).unwrap().entries.len(), 9);
}

#[test]
fn entry_errors_name_the_entry_the_line_and_the_field() {
    let entries =
        [entry("Ccy=\"EUR\">1.00", "2026-12-01"), entry("Ccy=\"XYZ\">2.00", "2026-12-01")].join("\n");
    let error = bank::parse(&camt(V08, &entries)).unwrap_err();
    assert!(
        matches!(&error, StatementError::UnknownCurrency { entry: 2, line: 4, field: "Ntry/Amt", code } if code == "XYZ"),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "entry 2 (line 4): unknown currency \"XYZ\" in Ntry/Amt");

    let error = bank::parse(&camt(V08, &entry("Ccy=\"EUR\">1.001", "2026-12-01"))).unwrap_err();
    assert!(
        matches!(&error, StatementError::InvalidField { entry: 1, field: "Ntry/Amt", value, .. } if value == "1.001")
    );
    let error = bank::parse(&camt(V08, &entry("Ccy=\"JPY\">5.5", "2026-12-01"))).unwrap_err();
    assert!(matches!(error, StatementError::InvalidField { field: "Ntry/Amt", .. }), "JPY has no decimals");
    let error = bank::parse(&camt(V08, &entry(">1.00", "2026-12-01"))).unwrap_err();
    assert!(matches!(error, StatementError::MissingField { entry: 1, .. }), "no Ccy");
    let error = bank::parse(&camt(V08, &entry("Ccy=\"EUR\">1.00", "2026-02-30"))).unwrap_err();
    assert!(
        matches!(&error, StatementError::InvalidField { field: "BookgDt", value, .. } if value == "2026-02-30")
    );
    let error = bank::parse(&camt(
        V08,
        "<Ntry><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-12-01</Dt></BookgDt></Ntry>",
    ))
    .unwrap_err();
    assert!(matches!(error, StatementError::MissingField { entry: 1, field: "Ntry/Amt", .. }));
    let error =
        bank::parse(&camt(V08, "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>"))
            .unwrap_err();
    assert!(matches!(error, StatementError::MissingField { field: "BookgDt", .. }));
    let bad_indicator = "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CREDIT</CdtDbtInd>\
                         <BookgDt><Dt>2026-12-01</Dt></BookgDt></Ntry>";
    let error = bank::parse(&camt(V08, bad_indicator)).unwrap_err();
    assert!(matches!(error, StatementError::InvalidField { field: "Ntry/CdtDbtInd", .. }));
    let batch_without_amounts = "<Ntry><Amt Ccy=\"EUR\">3.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
        <BookgDt><Dt>2026-12-01</Dt></BookgDt><NtryDtls><TxDtls/><TxDtls/></NtryDtls></Ntry>";
    let error = bank::parse(&camt(V08, batch_without_amounts)).unwrap_err();
    assert!(matches!(error, StatementError::MissingField { field: "TxDtls/Amt", .. }), "{error:?}");
}

#[test]
fn the_csv_fixture_is_read() {
    let statement = bank::parse(CSV).unwrap();
    assert_eq!(statement.format, Format::Csv);
    let entries = &statement.entries;
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0].structured_reference.as_deref(), Some("RF18 5390 0754 7034"));
    assert_eq!(entries[0].counterparty_iban.as_deref(), Some("DE02120300000000202051"));
    assert_eq!(entries[0].bank_reference.as_deref(), Some("CSV-1"));
    assert_eq!(entries[0].booking_date, date(30, Month::November));
    assert_eq!(entries[1].amount.minor, 1050, "decimal comma in a quoted cell");
    assert_eq!(entries[1].counterparty_name.as_deref(), Some("Müller, Söhne & Co"));
    assert_eq!(entries[1].remittance.as_deref(), Some("Spende RF71 2348 231, danke"));
    assert!(!entries[2].is_credit);
    assert_eq!(entries[2].amount.minor, 12000);
    assert_eq!(entries[3].kind, EntryKind::Payout);
    assert_eq!(entries[4].amount.currency.as_str(), "CHF");
    assert_eq!(entries[4].bank_reference, None);
    assert_eq!(entries.iter().map(|e| e.position).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
}

#[test]
fn bad_csv_rows_are_refused_naming_the_row() {
    let header = "booking_date,amount,currency,remittance\n";
    let with = |rows: &str| format!("{header}{rows}").into_bytes();

    let error = bank::parse(b"booking_date,currency\n2026-11-30,EUR\n").unwrap_err();
    assert!(matches!(error, StatementError::MissingColumn { column: "amount", .. }), "{error:?}");
    assert!(error.to_string().contains("\"amount\""), "{error}");

    let error = bank::parse(&with("2026-11-30,5.00,EUR,ok\n30.11.2026,5.00,EUR,x\n")).unwrap_err();
    assert!(
        matches!(&error, StatementError::InvalidCell { row: 3, column: "booking_date", value, .. } if value == "30.11.2026"),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("CSV row 3: booking_date"), "{error}");

    for amount in ["1.234,56", "+5", "--5", "5.001", "abc", ""] {
        let error = bank::parse(&with(&format!("2026-11-30,\"{amount}\",EUR,x\n"))).unwrap_err();
        assert!(
            matches!(error, StatementError::InvalidCell { row: 2, column: "amount", .. }),
            "{amount}: {error:?}"
        );
    }
    let error = bank::parse(&with("2026-11-30,5.00,XYZ,x\n")).unwrap_err();
    assert!(matches!(error, StatementError::InvalidCell { row: 2, column: "currency", .. }));
    let error = bank::parse(&with("2026-11-30,5.00,EUR\n")).unwrap_err();
    assert!(matches!(error, StatementError::Csv { row: 2, .. }), "{error:?}");
    let mut latin1 = with("2026-11-30,5.00,EUR,M\u{fc}ller\n");
    let at = latin1.windows(2).position(|w| w == "ü".as_bytes()).unwrap();
    latin1.splice(at..at + 2, [0xFC]);
    assert!(matches!(bank::parse(&latin1), Err(StatementError::Csv { row: 2, .. })));
}

#[test]
fn a_generated_statement_of_100_000_entries_is_read() {
    let references: Vec<CreditorReference> =
        (1..=500_u32).map(|n| CreditorReference::from_our_part(&format!("{n:012}")).unwrap()).collect();
    let xml = bank::testing::camt053_fixture(100_000, &references);
    assert!(xml.len() < bank::MAX_STATEMENT_BYTES);
    let statement = bank::parse(&xml).unwrap();
    assert_eq!(statement.entries.len(), 100_000);
    let payouts = statement.entries.iter().filter(|e| e.kind == EntryKind::Payout).count();
    assert_eq!(payouts, 5_000);
}

#[test]
fn cut_or_damaged_files_give_errors_not_panics() {
    for file in [CAMT_02, CAMT_08, CSV] {
        for cut in (0..file.len()).step_by(7) {
            let _ = bank::parse(&file[..cut]);
        }
        for at in (0..file.len()).step_by(13) {
            for byte in [b'<', b'&', b'"', 0xFF] {
                let mut damaged = file.to_vec();
                damaged[at] = byte;
                if let Err(error) = bank::parse(&damaged) {
                    assert!(!error.to_string().is_empty());
                }
            }
        }
    }
}
