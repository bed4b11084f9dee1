// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The amount and period of the donate form, as an island inside the page's plain form.
//!
//! Without JavaScript these are ordinary inputs: preset radios (`amount`), an own-amount field
//! (`custom_amount`, which wins when filled) and period radios (`period`); the server checks
//! them (`domain::payment::Offer::check`). Once hydrated, choosing a preset empties the own
//! amount, typing an own amount clears the preset, and a line says what the choice adds up to
//! in a year. The browser only prints amounts: every rule stays on the server.
//! `data-hydrated` turns "true" once the island runs (the browser tests wait for it).

use crate::amount::{self, format};
use crate::forms::{AmountView, GiftProblem, OfferView};
use crate::i18n::*;
use leptos::prelude::*;

/// The text of a donate-form problem in the reader's language (`offer` gives the limits).
pub fn gift_problem_text(
    i18n: leptos_i18n::I18nContext<Locale>,
    problem: GiftProblem,
    offer: &OfferView,
) -> String {
    let locale = i18n.get_locale_untracked();
    let limit = |minor| format(AmountView { minor, ..amount::whole(offer, 0) }, locale);
    match problem {
        GiftProblem::Empty => t_string!(i18n, donate_error_empty).to_string(),
        GiftProblem::Malformed => t_string!(i18n, donate_error_malformed).to_string(),
        GiftProblem::TooPrecise => t_string!(i18n, donate_error_too_precise).to_string(),
        GiftProblem::TooSmall => {
            let minimum = limit(offer.minimum_minor);
            t_string!(i18n, donate_error_too_small, minimum = minimum).to_string()
        }
        GiftProblem::TooLarge => {
            let maximum = limit(offer.maximum_minor);
            t_string!(i18n, donate_error_too_large, maximum = maximum).to_string()
        }
        GiftProblem::Unknown => t_string!(i18n, donate_error_unknown).to_string(),
        GiftProblem::Other(problem) => crate::components::field::problem_text(i18n, problem),
    }
}

/// Minor units of an own amount as typed, for the summary line only (`None` if it is not a
/// plain amount; the server says why when the form is sent).
fn typed_minor(offer: &OfferView, raw: &str) -> Option<i64> {
    let plain = amount::prefill(offer, raw)?;
    let (whole, fraction) = plain.split_once('.').unwrap_or((&plain, ""));
    let whole: i64 = whole.parse().ok()?;
    let exponent = usize::from(offer.exponent);
    let fraction: i64 = format!("{fraction:0<exponent$}").parse().unwrap_or(0);
    whole.checked_mul(10_i64.pow(u32::from(offer.exponent)))?.checked_add(fraction)
}

