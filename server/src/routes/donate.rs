// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /donate`: the donate form. Checks it with `domain::payment::Offer::check` (and a
//! visitor's name, address and language with `domain`'s types), creates the pledge through
//! `domain::payment::donation::pledge`, remembers its id in the session, and redirects (303):
//! - bank transfer: to `/donate/transfer/{id}`, the transfer details with the EPC QR code;
//! - Stripe: to the Checkout Session created for the pledge (success `/donate/thanks`, cancel
//!   `/donate/cancelled`);
//! - refused or failed: back to `/donate`, which shows what was typed and why (post, redirect,
//!   get, as `register.rs` does). Nothing is stored for a refused form.
//!
//! A visitor's known address gets the very same answer as a new one; only the mail differs
//! (`domain::payment::donation`). Also the page data of `/donate/transfer/{id}`
//! ([`transfer_data`]), which only the session that made the pledge, or its logged-in owner,
//! may see. Same-origin POSTs only (the CSRF guard); no exemption.

use crate::routes::{flash, login};
use app::forms::{DonateForm, DonateOutcome, TransferView};
use app::mails::Writer;
use app::pages::donate_ssr::{self, REMEMBERED_PLEDGES};
use app::refusal::Refusal;
use app::refusal::ssr::{Answer, locale_of};
use app::ssr::AppState;
use app::ssr::session_keys as keys;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::payment::Method;
use domain::payment::donation::{self, Giver};
use domain::payment::pledge::Pledge;
use domain::throttle::{self, Attempt, Limits};
use domain::types::{PersonId, PledgeId};
use hosting::client_address::ClientAddress;
use tower_sessions::Session;

/// What is kept of a field for showing the form again.
const KEEP_CHARS: usize = 300;

/// Longest body accepted (the form's fields are far shorter).
pub const MAX_BODY: usize = 64 * 1024;

/// The form from `application/x-www-form-urlencoded`; unknown fields are ignored, a repeated
/// field keeps its last value.
fn parse(body: &[u8]) -> DonateForm {
    let mut form = DonateForm::default();
    for (name, value) in url::form_urlencoded::parse(body) {
        let value = value.into_owned();
        match name.as_ref() {
            "amount" => form.amount = value,
            "custom_amount" => form.custom_amount = value,
            "period" => form.period = value,
            "method" => form.method = value,
            "name" => form.name = value,
            "email" => form.email = value,
            "language" => form.language = value,
            "referrer" => form.referrer = value,
            _ => {}
        }
    }
    form
}

/// Visitors (whose form sends a mail) are throttled like registrations (`Limits::LINKS`), per
/// address and per network, known address or not. Logged-in people send no mail.
#[tracing::instrument(name = "donate.submit", skip_all)]
pub async fn submit(State(state): State<AppState>, session: Session, request: Request) -> Response {
    let client = ClientAddress::of(request.extensions());
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Answer::to(Refusal::BadInput, &parts.headers).into_response();
    };
    let form = parse(&body);
    let person = login::person(&session).await;
    let (gift, visitor) = match form.check(&state.offer, person.is_none()) {
        Ok(checked) => checked,
        Err(errors) => {
            tracing::info!(fields = ?errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), "donate form refused");
            // The problems are the answer's: 422 would make browsers show an error page, so the
            // form comes back through the session like every other refused form.
            return back(&session, DonateOutcome::Refused { form: form.cut(KEEP_CHARS), errors }).await;
        }
    };
    let giver = match (person, visitor) {
        (Some(id), _) => Giver::Person(id),
        (None, Some(v)) => {
            let attempt = Attempt::keyed("donate", v.email.as_str(), client);
            match throttle::take(&state.pool, &attempt, Limits::LINKS).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::info!("donation mails throttled");
                    return Answer::to(Refusal::Throttled, &parts.headers).into_response();
                }
                Err(error) => return failure(&error, &parts.headers),
            }
            Giver::Visitor { display_name: v.display_name, email: v.email, language: v.language }
        }
        // `check` gives a visitor's details whenever nobody is logged in.
        (None, None) => return Answer::to(Refusal::Failed, &parts.headers).into_response(),
    };
    let writer =
        Writer { organisation: state.site.organisation.clone(), origin: state.public_origin.clone() };
    let pledge = match donation::pledge(&state.pool, &gift, &giver, form.referrer(), |language, notice| {
        writer.donation(language, notice)
    })
    .await
    {
        Ok(pledge) => pledge,
        Err(error) if Refusal::of_domain(&error) == Refusal::Unavailable => {
            return failure(&error, &parts.headers);
        }
        Err(error) => {
            tracing::error!(?error, "donation failed");
            return back(&session, DonateOutcome::Failed { form: form.cut(KEEP_CHARS) }).await;
        }
    };
    tracing::info!(pledge = %pledge.id, method = %pledge.method, period = %pledge.period, "pledge made");
    remember(&session, pledge.id).await;
    match pledge.method {
        Method::BankTransfer => Redirect::to(&format!("/donate/transfer/{}", pledge.id)).into_response(),
        Method::Stripe => match checkout(&state, &pledge, &giver, &parts.headers).await {
            Some(url) => Redirect::to(&url).into_response(),
            None => back(&session, DonateOutcome::Failed { form: form.cut(KEEP_CHARS) }).await,
        },
        Method::Paypal => match crate::routes::paypal_checkout::start(&state, &pledge).await {
            Some(url) => Redirect::to(&url).into_response(),
            None => back(&session, DonateOutcome::Failed { form: form.cut(KEEP_CHARS) }).await,
        },
    }
}

