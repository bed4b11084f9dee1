// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Builds the application from settings: database, migrations, sessions, routes, listener.

use crate::oidc_client::OidcClient;
use crate::routes::login::LoginState;
use crate::routes::{amount, command, health, language, login, register, unsubscribe, webhooks};
use crate::{headers, session_view};
use app::page_data::SiteInfo;
use app::ssr::AppState;
use app::{App, shell};
use axum::Router;
use axum::routing::{get, post};
use hosting::client_address::{self, TrustedProxies};
use hosting::config::{MailSettings, Settings};
use hosting::csrf::{self, SameOrigin};
use hosting::mail::Mailer;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

pub use hosting::startup::StartupError;

/// A built application, bound to its port but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    pool: PgPool,
    mailer: Mailer,
    mail: MailSettings,
    jobs: Vec<hosting::scheduler::Job>,
    /// Sends campaigns, when the mailing keys are set up.
    campaigns: Option<Arc<hosting::mailing::CampaignSender>>,
}

impl Application {
    pub async fn build(settings: &Settings, leptos_options: LeptosOptions) -> Result<Self, StartupError> {
        let connect = settings.connect_options()?;
        Self::build_with(settings, leptos_options, connect).await
    }

    /// Like `build`, with the database given directly (tests hand in their own database).
    pub async fn build_with(
        settings: &Settings,
        mut leptos_options: LeptosOptions,
        connect: sqlx::postgres::PgConnectOptions,
    ) -> Result<Self, StartupError> {
        // The port first: it is cheap to check and must not wait for the database.
        let listener =
            hosting::startup::listen(settings.http.listen, "http.listen / CDB_HTTP__LISTEN").await?;
        let pool = hosting::startup::open_database(settings, connect).await?;
        let mailer = Mailer::from_settings(&settings.mail).map_err(|e| StartupError::Other(e.to_string()))?;
        let oidc = Arc::new(oidc_client(settings)?);
        let offer = Arc::new(settings.payments.offer().map_err(StartupError::Other)?);
        if offer.bank.as_ref().is_some_and(|bank| bank.iban.as_str() == hosting::config::EXAMPLE_IBAN) {
            tracing::warn!("payments.bank.iban is the ISO example IBAN: set the organisation's own account");
        }
        let stripe = match settings.stripe.secrets().map_err(StartupError::Other)? {
            Some(secrets) if settings.payments.offers_stripe() => {
                Some(Arc::new(app::ssr::StripeSetup { secrets, settings: settings.stripe.clone() }))
            }
            _ => None,
        };
        let paypal = paypal_setup(settings)?;
        let mailing_keys = hosting::mailing::read_keys(settings)
            .map_err(|e| StartupError::Other(e.to_string()))?
            .map(Arc::new);
        if mailing_keys.is_none() {
            tracing::warn!(
                "mailing.key_file is not set: campaigns are not set up, and unsubscribe links answer as invalid"
            );
        }

        // With port 0 the system picks one; pages and tests need the real address.
        if let Ok(addr) = listener.local_addr() {
            leptos_options.site_addr = addr;
        }
        let state = AppState {
            leptos_options,
            pool: pool.clone(),
            site: SiteInfo {
                organisation: settings.site.organisation.clone(),
                source_url: settings.site.source_url.clone(),
            },
            public_origin: settings.public_origin(),
            secure_cookies: settings.secure_cookies(),
            idp_origin: settings.idp.origin(),
            session_lifetime: Duration::from_secs(
                u64::try_from(settings.session.absolute_hours).unwrap_or(1).saturating_mul(3600),
            ),
            offer,
            stripe,
            paypal,
            mailing_keys,
        };
        let campaigns = match &state.mailing_keys {
            Some(keys) => Some(Arc::new(
                hosting::mailing::CampaignSender::from_settings(settings, keys.clone())
                    .map_err(|e| StartupError::Other(e.to_string()))?,
            )),
            None => None,
        };
        let jobs = crate::jobs::all(&state, settings);
        let router = router(state, settings, oidc);
        Ok(Self { listener, router, pool, mailer, mail: settings.mail.clone(), jobs, campaigns })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        // Several instances may run: the queue hands each mail to exactly one of them, and the
        // scheduler each periodic job to one of them per schedule.
        let mail = tokio::spawn(hosting::mail::run_worker(self.pool.clone(), self.mailer, self.mail));
        let jobs =
            tokio::spawn(hosting::scheduler::run(self.pool.clone(), self.jobs, crate::jobs::LOOK_EVERY));
        // Every instance sends campaigns; each claims its own recipients.
        let campaigns = self
            .campaigns
            .map(|sender| tokio::spawn(hosting::mailing::run_sender(self.pool.clone(), sender)));
        // The peer address, for `hosting::client_address` (throttling).
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        mail.abort();
        jobs.abort();
        if let Some(campaigns) = campaigns {
            campaigns.abort();
        }
        self.pool.close().await;
        result
    }
}

