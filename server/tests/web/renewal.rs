// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Pledges outlive their collector, seen by the supporter: the renewal page of a `RenewPledge`
//! link (`GET /c/{token}` shows, `POST` acts) and of "My donations" (`/donations/{id}/renew`),
//! with the real router and idp on a real PostgreSQL, mail over SMTP to a real listener
//! (`hosting::testing::SmtpSink`), Stripe's API replaced by the local stand-in
//! (`providers::stripe::testing`) and every webhook signed exactly as Stripe signs it.
//!
//! Run: `cargo test -p server --test web renewal` (with `DATABASE_URL` as for every web test).

use crate::login::{self, location};
use crate::{test_settings, text};
use domain::audit::{Actor, Origin};
use domain::command_link::{self, Command};
use domain::email::Verification;
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::statement::{self, ImportOutcome, NewEntry, StatementFile, StatementFormat};
use domain::payment::{Currency, EndedBy, Method, Money, Period, PledgeStatus, Provider, subscription};
use domain::person::{self, NewPerson};
use domain::types::{DisplayName, Email, Language, PersonId};
use hosting::config::{MailTransport, SmtpSecurity};
use hosting::testing::{SinkOptions, SmtpSink, body_text};
use providers::stripe::signature;
use providers::stripe::testing::{self, StandIn};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::path::PathBuf;
use std::time::Duration;

/// The server's public address (the idp's redirect URIs, Stripe's return URLs).
const PUBLIC: &str = "http://localhost:1";
const WHSEC: &str = "whsec_test_renewal";
const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };
const CHECKOUT: &str = "POST /v1/checkout/sessions";

/// my.* with bank transfer and Stripe offered, Stripe's API the stand-in, mail to an SMTP
/// listener, the idp beside it and the demo supporter (Ada).
struct Stack {
    web: login::Stack,
    stripe: StandIn,
    smtp: SmtpSink,
    ada: PersonId,
    _files: tempfile::TempDir,
}

impl std::ops::Deref for Stack {
    type Target = login::Stack;
    fn deref(&self) -> &login::Stack {
        &self.web
    }
}

async fn stack(pool: PgPool) -> Stack {
    let ada = domain::demo::ensure(&pool).await.unwrap().person.id;
    let stripe = testing::start().await.unwrap();
    let smtp = SmtpSink::start(SinkOptions::default()).await;
    let files = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = files.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let mut settings = test_settings();
    settings.payments.methods = vec!["bank_transfer".into(), "stripe".into()];
    settings.stripe.secret_key_file = Some(file("sk", "sk_test_renewal"));
    settings.stripe.webhook_secret_files = vec![file("whsec", WHSEC)];
    settings.stripe.api_url = stripe.url();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_host = "127.0.0.1".into();
    settings.mail.smtp_port = smtp.port;
    settings.mail.smtp_security = SmtpSecurity::None;
    let web = login::stack_with(pool, settings).await;
    Stack { web, stripe, smtp, ada, _files: files }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn fixture(name: &str) -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../providers/tests/fixtures/stripe").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A Stripe subscription's events, made from the Stripe-documented fixtures.
struct Events<'a> {
    pledge: &'a str,
    subscription: &'a str,
    customer: &'a str,
}

impl Events<'_> {
    fn invoice_paid(&self, event_id: &str, invoice: &str, minor: i64) -> Value {
        let mut event = fixture("invoice_paid.json");
        event["id"] = json!(event_id);
        event["created"] = json!(now());
        let object = &mut event["data"]["object"];
        object["id"] = json!(invoice);
        object["customer"] = json!(self.customer);
        object["amount_paid"] = json!(minor);
        object["amount_due"] = json!(minor);
        object["total"] = json!(minor);
        object["subtotal"] = json!(minor);
        object["status_transitions"]["paid_at"] = json!(now());
        object["parent"]["subscription_details"]["subscription"] = json!(self.subscription);
        object["parent"]["subscription_details"]["metadata"]["pledge"] = json!(self.pledge);
        event
    }

    fn payment_failed(&self, event_id: &str, invoice: &str) -> Value {
        let mut event = fixture("invoice_payment_failed.json");
        event["id"] = json!(event_id);
        event["created"] = json!(now());
        let object = &mut event["data"]["object"];
        object["id"] = json!(invoice);
        object["customer"] = json!(self.customer);
        object["parent"]["subscription_details"]["subscription"] = json!(self.subscription);
        object["parent"]["subscription_details"]["metadata"]["pledge"] = json!(self.pledge);
        event
    }

    /// `customer.subscription.deleted` by the processor; `reason` as in
    /// `cancellation_details.reason` (`payment_failed`, or none).
    fn deleted(&self, event_id: &str, reason: Option<&str>) -> Value {
        let mut event = fixture("customer_subscription_deleted.json");
        event["id"] = json!(event_id);
        event["created"] = json!(now());
        let object = &mut event["data"]["object"];
        object["id"] = json!(self.subscription);
        object["customer"] = json!(self.customer);
        object["metadata"]["pledge"] = json!(self.pledge);
        object["cancellation_details"]["reason"] = json!(reason);
        event
    }

    /// A finished Checkout in subscription mode that made `self.subscription`.
    fn checkout_completed(&self, event_id: &str) -> Value {
        let mut event = fixture("checkout_session_completed_subscription.json");
        event["id"] = json!(event_id);
        event["created"] = json!(now());
        let object = &mut event["data"]["object"];
        object["metadata"]["pledge"] = json!(self.pledge);
        object["client_reference_id"] = json!(self.pledge);
        object["subscription"] = json!(self.subscription);
        object["customer"] = json!(self.customer);
        event
    }
}

