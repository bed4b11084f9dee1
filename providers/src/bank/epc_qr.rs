// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The EPC QR code ("GiroCode", "Scan to pay"): a QR code that a banking app scans to fill in
//! a SEPA credit transfer, so a supporter pays a pledge with the right IBAN, amount and creditor
//! reference without typing any of it.
//!
//! The payload follows EPC069-12 ("Quick Response Code: Guidelines to Enable Data Capture for
//! the Initiation of a SEPA Credit Transfer"), version 002, character set 1 (UTF-8): twelve
//! elements, one per line, separated by `\n`, nothing after the last element present, at most
//! 331 bytes, in a QR code of error correction level M. We always send the structured creditor
//! reference and therefore never the unstructured text (the standard allows only one of them),
//! and no purpose code. The SVG is drawn here from the module matrix of the `qrcode` crate: its
//! own SVG renderer starts with an XML declaration, which does not belong in an HTML page.

use domain::payment::{CreditorReference, Currency, Iban, Money};
use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write as _;

/// The longest payload the standard allows, in bytes (it fits a version 13 code at level M).
pub const MAX_PAYLOAD_BYTES: usize = 331;

/// Longest beneficiary name, in characters (EPC069-12 element 6).
pub const MAX_BENEFICIARY_CHARS: usize = 70;

/// The side of the rendered SVG in CSS pixels (quiet zone included). EPC recommends printing
/// the code at least 2 × 2 cm; 240 px is about 6 cm on a screen at 100 %.
pub const SVG_SIZE_PX: u32 = 240;

/// The quiet zone around the code, in modules (ISO/IEC 18004 asks for 4).
const QUIET_ZONE: usize = 4;

/// What a banking app needs to fill in the transfer.
#[derive(Debug, Clone, Copy)]
pub struct Transfer<'a> {
    /// The account holder (at most 70 characters, no line breaks).
    pub beneficiary: &'a str,
    /// With or without spaces; the check digits are verified.
    pub iban: &'a str,
    /// Optional in version 002 for transfers within the EEA.
    pub bic: Option<&'a str>,
    /// EUR only (SEPA), 0.01 to 999999999.99.
    pub amount: Money,
    pub reference: &'a CreditorReference,
}

/// Why no EPC QR code could be made. All are configuration or programming errors (the bank
/// account in the settings, an amount outside what SEPA carries), never the donor's doing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpcError {
    #[error("the beneficiary name is empty (payments.bank_account.holder)")]
    BeneficiaryEmpty,
    #[error("the beneficiary name has {found} characters; the EPC QR code allows {max}")]
    BeneficiaryTooLong { found: usize, max: usize },
    #[error("the beneficiary name contains a line break, a control character or a direction override")]
    BeneficiaryCharacter,
    #[error("the IBAN is not valid (wrong format or check digits)")]
    Iban,
    #[error("the BIC is not valid (8 or 11 letters and digits, e.g. GENODEF1S10)")]
    Bic,
    #[error("EPC QR codes carry euro amounts only, not {found}")]
    Currency { found: Currency },
    #[error("the amount {found} is outside what an EPC QR code carries (0.01 to 999999999.99)")]
    Amount { found: String },
    #[error("the payload has {found} bytes; the EPC QR code allows {max}")]
    TooLong { found: usize, max: usize },
    #[error("the QR code could not be built: {0}")]
    Qr(String),
}

/// The payload text, one element per line:
/// `BCD`, `002`, `1`, `SCT`, BIC (may be empty), name, IBAN, `EUR12.34`, purpose (empty),
/// creditor reference (`RF18539007547034`). Unstructured text and the note to the payer are
/// left out, so the payload ends with the reference.
pub fn payload(transfer: &Transfer<'_>) -> Result<String, EpcError> {
    let beneficiary = beneficiary(transfer.beneficiary)?;
    let iban = Iban::parse(transfer.iban).map_err(|_| EpcError::Iban)?;
    let bic = transfer.bic.map(bic).transpose()?.unwrap_or_default();
    if transfer.amount.currency != Currency::EUR {
        return Err(EpcError::Currency { found: transfer.amount.currency });
    }
    if !(1..=99_999_999_999).contains(&transfer.amount.minor) {
        return Err(EpcError::Amount { found: transfer.amount.to_string() });
    }
    let elements = [
        "BCD",
        "002",
        "1",
        "SCT",
        &bic,
        beneficiary,
        iban.as_str(),
        &format!("EUR{}", transfer.amount.decimal()),
        "",
        transfer.reference.as_str(),
    ];
    let payload = elements.join("\n");
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(EpcError::TooLong { found: payload.len(), max: MAX_PAYLOAD_BYTES });
    }
    Ok(payload)
}

