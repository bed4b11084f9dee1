// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The donate pages: `/donate` (the form), `/donate/transfer/{id}` (the transfer details after a
//! bank-transfer pledge), `/donate/thanks` and `/donate/cancelled` (back from Stripe Checkout).
//!
//! The form is a plain form posting to `POST /donate` (server), which checks it with
//! `domain::payment::Offer::check`, creates the pledge and redirects: to the transfer details,
//! to Checkout, or back here with what was typed and why it was refused (post, redirect, get),
//! so it works without JavaScript. Only the amount and period part is an island
//! (`components::gift_picker`). `/donate?amount=25&period=monthly&referrer=x` prefills the form;
//! values that are not plain amounts, periods or referrers are dropped, never echoed.

use crate::amount::{self, format};
use crate::components::field::TextField;
use crate::components::gift_picker::{GiftPicker, gift_problem_text};
use crate::components::page_title::PageTitle;
use crate::forms::{DonateForm, DonateOutcome, GiftFieldError, GiftProblem, OfferView, TransferView};
use crate::i18n::*;
use crate::page_data::use_page_data;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A referrer from the address: the characters `domain::types::Referrer` allows, else nothing.
fn plain_referrer(raw: &str) -> String {
    let ok = !raw.is_empty()
        && raw.len() <= 100
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    if ok { raw.to_owned() } else { String::new() }
}

/// The form as the address prefills it (every value checked against the offer first).
fn from_query(offer: &OfferView, get: impl Fn(&str) -> Option<String>, language: &str) -> DonateForm {
    let raw_amount = get("amount").unwrap_or_default();
    let (amount, custom_amount) = match amount::from_form(offer, &raw_amount) {
        Some(preset) => (preset.to_string(), String::new()),
        None => match amount::prefill(offer, &raw_amount) {
            Some(own) => (String::new(), own),
            None => (offer.default_amount.to_string(), String::new()),
        },
    };
    let period = get("period")
        .filter(|p| matches!(p.as_str(), "once" | "monthly" | "yearly"))
        .unwrap_or_else(|| "monthly".to_owned());
    let method = get("method")
        .filter(|m| offer.methods.contains(m))
        .or_else(|| offer.methods.first().cloned())
        .unwrap_or_default();
    DonateForm {
        amount,
        custom_amount,
        period,
        method,
        language: language.to_owned(),
        referrer: plain_referrer(&get("referrer").unwrap_or_default()),
        ..Default::default()
    }
}

fn language_code(i18n: leptos_i18n::I18nContext<Locale>) -> &'static str {
    match i18n.get_locale_untracked() {
        Locale::en => "en",
        Locale::de => "de",
    }
}

#[component]
pub fn DonatePage() -> impl IntoView {
    let i18n = use_i18n();
    let data = use_page_data();
    let offer = data.offer.clone();
    let logged_in = data.session.me.is_some();
    let (form, errors, failed) = match data.session.donate {
        Some(DonateOutcome::Refused { form, errors }) => (form, errors, false),
        Some(DonateOutcome::Failed { form }) => (form, Vec::new(), true),
        None => {
            let query = use_query_map();
            let form = from_query(&offer, |key| query.with_untracked(|q| q.get(key)), language_code(i18n));
            (form, Vec::new(), false)
        }
    };
    let title = move || t_string!(i18n, donate_title).to_string();
    view! {
        <PageTitle text=title />
        <h1>{t!(i18n, donate_title)}</h1>
        <p class="lead">{t!(i18n, donate_lead)}</p>
        {failed.then(|| view! { <p class="error-summary" role="alert">{t!(i18n, donate_failed)}</p> })}
        <ErrorSummary errors=errors.clone() offer=offer.clone() />
        <GiftFormBody form errors offer logged_in />
    }
}

/// The list of refused fields at the top, each a link to its field.
#[component]
fn ErrorSummary(errors: Vec<GiftFieldError>, offer: OfferView) -> impl IntoView {
    let i18n = use_i18n();
    (!errors.is_empty()).then(|| {
        let items = errors
            .iter()
            .map(|e| {
                let href = format!("#{}", e.field);
                let text = gift_problem_text(i18n, e.problem, &offer);
                let field = field_label(i18n, &e.field);
                view! { <li><a href=href>{field} ": " {text}</a></li> }
            })
            .collect_view();
        view! {
            <div class="error-summary" role="alert" tabindex="-1">
                <p>{t!(i18n, form_errors_heading)}</p>
                <ul>{items}</ul>
            </div>
        }
    })
}

fn field_label(i18n: leptos_i18n::I18nContext<Locale>, field: &str) -> String {
    match field {
        "amount" => t_string!(i18n, donate_amount_legend).to_string(),
        "period" => t_string!(i18n, donate_period_legend).to_string(),
        "method" => t_string!(i18n, donate_method_legend).to_string(),
        "name" => t_string!(i18n, register_name).to_string(),
        "email" => t_string!(i18n, register_email).to_string(),
        _ => t_string!(i18n, register_language).to_string(),
    }
}