#[island]
pub fn GiftPicker(
    offer: OfferView,
    /// The preset chosen (whole units, as text), or empty.
    amount: String,
    /// The own amount as typed.
    custom_amount: String,
    /// `once`, `monthly` or `yearly`.
    period: String,
    amount_problem: Option<GiftProblem>,
    period_problem: Option<GiftProblem>,
) -> impl IntoView {
    let i18n = use_i18n();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let preset = RwSignal::new(amount);
    let custom = RwSignal::new(custom_amount.clone());
    let period = RwSignal::new(period);
    let offer = StoredValue::new(offer);

    let presets = offer
        .get_value()
        .presets
        .into_iter()
        .map(|units| {
            let value = units.to_string();
            let id = format!("amount-{units}");
            let label_for = id.clone();
            let label = move || format(amount::whole(&offer.get_value(), units), i18n.get_locale());
            let checked = {
                let value = value.clone();
                move || custom.with(|c| c.trim().is_empty()) && preset.with(|p| *p == value)
            };
            let chosen = value.clone();
            view! {
                <label class="amount-option" for=label_for>
                    <input
                        type="radio"
                        id=id
                        name="amount"
                        value=value
                        prop:checked=checked.clone()
                        checked=checked
                        on:change=move |_| {
                            preset.set(chosen.clone());
                            custom.set(String::new());
                        }
                    />
                    <span>{label}</span>
                </label>
            }
        })
        .collect_view();

    let periods = ["once", "monthly", "yearly"]
        .into_iter()
        .map(|value| {
            let id = format!("period-{value}");
            let label_for = id.clone();
            let label = move || match value {
                "once" => t_string!(i18n, period_once).to_string(),
                "monthly" => t_string!(i18n, period_monthly).to_string(),
                _ => t_string!(i18n, period_yearly).to_string(),
            };
            let checked = move || period.with(|p| p == value);
            view! {
                <label class="period-option" for=label_for>
                    <input
                        type="radio"
                        id=id
                        name="period"
                        value=value
                        checked=checked
                        prop:checked=checked
                        on:change=move |_| period.set(value.to_owned())
                    />
                    <span>{label}</span>
                </label>
            }
        })
        .collect_view();

    // What the choice adds up to; empty while the own amount is not a plain amount.
    let summary = move || {
        let offer = offer.get_value();
        let minor = custom.with(|c| {
            if c.trim().is_empty() {
                preset.with(|p| p.parse::<i64>().ok()).map(|units| amount::whole(&offer, units).minor)
            } else {
                typed_minor(&offer, c)
            }
        })?;
        let locale = i18n.get_locale();
        let each = format(AmountView { minor, ..amount::whole(&offer, 0) }, locale);
        let text = match period.get().as_str() {
            "monthly" => {
                let yearly = format(
                    AmountView { minor: minor.saturating_mul(12), ..amount::whole(&offer, 0) },
                    locale,
                );
                t_string!(i18n, donate_summary_monthly, amount = each, yearly = yearly).to_string()
            }
            "yearly" => t_string!(i18n, donate_summary_yearly, amount = each).to_string(),
            _ => t_string!(i18n, donate_summary_once, amount = each).to_string(),
        };
        Some(text)
    };

    let amount_error = amount_problem.map(|p| {
        let text = gift_problem_text(i18n, p, &offer.get_value());
        view! { <p class="field-error" id="amount-error">{text}</p> }
    });
    let period_error = period_problem.map(|p| {
        let text = gift_problem_text(i18n, p, &offer.get_value());
        view! { <p class="field-error" id="period-error">{text}</p> }
    });
    let amount_invalid = amount_problem.map(|_| "true");
    let described = amount_problem.map(|_| "custom_amount-hint amount-error").unwrap_or("custom_amount-hint");
    view! {
        <div class="gift-picker" data-hydrated=move || hydrated.get().to_string()>
            <fieldset class="group" id="amount" aria-invalid=amount_invalid>
                <legend>{t!(i18n, donate_amount_legend)}</legend>
                {amount_error}
                <div class="amount-options">{presets}</div>
                <div class="field">
                    <label for="custom_amount">{t!(i18n, donate_custom_amount)}</label>
                    <p class="hint" id="custom_amount-hint">{t!(i18n, donate_custom_amount_hint)}</p>
                    <input
                        id="custom_amount"
                        name="custom_amount"
                        type="text"
                        inputmode="decimal"
                        autocomplete="off"
                        maxlength=20
                        value=custom_amount
                        prop:value=move || custom.get()
                        aria-invalid=amount_invalid
                        aria-describedby=described
                        on:input=move |e| custom.set(event_target_value(&e))
                    />
                </div>
            </fieldset>
            <fieldset class="group" id="period" aria-invalid=period_problem.map(|_| "true")>
                <legend>{t!(i18n, donate_period_legend)}</legend>
                {period_error}
                <div class="period-options">{periods}</div>
            </fieldset>
            <p>
                <output class="gift-summary" aria-live="polite">{summary}</output>
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_amounts_are_read_for_the_summary_only_when_plain() {
        let offer = OfferView::default();
        assert_eq!(typed_minor(&offer, "12.5"), Some(1250));
        assert_eq!(typed_minor(&offer, "12,05"), Some(1205));
        assert_eq!(typed_minor(&offer, "7"), Some(700));
        for odd in ["", "x", "1.234", "-1"] {
            assert_eq!(typed_minor(&offer, odd), None, "{odd}");
        }
    }
}
