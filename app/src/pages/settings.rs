// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/settings`: the logged-in person's data, and the forms that change it.
//!
//! Each form is an `ActionForm` calling a server function. With JavaScript, the page updates in
//! place from what the function returns. Without, the browser posts the form, the server sends
//! it back to `/settings` (an error travels in that address and the action shows it; a success
//! leaves a notice in the session) and the page shows the stored data again.
//!
//! Every server function finds the person from the session itself: a server function is a
//! public HTTP endpoint, and nothing the browser sends says whose data to change.

use crate::components::address_fields::AddressFields;
use crate::components::field::TextField;
use crate::components::page_title::PageTitle;
use crate::forms::{FieldError, MyData, SettingsError, SettingsNotice};
use crate::i18n::*;
use crate::page_data::use_page_data;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[cfg(feature = "ssr")]
mod server {
    use crate::forms::{MyData, SettingsError, SettingsNotice};
    use crate::ssr::{AppState, logged_in_person, my_data, session_keys, state};
    use domain::types::PersonId;

    pub const SOURCE: &str = "settings";

    /// The person, or why not.
    pub async fn person() -> Result<PersonId, SettingsError> {
        logged_in_person().await.ok_or(SettingsError::NotLoggedIn)
    }

    pub fn failed(error: impl std::fmt::Debug) -> SettingsError {
        tracing::error!(?error, "settings change failed");
        SettingsError::Failed
    }

    /// A transaction for a change, and the state to finish it with.
    pub async fn begin() -> Result<(AppState, sqlx::Transaction<'static, sqlx::Postgres>), SettingsError> {
        let state = state().ok_or(SettingsError::Failed)?;
        let tx = state.pool.begin().await.map_err(failed)?;
        Ok((state, tx))
    }

    /// Commits and returns the data as stored now.
    pub async fn finish(
        state: &AppState,
        tx: sqlx::Transaction<'static, sqlx::Postgres>,
        person: PersonId,
    ) -> Result<MyData, SettingsError> {
        tx.commit().await.map_err(failed)?;
        my_data(&state.pool, person).await.map_err(failed)?.ok_or(SettingsError::NotLoggedIn)
    }

    /// Without JavaScript the browser only sees a redirect: the notice waits in the session for
    /// the page it lands on. With JavaScript the page shows the function's result instead.
    pub async fn notice_for_plain_forms(notice: SettingsNotice) {
        let plain_form = leptos_axum::extract::<http::HeaderMap>()
            .await
            .ok()
            .and_then(|h| {
                h.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html"))
            })
            .unwrap_or(false);
        if !plain_form {
            return;
        }
        if let Ok(session) = leptos_axum::extract::<tower_sessions::Session>().await
            && let Err(error) = session.insert(session_keys::SETTINGS_NOTICE, notice).await
        {
            tracing::warn!(%error, "could not keep the settings notice");
        }
    }
}

/// Longest a field is kept when a refused form comes back (in the address, without JavaScript).
#[cfg(feature = "ssr")]
const KEEP_CHARS: usize = 300;

#[cfg(feature = "ssr")]
use domain::audit::{Actor, Origin};

#[server(prefix = "/api", endpoint = "settings/profile")]
pub async fn update_profile(
    name: String,
    country: String,
    street: String,
    extra: String,
    postal_code: String,
    city: String,
    region: String,
) -> Result<MyData, SettingsError> {
    let person = server::person().await?;
    let form = crate::forms::ProfileForm { name, country, street, extra, postal_code, city, region };
    let profile =
        form.check().map_err(|errors| SettingsError::Refused { form: form.cut(KEEP_CHARS), errors })?;
    let actor = Actor::Person(person);
    let (state, mut tx) = server::begin().await?;
    domain::person::update_profile(
        &mut tx,
        Origin { actor: &actor, source: server::SOURCE },
        person,
        &profile,
    )
    .await
    .map_err(server::failed)?;
    let data = server::finish(&state, tx, person).await?;
    server::notice_for_plain_forms(SettingsNotice::Saved).await;
    Ok(data)
}