/// The general problem of a name or address field, for `TextField`.
fn other(errors: &[GiftFieldError], field: &str) -> Option<crate::forms::Problem> {
    match GiftFieldError::find(errors, field)? {
        GiftProblem::Other(problem) => Some(problem),
        GiftProblem::Empty => Some(crate::forms::Problem::Empty),
        _ => Some(crate::forms::Problem::Malformed),
    }
}

#[component]
fn GiftFormBody(
    form: DonateForm,
    errors: Vec<GiftFieldError>,
    offer: OfferView,
    logged_in: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let method_problem = GiftFieldError::find(&errors, "method");
    let methods = offer
        .methods
        .iter()
        .map(|method| {
            let id = format!("method-{method}");
            let checked = form.method == *method;
            let (label, hint) = match method.as_str() {
                "stripe" => (
                    t_string!(i18n, method_stripe).to_string(),
                    t_string!(i18n, method_stripe_hint).to_string(),
                ),
                "paypal" => (
                    t_string!(i18n, method_paypal).to_string(),
                    t_string!(i18n, method_paypal_hint).to_string(),
                ),
                _ => (
                    t_string!(i18n, method_bank_transfer).to_string(),
                    t_string!(i18n, method_bank_transfer_hint).to_string(),
                ),
            };
            view! {
                <div class="check">
                    <input type="radio" id=id.clone() name="method" value=method.clone() checked=checked />
                    <label for=id>
                        <strong>{label}</strong>
                        <span class="hint">{hint}</span>
                    </label>
                </div>
            }
        })
        .collect_view();
    let method_error = method_problem.map(|p| {
        let text = gift_problem_text(i18n, p, &offer);
        view! { <p class="field-error" id="method-error">{text}</p> }
    });
    let visitor = (!logged_in).then(|| {
        let language = form.language.clone();
        view! {
            <fieldset class="group">
                <legend>{t!(i18n, donate_about_you)}</legend>
                <p class="hint">{t!(i18n, donate_about_you_hint)}</p>
                <TextField
                    name="name"
                    label=Signal::derive(move || t_string!(i18n, register_name).to_string())
                    value=form.name.clone()
                    problem=other(&errors, "name")
                    required=true
                    autocomplete="name"
                />
                <TextField
                    name="email"
                    kind="email"
                    label=Signal::derive(move || t_string!(i18n, register_email).to_string())
                    value=form.email.clone()
                    problem=other(&errors, "email")
                    required=true
                    autocomplete="email"
                    maxlength=254
                />
                <div class="field">
                    <label for="language">{t!(i18n, register_language)}</label>
                    <select id="language" name="language">
                        <option value="en" selected=language == "en">"English"</option>
                        <option value="de" selected=language == "de">"Deutsch"</option>
                    </select>
                </div>
                <p class="aside">
                    {t!(i18n, donate_login_hint)} " "
                    <a href="/login?next=/donate" rel="external">{t!(i18n, nav_login)}</a>
                </p>
            </fieldset>
        }
    });
    view! {
        <form method="post" action="/donate" class="form donate-form">
            <GiftPicker
                offer=offer.clone()
                amount=form.amount.clone()
                custom_amount=form.custom_amount.clone()
                period=form.period.clone()
                amount_problem=GiftFieldError::find(&errors, "amount")
                period_problem=GiftFieldError::find(&errors, "period")
            />
            <fieldset class="group" id="method" aria-invalid=method_problem.map(|_| "true")>
                <legend>{t!(i18n, donate_method_legend)}</legend>
                {method_error}
                {methods}
            </fieldset>
            {visitor}
            <input type="hidden" name="referrer" value=form.referrer.clone() />
            <button type="submit" class="button">{t!(i18n, donate_submit)}</button>
        </form>
    }
}