/// The Checkout Session of a Stripe pledge, or `None` (logged) if Stripe cannot be reached or
/// is not set up. The pledge then stays pending and unpaid, which harms nobody.
async fn checkout(
    state: &AppState,
    pledge: &Pledge,
    giver: &Giver,
    headers: &http::HeaderMap,
) -> Option<String> {
    let customer_email = match giver {
        Giver::Visitor { email, .. } => Some(email.as_str().to_owned()),
        Giver::Person(id) => primary_address(state, *id).await,
    };
    let origin = &state.public_origin;
    let target = CheckoutTarget {
        success_url: format!("{origin}/donate/thanks?pledge={}", pledge.id),
        cancel_url: format!("{origin}/donate/cancelled?pledge={}", pledge.id),
        // One pledge, one session: a retried request gets the same session back.
        idempotency_key: format!("checkout-{}", pledge.id),
        customer: None,
        customer_email,
    };
    start_checkout(state, pledge, target, headers).await
}

/// Where a Checkout Session leads back to, whose it is, and its idempotency key (a retried
/// request with the same key gets the same session back).
pub struct CheckoutTarget {
    pub success_url: String,
    pub cancel_url: String,
    pub idempotency_key: String,
    /// A Stripe customer (`cus_...`) the supporter already has with us.
    pub customer: Option<String>,
    /// Prefills Checkout's email field (ignored when `customer` is given).
    pub customer_email: Option<String>,
}

/// A Checkout Session for an existing pledge (the donate form's, or a renewal's); its url, or
/// `None` (logged) if Stripe cannot be reached or is not set up.
pub async fn start_checkout(
    state: &AppState,
    pledge: &Pledge,
    target: CheckoutTarget,
    headers: &http::HeaderMap,
) -> Option<String> {
    let Some(setup) = &state.stripe else {
        tracing::error!("payments.methods offers stripe, but Stripe is not set up");
        return None;
    };
    let client =
        donate_ssr::stripe_client(setup).map_err(|error| tracing::error!(%error, "no Stripe client")).ok()?;
    let request = donate_ssr::CheckoutRequest {
        pledge: pledge.id.to_string(),
        amount: pledge.amount,
        period: pledge.period,
        success_url: target.success_url,
        cancel_url: target.cancel_url,
        customer_email: target.customer_email,
        customer: target.customer,
        locale: Some(donate_ssr::checkout_locale(locale_of(headers))),
        idempotency_key: target.idempotency_key,
    };
    match client.create_checkout(&request).await {
        Ok(session) => {
            tracing::info!(pledge = %pledge.id, checkout = %session.id, "sent to Stripe Checkout");
            Some(session.url)
        }
        Err(error) => {
            tracing::error!(%error, pledge = %pledge.id, "could not create a Checkout Session");
            None
        }
    }
}

async fn primary_address(state: &AppState, person: PersonId) -> Option<String> {
    let addresses = domain::email::list_for_person(&state.pool, person).await.ok()?;
    addresses.into_iter().find(|a| a.is_primary).map(|a| a.address.as_str().to_owned())
}

async fn back(session: &Session, outcome: DonateOutcome) -> Response {
    flash::keep(session, keys::DONATE_OUTCOME, &outcome).await;
    Redirect::to("/donate").into_response()
}

fn failure(error: &domain::DomainError, headers: &http::HeaderMap) -> Response {
    tracing::error!(?error, "donation impossible");
    Answer::to(Refusal::of_domain(error), headers).into_response()
}

/// Adds a pledge to those this session may see the transfer details of (the newest
/// [`REMEMBERED_PLEDGES`]).
pub async fn remember(session: &Session, pledge: PledgeId) {
    let mut pledges: Vec<uuid::Uuid> =
        session.get(keys::DONATED_PLEDGES).await.ok().flatten().unwrap_or_default();
    pledges.push(pledge.as_uuid());
    let excess = pledges.len().saturating_sub(REMEMBERED_PLEDGES);
    pledges.drain(..excess);
    flash::keep(session, keys::DONATED_PLEDGES, &pledges).await;
}

/// The transfer details of `/donate/transfer/{raw}`, for the session that made the pledge or
/// its logged-in owner; anyone else (and any id that is no bank-transfer pledge) gets
/// [`Refusal::NotFound`], so the answer never tells whether the pledge exists.
pub async fn transfer_data(
    state: &AppState,
    session: &Session,
    person: Option<PersonId>,
    raw: &str,
    headers: &http::HeaderMap,
) -> Result<TransferView, Refusal> {
    let id: PledgeId = raw.parse().map_err(|_| Refusal::NotFound)?;
    let made_here = session
        .get::<Vec<uuid::Uuid>>(keys::DONATED_PLEDGES)
        .await
        .ok()
        .flatten()
        .is_some_and(|pledges| pledges.contains(&id.as_uuid()));
    let pledge = match domain::payment::pledge::get(&state.pool, id).await {
        Ok(Some(pledge)) => pledge,
        Ok(None) => return Err(Refusal::NotFound),
        Err(error) => {
            tracing::error!(?error, "could not read a pledge");
            return Err(Refusal::of_domain(&error));
        }
    };
    let owner = person.is_some() && pledge.person == person;
    if !(made_here || owner) || pledge.method != Method::BankTransfer {
        return Err(Refusal::NotFound);
    }
    let visitor = pledge.person.is_none();
    donate_ssr::transfer_view(&state.offer, &pledge, visitor, locale_of(headers)).ok_or(Refusal::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_read_field_by_field() {
        let form =
            parse(b"amount=25&custom_amount=&period=monthly&method=bank_transfer&name=Ada&email=a%40b.c&x=y");
        assert_eq!(form.amount, "25");
        assert_eq!(form.period, "monthly");
        assert_eq!(form.email, "a@b.c");
        assert_eq!(form.name, "Ada");
    }
}
