// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Renders statements and reads the PDF back (text extraction with `pdf-extract`): the sums,
//! names and texts a donor or a tax office would read must be there, whatever the donor's name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::payment::annual_statement::{Document, Donor, Line, Render};
use domain::payment::{Currency, Money};
use domain::types::Language;
use statements::{GermanReceipt, Renderer, Template};
use time::macros::date;

fn template(receipt: bool) -> Template {
    Template {
        organisation_name: "Free Software Friends e.V.".into(),
        organisation_address: vec!["Beispielweg 5".into(), "10115 Berlin".into()],
        legal_text_en: Some("Custom legal text for the test.".into()),
        legal_text_de: None,
        german_receipt: receipt.then(|| GermanReceipt {
            tax_office: "Finanzamt Berlin-Mitte, StNr. 27/000/00000, vom 01.02.2025".into(),
            signer: "Berlin, Erika Kassenwartin".into(),
            ..GermanReceipt::default()
        }),
    }
}

fn document(language: Language, name: &str, address: Vec<String>) -> Document {
    let eur = Currency::EUR;
    Document {
        number: "2026-000042".into(),
        year: 2026,
        language,
        issued_on: date!(2027 - 01 - 15),
        donor: Donor { name: name.into(), address },
        lines: vec![
            Line {
                booked_on: date!(2026 - 03 - 01),
                amount: Money::new(2500, eur),
                reference: Some("RF18 5390 0754 7034".into()),
            },
            Line { booked_on: date!(2026 - 06 - 01), amount: Money::new(123_456, eur), reference: None },
        ],
        totals: vec![Money::new(125_956, eur)],
        corrects: None,
    }
}

/// The PDF's text with all whitespace collapsed, so line breaks chosen by the layout do not
/// matter to the assertions.
fn text_of(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let text = pdf_extract::extract_text_from_mem(pdf).expect("the PDF's text can be read");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn english_statement_has_names_lines_and_total() {
    let renderer = Renderer::new(template(true)).unwrap();
    let doc = document(Language::English, "Ada Lovelace", vec!["12 Analytical Row".into(), "London".into()]);
    let text = text_of(&renderer.render_one(&doc).unwrap());
    for expected in [
        "Annual donation statement 2026",
        "Free Software Friends e.V.",
        "Ada Lovelace",
        "12 Analytical Row",
        "2026-000042",
        "2026-03-01",
        "EUR 25.00",
        "EUR 1,234.56",
        "EUR 1,259.56",
        "RF18 5390 0754 7034",
        "Custom legal text for the test.",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text:?}");
    }
    // The German receipt wording is for German statements only.
    assert!(!text.contains("Sammelbestätigung"));
}

#[test]
fn german_statement_is_a_sammelbestaetigung_with_annex() {
    let renderer = Renderer::new(template(true)).unwrap();
    let doc =
        document(Language::German, "Erika Mustermann", vec!["Hauptstraße 1".into(), "80331 München".into()]);
    let text = text_of(&renderer.render_one(&doc).unwrap());
    for expected in [
        "Sammelbestätigung über Geldzuwendungen",
        "Erika Mustermann",
        "Hauptstraße 1",
        "1.259,56 EUR",
        "1.234,56 EUR",
        "01.03.2026",
        "Finanzamt Berlin-Mitte, StNr. 27/000/00000",
        "Berlin, Erika Kassenwartin, 15.01.2027",
        "Anlage zur Sammelbestätigung 2026-000042",
        "Geldzuwendung",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text:?}");
    }
}

#[test]
fn german_statement_without_receipt_settings_uses_the_plain_layout() {
    let renderer = Renderer::new(template(false)).unwrap();
    let doc = document(Language::German, "Erika Mustermann", vec![]);
    let text = text_of(&renderer.render_one(&doc).unwrap());
    assert!(text.contains("Jahresspendenbescheinigung 2026"), "{text}");
    assert!(text.contains("maschinell erstellt"), "the built-in legal text: {text}");
    assert!(!text.contains("Sammelbestätigung"));
}

