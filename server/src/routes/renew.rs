// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Renewing a pledge whose collector stopped, or whose payments fail (`docs/renewal.md`):
//! - `GET /c/{token}` of a `RenewPledge` link shows the pledge and the ways to pay ([`link_view`],
//!   called by `command::view`); `POST /c/{token}` with `action=renew_pledge&method=...` acts
//!   ([`by_link`]), `action=update_card` opens Stripe's billing portal ([`card_by_link`]);
//! - `GET /donations/{id}/renew` (the page data, [`pages`]) and `POST /donations/{id}/renew`
//!   ([`by_owner`]) do the same for the logged-in owner;
//! - `/renew/thanks` and `/renew/cancelled` are where a provider's checkout comes back to.
//!
//! Bank transfer is done at once: the pledge is switched (`domain::payment::renewal`), this
//! session may see its transfer details, and the browser goes to `/donate/transfer/{id}`; the
//! subscriptions it supersedes are cancelled at their provider straight away, best effort (the
//! scheduled job retries what is left). A provider (Stripe, PayPal) changes nothing here: its
//! checkout starts for the same pledge, and its confirmation (the webhook) renews the pledge
//! and spends the link, so an abandoned checkout can be tried again with the same link.
//!
//! Permissions: a link acts for its person on that person's pledge only (`renewal::check`); the
//! owner's routes need the login and answer 404 for anyone else's pledge. A method that is not
//! offered for this pledge is refused (422) and changes nothing.

use crate::routes::command;
use crate::routes::donate::{self, CheckoutTarget};
use crate::routes::donations::own_pledge;
use crate::routes::{flash, login, paypal_checkout};
use app::forms::{
    CommandOutcome, CommandView, DonationsNotice, RenewRefusal, RenewReturn, RenewView, RenewalView,
};
use app::pages::donate_ssr;
use app::refusal::Refusal;
use app::refusal::ssr::Answer;
use app::ssr::AppState;
use app::ssr::session_keys as keys;
use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::audit::{Actor, Origin};
use domain::command_link::Refusal as LinkRefusal;
use domain::payment::pledge::Pledge;
use domain::payment::renewal::{self, Choice, LinkRefused, RenewRefused, Renewed};
use domain::payment::subscription::{self, Subscription};
use domain::payment::{Method, PledgeStatus, Provider};
use domain::types::PersonId;
use tower_sessions::Session;

fn refusal(refused: RenewRefused) -> RenewRefusal {
    match refused {
        RenewRefused::NotYours => RenewRefusal::NotYours,
        RenewRefused::Cancelled => RenewRefusal::Cancelled,
        RenewRefused::NotRecurring => RenewRefusal::OneOff,
    }
}

/// The pledge's Stripe subscription (the newest), if it has one.
async fn stripe_subscription(state: &AppState, pledge: &Pledge) -> domain::Result<Option<Subscription>> {
    Ok(subscription::for_pledge(&state.pool, pledge.id).await?.filter(|s| s.provider == Provider::Stripe))
}

/// The ways to pay `pledge` from now on, in the offer's order. An active Stripe pledge is still
/// collected by its subscription: a second Checkout would charge twice until the first is
/// cancelled, so its card is updated in the billing portal instead ([`can_update_card`]).
fn choices(state: &AppState, pledge: &Pledge) -> Vec<Method> {
    state
        .offer
        .methods
        .iter()
        .copied()
        .filter(|method| match method {
            Method::BankTransfer => state.offer.bank.is_some(),
            Method::Stripe => {
                state.stripe.is_some()
                    && !(pledge.method == Method::Stripe && pledge.status != PledgeStatus::NeedsRenewal)
            }
            // The same for PayPal: a second subscription of a pledge PayPal still collects
            // would charge twice until the first is cancelled.
            Method::Paypal => {
                state.paypal.is_some()
                    && !(pledge.method == Method::Paypal && pledge.status != PledgeStatus::NeedsRenewal)
            }
        })
        .collect()
}

