// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/settings`: the logged-in person's data, and the forms that change it.
//!
//! The page is rendered on the server; each section that changes something is an island (the
//! only parts of the page compiled to WebAssembly). Each form is an `ActionForm` calling a
//! server function. With JavaScript, its section updates in place from what the function
//! returns. Without, the browser posts the form, the server sends it back to `/settings` (an
//! error travels in that address and the action shows it; a success leaves a notice in the
//! session) and the page shows the stored data again. The language form is plain in both
//! cases: a new language means every text of the page changes, which the server renders.
//!
//! Every server function finds the person from the session itself: a server function is a
//! public HTTP endpoint, and nothing the browser sends says whose data to change.

use crate::components::address_fields::AddressFields;
use crate::components::field::TextField;
use crate::components::inline_check::InlineCheck;
use crate::components::list_choice::{ListChecks, page_language};
use crate::components::page_title::PageTitle;
use crate::forms::{
    EmailView, FieldError, ListView, ListsSaved, MyData, ProfileForm, SettingsError, SettingsNotice,
};
use crate::i18n::*;
use crate::page_data::use_page_data;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[cfg(feature = "ssr")]
mod server {
    use crate::forms::{MyData, SettingsError, SettingsNotice};
    use crate::refusal::Refusal;
    use crate::ssr::{AppState, logged_in_person, my_data, session_keys, state};
    use domain::types::PersonId;

    pub const SOURCE: &str = "settings";

