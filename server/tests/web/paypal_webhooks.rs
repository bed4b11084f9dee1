// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /webhooks/paypal` end to end: the real router on a real PostgreSQL, PayPal's servers
//! replaced by the local HTTPS stand-in (`providers::paypal::testing`) whose throwaway CA is
//! the configured extra trust anchor, every delivery signed exactly as PayPal signs it, and
//! the renewal mail delivered to a real SMTP listener.
//!
//! `cargo test -p server --test web paypal_webhooks` (with `DATABASE_URL` as for every web test).

use crate::{TestApp, spawn_app_with, test_settings};
use domain::audit::{Actor, Origin};
use domain::email::Verification;
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::{Currency, Method, Money, Period, PledgeStatus};
use domain::person::{self, NewPerson};
use domain::types::{DisplayName, Email, Language, PersonId};
use hosting::config::{MailTransport, Settings, SmtpSecurity};
use hosting::testing::{SinkOptions, SmtpSink};
use providers::paypal::testing::{self, Pki, Signed, StandIn, events, sign_at};
use providers::paypal::verify::DEFAULT_CERT_NAME;
use sqlx::PgPool;
use time::OffsetDateTime;

pub const WEBHOOK_ID: &str = "8PT597110X687430LKGECATA";
const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };

/// A server with PayPal offered, pointed at a stand-in.
pub struct Paypal {
    pub app: TestApp,
    pub stand_in: StandIn,
    _files: tempfile::TempDir,
}

/// Settings that offer PayPal through `stand_in` (its CA as the extra trust anchor).
pub fn paypal_settings(mut settings: Settings, stand_in: &StandIn, dir: &std::path::Path) -> Settings {
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    settings.payments.methods = vec!["bank_transfer".into(), "paypal".into()];
    settings.paypal.client_id = testing::CLIENT_ID.into();
    settings.paypal.client_secret_file = Some(file("paypal-secret", testing::CLIENT_SECRET));
    settings.paypal.webhook_id = WEBHOOK_ID.into();
    settings.paypal.api_url = stand_in.url();
    settings.paypal.cert_hosts.push(stand_in.host());
    settings.paypal.extra_trust_anchor_file = Some(file("ca.pem", &stand_in.ca_pem()));
    settings.paypal.webhook_body_limit_bytes = 32 * 1024;
    settings
}

pub async fn paypal_app(pool: PgPool) -> Paypal {
    paypal_app_with(pool, test_settings()).await
}

async fn paypal_app_with(pool: PgPool, settings: Settings) -> Paypal {
    let stand_in = testing::start().await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let settings = paypal_settings(settings, &stand_in, files.path());
    let app = spawn_app_with(pool, settings).await;
    Paypal { app, stand_in, _files: files }
}

impl Paypal {
    async fn deliver(&self, body: &str, signed: Option<&Signed>) -> (u16, String) {
        let mut request =
            self.app.client.post(self.app.url("/webhooks/paypal")).header("content-type", "application/json");
        if let Some(signed) = signed {
            for (name, value) in signed.headers() {
                request = request.header(name, value);
            }
        }
        let response = request.body(body.to_owned()).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Delivers `body` signed as PayPal signs it, now.
    async fn send(&self, body: &str) -> (u16, String) {
        let signed = self.stand_in.sign_event(body.as_bytes(), WEBHOOK_ID);
        self.deliver(body, Some(&signed)).await
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.app.pool).await.unwrap()
    }
}

