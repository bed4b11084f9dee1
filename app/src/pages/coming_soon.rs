// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/register` and `/login` until their real pages land: they say so, remember the amount a
//! visitor chose (in their session), and lead back home.

use crate::amount::{from_query, remember_amount};
use crate::components::page_title::PageTitle;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let remembered = Resource::new_blocking(
        move || query.with(|q| from_query(q.get("amount").as_deref())),
        remember_amount,
    );
    let amount = move || remembered.get().and_then(Result::ok).flatten();
    view! {
        <PageTitle text=move || t_string!(i18n, register_title).to_string() />
        <h1>{t!(i18n, register_title)}</h1>
        <Suspense>
            {move || amount().map(|amount| view! { <p class="notice">{t!(i18n, chosen_amount, amount = move || amount)}</p> })}
        </Suspense>
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
