// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A stand-in for PayPal's API, for tests (feature `testing`; never in a release build): an
//! HTTPS server on `127.0.0.1:0` (TLS by tokio-rustls, a certificate for `localhost` from a
//! throwaway CA made by rcgen) that answers what [`crate::paypal::Client`] and
//! [`crate::paypal::Verifier`] call, as PayPal does:
//! - `POST /v1/oauth2/token` (HTTP Basic with any client id and secret [`CLIENT_SECRET`]);
//! - Orders v2: create, `GET`, capture (`422 ORDER_NOT_APPROVED` before [`StandIn::approve`],
//!   `422 ORDER_ALREADY_CAPTURED` after a first capture);
//! - `POST /v1/catalogs/products`, `POST /v1/billing/plans`, `POST /v1/billing/subscriptions`
//!   and `/cancel` (`422 SUBSCRIPTION_STATUS_INVALID` when cancelled already);
//! - `GET /v1/notifications/certs/{name}`: the message-verification chain (leaf for
//!   `messageverificationcerts.paypal.com` + intermediate), signed under the throwaway CA.
//!
//! A browser can approve too: PayPal's approve pages (`GET /checkoutnow?token={order}`,
//! `GET /webapps/billing/subscriptions?ba_token={id}`) approve at once and redirect to the
//! return URL with PayPal's query parameters (`token`, `PayerID`; `subscription_id`).
//! A repeated `PayPal-Request-Id` gets the first answer again. Every request is recorded
//! ([`StandIn::requests`]). [`StandIn::sign_event`] signs a webhook body exactly as PayPal does,
//! and [`StandIn::ca_pem`] is what tests configure as the extra trust anchor.
//!
//! ```ignore
//! let stand_in = providers::paypal::testing::start().await?;
//! let verifier = Verifier::new(&stand_in.verifier_config("WH-1"))?;
//! let headers = stand_in.sign_event(body, "WH-1");
//! ```

pub mod events;
mod key;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use secrecy::SecretString;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::client::{Client, ClientConfig, ClientError};
use super::verify::{self, VerifierConfig, header};

pub use key::LEAF_KEY_PEM;

/// The client secret the stand-in accepts (with any client id).
pub const CLIENT_SECRET: &str = "stand-in-secret";
/// The client id [`StandIn::client`] uses.
pub const CLIENT_ID: &str = "stand-in-client";
/// The certificate name served by default.
pub const CERT: &str = "CERT-standin-0001";

/// A CA with an intermediate, able to issue message-verification chains.
pub struct Pki {
    root_pem: String,
    intermediate: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    /// A new throwaway CA (ECDSA P-256 keys) named `name`.
    pub fn new(name: &str) -> Result<Self, rcgen::Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.distinguished_name.push(DnType::CommonName, format!("{name} root"));
        let root = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.distinguished_name.push(DnType::CommonName, format!("{name} intermediate"));
        let intermediate = CertifiedIssuer::signed_by(params, KeyPair::generate()?, &root)?;
        Ok(Self { root_pem: root.pem(), intermediate })
    }

    /// The root, PEM: the trust anchor.
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// A chain (leaf, intermediate; PEM) for `dns_name` whose leaf key is [`LEAF_KEY_PEM`].
    pub fn message_chain(&self, dns_name: &str) -> Result<String, rcgen::Error> {
        let key = KeyPair::from_pem(LEAF_KEY_PEM)?;
        let mut params = CertificateParams::new(vec![dns_name.to_owned()])?;
        params.distinguished_name.push(DnType::CommonName, dns_name);
        params.extended_key_usages =
            vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        let leaf = params.signed_by(&key, &self.intermediate)?;
        Ok(format!("{}{}", leaf.pem(), self.intermediate.pem()))
    }

    /// A TLS server certificate for `localhost` and `127.0.0.1` and its key.
    fn server_cert(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), rcgen::Error> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.intermediate)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok((vec![cert.der().clone(), self.intermediate.der().clone()], key))
    }
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub request_id: Option<String>,
    /// The JSON body (`Null` for none).
    pub body: Value,
}

