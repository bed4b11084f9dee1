// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Builds the idp from settings: database, migrations, signing keys, routes, listener, and the
//! background jobs (key reload, pruning of expired rows, sending the mail queue).

use crate::endpoints::{
    authorize, discovery, health, introspect, link, login, logout, revoke, token, userinfo,
};
use crate::keyring::{self, KeyError, KeyRing};
use crate::state::{AppState, Config, LoginQueue};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use domain::directory::{Builtin, Directory, Federated};
use hosting::config::{DirectoryChoice, MailSettings, Settings};
use hosting::csrf::{self, SameOrigin};
use hosting::mail::Mailer;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Largest request body: forms and token requests are small; anything bigger is refused unread.
const BODY_LIMIT: usize = 16 * 1024;
/// How often expired codes, tokens, sessions, throttle counters and retired keys are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// How often an instance looks for due scheduled jobs.
const SCHEDULER_LOOKS_EVERY: Duration = Duration::from_secs(30);

pub use hosting::startup::StartupError;

impl From<KeyError> for StartupError {
    fn from(error: KeyError) -> Self {
        StartupError::Other(format!("signing keys: {error}"))
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    mailer: Mailer,
    mail: MailSettings,
}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let connect = settings.connect_options()?;
        Self::build_with(settings, connect).await
    }

    /// Like `build`, with the database given directly.
    pub async fn build_with(
        settings: &Settings,
        connect: sqlx::postgres::PgConnectOptions,
    ) -> Result<Self, StartupError> {
        let listener = hosting::startup::listen(settings.idp.listen, "idp.listen / CDB_IDP__LISTEN").await?;
        Self::build_on(listener, settings, connect).await
    }

    /// Like `build_with`, on a listener bound already (tests bind port 0 first, so that the
    /// issuer URL can name the real port).
    pub async fn build_on(
        listener: TcpListener,
        settings: &Settings,
        connect: sqlx::postgres::PgConnectOptions,
    ) -> Result<Self, StartupError> {
        let mailer = Mailer::from_settings(&settings.mail).map_err(|e| StartupError::Other(e.to_string()))?;
        let directory: Arc<dyn Directory> = match settings.idp.directory {
            DirectoryChoice::Builtin => Arc::new(Builtin),
            DirectoryChoice::Ldap => Arc::new(Federated { ldap: settings.ldap.directory()? }),
        };
        let pool = hosting::startup::open_database(settings, connect).await?;
        let config = Config::from_settings(settings);
        let keys = KeyRing::start(pool.clone(), &settings.idp, config.access_token_lifetime).await?;
        let logins = LoginQueue::new(config.login_queue);
        let state = AppState { pool, config: Arc::new(config), keys: Arc::new(keys), directory, logins };
        let router = router(state.clone(), settings);
        Ok(Self { listener, router, state, mailer, mail: settings.mail.clone() })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let jobs = tokio::spawn(background_jobs(self.state.clone()));
        let scheduled = tokio::spawn(hosting::scheduler::run(
            self.state.pool.clone(),
            scheduled_jobs(&self.state),
            SCHEDULER_LOOKS_EVERY,
        ));
        let mail = tokio::spawn(hosting::mail::run_worker(self.state.pool.clone(), self.mailer, self.mail));
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        jobs.abort();
        scheduled.abort();
        mail.abort();
        self.state.pool.close().await;
        result
    }
}

/// What every instance does for itself: reload the signing keys (each instance holds its own
/// copy). Pruning is a scheduled job instead, run by one instance per schedule ([`scheduled_jobs`]).
async fn background_jobs(state: AppState) {
    let mut reload = tokio::time::interval(keyring::RELOAD_EVERY);
    loop {
        reload.tick().await;
        if let Err(e) = state.keys.reload().await {
            tracing::warn!(error = %e, "reloading signing keys failed; keeping the loaded ones");
        }
    }
}

/// The idp's periodic jobs: pruning expired grants, throttle counters, retired keys and login
/// links, and finished mail jobs.
fn scheduled_jobs(state: &AppState) -> Vec<hosting::scheduler::Job> {
    let prune = state.clone();
    vec![
        hosting::mail::prune_job(state.pool.clone()),
        hosting::scheduler::Job::new("idp_prune", PRUNE_EVERY, move || {
            let state = prune.clone();
            async move {
                let rows = prune_expired(&state.pool, &state.config).await.map_err(|e| format!("{e:?}"))?;
                Ok(format!("{rows} expired rows pruned"))
            }
        }),
    ]
}

async fn prune_expired(pool: &PgPool, config: &Config) -> Result<u64, domain::DomainError> {
    Ok(domain::oidc::grant::prune_expired(pool).await?
        + domain::throttle::prune(pool, config.throttle).await?
        + domain::oidc::keys::prune(pool, config.access_token_lifetime).await?
        + domain::oidc::login_link::prune(pool).await?)
}

/// Every route and layer of the idp.
pub fn router(state: AppState, settings: &Settings) -> Router {
    // Endpoints for programs authenticate themselves and read no cookies: no CSRF check there.
    let exempt: Arc<[&'static str]> = Arc::new(["/token", "/revoke", "/introspect", "/userinfo"]);
    let same_origin = SameOrigin { origin: Arc::from(settings.idp.origin()), exempt };
    let routes = Router::new()
        .route("/.well-known/openid-configuration", get(discovery::configuration))
        .route("/jwks", get(discovery::jwks))
        .route("/authorize", get(authorize::authorize))
        .route("/login", post(login::submit))
        .route("/link", get(link::show).post(link::redeem))
        .route("/token", post(token::token))
        .route("/userinfo", get(userinfo::userinfo).post(userinfo::userinfo))
        .route("/introspect", post(introspect::introspect))
        .route("/revoke", post(revoke::revoke))
        .route("/logout", get(logout::logout_get).post(logout::logout_post))
        .route("/style.css", get(health::style))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .layer(axum::middleware::from_fn_with_state(same_origin, csrf::same_origin_only))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    hosting::layers::common(routes, Duration::from_secs(settings.http.request_timeout_secs)).with_state(state)
}
