// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The few PayPal REST calls we make, on reqwest with rustls (ring, web PKI roots):
//! - OAuth2 client credentials (`/v1/oauth2/token`): one token, kept until a minute before it
//!   expires, shared by every call;
//! - Orders v2: create (intent `CAPTURE`, `custom_id` = the pledge's creditor reference,
//!   `reference_id` = the pledge id), capture (an already captured order is
//!   [`Captured::AlreadyCaptured`], not an error), get;
//! - Subscriptions v1: create a catalog product and a plan (once each, see
//!   [`super::checkout`]), create a subscription with the donor's amount as a plan override,
//!   cancel one.
//!
//! Every POST carries `PayPal-Request-Id`: PayPal answers a repeated id with the first answer,
//! so a retried request never creates a second order, plan or subscription. Amounts go out as
//! decimal strings made from minor units ([`decimal`]), never floats.
//!
//! Errors name PayPal's status and `name`/issue only; PayPal's message is never logged whole
//! (it may echo what we sent), and the client secret and tokens never appear in any error.

use domain::payment::{Money, Period};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long one API call may take.
const TIMEOUT: Duration = Duration::from_secs(15);
/// A token is renewed this long before PayPal says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the PayPal client is misconfigured: {0}")]
    Config(String),
    #[error("PayPal did not answer: {0}")]
    Transport(String),
    /// PayPal refused: its status and error `name` (and the first detail's `issue`).
    #[error("PayPal refused the request: {status} {name} {issue:?}")]
    Refused { status: u16, name: String, issue: Option<String> },
    #[error("PayPal's answer lacks {0}")]
    Invalid(&'static str),
}

impl ClientError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClientError::Refused { status: 404, .. })
    }
}

/// Where and as whom the client talks to PayPal.
#[derive(Clone)]
pub struct ClientConfig {
    /// `https://api-m.paypal.com` (live) or `https://api-m.sandbox.paypal.com`.
    pub api_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// PEM roots trusted besides the web PKI (tests: the stand-in's CA).
    pub extra_root_pem: Option<String>,
    /// Shown to the donor on PayPal's pages.
    pub brand_name: String,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig").field("api_url", &self.api_url).finish_non_exhaustive()
    }
}

/// A PayPal API client; cheap to share behind an `Arc` (one token for all).
pub struct Client {
    http: reqwest::Client,
    api_url: String,
    client_id: String,
    client_secret: SecretString,
    brand_name: String,
    token: tokio::sync::Mutex<Option<(SecretString, Instant)>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("api_url", &self.api_url).finish_non_exhaustive()
    }
}

/// An order or subscription the donor is to approve at PayPal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    /// Where to send the donor (`rel` `approve` or `payer-action`).
    pub approve_url: String,
}

/// What capturing an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Captured {
    /// Captured now: the capture's id and status (`COMPLETED`, `PENDING`, `DECLINED`).
    Captured { capture_id: Option<String>, status: String },
    /// It was captured before (by the webhook or the return page): nothing more to do.
    AlreadyCaptured,
    /// Not approved (yet): the donor did not finish at PayPal.
    NotApproved,
}

/// A one-off gift to create as an order.
#[derive(Debug, Clone)]
pub struct OrderRequest<'a> {
    /// The pledge id (`reference_id`); also makes the `PayPal-Request-Id`.
    pub pledge_id: &'a str,
    /// The pledge's creditor reference (`custom_id`).
    pub reference: &'a str,
    pub amount: Money,
    pub description: &'a str,
    pub return_url: &'a str,
    pub cancel_url: &'a str,
}

/// A recurring gift to create as a subscription.
#[derive(Debug, Clone)]
pub struct SubscriptionRequest<'a> {
    pub plan_id: &'a str,
    pub reference: &'a str,
    pub amount: Money,
    pub return_url: &'a str,
    pub cancel_url: &'a str,
    /// `PayPal-Request-Id`.
    pub request_id: &'a str,
}