impl Recorded {
    /// `"POST /v2/checkout/orders"`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    /// Orders by id: the created order plus `status`.
    orders: HashMap<String, Value>,
    subscriptions: HashMap<String, Value>,
    certs: HashMap<String, String>,
    /// Where the donor goes back to after approving, by order or subscription id.
    returns: HashMap<String, String>,
    replies: HashMap<String, (StatusCode, Value)>,
    tokens: Vec<String>,
    counter: u64,
    failing: Option<StatusCode>,
}

impl Inner {
    fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{:010}", self.counter)
    }
}

fn lock(shared: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running stand-in; the server stops when this is dropped.
pub struct StandIn {
    url: String,
    pki: Pki,
    shared: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why the stand-in did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("certificates: {0}")]
    Certificates(#[from] rcgen::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
}

/// Starts a stand-in on a free local port, serving [`CERT`] for PayPal's live name.
pub async fn start() -> Result<StandIn, StartError> {
    start_on("127.0.0.1:0").await
}

/// Starts a stand-in on `addr` (`127.0.0.1:0` for any free port).
pub async fn start_on(addr: &str) -> Result<StandIn, StartError> {
    let pki = Pki::new("PayPal stand-in")?;
    let (chain, key) = pki.server_cert()?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StartError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| StartError::Tls(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let port = listener.local_addr()?.port();
    let shared = Arc::new(Mutex::new(Inner::default()));
    lock(&shared).certs.insert(CERT.to_owned(), pki.message_chain(verify::DEFAULT_CERT_NAME)?);
    let app = Router::new().fallback(handle).with_state(Serving { shared: shared.clone(), port });
    let tls = TlsListener { tcp: listener, acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)) };
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(tls, app).await {
            tracing::error!(error = %e, "the PayPal stand-in stopped");
        }
    });
    Ok(StandIn { url: format!("https://localhost:{port}"), pki, shared, task })
}

/// TLS over a TCP listener, for `axum::serve`; a failed handshake is logged and skipped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = match self.tcp.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::debug!(error = %e, "stand-in accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            match self.acceptor.accept(stream).await {
                Ok(tls) => return (tls, addr),
                Err(e) => tracing::debug!(error = %e, "stand-in TLS handshake failed"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Headers of a signed delivery, as PayPal sends them.
#[derive(Debug, Clone)]
pub struct Signed {
    pub transmission_id: String,
    pub transmission_time: String,
    pub cert_url: String,
    pub signature: String,
    pub auth_algo: String,
}

impl Signed {
    /// As `(name, value)` pairs for a request.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            (header::TRANSMISSION_ID, self.transmission_id.clone()),
            (header::TRANSMISSION_TIME, self.transmission_time.clone()),
            (header::CERT_URL, self.cert_url.clone()),
            (header::TRANSMISSION_SIG, self.signature.clone()),
            (header::AUTH_ALGO, self.auth_algo.clone()),
        ]
    }

    /// As the verifier reads them.
    pub fn transmission(&self) -> verify::Transmission<'_> {
        verify::Transmission {
            id: Some(&self.transmission_id),
            time: Some(&self.transmission_time),
            signature: Some(&self.signature),
            cert_url: Some(&self.cert_url),
            auth_algo: Some(&self.auth_algo),
        }
    }
}

/// Signs `body` for `webhook_id` as PayPal does, sent at `at`, naming `cert_url`.
pub fn sign_at(body: &[u8], webhook_id: &str, at: OffsetDateTime, cert_url: &str) -> Signed {
    let transmission_id = uuid::Uuid::new_v4().to_string();
    let transmission_time = at.replace_nanosecond(0).unwrap_or(at).format(&Rfc3339).unwrap_or_default();
    let key =
        PrivatePkcs8KeyDer::from_pem_slice(LEAF_KEY_PEM.as_bytes()).map(|k| k.secret_pkcs8_der().to_vec());
    let signature = key
        .map_err(|e| e.to_string())
        .and_then(|der| verify::sign(&der, &transmission_id, &transmission_time, webhook_id, body))
        .unwrap_or_default();
    Signed {
        transmission_id,
        transmission_time,
        cert_url: cert_url.to_owned(),
        signature,
        auth_algo: verify::AUTH_ALGO.to_owned(),
    }
}

