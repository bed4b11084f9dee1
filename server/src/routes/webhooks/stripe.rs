// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /webhooks/stripe`: Stripe's event deliveries (<https://docs.stripe.com/webhooks>).
//!
//! In this order, and nothing is stored before the last step:
//! 1. Stripe not configured (`payments.methods` without `stripe`): 404.
//! 2. The body, up to `stripe.webhook_body_limit_bytes`: a larger one is 413, refused by its
//!    `Content-Length` before a byte is read, or as soon as the limit is passed.
//! 3. The `Stripe-Signature` header against every configured webhook secret (two while one is
//!    rotated): missing, forged, stale, from the future, for another body or another secret is
//!    400.
//! 4. A delivery of an event stored before: 200 at once (Stripe delivers one event more than
//!    once, and at the same time). Copies that arrive while this process applies the event
//!    wait for that and answer 200 with it, holding no database connection meanwhile.
//! 5. The event: not JSON of an event is 400; an event in a currency we do not know is stored
//!    and flagged (200), so Stripe does not retry it for days.
//! 6. [`providers::stripe::apply::apply`]: a refund or dispute of a payment not known here is
//!    first looked up at Stripe's API (which invoice its PaymentIntent paid), then one
//!    transaction: 200 whether applied, ignored, flagged or a duplicate; a database failure or
//!    Stripe's API not answering is 503 with nothing stored, and Stripe delivers it again later.
//!    An event of the other mode than `payments.stripe.secret_key` (`livemode`) is stored as
//!    `ignored` and answered 200.
//!
//! The API client and the key's mode ([`apply::Account`]) are made once, with the router
//! ([`WebhookState::new`]), not per delivery.
//!
//! Permissions: none; the signature is the authentication. Every refusal goes through the one
//! answer table (`app::refusal`, JSON with the kind's code). Neither the body nor the signature
//! header is ever logged (`skip_all`; logs carry the event id and type at most).

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
use providers::stripe::apply::{self, Account, Applied, ApplyError};
use providers::stripe::{EventError, event, signature};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::sync::watch;

/// The header Stripe signs with.
const SIGNATURE: &str = "stripe-signature";

/// The webhook's state: the app's, the Stripe account (`None` without Stripe configured), and
/// the deliveries being applied right now.
#[derive(Clone)]
pub struct WebhookState {
    pub app: AppState,
    account: Option<Arc<Account>>,
    in_flight: InFlight,
}

impl WebhookState {
    pub fn new(app: AppState) -> Self {
        let account = app.stripe.as_ref().map(|setup| {
            Arc::new(Account::new(
                &setup.secrets.secret_key,
                &setup.settings.product_name,
                &setup.settings.api_url,
            ))
        });
        Self { app, account, in_flight: InFlight::default() }
    }
}

#[tracing::instrument(name = "stripe_webhook", skip_all, fields(event_id, event_type))]
pub async fn receive(State(hook): State<WebhookState>, headers: HeaderMap, body: Body) -> Response {
    let state = &hook.app;
    let (Some(stripe), Some(account)) = (state.stripe.clone(), hook.account.clone()) else {
        return JsonAnswer(Refusal::NotFound).into_response();
    };
    let limit = stripe.settings.webhook_body_limit_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        tracing::warn!(limit, "Stripe webhook body larger than stripe.webhook_body_limit_bytes refused");
        return JsonAnswer(Refusal::TooLarge).into_response();
    }
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            tracing::warn!(limit, "Stripe webhook body larger than stripe.webhook_body_limit_bytes refused");
            return JsonAnswer(Refusal::TooLarge).into_response();
        }
        Err(e) => {
            tracing::info!(error = %e, "Stripe webhook body could not be read");
            return JsonAnswer(Refusal::Malformed).into_response();
        }
    };
    let signed = headers.get(SIGNATURE).and_then(|v| v.to_str().ok());
    if let Err(e) =
        signature::verify(signed, &bytes, &stripe.secrets.webhook_secrets, OffsetDateTime::now_utc())
    {
        tracing::warn!(reason = %e, "Stripe webhook refused: signature");
        return JsonAnswer(Refusal::BadSignature).into_response();
    }
    // Authentic from here on. The stored copy is text; Stripe sends UTF-8 JSON.
    let Ok(raw) = std::str::from_utf8(&bytes) else {
        tracing::warn!("Stripe webhook refused: body is not UTF-8");
        return JsonAnswer(Refusal::Malformed).into_response();
    };
    let Some(envelope) = Envelope::read(raw) else {
        tracing::warn!("Stripe webhook refused: not JSON of an event");
        return JsonAnswer(Refusal::Malformed).into_response();
    };
    let span = tracing::Span::current();
    span.record("event_id", envelope.id.as_str());
    span.record("event_type", envelope.event_type.as_str());

    // Copies of one event delivered at once: the first applies it, the others wait for it here
    // instead of each holding a connection while waiting on the event's unique key. The
    // database stays the real guard (several instances, a first that failed).
    let mine = match hook.in_flight.join(&envelope.id) {
        Joined::First(guard) => guard,
        Joined::After(mut done) => {
            if done.wait_for(|ok| *ok).await.is_ok() {
                return received(Applied::Duplicate);
            }
            // The first failed or was cut off: try it ourselves, as Stripe's retry would.
            match hook.in_flight.join(&envelope.id) {
                Joined::First(guard) => guard,
                Joined::After(_) => return JsonAnswer(Refusal::Unavailable).into_response(),
            }
        }
    };
    let answer = apply_delivery(state, &account, raw, &envelope).await;
    mine.done(answer.status().is_success());
    answer
}

