// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The forms of "My donations" (`/donations`), plain POSTs that redirect back with a notice:
//! - `POST /donations/{id}/change` (`amount`, `period`): a recurring pledge's amount or period;
//! - `POST /donations/{id}/cancel`: ends a pledge (`EndedBy::Supporter`);
//! - `POST /donations/{id}/card`: a Stripe billing portal session, to update the card (303 to it);
//! - `/donations/{id}/renew` (a new way to pay) is in `renew.rs`.
//!
//! Permissions: the logged-in person, for their own pledges only. No login is 401; a pledge
//! that is not theirs is 404 like one that does not exist (`app::refusal`). For a Stripe
//! pledge, Stripe's subscription is changed or cancelled first and the pledge after, so a
//! failure at Stripe changes nothing here; a bank-transfer pledge's standing order is the
//! supporter's to change at their bank, which the notice says.

use crate::routes::donate::MAX_BODY;
use crate::routes::{flash, login};
use app::forms::{DonationsNotice, GiftFieldError};
use app::pages::donate_ssr;
use app::refusal::Refusal;
use app::refusal::ssr::Answer;
use app::ssr::AppState;
use app::ssr::session_keys as keys;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::audit::{Actor, Origin};
use domain::payment::pledge::{self, ChangeRefused, Pledge};
use domain::payment::subscription::{self, Subscription};
use domain::payment::{EndedBy, GiftInput, Method, PledgeStatus, Provider};
use domain::types::{PersonId, PledgeId};
use tower_sessions::Session;

const SOURCE: &str = "donations page";

/// The logged-in person and their pledge `raw`, or the refusal to answer with.
pub(crate) async fn own_pledge(
    state: &AppState,
    session: &Session,
    raw: &str,
    headers: &http::HeaderMap,
) -> Result<(PersonId, Pledge), Response> {
    let Some(person) = login::person(session).await else {
        return Err(Answer::to(Refusal::NotLoggedIn, headers).into_response());
    };
    let not_found = || Answer::to(Refusal::NotFound, headers).into_response();
    let id: PledgeId = raw.parse().map_err(|_| not_found())?;
    match pledge::get(&state.pool, id).await {
        Ok(Some(pledge)) if pledge.person == Some(person) => Ok((person, pledge)),
        Ok(_) => {
            tracing::info!(%person, pledge = %id, "not this person's pledge");
            Err(not_found())
        }
        Err(error) => {
            tracing::error!(?error, "could not read a pledge");
            Err(Answer::to(Refusal::of_domain(&error), headers).into_response())
        }
    }
}

/// The Stripe subscription of a Stripe pledge (`Ok(None)` for other pledges).
async fn stripe_subscription(state: &AppState, pledge: &Pledge) -> domain::Result<Option<Subscription>> {
    if pledge.method != Method::Stripe {
        return Ok(None);
    }
    Ok(subscription::for_pledge(&state.pool, pledge.id).await?.filter(|s| s.provider == Provider::Stripe))
}

async fn done(session: &Session, notice: DonationsNotice) -> Response {
    flash::keep(session, keys::DONATIONS_NOTICE, &notice).await;
    Redirect::to("/donations").into_response()
}

/// `POST /donations/{id}/change`.
#[tracing::instrument(name = "donations.change", skip_all, fields(pledge = %raw))]
pub async fn change(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let (person, pledge) = match own_pledge(&state, &session, &raw, &parts.headers).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Answer::to(Refusal::BadInput, &parts.headers).into_response();
    };
    let mut input =
        GiftInput { currency: pledge.amount.currency.as_str().to_owned(), ..GiftInput::default() };
    for (name, value) in url::form_urlencoded::parse(&body) {
        match name.as_ref() {
            "amount" => input.amount = value.chars().take(100).collect(),
            "period" => input.period = value.chars().take(100).collect(),
            _ => {}
        }
    }
    // The method is the pledge's; the offer's current methods do not matter for a change.
    let gift = match state.offer.check(&input) {
        Ok(gift) => gift,
        Err(errors) => {
            let errors: Vec<GiftFieldError> = errors.into_iter().map(app::forms::gift::refused).collect();
            return done(&session, DonationsNotice::Refused { pledge: pledge.id.to_string(), errors }).await;
        }
    };
    // A PayPal subscription's amount cannot be changed without the donor approving it again
    // at PayPal: changing it only here would flag every later charge. (Renewing the pledge
    // with another amount is the way.)
    if !pledge.period.is_recurring()
        || !gift.period.is_recurring()
        || pledge.status == PledgeStatus::Cancelled
        || pledge.method == Method::Paypal
    {
        return done(&session, DonationsNotice::NotChangeable).await;
    }
    match stripe_subscription(&state, &pledge).await {
        Ok(Some(sub)) => {
            let Some(setup) = &state.stripe else { return done(&session, DonationsNotice::Failed).await };
            let key = format!("change-{}-{}", pledge.id, uuid::Uuid::new_v4());
            let result = match donate_ssr::stripe_client(setup) {
                Ok(client) => {
                    client.update_subscription(&sub.provider_id, gift.amount, gift.period, &key).await
                }
                Err(error) => Err(error),
            };
            if let Err(error) = result {
                tracing::error!(%error, "Stripe refused the subscription change");
                return done(&session, DonationsNotice::Failed).await;
            }
        }
        // A Stripe pledge whose Checkout never completed has nothing to change yet.
        Ok(None) if pledge.method == Method::Stripe => {
            return done(&session, DonationsNotice::NotChangeable).await;
        }
        Ok(None) => {}
        Err(error) => {
            tracing::error!(?error, "could not read the subscription");
            return done(&session, DonationsNotice::Failed).await;
        }
    }
    let actor = Actor::Person(person);
    let changed = async {
        let mut tx = state.pool.begin().await?;
        let result = pledge::change(
            &mut tx,
            Origin { actor: &actor, source: SOURCE },
            person,
            pledge.id,
            gift.amount,
            gift.period,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, domain::DomainError>(result)
    }
    .await;
    let notice = match changed {
        Ok(Ok(_)) => DonationsNotice::Changed { bank: pledge.method == Method::BankTransfer },
        Ok(Err(ChangeRefused::NotYours)) => {
            return Answer::to(Refusal::NotFound, &parts.headers).into_response();
        }
        Ok(Err(ChangeRefused::NotRecurring | ChangeRefused::Ended)) => DonationsNotice::NotChangeable,
        Err(error) => {
            tracing::error!(?error, "could not change the pledge");
            DonationsNotice::Failed
        }
    };
    done(&session, notice).await
}