#[test]
fn a_correction_says_which_statement_it_replaces() {
    let renderer = Renderer::new(template(true)).unwrap();
    let mut doc = document(Language::English, "Ada Lovelace", vec![]);
    doc.number = "2026-000042-2".into();
    doc.corrects = Some("2026-000042".into());
    let text = text_of(&renderer.render_one(&doc).unwrap());
    assert!(text.contains("Corrected annual donation statement 2026"), "{text}");
    assert!(text.contains("corrects and replaces statement 2026-000042"), "{text}");

    let mut de = document(Language::German, "Erika Mustermann", vec![]);
    de.number = "2026-000042-2".into();
    de.corrects = Some("2026-000042".into());
    let text = text_of(&renderer.render_one(&de).unwrap());
    assert!(text.contains("ersetzt die Bescheinigung 2026-000042"), "{text}");
}

#[test]
fn a_fully_refunded_correction_says_nothing_remains() {
    let renderer = Renderer::new(template(false)).unwrap();
    let mut doc = document(Language::English, "Ada Lovelace", vec![]);
    doc.lines.clear();
    doc.totals = vec![];
    doc.corrects = Some("2026-000001".into());
    let text = text_of(&renderer.render_one(&doc).unwrap());
    assert!(text.contains("no donations of this year remain"), "{text}");
}

#[test]
fn markup_in_names_and_addresses_is_printed_not_obeyed() {
    let renderer = Renderer::new(template(true)).unwrap();
    let hostile = [
        r#"#set page(width: 1pt) #panic("owned")"#,
        "[*bold*] $x^2$ \\ \\\\ ] [ _under_ `raw` <label> @ref // comment",
        r#"#read("/etc/passwd") #include "x.typ" #image("a.png")"#,
        "\"); #panic(\"quote\")",
    ];
    for language in [Language::English, Language::German] {
        for name in hostile {
            let doc = document(language, name, vec![name.to_owned(), "#{ 1 + 1 }".into()]);
            let pdf = renderer.render_one(&doc).unwrap_or_else(|e| panic!("{name:?} failed: {e}"));
            let text = text_of(&pdf);
            assert!(text.contains(&squash(name)), "{name:?} not printed literally in {text:?}");
            assert!(text.contains("#{ 1 + 1 }"), "{text}");
        }
    }
}

#[test]
fn very_long_names_and_addresses_render() {
    let renderer = Renderer::new(template(true)).unwrap();
    let long_words = "Alexandra-Maximiliane von und zu ".repeat(61); // ~2,000 characters
    let one_word = "X".repeat(2000);
    for language in [Language::English, Language::German] {
        let doc =
            document(language, &long_words[..2000], vec![one_word.clone(), long_words[..2000].to_owned()]);
        let text = text_of(&renderer.render_one(&doc).unwrap());
        assert!(text.contains("Alexandra-Maximiliane von und zu"), "{text:.200}");
        assert!(text.contains("1,259.56") || text.contains("1.259,56"));
    }
}

#[test]
fn unicode_without_a_shipped_glyph_does_not_fail() {
    let renderer = Renderer::new(template(true)).unwrap();
    let names = ["山田 太郎", "محمد بن موسى", "שלום עליכם", "Zoë 🎉👩‍💻 Ñandú", "Łukasz Żółć"];
    for language in [Language::English, Language::German] {
        for name in names {
            let doc = document(language, name, vec!["東京都 千代田区".into(), "שדרות 1".into()]);
            let pdf = renderer.render_one(&doc).unwrap_or_else(|e| panic!("{name:?} failed: {e}"));
            let text = text_of(&pdf);
            // The sum is there whatever the name's script.
            assert!(text.contains("1,259.56") || text.contains("1.259,56"), "{name}: {text}");
        }
    }
    // Latin scripts the shipped fonts cover come back as text.
    let doc = document(Language::English, "Łukasz Żółć Ñandú", vec![]);
    let text = text_of(&renderer.render_one(&doc).unwrap());
    assert!(text.contains("Łukasz Żółć Ñandú"), "{text}");
}

#[test]
fn a_batch_renders_every_document_in_order_on_several_threads() {
    let renderer = Renderer::new(template(false)).unwrap().with_threads(2).unwrap();
    let docs: Vec<Document> = (0..5)
        .map(|i| {
            let mut doc = document(Language::English, &format!("Donor {i}"), vec![]);
            doc.number = format!("2026-{:06}", i + 1);
            doc
        })
        .collect();
    let pdfs = renderer.render(&docs);
    assert_eq!(pdfs.len(), 5);
    for (i, pdf) in pdfs.into_iter().enumerate() {
        let text = text_of(&pdf.unwrap());
        assert!(text.contains(&format!("Donor {i}")), "{text}");
        assert!(text.contains(&format!("2026-{:06}", i + 1)));
    }
}
