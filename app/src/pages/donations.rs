// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/donations` ("My donations", logged in only): the person's pledges and payments, and plain
//! forms to change the amount or period of a recurring pledge, to cancel it, and (Stripe) to
//! update the card in Stripe's billing portal. A pledge that needs a new way to pay (or whose
//! last payment failed) says so and links to its renewal page (`pages::renew`). Each form posts to a server route
//! (`server/src/routes/donations.rs`), which authorises the pledge as the person's own, acts
//! and redirects back here with a notice (post, redirect, get): no JavaScript needed.

use crate::amount::format;
use crate::components::gift_picker::gift_problem_text;
use crate::components::page_title::PageTitle;
use crate::forms::{DonationsNotice, GiftFieldError, OfferView, PaymentView, PledgeView};
use crate::i18n::*;
use crate::page_data::use_page_data;
use crate::pages::donate::period_text;
use leptos::prelude::*;

pub(crate) fn status_text(i18n: leptos_i18n::I18nContext<Locale>, status: &str) -> String {
    match status {
        "pending" => t_string!(i18n, pledge_status_pending).to_string(),
        "active" => t_string!(i18n, pledge_status_active).to_string(),
        "needs_renewal" => t_string!(i18n, pledge_status_needs_renewal).to_string(),
        "cancelled" => t_string!(i18n, pledge_status_cancelled).to_string(),
        "received" => t_string!(i18n, payment_status_received).to_string(),
        "refunded" => t_string!(i18n, payment_status_refunded).to_string(),
        "partially_refunded" => t_string!(i18n, payment_status_partially_refunded).to_string(),
        "disputed" => t_string!(i18n, payment_status_disputed).to_string(),
        "failed" => t_string!(i18n, payment_status_failed).to_string(),
        other => other.to_owned(),
    }
}

pub(crate) fn method_text(i18n: leptos_i18n::I18nContext<Locale>, method: &str) -> String {
    match method {
        "stripe" => t_string!(i18n, method_stripe).to_string(),
        "paypal" => t_string!(i18n, renew_method_paypal).to_string(),
        _ => t_string!(i18n, method_bank_transfer).to_string(),
    }
}

