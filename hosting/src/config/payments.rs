// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The `[payments]` and `[stripe]` sections: what donors may give, where bank transfers go, and
//! how my.* talks to Stripe. Parsed into `domain::payment::Offer` at start-up, so a mistyped
//! IBAN or currency stops the binary with the key to fix instead of showing a wrong page.

use domain::payment::{BankAccount, Currency, Iban, Method, Offer};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The ISO 13616 example IBAN, the default so the local stack runs without settings. A server
/// started with it says so in its log.
pub const EXAMPLE_IBAN: &str = "DE89370400440532013000";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentSettings {
    /// Accepted ISO 4217 currencies; the first is the default.
    pub currencies: Vec<String>,
    /// Preset amounts on the donate page, in whole units of the default currency.
    pub presets: Vec<i64>,
    /// The preset chosen before the donor picks one.
    pub default_amount: i64,
    /// The smallest gift, in minor units (100 = 1.00 EUR).
    pub minimum_minor: i64,
    /// The largest gift taken by the form, in minor units.
    pub maximum_minor: i64,
    /// Offered methods in the order shown: `bank_transfer`, `stripe`.
    pub methods: Vec<String>,
    /// Days a bank transfer of a recurring pledge may be late before its one friendly reminder
    /// goes out (one per due date, never a stream).
    pub reminder_grace_days: u16,
    pub bank: BankSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BankSettings {
    /// The account holder, as the bank knows it (at most 70 characters).
    pub holder: String,
    pub iban: String,
    /// Optional within the EEA.
    pub bic: String,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        let offer = Offer::default();
        Self {
            currencies: vec!["EUR".into()],
            presets: offer.presets,
            default_amount: offer.default_amount,
            minimum_minor: offer.minimum_minor,
            maximum_minor: offer.maximum_minor,
            methods: vec!["bank_transfer".into()],
            reminder_grace_days: 14,
            bank: BankSettings::default(),
        }
    }
}

impl Default for BankSettings {
    fn default() -> Self {
        Self { holder: "Community Database".into(), iban: EXAMPLE_IBAN.into(), bic: String::new() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StripeSettings {
    /// A file holding the secret API key (`sk_live_…`); required when `payments.methods`
    /// offers `stripe`.
    pub secret_key_file: Option<PathBuf>,
    /// Files holding the webhook endpoint's signing secrets (`whsec_…`): one, or two while
    /// rotating (both are accepted until the old one is removed).
    pub webhook_secret_files: Vec<PathBuf>,
    /// Stripe's API; tests point it at a local stand-in.
    pub api_url: String,
    /// The name of the one Product every Stripe donation is a price of.
    pub product_name: String,
    /// The largest webhook body taken; larger ones are refused with 413 before they are read.
    pub webhook_body_limit_bytes: usize,
}

impl Default for StripeSettings {
    fn default() -> Self {
        Self {
            secret_key_file: None,
            webhook_secret_files: Vec::new(),
            api_url: "https://api.stripe.com/".into(),
            product_name: "Donation".into(),
            webhook_body_limit_bytes: 256 * 1024,
        }
    }
}

/// The Stripe secrets, read from their files.
#[derive(Clone)]
pub struct StripeSecrets {
    pub secret_key: SecretString,
    pub webhook_secrets: Vec<SecretString>,
}

impl std::fmt::Debug for StripeSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSecrets")
            .field("webhook_secrets", &self.webhook_secrets.len())
            .finish_non_exhaustive()
    }
}

fn read_secret(key: &str, path: &PathBuf) -> Result<SecretString, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{key} {}: {e}", path.display()))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{key} {} is empty", path.display()));
    }
    Ok(SecretString::from(text.to_owned()))
}

