// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Server-only parts of the app: the state every request sees, and accessors for server
//! functions.

use crate::page_data::SiteInfo;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;
use sqlx::PgPool;

/// Everything a request handler or server function may need. Built once at start-up; cheap to
/// clone (the pool and options are reference-counted).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub site: SiteInfo,
    /// Where my.* is reached from outside (`https://my.example.org`), for links in mails.
    pub public_origin: String,
    /// Whether cookies this app sets carry `Secure` (an `https` public URL).
    pub secure_cookies: bool,
    /// The idp's origin (`https://id.example.org`): forms may lead there (login, logout), so
    /// the Content-Security-Policy's `form-action` names it.
    #[from_ref(skip)]
    pub idp_origin: String,
    /// How long a login lasts however active it is (`session.absolute_hours`).
    #[from_ref(skip)]
    pub session_lifetime: std::time::Duration,
    /// What donors may give and where transfers go (`[payments]`), checked at start-up.
    #[from_ref(skip)]
    pub offer: std::sync::Arc<domain::payment::Offer>,
    /// Stripe's secrets and settings, when `payments.methods` offers Stripe.
    #[from_ref(skip)]
    pub stripe: Option<std::sync::Arc<StripeSetup>>,
    /// PayPal's client, webhook verifier and settings, when `payments.methods` offers PayPal.
    #[from_ref(skip)]
    pub paypal: Option<std::sync::Arc<PaypalSetup>>,
    /// The keys that sign campaign mails' unsubscribe links (`mailing.key_file`); `None` when
    /// campaigns are not set up, and every unsubscribe link then answers as an invalid one.
    #[from_ref(skip)]
    pub mailing_keys: Option<std::sync::Arc<domain::mailing::MailingKeys>>,
}

/// What talking to Stripe needs, read once at start-up.
#[derive(Debug, Clone)]
pub struct StripeSetup {
    pub secrets: hosting::config::StripeSecrets,
    pub settings: hosting::config::StripeSettings,
}

/// What talking to PayPal needs, built once at start-up: one API client (one OAuth token for
/// every request) and one webhook verifier (one certificate cache), shared.
#[derive(Debug)]
pub struct PaypalSetup {
    pub client: providers::paypal::Client,
    pub verifier: providers::paypal::Verifier,
    pub settings: hosting::config::PaypalSettings,
}

/// The state, inside a server function or while rendering. Missing state is a wiring bug: it
/// is logged, never a panic.
pub fn state() -> Option<AppState> {
    let state = use_context::<AppState>();
    if state.is_none() {
        tracing::error!("AppState missing from the Leptos context");
    }
    state
}

/// Names of the values kept in a session, in one place so two features never share a key by
/// accident.
pub mod session_keys {
    /// `u32`: the amount picked on the landing page (whole units).
    pub const CHOSEN_AMOUNT: &str = "chosen_amount";
    /// `forms::RegisterOutcome`: what the last registration POST came to, for the next page.
    pub const REGISTER_OUTCOME: &str = "register_outcome";
    /// `forms::CommandOutcome`: what the last command-link POST did, for the next page.
    pub const COMMAND_OUTCOME: &str = "command_outcome";
    /// `uuid::Uuid`: the person logged in with this session.
    pub const PERSON: &str = "person";
    /// `i64`, Unix seconds: when that person logged in (for `session.absolute_hours`).
    pub const LOGGED_IN_AT: &str = "logged_in_at";
    /// `String`: the ID token of the login, for `id_token_hint` at logout.
    pub const ID_TOKEN: &str = "id_token";
    /// State, nonce and PKCE verifier of a login in progress.
    pub const LOGIN_PENDING: &str = "login_pending";
    /// `forms::SettingsNotice`: what a settings form without JavaScript did, for the next page.
    pub const SETTINGS_NOTICE: &str = "settings_notice";
    /// `String`: the `state` sent with the idp logout, checked when the browser returns.
    pub const LOGOUT_STATE: &str = "logout_state";
    /// `forms::DonateOutcome`: what the last donate POST came to, for `/donate`.
    pub const DONATE_OUTCOME: &str = "donate_outcome";
    /// `Vec<uuid::Uuid>`: pledges made with this session, newest last: only they (and the
    /// logged-in owner's) may be shown on `/donate/transfer/{id}`.
    pub const DONATED_PLEDGES: &str = "donated_pledges";
    /// `forms::DonationsNotice`: what a form on `/donations` did, for the next page.
    pub const DONATIONS_NOTICE: &str = "donations_notice";
    /// `String`: the renewal page (`/c/{token}` or `/donations/{id}/renew`) a provider checkout
    /// was started from, for "choose again" on `/renew/cancelled`. Kept here, not in the
    /// provider's cancel URL, so a link's token never leaves this site.
    pub const RENEW_RETURN: &str = "renew_return";
}

