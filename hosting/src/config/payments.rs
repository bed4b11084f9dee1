// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The `[payments]`, `[stripe]` and `[paypal]` sections: what donors may give, where bank
//! transfers go, and how my.* talks to Stripe and PayPal. Parsed into `domain::payment::Offer` at start-up, so a mistyped
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaypalSettings {
    /// The REST app's client id (not secret); required when `payments.methods` offers `paypal`.
    pub client_id: String,
    /// A file holding the REST app's client secret.
    pub client_secret_file: Option<PathBuf>,
    /// The id PayPal gave our webhook (developer dashboard): part of what every delivery's
    /// signature covers, so events signed for anyone else's webhook are refused.
    pub webhook_id: String,
    /// PayPal's API: `https://api-m.paypal.com`, or `https://api-m.sandbox.paypal.com`.
    pub api_url: String,
    /// Hosts a signing certificate may be fetched from (`host` for the default port,
    /// `host:port` for another one).
    pub cert_hosts: Vec<String>,
    /// A PEM file of roots trusted besides the web PKI for the signing certificate and the API
    /// (tests: their throwaway CA). Leave unset in production.
    pub extra_trust_anchor_file: Option<PathBuf>,
    /// The name the signing certificate must be issued for
    /// (`messageverificationcerts.sandbox.paypal.com` for the sandbox).
    pub cert_name: String,
    /// How far a delivery's transmission time may be from now, either side.
    pub max_age_secs: u64,
    /// The largest webhook body taken; larger ones are refused with 413 before they are read.
    pub webhook_body_limit_bytes: usize,
}

impl Default for PaypalSettings {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            client_secret_file: None,
            webhook_id: String::new(),
            api_url: "https://api-m.paypal.com".into(),
            cert_hosts: [
                "api.paypal.com",
                "api.sandbox.paypal.com",
                "api-m.paypal.com",
                "api-m.sandbox.paypal.com",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            extra_trust_anchor_file: None,
            cert_name: "messageverificationcerts.paypal.com".into(),
            max_age_secs: 300,
            webhook_body_limit_bytes: 256 * 1024,
        }
    }
}

/// The PayPal secret and the extra trust anchor, read from their files.
#[derive(Clone)]
pub struct PaypalSecrets {
    pub client_secret: SecretString,
    /// PEM text of `paypal.extra_trust_anchor_file`.
    pub extra_trust_anchor_pem: Option<String>,
}

impl std::fmt::Debug for PaypalSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaypalSecrets")
            .field("extra_trust_anchor", &self.extra_trust_anchor_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl PaypalSettings {
    /// Reads and checks what PayPal needs; `Ok(None)` when no secret file is set. The error
    /// names the key to fix.
    pub fn secrets(&self) -> Result<Option<PaypalSecrets>, String> {
        let Some(secret_file) = &self.client_secret_file else { return Ok(None) };
        let client_secret = read_secret("paypal.client_secret_file", secret_file)?;
        if self.client_id.trim().is_empty() {
            return Err("paypal.client_id must be set (the REST app's client id)".into());
        }
        let webhook_id = self.webhook_id.trim();
        if webhook_id.is_empty() || !webhook_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("paypal.webhook_id must be the webhook's id at PayPal (letters and digits)".into());
        }
        if !(self.api_url.starts_with("https://") || self.api_url.starts_with("http://")) {
            return Err(format!("paypal.api_url {:?} must be an https URL", self.api_url));
        }
        if self.cert_hosts.is_empty()
            || self.cert_hosts.iter().any(|h| h.trim().is_empty() || h.contains('/'))
        {
            return Err("paypal.cert_hosts must list host names (host or host:port)".into());
        }
        if !(1..=3600).contains(&self.max_age_secs) {
            return Err("paypal.max_age_secs must be between 1 and 3600".into());
        }
        let extra_trust_anchor_pem = match &self.extra_trust_anchor_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("paypal.extra_trust_anchor_file {}: {e}", path.display()))?,
            ),
            None => None,
        };
        Ok(Some(PaypalSecrets { client_secret, extra_trust_anchor_pem }))
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
                Method::parse(m).map_err(|_| {
                    format!("payments.methods: {m:?} is not one of bank_transfer, stripe, paypal")
                })
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

    pub fn offers_paypal(&self) -> bool {
        self.methods.iter().any(|m| m == "paypal")
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
    fn paypal_needs_its_settings_and_names_the_key() {
        let dir = std::env::temp_dir().join(format!("cdb-paypal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = dir.join("secret");
        std::fs::write(&secret, "EO-secret-value\n").unwrap();
        let mut settings = PaypalSettings { client_secret_file: Some(secret), ..PaypalSettings::default() };
        assert!(settings.secrets().unwrap_err().starts_with("paypal.client_id"));
        settings.client_id = "AbC".into();
        assert!(settings.secrets().unwrap_err().starts_with("paypal.webhook_id"));
        settings.webhook_id = "8PT597110X687430LKGECATA".into();
        settings.max_age_secs = 0;
        assert!(settings.secrets().unwrap_err().starts_with("paypal.max_age_secs"));
        settings.max_age_secs = 300;
        let secrets = settings.secrets().unwrap().unwrap();
        assert!(!format!("{secrets:?}").contains("EO-secret"));
        settings.extra_trust_anchor_file = Some(dir.join("missing.pem"));
        assert!(settings.secrets().unwrap_err().starts_with("paypal.extra_trust_anchor_file"));
        std::fs::remove_dir_all(dir).unwrap();
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
