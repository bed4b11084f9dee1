// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Lets a visitor try monthly amounts and see what they add up to in a year.
//!
//! Without JavaScript it is a plain form: `POST /amount` keeps the amount in the session and
//! redirects to `/register`. Once the
//! page is hydrated the yearly sum follows the choice at once; `data-hydrated` turns "true" then,
//! which the browser tests use as proof that hydration worked.

use crate::amount::{AMOUNTS, DEFAULT_AMOUNT};
use crate::i18n::*;
use leptos::prelude::*;

/// An island: the only part of the landing page that runs in the browser.
#[island]
pub fn AmountPicker() -> impl IntoView {
    let i18n = use_i18n();
    let monthly = RwSignal::new(DEFAULT_AMOUNT);
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, so this marks the moment the page became interactive.
    Effect::new(move |_| hydrated.set(true));
    let options = AMOUNTS
        .into_iter()
        .map(|amount| {
            view! {
                <label class="amount-option">
                    <input
                        type="radio"
                        name="amount"
                        value=amount.to_string()
                        checked=amount == DEFAULT_AMOUNT
                        on:change=move |_| monthly.set(amount)
                    />
                    <span>{t!(i18n, amount_option, amount = move || amount)}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <section
            class="amount-picker"
            aria-labelledby="amount-heading"
            data-hydrated=move || hydrated.get().to_string()
        >
            <h2 id="amount-heading">{t!(i18n, amount_heading)}</h2>
            <form method="post" action="/amount">
                <fieldset>
                    <legend>{t!(i18n, amount_legend)}</legend>
                    <div class="amount-options">{options}</div>
                </fieldset>
                <p>
                    <output class="amount-summary" aria-live="polite">
                        {t!(i18n, amount_summary, monthly = move || monthly.get(), yearly = move || monthly.get() * 12)}
                    </output>
                </p>
                <button type="submit" class="button">{t!(i18n, amount_continue)}</button>
            </form>
        </section>
    }
}
