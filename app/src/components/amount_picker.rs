// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Lets a visitor try monthly amounts and see what they add up to in a year, then go on to the
//! donate form with that amount.
//!
//! Without JavaScript it is a plain form: it asks for `/donate?amount=25&period=monthly` (a GET:
//! choosing an amount changes nothing, so nothing needs posting). The amounts are the offer's
//! presets (`[payments]`), handed in as props. Once the page is hydrated the yearly sum follows
//! the choice at once; `data-hydrated` turns "true" then, which the browser tests use as proof
//! that hydration worked.

use crate::i18n::*;
use leptos::prelude::*;

/// An island: the only part of the landing page that runs in the browser. `presets` and
/// `default_amount` are whole units of the offer's currency.
#[island]
pub fn AmountPicker(presets: Vec<i64>, default_amount: i64) -> impl IntoView {
    let i18n = use_i18n();
    let monthly = RwSignal::new(default_amount);
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, so this marks the moment the page became interactive.
    Effect::new(move |_| hydrated.set(true));
    let options = presets
        .into_iter()
        .map(|amount| {
            view! {
                <label class="amount-option">
                    <input
                        type="radio"
                        name="amount"
                        value=amount.to_string()
                        checked=amount == default_amount
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
            <form method="get" action="/donate">
                <input type="hidden" name="period" value="monthly" />
                <fieldset>
                    <legend>{t!(i18n, amount_legend)}</legend>
                    <div class="amount-options">{options}</div>
                </fieldset>
                <p>
                    <output class="amount-summary" aria-live="polite">
                        {t!(i18n, amount_summary, monthly = move || monthly.get(), yearly = move || monthly.get().saturating_mul(12))}
                    </output>
                </p>
                <button type="submit" class="button">{t!(i18n, amount_continue)}</button>
            </form>
        </section>
    }
}