/// Whether "update my card" (Stripe's billing portal) helps: a Stripe pledge still collected,
/// from a customer we know.
fn can_update_card(state: &AppState, pledge: &Pledge, sub: Option<&Subscription>) -> bool {
    state.stripe.is_some()
        && pledge.method == Method::Stripe
        && pledge.status == PledgeStatus::Active
        && sub.is_some_and(|s| s.customer_id.is_some())
}

/// Everything the renewal page shows of a pledge that may be renewed.
async fn renew_view(state: &AppState, pledge: &Pledge) -> domain::Result<RenewView> {
    let view = donate_ssr::pledge_view(&state.pool, pledge).await?;
    let reason = renewal::state(&state.pool, pledge.id).await?.and_then(|s| s.reason);
    let payments = domain::payment::payment::for_pledge(&state.pool, pledge.id).await?;
    let sub = stripe_subscription(state, pledge).await?;
    Ok(RenewView {
        // Every pledge has a reference; a supporter switching to bank transfer needs it.
        pledge: app::forms::PledgeView { reference: Some(pledge.reference.grouped()), ..view },
        reason: reason.map(|r| r.as_str().to_owned()),
        payments: payments.iter().map(donate_ssr::payment_view).collect(),
        methods: choices(state, pledge).iter().map(|m| m.as_str().to_owned()).collect(),
        update_card: can_update_card(state, pledge, sub.as_ref()),
    })
}

async fn ready_or_refused(
    state: &AppState,
    pledge: &Pledge,
    person: PersonId,
) -> domain::Result<RenewalView> {
    match renewal::check(pledge, person) {
        Ok(()) => Ok(RenewalView::Ready(Box::new(renew_view(state, pledge).await?))),
        Err(refused) => Ok(RenewalView::Refused(refusal(refused))),
    }
}

/// What `GET /c/{token}` of a `RenewPledge` link shows. Nothing changes, the link included.
pub async fn link_view(state: &AppState, token: &str) -> CommandView {
    let shown = renewal::show(&state.pool, token).await;
    let found = match shown {
        Ok(Ok((_, pledge))) => renew_view(state, &pledge).await.map(|v| RenewalView::Ready(Box::new(v))),
        Ok(Err(LinkRefused::Pledge(refused))) => Ok(RenewalView::Refused(refusal(refused))),
        Ok(Err(LinkRefused::Link(LinkRefusal::Expired { .. }))) => return CommandView::Expired,
        Ok(Err(LinkRefused::Link(LinkRefusal::Used { .. }))) => return CommandView::RenewUsed,
        Ok(Err(LinkRefused::Link(LinkRefusal::Unknown) | LinkRefused::OtherCommand)) => {
            return CommandView::Unknown;
        }
        Err(error) => Err(error),
    };
    match found {
        Ok(view) => CommandView::RenewPledge(view),
        Err(error) => {
            tracing::error!(?error, "could not read the pledge of a renewal link");
            CommandView::Unknown
        }
    }
}

/// The chosen method of a renewal form: one of [`Method::ALL`], else `None`.
fn chosen(body: &[u8]) -> Option<Method> {
    let raw = url::form_urlencoded::parse(body).find(|(name, _)| name == "method").map(|(_, v)| v)?;
    Method::ALL.iter().copied().find(|m| m.as_str() == raw)
}