/// `/donate/transfer/{id}`. The server fills `PageData::transfer` only for the session that
/// made the pledge or its logged-in owner, and answers 404 to anyone else before rendering.
#[component]
pub fn TransferPage() -> impl IntoView {
    let i18n = use_i18n();
    let title = move || t_string!(i18n, transfer_title).to_string();
    let Some(transfer) = use_page_data().transfer else {
        return view! {
            <PageTitle text=move || t_string!(i18n, not_found_title).to_string() />
            <h1>{t!(i18n, not_found_title)}</h1>
            <p>{t!(i18n, not_found_text)}</p>
        }
        .into_any();
    };
    let locale = i18n.get_locale_untracked();
    let amount = format(transfer.amount, locale);
    let recurring = transfer.period != "once";
    let period = period_text(i18n, &transfer.period);
    let TransferView { holder, iban, bic, reference, qr_svg, visitor, .. } = transfer;
    let reference_again = reference.clone();
    view! {
        <PageTitle text=title />
        <h1>{t!(i18n, transfer_title)}</h1>
        {visitor.then(|| view! {
            <section class="notice" role="status">
                <h2>{t!(i18n, transfer_mail_title)}</h2>
                <p>{t!(i18n, transfer_mail_text)}</p>
            </section>
        })}
        <p class="lead">{t!(i18n, transfer_lead)}</p>
        <div class="transfer">
            <dl class="transfer-details">
                <dt>{t!(i18n, transfer_holder)}</dt>
                <dd>{holder}</dd>
                <dt>{t!(i18n, transfer_iban)}</dt>
                <dd class="iban">{iban}</dd>
                {bic.map(|bic| view! { <dt>{t!(i18n, transfer_bic)}</dt> <dd>{bic}</dd> })}
                <dt>{t!(i18n, transfer_amount)}</dt>
                <dd>{amount} " (" {period} ")"</dd>
                <dt>{t!(i18n, transfer_reference)}</dt>
                <dd class="reference">{reference}</dd>
            </dl>
            {qr_svg.map(|svg| view! {
                <figure class="epc-qr">
                    // Drawn on the server from the offer and the pledge; nothing typed is in it.
                    <div class="epc-qr-code" inner_html=svg></div>
                    <figcaption>{t!(i18n, transfer_qr_caption)}</figcaption>
                </figure>
            })}
        </div>
        <p>{t!(i18n, transfer_reference_text, reference = move || reference_again.clone())}</p>
        {recurring.then(|| view! { <p>{t!(i18n, transfer_standing_order)}</p> })}
        <p>{t!(i18n, transfer_after)}</p>
    }
    .into_any()
}

/// The words for a period (`once`, `monthly`, `yearly`).
pub fn period_text(i18n: leptos_i18n::I18nContext<Locale>, period: &str) -> String {
    match period {
        "once" => t_string!(i18n, period_once).to_string(),
        "monthly" => t_string!(i18n, period_monthly).to_string(),
        "yearly" => t_string!(i18n, period_yearly).to_string(),
        other => other.to_owned(),
    }
}

/// `/donate/thanks`: back from Checkout. The payment is confirmed by Stripe's webhook, not by
/// this page (anyone can open it), so it thanks without claiming anything was paid.
#[component]
pub fn DonateThanksPage() -> impl IntoView {
    let i18n = use_i18n();
    let logged_in = use_page_data().session.me.is_some();
    view! {
        <PageTitle text=move || t_string!(i18n, donate_thanks_title).to_string() />
        <h1>{t!(i18n, donate_thanks_title)}</h1>
        <section class="notice" role="status">
            <p>{t!(i18n, donate_thanks_text)}</p>
        </section>
        {if logged_in {
            view! { <p><a href="/donations" class="button">{t!(i18n, nav_donations)}</a></p> }.into_any()
        } else {
            view! { <p>{t!(i18n, donate_thanks_visitor)}</p> }.into_any()
        }}
    }
}

/// `/donate/cancelled`: the giver left Checkout. Nothing was charged; the pledge stays pending.
#[component]
pub fn DonateCancelledPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, donate_cancelled_title).to_string() />
        <h1>{t!(i18n, donate_cancelled_title)}</h1>
        <p>{t!(i18n, donate_cancelled_text)}</p>
        <p><a href="/donate" class="button">{t!(i18n, donate_again)}</a></p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_prefills_only_plain_values() {
        let offer = OfferView::default();
        let query = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v).to_owned())
        };
        let form = from_query(
            &offer,
            query(&[("amount", "25"), ("period", "yearly"), ("referrer", "spring-2026")]),
            "de",
        );
        assert_eq!((form.amount.as_str(), form.custom_amount.as_str()), ("25", ""));
        assert_eq!(
            (form.period.as_str(), form.referrer.as_str(), form.language.as_str()),
            ("yearly", "spring-2026", "de")
        );
        let form = from_query(&offer, query(&[("amount", "12.50")]), "en");
        assert_eq!(
            (form.amount.as_str(), form.custom_amount.as_str(), form.period.as_str()),
            ("", "12.50", "monthly")
        );
        let form = from_query(
            &offer,
            query(&[
                ("amount", "\"><script>"),
                ("period", "weekly"),
                ("referrer", "<b>x</b>"),
                ("method", "cash"),
            ]),
            "en",
        );
        assert_eq!((form.amount.as_str(), form.custom_amount.as_str()), ("10", ""));
        assert_eq!(
            (form.period.as_str(), form.referrer.as_str(), form.method.as_str()),
            ("monthly", "", "bank_transfer")
        );
    }
}