#[server(prefix = "/api", endpoint = "settings/language")]
pub async fn update_language(language: String) -> Result<MyData, SettingsError> {
    let person = server::person().await?;
    let language = domain::types::Language::try_from(language.as_str()).map_err(|_| SettingsError::Failed)?;
    let actor = Actor::Person(person);
    let (state, mut tx) = server::begin().await?;
    domain::person::set_language(&mut tx, Origin { actor: &actor, source: server::SOURCE }, person, language)
        .await
        .map_err(server::failed)?;
    let data = server::finish(&state, tx, person).await?;
    // The pages follow the new language too (the cookie leptos_i18n reads).
    {
        let cookie = format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax{}",
            crate::app::LANGUAGE_COOKIE,
            language.code(),
            if state.secure_cookies { "; Secure" } else { "" }
        );
        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
            expect_context::<leptos_axum::ResponseOptions>().append_header(http::header::SET_COOKIE, value);
        }
    }
    server::notice_for_plain_forms(SettingsNotice::Saved).await;
    Ok(data)
}

#[server(prefix = "/api", endpoint = "settings/lists")]
pub async fn update_lists(
    newsletter: Option<String>,
    campaigns: Option<String>,
) -> Result<MyData, SettingsError> {
    use domain::consent::InfoList;
    let person = server::person().await?;
    let wanted: Vec<InfoList> = [(InfoList::Newsletter, newsletter), (InfoList::Campaigns, campaigns)]
        .into_iter()
        .filter_map(|(list, ticked)| ticked.map(|_| list))
        .collect();
    let actor = Actor::Person(person);
    let (state, mut tx) = server::begin().await?;
    domain::consent::set_all(&mut tx, Origin { actor: &actor, source: server::SOURCE }, person, &wanted)
        .await
        .map_err(server::failed)?;
    let data = server::finish(&state, tx, person).await?;
    server::notice_for_plain_forms(SettingsNotice::Saved).await;
    Ok(data)
}

#[server(prefix = "/api", endpoint = "settings/email")]
pub async fn add_email(email: String) -> Result<SettingsNotice, SettingsError> {
    let person = server::person().await?;
    let address = crate::forms::check::email(&email).map_err(|e| SettingsError::BadEmail {
        typed: email.chars().take(KEEP_CHARS).collect(),
        problem: e.problem.into(),
    })?;
    let state = crate::ssr::state().ok_or(SettingsError::Failed)?;
    let mails = crate::mails::Writer {
        organisation: state.site.organisation.clone(),
        origin: state.public_origin.clone(),
    };
    let writer =
        |language, name: &str, token: &secrecy::SecretString| mails.new_address(language, name, token);
    domain::registration::request_email(&state.pool, person, &address, writer)
        .await
        .map_err(server::failed)?;
    let notice = SettingsNotice::EmailLinkSent { address: address.as_str().to_owned() };
    server::notice_for_plain_forms(notice.clone()).await;
    Ok(notice)
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let title = move || t_string!(i18n, settings_title).to_string();
    let page = use_page_data();
    let Some(initial) = page.my_data else {
        // Only reached if the server could not load the data; it logs why.
        return view! {
            <PageTitle text=title />
            <h1>{t!(i18n, settings_title)}</h1>
            <p role="alert">{t!(i18n, error_generic)}</p>
        }
        .into_any();
    };
    let data = RwSignal::new(initial);
    let notice = RwSignal::new(page.session.settings_notice);

    let profile = ServerAction::<UpdateProfile>::new();
    let language = ServerAction::<UpdateLanguage>::new();
    let lists = ServerAction::<UpdateLists>::new();
    let email = ServerAction::<AddEmail>::new();
    // With JavaScript: show what the server stored, and say so.
    for action in [profile.value(), language.value(), lists.value()] {
        Effect::new(move |_| {
            if let Some(Ok(fresh)) = action.get() {
                data.set(fresh);
                notice.set(Some(SettingsNotice::Saved));
            }
        });
    }
    Effect::new(move |_| {
        if let Some(Ok(sent)) = email.value().get() {
            notice.set(Some(sent));
        }
    });
    Effect::new(move |_| {
        if language.value().get().is_some_and(|r| r.is_ok()) {
            match data.get_untracked().language.as_str() {
                "de" => i18n.set_locale(Locale::de),
                _ => i18n.set_locale(Locale::en),
            }
        }
    });

    view! {
        <PageTitle text=title />
        <h1>{t!(i18n, settings_title)}</h1>
        <p class="lead">{t!(i18n, settings_lead)}</p>
        <div aria-live="polite">
            {move || notice.get().map(|n| {
                let text = match n {
                    SettingsNotice::Saved => t_string!(i18n, settings_saved).to_string(),
                    SettingsNotice::EmailLinkSent { address } => {
                        t_string!(i18n, settings_email_sent, address = address).to_string()
                    }
                };
                view! { <p class="notice" role="status">{text}</p> }
            })}
        </div>
        <Summary data />
        <ProfileSection data action=profile />
        <LanguageSection data action=language />
        <ListsSection data action=lists />
        <EmailSection action=email />
    }
    .into_any()
}

