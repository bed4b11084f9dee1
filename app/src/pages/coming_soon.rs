// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/login` until its real page lands: it says so and leads back home.

use crate::components::page_title::PageTitle;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;

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