impl Stack {
    /// Delivers an event signed as Stripe signs it (the endpoint secret, now); the status.
    async fn deliver(&self, event: &Value) -> u16 {
        let body = event.to_string();
        let header = signature::sign(body.as_bytes(), WHSEC, now());
        let response = self
            .app
            .client
            .post(self.app.url("/webhooks/stripe"))
            .header("content-type", "application/json")
            .header("stripe-signature", header)
            .body(body)
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }

    async fn get(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let response = client.get(self.app.url(path)).send().await.unwrap();
        (response.status().as_u16(), text(&response.text().await.unwrap()))
    }

    async fn post(&self, client: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        client.post(self.app.url(path)).header("origin", &self.app.origin).form(fields).send().await.unwrap()
    }

    async fn pledge(&self, pledge: &Pledge) -> Pledge {
        pledge::get(&self.app.pool, pledge.id).await.unwrap().unwrap()
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.app.pool).await.unwrap()
    }

    /// The newest mail holding `containing`, waiting up to 20 s for it.
    async fn mail_with(&self, containing: &str) -> String {
        for _ in 0..400 {
            if let Some(mail) =
                self.smtp.messages().into_iter().rev().find(|m| body_text(m).contains(containing))
            {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let messages = self.smtp.messages();
        let found = messages.iter().rev().find(|m| body_text(m).contains(containing)).cloned();
        assert!(found.is_some(), "no mail holding {containing:?}: {messages:#?}");
        found.unwrap()
    }

    fn mails_with(&self, containing: &str) -> usize {
        self.smtp.messages().iter().filter(|m| body_text(m).contains(containing)).count()
    }

    /// A monthly Stripe pledge of `person` collected by subscription `sub` of customer `cus`,
    /// paid once (an `invoice.paid` delivered): active, with one payment.
    async fn stripe_donor(&self, person: PersonId, minor: i64, sub: &str, cus: &str) -> Pledge {
        let mut tx = self.app.pool.begin().await.unwrap();
        let new = NewPledge {
            person: Some(person),
            amount: Money::new(minor, Currency::EUR),
            period: Period::Monthly,
            method: Method::Stripe,
            referrer: None,
        };
        let made = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
        subscription::upsert(&mut tx, made.id, Provider::Stripe, sub, "active", Some(cus)).await.unwrap();
        tx.commit().await.unwrap();
        let id = made.id.to_string();
        let events = Events { pledge: &id, subscription: sub, customer: cus };
        assert_eq!(
            self.deliver(&events.invoice_paid(&format!("evt_paid_{sub}"), &format!("in_{sub}_1"), minor))
                .await,
            200
        );
        let made = self.pledge(&made).await;
        assert_eq!(made.status, PledgeStatus::Active);
        made
    }

    /// A Stripe donor whose subscription the processor deleted: the pledge needs renewal; and
    /// a renewal link of it (issued like the mailed one).
    async fn lapsed(&self, person: PersonId, sub: &str, cus: &str) -> (Pledge, String) {
        let pledge = self.stripe_donor(person, 1000, sub, cus).await;
        let id = pledge.id.to_string();
        let events = Events { pledge: &id, subscription: sub, customer: cus };
        assert_eq!(self.deliver(&events.deleted(&format!("evt_del_{sub}"), None)).await, 200);
        assert_eq!(self.pledge(&pledge).await.status, PledgeStatus::NeedsRenewal);
        let token = issue(&self.app.pool, person, &pledge).await;
        (pledge, token)
    }

    /// Chooses `method` on the renewal page of link `token`.
    async fn choose(&self, client: &reqwest::Client, token: &str, method: &str) -> reqwest::Response {
        self.post(client, &format!("/c/{token}"), &[("action", "renew_pledge"), ("method", method)]).await
    }

    async fn link_used(&self, token: &str) -> bool {
        command_link::peek(&self.app.pool, token).await.unwrap().is_err()
    }
}

/// A renewal link of `person` for `pledge` (whoever owns it).
async fn issue(pool: &PgPool, person: PersonId, pledge: &Pledge) -> String {
    let mut tx = pool.begin().await.unwrap();
    let token =
        command_link::issue(&mut tx, person, &Command::RenewPledge { pledge: pledge.id }).await.unwrap();
    tx.commit().await.unwrap();
    token.expose_secret().to_owned()
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
    let verified = Verification::VerifiedAt(time::OffsetDateTime::now_utc());
    domain::email::add(&mut tx, ORIGIN, person.id, &email, true, verified).await.unwrap();
    tx.commit().await.unwrap();
    person.id
}

/// The token of the command link in a mail.
pub(crate) fn link_token(mail: &str) -> String {
    let body = body_text(mail);
    let start = body.find("/c/").expect("a command link in the mail") + 3;
    body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

/// Imports a camt.053 statement (`providers::bank::testing::camt053_fixture`) the way
/// `cdb-admin payments import` does.
pub(crate) async fn import_statement(pool: &PgPool, xml: &[u8], name: &str) {
    let parsed = providers::bank::parse(xml).unwrap();
    let entries: Vec<NewEntry> = parsed
        .entries
        .into_iter()
        .filter(|e| e.amount.minor > 0)
        .map(|e| NewEntry {
            position: e.position,
            booking_date: e.booking_date,
            amount: e.amount,
            is_credit: e.is_credit,
            bank_reference: e.bank_reference,
            remittance: e.remittance,
            structured_reference: e.structured_reference,
            counterparty_name: e.counterparty_name,
            counterparty_iban: e.counterparty_iban,
            kind: match e.kind {
                providers::bank::EntryKind::Transfer => statement::EntryKind::Transfer,
                providers::bank::EntryKind::Returned => statement::EntryKind::Returned,
                providers::bank::EntryKind::Payout => statement::EntryKind::Payout,
            },
        })
        .collect();
    // A file's identity is its hash; any fixed value distinct per file does here.
    let mut sha256 = [0u8; 32];
    for (i, b) in name.bytes().take(32).enumerate() {
        sha256[i] = b;
    }
    let file = StatementFile { sha256, file_name: name.into(), format: StatementFormat::Camt053 };
    let writer = app::mails::Writer { organisation: "Test Supporters".into(), origin: PUBLIC.into() };
    let outcome = statement::import(pool, ORIGIN, &file, &entries, &[Currency::EUR], &writer).await.unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { .. }), "{outcome:?}");
}