/// The QR code as an inline `<svg>` for an HTML page, labelled "EPC QR code" for screen
/// readers. Pages in other languages use [`svg_with_label`].
pub fn svg(transfer: &Transfer<'_>) -> Result<String, EpcError> {
    svg_with_label(transfer, "EPC QR code")
}

/// The QR code as an inline `<svg role="img" aria-label="…">`, [`SVG_SIZE_PX`] wide, black
/// modules on white with the quiet zone. The label is escaped; nothing else of the transfer
/// appears in the markup (the payload lives only in the modules).
pub fn svg_with_label(transfer: &Transfer<'_>, label: &str) -> Result<String, EpcError> {
    let payload = payload(transfer)?;
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|error| EpcError::Qr(error.to_string()))?;
    let width = code.width();
    let side = width + 2 * QUIET_ZONE;
    let colors = code.to_colors();
    let mut svg = String::with_capacity(8 * 1024);
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" width="{size}" height="{size}" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d=""##,
        label = escape_attribute(label),
        size = SVG_SIZE_PX,
    );
    // One path, one horizontal run of dark modules per segment.
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < row.len() {
            if row[x] == Color::Dark {
                let start = x;
                while x < row.len() && row[x] == Color::Dark {
                    x += 1;
                }
                let _ =
                    write!(svg, "M{} {}h{}v1h-{}z", start + QUIET_ZONE, y + QUIET_ZONE, x - start, x - start);
            } else {
                x += 1;
            }
        }
    }
    svg.push_str(r#""/></svg>"#);
    Ok(svg)
}

fn beneficiary(name: &str) -> Result<&str, EpcError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(EpcError::BeneficiaryEmpty);
    }
    // A line break would shift every later element: the IBAN would be read as the name. Line
    // separators and bidirectional overrides are refused with the control characters: a
    // scanner may break lines at them, and an override can make a name display as another.
    let forbidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if name.chars().any(forbidden) {
        return Err(EpcError::BeneficiaryCharacter);
    }
    let found = name.chars().count();
    if found > MAX_BENEFICIARY_CHARS {
        return Err(EpcError::BeneficiaryTooLong { found, max: MAX_BENEFICIARY_CHARS });
    }
    Ok(name)
}

/// A BIC (ISO 9362): four letters for the bank, two for the country, two letters or digits for
/// the place, optionally three for the branch.
fn bic(text: &str) -> Result<String, EpcError> {
    let bic: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let shaped = matches!(bic.len(), 8 | 11)
        && bic.bytes().all(|b| b.is_ascii_alphanumeric())
        && bic.bytes().take(6).all(|b| b.is_ascii_alphabetic());
    if shaped { Ok(bic) } else { Err(EpcError::Bic) }
}

