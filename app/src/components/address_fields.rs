// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The optional postal address as a group of fields, the same on the registration and the
//! settings page (the form names are `domain`'s: `street`, `extra`, `postal_code`, `city`,
//! `region`).

use crate::components::field::TextField;
use crate::components::inline_check::InlineCheck;
use crate::forms::ProfileForm;
use crate::i18n::*;
use leptos::prelude::*;

#[component]
pub fn AddressFields(form: ProfileForm, check: InlineCheck) -> impl IntoView {
    let i18n = use_i18n();
    let problem = |field: &'static str| check.problem(field);
    view! {
        <fieldset class="group">
            <legend>{t!(i18n, register_address_legend)}</legend>
            <p class="hint">{t!(i18n, register_address_hint)}</p>
            <TextField
                name="street"
                label=Signal::derive(move || t_string!(i18n, register_street).to_string())
                value=form.street
                problem=problem("street")
                autocomplete="address-line1"
            />
            <TextField
                name="extra"
                label=Signal::derive(move || t_string!(i18n, register_extra).to_string())
                value=form.extra
                problem=problem("extra")
                autocomplete="address-line2"
            />
            <TextField
                name="postal_code"
                label=Signal::derive(move || t_string!(i18n, register_postal_code).to_string())
                value=form.postal_code
                problem=problem("postal_code")
                autocomplete="postal-code"
                maxlength=20
            />
            <TextField
                name="city"
                label=Signal::derive(move || t_string!(i18n, register_city).to_string())
                value=form.city
                problem=problem("city")
                autocomplete="address-level2"
                maxlength=100
            />
            <TextField
                name="region"
                label=Signal::derive(move || t_string!(i18n, register_region).to_string())
                value=form.region
                problem=problem("region")
                autocomplete="address-level1"
                maxlength=100
            />
        </fieldset>
    }
}