/// `POST /c/{token}` with `action=renew_pledge` (from `command::submit`).
#[tracing::instrument(name = "renew.by_link", skip_all)]
pub async fn by_link(
    state: &AppState,
    session: &Session,
    token: &str,
    body: &[u8],
    headers: &http::HeaderMap,
) -> Response {
    let pledge = match renewal::show(&state.pool, token).await {
        Ok(Ok((_, pledge))) => pledge,
        Ok(Err(refused)) => {
            tracing::info!(?refused, "renewal link refused");
            return command::back(session, token, CommandOutcome::Refused).await;
        }
        Err(error) => {
            tracing::error!(?error, "could not read a renewal link");
            return command::back(session, token, CommandOutcome::Failed).await;
        }
    };
    let Some(method) = chosen(body).filter(|m| choices(state, &pledge).contains(m)) else {
        tracing::info!(pledge = %pledge.id, "renewal with a method not offered");
        return Answer::to(Refusal::BadInput, headers).into_response();
    };
    if method == Method::BankTransfer {
        return match renewal::perform(&state.pool, token, Choice::BankTransfer).await {
            Ok(Ok(Renewed::BankTransfer { pledge, superseded, .. })) => {
                tracing::info!(pledge = %pledge.id, "pledge renewed by bank transfer (link)");
                to_transfer(state, session, &pledge, &superseded).await
            }
            Ok(Ok(Renewed::Checkout { .. })) | Ok(Err(_)) => {
                command::back(session, token, CommandOutcome::Refused).await
            }
            Err(error) => {
                tracing::error!(?error, "renewal by bank transfer failed");
                command::back(session, token, CommandOutcome::Failed).await
            }
        };
    }
    let (person, pledge) = match renewal::perform(&state.pool, token, Choice::Provider(method)).await {
        Ok(Ok(Renewed::Checkout { person, pledge })) => (person, pledge),
        Ok(Ok(Renewed::BankTransfer { .. })) | Ok(Err(_)) => {
            return command::back(session, token, CommandOutcome::Refused).await;
        }
        Err(error) => {
            tracing::error!(?error, "could not read a renewal link");
            return command::back(session, token, CommandOutcome::Failed).await;
        }
    };
    match start_provider(state, &pledge, person, method, headers).await {
        Some(url) => {
            flash::keep(session, keys::RENEW_RETURN, &format!("/c/{token}")).await;
            Redirect::to(&url).into_response()
        }
        None => command::back(session, token, CommandOutcome::Failed).await,
    }
}

/// `POST /c/{token}` with `action=update_card`: Stripe's billing portal for the pledge's
/// customer. Changes nothing here; the link stays usable.
#[tracing::instrument(name = "renew.card_by_link", skip_all)]
pub async fn card_by_link(
    state: &AppState,
    session: &Session,
    token: &str,
    headers: &http::HeaderMap,
) -> Response {
    let pledge = match renewal::show(&state.pool, token).await {
        Ok(Ok((_, pledge))) => pledge,
        Ok(Err(_)) => return command::back(session, token, CommandOutcome::Refused).await,
        Err(error) => {
            tracing::error!(?error, "could not read a renewal link");
            return command::back(session, token, CommandOutcome::Failed).await;
        }
    };
    let sub = match stripe_subscription(state, &pledge).await {
        Ok(sub) => sub,
        Err(error) => {
            tracing::error!(?error, "could not read the subscription");
            return command::back(session, token, CommandOutcome::Failed).await;
        }
    };
    let customer = sub.as_ref().and_then(|s| s.customer_id.clone());
    let (Some(customer), Some(setup), true) =
        (customer, &state.stripe, can_update_card(state, &pledge, sub.as_ref()))
    else {
        return Answer::to(Refusal::BadInput, headers).into_response();
    };
    let return_url = format!("{}/renew/thanks", state.public_origin);
    let portal = match donate_ssr::stripe_client(setup) {
        Ok(client) => client.billing_portal(&customer, &return_url).await,
        Err(error) => Err(error),
    };
    match portal {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => {
            tracing::error!(%error, "no billing portal session");
            command::back(session, token, CommandOutcome::Failed).await
        }
    }
}

