// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The checkboxes of the information-email lists, as the registration form and the settings
//! offer them: one per list, with its name and description in the page's language. The lists
//! are rows (`domain::mailing::list`), so their texts come with them ([`ListView`]) rather than
//! from the locale files.

use crate::forms::ListView;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_i18n::Locale as _;

/// The language code of the page being rendered (`en`, `de`), for picking a list's texts.
pub fn page_language() -> &'static str {
    use_i18n().get_locale_untracked().as_str()
}

/// One checkbox per list. `name` is the form field (the registration form posts `lists`, a
/// server function `lists[]`, which serde_qs reads as a sequence); `prefix` keeps the ids of
/// two forms on one page apart; `ticked` says which keys are ticked.
#[component]
pub fn ListChecks(
    lists: Vec<ListView>,
    name: &'static str,
    prefix: &'static str,
    ticked: impl Fn(&str) -> bool + Send + Sync + 'static,
) -> impl IntoView {
    let language = page_language();
    lists
        .into_iter()
        .map(|list| {
            let (label, text) = list.text(language);
            let id = format!("{prefix}-{}", list.key);
            let checked = ticked(&list.key);
            view! {
                <div class="check">
                    <input type="checkbox" id=id.clone() name=name value=list.key checked=checked />
                    <label for=id>
                        <strong>{label}</strong>
                        <span class="hint">{text}</span>
                    </label>
                </div>
            }
        })
        .collect_view()
}
