// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The `[statements]` section: what every annual donation statement prints besides the donor
//! and the payments (the organisation's address, a legal text per language) and, for German
//! statements, the wording of the "Sammelbestätigung über Geldzuwendungen". `cdb-admin
//! statements generate` turns it into the renderer's template; nothing else reads it.
//!
//! The German wording defaults to the official sample with the parts to fill in bracketed
//! (`[Steuernummer]`): an organisation that issues tax receipts must set `tax_office` and
//! `signer` to its own; `german_receipt = false` prints a plain statement instead.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct StatementSettings {
    /// The organisation's postal address, one line per entry (its name is `site.organisation`).
    pub organisation_address: Vec<String>,
    /// Printed at the end of English statements; empty for the built-in sentence.
    pub legal_text_en: String,
    /// Printed at the end of German statements; empty for the built-in sentence.
    pub legal_text_de: String,
    /// German statements as "Sammelbestätigung über Geldzuwendungen".
    pub german_receipt: bool,
    /// The receipt's title.
    pub receipt_title: String,
    /// The line under the title (which law the receipt is under).
    pub receipt_subtitle: String,
    /// The exemption notice: tax office, tax number, date of the notice, purposes.
    pub tax_office: String,
    /// The confirmations printed under it, one paragraph each.
    pub confirmations: Vec<String>,
    /// Place and signer, printed under the signature line before the date of issue.
    pub signer: String,
    /// The liability notice in small print.
    pub notice: String,
}

impl Default for StatementSettings {
    fn default() -> Self {
        Self {
            organisation_address: Vec::new(),
            legal_text_en: String::new(),
            legal_text_de: String::new(),
            german_receipt: true,
            receipt_title: "Sammelbestätigung über Geldzuwendungen".into(),
            receipt_subtitle:
                "im Sinne des § 10b des Einkommensteuergesetzes an eine der in § 5 Abs. 1 Nr. 9 \
                               des Körperschaftsteuergesetzes bezeichneten Körperschaften, \
                               Personenvereinigungen oder Vermögensmassen"
                    .into(),
            tax_office: "Wir sind wegen Förderung [steuerbegünstigte Zwecke] nach dem letzten uns \
                         zugegangenen Freistellungsbescheid des Finanzamtes [Ort], StNr. [Steuernummer], \
                         vom [Datum] nach § 5 Abs. 1 Nr. 9 des Körperschaftsteuergesetzes von der \
                         Körperschaftsteuer und nach § 3 Nr. 6 des Gewerbesteuergesetzes von der \
                         Gewerbesteuer befreit."
                .into(),
            confirmations: vec![
                "Es wird bestätigt, dass die Zuwendung nur zur Förderung [steuerbegünstigte Zwecke] \
                 verwendet wird."
                    .into(),
                "Es wird bestätigt, dass über die in der Gesamtsumme enthaltenen Zuwendungen keine \
                 weiteren Bestätigungen, weder formelle Zuwendungsbestätigungen noch \
                 Beitragsquittungen o. ä., ausgestellt wurden und werden."
                    .into(),
                "Ob es sich um den Verzicht auf Erstattung von Aufwendungen handelt, ist der Anlage \
                 zur Sammelbestätigung zu entnehmen."
                    .into(),
            ],
            signer: "[Ort], [Name und Funktion der unterzeichnenden Person]".into(),
            notice: "Wer vorsätzlich oder grob fahrlässig eine unrichtige Zuwendungsbestätigung erstellt \
                     oder veranlasst, dass Zuwendungen nicht zu den in der Zuwendungsbestätigung \
                     angegebenen steuerbegünstigten Zwecken verwendet werden, haftet für die entgangene \
                     Steuer (§ 10b Abs. 4 EStG, § 9 Abs. 3 KStG, § 9 Nr. 5 GewStG). Diese Bestätigung \
                     wird nicht als Nachweis für die steuerliche Berücksichtigung der Zuwendung \
                     anerkannt, wenn das Datum des Freistellungsbescheides länger als 5 Jahre bzw. das \
                     Datum der Feststellung der Einhaltung der satzungsmäßigen Voraussetzungen nach \
                     § 60a Abs. 1 AO länger als 3 Jahre seit Ausstellung des Bescheides zurückliegt \
                     (§ 63 Abs. 5 AO)."
                .into(),
        }
    }
}

impl StatementSettings {
    /// Whether the German receipt still has the sample's placeholders: a statement issued so is
    /// not a valid receipt, so `cdb-admin statements generate` refuses it.
    pub fn has_placeholders(&self) -> bool {
        self.german_receipt
            && [&self.tax_office, &self.signer]
                .into_iter()
                .chain(self.confirmations.iter())
                .any(|text| text.contains('[') && text.contains(']'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_wording_has_placeholders_to_fill_in() {
        let settings = StatementSettings::default();
        assert!(settings.has_placeholders());
        let filled = StatementSettings {
            tax_office: "Wir sind … Finanzamt Berlin, StNr. 27/000/00000, vom 01.02.2025 … befreit.".into(),
            confirmations: vec![
                "Es wird bestätigt, dass die Zuwendung nur zur Förderung der Bildung verwendet wird.".into(),
            ],
            signer: "Berlin, Erika Muster (Kassenwartin)".into(),
            ..settings.clone()
        };
        assert!(!filled.has_placeholders());
        // Without the German receipt the wording is not printed, so placeholders do not matter.
        assert!(!StatementSettings { german_receipt: false, ..settings }.has_placeholders());
    }

    #[test]
    fn the_example_file_documents_the_defaults() {
        let example =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/community.example.toml");
        let settings = crate::config::Settings::load(Some(&example)).unwrap();
        assert_eq!(settings.statements, StatementSettings::default());
    }
}