#[component]
pub fn DonationsPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = use_page_data();
    let offer = data.offer.clone();
    let title = move || t_string!(i18n, donations_title).to_string();
    let notice = data.session.donations_notice.clone();
    let refused = match &notice {
        Some(DonationsNotice::Refused { pledge, errors }) => Some((pledge.clone(), errors.clone())),
        _ => None,
    };
    let Some(donations) = data.donations else {
        // Logged out meanwhile (the server sends those to log in) or the data could not be read.
        return view! {
            <PageTitle text=title />
            <h1>{t!(i18n, donations_title)}</h1>
            <p class="error-summary" role="alert">{t!(i18n, error_generic)}</p>
        }
        .into_any();
    };
    let pledges = if donations.pledges.is_empty() {
        view! {
            <p>{t!(i18n, donations_none)}</p>
            <p><a href="/donate" class="button">{t!(i18n, donations_give)}</a></p>
        }
        .into_any()
    } else {
        donations
            .pledges
            .into_iter()
            .map(|pledge| {
                let errors = refused
                    .as_ref()
                    .filter(|(id, _)| *id == pledge.id)
                    .map(|(_, errors)| errors.clone())
                    .unwrap_or_default();
                view! { <Pledge pledge errors offer=offer.clone() /> }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <PageTitle text=title />
        <h1>{t!(i18n, donations_title)}</h1>
        {notice.map(|notice| view! { <Notice notice /> })}
        <section aria-labelledby="pledges-heading">
            <h2 id="pledges-heading">{t!(i18n, donations_pledges)}</h2>
            {pledges}
        </section>
        <Payments payments=donations.payments />
        <p><a href="/donations/statements">{t!(i18n, statements_link)}</a></p>
    }
    .into_any()
}

#[component]
fn Notice(notice: DonationsNotice) -> impl IntoView {
    let i18n = use_i18n();
    let (class, role, text) = match notice {
        DonationsNotice::Changed { bank } => {
            let mut text = t_string!(i18n, donations_changed).to_string();
            if bank {
                text = format!("{text} {}", t_string!(i18n, donations_changed_bank));
            }
            ("notice", "status", text)
        }
        DonationsNotice::Cancelled { bank } => {
            let mut text = t_string!(i18n, donations_cancelled).to_string();
            if bank {
                text = format!("{text} {}", t_string!(i18n, donations_cancelled_bank));
            }
            ("notice", "status", text)
        }
        DonationsNotice::Refused { .. } => {
            ("error-summary", "alert", t_string!(i18n, form_errors_heading).to_string())
        }
        DonationsNotice::NotChangeable => {
            ("error-summary", "alert", t_string!(i18n, donations_not_changeable).to_string())
        }
        DonationsNotice::Failed => ("error-summary", "alert", t_string!(i18n, donations_failed).to_string()),
    };
    view! { <p class=class role=role>{text}</p> }
}

#[component]
fn Pledge(pledge: PledgeView, errors: Vec<GiftFieldError>, offer: OfferView) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let amount = format(pledge.amount, locale);
    let period = period_text(i18n, &pledge.period);
    let method = method_text(i18n, &pledge.method);
    let status = status_text(i18n, &pledge.status);
    let recurring = pledge.period != "once";
    let open = pledge.status != "cancelled";
    let bank = pledge.method == "bank_transfer";
    let id = pledge.id.clone();
    let amount_problem = GiftFieldError::find(&errors, "amount");
    let period_problem = GiftFieldError::find(&errors, "period");
    let heading = format!("{amount} · {period}");
    let change = (recurring && open).then(|| {
        let amount_id = format!("amount-{id}");
        let period_id = format!("period-{id}");
        let error_id = format!("amount-{id}-error");
        let value = crate::amount::plain(pledge.amount);
        let amount_error = amount_problem.map(|p| {
            let text = gift_problem_text(i18n, p, &offer);
            view! { <p class="field-error" id=error_id.clone()>{text}</p> }
        });
        let period_error = period_problem.map(|p| {
            let text = gift_problem_text(i18n, p, &offer);
            view! { <p class="field-error">{text}</p> }
        });
        let options = ["monthly", "yearly"]
            .into_iter()
            .map(|p| {
                let selected = pledge.period == p;
                view! { <option value=p selected=selected>{period_text(i18n, p)}</option> }
            })
            .collect_view();
        // A PayPal subscription's amount changes only with the donor's approval at PayPal:
        // not offered here (the route refuses it too).
        let changeable = pledge.method != "paypal";
        view! {
            <details class="pledge-change" hidden=!changeable open=amount_problem.is_some() || period_problem.is_some()>
                <summary>{t!(i18n, donations_change)}</summary>
                <form method="post" action=format!("/donations/{id}/change") class="form">
                    <div class="field">
                        <label for=amount_id.clone()>{t!(i18n, donate_custom_amount)}</label>
                        {amount_error}
                        <input
                            id=amount_id
                            name="amount"
                            type="text"
                            inputmode="decimal"
                            maxlength=20
                            value=value
                            aria-invalid=amount_problem.map(|_| "true")
                            aria-describedby=amount_problem.map(|_| error_id.clone())
                        />
                    </div>
                    <div class="field">
                        <label for=period_id.clone()>{t!(i18n, donate_period_legend)}</label>
                        {period_error}
                        <select id=period_id name="period">{options}</select>
                    </div>
                    {bank.then(|| view! { <p class="hint">{t!(i18n, donations_bank_hint)}</p> })}
                    <button type="submit" class="button">{t!(i18n, donations_change_submit)}</button>
                </form>
            </details>
            <form method="post" action=format!("/donations/{id}/cancel") class="inline">
                <button type="submit" class="link-button">{t!(i18n, donations_cancel)}</button>
            </form>
        }
    });
    let card = (pledge.has_card && open).then(|| {
        view! {
            <form method="post" action=format!("/donations/{id}/card") class="inline">
                <button type="submit" class="link-button">{t!(i18n, donations_card)}</button>
            </form>
        }
    });
    // A pledge that can no longer be collected, or whose last payment failed, says so first
    // and leads to its renewal page (`/donations/{id}/renew`).
    let needs_renewal = pledge.status == "needs_renewal";
    let renew = (recurring && open && (needs_renewal || pledge.failing)).then(|| {
        let text = if needs_renewal {
            t_string!(i18n, donations_needs_renewal).to_string()
        } else {
            t_string!(i18n, donations_failing).to_string()
        };
        view! {
            <div class="notice renew-notice" role="status">
                <p>{text}</p>
                <p><a href=format!("/donations/{id}/renew") class="button">{t!(i18n, donations_renew)}</a></p>
            </div>
        }
    });
    view! {
        <article class="pledge" id=format!("pledge-{}", pledge.id)>
            <h3>{heading}</h3>
            {renew}
            <dl>
                <dt>{t!(i18n, donations_method)}</dt>
                <dd>{method}</dd>
                <dt>{t!(i18n, donations_status)}</dt>
                <dd class="pledge-status">{status}</dd>
                {pledge.reference.map(|reference| view! {
                    <dt>{t!(i18n, transfer_reference)}</dt>
                    <dd class="reference">{reference}</dd>
                })}
                <dt>{t!(i18n, donations_since)}</dt>
                <dd><time datetime=pledge.starts_on.clone()>{pledge.starts_on.clone()}</time></dd>
                {(open && recurring).then_some(pledge.next_expected_on).flatten().map(|next| view! {
                    <dt>{t!(i18n, donations_next)}</dt>
                    <dd><time datetime=next.clone()>{next.clone()}</time></dd>
                })}
            </dl>
            {change}
            {card}
        </article>
    }
}