    /// Where the request comes from (`hosting::client_address`, set by the server's middleware).
    pub async fn client_address() -> std::net::IpAddr {
        leptos::prelude::use_context::<http::request::Parts>()
            .map(|parts| hosting::client_address::ClientAddress::of(&parts.extensions))
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    /// The person, or why not.
    pub async fn person() -> Result<PersonId, SettingsError> {
        logged_in_person().await.ok_or(SettingsError::NotLoggedIn)
    }

    /// A domain or database error, logged with its causes; the answer says only its kind (the
    /// database being down is a 503, not a 500).
    pub fn failed(error: impl Into<domain::DomainError>) -> SettingsError {
        let error = error.into();
        match Refusal::of_domain(&error) {
            Refusal::Unavailable => {
                tracing::warn!(?error, "settings change impossible now");
                SettingsError::Unavailable
            }
            _ => {
                tracing::error!(?error, "settings change failed");
                SettingsError::Failed
            }
        }
    }

    /// Every server function's result goes out through here: an error gets the status of its
    /// kind (`refusal.rs`), not server_fn's 500 for every `Err`.
    // The server functions' own result type, passed through unchanged.
    #[allow(clippy::result_large_err)]
    pub fn answered<T>(result: Result<T, SettingsError>) -> Result<T, SettingsError> {
        if let Err(error) = &result {
            crate::refusal::ssr::set_server_fn_status(error.refusal());
        }
        result
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
    server::answered(
        async move {
            let person = server::person().await?;
            let form = crate::forms::ProfileForm { name, country, street, extra, postal_code, city, region };
            let profile = form
                .check()
                .map_err(|errors| SettingsError::Refused { form: form.cut(KEEP_CHARS), errors })?;
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
        .await,
    )
}

#[server(prefix = "/api", endpoint = "settings/language")]
pub async fn update_language(language: String) -> Result<MyData, SettingsError> {
    server::answered(
        async move {
            let person = server::person().await?;
            let language = domain::types::Language::try_from(language.as_str())
                .map_err(|_| SettingsError::BadRequest)?;
            let actor = Actor::Person(person);
            let (state, mut tx) = server::begin().await?;
            domain::person::set_language(
                &mut tx,
                Origin { actor: &actor, source: server::SOURCE },
                person,
                language,
            )
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
                    expect_context::<leptos_axum::ResponseOptions>()
                        .append_header(http::header::SET_COOKIE, value);
                }
            }
            server::notice_for_plain_forms(SettingsNotice::Saved).await;
            Ok(data)
        }
        .await,
    )
}

/// Ticking a double opt-in list mails a link to confirm it (joined when it is followed);
/// every other change is made at once. The boxes are named `lists[]`, so that serde_qs reads
/// repeated values as one sequence; no box ticked sends no field at all.
#[server(prefix = "/api", endpoint = "settings/lists")]
pub async fn update_lists(lists: Option<Vec<String>>) -> Result<ListsSaved, SettingsError> {
    server::answered(
        async move {
            let person = server::person().await?;
            let state = crate::ssr::state().ok_or(SettingsError::Failed)?;
            let offered = crate::ssr::lists::offered_to(&state.pool, person).await.map_err(server::failed)?;
            let mut wanted = Vec::new();
            for key in lists.unwrap_or_default().iter().take(100) {
                let key = domain::consent::ListKey::parse(key)
                    .filter(|key| offered.iter().any(|list| &list.key == key))
                    .ok_or(SettingsError::BadRequest)?;
                if !wanted.contains(&key) {
                    wanted.push(key);
                }
            }
            // A save that mails confirmation links counts like an address mail, so a script
            // cannot fill the person's mailbox by saving again and again.
            let subscribed =
                domain::consent::subscribed(&state.pool, person).await.map_err(server::failed)?;
            let mails = offered
                .iter()
                .any(|l| l.double_opt_in && wanted.contains(&l.key) && !subscribed.contains(&l.key));
            if mails {
                let attempt = domain::throttle::Attempt::keyed(
                    "confirm-list",
                    &person.to_string(),
                    server::client_address().await,
                );
                if !domain::throttle::take(&state.pool, &attempt, domain::throttle::Limits::LINKS)
                    .await
                    .map_err(server::failed)?
                {
                    tracing::info!("list confirmation mails throttled");
                    return Err(SettingsError::Throttled);
                }
            }
            let writer = crate::mails::Writer {
                organisation: state.site.organisation.clone(),
                origin: state.public_origin.clone(),
            };
            let write = |language, name: &str, list: &str, token: &secrecy::SecretString| {
                crate::mails::confirm_subscription(&writer, language, name, list, token)
            };
            let actor = Actor::Person(person);
            let waiting = domain::registration::choose_lists(
                &state.pool,
                Origin { actor: &actor, source: server::SOURCE },
                person,
                &offered,
                &wanted,
                write,
            )
            .await
            .map_err(server::failed)?;
            let waiting: Vec<ListView> =
                offered.iter().filter(|list| waiting.contains(&list.key)).map(ListView::from).collect();
            let lists = domain::consent::subscribed(&state.pool, person).await.map_err(server::failed)?;
            server::notice_for_plain_forms(SettingsNotice::ListsSaved { waiting: waiting.clone() }).await;
            Ok(ListsSaved { lists: lists.iter().map(|l| l.as_str().to_owned()).collect(), waiting })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "settings/email")]
pub async fn add_email(email: String) -> Result<SettingsNotice, SettingsError> {
    server::answered(
        async move {
            let person = server::person().await?;
            let address = crate::forms::check::email(&email).map_err(|e| SettingsError::BadEmail {
                typed: email.chars().take(KEEP_CHARS).collect(),
                problem: e.problem.into(),
            })?;
            let state = crate::ssr::state().ok_or(SettingsError::Failed)?;
            // Counted per address asked for and per network, known address or not (the answer
            // must not tell), before anything is looked up or mailed.
            let client = server::client_address().await;
            let attempt = domain::throttle::Attempt::keyed("add-email", address.as_str(), client);
            if !domain::throttle::take(&state.pool, &attempt, domain::throttle::Limits::LINKS)
                .await
                .map_err(server::failed)?
            {
                tracing::info!("address mails throttled");
                return Err(SettingsError::Throttled);
            }
            let mails = crate::mails::Writer {
                organisation: state.site.organisation.clone(),
                origin: state.public_origin.clone(),
            };
            let writer = |language, name: &str, token: &secrecy::SecretString| {
                mails.new_address(language, name, token)
            };
            domain::registration::request_email(&state.pool, person, &address, writer)
                .await
                .map_err(server::failed)?;
            let notice = SettingsNotice::EmailLinkSent { address: address.as_str().to_owned() };
            server::notice_for_plain_forms(notice.clone()).await;
            Ok(notice)
        }
        .await,
    )
}

/// The address a form names, if it could be one of the person's at all.
#[cfg(feature = "ssr")]
fn named_address(address: &str) -> Option<domain::types::Email> {
    crate::forms::check::email(address).ok()
}

#[cfg(feature = "ssr")]
fn refused(refusal: domain::email::Refusal) -> SettingsError {
    use domain::email::Refusal;
    match refusal {
        Refusal::NotYours => SettingsError::NotYourAddress,
        Refusal::IsPrimary => SettingsError::PrimaryKept,
        Refusal::Unverified => SettingsError::Unconfirmed,
    }
}

/// What a button next to an address does.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
enum AddressChange {
    Remove,
    MakePrimary,
}

#[cfg(feature = "ssr")]
async fn change_address(address: String, change: AddressChange) -> Result<MyData, SettingsError> {
    let person = server::person().await?;
    let address = named_address(&address).ok_or(SettingsError::NotYourAddress)?;
    let actor = Actor::Person(person);
    let origin = Origin { actor: &actor, source: server::SOURCE };
    let (state, mut tx) = server::begin().await?;
    let done = match change {
        AddressChange::Remove => domain::email::remove(&mut tx, origin, person, &address).await,
        AddressChange::MakePrimary => domain::email::make_primary(&mut tx, origin, person, &address).await,
    };
    done.map_err(server::failed)?.map_err(refused)?;
    let data = server::finish(&state, tx, person).await?;
    let address = address.as_str().to_owned();
    server::notice_for_plain_forms(match change {
        AddressChange::Remove => SettingsNotice::Removed { address },
        AddressChange::MakePrimary => SettingsNotice::MadePrimary { address },
    })
    .await;
    Ok(data)
}

#[server(prefix = "/api", endpoint = "settings/email/remove")]
pub async fn remove_email(address: String) -> Result<MyData, SettingsError> {
    server::answered(async move { change_address(address, AddressChange::Remove).await }.await)
}

#[server(prefix = "/api", endpoint = "settings/email/primary")]
pub async fn make_primary(address: String) -> Result<MyData, SettingsError> {
    server::answered(async move { change_address(address, AddressChange::MakePrimary).await }.await)
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let title = move || t_string!(i18n, settings_title).to_string();
    let page = use_page_data();
    let Some(data) = page.my_data else {
        // Only reached if the server could not load the data; it logs why.
        return view! {
            <PageTitle text=title />
            <h1>{t!(i18n, settings_title)}</h1>
            <p role="alert">{t!(i18n, error_generic)}</p>
        }
        .into_any();
    };
    let none = move || t_string!(i18n, settings_none).to_string();
    let number = data.supporter_number.map(|n| n.to_string()).unwrap_or_else(none);
    view! {
        <PageTitle text=title />
        <h1>{t!(i18n, settings_title)}</h1>
        <p class="lead">{t!(i18n, settings_lead)}</p>
        // What a form posted without JavaScript did; with JavaScript each section says it.
        {page.session.settings_notice.map(|notice| view! { <Notice notice /> })}
        <dl class="my-data">
            <dt>{t!(i18n, settings_number)}</dt>
            <dd>{number}</dd>
        </dl>
        <EmailSections emails=data.emails />
        <ProfileSection profile=data.profile />
        <LanguageSection language=data.language />
        <ListsSection lists=data.lists offered=data.offered />
    }
    .into_any()
}

/// A notice after a change, as a status message.
#[component]
fn Notice(notice: SettingsNotice) -> impl IntoView {
    let i18n = use_i18n();
    let text = match notice {
        SettingsNotice::Saved => t_string!(i18n, settings_saved).to_string(),
        SettingsNotice::EmailLinkSent { address } => {
            t_string!(i18n, settings_email_sent, address = address).to_string()
        }
        SettingsNotice::Removed { address } => {
            t_string!(i18n, settings_removed, address = address).to_string()
        }
        SettingsNotice::MadePrimary { address } => {
            t_string!(i18n, settings_made_primary, address = address).to_string()
        }
        SettingsNotice::ListsSaved { waiting } if waiting.is_empty() => {
            t_string!(i18n, settings_saved).to_string()
        }
        SettingsNotice::ListsSaved { waiting } => {
            let language = page_language();
            let lists =
                waiting.iter().map(|l| format!("“{}”", l.name(language))).collect::<Vec<_>>().join(", ");
            t_string!(i18n, settings_lists_confirm_sent, lists = lists).to_string()
        }
    };
    view! { <p class="notice" role="status">{text}</p> }
}

/// A section's notice, in a live region that exists before anything is said in it (screen
/// readers announce changes only in regions they already know).
#[component]
fn LiveNotice(notice: RwSignal<Option<SettingsNotice>>) -> impl IntoView {
    view! { <div aria-live="polite">{move || notice.get().map(|notice| view! { <Notice notice /> })}</div> }
}

/// The error of an action, as a translated sentence (field errors are shown at the fields).
fn general_error(i18n: leptos_i18n::I18nContext<Locale>, error: &SettingsError) -> Option<String> {
    match error {
        SettingsError::NotLoggedIn => Some(t_string!(i18n, settings_logged_out).to_string()),
        SettingsError::Failed => Some(t_string!(i18n, error_generic).to_string()),
        SettingsError::Refused { .. } => Some(t_string!(i18n, form_errors_heading).to_string()),
        SettingsError::NotYourAddress => Some(t_string!(i18n, error_email_not_yours).to_string()),
        SettingsError::PrimaryKept => Some(t_string!(i18n, error_email_primary).to_string()),
        SettingsError::Unconfirmed => Some(t_string!(i18n, error_email_unverified).to_string()),
        SettingsError::BadEmail { .. } => None,
        SettingsError::BadRequest => Some(t_string!(i18n, refusal_bad_input).to_string()),
        SettingsError::Throttled => Some(t_string!(i18n, refusal_throttled).to_string()),
        SettingsError::Unavailable => Some(t_string!(i18n, refusal_unavailable).to_string()),
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

/// The person's addresses (make one primary, remove one) and the form to add one.
#[island]
fn EmailSections(emails: Vec<EmailView>) -> impl IntoView {
    let i18n = use_i18n();
    let emails = RwSignal::new(emails);
    let notice = RwSignal::new(None::<SettingsNotice>);
    let remove = ServerAction::<RemoveEmail>::new();
    let primary = ServerAction::<MakePrimary>::new();
    let add = ServerAction::<AddEmail>::new();
    // With JavaScript: the list as stored now, and what happened to which address (an
    // action forgets its input once it is done, so the address is kept while it runs).
    let removing = StoredValue::new(String::new());
    let promoting = StoredValue::new(String::new());
    Effect::new(move |_| {
        if let Some(input) = remove.input().get() {
            removing.set_value(input.address);
        }
        if let Some(input) = primary.input().get() {
            promoting.set_value(input.address);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(fresh)) = remove.value().get() {
            emails.set(fresh.emails);
            notice.set(Some(SettingsNotice::Removed { address: removing.get_value() }));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(fresh)) = primary.value().get() {
            emails.set(fresh.emails);
            notice.set(Some(SettingsNotice::MadePrimary { address: promoting.get_value() }));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(sent)) = add.value().get() {
            notice.set(Some(sent));
        }
    });
    let action_error = move || error_of(remove)().or_else(error_of(primary));
    let add_error = move || add.value().get().and_then(|r| r.err());
    let bad_email = move || match add_error() {
        Some(SettingsError::BadEmail { problem, .. }) => vec![FieldError { field: "email".into(), problem }],
        _ => Vec::new(),
    };
    // A refusal may be there from the start: without JavaScript it comes back in the address.
    let check = InlineCheck::new(bad_email());
    Effect::new(move |_| {
        if add.value().with(|v| matches!(v, Some(Err(SettingsError::BadEmail { .. })))) {
            check.show(bad_email());
        }
    });
    let rows = move || {
        emails
            .get()
            .into_iter()
            .map(|email| {
                let address = email.address.clone();
                let make_primary = (email.verified && !email.primary).then(|| {
                    let address = address.clone();
                    let label = t_string!(i18n, settings_make_primary_label, address = address.clone()).to_string();
                    view! {
                        <ActionForm action=primary attr:class="inline">
                            <input type="hidden" name="address" value=address />
                            <button type="submit" class="link-button" aria-label=label>{t!(i18n, settings_make_primary)}</button>
                        </ActionForm>
                    }
                });
                let remove_form = (!email.primary).then(|| {
                    let label = t_string!(i18n, settings_remove_label, address = address.clone()).to_string();
                    view! {
                        <ActionForm action=remove attr:class="inline">
                            <input type="hidden" name="address" value=address />
                            <button type="submit" class="link-button" aria-label=label>{t!(i18n, settings_remove)}</button>
                        </ActionForm>
                    }
                });
                view! {
                    <li>
                        <span class="address">{email.address}</span>
                        {email.primary.then(|| view! { " (" {t!(i18n, settings_primary)} ")" })}
                        {(!email.verified).then(|| view! { " (" {t!(i18n, settings_unverified)} ")" })}
                        {make_primary}
                        {remove_form}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section aria-labelledby="emails-heading" class="settings-section">
            <h2 id="emails-heading">{t!(i18n, settings_emails)}</h2>
            <p class="hint">{t!(i18n, settings_emails_hint)}</p>
            <LiveNotice notice />
            <ActionError error=action_error />
            <ul class="addresses">{rows}</ul>
        </section>
        <section aria-labelledby="email-heading" class="settings-section">
            <h2 id="email-heading">{t!(i18n, settings_add_email)}</h2>
            <p class="hint">{t!(i18n, settings_add_email_hint)}</p>
            <ActionError error=add_error />
            <ActionForm action=add attr:class="form" on:focusout=move |e| check.leave(e.into()) on:input=move |e| check.leave(e)>
                {move || {
                    let typed = match add_error() {
                        Some(SettingsError::BadEmail { typed, .. }) => typed,
                        _ => String::new(),
                    };
                    view! {
                        <TextField name="email" kind="email" label=Signal::derive(move || t_string!(i18n, register_email).to_string())
                            value=typed problem=check.problem("email") required=true autocomplete="email" maxlength=254 />
                    }
                }}
                <button type="submit" class="button">{t!(i18n, settings_add_email_submit)}</button>
            </ActionForm>
        </section>
    }
}

#[island]
fn ProfileSection(profile: ProfileForm) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<UpdateProfile>::new();
    let stored = RwSignal::new(profile);
    let notice = RwSignal::new(None::<SettingsNotice>);
    let error = error_of(action);
    // A refusal may be there from the start: without JavaScript it comes back in the address.
    let check = InlineCheck::new(match error() {
        Some(SettingsError::Refused { errors, .. }) => errors,
        _ => Vec::new(),
    });
    Effect::new(move |_| match action.value().get() {
        Some(Ok(fresh)) => {
            stored.set(fresh.profile);
            check.show(Vec::new());
            notice.set(Some(SettingsNotice::Saved));
        }
        Some(Err(SettingsError::Refused { errors, .. })) => {
            check.show(errors);
            notice.set(None);
        }
        _ => {}
    });
    // After a refusal the form shows what was typed; otherwise what is stored.
    let shown = move || match error() {
        Some(SettingsError::Refused { form, .. }) => form,
        _ => stored.get(),
    };
    view! {
        <section aria-labelledby="profile-heading" class="settings-section">
            <h2 id="profile-heading">{t!(i18n, settings_profile_heading)}</h2>
            <LiveNotice notice />
            <ActionError error />
            <ActionForm action attr:class="form" on:focusout=move |e| check.leave(e.into()) on:input=move |e| check.leave(e)>
                {move || {
                    let form = shown();
                    view! {
                        <TextField name="name" label=Signal::derive(move || t_string!(i18n, register_name).to_string())
                            value=form.name.clone() problem=check.problem("name") required=true autocomplete="name" />
                        <TextField name="country" label=Signal::derive(move || t_string!(i18n, register_country).to_string())
                            hint=Signal::derive(move || t_string!(i18n, register_country_hint).to_string())
                            value=form.country.clone() problem=check.problem("country") autocomplete="country" maxlength=2 />
                        <AddressFields form=form.clone() check />
                    }
                }}
                <button type="submit" class="button">{t!(i18n, settings_save)}</button>
            </ActionForm>
        </section>
    }
}

/// Not an island: a new language changes every text of the page, so the form always posts and
/// the server renders the page again in that language.
#[component]
fn LanguageSection(language: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<UpdateLanguage>::new();
    let error = error_of(action);
    view! {
        <section aria-labelledby="language-heading" class="settings-section">
            <h2 id="language-heading">{t!(i18n, register_language)}</h2>
            <ActionError error />
            <form method="post" action=UpdateLanguage::url() class="form">
                <div class="field">
                    <label for="language">{t!(i18n, settings_language)}</label>
                    <select id="language" name="language">
                        <option value="en" selected=language == "en">"English"</option>
                        <option value="de" selected=language == "de">"Deutsch"</option>
                    </select>
                </div>
                <button type="submit" class="button">{t!(i18n, settings_save)}</button>
            </form>
        </section>
    }
}

/// The lists offered, ticked as subscribed now. A double opt-in list ticked here stays unticked
/// until its link is followed; the notice says where the link went.
#[island]
fn ListsSection(lists: Vec<String>, offered: Vec<ListView>) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<UpdateLists>::new();
    let lists = RwSignal::new(lists);
    let notice = RwSignal::new(None::<SettingsNotice>);
    let error = error_of(action);
    Effect::new(move |_| {
        if let Some(Ok(saved)) = action.value().get() {
            lists.set(saved.lists);
            notice.set(Some(SettingsNotice::ListsSaved { waiting: saved.waiting }));
        }
    });
    let checks = move || {
        let subscribed = lists.get();
        view! {
            <ListChecks lists=offered.clone() name="lists[]" prefix="settings-list"
                ticked=move |key| subscribed.iter().any(|l| l == key) />
        }
    };
    view! {
        <section aria-labelledby="lists-heading" class="settings-section">
            <h2 id="lists-heading">{t!(i18n, register_lists_legend)}</h2>
            <LiveNotice notice />
            <ActionError error />
            <ActionForm action attr:class="form">
                {checks}
                <button type="submit" class="button">{t!(i18n, settings_save)}</button>
            </ActionForm>
        </section>
    }
}
