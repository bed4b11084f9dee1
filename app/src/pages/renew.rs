// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Renewing a pledge whose collector stopped (or whose payments fail): the section that shows
//! the pledge and the ways to pay it from now on ([`Renewal`], on the `/c/{token}` page of a
//! `RenewPledge` link and on `/donations/{id}/renew` for the logged-in owner), and the pages a
//! provider's checkout comes back to (`/renew/thanks`, `/renew/cancelled`).
//!
//! Every choice is a submit button of one plain form (`method=bank_transfer|stripe|paypal`),
//! posting to the page's own address: two clicks from the mail, no JavaScript needed. The
//! server routes are `server/src/routes/renew.rs`; see `docs/renewal.md` for the whole flow.

use crate::amount::format;
use crate::components::page_title::PageTitle;
use crate::forms::{PaymentView, RenewRefusal, RenewReturn, RenewView, RenewalView};
use crate::i18n::*;
use crate::pages::donate::period_text;
use crate::pages::donations::{method_text, status_text};
use leptos::prelude::*;

/// A value the server put into the request before rendering (see `page_data.rs` for why pages
/// never await data while rendering). Always `None` in the browser.
fn extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<T>().cloned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The renewal section. `card_action` is where "update my card" posts (`None`: the page's own
/// address, with `action=update_card`).
#[component]
pub fn Renewal(view: RenewalView, card_action: Option<String>) -> impl IntoView {
    match view {
        RenewalView::Ready(view) => view! { <Ready view=*view card_action /> }.into_any(),
        RenewalView::Refused(why) => view! { <Refused why /> }.into_any(),
    }
}

#[component]
fn Ready(view: RenewView, card_action: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let RenewView { pledge, reason, payments, methods, update_card } = view;
    let amount = format(pledge.amount, locale);
    let period = period_text(i18n, &pledge.period);
    let heading = format!("{amount} · {period}");
    let why = match reason.as_deref() {
        Some("payment_failed") => Some(t_string!(i18n, renew_why_payment_failed).to_string()),
        Some("provider_dropped") => Some(t_string!(i18n, renew_why_provider_dropped).to_string()),
        Some(_) => Some(t_string!(i18n, renew_why_provider_ended).to_string()),
        None if pledge.failing => Some(t_string!(i18n, renew_why_failing).to_string()),
        None => None,
    };
    let choices = methods
        .into_iter()
        .map(|method| {
            let (label, hint) = match method.as_str() {
                "stripe" => (t_string!(i18n, renew_with_stripe), t_string!(i18n, renew_stripe_hint)),
                "paypal" => (t_string!(i18n, renew_with_paypal), t_string!(i18n, renew_paypal_hint)),
                _ => (t_string!(i18n, renew_with_bank_transfer), t_string!(i18n, renew_bank_transfer_hint)),
            };
            let hint_id = format!("renew-{method}-hint");
            view! {
                <li>
                    <button type="submit" name="method" value=method class="button" aria-describedby=hint_id.clone()>
                        {label.to_string()}
                    </button>
                    <p class="hint" id=hint_id>{hint.to_string()}</p>
                </li>
            }
        })
        .collect_view();
    let card = update_card.then(|| {
        let hidden = card_action
            .is_none()
            .then(|| view! { <input type="hidden" name="action" value="update_card" /> });
        view! {
            <section aria-labelledby="renew-card-heading" class="renew-card">
                <h2 id="renew-card-heading">{t!(i18n, renew_card_heading)}</h2>
                <p>{t!(i18n, renew_card_hint)}</p>
                <form method="post" action=card_action>
                    {hidden}
                    <button type="submit" class="button secondary">{t!(i18n, renew_update_card)}</button>
                </form>
            </section>
        }
    });
    view! {
        <PageTitle text=move || t_string!(i18n, renew_title).to_string() />
        <h1>{t!(i18n, renew_title)}</h1>
        {why.map(|why| view! { <p class="notice" role="status">{why}</p> })}
        <article class="pledge renew-pledge" id=format!("pledge-{}", pledge.id)>
            <h2>{heading}</h2>
            <dl>
                <dt>{t!(i18n, donations_method)}</dt>
                <dd>{method_text(i18n, &pledge.method)}</dd>
                <dt>{t!(i18n, donations_status)}</dt>
                <dd class="pledge-status">{status_text(i18n, &pledge.status)}</dd>
                {pledge.reference.map(|reference| view! {
                    <dt>{t!(i18n, transfer_reference)}</dt>
                    <dd class="reference">{reference}</dd>
                })}
                <dt>{t!(i18n, donations_since)}</dt>
                <dd><time datetime=pledge.starts_on.clone()>{pledge.starts_on.clone()}</time></dd>
            </dl>
        </article>
        {card}
        <section aria-labelledby="renew-choose-heading" class="renew-choice">
            <h2 id="renew-choose-heading">{t!(i18n, renew_choose)}</h2>
            <p>{t!(i18n, renew_lead)}</p>
            // No action attribute: the form posts to the page's own address (the link's token,
            // or the pledge's renewal page); the hidden field is what `/c/{token}` acts on.
            <form method="post">
                <input type="hidden" name="action" value="renew_pledge" />
                <ul class="renew-methods">{choices}</ul>
            </form>
        </section>
        <Payments payments />
    }
}

#[component]
fn Payments(payments: Vec<PaymentView>) -> impl IntoView {
    let i18n = use_i18n();
    let body = if payments.is_empty() {
        view! { <p>{t!(i18n, renew_no_payments)}</p> }.into_any()
    } else {
        super::donations::payments_table(payments)
    };
    view! {
        <section aria-labelledby="renew-payments-heading">
            <h2 id="renew-payments-heading">{t!(i18n, renew_payments)}</h2>
            {body}
        </section>
    }
}

#[component]
fn Refused(why: RenewRefusal) -> impl IntoView {
    let i18n = use_i18n();
    let text = match why {
        RenewRefusal::NotYours => t_string!(i18n, renew_refused_not_yours).to_string(),
        RenewRefusal::Cancelled => t_string!(i18n, renew_refused_cancelled).to_string(),
        RenewRefusal::OneOff => t_string!(i18n, renew_refused_one_off).to_string(),
    };
    view! {
        <PageTitle text=move || t_string!(i18n, renew_refused_title).to_string() />
        <h1>{t!(i18n, renew_refused_title)}</h1>
        <p role="status">{text}</p>
        <p class="actions">
            <a href="/donate" class="button">{t!(i18n, donations_give)}</a>
            <a href="/donations">{t!(i18n, nav_donations)}</a>
        </p>
    }
}

/// `/donations/{id}/renew`: the owner's renewal page. The server fills the data for the
/// logged-in owner only (anyone else gets 404 before rendering, someone logged out is sent to
/// log in).
#[component]
pub fn RenewPage() -> impl IntoView {
    let i18n = use_i18n();
    match extension::<RenewalView>() {
        Some(view) => {
            let card_action = match &view {
                RenewalView::Ready(ready) => Some(format!("/donations/{}/card", ready.pledge.id)),
                RenewalView::Refused(_) => None,
            };
            view! { <Renewal view card_action /> }.into_any()
        }
        None => view! {
            <PageTitle text=move || t_string!(i18n, renew_title).to_string() />
            <h1>{t!(i18n, renew_title)}</h1>
            <p class="error-summary" role="alert">{t!(i18n, error_generic)}</p>
        }
        .into_any(),
    }
}

/// `/renew/thanks`: back from a provider's checkout or Stripe's billing portal. The provider's
/// confirmation (its webhook), not this page, renews the pledge; anyone can open it.
#[component]
pub fn RenewThanksPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, renew_thanks_title).to_string() />
        <h1>{t!(i18n, renew_thanks_title)}</h1>
        <section class="notice" role="status">
            <p>{t!(i18n, renew_thanks_text)}</p>
        </section>
        <p><a href="/donations" class="button">{t!(i18n, nav_donations)}</a></p>
    }
}

/// `/renew/cancelled`: the supporter left the provider's checkout. Nothing changed, and the
/// renewal link stays usable until a provider confirms, so they may choose again.
#[component]
pub fn RenewCancelledPage() -> impl IntoView {
    let i18n = use_i18n();
    let back = extension::<RenewReturn>().and_then(|r| r.0);
    view! {
        <PageTitle text=move || t_string!(i18n, renew_cancelled_title).to_string() />
        <h1>{t!(i18n, renew_cancelled_title)}</h1>
        <p role="status">{t!(i18n, renew_cancelled_text)}</p>
        {match back {
            Some(path) => view! { <p><a href=path class="button">{t!(i18n, renew_choose_again)}</a></p> }.into_any(),
            None => view! { <p>{t!(i18n, renew_cancelled_no_return)}</p> }.into_any(),
        }}
    }
}
