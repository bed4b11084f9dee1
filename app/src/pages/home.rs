// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/`: the public landing page of my.* (its amount picker leads to `/donate`), and for a
//! logged-in person a small dashboard with links to their settings and donations.

use crate::components::amount_picker::AmountPicker;
use crate::components::page_title::PageTitle;
use crate::i18n::*;
use crate::page_data::{use_page_data, use_site};
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let site = use_site();
    let organisation = move || site().organisation;
    let data = use_page_data();
    if let Some(me) = data.session.me {
        return view! { <Dashboard me /> }.into_any();
    }
    let (presets, default_amount) = (data.offer.presets, data.offer.default_amount);
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
                    <a href="/login" rel="external">{t!(i18n, home_login)}</a>
                </span>
            </p>
        </section>
        <AmountPicker presets default_amount />
    }
    .into_any()
}

/// `/` for a logged-in person.
#[component]
fn Dashboard(me: crate::forms::Me) -> impl IntoView {
    let i18n = use_i18n();
    let name = me.display_name.clone();
    let title_name = me.display_name.clone();
    view! {
        <PageTitle text=move || t_string!(i18n, home_welcome, name = title_name.clone()).to_string() />
        <h1>{t!(i18n, home_welcome, name = move || name.clone())}</h1>
        {match me.supporter_number {
            Some(number) => view! { <p>{t!(i18n, home_number, number = move || number)}</p> }.into_any(),
            None => view! { <p>{t!(i18n, home_no_number)}</p> }.into_any(),
        }}
        <p class="actions">
            <A href="/settings" attr:class="button">{t!(i18n, nav_settings)}</A>
            <A href="/donations">{t!(i18n, nav_donations)}</A>
            <A href="/donate">{t!(i18n, home_donate)}</A>
        </p>
    }
}