/// The person logged in with the request's session: every server function that reads or
/// changes personal data starts here, because a server function is a public HTTP endpoint.
pub async fn logged_in_person() -> Option<domain::types::PersonId> {
    let session = leptos_axum::extract::<tower_sessions::Session>().await.ok()?;
    let id = session.get::<uuid::Uuid>(session_keys::PERSON).await.ok().flatten()?;
    Some(domain::types::PersonId::from(id))
}

/// Everything `/settings` shows about a person; `Ok(None)` if they no longer exist.
pub async fn my_data(
    pool: &PgPool,
    id: domain::types::PersonId,
) -> domain::Result<Option<crate::forms::MyData>> {
    use crate::forms::{EmailView, MyData, ProfileForm};
    let Some(person) = domain::person::get(pool, id).await? else { return Ok(None) };
    let emails = domain::email::list_for_person(pool, id).await?;
    let lists = domain::consent::subscribed(pool, id).await?;
    let offered = lists::offered_to(pool, id).await?;
    let address = person.address.as_ref();
    let line = |f: Option<&str>| f.unwrap_or_default().to_owned();
    Ok(Some(MyData {
        profile: ProfileForm {
            name: person.display_name.as_str().to_owned(),
            country: person.country.map(|c| c.as_str().to_owned()).unwrap_or_default(),
            street: line(address.map(|a| a.street())),
            extra: line(address.and_then(|a| a.extra())),
            postal_code: line(address.and_then(|a| a.postal_code())),
            city: line(address.map(|a| a.city())),
            region: line(address.and_then(|a| a.region())),
        },
        supporter_number: person.supporter_number.map(|n| n.get()),
        language: person.preferred_language.code().to_owned(),
        emails: emails
            .into_iter()
            .map(|e| EmailView {
                address: e.address.as_str().to_owned(),
                primary: e.is_primary,
                verified: e.verified_at.is_some(),
            })
            .collect(),
        lists: lists.iter().map(|l| l.as_str().to_owned()).collect(),
        offered: offered.iter().map(crate::forms::ListView::from).collect(),
    }))
}

/// `domain::mailing::list`'s readers, for the pool: each takes one connection for its queries.
pub mod lists {
    use domain::consent::ListKey;
    use domain::mailing::{List, list};
    use domain::types::PersonId;
    use sqlx::PgPool;

    pub async fn all(pool: &PgPool, include_archived: bool) -> domain::Result<Vec<List>> {
        list::all(&mut *pool.acquire().await?, include_archived).await
    }

    pub async fn get(pool: &PgPool, key: &ListKey) -> domain::Result<Option<List>> {
        list::get(&mut *pool.acquire().await?, key).await
    }

    /// Every list for supporters, and the staff lists the person is subscribed to.
    pub async fn offered_to(pool: &PgPool, person: PersonId) -> domain::Result<Vec<List>> {
        list::offered_to(&mut *pool.acquire().await?, person).await
    }

    pub async fn offered_at_registration(pool: &PgPool) -> domain::Result<Vec<List>> {
        list::offered_at_registration(&mut *pool.acquire().await?).await
    }
}