/// The error of an action, as a translated sentence (field errors are shown at the fields).
fn general_error(i18n: leptos_i18n::I18nContext<Locale>, error: &SettingsError) -> Option<String> {
    match error {
        SettingsError::NotLoggedIn => Some(t_string!(i18n, settings_logged_out).to_string()),
        SettingsError::Failed => Some(t_string!(i18n, error_generic).to_string()),
        SettingsError::Refused { .. } => Some(t_string!(i18n, form_errors_heading).to_string()),
        SettingsError::BadEmail { .. } => None,
    }
}

/// The error banner of one form.
#[component]
fn ActionError(error: impl Fn() -> Option<SettingsError> + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        error()
            .and_then(|e| general_error(i18n, &e))
            .map(|text| view! { <p class="error-summary" role="alert">{text}</p> })
    }
}

fn error_of<S>(action: ServerAction<S>) -> impl Fn() -> Option<SettingsError> + Copy
where
    S: ServerFn<Error = SettingsError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || action.value().get().and_then(|r| r.err())
}

#[component]
fn Summary(data: RwSignal<MyData>) -> impl IntoView {
    let i18n = use_i18n();
    let none = move || t_string!(i18n, settings_none).to_string();
    view! {
        <dl class="my-data">
            <dt>{t!(i18n, settings_number)}</dt>
            <dd>{move || data.with(|d| d.supporter_number.map(|n| n.to_string())).unwrap_or_else(none)}</dd>
            <dt>{t!(i18n, settings_emails)}</dt>
            <dd>
                <ul>
                    {move || data.with(|d| d.emails.clone()).into_iter().map(|email| view! {
                        <li>
                            {email.address}
                            {email.primary.then(|| view! { " (" {t!(i18n, settings_primary)} ")" })}
                            {(!email.verified).then(|| view! { " (" {t!(i18n, settings_unverified)} ")" })}
                        </li>
                    }).collect_view()}
                </ul>
            </dd>
        </dl>
    }
}

