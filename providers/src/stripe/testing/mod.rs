// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A stand-in for Stripe's API, for tests (feature `testing`; never in a release build): an axum
//! server on `127.0.0.1:0` that answers just the endpoints [`crate::stripe::Client`] calls, the
//! way Stripe does (form-encoded requests with `a[b][0]=c` keys, JSON objects back, Stripe's error
//! bodies), and records every request so tests can assert metadata, mode, amounts and
//! idempotency keys.
//!
//! It checks what Stripe would refuse and our code could get wrong: an unknown product, a
//! recurring price in `payment` mode (or none in `subscription` mode), `payment_intent_data` in
//! `subscription` mode and the reverse, `customer` together with `customer_email`, a missing
//! `Authorization`. A repeated idempotency key gets the first answer again, as at Stripe.
//! [`StandIn::fail_with`] makes it answer every request with a 5xx, as during an outage.
//!
//! ```ignore
//! let stand_in = providers::stripe::testing::start().await?;
//! let client = stand_in.client();
//! stand_in.put(objects::charge("ch_1", Some("pi_1"), amount, 0));
//! assert_eq!(stand_in.requests()[0].param("mode"), Some("payment"));
//! ```

pub mod objects;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::client::{Client, ClientError};

/// The key the stand-in's [`StandIn::client`] uses; any `Bearer sk_...` is accepted.
pub const SECRET_KEY: &str = "sk_test_stand_in";

/// A running stand-in; the server stops when this is dropped.
pub struct StandIn {
    url: String,
    shared: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request as the stand-in received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `GET`, `POST`, `DELETE`.
    pub method: String,
    /// `/v1/checkout/sessions`
    pub path: String,
    /// Query and form parameters in order, keys decoded (`metadata[pledge]`).
    pub params: Vec<(String, String)>,
    pub idempotency_key: Option<String>,
    pub stripe_version: Option<String>,
    /// An `Authorization: Bearer sk_...` header was sent (the key itself is not kept).
    pub authorized: bool,
}

impl Recorded {
    /// The first value of a parameter (`"metadata[pledge]"`,
    /// `"line_items[0][price_data][recurring][interval]"`).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Whether any parameter key starts with `prefix` (`"subscription_data"`).
    pub fn has_param_under(&self, prefix: &str) -> bool {
        self.params.iter().any(|(k, _)| k.starts_with(prefix))
    }

    /// `"POST /v1/products"`, for compact assertions.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    /// Retrievable objects by their API path (`/v1/charges/ch_1`).
    objects: HashMap<String, Value>,
    invoice_payments: Vec<Value>,
    /// Answers by idempotency key.
    replies: HashMap<String, (StatusCode, Value)>,
    counter: u64,
    /// Set by [`StandIn::fail_with`]: every request gets this status and an `api_error`.
    failing: Option<StatusCode>,
}

impl Inner {
    fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}_standin{:06}", self.counter)
    }
}

fn lock(shared: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts a stand-in on a free local port.
pub async fn start() -> std::io::Result<StandIn> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Mutex::new(Inner::default()));
    let app = Router::new().fallback(handle).with_state(shared.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the Stripe stand-in stopped");
        }
    });
    Ok(StandIn { url: format!("http://{addr}/"), shared, task })
}

impl StandIn {
    /// The API base to give [`Client::with_api_base`] (`http://127.0.0.1:PORT/`).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A client pointed at this stand-in, its product named "Donation".
    pub fn client(&self) -> Result<Client, ClientError> {
        Client::with_api_base(&SecretString::from(SECRET_KEY), "Donation", &self.url)
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared).requests.clone()
    }

    /// The requests whose `line()` is `line` (`"POST /v1/products"`).
    pub fn requests_to(&self, line: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.line() == line).collect()
    }

    /// Stores an object (JSON as in [`objects`]) for retrieve calls, by its `object` and `id`:
    /// products, subscriptions, charges, payment intents, invoices, checkout sessions, and
    /// invoice payments (listed by `GET /v1/invoice_payments`).
    pub fn put(&self, object: Value) {
        let mut inner = lock(&self.shared);
        let kind = object["object"].as_str().unwrap_or_default().to_owned();
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        let collection = match kind.as_str() {
            "invoice_payment" => {
                inner.invoice_payments.push(object);
                return;
            }
            "product" => "products",
            "subscription" => "subscriptions",
            "charge" => "charges",
            "payment_intent" => "payment_intents",
            "invoice" => "invoices",
            "checkout.session" => "checkout/sessions",
            _ => {
                tracing::warn!(kind, "the Stripe stand-in does not serve this kind of object");
                return;
            }
        };
        inner.objects.insert(format!("/v1/{collection}/{id}"), object);
    }

    /// From now on every request is answered with `status` (a 5xx) and Stripe's `api_error`
    /// body, as during an outage at Stripe; `None` answers normally again. Requests are still
    /// recorded.
    pub fn fail_with(&self, status: Option<u16>) {
        lock(&self.shared).failing = status.and_then(|s| StatusCode::from_u16(s).ok());
    }

    /// An object as the stand-in now holds it (`"/v1/subscriptions/sub_1"`).
    pub fn object(&self, path: &str) -> Option<Value> {
        lock(&self.shared).objects.get(path).cloned()
    }
}

