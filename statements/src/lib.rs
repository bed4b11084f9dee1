// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Annual donation statements as PDF, rendered with typst (fonts shipped in `typst-assets`,
//! nothing fetched at run time).
//!
//! The layout is one typst template compiled into the crate (`statement.typ`); a statement's
//! data (organisation, donor, payments, texts in the supporter's language) reaches it as a JSON
//! file, so a donor named `#set page(width: 1pt)` is printed, not obeyed. German statements
//! can use the "Sammelbestätigung über Geldzuwendungen" wording ([`GermanReceipt`]), whose legal
//! text is configuration with the official sample wording as default.
//!
//! Only `cli` depends on this crate (about 140 crates of typst); the server only serves the
//! stored PDFs.

mod world;

use domain::payment::Money;
use domain::payment::annual_statement::{Document, Render, RenderError};
use domain::types::Language;

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use time::Date;
use typst::foundations::{Bytes, Smart};
use typst_layout::PagedDocument;

/// The texts of one language, from `locales/{en,de}.json` (same keys in both; a test checks).
type Texts = HashMap<String, String>;

static TEXTS: LazyLock<[(Language, Texts); 2]> = LazyLock::new(|| {
    let parse = |json: &str| serde_json::from_str::<Texts>(json).unwrap_or_default();
    [
        (Language::English, parse(include_str!("../locales/en.json"))),
        (Language::German, parse(include_str!("../locales/de.json"))),
    ]
});

fn text(language: Language, key: &str) -> String {
    TEXTS
        .iter()
        .find(|(l, _)| *l == language)
        .and_then(|(_, texts)| texts.get(key))
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}

/// The German receipt wording. Every paragraph is configuration: what the organisation's tax
/// exemption says differs per organisation, and the defaults follow the official sample
/// ("Sammelbestätigung über Geldzuwendungen", BMF) with the parts to fill in bracketed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GermanReceipt {
    pub title: String,
    pub subtitle: String,
    /// The exemption: which tax office exempted the organisation, when, for which purposes.
    pub tax_office: String,
    /// The confirmations below it (use of the money, no other receipts, waiver of expenses).
    pub confirmations: Vec<String>,
    /// Place and signer, printed under the line (e.g. "Berlin, Kassenwart Erika Muster").
    pub signer: String,
    /// The liability notice in small print.
    pub notice: String,
}

impl Default for GermanReceipt {
    fn default() -> Self {
        Self {
            title: "Sammelbestätigung über Geldzuwendungen".into(),
            subtitle: "im Sinne des § 10b des Einkommensteuergesetzes an eine der in § 5 Abs. 1 Nr. 9 des \
                       Körperschaftsteuergesetzes bezeichneten Körperschaften, Personenvereinigungen oder \
                       Vermögensmassen"
                .into(),
            tax_office:
                "Wir sind wegen Förderung [steuerbegünstigte Zwecke] nach dem letzten uns zugegangenen \
                         Freistellungsbescheid des Finanzamtes [Ort], StNr. [Steuernummer], vom [Datum] nach \
                         § 5 Abs. 1 Nr. 9 des Körperschaftsteuergesetzes von der Körperschaftsteuer und nach \
                         § 3 Nr. 6 des Gewerbesteuergesetzes von der Gewerbesteuer befreit."
                    .into(),
            confirmations: vec![
                "Es wird bestätigt, dass die Zuwendung nur zur Förderung [steuerbegünstigte Zwecke] \
                 verwendet wird."
                    .into(),
                "Es wird bestätigt, dass über die in der Gesamtsumme enthaltenen Zuwendungen keine weiteren \
                 Bestätigungen, weder formelle Zuwendungsbestätigungen noch Beitragsquittungen o. ä., \
                 ausgestellt wurden und werden."
                    .into(),
                "Ob es sich um den Verzicht auf Erstattung von Aufwendungen handelt, ist der Anlage zur \
                 Sammelbestätigung zu entnehmen."
                    .into(),
            ],
            signer: "[Ort], [Name und Funktion der unterzeichnenden Person]".into(),
            notice:
                "Wer vorsätzlich oder grob fahrlässig eine unrichtige Zuwendungsbestätigung erstellt oder \
                     veranlasst, dass Zuwendungen nicht zu den in der Zuwendungsbestätigung angegebenen \
                     steuerbegünstigten Zwecken verwendet werden, haftet für die entgangene Steuer (§ 10b \
                     Abs. 4 EStG, § 9 Abs. 3 KStG, § 9 Nr. 5 GewStG). Diese Bestätigung wird nicht als \
                     Nachweis für die steuerliche Berücksichtigung der Zuwendung anerkannt, wenn das Datum \
                     des Freistellungsbescheides länger als 5 Jahre bzw. das Datum der Feststellung der \
                     Einhaltung der satzungsmäßigen Voraussetzungen nach § 60a Abs. 1 AO länger als 3 Jahre \
                     seit Ausstellung des Bescheides zurückliegt (§ 63 Abs. 5 AO)."
                    .into(),
        }
    }
}