/// `POST /donations/{id}/renew` (`method=...`): the logged-in owner renews their pledge.
#[tracing::instrument(name = "renew.by_owner", skip_all, fields(pledge = %raw))]
pub async fn by_owner(
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
    let Ok(body) = axum::body::to_bytes(body, donate::MAX_BODY).await else {
        return Answer::to(Refusal::BadInput, &parts.headers).into_response();
    };
    if renewal::check(&pledge, person).is_err() {
        return owner_notice(&session, DonationsNotice::NotChangeable).await;
    }
    let Some(method) = chosen(&body).filter(|m| choices(&state, &pledge).contains(m)) else {
        tracing::info!(pledge = %pledge.id, "renewal with a method not offered");
        return Answer::to(Refusal::BadInput, &parts.headers).into_response();
    };
    if method == Method::BankTransfer {
        let actor = Actor::Person(person);
        let switched = async {
            let mut tx = state.pool.begin().await?;
            let origin = Origin { actor: &actor, source: "donations page" };
            let result = renewal::switch_to_bank_transfer(&mut tx, origin, person, pledge.id).await?;
            tx.commit().await?;
            Ok::<_, domain::DomainError>(result)
        }
        .await;
        return match switched {
            Ok(Ok((pledge, superseded))) => {
                tracing::info!(pledge = %pledge.id, "pledge renewed by bank transfer (owner)");
                to_transfer(&state, &session, &pledge, &superseded).await
            }
            Ok(Err(_)) => owner_notice(&session, DonationsNotice::NotChangeable).await,
            Err(error) => {
                tracing::error!(?error, "renewal by bank transfer failed");
                owner_notice(&session, DonationsNotice::Failed).await
            }
        };
    }
    match start_provider(&state, &pledge, person, method, &parts.headers).await {
        Some(url) => {
            flash::keep(&session, keys::RENEW_RETURN, &format!("/donations/{}/renew", pledge.id)).await;
            Redirect::to(&url).into_response()
        }
        None => owner_notice(&session, DonationsNotice::Failed).await,
    }
}

async fn owner_notice(session: &Session, notice: DonationsNotice) -> Response {
    flash::keep(session, keys::DONATIONS_NOTICE, &notice).await;
    Redirect::to("/donations").into_response()
}

/// After a switch to bank transfer: the superseded subscriptions are cancelled, this session may
/// see the transfer details, and the browser goes there.
async fn to_transfer(
    state: &AppState,
    session: &Session,
    pledge: &Pledge,
    superseded: &[Subscription],
) -> Response {
    cancel_superseded(state, superseded).await;
    donate::remember(session, pledge.id).await;
    Redirect::to(&format!("/donate/transfer/{}", pledge.id)).into_response()
}

/// Cancels the subscriptions a renewal superseded at their provider now, so that nobody is
/// charged twice for one pledge. Best effort: a provider that does not answer leaves the
/// subscription due for cancellation (`renewal::due_cancellations`), which the scheduled job
/// retries; the supporter's renewal stands either way.
pub async fn cancel_superseded(state: &AppState, superseded: &[Subscription]) {
    for sub in superseded {
        match cancel_at_provider(state, sub.provider, &sub.provider_id).await {
            Ok(()) => record_cancelled(state, sub.provider, &sub.provider_id).await,
            Err(error) => tracing::warn!(
                %error,
                provider = %sub.provider,
                subscription = %sub.provider_id,
                "a superseded subscription was not cancelled: left to the scheduled job"
            ),
        }
    }
}

/// Asks the subscription's provider to cancel it. One that has ended there already is no
/// error. Shared by renewals (at once) and the scheduled job (what is left).
pub async fn cancel_at_provider(state: &AppState, provider: Provider, id: &str) -> Result<(), String> {
    match provider {
        Provider::Stripe => {
            let setup = state.stripe.as_ref().ok_or("Stripe is not set up")?;
            let client = donate_ssr::stripe_client(setup).map_err(|e| e.to_string())?;
            match client.cancel_subscription(id).await {
                Ok(_) => Ok(()),
                Err(error) if error.is_not_found() => Ok(()),
                Err(error) => Err(error.to_string()),
            }
        }
        Provider::Paypal => paypal_checkout::cancel_subscription(state, id).await,
        other => Err(format!("{other} has no subscriptions to cancel")),
    }
}

