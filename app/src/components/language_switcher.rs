// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Switches the interface language.
//!
//! The buttons post a form to `/language`, which sets the language cookie and sends the reader
//! back to the page they were on, now in the chosen language (with or without JavaScript: the
//! texts are the server's).

use crate::i18n::*;
use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_router::hooks::use_location;

#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let i18n = use_i18n();
    let location = use_location();
    let back = move || {
        format!(
            "{}{}",
            location.pathname.get(),
            location
                .search
                .get()
                .is_empty()
                .then(String::new)
                .unwrap_or_else(|| format!("?{}", location.search.get()))
        )
    };
    let buttons = Locale::get_all()
        .iter()
        .map(|&locale| {
            let code = locale.as_str();
            view! {
                <button
                    type="submit"
                    name="language"
                    value=code
                    lang=code
                    aria-pressed=(i18n.get_locale_untracked() == locale).to_string()
                >
                    {td_string!(locale, language_name)}
                </button>
            }
        })
        .collect_view();
    view! {
        <form class="language-switcher" method="post" action="/language">
            <input type="hidden" name="back" value=back />
            <fieldset>
                <legend class="visually-hidden">{t!(i18n, language_switch_label)}</legend>
                {buttons}
            </fieldset>
        </form>
    }
}