impl StandIn {
    /// `https://localhost:PORT`: the API base for [`ClientConfig::api_url`].
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `localhost:PORT`: the certificate host tests allow.
    pub fn host(&self) -> String {
        self.url.trim_start_matches("https://").to_owned()
    }

    /// The throwaway root, PEM: the extra trust anchor for the client and the verifier.
    pub fn ca_pem(&self) -> String {
        self.pki.root_pem().to_owned()
    }

    pub fn pki(&self) -> &Pki {
        &self.pki
    }

    /// The URL of a served certificate.
    pub fn cert_url(&self, name: &str) -> String {
        format!("{}{}{name}", self.url, verify::CERT_PATH)
    }

    /// Serves `pem` (a chain, leaf first) at [`StandIn::cert_url`] `name`.
    pub fn put_cert(&self, name: &str, pem: String) {
        lock(&self.shared).certs.insert(name.to_owned(), pem);
    }

    /// The client configuration for this stand-in.
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig {
            api_url: self.url.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: SecretString::from(CLIENT_SECRET),
            extra_root_pem: Some(self.ca_pem()),
            brand_name: "Test Supporters".to_owned(),
        }
    }

    pub fn client(&self) -> Result<Client, ClientError> {
        Client::new(&self.client_config())
    }

    /// A verifier configuration that trusts this stand-in's CA and certificate host.
    pub fn verifier_config(&self, webhook_id: &str) -> VerifierConfig {
        let mut config = VerifierConfig::new(webhook_id);
        config.cert_hosts.push(self.host());
        config.extra_trust_anchor_pem = Some(self.ca_pem());
        config
    }

    /// Signs `body` for `webhook_id` now, with the served certificate.
    pub fn sign_event(&self, body: &[u8], webhook_id: &str) -> Signed {
        sign_at(body, webhook_id, OffsetDateTime::now_utc(), &self.cert_url(CERT))
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared).requests.clone()
    }

    /// The requests whose [`Recorded::line`] starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.line().starts_with(prefix)).collect()
    }

    /// The donor approves an order at PayPal.
    pub fn approve(&self, order_id: &str) -> bool {
        let mut inner = lock(&self.shared);
        match inner.orders.get_mut(order_id) {
            Some(order) if order["status"] == "CREATED" || order["status"] == "PAYER_ACTION_REQUIRED" => {
                order["status"] = json!("APPROVED");
                true
            }
            _ => false,
        }
    }

    /// An order as stored (with `status`).
    pub fn order(&self, order_id: &str) -> Option<Value> {
        lock(&self.shared).orders.get(order_id).cloned()
    }

    /// A subscription as stored (with `status`).
    pub fn subscription(&self, id: &str) -> Option<Value> {
        lock(&self.shared).subscriptions.get(id).cloned()
    }

    /// Answers every API request with `status` from now on (`None`: normal again).
    pub fn fail_with(&self, status: Option<StatusCode>) {
        lock(&self.shared).failing = status;
    }
}

#[derive(Clone)]
struct Serving {
    shared: Arc<Mutex<Inner>>,
    port: u16,
}

fn paypal_error(status: StatusCode, name: &str, issue: Option<&str>) -> (StatusCode, Value) {
    let details: Vec<Value> = issue.map(|i| json!({ "issue": i })).into_iter().collect();
    (status, json!({ "name": name, "message": name, "debug_id": "standin", "details": details }))
}

