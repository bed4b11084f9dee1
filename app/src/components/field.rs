// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A labelled form field with its hint and error tied to the input (`aria-describedby`), so a
//! screen reader reads them with the field; the error also marks the input `aria-invalid`.

use crate::forms::Problem;
use crate::i18n::*;
use leptos::prelude::*;

/// The text of a problem in the reader's language.
pub fn problem_text(i18n: leptos_i18n::I18nContext<Locale>, problem: Problem) -> String {
    match problem {
        Problem::Empty => t_string!(i18n, error_empty).to_string(),
        Problem::TooShort => t_string!(i18n, error_too_short).to_string(),
        Problem::TooLong => t_string!(i18n, error_too_long).to_string(),
        Problem::ForbiddenCharacter => t_string!(i18n, error_forbidden_character).to_string(),
        Problem::Malformed => t_string!(i18n, error_malformed).to_string(),
        Problem::Unknown => t_string!(i18n, error_unknown).to_string(),
        Problem::Incomplete => t_string!(i18n, error_incomplete).to_string(),
    }
}

#[component]
pub fn TextField(
    /// The form name; also the id of the input.
    name: &'static str,
    #[prop(into)] label: Signal<String>,
    #[prop(into, optional)] hint: Option<Signal<String>>,
    #[prop(optional)] value: String,
    /// What is wrong with the value; follows inline validation once hydrated.
    #[prop(into, optional)]
    problem: MaybeProp<Problem>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(default = 200)] maxlength: usize,
) -> impl IntoView {
    let i18n = use_i18n();
    let hint_id = hint.map(|_| format!("{name}-hint"));
    let error_id = format!("{name}-error");
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let ids = [hint_id.clone(), problem.get().map(|_| error_id.clone())];
            let ids = ids.into_iter().flatten().collect::<Vec<_>>();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=name>{move || label.get()}</label>
            {hint.map(|hint| view! { <p class="hint" id=hint_id.clone()>{move || hint.get()}</p> })}
            {move || {
                problem.get().map(|problem| {
                    view! { <p class="field-error" id=error_id.clone()>{problem_text(i18n, problem)}</p> }
                })
            }}
            <input
                id=name
                name=name
                type=kind
                value=value
                required=required
                maxlength=maxlength
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                aria-invalid=move || problem.get().map(|_| "true")
                aria-describedby=described
            />
        </div>
    }
}