fn decode(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

async fn handle(
    State(shared): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut params = decode(uri.query().unwrap_or_default());
    params.extend(decode(&String::from_utf8_lossy(&body)));
    let recorded = Recorded {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        params,
        idempotency_key: header("idempotency-key"),
        stripe_version: header("stripe-version"),
        authorized: header("authorization").is_some_and(|a| a.starts_with("Bearer sk_")),
    };
    let mut inner = lock(&shared);
    inner.requests.push(recorded.clone());
    if let Some(status) = inner.failing {
        let body = objects::error("api_error", None, "An unknown error occurred (stand-in outage).", None);
        return (status, axum::Json(body)).into_response();
    }
    if let Some(reply) = recorded.idempotency_key.as_ref().and_then(|k| inner.replies.get(k)) {
        let (status, value) = reply.clone();
        return (status, axum::Json(value)).into_response();
    }
    let (status, value) = if recorded.authorized {
        route(&mut inner, &recorded)
    } else {
        refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "You did not provide an API key.",
            None,
        )
    };
    if let Some(key) = &recorded.idempotency_key {
        inner.replies.insert(key.clone(), (status, value.clone()));
    }
    (status, axum::Json(value)).into_response()
}

type Reply = (StatusCode, Value);

fn refuse(status: StatusCode, kind: &str, code: Option<&str>, message: &str, param: Option<&str>) -> Reply {
    (status, objects::error(kind, code, message, param))
}

fn bad(message: &str, param: Option<&str>) -> Reply {
    refuse(StatusCode::BAD_REQUEST, "invalid_request_error", Some("parameter_invalid"), message, param)
}

fn missing(what: &str, id: &str) -> Reply {
    refuse(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("resource_missing"),
        &format!("No such {what}: '{id}'"),
        Some("id"),
    )
}

fn route(inner: &mut Inner, req: &Recorded) -> Reply {
    let segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        (
            "GET",
            ["v1", kind @ ("products" | "subscriptions" | "charges" | "payment_intents" | "invoices"), id],
        ) => match inner.objects.get(&req.path) {
            Some(object) => (StatusCode::OK, object.clone()),
            None => missing(kind.trim_end_matches('s'), id),
        },
        ("GET", ["v1", "checkout", "sessions", id]) => match inner.objects.get(&req.path) {
            Some(object) => (StatusCode::OK, object.clone()),
            None => missing("checkout.session", id),
        },
        ("POST", ["v1", "products"]) => create_product(inner, req),
        ("POST", ["v1", "checkout", "sessions"]) => create_checkout(inner, req),
        ("POST", ["v1", "subscriptions", id]) => update_subscription(inner, req, id),
        ("DELETE", ["v1", "subscriptions", id]) => cancel_subscription(inner, id),
        ("POST", ["v1", "billing_portal", "sessions"]) => billing_portal(inner, req),
        ("GET", ["v1", "invoice_payments"]) => {
            let pi = req.param("payment[payment_intent]");
            let invoice = req.param("invoice");
            let data = inner
                .invoice_payments
                .iter()
                .filter(|p| pi.is_none_or(|pi| p["payment"]["payment_intent"] == pi))
                .filter(|p| invoice.is_none_or(|i| p["invoice"] == i))
                .cloned()
                .collect::<Vec<_>>();
            (
                StatusCode::OK,
                json!({ "object": "list", "data": data, "has_more": false, "url": "/v1/invoice_payments" }),
            )
        }
        _ => refuse(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            &format!("Unrecognized request URL ({}: {}).", req.method, req.path),
            None,
        ),
    }
}

/// `metadata[k]=v` parameters under `prefix` (`"metadata"`, `"subscription_data[metadata]"`).
fn metadata(req: &Recorded, prefix: &str) -> Value {
    let start = format!("{prefix}[");
    let map: serde_json::Map<String, Value> = req
        .params
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix(&start)?.strip_suffix(']')?;
            (!key.contains('[')).then(|| (key.to_owned(), Value::String(v.clone())))
        })
        .collect();
    Value::Object(map)
}

fn create_product(inner: &mut Inner, req: &Recorded) -> Reply {
    let Some(name) = req.param("name") else { return bad("Missing required param: name.", Some("name")) };
    let id = match req.param("id") {
        Some(id) => id.to_owned(),
        None => inner.next_id("prod"),
    };
    let path = format!("/v1/products/{id}");
    if inner.objects.contains_key(&path) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("resource_already_exists"),
            "Product already exists.",
            Some("id"),
        );
    }
    let product = objects::product(&id, name, metadata(req, "metadata"));
    inner.objects.insert(path, product.clone());
    (StatusCode::OK, product)
}

