// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The pages around logging in: `/login/problem` (why a login did not complete) and `/logout`
//! (confirm, and "you are logged out" when the idp sends the browser back).
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