/// The scripted scenario of issue 14: a monthly Stripe donor's subscription is deleted by the
/// processor → the pledge needs renewal → the mail arrives over SMTP → its link is followed
/// (GET shows, POST acts) → the donor switches to bank transfer → the next imported statement
/// pays the same pledge.
#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_stripe_donor_whose_subscription_was_deleted_renews_by_bank_transfer_and_the_statement_pays_the_same_pledge(
    pool: PgPool,
) {
    let stack = stack(pool.clone()).await;
    // €5 a month: the amount of the generated statement's first credit.
    let pledge = stack.stripe_donor(stack.ada, 500, "sub_scenario", "cus_scenario").await;
    let id = pledge.id.to_string();
    let events = Events { pledge: &id, subscription: "sub_scenario", customer: "cus_scenario" };

    // The processor deletes the subscription after failed payments.
    assert_eq!(stack.deliver(&events.deleted("evt_del_scenario", Some("payment_failed"))).await, 200);
    assert_eq!(stack.pledge(&pledge).await.status, PledgeStatus::NeedsRenewal);

    // The mail, in Ada's language, with the link.
    let mail = stack.mail_with("choose a way to pay here").await;
    assert!(mail.contains("To: ada@example.org") || mail.contains("To: <ada@example.org>"), "{mail}");
    assert!(body_text(&mail).contains("gave up collecting it after several failed attempts"), "{mail}");
    let token = link_token(&mail);

    // Following it shows the pledge and changes nothing, however often it is fetched.
    let donor = browser();
    for _ in 0..3 {
        let (status, html) = stack.get(&donor, &format!("/c/{token}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Keep your donation going"), "{html}");
        assert!(html.contains("€5 · monthly"), "{html}");
        assert!(html.contains(&pledge.reference.grouped()), "the reference: {html}");
        assert!(html.contains("gave up collecting this donation after several failed attempts"), "{html}");
        assert!(html.contains(r#"value="bank_transfer""#) && html.contains(r#"value="stripe""#), "{html}");
        assert!(html.contains("Payments so far") && html.contains("€5"), "its payment: {html}");
    }
    assert!(!stack.link_used(&token).await, "GET never uses the link");
    assert_eq!(stack.pledge(&pledge).await.status, PledgeStatus::NeedsRenewal, "GET never acts");

    // The second click: bank transfer. The transfer details follow, for this browser.
    let response = stack
        .post(&donor, &format!("/c/{token}"), &[("action", "renew_pledge"), ("method", "bank_transfer")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), format!("/donate/transfer/{id}"));
    let (status, html) = stack.get(&donor, &format!("/donate/transfer/{id}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&pledge.reference.grouped()), "{html}");
    assert!(html.contains("standing order"), "{html}");
    let renewed = stack.pledge(&pledge).await;
    assert_eq!(
        (renewed.id, renewed.method, renewed.status),
        (pledge.id, Method::BankTransfer, PledgeStatus::Active)
    );
    assert_eq!(renewed.reference, pledge.reference, "same reference");
    assert!(stack.link_used(&token).await, "the link is spent");
    let (_, html) = stack.get(&donor, &format!("/c/{token}")).await;
    assert!(html.contains("your donation has a new way to pay"), "{html}");
    // The deleted subscription had ended at Stripe: nothing to cancel there.
    assert!(stack.stripe.requests_to("DELETE /v1/subscriptions/sub_scenario").is_empty());
    // Stripe delivering the deletion once more changes nothing.
    assert_eq!(stack.deliver(&events.deleted("evt_del_scenario", Some("payment_failed"))).await, 200);
    assert_eq!(stack.pledge(&pledge).await.status, PledgeStatus::Active);

    // The next statement pays the same pledge.
    let xml = providers::bank::testing::camt053_fixture(1, std::slice::from_ref(&pledge.reference));
    import_statement(&pool, &xml, "renewal-scenario.xml").await;
    let payments = domain::payment::payment::for_pledge(&pool, pledge.id).await.unwrap();
    assert_eq!(payments.len(), 2, "{payments:#?}");
    assert_eq!(payments.iter().filter(|p| p.provider == Provider::Bank && p.amount.minor == 500).count(), 1);
    let paid = stack.pledge(&pledge).await;
    assert_eq!((paid.id, paid.status, paid.method), (pledge.id, PledgeStatus::Active, Method::BankTransfer));
    let renewed_pledges =
        format!("SELECT count(*) FROM pledge WHERE person_id = '{}' AND amount_minor = 500", stack.ada);
    assert_eq!(stack.count(&renewed_pledges).await, 1, "no second pledge was made");
    // Ada sees it on "My donations": active, by bank transfer, nothing to renew.
    let client = &stack.app.client;
    stack.log_in(client, domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
    let (_, html) = stack.get(client, "/donations").await;
    let mine = article(&html, &id);
    assert!(mine.contains("€5 · monthly") && mine.contains("Bank transfer"), "{mine}");
    assert!(mine.contains(r#"<dd class="pledge-status">active</dd>"#), "{mine}");
    assert!(!mine.contains("Choose a new way to pay"), "{mine}");
}

/// The `<article>` of pledge `id` on "My donations".
fn article<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!(r#"id="pledge-{id}""#)).expect("the pledge's article");
    let end = html[start..].find("</article>").map_or(html.len(), |e| start + e);
    &html[start..end]
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_renewal_link_fetched_or_posted_with_hostile_values_changes_nothing(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let (pledge, token) = stack.lapsed(stack.ada, "sub_hostile", "cus_hostile").await;
    let donor = browser();
    let long = "b".repeat(5000);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("action", "renew_pledge")],
        vec![("action", "renew_pledge"), ("method", "")],
        vec![("action", "renew_pledge"), ("method", "cash")],
        vec![("action", "renew_pledge"), ("method", "BANK_TRANSFER")],
        vec![("action", "renew_pledge"), ("method", "bank_transfer\u{0}")],
        vec![("action", "renew_pledge"), ("method", " stripe")],
        // Not offered on this instance.
        vec![("action", "renew_pledge"), ("method", "paypal")],
        vec![("action", "renew_pledge"), ("method", &long)],
        // Stripe's billing portal cannot revive a deleted subscription: not offered.
        vec![("action", "update_card")],
        vec![("action", "renew_pledge "), ("method", "bank_transfer")],
    ];
    for fields in &cases {
        let response = stack.post(&donor, &format!("/c/{token}"), fields).await;
        assert_eq!(response.status(), 422, "{fields:?}");
    }
    // Another site cannot make a donor's browser choose.
    let response = donor
        .post(stack.app.url(&format!("/c/{token}")))
        .header("origin", "https://evil.example")
        .form(&[("action", "renew_pledge"), ("method", "bank_transfer")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let after = stack.pledge(&pledge).await;
    assert_eq!((after.method, after.status), (Method::Stripe, PledgeStatus::NeedsRenewal));
    assert!(!stack.link_used(&token).await);
    assert!(stack.stripe.requests_to(CHECKOUT).is_empty(), "no checkout started");
    let (_, html) = stack.get(&donor, &format!("/c/{token}")).await;
    assert!(html.contains("Keep your donation going"), "still usable: {html}");
    assert!(!html.contains("Update my card"), "{html}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn expired_used_cancelled_one_off_and_other_persons_renewal_links_are_refused_and_change_nothing(
    pool: PgPool,
) {
    let stack = stack(pool.clone()).await;
    let donor = browser();

    // Expired: the page offers a fresh link by mail; choosing changes nothing.
    let (expired, token) = stack.lapsed(stack.ada, "sub_expired", "cus_expired").await;
    domain::testing::expire_command_link(&pool, &token, time::Duration::days(31)).await.unwrap();
    let (_, html) = stack.get(&donor, &format!("/c/{token}")).await;
    assert!(html.contains("This link has expired") && html.contains(r#"value="renew""#), "{html}");
    let response = stack.choose(&donor, &token, "bank_transfer").await;
    assert_eq!(location(&response), format!("/c/{token}"));
    assert_eq!(stack.pledge(&expired).await.method, Method::Stripe);
    stack.post(&donor, &format!("/c/{token}"), &[("action", "renew")]).await;
    let (_, html) = stack.get(&donor, &format!("/c/{token}")).await;
    assert!(html.contains("We have sent a fresh link") && html.contains("30 days"), "{html}");
    let fresh = link_token(&stack.mail_with("here is a fresh link to choose a new way to pay").await);
    assert_ne!(fresh, token);
    let (_, html) = stack.get(&donor, &format!("/c/{fresh}")).await;
    assert!(html.contains("Keep your donation going"), "the fresh link works: {html}");

    // Used: a second choice with the same link does nothing.
    let response = stack.choose(&donor, &fresh, "bank_transfer").await;
    assert_eq!(location(&response), format!("/donate/transfer/{}", expired.id));
    let response = stack.choose(&donor, &fresh, "stripe").await;
    assert_eq!(location(&response), format!("/c/{fresh}"));
    assert!(stack.stripe.requests_to(CHECKOUT).is_empty());
    assert_eq!(stack.pledge(&expired).await.method, Method::BankTransfer);
    let (_, html) = stack.get(&donor, &format!("/c/{fresh}")).await;
    assert!(html.contains("This link has been used already"), "{html}");

    // A cancelled pledge.
    let (cancelled, token) = stack.lapsed(stack.ada, "sub_cancelled", "cus_cancelled").await;
    let mut tx = pool.begin().await.unwrap();
    pledge::end(&mut tx, ORIGIN, cancelled.id, EndedBy::Supporter).await.unwrap();
    tx.commit().await.unwrap();
    let (status, html) = stack.get(&donor, &format!("/c/{token}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("This donation cannot be renewed") && html.contains("was cancelled"), "{html}");
    assert!(!html.contains(r#"value="bank_transfer""#), "{html}");
    let response = stack.choose(&donor, &token, "bank_transfer").await;
    assert_eq!(location(&response), format!("/c/{token}"));
    let after = stack.pledge(&cancelled).await;
    assert_eq!((after.status, after.method), (PledgeStatus::Cancelled, Method::Stripe));
    assert!(!stack.link_used(&token).await, "a refused renewal leaves the link as it was");

    // Another person's pledge: a link of Grace's naming Ada's pledge.
    let (adas, _) = stack.lapsed(stack.ada, "sub_adas", "cus_adas").await;
    let grace = supporter(&pool, "Grace", "grace@example.org").await;
    let token = issue(&pool, grace, &adas).await;
    let (_, html) = stack.get(&donor, &format!("/c/{token}")).await;
    assert!(html.contains("This link does not belong to this donation"), "{html}");
    assert!(!html.contains(&adas.reference.grouped()), "nothing of Ada's pledge is shown: {html}");
    let response = stack.choose(&donor, &token, "bank_transfer").await;
    assert_eq!(location(&response), format!("/c/{token}"));
    let after = stack.pledge(&adas).await;
    assert_eq!((after.status, after.method), (PledgeStatus::NeedsRenewal, Method::Stripe));
    let (status, _) = stack.get(&donor, &format!("/donate/transfer/{}", adas.id)).await;
    assert_eq!(status, 404, "nor may this browser see Ada's transfer details");

    // A one-off gift.
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person: Some(stack.ada),
        amount: Money::new(2500, Currency::EUR),
        period: Period::Once,
        method: Method::Stripe,
        referrer: None,
    };
    let once = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    let token = issue(&pool, stack.ada, &once).await;
    let (_, html) = stack.get(&donor, &format!("/c/{token}")).await;
    assert!(html.contains("This was a one-off gift"), "{html}");
    stack.choose(&donor, &token, "bank_transfer").await;
    assert_eq!(stack.pledge(&once).await.method, Method::Stripe);

    // German readers get German pages.
    let (_, html) = {
        let response = donor
            .get(stack.app.url(&format!("/c/{token}")))
            .header("accept-language", "de")
            .send()
            .await
            .unwrap();
        (response.status(), text(&response.text().await.unwrap()))
    };
    assert!(html.contains("Dies war eine einmalige Spende"), "{html}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_card_renewal_starts_a_checkout_for_the_same_pledge_which_an_abandoned_checkout_leaves_usable_and_the_webhook_completes(
    pool: PgPool,
) {
    let stack = stack(pool.clone()).await;
    let (pledge, token) = stack.lapsed(stack.ada, "sub_card_old", "cus_card").await;
    let id = pledge.id.to_string();
    let donor = browser();

    let response = stack.choose(&donor, &token, "stripe").await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("https://checkout.stripe.com/c/pay/"), "{}", location(&response));
    let requests = stack.stripe.requests_to(CHECKOUT);
    assert_eq!(requests.len(), 1);
    let first = &requests[0];
    assert_eq!(first.param("metadata[pledge]"), Some(id.as_str()));
    assert_eq!(first.param("subscription_data[metadata][pledge]"), Some(id.as_str()));
    assert_eq!(first.param("mode"), Some("subscription"));
    assert_eq!(first.param("line_items[0][price_data][unit_amount]"), Some("1000"));
    assert_eq!(first.param("customer"), Some("cus_card"), "the customer Ada has with us");
    assert_eq!(first.param("success_url"), Some(format!("{PUBLIC}/renew/thanks").as_str()));
    assert_eq!(first.param("cancel_url"), Some(format!("{PUBLIC}/renew/cancelled").as_str()));
    let key = first.idempotency_key.clone().unwrap();
    assert!(key.starts_with(&format!("renew-{id}-")), "{key}");
    assert!(!first.params.iter().any(|(_, v)| v.contains(&token)), "the token never goes to Stripe");
    assert_eq!(stack.pledge(&pledge).await.status, PledgeStatus::NeedsRenewal, "nothing changes yet");
    assert!(!stack.link_used(&token).await);

    // Abandoned: the cancel page says so and leads back to the same link, still usable.
    let (status, html) = stack.get(&donor, "/renew/cancelled").await;
    assert_eq!(status, 200);
    assert!(html.contains("Nothing has changed") && html.contains("nothing was charged"), "{html}");
    assert!(html.contains(&format!(r#"href="/c/{token}""#)), "{html}");
    let (_, html) = stack.get(&browser(), "/renew/cancelled").await;
    assert!(html.contains("follow the link in our mail once more"), "another browser: {html}");
    let response = stack.choose(&donor, &token, "stripe").await;
    assert_eq!(response.status(), 303);
    let requests = stack.stripe.requests_to(CHECKOUT);
    assert_eq!(requests.len(), 2);
    assert_ne!(requests[1].idempotency_key.as_deref(), Some(key.as_str()), "a fresh key per attempt");

    // Stripe confirms the new subscription: the pledge is collected by it, the link spent.
    let events = Events { pledge: &id, subscription: "sub_card_new", customer: "cus_card" };
    assert_eq!(stack.deliver(&events.checkout_completed("evt_cs_card_new")).await, 200);
    let renewed = stack.pledge(&pledge).await;
    assert_eq!(
        (renewed.id, renewed.method, renewed.status),
        (pledge.id, Method::Stripe, PledgeStatus::Active)
    );
    assert!(stack.link_used(&token).await, "the provider's confirmation spends the link");
    let (_, html) = stack.get(&donor, &format!("/c/{token}")).await;
    assert!(html.contains("your donation has a new way to pay"), "{html}");
    let (status, html) = stack.get(&donor, "/renew/thanks").await;
    assert_eq!(status, 200);
    assert!(html.contains("continues as soon as the payment service confirms"), "{html}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_failing_card_is_updated_in_the_portal_or_the_pledge_moves_to_bank_transfer_and_its_subscription_is_cancelled(
    pool: PgPool,
) {
    let stack = stack(pool.clone()).await;
    let pledge = stack.stripe_donor(stack.ada, 1500, "sub_failing", "cus_failing").await;
    let id = pledge.id.to_string();
    stack.stripe.put(testing::objects::subscription(
        "sub_failing",
        "cus_failing",
        Money::new(1500, Currency::EUR),
        Period::Monthly,
        Some(&id),
    ));
    let events = Events { pledge: &id, subscription: "sub_failing", customer: "cus_failing" };
    assert_eq!(stack.deliver(&events.payment_failed("evt_fail_1", "in_sub_failing_2")).await, 200);
    let token = link_token(&stack.mail_with("did not go through").await);

    let donor = browser();
    let (_, html) = stack.get(&donor, &format!("/c/{token}")).await;
    assert!(html.contains("The latest payment of this donation did not go through"), "{html}");
    assert!(html.contains("Update my card") && html.contains(r#"value="update_card""#), "{html}");
    assert!(html.contains(r#"value="bank_transfer""#), "{html}");
    // Still collected by its subscription: a second Checkout would charge twice.
    assert!(!html.contains(r#"value="stripe""#), "{html}");
    let response =
        stack.post(&donor, &format!("/c/{token}"), &[("action", "renew_pledge"), ("method", "stripe")]).await;
    assert_eq!(response.status(), 422);

    // The card: Stripe's billing portal for Ada's customer; nothing changes here.
    let response = stack.post(&donor, &format!("/c/{token}"), &[("action", "update_card")]).await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("https://billing.stripe.com/"), "{}", location(&response));
    let portal = stack.stripe.requests_to("POST /v1/billing_portal/sessions");
    assert_eq!(portal.len(), 1);
    assert_eq!(portal[0].param("customer"), Some("cus_failing"));
    assert_eq!(portal[0].param("return_url"), Some(format!("{PUBLIC}/renew/thanks").as_str()));
    assert!(!stack.link_used(&token).await);

    // Or bank transfer: the subscription is cancelled at Stripe at once.
    let response = stack
        .post(&donor, &format!("/c/{token}"), &[("action", "renew_pledge"), ("method", "bank_transfer")])
        .await;
    assert_eq!(location(&response), format!("/donate/transfer/{id}"));
    assert_eq!(stack.stripe.requests_to("DELETE /v1/subscriptions/sub_failing").len(), 1);
    assert_eq!(
        stack
            .count("SELECT count(*) FROM provider_subscription WHERE provider_id = 'sub_failing' AND cancelled_at IS NOT NULL")
            .await,
        1
    );
    let renewed = stack.pledge(&pledge).await;
    assert_eq!((renewed.method, renewed.status), (Method::BankTransfer, PledgeStatus::Active));
    // Stripe then reports the subscription deleted: we asked for it, the pledge goes on.
    assert_eq!(stack.deliver(&events.deleted("evt_del_failing", None)).await, 200);
    let after = stack.pledge(&pledge).await;
    assert_eq!((after.method, after.status), (Method::BankTransfer, PledgeStatus::Active));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stack.mails_with("choose a way to pay here"), 0, "no renewal mail for it");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn when_stripe_does_not_answer_the_bank_renewal_stands_and_the_cancellation_is_left_for_the_job(
    pool: PgPool,
) {
    let stack = stack(pool.clone()).await;
    let pledge = stack.stripe_donor(stack.ada, 1500, "sub_down", "cus_down").await;
    let token = issue(&pool, stack.ada, &pledge).await;
    stack.stripe.fail_with(Some(503));
    let response = stack
        .post(&browser(), &format!("/c/{token}"), &[("action", "renew_pledge"), ("method", "bank_transfer")])
        .await;
    assert_eq!(location(&response), format!("/donate/transfer/{}", pledge.id));
    assert_eq!(stack.pledge(&pledge).await.method, Method::BankTransfer);
    let today = time::OffsetDateTime::now_utc().date();
    let due = domain::payment::renewal::due_cancellations(&pool, Provider::Stripe, today, 10).await.unwrap();
    assert_eq!(due.iter().map(|s| s.provider_id.as_str()).collect::<Vec<_>>(), ["sub_down"]);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_failed_payment_mails_once_per_episode(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let pledge = stack.stripe_donor(stack.ada, 1000, "sub_episode", "cus_episode").await;
    let id = pledge.id.to_string();
    let events = Events { pledge: &id, subscription: "sub_episode", customer: "cus_episode" };
    let queued = "SELECT count(*) FROM mail_job WHERE kind = 'payment_failed'";

    assert_eq!(stack.deliver(&events.payment_failed("evt_ep_1", "in_ep_2")).await, 200);
    assert_eq!(stack.count(queued).await, 1, "the first failure mails");
    stack.mail_with("did not go through").await;
    // Stripe retries the same invoice and fails again: the same episode, no second mail.
    assert_eq!(stack.deliver(&events.payment_failed("evt_ep_2", "in_ep_2")).await, 200);
    assert_eq!(stack.count(queued).await, 1, "a second failure of the episode mails nothing");
    // A payment ends the episode; the next failure is a new one.
    assert_eq!(stack.deliver(&events.invoice_paid("evt_ep_paid", "in_ep_2", 1000)).await, 200);
    assert_eq!(stack.deliver(&events.payment_failed("evt_ep_3", "in_ep_3")).await, 200);
    assert_eq!(stack.count(queued).await, 2, "a payment then a failure mails again");
    for _ in 0..200 {
        if stack.mails_with("did not go through") == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stack.mails_with("did not go through"), 2, "both arrived over SMTP");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_owner_renews_from_my_donations(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let (pledge, _) = stack.lapsed(stack.ada, "sub_owner", "cus_owner").await;
    let id = pledge.id.to_string();
    let path = format!("/donations/{id}/renew");

    // Logged out: to the login, and back here afterwards.
    let stranger = browser();
    let response = stranger.get(stack.app.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), format!("/login?next={path}"));
    let response = stack.post(&stranger, &path, &[("method", "bank_transfer")]).await;
    assert_eq!(response.status(), 401);

    let client = &stack.app.client;
    stack.log_in(client, domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
    let (_, html) = stack.get(client, "/donations").await;
    let mine = article(&html, &id);
    assert!(mine.contains(r#"<dd class="pledge-status">needs a new way to pay</dd>"#), "{mine}");
    assert!(
        mine.contains(&format!(r#"href="{path}""#)) && mine.contains("Choose a new way to pay"),
        "{mine}"
    );
    let (status, html) = stack.get(client, &path).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Keep your donation going") && html.contains(r#"value="bank_transfer""#), "{html}");

    // Someone else's pledge, or none: not found, whatever is posted.
    let grace = supporter(&pool, "Grace", "grace@example.org").await;
    let (graces, _) = stack.lapsed(grace, "sub_grace", "cus_grace").await;
    for other in [format!("/donations/{}/renew", graces.id), "/donations/not-a-pledge/renew".into()] {
        let (status, _) = stack.get(client, &other).await;
        assert_eq!(status, 404, "{other}");
        let response = stack.post(client, &other, &[("method", "bank_transfer")]).await;
        assert_eq!(response.status(), 404, "{other}");
    }
    assert_eq!(stack.pledge(&graces).await.method, Method::Stripe);
    let response = stack.post(client, &path, &[("method", "cash")]).await;
    assert_eq!(response.status(), 422);

    // Bank transfer: the transfer details.
    let response = stack.post(client, &path, &[("method", "bank_transfer")]).await;
    assert_eq!(location(&response), format!("/donate/transfer/{id}"));
    let (status, _) = stack.get(client, &format!("/donate/transfer/{id}")).await;
    assert_eq!(status, 200);
    let renewed = stack.pledge(&pledge).await;
    assert_eq!((renewed.method, renewed.status), (Method::BankTransfer, PledgeStatus::Active));
    let (_, html) = stack.get(client, "/donations").await;
    assert!(!article(&html, &id).contains("Choose a new way to pay"), "{html}");
}

/// A late event about the subscription a pledge lost, delivered after the supporter renewed by
/// bank transfer (Stripe sends `customer.subscription.updated` to `canceled` and
/// `customer.subscription.deleted` as two events, in any order), must not make the renewed
/// pledge need renewal again, nor mail again: only the pledge's current collector ending says
/// anything about it (`renewal::collects`).
#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_late_event_about_the_lost_subscription_leaves_the_renewed_pledge_alone(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let (pledge, token) = stack.lapsed(stack.ada, "sub_late", "cus_late").await;
    let response = stack.choose(&browser(), &token, "bank_transfer").await;
    assert_eq!(location(&response), format!("/donate/transfer/{}", pledge.id));
    let id = pledge.id.to_string();
    let events = Events { pledge: &id, subscription: "sub_late", customer: "cus_late" };
    assert_eq!(stack.deliver(&events.deleted("evt_late_other", Some("payment_failed"))).await, 200);
    let after = stack.pledge(&pledge).await;
    assert_eq!((after.method, after.status), (Method::BankTransfer, PledgeStatus::Active));
}