fn create_checkout(inner: &mut Inner, req: &Recorded) -> Reply {
    let mode = req.param("mode").unwrap_or_default();
    if mode != "payment" && mode != "subscription" {
        return bad("Invalid mode: must be one of payment, setup, or subscription", Some("mode"));
    }
    if req.param("success_url").is_none() {
        return bad("You must provide a success_url.", Some("success_url"));
    }
    if req.param("customer").is_some() && req.param("customer_email").is_some() {
        return bad("You may only specify one of these parameters: customer, customer_email.", None);
    }
    let price = "line_items[0][price_data]";
    let Some(product) = req.param(&format!("{price}[product]")) else {
        return bad(
            "The stand-in expects an inline price with a product.",
            Some("line_items[0][price_data]"),
        );
    };
    if !inner.objects.contains_key(&format!("/v1/products/{product}")) {
        return missing("product", product);
    }
    let recurring = req.param(&format!("{price}[recurring][interval]")).is_some();
    match mode {
        "payment" if recurring => {
            return bad(
                "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.",
                Some("mode"),
            );
        }
        "subscription" if !recurring => {
            return bad(
                "You must provide at least one recurring price in `subscription` mode.",
                Some("mode"),
            );
        }
        "payment" if req.has_param_under("subscription_data") => {
            return bad("You can not pass `subscription_data` in `payment` mode.", Some("subscription_data"));
        }
        "subscription" if req.has_param_under("payment_intent_data") => {
            return bad(
                "You can not pass `payment_intent_data` in `subscription` mode.",
                Some("payment_intent_data"),
            );
        }
        _ => {}
    }
    let unit = req.param(&format!("{price}[unit_amount]")).and_then(|a| a.parse::<i64>().ok());
    let quantity = req.param("line_items[0][quantity]").and_then(|q| q.parse::<i64>().ok()).unwrap_or(1);
    let id = inner.next_id("cs_test");
    let session = objects::checkout_session(
        &id,
        mode,
        unit.map(|u| u * quantity),
        req.param(&format!("{price}[currency]")),
        req.param("client_reference_id"),
        metadata(req, "metadata"),
        req.param("customer"),
        req.param("customer_email"),
    );
    inner.objects.insert(format!("/v1/checkout/sessions/{id}"), session.clone());
    (StatusCode::OK, session)
}

fn update_subscription(inner: &mut Inner, req: &Recorded, id: &str) -> Reply {
    let path = format!("/v1/subscriptions/{id}");
    let Some(mut subscription) = inner.objects.get(&path).cloned() else {
        return missing("subscription", id);
    };
    let item = "items[0]";
    if let Some(item_id) = req.param(&format!("{item}[id]")) {
        if subscription["items"]["data"][0]["id"] != item_id {
            return bad(&format!("No such subscription item: '{item_id}'"), Some("items[0][id]"));
        }
        let price = format!("{item}[price_data]");
        if req.has_param_under(&price) {
            let product = req.param(&format!("{price}[product]")).unwrap_or_default();
            if !inner.objects.contains_key(&format!("/v1/products/{product}")) {
                return missing("product", product);
            }
            let (Some(currency), Some(interval), Some(unit)) = (
                req.param(&format!("{price}[currency]")),
                req.param(&format!("{price}[recurring][interval]")),
                req.param(&format!("{price}[unit_amount]")).and_then(|u| u.parse::<i64>().ok()),
            ) else {
                return bad(
                    "price_data needs currency, recurring[interval] and unit_amount.",
                    Some("items[0][price_data]"),
                );
            };
            let price_id = inner.next_id("price");
            let (price, plan) = objects::recurring_price(&price_id, product, unit, currency, interval);
            subscription["items"]["data"][0]["price"] = price;
            subscription["items"]["data"][0]["plan"] = plan;
            subscription["currency"] = json!(currency);
        }
    }
    if let Some(flag) = req.param("cancel_at_period_end") {
        subscription["cancel_at_period_end"] = json!(flag == "true");
    }
    inner.objects.insert(path, subscription.clone());
    (StatusCode::OK, subscription)
}

fn cancel_subscription(inner: &mut Inner, id: &str) -> Reply {
    let path = format!("/v1/subscriptions/{id}");
    let Some(subscription) = inner.objects.get_mut(&path) else {
        return missing("subscription", id);
    };
    if subscription["status"] == "canceled" {
        return bad(&format!("The subscription {id} has already been canceled."), None);
    }
    subscription["status"] = json!("canceled");
    subscription["canceled_at"] = json!(objects::CREATED);
    subscription["ended_at"] = json!(objects::CREATED);
    (StatusCode::OK, subscription.clone())
}

fn billing_portal(inner: &mut Inner, req: &Recorded) -> Reply {
    let Some(customer) = req.param("customer").map(str::to_owned) else {
        return bad("Missing required param: customer.", Some("customer"));
    };
    if !customer.starts_with("cus_") {
        return missing("customer", &customer);
    }
    let id = inner.next_id("bps");
    (StatusCode::OK, objects::billing_portal_session(&id, &customer, req.param("return_url")))
}
