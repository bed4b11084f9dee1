// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Whole-app tests of the server: the real router on a random port with a fresh database per
//! test (`#[sqlx::test]`, on the server `DATABASE_URL` names), driven over HTTP. The one
//! integration-test binary of this crate.

// Test helpers outside #[test] functions: a failed set-up should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod config_errors;
mod donate;
mod donate_paypal;
mod donate_stripe;
mod hardening;
mod health;
mod language;
mod login;
mod pages;
mod paypal_webhooks;
mod registration;
mod renewal;
mod sessions;
mod settings;
mod statements;
mod stripe_webhooks;
mod unsubscribe;

use hosting::config::{MailTransport, Settings, SmtpSecurity};
use hosting::testing::{SinkOptions, SmtpSink};
use leptos::config::LeptosOptions;
use server::startup::Application;
use sqlx::PgPool;

pub struct TestApp {
    pub address: String,
    /// The configured public origin: what a browser on the real site sends as `Origin`.
    pub origin: String,
    pub pool: PgPool,
    pub client: reqwest::Client,
    /// The SMTP server mail goes to (`spawn_app_mailing`).
    pub smtp: Option<SmtpSink>,
    /// The keys of `mailing.key_file`, to mint unsubscribe tokens as a campaign mail has them.
    pub mailing_keys: domain::mailing::MailingKeys,
    _outbox: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub fn test_settings() -> Settings {
    let mut settings = Settings::default();
    settings.http.listen = "127.0.0.1:0".parse().unwrap();
    settings.site.organisation = "Test Supporters <e.V.>".into();
    // Nothing listens on port 1: a test without an idp of its own never reaches the one that
    // `scripts/run.sh` runs on 3001.
    settings.idp.public_url = "http://127.0.0.1:1".into();
    settings
}

/// Starts the server on the test's database and returns a client that keeps cookies and does
/// not follow redirects, so tests see each response as a browser would get it.
pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, test_settings()).await
}

/// A server whose mail goes over SMTP to a real server (aiosmtpd) on loopback.
pub async fn spawn_app_mailing(pool: PgPool) -> TestApp {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let mut settings = test_settings();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_host = "127.0.0.1".into();
    settings.mail.smtp_port = sink.port;
    settings.mail.smtp_security = SmtpSecurity::None;
    let mut app = spawn_app_with(pool, settings).await;
    app.smtp = Some(sink);
    app
}

pub async fn spawn_app_with(pool: PgPool, mut settings: Settings) -> TestApp {
    // Mail never lands in the source tree (the default outbox is .local/outbox).
    let outbox = tempfile::tempdir().unwrap();
    if settings.mail.transport == MailTransport::Outbox {
        settings.mail.outbox_dir = outbox.path().to_owned();
    }
    settings.mail.poll_interval_ms = 50;
    // A key of the test's own, never `.local/mailing.keys` in the source tree.
    let key_file = match &settings.mailing.key_file {
        Some(path) => path.clone(),
        None => {
            let path = outbox.path().join("mailing.keys");
            std::fs::write(&path, domain::mailing::MailingKeys::new_file_line("test")).unwrap();
            settings.mailing.key_file = Some(path.clone());
            path
        }
    };
    let mailing_keys =
        domain::mailing::MailingKeys::parse(&std::fs::read_to_string(key_file).unwrap()).unwrap();
    let options = LeptosOptions::builder().output_name("community").build();
    let connect = (*pool.connect_options()).clone();
    let app = Application::build_with(&settings, options, connect).await.expect("server starts");
    let address = format!("http://{}", app.local_addr());
    let origin = settings.public_origin();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp { address, origin, pool, client, smtp: None, mailing_keys, _outbox: outbox, _shutdown: tx }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get_html(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), text(&response.text().await.unwrap()))
    }
}

/// The page without Leptos's hydration markers (`<!>`), which sit between text fragments.
pub fn text(html: &str) -> String {
    html.replace("<!>", "")
}