/// Every route and layer of the server.
pub fn router(state: AppState, settings: &Settings, oidc: Arc<OidcClient>) -> Router {
    let login_state = LoginState { oidc, pool: state.pool.clone() };
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let sessions = SessionManagerLayer::new(PostgresStore::new(state.pool.clone()))
        .with_name("cdb_session")
        .with_secure(settings.secure_cookies())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(settings.session.idle_timeout_minutes)));
    let trusted = TrustedProxies(Arc::from(settings.http.trusted_proxies.as_slice()));
    // Webhooks carry their provider's signature instead (checked in their route); unsubscribe
    // links their signed token, and RFC 8058 mail clients post them from no page of ours.
    let same_origin = SameOrigin {
        origin: Arc::from(settings.public_origin()),
        exempt: Arc::new(["/webhooks/", unsubscribe::PREFIX]),
    };

    let routes = Router::new()
        .leptos_routes_with_context(&state, routes, || {}, move || shell(leptos_options.clone()))
        // The renewal pages' data (`routes::renew`), inside `session_view::load` so an ended login is
        // seen as ended.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::routes::renew::pages))
        // The statements page's data (`routes::statements`), inside `session_view::load` too.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::routes::statements::page))
        // The lists the registration form offers, and what an unsubscribe link would do.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), register::page))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), unsubscribe::page))
        // Pages and server functions only: static files and health checks need no session.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), session_view::load))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route(
            "/language",
            post(language::set).with_state(language::SecureCookies(settings.secure_cookies())),
        )
        .route("/amount", post(amount::choose))
        .route("/register", post(register::submit))
        .route("/donate", post(crate::routes::donate::submit))
        .route("/donations/{id}/change", post(crate::routes::donations::change))
        .route("/donations/{id}/cancel", post(crate::routes::donations::cancel))
        .route("/donations/{id}/card", post(crate::routes::donations::card))
        .route("/donations/{id}/renew", post(crate::routes::renew::by_owner))
        .route("/donations/statements/{id}", get(crate::routes::statements::download))
        .route("/c/{token}", post(command::submit))
        .route("/u/{token}", post(unsubscribe::submit))
        .route("/login", get(login::start).with_state(login_state.clone()))
        .route("/auth/callback", get(login::callback).with_state(login_state.clone()))
        .route("/logout", post(login::logout).with_state(login_state))
        .route(
            "/webhooks/stripe",
            post(webhooks::stripe::receive).with_state(webhooks::stripe::WebhookState::new(state.clone())),
        )
        .route(
            "/webhooks/paypal",
            post(webhooks::paypal::receive).with_state(webhooks::paypal::WebhookState::new(state.clone())),
        )
        .route("/donate/paypal/return", get(crate::routes::paypal_checkout::returned))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(same_origin, csrf::same_origin_only))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(trusted, client_address::remember))
        .layer(axum::middleware::from_fn(headers::add))
        // Outside `headers::add`, whose `Referrer-Policy` it replaces on `/u/…`.
        .layer(axum::middleware::from_fn(unsubscribe::private_headers))
        .layer(CompressionLayer::new());
    hosting::layers::common(routes, Duration::from_secs(settings.http.request_timeout_secs)).with_state(state)
}

/// PayPal's client and webhook verifier, built once (`None` unless `payments.methods` offers
/// `paypal`); a bad setting stops start-up with its key named.
fn paypal_setup(settings: &Settings) -> Result<Option<Arc<app::ssr::PaypalSetup>>, StartupError> {
    if !settings.payments.offers_paypal() {
        return Ok(None);
    }
    let Some(secrets) = settings.paypal.secrets().map_err(StartupError::Other)? else {
        return Err(StartupError::Other(
            "payments.methods offers paypal, so paypal.client_secret_file must be set".into(),
        ));
    };
    let paypal = &settings.paypal;
    let client = providers::paypal::Client::new(&providers::paypal::ClientConfig {
        api_url: paypal.api_url.clone(),
        client_id: paypal.client_id.trim().to_owned(),
        client_secret: secrets.client_secret.clone(),
        extra_root_pem: secrets.extra_trust_anchor_pem.clone(),
        brand_name: settings.site.organisation.clone(),
    })
    .map_err(|e| StartupError::Other(format!("paypal: {e}")))?;
    let verifier = providers::paypal::Verifier::new(&providers::paypal::VerifierConfig {
        webhook_id: paypal.webhook_id.trim().to_owned(),
        cert_hosts: paypal.cert_hosts.clone(),
        cert_name: paypal.cert_name.clone(),
        max_age: Duration::from_secs(paypal.max_age_secs),
        extra_trust_anchor_pem: secrets.extra_trust_anchor_pem,
    })
    .map_err(|e| StartupError::Other(e.to_string()))?;
    Ok(Some(Arc::new(app::ssr::PaypalSetup { client, verifier, settings: paypal.clone() })))
}

/// The idp client, with its secret read now: a missing or unreadable file stops start-up with
/// the key named, rather than failing at the first login.
fn oidc_client(settings: &Settings) -> Result<OidcClient, StartupError> {
    let secret = match &settings.login.client_secret_file {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                StartupError::Other(format!("login.client_secret_file {}: {e}", path.display()))
            })?;
            Some(secrecy::SecretString::from(text.trim().to_owned()))
        }
    };
    OidcClient::new(settings.idp.issuer(), &settings.login.client_id, secret, &settings.public_origin())
        .map_err(StartupError::Other)
}