/// An order as PayPal shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderInfo {
    pub id: String,
    pub status: String,
    pub custom_id: Option<String>,
    pub reference_id: Option<String>,
}

#[derive(Deserialize)]
struct Token {
    access_token: String,
    #[serde(default)]
    expires_in: u64,
}

/// Minor units as PayPal's decimal text: 1050 EUR minor units → `"10.50"`, 1000 JPY → `"1000"`.
pub fn decimal(amount: Money) -> String {
    let exponent = usize::from(amount.currency.exponent());
    let scale = amount.currency.scale();
    let sign = if amount.minor < 0 { "-" } else { "" };
    let minor = amount.minor.unsigned_abs();
    let scale = scale.unsigned_abs().max(1);
    if exponent == 0 {
        format!("{sign}{minor}")
    } else {
        format!("{sign}{}.{:0exponent$}", minor / scale, minor % scale)
    }
}

impl Client {
    pub fn new(config: &ClientConfig) -> Result<Self, ClientError> {
        let mut http =
            reqwest::Client::builder().timeout(TIMEOUT).redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &config.extra_root_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|_| ClientError::Config("the extra trust anchor is no PEM certificate".into()))?;
            for cert in certs {
                http = http.add_root_certificate(cert);
            }
        }
        let api_url = config.api_url.trim_end_matches('/').to_owned();
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(ClientError::Config("paypal.api_url must be an http(s) URL".into()));
        }
        Ok(Self {
            http: http.build().map_err(|e| ClientError::Config(e.to_string()))?,
            api_url,
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            brand_name: config.brand_name.chars().take(127).collect(),
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// The PayPal account this client acts for (its REST client id): what products and plans
    /// are remembered under.
    pub fn account(&self) -> &str {
        &self.client_id
    }

    /// A valid access token: the kept one, else a new one.
    async fn token(&self) -> Result<SecretString, ClientError> {
        let mut kept = self.token.lock().await;
        if let Some((token, until)) = kept.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let response = self
            .http
            .post(format!("{}/v1/oauth2/token", self.api_url))
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(transport)?;
        let token: Token = read(response).await?;
        let lifetime = Duration::from_secs(token.expires_in).saturating_sub(TOKEN_MARGIN);
        let secret = SecretString::from(token.access_token);
        *kept = Some((secret.clone(), Instant::now() + lifetime));
        Ok(secret)
    }

    async fn post(
        &self,
        path: &str,
        request_id: Option<&str>,
        body: &Value,
    ) -> Result<reqwest::Response, ClientError> {
        let token = self.token().await?;
        let mut request = self
            .http
            .post(format!("{}{path}", self.api_url))
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .header("Prefer", "return=representation")
            .json(body);
        if let Some(id) = request_id {
            request = request.header("PayPal-Request-Id", id);
        }
        request.send().await.map_err(transport)
    }

    async fn get(&self, path: &str) -> Result<reqwest::Response, ClientError> {
        let token = self.token().await?;
        self.http
            .get(format!("{}{path}", self.api_url))
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport)
    }

    /// Creates the order of a one-off gift; the same pledge always gets the same order
    /// (`PayPal-Request-Id` `cdb-order-{pledge}`).
    pub async fn create_order(&self, order: &OrderRequest<'_>) -> Result<Created, ClientError> {
        let body = json!({
            "intent": "CAPTURE",
            "purchase_units": [{
                "reference_id": order.pledge_id,
                "custom_id": order.reference,
                "description": order.description.chars().take(127).collect::<String>(),
                "amount": { "currency_code": order.amount.currency.as_str(), "value": decimal(order.amount) },
            }],
            "payment_source": { "paypal": { "experience_context": {
                "brand_name": self.brand_name,
                "shipping_preference": "NO_SHIPPING",
                "user_action": "PAY_NOW",
                "return_url": order.return_url,
                "cancel_url": order.cancel_url,
            }}},
        });
        let request_id = format!("cdb-order-{}", order.pledge_id);
        let value: Value = read(self.post("/v2/checkout/orders", Some(&request_id), &body).await?).await?;
        created(&value)
    }

    /// Captures an approved order. Idempotent: an order captured before is
    /// [`Captured::AlreadyCaptured`].
    pub async fn capture_order(&self, order_id: &str) -> Result<Captured, ClientError> {
        let path = format!("/v2/checkout/orders/{}/capture", path_segment(order_id)?);
        let request_id = format!("cdb-capture-{order_id}");
        let response = self.post(&path, Some(&request_id), &json!({})).await?;
        match read::<Value>(response).await {
            Ok(value) => {
                let capture = value.pointer("/purchase_units/0/payments/captures/0");
                Ok(Captured::Captured {
                    capture_id: capture.and_then(|c| c.get("id")).and_then(Value::as_str).map(str::to_owned),
                    status: capture
                        .and_then(|c| c.get("status"))
                        .or_else(|| value.get("status"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                })
            }
            Err(ClientError::Refused { status: 422, issue: Some(issue), .. })
                if issue == "ORDER_ALREADY_CAPTURED" =>
            {
                Ok(Captured::AlreadyCaptured)
            }
            Err(ClientError::Refused { status: 422, issue: Some(issue), .. })
                if issue == "ORDER_NOT_APPROVED" || issue == "PAYER_ACTION_REQUIRED" =>
            {
                Ok(Captured::NotApproved)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn get_order(&self, order_id: &str) -> Result<OrderInfo, ClientError> {
        let path = format!("/v2/checkout/orders/{}", path_segment(order_id)?);
        let value: Value = read(self.get(&path).await?).await?;
        let text = |p: &str| value.pointer(p).and_then(Value::as_str).map(str::to_owned);
        Ok(OrderInfo {
            id: text("/id").ok_or(ClientError::Invalid("id"))?,
            status: text("/status").unwrap_or_default(),
            custom_id: text("/purchase_units/0/custom_id"),
            reference_id: text("/purchase_units/0/reference_id"),
        })
    }

    /// Creates the catalog product every plan belongs to.
    pub async fn create_product(&self, name: &str, request_id: &str) -> Result<String, ClientError> {
        let body = json!({ "name": name.chars().take(127).collect::<String>(), "type": "SERVICE" });
        let value: Value = read(self.post("/v1/catalogs/products", Some(request_id), &body).await?).await?;
        value.get("id").and_then(Value::as_str).map(str::to_owned).ok_or(ClientError::Invalid("id"))
    }

    /// Creates the plan of one period and currency: a regular cycle without end at a nominal
    /// price (each subscription overrides it with the donor's amount).
    pub async fn create_plan(
        &self,
        product_id: &str,
        period: Period,
        nominal: Money,
        request_id: &str,
    ) -> Result<String, ClientError> {
        let unit = match period {
            Period::Yearly => "YEAR",
            _ => "MONTH",
        };
        let body = json!({
            "product_id": product_id,
            "name": format!("Donation, {} ({})", period.as_str(), nominal.currency),
            "status": "ACTIVE",
            "billing_cycles": [{
                "frequency": { "interval_unit": unit, "interval_count": 1 },
                "tenure_type": "REGULAR",
                "sequence": 1,
                "total_cycles": 0,
                "pricing_scheme": { "fixed_price": {
                    "currency_code": nominal.currency.as_str(), "value": decimal(nominal) } },
            }],
            "payment_preferences": { "auto_bill_outstanding": true, "payment_failure_threshold": 3 },
        });
        let value: Value = read(self.post("/v1/billing/plans", Some(request_id), &body).await?).await?;
        value.get("id").and_then(Value::as_str).map(str::to_owned).ok_or(ClientError::Invalid("id"))
    }

    /// Creates a subscription on a plan with the donor's amount (`plan.billing_cycles`
    /// override) and our reference as `custom_id`.
    pub async fn create_subscription(&self, s: &SubscriptionRequest<'_>) -> Result<Created, ClientError> {
        let body = json!({
            "plan_id": s.plan_id,
            "custom_id": s.reference,
            "plan": { "billing_cycles": [{
                "sequence": 1,
                "total_cycles": 0,
                "pricing_scheme": { "fixed_price": {
                    "currency_code": s.amount.currency.as_str(), "value": decimal(s.amount) } },
            }]},
            "application_context": {
                "brand_name": self.brand_name,
                "shipping_preference": "NO_SHIPPING",
                "user_action": "SUBSCRIBE_NOW",
                "return_url": s.return_url,
                "cancel_url": s.cancel_url,
            },
        });
        let value: Value =
            read(self.post("/v1/billing/subscriptions", Some(s.request_id), &body).await?).await?;
        created(&value)
    }

    /// Cancels a subscription. One that is cancelled or expired already is no error.
    pub async fn cancel_subscription(&self, id: &str, reason: &str) -> Result<(), ClientError> {
        let path = format!("/v1/billing/subscriptions/{}/cancel", path_segment(id)?);
        let body = json!({ "reason": reason.chars().take(127).collect::<String>() });
        let response = self.post(&path, None, &body).await?;
        match read::<Value>(response).await {
            Ok(_) => Ok(()),
            Err(ClientError::Refused { status: 422, issue: Some(issue), .. })
                if issue == "SUBSCRIPTION_STATUS_INVALID" =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// An id put in a path: PayPal's ids are letters, digits and `-`.
fn path_segment(id: &str) -> Result<&str, ClientError> {
    if id.is_empty()
        || id.len() > 64
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ClientError::Invalid("a well-formed id"));
    }
    Ok(id)
}

fn transport(e: reqwest::Error) -> ClientError {
    // Without the URL: it is ours, but keeps logs short; never a header.
    ClientError::Transport(e.without_url().to_string())
}

/// The JSON of a 2xx answer (an empty body reads as `null`), else [`ClientError::Refused`].
async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, ClientError> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(transport)?;
    if status.is_success() {
        let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        return serde_json::from_slice(bytes)
            .map_err(|_| ClientError::Invalid("JSON of the documented shape"));
    }
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let name = value
        .get("name")
        .or_else(|| value.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .chars()
        .take(64)
        .collect();
    let issue =
        value.pointer("/details/0/issue").and_then(Value::as_str).map(|s| s.chars().take(64).collect());
    Err(ClientError::Refused { status: status.as_u16(), name, issue })
}

/// The id and approve link of a created order or subscription.
fn created(value: &Value) -> Result<Created, ClientError> {
    let id = value.get("id").and_then(Value::as_str).ok_or(ClientError::Invalid("id"))?;
    let approve = value
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|l| matches!(l.get("rel").and_then(Value::as_str), Some("approve" | "payer-action")))
        .find_map(|l| l.get("href").and_then(Value::as_str))
        .filter(|href| href.starts_with("https://") || href.starts_with("http://"))
        .ok_or(ClientError::Invalid("an approve link"))?;
    Ok(Created { id: id.to_owned(), approve_url: approve.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::payment::Currency;

    #[test]
    fn decimals_come_from_minor_units() {
        let eur = |m| Money::new(m, Currency::EUR);
        assert_eq!(decimal(eur(1050)), "10.50");
        assert_eq!(decimal(eur(5)), "0.05");
        assert_eq!(decimal(eur(100_000)), "1000.00");
        assert_eq!(decimal(Money::new(1000, Currency::parse("JPY").unwrap())), "1000");
    }

    #[test]
    fn ids_in_paths_are_plain() {
        assert!(path_segment("5O190127TN364715T").is_ok());
        assert!(path_segment("I-BW452GLLEP1G").is_ok());
        for bad in ["", "../x", "a/b", "a?b", "a%2f"] {
            assert!(path_segment(bad).is_err(), "{bad}");
        }
    }
}
