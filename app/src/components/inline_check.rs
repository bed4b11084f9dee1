// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Inline validation: once a form is hydrated, each field is checked as the person leaves it,
//! and a field shown as wrong is checked again when they pause typing, so the message goes away
//! as soon as it is fixed.
//!
//! The check is `domain`'s own, asked of the server (`POST /api/check`): the rules need Unicode
//! normalisation, IDNA and the country list, which would multiply the size of the browser
//! bundle, and one set of rules cannot drift from another. Without JavaScript, or when the
//! check cannot be reached, the server checks the form when it is sent, as always.

use crate::forms::{FieldError, Problem, ProfileForm};
use leptos::prelude::*;

/// The fields the check knows; other inputs of a form are left alone.
#[cfg(feature = "hydrate")]
const CHECKED: [&str; 8] = ["name", "email", "country", "street", "extra", "postal_code", "city", "region"];

/// Checks the fields of a registration or profile form. `email` is `None` for forms without one.
/// Changes nothing, so it needs no session; anyone may ask.
#[server(prefix = "/api", endpoint = "check")]
pub async fn check_fields(
    profile: ProfileForm,
    email: Option<String>,
) -> Result<Vec<FieldError>, ServerFnError> {
    let mut errors = profile.check().err().unwrap_or_default();
    if let Some(email) = email
        && let Err(e) = crate::forms::check::email(&email)
    {
        errors.push(FieldError { field: "email".into(), problem: e.problem.into() });
    }
    Ok(errors)
}

/// The live problems of one form. Copy it into the fields; attach `leave` to the form's
/// `focusout` and `input` events.
#[derive(Clone, Copy)]
pub struct InlineCheck {
    problems: RwSignal<Vec<FieldError>>,
    /// Fields the person has left at least once (or that came back refused): only their
    /// problems are shown, so nobody is scolded for a field they have not reached yet.
    touched: StoredValue<Vec<String>>,
    /// Answers may arrive out of order; only the newest question's answer counts.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    asked: StoredValue<u64>,
    /// The check waiting for a pause in typing (one request per pause, not per key).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pending: StoredValue<Option<TimeoutHandle>>,
}

impl InlineCheck {
    /// Starts from the problems the server found when the form was last sent.
    pub fn new(refused: Vec<FieldError>) -> Self {
        let touched = refused.iter().map(|e| e.field.clone()).collect();
        InlineCheck {
            problems: RwSignal::new(refused),
            touched: StoredValue::new(touched),
            asked: StoredValue::new(0),
            pending: StoredValue::new(None),
        }
    }

    /// The problem shown at `field` now.
    pub fn problem(self, field: &'static str) -> Signal<Option<Problem>> {
        let problems = self.problems;
        Signal::derive(move || problems.with(|p| FieldError::find(p, field)))
    }

    /// Replaces the shown problems (a refused form came back from a server function).
    pub fn show(self, refused: Vec<FieldError>) {
        self.touched.update_value(|t| t.extend(refused.iter().map(|e| e.field.clone())));
        self.problems.set(refused);
    }

    /// The form's `focusout` (leaving a field) and `input` (typing) events.
    pub fn leave(self, event: leptos::ev::Event) {
        #[cfg(feature = "hydrate")]
        self.leave_in_browser(event);
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    }

    #[cfg(feature = "hydrate")]
    fn leave_in_browser(self, event: leptos::ev::Event) {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::HtmlInputElement;
        // Selects and text areas have `name` and `form` too; the accessors are looked up by name.
        let Some(field) = event.target().map(|t| t.unchecked_into::<HtmlInputElement>()) else {
            return;
        };
        let name = field.name();
        if !CHECKED.contains(&name.as_str()) {
            return;
        }
        let typing = event.type_() == "input";
        if typing && self.problems.with_untracked(|p| FieldError::find(p, &name).is_none()) {
            // Typing into a field that is fine: wait until it is left.
            return;
        }
        if !typing {
            self.touched.update_value(|t| {
                if !t.contains(&name) {
                    t.push(name.clone());
                }
            });
        }
        if let Some(pending) = self.pending.get_value() {
            pending.clear();
        }
        let Some(form) = field.form() else {
            return;
        };
        if typing {
            let pause = std::time::Duration::from_millis(300);
            let handle = set_timeout_with_handle(move || self.ask(&form), pause).ok();
            self.pending.set_value(handle);
        } else {
            self.ask(&form);
        }
    }

    /// Sends the form's current values to the check and shows what it finds at touched fields.
    #[cfg(feature = "hydrate")]
    fn ask(self, form: &leptos::web_sys::HtmlFormElement) {
        use leptos::web_sys::FormData;
        self.pending.set_value(None);
        let Ok(data) = FormData::new_with_form(form) else {
            return;
        };
        let value = |key: &str| data.get(key).as_string();
        let text = |key: &str| value(key).unwrap_or_default();
        self.asked.update_value(|n| *n += 1);
        let question = self.asked.get_value();
        let profile = ProfileForm {
            name: text("name"),
            country: text("country"),
            street: text("street"),
            extra: text("extra"),
            postal_code: text("postal_code"),
            city: text("city"),
            region: text("region"),
        };
        let email = value("email");
        leptos::task::spawn_local(async move {
            let Ok(found) = check_fields(profile, email).await else {
                return;
            };
            if self.asked.get_value() != question {
                return;
            }
            let touched = self.touched.get_value();
            self.problems.set(found.into_iter().filter(|e| touched.contains(&e.field)).collect());
        });
    }
}
