// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/`: the public landing page of my.*.

use crate::components::amount_picker::AmountPicker;
use crate::components::page_title::PageTitle;
use crate::i18n::*;
use crate::page_data::use_site;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let site = use_site();
    let organisation = move || site().organisation;
    view! {
        <PageTitle text=move || t_string!(i18n, home_title, organisation = organisation()).to_string() />
        <Meta name="description" content=move || t_string!(i18n, home_lead, organisation = organisation()).to_string() />
        <section class="hero">
            <h1>{move || t!(i18n, home_title, organisation = organisation())}</h1>
            <p class="lead">{move || t!(i18n, home_lead, organisation = organisation())}</p>
            <p class="actions">
                <A href="/register" attr:class="button">{t!(i18n, home_register)}</A>
                <span class="login-hint">
                    {t!(i18n, home_login_hint)} " "
                    <A href="/login">{t!(i18n, home_login)}</A>
                </span>
            </p>
        </section>
        <AmountPicker />
    }
}