/// What every statement of an organisation shares (the `[statements]` settings).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub organisation_name: String,
    pub organisation_address: Vec<String>,
    /// Printed at the end of every English statement; `None` for the built-in text.
    pub legal_text_en: Option<String>,
    /// Printed at the end of every German statement; `None` for the built-in text.
    pub legal_text_de: Option<String>,
    /// German statements use the "Sammelbestätigung" wording when set.
    pub german_receipt: Option<GermanReceipt>,
}

/// Why the renderer could not start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the shipped fonts or template could not be loaded")]
    Assets,
    #[error("the rendering threads could not be started")]
    Threads,
}

/// Renders statements with a [`Template`]; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Renderer {
    template: Template,
    /// The threads statements are rendered on (as many as cores by default).
    pool: Arc<rayon::ThreadPool>,
    /// Tagged PDF (structure for screen readers); on by default.
    tagged: bool,
}

/// The stack of each rendering thread.
const RENDER_STACK_BYTES: usize = 16 * 1024 * 1024;

fn pool(threads: usize) -> Result<Arc<rayon::ThreadPool>, SetupError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("statements-{i}"))
        // typst lays out by deep recursion: a two-page statement overflowed rayon's default
        // 2 MiB stack in a release build. The main thread's 8 MiB is what typst is used to.
        .stack_size(RENDER_STACK_BYTES)
        .build()
        .map(Arc::new)
        .map_err(|_| SetupError::Threads)
}

/// An amount as people of that language write it: `1.234,56 EUR`, `EUR 1,234.56`.
pub fn format_money(money: Money, language: Language) -> String {
    let exponent = u32::from(money.currency.exponent());
    let scale = 10_u64.pow(exponent);
    let negative = money.minor < 0;
    let minor = money.minor.unsigned_abs();
    let (whole, fraction) = (minor / scale, minor % scale);
    let (group, decimal) = match language {
        Language::German => ('.', ','),
        Language::English => (',', '.'),
    };
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    if exponent > 0 {
        grouped.push(decimal);
        grouped.push_str(&format!("{fraction:0width$}", width = exponent as usize));
    }
    let sign = if negative { "-" } else { "" };
    match language {
        Language::German => format!("{sign}{grouped} {}", money.currency),
        Language::English => format!("{sign}{} {grouped}", money.currency),
    }
}

