// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The pages around logging in: `/login/problem` (why a login did not complete), `/logout`
//! (confirm, and "you are logged out" when the idp sends the browser back) and `/settings`
//! (the logged-in person's data; the server sends everyone else to log in first).
//!
//! `/login` itself is no page: the server sends the browser straight to the idp. Links to it
//! are plain links (`rel="external"`), so the router in the browser leaves them to the server.

use crate::components::page_title::PageTitle;
use crate::forms::LoginProblem;
use crate::i18n::*;
use crate::page_data::use_page_data;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginProblemPage() -> impl IntoView {
    let i18n = use_i18n();
    let reason = use_query_map().with_untracked(|q| q.get("reason")).unwrap_or_default();
    let text = match LoginProblem::parse(&reason) {
        LoginProblem::NotConfigured => t_string!(i18n, login_problem_not_configured).to_string(),
        LoginProblem::Unreachable => t_string!(i18n, login_problem_unreachable).to_string(),
        LoginProblem::Refused => t_string!(i18n, login_problem_refused).to_string(),
        LoginProblem::Expired => t_string!(i18n, login_problem_expired).to_string(),
        LoginProblem::Invalid => t_string!(i18n, login_problem_invalid).to_string(),
    };
    view! {
        <PageTitle text=move || t_string!(i18n, login_problem_title).to_string() />
        <h1>{t!(i18n, login_problem_title)}</h1>
        <p role="alert">{text}</p>
        <p><a href="/login" rel="external" class="button">{t!(i18n, login_try_again)}</a></p>
    }
}

#[component]
pub fn LogoutPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_page_data().session;
    let body = if session.logged_out {
        view! { <p role="status">{t!(i18n, logout_done)}</p> }.into_any()
    } else if session.me.is_some() {
        view! {
            <p>{t!(i18n, logout_confirm)}</p>
            <form method="post" action="/logout">
                <button type="submit" class="button">{t!(i18n, nav_logout)}</button>
            </form>
        }
        .into_any()
    } else {
        view! {
            <p>{t!(i18n, logout_not_logged_in)}</p>
            <p><a href="/login" rel="external" class="button">{t!(i18n, nav_login)}</a></p>
        }
        .into_any()
    };
    view! {
        <PageTitle text=move || t_string!(i18n, logout_title).to_string() />
        <h1>{t!(i18n, logout_title)}</h1>
        {body}
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let title = move || t_string!(i18n, settings_title).to_string();
    let Some(data) = use_page_data().my_data else {
        // Only reached if the server could not load the data; it logs why.
        return view! {
            <PageTitle text=title />
            <h1>{t!(i18n, settings_title)}</h1>
            <p role="alert">{t!(i18n, error_generic)}</p>
        }
        .into_any();
    };
    let none = move || t_string!(i18n, settings_none).to_string();
    let address = if data.address_lines.is_empty() {
        view! { <dd>{none()}</dd> }.into_any()
    } else {
        let lines = data
            .address_lines
            .into_iter()
            .map(|line| view! { <span class="line">{line}</span> })
            .collect_view();
        view! { <dd><address>{lines}</address></dd> }.into_any()
    };
    let emails = data
        .emails
        .into_iter()
        .map(|email| {
            view! {
                <li>
                    {email.address}
                    {email.primary.then(|| view! { " (" {t!(i18n, settings_primary)} ")" })}
                    {(!email.verified).then(|| view! { " (" {t!(i18n, settings_unverified)} ")" })}
                </li>
            }
        })
        .collect_view();
    let lists = if data.lists.is_empty() {
        view! { <dd>{none()}</dd> }.into_any()
    } else {
        let names = data
            .lists
            .iter()
            .map(|list| match list.as_str() {
                "newsletter" => t_string!(i18n, list_newsletter).to_string(),
                "campaigns" => t_string!(i18n, list_campaigns).to_string(),
                other => other.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        view! { <dd>{names}</dd> }.into_any()
    };
    let language = match data.language.as_str() {
        "de" => "Deutsch",
        _ => "English",
    };
    view! {
        <PageTitle text=title />
        <h1>{t!(i18n, settings_title)}</h1>
        <p class="lead">{t!(i18n, settings_lead)}</p>
        <dl class="my-data">
            <dt>{t!(i18n, settings_name)}</dt>
            <dd>{data.display_name}</dd>
            <dt>{t!(i18n, settings_number)}</dt>
            <dd>{data.supporter_number.map(|n| n.to_string()).unwrap_or_else(none)}</dd>
            <dt>{t!(i18n, settings_address)}</dt>
            {address}
            <dt>{t!(i18n, settings_country)}</dt>
            <dd>{data.country.unwrap_or_else(none)}</dd>
            <dt>{t!(i18n, settings_language)}</dt>
            <dd>{language}</dd>
            <dt>{t!(i18n, settings_emails)}</dt>
            <dd><ul>{emails}</ul></dd>
            <dt>{t!(i18n, settings_lists)}</dt>
            {lists}
        </dl>
    }
    .into_any()
}
