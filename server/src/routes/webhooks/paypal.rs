// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /webhooks/paypal`: PayPal's event deliveries
//! (<https://developer.paypal.com/api/rest/webhooks/>), verified offline (docs/paypal.md).
//!
//! In this order, and nothing is stored before the last step:
//! 1. PayPal not configured (`payments.methods` without `paypal`): 404.
//! 2. The body, up to `paypal.webhook_body_limit_bytes`: a larger one is 413, refused by its
//!    `Content-Length` before a byte is read, or as soon as the limit is passed.
//! 3. [`providers::paypal::Verifier::verify`]: the algorithm, the transmission time, the
//!    certificate URL's allow-list, the certificate chain and name, and the signature over
//!    `transmission_id|time|webhook_id|crc32(body)`. Any failure is 400 with the table's one
//!    body: which check failed is logged, never answered.
//! 4. A delivery of an event stored before: 200 at once.
//! 5. The event: not JSON of an event is 400; an event in a currency we do not know is stored
//!    and flagged (200), so PayPal does not retry it for days.
//! 6. [`providers::paypal::apply::apply`]: `CHECKOUT.ORDER.APPROVED` is first captured through
//!    PayPal's API, then one transaction: 200 whether applied, ignored, flagged or a duplicate;
//!    a database failure or PayPal's API not answering is 503 with nothing stored, and PayPal
//!    delivers it again later.
//!
//! Permissions: none; the signature is the authentication. Every refusal goes through the one
//! answer table (`app::refusal`). Neither the body nor the signature headers are logged.

use app::mails::Writer;
use app::refusal::Refusal;
use app::refusal::ssr::JsonAnswer;
use app::ssr::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::payment::flag::Reason;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use providers::paypal::Transmission;
use providers::paypal::apply::{self, Applied, ApplyError};
use providers::paypal::event::{self, EventError};
use time::OffsetDateTime;

/// The webhook's state: the app's (PayPal's client and verifier are in `app.paypal`).
#[derive(Clone)]
pub struct WebhookState {
    pub app: AppState,
}

impl WebhookState {
    pub fn new(app: AppState) -> Self {
        Self { app }
    }
}

#[tracing::instrument(name = "paypal_webhook", skip_all, fields(event_id, event_type))]
pub async fn receive(State(hook): State<WebhookState>, headers: HeaderMap, body: Body) -> Response {
    let state = &hook.app;
    let Some(paypal) = state.paypal.clone() else {
        return JsonAnswer(Refusal::NotFound).into_response();
    };
    let limit = paypal.settings.webhook_body_limit_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        tracing::warn!(limit, "PayPal webhook body larger than paypal.webhook_body_limit_bytes refused");
        return JsonAnswer(Refusal::TooLarge).into_response();
    }
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            tracing::warn!(limit, "PayPal webhook body larger than paypal.webhook_body_limit_bytes refused");
            return JsonAnswer(Refusal::TooLarge).into_response();
        }
        Err(e) => {
            tracing::info!(error = %e, "PayPal webhook body could not be read");
            return JsonAnswer(Refusal::Malformed).into_response();
        }
    };
    let transmission = Transmission::from_headers(|name| headers.get(name).and_then(|v| v.to_str().ok()));
    if let Err(e) = paypal.verifier.verify(&transmission, &bytes, OffsetDateTime::now_utc()).await {
        tracing::warn!(reason = %e, "PayPal webhook refused: verification");
        return JsonAnswer(Refusal::BadSignature).into_response();
    }
    // Authentic from here on.
    let Ok(raw) = std::str::from_utf8(&bytes) else {
        tracing::warn!("PayPal webhook refused: body is not UTF-8");
        return JsonAnswer(Refusal::Malformed).into_response();
    };
    let Ok((event_id, event_type)) = event::envelope(raw.as_bytes()) else {
        tracing::warn!("PayPal webhook refused: not JSON of an event");
        return JsonAnswer(Refusal::Malformed).into_response();
    };
    let span = tracing::Span::current();
    span.record("event_id", event_id.as_str());
    span.record("event_type", event_type.as_str());
    match apply::seen(&state.pool, &event_id).await {
        Ok(true) => return received(Applied::Duplicate),
        Ok(false) => {}
        Err(e) => return failed(&e),
    }
    let parsed = match event::parse(raw.as_bytes()) {
        Ok(parsed) => parsed,
        Err(EventError::Currency { .. }) => {
            tracing::warn!("PayPal event in a currency this system does not know; flagged");
            return match apply::flag_unreadable(
                &state.pool,
                &event_id,
                &event_type,
                raw,
                Reason::CurrencyMismatch,
            )
            .await
            {
                Ok(applied) => received(applied),
                Err(e) => failed(&e),
            };
        }
        Err(e) => {
            tracing::warn!(reason = %e, "PayPal webhook refused: not an event we can read");
            return JsonAnswer(Refusal::Malformed).into_response();
        }
    };
    let writer =
        Writer { organisation: state.site.organisation.clone(), origin: state.public_origin.clone() };
    match apply::apply(&state.pool, &paypal.client, &parsed, raw, &writer).await {
        Ok(applied) => received(applied),
        Err(e) => failed(&e),
    }
}

/// 200 with what became of the event.
fn received(applied: Applied) -> Response {
    let outcome = match applied {
        Applied::Duplicate => "duplicate",
        Applied::Applied => "applied",
        Applied::Ignored => "ignored",
        Applied::Flagged(reason) => {
            tracing::info!(reason = reason.as_str(), "PayPal event stored and flagged for staff");
            "flagged"
        }
    };
    let mut response =
        (StatusCode::OK, format!("{{\"received\":true,\"outcome\":\"{outcome}\"}}\n")).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Nothing was stored; PayPal retries a 5xx.
fn failed(error: &ApplyError) -> Response {
    let refusal = match error {
        ApplyError::Domain(e) => {
            tracing::error!(error = ?e, "PayPal webhook not applied; PayPal will deliver it again");
            Refusal::of_domain(e)
        }
        ApplyError::Paypal(e) => {
            tracing::error!(error = %e, "PayPal webhook not applied: PayPal's API did not capture; retried later");
            Refusal::Unavailable
        }
    };
    JsonAnswer(refusal).into_response()
}
