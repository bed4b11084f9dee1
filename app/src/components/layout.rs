// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Header, navigation and footer around every page.

use crate::components::language_switcher::LanguageSwitcher;
use crate::i18n::*;
use crate::page_data::use_site;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let site = use_site();
    view! {
        <a class="skip-link" href="#content">{t!(i18n, skip_to_content)}</a>
        <header class="site-header">
            <A href="/" attr:class="site-name">{move || site().organisation}</A>
            <nav aria-label=move || t_string!(i18n, nav_label).to_string()>
                <ul>
                    <li><A href="/register">{t!(i18n, nav_register)}</A></li>
                    <li><A href="/login">{t!(i18n, nav_login)}</A></li>
                </ul>
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