/// `POST /donations/{id}/cancel`.
#[tracing::instrument(name = "donations.cancel", skip_all, fields(pledge = %raw))]
pub async fn cancel(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
    headers: http::HeaderMap,
) -> Response {
    let (person, pledge) = match own_pledge(&state, &session, &raw, &headers).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    // PayPal first: its subscription must stop charging before the pledge ends here.
    if pledge.method == Method::Paypal {
        match subscription::for_pledge(&state.pool, pledge.id).await {
            Ok(Some(sub)) if sub.provider == Provider::Paypal => {
                if let Err(error) =
                    crate::routes::paypal_checkout::cancel_subscription(&state, &sub.provider_id).await
                {
                    tracing::error!(%error, "PayPal refused the cancellation");
                    return done(&session, DonationsNotice::Failed).await;
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(?error, "could not read the subscription");
                return done(&session, DonationsNotice::Failed).await;
            }
        }
    }
    match stripe_subscription(&state, &pledge).await {
        Ok(Some(sub)) => {
            let Some(setup) = &state.stripe else { return done(&session, DonationsNotice::Failed).await };
            let result = match donate_ssr::stripe_client(setup) {
                Ok(client) => client.cancel_subscription(&sub.provider_id).await.map(|_| ()),
                Err(error) => Err(error),
            };
            match result {
                Ok(()) => {}
                // Gone at Stripe already: ending it here is all that is left to do.
                Err(error) if error.is_not_found() => {}
                Err(error) => {
                    tracing::error!(%error, "Stripe refused the cancellation");
                    return done(&session, DonationsNotice::Failed).await;
                }
            }
        }
        Ok(None) => {}
        Err(error) => {
            tracing::error!(?error, "could not read the subscription");
            return done(&session, DonationsNotice::Failed).await;
        }
    }
    let actor = Actor::Person(person);
    let ended = async {
        let mut tx = state.pool.begin().await?;
        let status =
            pledge::end(&mut tx, Origin { actor: &actor, source: SOURCE }, pledge.id, EndedBy::Supporter)
                .await?;
        tx.commit().await?;
        Ok::<_, domain::DomainError>(status)
    }
    .await;
    let notice = match ended {
        Ok(Some(_)) => DonationsNotice::Cancelled {
            bank: pledge.method == Method::BankTransfer && pledge.period.is_recurring(),
        },
        Ok(None) => return Answer::to(Refusal::NotFound, &headers).into_response(),
        Err(error) => {
            tracing::error!(?error, "could not end the pledge");
            DonationsNotice::Failed
        }
    };
    done(&session, notice).await
}

/// `POST /donations/{id}/card`: Stripe's billing portal for the pledge's customer.
#[tracing::instrument(name = "donations.card", skip_all, fields(pledge = %raw))]
pub async fn card(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
    headers: http::HeaderMap,
) -> Response {
    let (_, pledge) = match own_pledge(&state, &session, &raw, &headers).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let customer = match stripe_subscription(&state, &pledge).await {
        Ok(sub) => sub.and_then(|s| s.customer_id),
        Err(error) => {
            tracing::error!(?error, "could not read the subscription");
            return done(&session, DonationsNotice::Failed).await;
        }
    };
    let (Some(customer), Some(setup)) = (customer, &state.stripe) else {
        return Answer::to(Refusal::NotFound, &headers).into_response();
    };
    let return_url = format!("{}/donations", state.public_origin);
    let portal = match donate_ssr::stripe_client(setup) {
        Ok(client) => client.billing_portal(&customer, &return_url).await,
        Err(error) => Err(error),
    };
    match portal {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => {
            tracing::error!(%error, "no billing portal session");
            done(&session, DonationsNotice::Failed).await
        }
    }
}
