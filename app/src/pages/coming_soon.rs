// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/register` and `/login` until their real pages land: they say so, show the amount a visitor
//! chose (kept in their session), and lead back home.

use crate::components::page_title::PageTitle;
use crate::i18n::*;
use crate::page_data::use_page_data;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let i18n = use_i18n();
    let chosen = use_page_data().session.chosen_amount;
    view! {
        <PageTitle text=move || t_string!(i18n, register_title).to_string() />
        <h1>{t!(i18n, register_title)}</h1>
        {chosen.map(|amount| view! { <p class="notice">{t!(i18n, chosen_amount, amount = move || amount)}</p> })}
        <p>{t!(i18n, coming_soon)}</p>
        <p><A href="/">{t!(i18n, back_home)}</A></p>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, login_title).to_string() />
        <h1>{t!(i18n, login_title)}</h1>
        <p>{t!(i18n, coming_soon)}</p>
        <p><A href="/">{t!(i18n, back_home)}</A></p>
    }
}