async fn supporter(pool: &PgPool, name: &str, address: &str) -> PersonId {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from(name).unwrap(),
        country: None,
        address: None,
        preferred_language: Language::German,
        referrer: None,
    };
    let person = person::create(&mut tx, ORIGIN, &new).await.unwrap();
    let email = Email::try_from(address).unwrap();
    domain::email::add(
        &mut tx,
        ORIGIN,
        person.id,
        &email,
        true,
        Verification::VerifiedAt(OffsetDateTime::now_utc()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    person.id
}

async fn new_pledge(pool: &PgPool, person: Option<PersonId>, minor: i64, period: Period) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person,
        amount: Money::new(minor, Currency::EUR),
        period,
        method: Method::Paypal,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_signed_capture_registers_once_however_often_it_comes(pool: PgPool) {
    let paypal = paypal_app(pool.clone()).await;
    let pledge = new_pledge(&pool, None, 1000, Period::Once).await;
    let body = events::capture_completed("WH-1", "CAP1", "ORDER1", pledge.reference.as_str(), "10.00", "EUR");
    let (status, answer) = paypal.send(&body).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("applied"));
    let (status, answer) = paypal.send(&body).await;
    assert_eq!((status, answer.contains("duplicate")), (200, true), "{answer}");
    assert_eq!(paypal.count("SELECT count(*) FROM payment WHERE provider = 'paypal'").await, 1);
    assert_eq!(paypal.count("SELECT count(*) FROM webhook_event").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn unverifiable_deliveries_are_400_and_store_nothing(pool: PgPool) {
    let paypal = paypal_app(pool.clone()).await;
    let pledge = new_pledge(&pool, None, 1000, Period::Once).await;
    let body = events::capture_completed("WH-2", "CAP2", "ORDER2", pledge.reference.as_str(), "10.00", "EUR");
    let now = OffsetDateTime::now_utc();
    let stand_in = &paypal.stand_in;
    let other_ca = Pki::new("not PayPal").unwrap();
    stand_in.put_cert("CERT-untrusted", other_ca.message_chain(DEFAULT_CERT_NAME).unwrap());
    stand_in.put_cert("CERT-other-name", stand_in.pki().message_chain("evil.example").unwrap());
    let host = stand_in.host();
    let cases: Vec<(&str, Signed, String)> = vec![
        ("no headers", stand_in.sign_event(b"x", WEBHOOK_ID), String::new()),
        (
            "another host",
            sign_at(body.as_bytes(), WEBHOOK_ID, now, "https://evil.example/v1/notifications/certs/C"),
            body.clone(),
        ),
        (
            "userinfo",
            sign_at(
                body.as_bytes(),
                WEBHOOK_ID,
                now,
                &format!("https://{host}@evil.example/v1/notifications/certs/C"),
            ),
            body.clone(),
        ),
        (
            "dot dot",
            sign_at(
                body.as_bytes(),
                WEBHOOK_ID,
                now,
                &format!("https://{host}/v1/notifications/certs/../../x"),
            ),
            body.clone(),
        ),
        (
            "query",
            sign_at(body.as_bytes(), WEBHOOK_ID, now, &format!("{}?a=b", stand_in.cert_url(testing::CERT))),
            body.clone(),
        ),
        (
            "http",
            sign_at(
                body.as_bytes(),
                WEBHOOK_ID,
                now,
                &stand_in.cert_url(testing::CERT).replace("https:", "http:"),
            ),
            body.clone(),
        ),
        (
            "untrusted CA",
            sign_at(body.as_bytes(), WEBHOOK_ID, now, &stand_in.cert_url("CERT-untrusted")),
            body.clone(),
        ),
        (
            "another name",
            sign_at(body.as_bytes(), WEBHOOK_ID, now, &stand_in.cert_url("CERT-other-name")),
            body.clone(),
        ),
        ("another body", stand_in.sign_event(b"{}", WEBHOOK_ID), body.clone()),
        ("another webhook", stand_in.sign_event(body.as_bytes(), "WH-SOMEONE-ELSE"), body.clone()),
        (
            "stale",
            sign_at(
                body.as_bytes(),
                WEBHOOK_ID,
                now - time::Duration::minutes(6),
                &stand_in.cert_url(testing::CERT),
            ),
            body.clone(),
        ),
    ];
    let mut answers = std::collections::BTreeSet::new();
    for (case, signed, sent) in &cases {
        let headers = if *case == "no headers" { None } else { Some(signed) };
        let sent = if sent.is_empty() { &body } else { sent };
        let (status, answer) = paypal.deliver(sent, headers).await;
        assert_eq!(status, 400, "{case}: {answer}");
        answers.insert(answer);
    }
    // One answer for every failure: which check failed is logged, never told.
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(paypal.count("SELECT count(*) FROM webhook_event").await, 0);
    assert_eq!(paypal.count("SELECT count(*) FROM payment").await, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn oversized_bodies_are_413_and_unknown_types_are_stored(pool: PgPool) {
    let paypal = paypal_app(pool.clone()).await;
    let big = format!("{{\"id\":\"WH-BIG\",\"pad\":\"{}\"}}", "x".repeat(40 * 1024));
    let (status, _) = paypal.send(&big).await;
    assert_eq!(status, 413);
    let unknown = events::envelope("WH-U", "PAYMENT.PAYOUTSBATCH.SUCCESS", "payouts", serde_json::json!({}));
    let (status, answer) = paypal.send(&unknown).await;
    assert_eq!((status, answer.contains("ignored")), (200, true), "{answer}");
    let (status, _) = paypal.send("{\"not\":\"an event\"}").await;
    assert_eq!(status, 400);
    assert_eq!(paypal.count("SELECT count(*) FROM webhook_event").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn without_paypal_the_route_is_404(pool: PgPool) {
    let app = crate::spawn_app(pool).await;
    let response = app.client.post(app.url("/webhooks/paypal")).body("{}").send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_approved_order_is_captured_by_the_webhook(pool: PgPool) {
    let paypal = paypal_app(pool.clone()).await;
    let pledge = new_pledge(&pool, None, 2000, Period::Once).await;
    let client = paypal.stand_in.client().unwrap();
    let created =
        providers::paypal::checkout::start_order(&client, &pledge, "Gift", "https://r", "https://c")
            .await
            .unwrap();
    assert!(paypal.stand_in.approve(&created.id));
    let approved = events::order_approved(
        "WH-A",
        &created.id,
        &pledge.id.to_string(),
        pledge.reference.as_str(),
        "20.00",
        "EUR",
    );
    let (status, answer) = paypal.send(&approved).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(paypal.stand_in.order(&created.id).unwrap()["status"], "COMPLETED");
    // PayPal down: the delivery is 503 and stored nowhere, so PayPal retries it.
    paypal.stand_in.fail_with(Some(axum::http::StatusCode::SERVICE_UNAVAILABLE));
    let other = new_pledge(&pool, None, 500, Period::Once).await;
    let approved = events::order_approved(
        "WH-B",
        "5OUNKNOWN",
        &other.id.to_string(),
        other.reference.as_str(),
        "5.00",
        "EUR",
    );
    let (status, _) = paypal.send(&approved).await;
    assert_eq!(status, 503);
    assert_eq!(paypal.count("SELECT count(*) FROM webhook_event WHERE event_id = 'WH-B'").await, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn paypal_ending_a_subscription_asks_the_supporter_to_renew_by_mail(pool: PgPool) {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let mut settings = test_settings();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_host = "127.0.0.1".into();
    settings.mail.smtp_port = sink.port;
    settings.mail.smtp_security = SmtpSecurity::None;
    let paypal = paypal_app_with(pool.clone(), settings).await;
    let person = supporter(&pool, "Grete Weiß", "grete@example.org").await;
    let pledge = new_pledge(&pool, Some(person), 1500, Period::Monthly).await;
    let reference = pledge.reference.as_str();
    let activated =
        events::subscription("WH-S1", "BILLING.SUBSCRIPTION.ACTIVATED", "I-GRETE", reference, "ACTIVE");
    assert_eq!(paypal.send(&activated).await.0, 200);
    let sale = events::sale_completed("WH-P1", "SALE-G1", "I-GRETE", reference, "15.00", "EUR");
    assert_eq!(paypal.send(&sale).await.0, 200);
    let before = sink.wait_for(1).await.len();
    let suspended =
        events::subscription("WH-S2", "BILLING.SUBSCRIPTION.SUSPENDED", "I-GRETE", reference, "SUSPENDED");
    assert_eq!(paypal.send(&suspended).await.0, 200);
    let mails = sink.wait_for(before + 1).await;
    let renewal = hosting::testing::body_text(mails.last().unwrap());
    assert!(renewal.contains("/c/"), "a command link: {renewal}");
    let now = pledge::get(&pool, pledge.id).await.unwrap().unwrap();
    assert_eq!(now.status, PledgeStatus::NeedsRenewal);
}

/// The server binary with a configuration file; its exit code and standard error.
fn server_with(config: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.toml");
    std::fs::write(&path, config).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env_remove("DATABASE_URL")
        .env_remove("CDB_CONFIG")
        .env("RUST_LOG", "off")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn offering_paypal_without_its_settings_stops_start_up_naming_the_key() {
    let base = "[http]\nlisten = \"127.0.0.1:0\"\n[payments]\nmethods = [\"bank_transfer\", \"paypal\"]\n";
    let (code, stderr) = server_with(base);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("paypal.client_secret_file") && !stderr.contains("panicked"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "a-client-secret-never-shown").unwrap();
    let (code, stderr) =
        server_with(&format!("{base}[paypal]\nclient_secret_file = {:?}\n", secret.display().to_string()));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("paypal.client_id") && !stderr.contains("a-client-secret"), "{stderr}");
}

/// The scripted scenario of issue 14 for a PayPal donor: PayPal suspends the monthly
/// subscription → the pledge needs renewal → the mail arrives over SMTP → its link is followed
/// (GET shows, POST acts) → the donor switches to bank transfer, and the PayPal subscription is
/// cancelled so it can never charge again → the next imported statement pays the same pledge.
#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_paypal_donor_whose_subscription_was_suspended_renews_by_bank_transfer_and_the_statement_pays_the_same_pledge(
    pool: PgPool,
) {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let mut settings = test_settings();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_host = "127.0.0.1".into();
    settings.mail.smtp_port = sink.port;
    settings.mail.smtp_security = SmtpSecurity::None;
    let paypal = paypal_app_with(pool.clone(), settings).await;
    let person = supporter(&pool, "Grete Weiß", "grete@example.org").await;
    // 5.00 a month: the amount of the statement fixture's first entry.
    let pledge = new_pledge(&pool, Some(person), 500, Period::Monthly).await;
    let reference = pledge.reference.as_str();
    let activated =
        events::subscription("WH-R1", "BILLING.SUBSCRIPTION.ACTIVATED", "I-RENEW", reference, "ACTIVE");
    assert_eq!(paypal.send(&activated).await.0, 200);
    let sale = events::sale_completed("WH-R2", "SALE-R1", "I-RENEW", reference, "5.00", "EUR");
    assert_eq!(paypal.send(&sale).await.0, 200);
    let before = sink.wait_for(1).await.len();
    let suspended =
        events::subscription("WH-R3", "BILLING.SUBSCRIPTION.SUSPENDED", "I-RENEW", reference, "SUSPENDED");
    assert_eq!(paypal.send(&suspended).await.0, 200);
    let mails = sink.wait_for(before + 1).await;
    let token = crate::renewal::link_token(mails.last().unwrap());

    // GET shows the pledge and the ways to pay; nothing changes however often.
    let donor = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for _ in 0..2 {
        let response = donor.get(paypal.app.url(&format!("/c/{token}"))).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"value="bank_transfer""#) && html.contains(r#"value="paypal""#), "{html}");
    }
    assert_eq!(pledge::get(&pool, pledge.id).await.unwrap().unwrap().status, PledgeStatus::NeedsRenewal);
    assert!(paypal.stand_in.requests_to("POST /v1/billing/subscriptions/I-RENEW/cancel").is_empty());

    // POST: bank transfer. The transfer page follows; the suspended subscription is cancelled.
    let response = donor
        .post(paypal.app.url(&format!("/c/{token}")))
        .header("origin", paypal.app.origin.as_str())
        .form(&[("action", "renew_pledge"), ("method", "bank_transfer")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/donate/transfer/{}", pledge.id));
    let renewed = pledge::get(&pool, pledge.id).await.unwrap().unwrap();
    assert_eq!((renewed.status, renewed.method), (PledgeStatus::Active, Method::BankTransfer));
    assert_eq!(paypal.stand_in.requests_to("POST /v1/billing/subscriptions/I-RENEW/cancel").len(), 1);
    assert!(
        !domain::payment::renewal::collects(
            &mut pool.begin().await.unwrap(),
            &renewed,
            domain::payment::Provider::Paypal,
            "I-RENEW"
        )
        .await
        .unwrap()
    );
    // PayPal confirming the cancellation (a new event id) leaves the renewed pledge alone.
    let cancelled =
        events::subscription("WH-R4", "BILLING.SUBSCRIPTION.CANCELLED", "I-RENEW", reference, "CANCELLED");
    assert_eq!(paypal.send(&cancelled).await.0, 200);
    assert_eq!(pledge::get(&pool, pledge.id).await.unwrap().unwrap().status, PledgeStatus::Active);

    // The next statement pays the same pledge.
    let xml = providers::bank::testing::camt053_fixture(1, std::slice::from_ref(&pledge.reference));
    crate::renewal::import_statement(&pool, &xml, "paypal-renewal.xml").await;
    let payments = domain::payment::payment::for_pledge(&pool, pledge.id).await.unwrap();
    let mut paid_by: Vec<_> = payments.iter().map(|p| (p.provider.as_str(), p.amount.minor)).collect();
    paid_by.sort_unstable();
    assert_eq!(paid_by, [("bank", 500), ("paypal", 500)], "{payments:#?}");
    let paid = pledge::get(&pool, pledge.id).await.unwrap().unwrap();
    assert_eq!((paid.id, paid.status, paid.method), (pledge.id, PledgeStatus::Active, Method::BankTransfer));
    let after = sink.wait_for(mails.len() + 1).await;
    let thanks = hosting::testing::body_text(after.last().unwrap());
    assert!(!thanks.contains("/c/"), "a thank-you for the transfer, no second renewal mail: {thanks}");
}