fn escape_attribute(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c if c.is_control() => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> CreditorReference {
        CreditorReference::parse("RF18 5390 0754 7034").unwrap()
    }

    fn sample<'a>(reference: &'a CreditorReference) -> Transfer<'a> {
        Transfer {
            beneficiary: "Free Software Foundation Europe e.V.",
            iban: "DE89 3704 0044 0532 0130 00",
            bic: Some("cobadeffxxx"),
            amount: Money::new(1234, Currency::EUR),
            reference,
        }
    }

    #[test]
    fn the_payload_has_the_standards_elements_in_order() {
        let reference = reference();
        assert_eq!(
            payload(&sample(&reference)).unwrap(),
            "BCD\n002\n1\nSCT\nCOBADEFFXXX\nFree Software Foundation Europe e.V.\nDE89370400440532013000\n\
             EUR12.34\n\nRF18539007547034"
        );
    }

    #[test]
    fn the_bic_may_be_left_out() {
        let reference = reference();
        let transfer = Transfer { bic: None, amount: Money::new(5, Currency::EUR), ..sample(&reference) };
        let payload = payload(&transfer).unwrap();
        assert!(payload.starts_with("BCD\n002\n1\nSCT\n\nFree Software"), "{payload}");
        assert!(payload.contains("\nEUR0.05\n\nRF18539007547034"));
        assert!(!payload.ends_with('\n'), "nothing follows the last element");
    }

    #[test]
    fn amounts_outside_the_range_and_other_currencies_are_refused() {
        let reference = reference();
        for minor in [0, -100, 100_000_000_000] {
            let transfer = Transfer { amount: Money::new(minor, Currency::EUR), ..sample(&reference) };
            assert!(matches!(payload(&transfer), Err(EpcError::Amount { .. })), "{minor}");
        }
        let largest = Transfer { amount: Money::new(99_999_999_999, Currency::EUR), ..sample(&reference) };
        assert!(payload(&largest).unwrap().contains("\nEUR999999999.99\n"));
        let chf = Currency::parse("CHF").unwrap();
        let transfer = Transfer { amount: Money::new(100, chf), ..sample(&reference) };
        assert_eq!(payload(&transfer), Err(EpcError::Currency { found: chf }));
    }

    #[test]
    fn names_that_would_break_the_lines_are_refused() {
        let reference = reference();
        for name in
            ["Evil\nDE00 fake", "Evil\r\nX", "Tab\there", "Evil\u{85}X", "Evil\u{2028}X", "\u{202E}evil"]
        {
            let transfer = Transfer { beneficiary: name, ..sample(&reference) };
            assert_eq!(payload(&transfer), Err(EpcError::BeneficiaryCharacter), "{name:?}");
        }
        let transfer = Transfer { beneficiary: "   ", ..sample(&reference) };
        assert_eq!(payload(&transfer), Err(EpcError::BeneficiaryEmpty));
        let long = "ä".repeat(71);
        let transfer = Transfer { beneficiary: &long, ..sample(&reference) };
        assert_eq!(payload(&transfer), Err(EpcError::BeneficiaryTooLong { found: 71, max: 70 }));
        let exactly = "ä".repeat(70);
        assert!(payload(&Transfer { beneficiary: &exactly, ..sample(&reference) }).is_ok());
    }

    #[test]
    fn bad_ibans_and_bics_are_refused() {
        let reference = reference();
        let wrong_digit = Transfer { iban: "DE89 3704 0044 0532 0130 01", ..sample(&reference) };
        assert_eq!(payload(&wrong_digit), Err(EpcError::Iban));
        for bic in ["COBADE", "COBADEFFXX", "1OBADEFF", "COBA-EFF"] {
            let transfer = Transfer { bic: Some(bic), ..sample(&reference) };
            assert_eq!(payload(&transfer), Err(EpcError::Bic), "{bic}");
        }
    }

    #[test]
    fn the_svg_is_inline_labelled_and_level_m() {
        let reference = reference();
        let transfer =
            Transfer { beneficiary: r#"Quote " & <script>alert(1)</script>"#, ..sample(&reference) };
        let svg = svg_with_label(&transfer, r#"QR "code" <b>"#).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""), "{svg}");
        assert!(!svg.contains("<?xml"));
        assert!(svg.contains(r#"aria-label="QR &quot;code&quot; &lt;b&gt;""#));
        assert!(!svg.contains("script"), "the name is only in the modules");
        assert_eq!(svg.matches('<').count(), 4, "svg, rect, path, the end tag and nothing else");
        assert!(svg.ends_with("\"/></svg>"));

        let code =
            QrCode::with_error_correction_level(payload(&transfer).unwrap().as_bytes(), EcLevel::M).unwrap();
        let dark = code.to_colors().iter().filter(|c| **c == Color::Dark).count();
        let drawn: usize = svg
            .split('M')
            .skip(1)
            .map(|segment| segment.split(['h', 'v']).nth(1).unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(drawn, dark, "every dark module is drawn once");
        let side = code.width() + 8;
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
    }

    #[test]
    fn the_longest_payload_fits_version_13_at_level_m() {
        let reference = CreditorReference::from_our_part(&"9".repeat(21)).unwrap();
        let name = "W".repeat(70);
        let transfer = Transfer {
            beneficiary: &name,
            iban: "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
            bic: Some("MALTMTMTXXX"),
            amount: Money::new(99_999_999_999, Currency::EUR),
            reference: &reference,
        };
        let payload = payload(&transfer).unwrap();
        let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).unwrap();
        assert_eq!(code.error_correction_level(), EcLevel::M);
        assert!(matches!(code.version(), qrcode::Version::Normal(v) if v <= 13), "{:?}", code.version());
    }
}