/// Steps 4 to 6 for an authentic delivery.
async fn apply_delivery(state: &AppState, account: &Account, raw: &str, envelope: &Envelope) -> Response {
    // A repeated delivery costs one look, not a parse and a transaction.
    match apply::seen(&state.pool, &envelope.id).await {
        Ok(true) => return received(Applied::Duplicate),
        Ok(false) => {}
        Err(e) => return failed(&e),
    }
    let received_event = match event::parse(raw.as_bytes()) {
        Ok(received) => received,
        Err(EventError::Currency { event_type, code }) => {
            tracing::warn!(%event_type, %code, "Stripe event in a currency this system does not know; flagged");
            let flagged = apply::flag_unreadable(
                &state.pool,
                account,
                &envelope.id,
                &event_type,
                envelope.livemode,
                raw,
                Reason::CurrencyMismatch,
            );
            return match flagged.await {
                Ok(applied) => received(applied),
                Err(e) => failed(&e),
            };
        }
        Err(e) => {
            tracing::warn!(reason = %e, "Stripe webhook refused: not an event we can read");
            return JsonAnswer(Refusal::Malformed).into_response();
        }
    };
    // The thank-you mail of a registered payment, in the supporter's language (`mails`).
    let writer =
        Writer { organisation: state.site.organisation.clone(), origin: state.public_origin.clone() };
    match apply::apply(&state.pool, account, &received_event, raw, &writer).await {
        Ok(applied) => received(applied),
        Err(e) => failed(&e),
    }
}

/// The event ids being applied in this process, each with the news of its end (`true`: done).
#[derive(Clone, Default)]
struct InFlight(Arc<Mutex<HashMap<String, watch::Receiver<bool>>>>);

enum Joined {
    /// Nobody applies it now: this delivery does; tell the others through the guard.
    First(Applying),
    /// Another delivery applies it: wait for `true` (done) or the channel's end (it failed).
    After(watch::Receiver<bool>),
}

/// The first delivery's promise to tell the others; dropped unfinished (an error, a cut
/// connection, a timeout) it tells them nothing was done, and they try themselves.
struct Applying {
    id: String,
    in_flight: InFlight,
    done: watch::Sender<bool>,
}

impl InFlight {
    fn join(&self, id: &str) -> Joined {
        // Never held across an await: a map look-up or insert, nothing else.
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(waiting) = map.get(id) {
            return Joined::After(waiting.clone());
        }
        let (done, waiting) = watch::channel(false);
        map.insert(id.to_owned(), waiting);
        Joined::First(Applying { id: id.to_owned(), in_flight: self.clone(), done })
    }
}

impl Applying {
    fn done(self, ok: bool) {
        if ok {
            self.done.send_replace(true);
        }
        // Drop removes the entry and closes the channel.
    }
}

impl Drop for Applying {
    fn drop(&mut self) {
        let mut map = self.in_flight.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&self.id);
    }
}

/// 200 with what became of the event (Stripe shows the body in its dashboard).
fn received(applied: Applied) -> Response {
    let outcome = match applied {
        Applied::Duplicate => "duplicate",
        Applied::Applied => "applied",
        Applied::Ignored => "ignored",
        Applied::Flagged(reason) => {
            tracing::info!(reason = reason.as_str(), "Stripe event stored and flagged for staff");
            "flagged"
        }
    };
    let mut response =
        (StatusCode::OK, format!("{{\"received\":true,\"outcome\":\"{outcome}\"}}\n")).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Nothing was stored; Stripe retries a 5xx (the table makes a database failure a 503, and
/// Stripe's API not answering is [`Refusal::Unavailable`], 503, too).
fn failed(error: &ApplyError) -> Response {
    let refusal = match error {
        ApplyError::Domain(e) => {
            tracing::error!(error = ?e, "Stripe webhook not applied; Stripe will deliver it again");
            Refusal::of_domain(e)
        }
        ApplyError::Stripe(e) => {
            // Its `Display`: Stripe's status, error type and code, not Stripe's message (which
            // may quote a part of the key).
            tracing::error!(error = %e, "Stripe webhook not applied: no answer from Stripe's API; retried later");
            Refusal::Unavailable
        }
    };
    JsonAnswer(refusal).into_response()
}

/// The event's id, type and mode, read without the models (for the duplicate look, the logs,
/// and an event that cannot be parsed further).
#[derive(serde::Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    /// Every Stripe event has it; an envelope without it is taken as test mode.
    #[serde(default)]
    livemode: bool,
}

impl Envelope {
    fn read(raw: &str) -> Option<Self> {
        serde_json::from_str::<Self>(raw).ok().filter(|e| !e.id.is_empty())
    }
}