#[component]
fn ProfileSection(data: RwSignal<MyData>, action: ServerAction<UpdateProfile>) -> impl IntoView {
    let i18n = use_i18n();
    let error = error_of(action);
    // After a refusal the form shows what was typed; otherwise what is stored.
    let shown = move || match error() {
        Some(SettingsError::Refused { form, errors }) => (form, errors),
        _ => (data.get().profile, Vec::new()),
    };
    view! {
        <section aria-labelledby="profile-heading" class="settings-section">
            <h2 id="profile-heading">{t!(i18n, settings_profile_heading)}</h2>
            <ActionError error />
            <ActionForm action attr:class="form">
                {move || {
                    let (form, errors) = shown();
                    let problem = |field: &str| FieldError::find(&errors, field);
                    view! {
                        <TextField name="name" label=Signal::derive(move || t_string!(i18n, register_name).to_string())
                            value=form.name.clone() problem=problem("name") required=true autocomplete="name" />
                        <TextField name="country" label=Signal::derive(move || t_string!(i18n, register_country).to_string())
                            hint=Signal::derive(move || t_string!(i18n, register_country_hint).to_string())
                            value=form.country.clone() problem=problem("country") autocomplete="country" maxlength=2 />
                        <AddressFields form=form.clone() errors=errors.clone() />
                    }
                }}
                <button type="submit" class="button">{t!(i18n, settings_save)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn LanguageSection(data: RwSignal<MyData>, action: ServerAction<UpdateLanguage>) -> impl IntoView {
    let i18n = use_i18n();
    let error = error_of(action);
    view! {
        <section aria-labelledby="language-heading" class="settings-section">
            <h2 id="language-heading">{t!(i18n, register_language)}</h2>
            <ActionError error />
            <ActionForm action attr:class="form">
                <div class="field">
                    <label for="language">{t!(i18n, settings_language)}</label>
                    <select id="language" name="language">
                        <option value="en" selected=move || data.with(|d| d.language == "en")>"English"</option>
                        <option value="de" selected=move || data.with(|d| d.language == "de")>"Deutsch"</option>
                    </select>
                </div>
                <button type="submit" class="button">{t!(i18n, settings_save)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn ListsSection(data: RwSignal<MyData>, action: ServerAction<UpdateLists>) -> impl IntoView {
    let i18n = use_i18n();
    let error = error_of(action);
    let ticked = move |list: &'static str| move || data.with(|d| d.lists.iter().any(|l| l == list));
    view! {
        <section aria-labelledby="lists-heading" class="settings-section">
            <h2 id="lists-heading">{t!(i18n, register_lists_legend)}</h2>
            <ActionError error />
            <ActionForm action attr:class="form">
                <div class="check">
                    <input type="checkbox" id="settings-newsletter" name="newsletter" value="on" checked=ticked("newsletter") />
                    <label for="settings-newsletter">
                        <strong>{t!(i18n, list_newsletter)}</strong>
                        <span class="hint">{t!(i18n, list_newsletter_text)}</span>
                    </label>
                </div>
                <div class="check">
                    <input type="checkbox" id="settings-campaigns" name="campaigns" value="on" checked=ticked("campaigns") />
                    <label for="settings-campaigns">
                        <strong>{t!(i18n, list_campaigns)}</strong>
                        <span class="hint">{t!(i18n, list_campaigns_text)}</span>
                    </label>
                </div>
                <button type="submit" class="button">{t!(i18n, settings_save)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn EmailSection(action: ServerAction<AddEmail>) -> impl IntoView {
    let i18n = use_i18n();
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <section aria-labelledby="email-heading" class="settings-section">
            <h2 id="email-heading">{t!(i18n, settings_add_email)}</h2>
            <p class="hint">{t!(i18n, settings_add_email_hint)}</p>
            <ActionError error />
            <ActionForm action attr:class="form">
                {move || {
                    let (typed, problem) = match error() {
                        Some(SettingsError::BadEmail { typed, problem }) => (typed, Some(problem)),
                        _ => (String::new(), None),
                    };
                    view! {
                        <TextField name="email" kind="email" label=Signal::derive(move || t_string!(i18n, register_email).to_string())
                            value=typed problem=problem required=true autocomplete="email" maxlength=254 />
                    }
                }}
                <button type="submit" class="button">{t!(i18n, settings_add_email_submit)}</button>
            </ActionForm>
        </section>
    }
}
