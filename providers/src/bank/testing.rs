// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Generated statements for tests and benchmarks (feature `testing`, never in a release build):
//! a realistic camt.053.001.08 file of any size whose credits carry given creditor references,
//! so an import benchmark can measure parsing and matching against pledges in one go.

use domain::payment::CreditorReference;
use std::fmt::Write as _;

const FIRST_NAMES: [&str; 8] = ["Erika", "Max", "Amélie", "Jürgen", "Søren", "Zofia", "Luca", "Ines"];
const LAST_NAMES: [&str; 8] =
    ["Mustermann", "Müller", "Dubois", "O'Brien", "Kowalska", "Rossi", "García", "Schäfer & Co"];

/// A camt.053.001.08 statement with `entries` entries, in this repeating pattern of twenty
/// (entry `i`, 0-based, is pattern `i % 20`):
///
/// - 0 to 11: a donation, a credit from a person with `references[i % references.len()]`, in
///   `RmtInf/Strd/CdtrRefInf/Ref` for even `i` and grouped inside `Ustrd` text for odd `i`
///   (without references: "Spende" alone);
/// - 12, 13: a credit without reference ("Mitgliedsbeitrag");
/// - 14 to 16: a debit (printing, rent, postage);
/// - 17: a Stripe payout;
/// - 18: a returned transfer (`RvslInd` true, sub-family `RRTN`) carrying a reference;
/// - 19: a credit in CHF with a reference.
///
/// Amounts run from 5.00 to 204.99 (deterministic, not random), booking dates through 2026,
/// every `AcctSvcrRef` is unique (`2026` + `i` in ten digits), and the XML escapes `&` and `'`
/// in names. About 700 bytes per entry: 100,000 entries are about 70 MB.
pub fn camt053_fixture(entries: usize, references: &[CreditorReference]) -> Vec<u8> {
    let mut xml = String::with_capacity(entries * 720 + 2048);
    xml.push_str(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<BkToCstmrStmt>
<GrpHdr><MsgId>GEN-2026-0001</MsgId><CreDtTm>2026-12-31T18:00:00+01:00</CreDtTm></GrpHdr>
<Stmt>
<Id>GEN-2026-0001-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2026-12-31T18:00:00+01:00</CreDtTm>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy><Ownr><Nm>Community e.V.</Nm></Ownr></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-01</Dt></Dt></Bal>
"#,
    );
    let start = time::Date::from_calendar_date(2026, time::Month::January, 1).unwrap_or(time::Date::MIN);
    let span = entries.max(1);
    for i in 0..entries {
        let day = i64::try_from(i * 364 / span).unwrap_or(0);
        let date = start.saturating_add(time::Duration::days(day));
        let date = format!("{}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day());
        let minor = 500 + (i * 7919) % 20_000;
        let amount = format!("{}.{:02}", minor / 100, minor % 100);
        let name = format!("{} {}", FIRST_NAMES[i % 8], LAST_NAMES[(i / 8) % 8]);
        let name = escape(&name);
        let iban = german_iban(i);
        let reference = (!references.is_empty()).then(|| &references[i % references.len()]);
        let servicer = format!("2026{i:010}");
        let pattern = i % 20;
        let (credit, currency, reversal, family, sub_family) = match pattern {
            14..=16 => (false, "EUR", false, "ICDT", "ESCT"),
            18 => (false, "EUR", true, "RCDT", "RRTN"),
            19 => (true, "CHF", false, "RCDT", "XBCT"),
            _ => (true, "EUR", false, "RCDT", "ESCT"),
        };
        let indicator = if credit { "CRDT" } else { "DBIT" };
        let _ = write!(
            xml,
            "<Ntry><NtryRef>{i}</NtryRef><Amt Ccy=\"{currency}\">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>"
        );
        if reversal {
            xml.push_str("<RvslInd>true</RvslInd>");
        }
        let _ = write!(
            xml,
            "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{date}</Dt></BookgDt><ValDt><Dt>{date}</Dt></ValDt>\
             <AcctSvcrRef>{servicer}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd>\
             <SubFmlyCd>{sub_family}</SubFmlyCd></Fmly></Domn></BkTxCd>\n<NtryDtls><TxDtls>\
             <Refs><EndToEndId>E2E-{i}</EndToEndId></Refs><Amt Ccy=\"{currency}\">{amount}</Amt>\
             <CdtDbtInd>{indicator}</CdtDbtInd>"
        );
        let (party, account) = if credit { ("Dbtr", "DbtrAcct") } else { ("Cdtr", "CdtrAcct") };
        let party_name = match pattern {
            14 => "Druckerei Beispiel GmbH".to_owned(),
            15 => "Hausverwaltung Nord".to_owned(),
            16 => "Deutsche Post AG".to_owned(),
            17 => "Stripe Technology Europe Ltd".to_owned(),
            _ => name,
        };
        let _ = write!(
            xml,
            "<RltdPties><{party}><Pty><Nm>{party_name}</Nm></Pty></{party}><{account}><Id><IBAN>{iban}</IBAN></Id>\
             </{account}></RltdPties>\n<RmtInf>"
        );
        match (pattern, reference) {
            (0..=11, Some(reference)) if i % 2 == 0 => {
                let _ = write!(
                    xml,
                    "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{}</Ref>\
                     </CdtrRefInf></Strd>",
                    reference.as_str()
                );
            }
            (0..=11 | 18 | 19, Some(reference)) => {
                let _ = write!(xml, "<Ustrd>Spende {}</Ustrd>", reference.grouped());
            }
            (0..=11 | 18 | 19, None) => xml.push_str("<Ustrd>Spende</Ustrd>"),
            (12 | 13, _) => xml.push_str("<Ustrd>Mitgliedsbeitrag 2026</Ustrd>"),
            (14, _) => xml.push_str("<Ustrd>Rechnung 2026-114 Flyer</Ustrd>"),
            (15, _) => xml.push_str("<Ustrd>Miete Buero</Ustrd>"),
            (16, _) => xml.push_str("<Ustrd>Porto Rundbrief</Ustrd>"),
            _ => {
                let _ = write!(xml, "<Ustrd>STRIPE PAYOUT po_{i:08}</Ustrd>");
            }
        }
        xml.push_str("</RmtInf>");
        if reversal {
            xml.push_str("<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>");
        }
        xml.push_str("</TxDtls></NtryDtls></Ntry>\n");
    }
    xml.push_str("</Stmt>\n</BkToCstmrStmt>\n</Document>\n");
    xml.into_bytes()
}

/// A German IBAN with correct check digits, different for each `i`.
fn german_iban(i: usize) -> String {
    let bban = format!("37040044{:010}", i % 10_000_000_000);
    // Check digits: 98 - (BBAN + "DE00" as digits) mod 97; D = 13, E = 14.
    let remainder =
        format!("{bban}131400").bytes().fold(0_u32, |rest, digit| (rest * 10 + u32::from(digit - b'0')) % 97);
    format!("DE{:02}{bban}", 98 - remainder)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('\'', "&apos;").replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ibans_are_valid() {
        for i in [0, 1, 99, 123_456] {
            let iban = german_iban(i);
            assert!(domain::payment::Iban::parse(&iban).is_ok(), "{iban}");
        }
    }

    #[test]
    fn the_fixture_follows_its_pattern() {
        let references = [CreditorReference::parse("RF18539007547034").unwrap()];
        let statement = super::super::parse(&camt053_fixture(40, &references)).unwrap();
        assert_eq!(statement.entries.len(), 40);
        let entry = |i: usize| &statement.entries[i];
        assert_eq!(entry(0).structured_reference.as_deref(), Some("RF18539007547034"));
        assert_eq!(entry(1).remittance.as_deref(), Some("Spende RF18 5390 0754 7034"));
        assert!(!entry(14).is_credit);
        assert_eq!(entry(17).kind, super::super::EntryKind::Payout);
        assert_eq!(entry(18).kind, super::super::EntryKind::Returned);
        assert_eq!(entry(19).amount.currency.as_str(), "CHF");
        assert_eq!(entry(8).counterparty_name.as_deref(), Some("Erika Müller"));
        assert_eq!(entry(39).bank_reference.as_deref(), Some("20260000000039"));
    }
}