/// A date as people of that language write it: `15.03.2026`, `2026-03-15`.
pub fn format_date(date: Date, language: Language) -> String {
    match language {
        Language::German => format!("{:02}.{:02}.{}", date.day(), u8::from(date.month()), date.year()),
        Language::English => format!("{}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()),
    }
}

impl Renderer {
    /// Loads the shipped fonts (once per process) and checks the template compiles.
    pub fn new(template: Template) -> Result<Self, SetupError> {
        if world::SHARED.is_none() {
            return Err(SetupError::Assets);
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self { template, pool: pool(threads)?, tagged: true })
    }

    /// Renders on this many threads (at least one).
    pub fn with_threads(mut self, threads: usize) -> Result<Self, SetupError> {
        self.pool = pool(threads)?;
        Ok(self)
    }

    /// Without the structure tags screen readers use: smaller and faster, for measuring only.
    pub fn with_tagged(mut self, tagged: bool) -> Self {
        self.tagged = tagged;
        self
    }

    /// The JSON the template reads: every text already in the document's language.
    fn data(&self, document: &Document) -> Value {
        let language = document.language;
        let t = |key: &str| text(language, key);
        let year = document.year.to_string();
        let title = if document.corrects.is_some() { t("title_corrected") } else { t("title") };
        let legal = match language {
            Language::English => self.template.legal_text_en.clone(),
            Language::German => self.template.legal_text_de.clone(),
        }
        .unwrap_or_else(|| t("legal_default"));
        let period = match language {
            Language::German => format!("01.01.{year} – 31.12.{year}"),
            Language::English => format!("{year}-01-01 – {year}-12-31"),
        };
        let receipt = match (&self.template.german_receipt, language) {
            (Some(r), Language::German) => {
                let mut paragraphs = vec![r.tax_office.clone()];
                paragraphs.extend(r.confirmations.iter().cloned());
                json!({
                    "title": r.title,
                    "subtitle": r.subtitle,
                    "donor_label": "Name und Anschrift des Zuwendenden",
                    "total_label": "Gesamtbetrag der Zuwendung – in Ziffern –",
                    "period_label": "Zeitraum der Sammelbestätigung",
                    "period": period,
                    "paragraphs": paragraphs,
                    "signature_caption": "(Ort, Datum und Unterschrift des Zuwendungsempfängers)",
                    "signature": format!("{}, {}", r.signer, format_date(document.issued_on, language)),
                    "notice_title": "Hinweis:",
                    "notice": r.notice,
                    "annex_title": format!("Anlage zur Sammelbestätigung {}", document.number),
                    "annex_columns": ["Datum der Zuwendung", "Art der Zuwendung",
                                      "Verzicht auf die Erstattung von Aufwendungen (ja/nein)", "Betrag"],
                    "kind": "Geldzuwendung",
                    "waiver": "nein",
                })
            }
            _ => Value::Null,
        };
        json!({
            "lang": language.code(),
            "title": title.replace("{year}", &year),
            "number": document.number,
            "page_label": t("page"),
            "org": { "name": self.template.organisation_name, "address": self.template.organisation_address },
            "donor": { "name": document.donor.name, "address": document.donor.address },
            "meta": [
                [t("number"), document.number],
                [t("issued_on"), format_date(document.issued_on, language)],
                [t("period"), period],
            ],
            "corrects": document.corrects.as_ref().map(|number| t("corrects").replace("{number}", number)),
            "intro": t("intro").replace("{year}", &year),
            "columns": [t("date"), t("reference"), t("amount")],
            "lines": document.lines.iter().map(|line| json!({
                "date": format_date(line.booked_on, language),
                "amount": format_money(line.amount, language),
                "reference": line.reference.clone().unwrap_or_default(),
            })).collect::<Vec<_>>(),
            "total_label": t("total"),
            "totals": document.totals.iter().map(|m| format_money(*m, language)).collect::<Vec<_>>(),
            "no_payments": document.lines.is_empty().then(|| t("no_payments")),
            "legal": legal,
            "receipt": receipt,
        })
    }

    /// Renders one statement as PDF.
    /// [`Renderer::render_one`], with a typst bug hit by one statement coming back as that
    /// statement's error, by number, instead of taking down the rendering thread and the
    /// batch's answer.
    fn render_caught(&self, document: &Document) -> Result<Vec<u8>, RenderError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.render_one(document))).unwrap_or_else(
            |_| {
                Err(RenderError {
                    number: document.number.clone(),
                    message: "the renderer failed on this statement".into(),
                })
            },
        )
    }

    pub fn render_one(&self, document: &Document) -> Result<Vec<u8>, RenderError> {
        let fail = |message: String| RenderError { number: document.number.clone(), message };
        let shared = world::SHARED.as_ref().ok_or_else(|| fail("fonts not loaded".into()))?;
        let data = serde_json::to_vec(&self.data(document)).map_err(|e| fail(e.to_string()))?;
        let world = world::StatementWorld { shared, data: Bytes::new(data) };
        // Warnings (a glyph no shipped font has) do not stop a statement: the character is
        // drawn as a box, and the name is still in the PDF's text layer.
        let compiled = typst::compile::<PagedDocument>(&world).output.map_err(|errors| {
            fail(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
        })?;
        let options = typst_pdf::PdfOptions {
            // A stable identifier: rendering a statement twice gives the same document id.
            ident: Smart::Custom(document.number.clone()),
            tagged: self.tagged,
            ..typst_pdf::PdfOptions::default()
        };
        typst_pdf::pdf(&compiled, &options).map_err(|errors| {
            fail(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
        })
    }
}

impl Render for Renderer {
    fn render(&self, documents: &[Document]) -> Vec<Result<Vec<u8>, RenderError>> {
        // On the renderer's own rayon pool, which typst's parallel layout then shares: threads
        // of our own beside rayon's would put twice as many busy threads as cores on the machine.
        // Each pool thread takes the next statement until none is left (one broadcast job per
        // thread), rather than one rayon job per statement: a thread waiting inside typst's own
        // `join` may run other rayon jobs, and with a job per statement it would start another
        // whole statement on top of the first, nesting deeper with each, until the stack
        // overflowed (seen with batches of 250 in a release build). A waiting thread can still
        // pick up the broadcast job of another `render` call running at the same time, so the
        // nesting is bounded by the calls in flight (two while the generator pipelines), which
        // the 16 MiB stacks hold.
        let next = AtomicUsize::new(0);
        let per_thread = self.pool.broadcast(|_| {
            let mut done = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(document) = documents.get(index) else { break };
                done.push((index, self.render_caught(document)));
            }
            done
        });
        let mut results: Vec<Option<Result<Vec<u8>, RenderError>>> = documents.iter().map(|_| None).collect();
        for (index, result) in per_thread.into_iter().flatten() {
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
        }
        // Every index below the length was taken by exactly one thread.
        let results = documents
            .iter()
            .zip(results)
            .map(|(document, result)| {
                result.unwrap_or_else(|| {
                    Err(RenderError { number: document.number.clone(), message: "not rendered".into() })
                })
            })
            .collect();
        // typst memoises between compilations; without eviction the cache would grow with
        // every statement of a 10,000-statement run.
        typst::comemo::evict(3);
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::payment::Currency;

    #[test]
    fn both_locales_have_the_same_keys() {
        let keys = |language: Language| {
            let mut keys: Vec<String> = TEXTS
                .iter()
                .find(|(l, _)| *l == language)
                .map(|(_, t)| t.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        assert!(!keys(Language::English).is_empty());
        assert_eq!(keys(Language::English), keys(Language::German));
    }

    #[test]
    fn money_is_written_per_language() {
        let eur = Currency::EUR;
        assert_eq!(format_money(Money::new(123_456, eur), Language::German), "1.234,56 EUR");
        assert_eq!(format_money(Money::new(123_456, eur), Language::English), "EUR 1,234.56");
        assert_eq!(format_money(Money::new(5, eur), Language::German), "0,05 EUR");
        let yen = Currency::parse("JPY").unwrap_or(eur);
        assert_eq!(format_money(Money::new(1_000_000, yen), Language::English), "JPY 1,000,000");
        assert_eq!(format_money(Money::new(0, eur), Language::English), "EUR 0.00");
    }

    #[test]
    fn dates_are_written_per_language() {
        let date = Date::from_calendar_date(2026, time::Month::March, 5).unwrap_or(Date::MIN);
        assert_eq!(format_date(date, Language::German), "05.03.2026");
        assert_eq!(format_date(date, Language::English), "2026-03-05");
    }
}
