// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/register`: becoming a supporter. A plain form posting to `POST /register` (server), which
//! redirects back here; the page then shows "check your mail", or the form again with what was
//! typed and what to fix. `?referrer=` in the address is kept with the registration. The lists
//! offered are rows; the server loads them before rendering (`routes::register::page`) and puts
//! them into the request as [`RegisterLists`].

use crate::components::address_fields::AddressFields;
use crate::components::field::{TextField, problem_text};
use crate::components::inline_check::InlineCheck;
use crate::components::list_choice::ListChecks;
use crate::components::page_title::PageTitle;
use crate::forms::{FieldError, ListView, RegisterForm, RegisterOutcome};
use crate::i18n::*;
use crate::page_data::use_page_data;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// The lists the registration form offers (`domain::mailing::list::offered_at_registration`),
/// in form order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterLists(pub Vec<ListView>);

fn offered_lists() -> Vec<ListView> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<RegisterLists>().map(|lists| lists.0.clone()))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        Vec::new()
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = use_page_data();
    let chosen = data.session.chosen_amount;
    let title = move || t_string!(i18n, register_title).to_string();
    let lists = offered_lists();
    let body = match data.session.register {
        Some(RegisterOutcome::Sent) => view! { <Sent /> }.into_any(),
        Some(RegisterOutcome::Refused { form, errors }) => {
            view! { <RegistrationForm form errors failed=false lists /> }.into_any()
        }
        Some(RegisterOutcome::Failed { form }) => {
            view! { <RegistrationForm form errors=Vec::new() failed=true lists /> }.into_any()
        }
        None => {
            let referrer = use_query_map().with_untracked(|q| q.get("referrer")).unwrap_or_default();
            let language = match i18n.get_locale_untracked() {
                Locale::en => "en",
                Locale::de => "de",
            };
            let form = RegisterForm { referrer, language: language.to_owned(), ..Default::default() };
            view! { <RegistrationForm form errors=Vec::new() failed=false lists /> }.into_any()
        }
    };
    view! {
        <PageTitle text=title />
        <h1>{t!(i18n, register_title)}</h1>
        {chosen.map(|amount| view! { <p class="notice">{t!(i18n, chosen_amount, amount = move || amount)}</p> })}
        {body}
    }
}

#[component]
fn Sent() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="notice" role="status">
            <h2>{t!(i18n, register_sent_title)}</h2>
            <p>{t!(i18n, register_sent_text)}</p>
        </section>
        <p class="aside">{t!(i18n, register_sent_spam)}</p>
    }
}

/// The form, as an island: it posts like a plain form, and once hydrated checks each field as
/// it is left (`InlineCheck`).
#[island]
fn RegistrationForm(
    form: RegisterForm,
    errors: Vec<FieldError>,
    failed: bool,
    lists: Vec<ListView>,
) -> impl IntoView {
    let i18n = use_i18n();
    let check = InlineCheck::new(errors.clone());
    let problem = |field: &'static str| check.problem(field);
    let summary = (!errors.is_empty()).then(|| {
        let items = errors
            .iter()
            .map(|e| {
                let href = format!("#{}", e.field);
                let problem = e.problem;
                view! { <li><a href=href>{move || problem_text(i18n, problem)}</a></li> }
            })
            .collect_view();
        view! {
            <div class="error-summary" role="alert" tabindex="-1">
                <p>{t!(i18n, form_errors_heading)}</p>
                <ul>{items}</ul>
            </div>
        }
    });
    let ticked = form.lists.clone();
    // Without lists in the database the form asks for none.
    let lists = (!lists.is_empty()).then(|| {
        view! {
            <fieldset class="group" id="lists">
                <legend>{t!(i18n, register_lists_legend)}</legend>
                <ListChecks lists name="lists" prefix="list" ticked=move |key| ticked.iter().any(|l| l == key) />
            </fieldset>
        }
    });
    let language = form.language.clone();
    view! {
        <p class="lead">{t!(i18n, register_lead)}</p>
        {failed.then(|| view! { <p class="error-summary" role="alert">{t!(i18n, error_generic)}</p> })}
        {summary}
        <form method="post" action="/register" class="form" on:focusout=move |e| check.leave(e.into()) on:input=move |e| check.leave(e)>
            <TextField
                name="name"
                label=Signal::derive(move || t_string!(i18n, register_name).to_string())
                hint=Signal::derive(move || t_string!(i18n, register_name_hint).to_string())
                value=form.profile.name.clone()
                problem=problem("name")
                required=true
                autocomplete="name"
            />
            <TextField
                name="email"
                kind="email"
                label=Signal::derive(move || t_string!(i18n, register_email).to_string())
                value=form.email.clone()
                problem=problem("email")
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
            <TextField
                name="country"
                label=Signal::derive(move || t_string!(i18n, register_country).to_string())
                hint=Signal::derive(move || t_string!(i18n, register_country_hint).to_string())
                value=form.profile.country.clone()
                problem=problem("country")
                autocomplete="country"
                maxlength=2
            />
            <AddressFields form=form.profile.clone() check />
            {lists}
            <input type="hidden" name="referrer" value=form.referrer.clone() />
            <button type="submit" class="button">{t!(i18n, register_submit)}</button>
        </form>
    }
}