async fn handle(
    State(serving): State<Serving>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let request_id = headers.get("paypal-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut inner = lock(&serving.shared);
    inner.requests.push(Recorded {
        method: method.to_string(),
        path: path.clone(),
        request_id: request_id.clone(),
        body: json_body.clone(),
    });
    if method == Method::GET
        && let Some(name) = path.strip_prefix(verify::CERT_PATH)
    {
        return match inner.certs.get(name) {
            Some(pem) => (StatusCode::OK, pem.clone()).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    if method == Method::GET && (path == "/checkoutnow" || path == "/webapps/billing/subscriptions") {
        return approve_page(&mut inner, &uri);
    }
    if let Some(status) = inner.failing {
        let (status, body) = paypal_error(status, "INTERNAL_SERVICE_ERROR", None);
        return (status, axum::Json(body)).into_response();
    }
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if path == "/v1/oauth2/token" {
        return token(&mut inner, authorization, &body);
    }
    let bearer = authorization.strip_prefix("Bearer ").unwrap_or_default();
    if !inner.tokens.iter().any(|t| t == bearer) {
        let (status, body) = paypal_error(StatusCode::UNAUTHORIZED, "AUTHENTICATION_FAILURE", None);
        return (status, axum::Json(body)).into_response();
    }
    if method == Method::POST
        && let Some(key) = &request_id
        && let Some((status, body)) = inner.replies.get(key)
    {
        return (*status, axum::Json(body.clone())).into_response();
    }
    let base = format!("https://localhost:{}", serving.port);
    let (status, reply) = route(&mut inner, &method, &path, &json_body, &base);
    if method == Method::POST
        && let Some(key) = request_id
    {
        inner.replies.insert(key, (status, reply.clone()));
    }
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    (status, axum::Json(reply)).into_response()
}

/// PayPal's approve page, reduced to its outcome: the donor approved.
fn approve_page(inner: &mut Inner, uri: &Uri) -> Response {
    let query: HashMap<String, String> = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let (id, order) = match (query.get("token"), query.get("ba_token")) {
        (Some(id), _) => (id.clone(), true),
        (None, Some(id)) => (id.clone(), false),
        (None, None) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let Some(back) = inner.returns.get(&id).cloned() else { return StatusCode::NOT_FOUND.into_response() };
    let joiner = if back.contains('?') { '&' } else { '?' };
    let to = if order {
        if let Some(o) = inner.orders.get_mut(&id) {
            o["status"] = json!("APPROVED");
        }
        format!("{back}{joiner}token={id}&PayerID=STANDINPAYER")
    } else {
        if let Some(s) = inner.subscriptions.get_mut(&id) {
            s["status"] = json!("ACTIVE");
        }
        format!("{back}{joiner}subscription_id={id}&ba_token={id}&token=EC-STANDIN")
    };
    (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, to)]).into_response()
}

fn token(inner: &mut Inner, authorization: &str, body: &[u8]) -> Response {
    use base64::Engine as _;
    let credentials = authorization
        .strip_prefix("Basic ")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let secret_ok =
        credentials.as_deref().and_then(|c| c.split_once(':')).is_some_and(|(_, s)| s == CLIENT_SECRET);
    if !secret_ok || body != b"grant_type=client_credentials" {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "invalid_client" }))).into_response();
    }
    let token = inner.next_id("A21AAstandin");
    inner.tokens.push(token.clone());
    axum::Json(json!({ "access_token": token, "token_type": "Bearer", "expires_in": 32400,
                       "scope": "https://uri.paypal.com/services/payments/payment" }))
    .into_response()
}