/// Records that the provider cancelled a superseded subscription (logged if it could not be: the
/// scheduled job then finds it due, asks the provider again and records it).
async fn record_cancelled(state: &AppState, provider: Provider, id: &str) {
    match renewal::cancelled(&state.pool, provider, id).await {
        Ok(_) => tracing::info!(%provider, subscription = %id, "superseded subscription cancelled"),
        Err(error) => tracing::warn!(
            ?error,
            %provider,
            subscription = %id,
            "cancelled at the provider, not yet recorded: the scheduled job will"
        ),
    }
}

/// Starts the provider's checkout for an existing pledge; `None` (logged) when it could not be.
async fn start_provider(
    state: &AppState,
    pledge: &Pledge,
    person: PersonId,
    method: Method,
    headers: &http::HeaderMap,
) -> Option<String> {
    let origin = &state.public_origin;
    let success_url = format!("{origin}/renew/thanks");
    let cancel_url = format!("{origin}/renew/cancelled");
    match method {
        Method::Stripe => {
            // The customer the supporter has with us, if any, so their card gift stays theirs;
            // else Checkout makes a new customer with their primary address.
            let customer = match stripe_subscription(state, pledge).await {
                Ok(sub) => sub.and_then(|s| s.customer_id),
                Err(error) => {
                    tracing::error!(?error, "could not read the subscription");
                    return None;
                }
            };
            let customer_email = match customer {
                Some(_) => None,
                None => primary_address(state, person).await,
            };
            let target = CheckoutTarget {
                success_url,
                cancel_url,
                // One key per attempt (not `checkout-{pledge}`, which the first Checkout of the
                // pledge used): a renewal tried again after an abandoned one gets a new session.
                idempotency_key: format!("renew-{}-{}", pledge.id, uuid::Uuid::new_v4()),
                customer,
                customer_email,
            };
            donate::start_checkout(state, pledge, target, headers).await
        }
        // A new PayPal subscription for the same pledge; PayPal's activation adopts it.
        Method::Paypal => paypal_checkout::renewal_checkout(state, pledge, &success_url, &cancel_url).await,
        Method::BankTransfer => None,
    }
}

async fn primary_address(state: &AppState, person: PersonId) -> Option<String> {
    let addresses = domain::email::list_for_person(&state.pool, person).await.ok()?;
    addresses.into_iter().find(|a| a.is_primary).map(|a| a.address.as_str().to_owned())
}

/// Page data of the renewal pages (a route layer, before Leptos renders): on
/// `GET /donations/{id}/renew` the owner's [`RenewalView`] (logged out: to the login and back;
/// anyone else's pledge: 404), on `GET /renew/cancelled` where "choose again" leads.
pub async fn pages(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() != http::Method::GET {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    if path == "/renew/cancelled" {
        let back: Option<String> = session.get(keys::RENEW_RETURN).await.ok().flatten();
        request.extensions_mut().insert(RenewReturn(back));
    } else if let Some(raw) = path.strip_prefix("/donations/").and_then(|rest| rest.strip_suffix("/renew")) {
        if login::person(&session).await.is_none() {
            // Only characters of a pledge id go into the address to come back to.
            let back = if raw.parse::<uuid::Uuid>().is_ok() { path.as_str() } else { "/donations" };
            return Redirect::to(&format!("/login?next={back}")).into_response();
        }
        let (person, pledge) = match own_pledge(&state, &session, raw, request.headers()).await {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        match ready_or_refused(&state, &pledge, person).await {
            Ok(view) => {
                request.extensions_mut().insert(view);
            }
            // The page apologises; nothing is lost.
            Err(error) => tracing::error!(?error, "could not load the renewal page data"),
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_methods_are_chosen() {
        assert_eq!(chosen(b"action=renew_pledge&method=bank_transfer"), Some(Method::BankTransfer));
        assert_eq!(chosen(b"method=stripe"), Some(Method::Stripe));
        for hostile in
            [&b"method=cash"[..], b"method=", b"method=STRIPE", b"method=stripe%00", b"", b"method[]=stripe"]
        {
            assert_eq!(chosen(hostile), None, "{}", String::from_utf8_lossy(hostile));
        }
    }
}