impl PaymentSettings {
    /// The offer, checked; the error names the key to fix.
    pub fn offer(&self) -> Result<Offer, String> {
        let currencies = self
            .currencies
            .iter()
            .map(|c| {
                Currency::parse(c)
                    .map_err(|_| format!("payments.currencies: {c:?} is not a currency we know"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let methods = self
            .methods
            .iter()
            .map(|m| {
                Method::parse(m)
                    .map_err(|_| format!("payments.methods: {m:?} is not one of bank_transfer, stripe"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let iban = Iban::parse(&self.bank.iban)
            .map_err(|e| format!("payments.bank.iban is not a valid IBAN ({:?})", e.problem))?;
        let bic = self.bank.bic.trim();
        if !(bic.is_empty() || bic.len() == 8 || bic.len() == 11)
            || !bic.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err("payments.bank.bic must be empty or 8 or 11 letters and digits".into());
        }
        let offer = Offer {
            currencies,
            presets: self.presets.clone(),
            default_amount: self.default_amount,
            minimum_minor: self.minimum_minor,
            maximum_minor: self.maximum_minor,
            methods,
            bank: Some(BankAccount {
                holder: self.bank.holder.trim().to_owned(),
                iban,
                bic: (!bic.is_empty()).then(|| bic.to_ascii_uppercase()),
            }),
        };
        offer.validate()?;
        Ok(offer)
    }

    pub fn offers_stripe(&self) -> bool {
        self.methods.iter().any(|m| m == "stripe")
    }
}

impl StripeSettings {
    /// Reads the secrets; `Ok(None)` when no key file is set.
    pub fn secrets(&self) -> Result<Option<StripeSecrets>, String> {
        let Some(key_file) = &self.secret_key_file else { return Ok(None) };
        let secret_key = read_secret("stripe.secret_key_file", key_file)?;
        if self.webhook_secret_files.is_empty() || self.webhook_secret_files.len() > 2 {
            return Err("stripe.webhook_secret_files must name one file (two while rotating)".into());
        }
        let webhook_secrets = self
            .webhook_secret_files
            .iter()
            .map(|p| read_secret("stripe.webhook_secret_files", p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(StripeSecrets { secret_key, webhook_secrets }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_make_a_valid_offer() {
        let offer = PaymentSettings::default().offer().unwrap();
        assert_eq!(offer.methods, [Method::BankTransfer]);
        assert_eq!(offer.bank.unwrap().iban.as_str(), EXAMPLE_IBAN);
    }

    #[test]
    fn bad_settings_name_their_key() {
        let mut settings = PaymentSettings::default();
        settings.bank.iban = "DE88370400440532013000".into();
        assert!(settings.offer().unwrap_err().starts_with("payments.bank.iban"));
        let settings = PaymentSettings { currencies: vec!["EURO".into()], ..PaymentSettings::default() };
        assert!(settings.offer().unwrap_err().starts_with("payments.currencies"));
        let settings = PaymentSettings { methods: vec!["cash".into()], ..PaymentSettings::default() };
        assert!(settings.offer().unwrap_err().starts_with("payments.methods"));
        let mut settings = PaymentSettings::default();
        settings.bank.bic = "COBA<DE>".into();
        assert!(settings.offer().unwrap_err().starts_with("payments.bank.bic"));
    }

    #[test]
    fn stripe_needs_its_secrets_in_files() {
        let dir = std::env::temp_dir().join(format!("cdb-stripe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("key");
        std::fs::write(&key, "sk_test_123\n").unwrap();
        let mut settings = StripeSettings { secret_key_file: Some(key.clone()), ..StripeSettings::default() };
        assert!(settings.secrets().unwrap_err().contains("webhook_secret_files"));
        let hook = dir.join("hook");
        std::fs::write(&hook, "whsec_abc").unwrap();
        settings.webhook_secret_files = vec![hook];
        let secrets = settings.secrets().unwrap().unwrap();
        assert_eq!(secrets.webhook_secrets.len(), 1);
        assert!(!format!("{secrets:?}").contains("sk_test"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