#[component]
fn Payments(payments: Vec<PaymentView>) -> impl IntoView {
    let i18n = use_i18n();
    let body = if payments.is_empty() {
        view! { <p>{t!(i18n, donations_no_payments)}</p> }.into_any()
    } else {
        payments_table(payments)
    };
    view! {
        <section aria-labelledby="payments-heading">
            <h2 id="payments-heading">{t!(i18n, donations_payments)}</h2>
            {body}
        </section>
    }
}

/// The table of a pledge's or person's payments (date, amount, how, status and refunds), on
/// "My donations" and on the renewal page.
pub(crate) fn payments_table(payments: Vec<PaymentView>) -> AnyView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let rows = payments
        .into_iter()
        .map(|payment| {
            let amount = format(payment.amount, locale);
            let refunded = payment
                .refunded
                .map(|r| format!(" ({} {})", t_string!(i18n, donations_refunded), format(r, locale)));
            let status = status_text(i18n, &payment.status);
            let provider = match payment.provider.as_str() {
                "stripe" => t_string!(i18n, method_stripe).to_string(),
                "paypal" => t_string!(i18n, renew_method_paypal).to_string(),
                "manual" => t_string!(i18n, donations_manual).to_string(),
                _ => t_string!(i18n, method_bank_transfer).to_string(),
            };
            view! {
                <tr>
                    <td><time datetime=payment.booked_on.clone()>{payment.booked_on.clone()}</time></td>
                    <td class="amount">{amount}</td>
                    <td>{provider}</td>
                    <td class="payment-status">{status}{refunded}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="payments">
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, donations_date)}</th>
                    <th scope="col">{t!(i18n, transfer_amount)}</th>
                    <th scope="col">{t!(i18n, donations_method)}</th>
                    <th scope="col">{t!(i18n, donations_status)}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
