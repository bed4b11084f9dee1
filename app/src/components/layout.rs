// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Header, navigation and footer around every page.

use crate::components::language_switcher::LanguageSwitcher;
use crate::i18n::*;
use crate::page_data::{use_page_data, use_site};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let site = use_site();
    let logged_in = use_page_data().session.me.is_some();
    // /login and /logout are server routes, not pages: plain links and forms, left to the server.
    let nav = if logged_in {
        view! {
            <li><A href="/donations">{t!(i18n, nav_donations)}</A></li>
            <li><A href="/settings">{t!(i18n, nav_settings)}</A></li>
            <li>
                <form method="post" action="/logout" class="inline">
                    <button type="submit" class="link-button">{t!(i18n, nav_logout)}</button>
                </form>
            </li>
        }
        .into_any()
    } else {
        view! {
            <li><A href="/donate">{t!(i18n, nav_donate)}</A></li>
            <li><A href="/register">{t!(i18n, nav_register)}</A></li>
            <li><a href="/login" rel="external">{t!(i18n, nav_login)}</a></li>
        }
        .into_any()
    };
    view! {
        <a class="skip-link" href="#content">{t!(i18n, skip_to_content)}</a>
        <header class="site-header">
            <A href="/" attr:class="site-name">{move || site().organisation}</A>
            <nav aria-label=move || t_string!(i18n, nav_label).to_string()>
                <ul>{nav}</ul>
            </nav>
            <LanguageSwitcher />
        </header>
        <main id="content" tabindex="-1">{children()}</main>
        <footer class="site-footer">
            <p>
                {t!(i18n, footer_licence)}
                {move || {
                    let url = site().source_url;
                    (!url.is_empty()).then(|| view! { " " <a href=url>{t!(i18n, footer_source)}</a> })
                }}
            </p>
        </footer>
    }
}