fn route(inner: &mut Inner, method: &Method, path: &str, body: &Value, base: &str) -> (StatusCode, Value) {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["v2", "checkout", "orders"]) => {
            let unit = &body["purchase_units"][0];
            if body["intent"] != "CAPTURE" || unit["amount"]["value"].as_str().is_none() {
                return paypal_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "UNPROCESSABLE_ENTITY",
                    Some("INVALID_PARAMETER_VALUE"),
                );
            }
            let id = inner.next_id("5O");
            let order = json!({
                "id": id, "intent": "CAPTURE", "status": "PAYER_ACTION_REQUIRED",
                "purchase_units": [unit.clone()],
                "links": [
                    { "href": format!("{base}/v2/checkout/orders/{id}"), "rel": "self", "method": "GET" },
                    { "href": format!("{base}/checkoutnow?token={id}"), "rel": "payer-action", "method": "GET" },
                ],
            });
            if let Some(back) =
                body.pointer("/payment_source/paypal/experience_context/return_url").and_then(Value::as_str)
            {
                inner.returns.insert(id.clone(), back.to_owned());
            }
            inner.orders.insert(id, order.clone());
            (StatusCode::OK, order)
        }
        ("GET", ["v2", "checkout", "orders", id]) => match inner.orders.get(*id) {
            Some(order) => (StatusCode::OK, order.clone()),
            None => paypal_error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", Some("INVALID_RESOURCE_ID")),
        },
        ("POST", ["v2", "checkout", "orders", id, "capture"]) => {
            let capture_id = inner.next_id("CAP");
            let Some(order) = inner.orders.get_mut(*id) else {
                return paypal_error(
                    StatusCode::NOT_FOUND,
                    "RESOURCE_NOT_FOUND",
                    Some("INVALID_RESOURCE_ID"),
                );
            };
            match order["status"].as_str() {
                Some("APPROVED") => {}
                Some("COMPLETED") => {
                    return paypal_error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "UNPROCESSABLE_ENTITY",
                        Some("ORDER_ALREADY_CAPTURED"),
                    );
                }
                _ => {
                    return paypal_error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "UNPROCESSABLE_ENTITY",
                        Some("ORDER_NOT_APPROVED"),
                    );
                }
            }
            let unit = order["purchase_units"][0].clone();
            order["status"] = json!("COMPLETED");
            order["purchase_units"][0]["payments"] = json!({ "captures": [{
                "id": capture_id, "status": "COMPLETED", "amount": unit["amount"], "custom_id": unit["custom_id"],
            }]});
            (StatusCode::CREATED, order.clone())
        }
        ("POST", ["v1", "catalogs", "products"]) => {
            if body["name"].as_str().is_none() || body["type"].as_str().is_none() {
                return paypal_error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    Some("MISSING_REQUIRED_PARAMETER"),
                );
            }
            let id = inner.next_id("PROD-");
            (StatusCode::CREATED, json!({ "id": id, "name": body["name"], "type": body["type"] }))
        }
        ("POST", ["v1", "billing", "plans"]) => {
            let cycle = &body["billing_cycles"][0];
            if body["product_id"].as_str().is_none() || cycle["frequency"]["interval_unit"].as_str().is_none()
            {
                return paypal_error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    Some("MISSING_REQUIRED_PARAMETER"),
                );
            }
            let id = inner.next_id("P-");
            let mut plan = body.clone();
            plan["id"] = json!(id);
            (StatusCode::CREATED, plan)
        }
        ("POST", ["v1", "billing", "subscriptions"]) => {
            if body["plan_id"].as_str().is_none() {
                return paypal_error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    Some("MISSING_REQUIRED_PARAMETER"),
                );
            }
            let id = inner.next_id("I-");
            let subscription = json!({
                "id": id, "status": "APPROVAL_PENDING", "plan_id": body["plan_id"], "custom_id": body["custom_id"],
                "plan": body["plan"],
                "links": [
                    { "href": format!("{base}/webapps/billing/subscriptions?ba_token={id}"), "rel": "approve", "method": "GET" },
                    { "href": format!("{base}/v1/billing/subscriptions/{id}"), "rel": "self", "method": "GET" },
                ],
            });
            if let Some(back) = body.pointer("/application_context/return_url").and_then(Value::as_str) {
                inner.returns.insert(id.clone(), back.to_owned());
            }
            inner.subscriptions.insert(id, subscription.clone());
            (StatusCode::CREATED, subscription)
        }
        ("POST", ["v1", "billing", "subscriptions", id, "cancel"]) => {
            match inner.subscriptions.get_mut(*id) {
                Some(s) if s["status"] == "CANCELLED" || s["status"] == "EXPIRED" => paypal_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "UNPROCESSABLE_ENTITY",
                    Some("SUBSCRIPTION_STATUS_INVALID"),
                ),
                Some(s) => {
                    s["status"] = json!("CANCELLED");
                    (StatusCode::NO_CONTENT, Value::Null)
                }
                None => {
                    paypal_error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", Some("INVALID_RESOURCE_ID"))
                }
            }
        }
        ("GET", ["v1", "billing", "subscriptions", id]) => match inner.subscriptions.get(*id) {
            Some(s) => (StatusCode::OK, s.clone()),
            None => paypal_error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", Some("INVALID_RESOURCE_ID")),
        },
        _ => paypal_error(StatusCode::NOT_FOUND, "NOT_FOUND", None),
    }
}
