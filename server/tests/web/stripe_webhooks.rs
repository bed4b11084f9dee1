// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /webhooks/stripe` end to end: the real router on a real PostgreSQL, deliveries made of
//! the Stripe-documented event objects in `providers/tests/fixtures/stripe/` (ids and amounts
//! changed per test) and signed exactly as Stripe signs them (`signature::sign`). Invoices come
//! without `payments`, as webhooks of API version `2026-09-30` send them: a refund or dispute of
//! a subscription charge is tied to its invoice through Stripe's API, here the local stand-in
//! `providers::stripe::testing` (tests that never need the API point it at a closed port).
//!
//! `cargo test -p server --test web stripe` (with `DATABASE_URL` as for every web test; the
//! restart test starts a cluster of its own with `scripts/pg.sh`).

use crate::{TestApp, spawn_app, spawn_app_with, test_settings};
use domain::audit::{Actor, Origin};
use domain::email::Verification;
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::{Currency, Method, Money, Period};
use domain::person::{self, NewPerson};
use domain::types::{DisplayName, Email, Language, PersonId};
use providers::stripe::signature;
use providers::stripe::testing::{self, StandIn, objects};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::path::PathBuf;
use std::time::Duration;

const SECRET: &str = "whsec_test_current_0123456789";
const OLD_SECRET: &str = "whsec_test_rotated_out_98765";
const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };

/// A server with Stripe configured: two webhook secrets (a rotation), a small body limit.
struct Stripe {
    app: TestApp,
    _secrets: tempfile::TempDir,
}

fn stripe_settings(dir: &std::path::Path) -> hosting::config::Settings {
    // Nothing listens there: these webhooks must not need Stripe's API.
    stripe_settings_for(dir, "sk_test_never_used", "http://127.0.0.1:1/")
}

/// Stripe configured with this secret key and API base.
fn stripe_settings_for(dir: &std::path::Path, key: &str, api_url: &str) -> hosting::config::Settings {
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let mut settings = test_settings();
    settings.payments.methods = vec!["bank_transfer".into(), "stripe".into()];
    settings.stripe.secret_key_file = Some(file("sk", key));
    settings.stripe.webhook_secret_files = vec![file("whsec", SECRET), file("whsec_old", OLD_SECRET)];
    settings.stripe.api_url = api_url.into();
    settings.stripe.webhook_body_limit_bytes = 64 * 1024;
    settings
}

async fn stripe_app(pool: PgPool) -> Stripe {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(pool, stripe_settings(dir.path())).await;
    Stripe { app, _secrets: dir }
}

/// A server whose Stripe API is `api_url` (a stand-in's), with a test key.
async fn stripe_app_on(pool: PgPool, key: &str, api_url: &str) -> Stripe {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(pool, stripe_settings_for(dir.path(), key, api_url)).await;
    Stripe { app, _secrets: dir }
}

/// What Stripe's API knows of a subscription charge: its Charge `ch_<invoice>` of PaymentIntent
/// `pi_<invoice>`, which paid `invoice` (the invoice payment).
fn subscription_charge(stand_in: &StandIn, invoice: &str, minor: i64) {
    let amount = Money::new(minor, Currency::EUR);
    let (charge, intent) = (format!("ch_{invoice}"), format!("pi_{invoice}"));
    stand_in.put(objects::charge(&charge, Some(&intent), amount, minor));
    stand_in.put(objects::payment_intent(&intent, amount, None, Some(&charge)));
    stand_in.put(objects::invoice_payment(&format!("inpay_{invoice}"), invoice, &intent, amount));
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn fixture(name: &str) -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../providers/tests/fixtures/stripe").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Sends a body with a `Stripe-Signature` (or none); returns the status.
async fn deliver(client: &reqwest::Client, url: &str, body: &str, signature: Option<&str>) -> u16 {
    let mut request = client.post(url).header("content-type", "application/json").body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    request.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
}

impl Stripe {
    fn url(&self) -> String {
        self.app.url("/webhooks/stripe")
    }

    /// Delivers an event signed with the current secret, now.
    async fn send(&self, event: &Value) -> u16 {
        let body = event.to_string();
        let header = signature::sign(body.as_bytes(), SECRET, now());
        deliver(&self.app.client, &self.url(), &body, Some(&header)).await
    }

    async fn count(&self, sql: &str) -> i64 {
        count(&self.app.pool, sql).await
    }
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
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

async fn new_pledge(pool: &PgPool, person: Option<PersonId>, minor: i64, period: Period) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person,
        amount: Money::new(minor, Currency::EUR),
        period,
        method: Method::Stripe,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

/// A paid one-off Checkout (payment mode) for `pledge`, as `checkout.session.completed`.
fn checkout_paid(
    event_id: &str,
    pledge: &str,
    payment_intent: &str,
    minor: i64,
    currency: &str,
    email: &str,
) -> Value {
    let mut event = fixture("checkout_session_completed.json");
    event["id"] = json!(event_id);
    let object = &mut event["data"]["object"];
    object["id"] = json!(format!("cs_test_{event_id}"));
    object["metadata"]["pledge"] = json!(pledge);
    object["client_reference_id"] = json!(pledge);
    object["payment_intent"] = json!(payment_intent);
    object["amount_total"] = json!(minor);
    object["amount_subtotal"] = json!(minor);
    object["currency"] = json!(currency);
    object["customer_details"]["email"] = json!(email);
    event
}

/// `invoice.paid` of a subscription's invoice; as in webhooks of this API version, it does not
/// list its payments (the fixture has no `payments`).
fn invoice_paid(
    event_id: &str,
    invoice: &str,
    subscription: &str,
    pledge: &str,
    minor: i64,
    paid_at: i64,
) -> Value {
    let mut event = fixture("invoice_paid.json");
    event["id"] = json!(event_id);
    event["created"] = json!(paid_at);
    let object = &mut event["data"]["object"];
    object["id"] = json!(invoice);
    object["amount_paid"] = json!(minor);
    object["amount_due"] = json!(minor);
    object["total"] = json!(minor);
    object["subtotal"] = json!(minor);
    object["status_transitions"]["paid_at"] = json!(paid_at);
    object["parent"]["subscription_details"]["subscription"] = json!(subscription);
    object["parent"]["subscription_details"]["metadata"]["pledge"] = json!(pledge);
    event
}

/// `charge.refunded`: `refunded` of `minor` refunded now, `before` refunded earlier.
fn charge_refunded(
    event_id: &str,
    charge: &str,
    payment_intent: &str,
    minor: i64,
    refunded: i64,
    before: i64,
) -> Value {
    let mut event = fixture("charge_refunded.json");
    event["id"] = json!(event_id);
    let object = &mut event["data"]["object"];
    object["id"] = json!(charge);
    object["payment_intent"] = json!(payment_intent);
    object["amount"] = json!(minor);
    object["amount_captured"] = json!(minor);
    object["amount_refunded"] = json!(refunded);
    object["refunded"] = json!(refunded >= minor);
    event["data"]["previous_attributes"] = json!({ "amount_refunded": before, "refunded": false });
    event
}

/// `charge.dispute.created` of `minor` of a charge, naming its PaymentIntent or not.
fn dispute_created(
    event_id: &str,
    dispute: &str,
    charge: &str,
    payment_intent: Option<&str>,
    minor: i64,
) -> Value {
    let mut event = fixture("charge_dispute_created.json");
    event["id"] = json!(event_id);
    let object = &mut event["data"]["object"];
    object["id"] = json!(dispute);
    object["charge"] = json!(charge);
    object["payment_intent"] = json!(payment_intent);
    object["amount"] = json!(minor);
    event
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn without_stripe_configured_the_webhook_is_not_found(pool: PgPool) {
    let app = spawn_app(pool).await;
    let body = fixture("checkout_session_completed.json").to_string();
    let header = signature::sign(body.as_bytes(), SECRET, now());
    assert_eq!(deliver(&app.client, &app.url("/webhooks/stripe"), &body, Some(&header)).await, 404);
    assert_eq!(count(&app.pool, "SELECT count(*) FROM webhook_event").await, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn stripe_deliveries_that_are_not_authentic_or_too_large_are_refused_and_store_nothing(pool: PgPool) {
    let stripe = stripe_app(pool).await;
    let ada = supporter(&stripe.app.pool, "Ada", "ada@example.org").await;
    let gift = new_pledge(&stripe.app.pool, Some(ada), 2500, Period::Once).await;
    let event = checkout_paid("evt_bad_1", &gift.id.to_string(), "pi_bad_1", 2500, "eur", "ada@example.org");
    let body = event.to_string();
    let (url, client) = (stripe.url(), &stripe.app.client);
    let t = now();

    let forged = signature::sign(body.as_bytes(), "whsec_someone_else", t);
    let stale = signature::sign(body.as_bytes(), SECRET, t - 600);
    let future = signature::sign(body.as_bytes(), SECRET, t + 600);
    let other_body = signature::sign(body.replace("2500", "2600").as_bytes(), SECRET, t);
    let garbage = "t=abc,v1=zz".to_owned();
    for (what, header) in [
        ("missing", None),
        ("forged", Some(forged.as_str())),
        ("stale", Some(stale.as_str())),
        ("future", Some(future.as_str())),
        ("for another body", Some(other_body.as_str())),
        ("malformed", Some(garbage.as_str())),
    ] {
        assert_eq!(deliver(client, &url, &body, header).await, 400, "{what}");
    }
    // The right signature on a body changed afterwards.
    let signed = signature::sign(body.as_bytes(), SECRET, t);
    assert_eq!(
        deliver(client, &url, &body.replace("2500", "2600"), Some(&signed)).await,
        400,
        "changed body"
    );
    // Authentic but not an event.
    for not_event in ["{\"id\":", "[]", "{\"id\":\"x\",\"object\":\"customer\"}", "\u{0}"] {
        let header = signature::sign(not_event.as_bytes(), SECRET, t);
        assert_eq!(deliver(client, &url, not_event, Some(&header)).await, 400, "{not_event:?}");
    }
    // Too large: by its Content-Length, and streamed without one.
    let large = format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    let header = signature::sign(large.as_bytes(), SECRET, t);
    assert_eq!(deliver(client, &url, &large, Some(&header)).await, 413, "by length");
    let streamed = chunked_post(&stripe.app.address, &header, 80, 1024).await;
    assert_eq!(streamed, 413, "streamed");

    assert_eq!(stripe.count("SELECT count(*) FROM webhook_event").await, 0);
    assert_eq!(stripe.count("SELECT count(*) FROM payment").await, 0);
    assert_eq!(stripe.count("SELECT count(*) FROM payment_flag").await, 0);

    // The same event, signed right, is taken: the refusals above were about the deliveries.
    assert_eq!(stripe.send(&event).await, 200);
    assert_eq!(stripe.count("SELECT count(*) FROM payment").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn stripe_signatures_of_both_secrets_count_during_a_rotation(pool: PgPool) {
    let stripe = stripe_app(pool).await;
    let ada = supporter(&stripe.app.pool, "Ada", "ada@example.org").await;
    for (n, secret) in [SECRET, OLD_SECRET].into_iter().enumerate() {
        let gift = new_pledge(&stripe.app.pool, Some(ada), 2500, Period::Once).await;
        let event = checkout_paid(
            &format!("evt_rot_{n}"),
            &gift.id.to_string(),
            &format!("pi_rot_{n}"),
            2500,
            "eur",
            "ada@example.org",
        );
        let body = event.to_string();
        let header = signature::sign(body.as_bytes(), secret, now());
        assert_eq!(deliver(&stripe.app.client, &stripe.url(), &body, Some(&header)).await, 200, "{secret}");
    }
    // Stripe signs with both while rolling a secret: one good `v1` among others is enough.
    let gift = new_pledge(&stripe.app.pool, Some(ada), 2500, Period::Once).await;
    let event =
        checkout_paid("evt_rot_both", &gift.id.to_string(), "pi_rot_both", 2500, "eur", "ada@example.org");
    let body = event.to_string();
    let t = now();
    let unknown = signature::sign(body.as_bytes(), "whsec_unknown", t);
    let good = signature::sign(body.as_bytes(), OLD_SECRET, t);
    let both = format!("{unknown},{}", good.split(',').nth(1).unwrap());
    assert_eq!(deliver(&stripe.app.client, &stripe.url(), &body, Some(&both)).await, 200);
    assert_eq!(stripe.count("SELECT count(*) FROM payment").await, 3);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_replayed_stripe_event_changes_nothing(pool: PgPool) {
    let stripe = stripe_app(pool).await;
    let ada = supporter(&stripe.app.pool, "Ada", "ada@example.org").await;
    let gift = new_pledge(&stripe.app.pool, Some(ada), 2500, Period::Once).await;
    let event =
        checkout_paid("evt_replay", &gift.id.to_string(), "pi_replay", 2500, "eur", "ada@example.org");
    assert_eq!(stripe.send(&event).await, 200);
    let snapshot =
        "SELECT (SELECT count(*) FROM webhook_event) * 1000000 + (SELECT count(*) FROM payment) * 10000
                    + (SELECT count(*) FROM mail_job) * 100 + (SELECT count(*) FROM audit_log)";
    let before = stripe.count(snapshot).await;
    assert_eq!(stripe.count("SELECT count(*) FROM payment WHERE provider_object_id = 'pi_replay'").await, 1);
    assert_eq!(
        stripe.count("SELECT count(*) FROM mail_job WHERE kind = 'thank_you'").await,
        1,
        "thanked once"
    );
    for _ in 0..3 {
        // A replay is a fresh, valid signature of the same event.
        assert_eq!(stripe.send(&event).await, 200);
    }
    assert_eq!(stripe.count(snapshot).await, before);
    // The async success of the same payment (another event) registers nothing new either.
    let mut succeeded = event.clone();
    succeeded["id"] = json!("evt_replay_async");
    succeeded["type"] = json!("checkout.session.async_payment_succeeded");
    assert_eq!(stripe.send(&succeeded).await, 200);
    assert_eq!(stripe.count("SELECT count(*) FROM payment").await, 1);
    let pledge_status: String = sqlx::query_scalar("SELECT status::text FROM pledge WHERE id = $1")
        .bind(gift.id)
        .fetch_one(&stripe.app.pool)
        .await
        .unwrap();
    assert_eq!(pledge_status, "active");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn stripe_payments_that_do_not_match_their_pledge_are_stored_flagged_and_not_applied(pool: PgPool) {
    let stripe = stripe_app(pool).await;
    let db = &stripe.app.pool;
    let ada = supporter(db, "Ada", "ada@example.org").await;
    let bob = supporter(db, "Bob", "bob@example.org").await;
    let adas = new_pledge(db, Some(ada), 2500, Period::Once).await.id.to_string();
    let bobs = new_pledge(db, Some(bob), 2500, Period::Once).await.id.to_string();
    let unknown = uuid::Uuid::new_v4().to_string();
    let cases = [
        (
            "evt_f_unknown",
            checkout_paid("evt_f_unknown", &unknown, "pi_f1", 2500, "eur", "ada@example.org"),
            "unknown_pledge",
        ),
        (
            "evt_f_garbage",
            checkout_paid(
                "evt_f_garbage",
                "'; DROP TABLE pledge; --",
                "pi_f2",
                2500,
                "eur",
                "ada@example.org",
            ),
            "unknown_pledge",
        ),
        (
            "evt_f_other",
            checkout_paid("evt_f_other", &bobs, "pi_f3", 2500, "eur", "ada@example.org"),
            "other_persons_pledge",
        ),
        (
            "evt_f_currency",
            checkout_paid("evt_f_currency", &adas, "pi_f4", 2500, "usd", "ada@example.org"),
            "currency_mismatch",
        ),
        (
            "evt_f_amount",
            checkout_paid("evt_f_amount", &adas, "pi_f5", 2400, "eur", "ada@example.org"),
            "amount_mismatch",
        ),
    ];
    for (id, event, reason) in &cases {
        assert_eq!(stripe.send(event).await, 200, "{id}: still 2xx, or Stripe retries for days");
        let flagged: (String, String) = sqlx::query_as(
            "SELECT e.outcome, f.reason FROM webhook_event e JOIN payment_flag f ON f.webhook_event_id = e.id
             WHERE e.event_id = $1",
        )
        .bind(id)
        .fetch_one(db)
        .await
        .unwrap();
        assert_eq!(flagged, ("flagged".to_owned(), (*reason).to_owned()), "{id}");
    }
    assert_eq!(stripe.count("SELECT count(*) FROM payment").await, 0, "nothing applied");
    assert_eq!(stripe.count("SELECT count(*) FROM pledge WHERE status <> 'pending'").await, 0);
    assert_eq!(stripe.count("SELECT count(*) FROM mail_job WHERE kind = 'thank_you'").await, 0);

    // A refund larger than its payment: the payment stays, the refund is flagged.
    assert_eq!(
        stripe.send(&checkout_paid("evt_f_paid", &adas, "pi_f6", 2500, "eur", "ada@example.org")).await,
        200
    );
    let refund = charge_refunded("evt_f_refund", "ch_f6", "pi_f6", 2500, 3000, 0);
    assert_eq!(stripe.send(&refund).await, 200);
    let (refunded, status): (i64, String) =
        sqlx::query_as("SELECT refunded_minor, status::text FROM payment WHERE provider_object_id = 'pi_f6'")
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!((refunded, status.as_str()), (0, "received"), "not applied");
    let reason: String = sqlx::query_scalar(
        "SELECT f.reason FROM payment_flag f JOIN webhook_event e ON e.id = f.webhook_event_id
         WHERE e.event_id = 'evt_f_refund' AND e.outcome = 'flagged'",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(reason, "refund_exceeds_payment");
    // An event type we do not act on is stored, ignored, answered 2xx.
    let mut other = fixture("charge_refunded.json");
    other["id"] = json!("evt_f_customer");
    other["type"] = json!("customer.created");
    other["data"]["object"] = json!({ "id": "cus_1", "object": "customer" });
    assert_eq!(stripe.send(&other).await, 200);
    assert_eq!(
        stripe
            .count(
                "SELECT count(*) FROM webhook_event WHERE event_id = 'evt_f_customer' AND outcome = 'ignored'"
            )
            .await,
        1
    );
}

/// A POST without `Content-Length` (`Transfer-Encoding: chunked`, RFC 9112 §7.1) of `chunks`
/// chunks of `size` bytes; the answer's status. The server may answer before all is sent.
async fn chunked_post(address: &str, signature: &str, chunks: usize, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST /webhooks/stripe HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Stripe-Signature: {signature}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{size:x}\r\n{}\r\n", "x".repeat(size));
    for _ in 0..chunks {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0; 64];
    let n = stream.read(&mut answer).await.unwrap_or(0);
    let line = String::from_utf8_lossy(&answer[..n]).to_string();
    line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// A small deterministic shuffle (no random crate needed for a test's order).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = usize::try_from(seed % (i as u64 + 1)).unwrap();
        items.swap(i, j);
    }
}

/// Every event of a recurring donation: the finished Checkout, three months of invoices, a
/// subscription update, a refund of the second month, a failed attempt and a type we ignore.
fn recurring_donation(pledge: &str, subscription: &str, customer: &str, start: i64) -> Vec<Value> {
    let month = 30 * 24 * 3600;
    let mut events = Vec::new();
    let mut completed = fixture("checkout_session_completed_subscription.json");
    completed["id"] = json!(format!("evt_cs_{subscription}"));
    completed["data"]["object"]["metadata"]["pledge"] = json!(pledge);
    completed["data"]["object"]["client_reference_id"] = json!(pledge);
    completed["data"]["object"]["subscription"] = json!(subscription);
    completed["data"]["object"]["customer"] = json!(customer);
    completed["data"]["object"]["invoice"] = json!(format!("in_{subscription}_1"));
    events.push(completed);
    for n in 1..=3 {
        let mut paid = invoice_paid(
            &format!("evt_in_{subscription}_{n}"),
            &format!("in_{subscription}_{n}"),
            subscription,
            pledge,
            1000,
            start + (n - 1) * month,
        );
        paid["data"]["object"]["customer"] = json!(customer);
        events.push(paid);
    }
    let mut updated = fixture("customer_subscription_updated.json");
    updated["id"] = json!(format!("evt_sub_{subscription}"));
    updated["data"]["object"]["id"] = json!(subscription);
    updated["data"]["object"]["customer"] = json!(customer);
    updated["data"]["object"]["metadata"]["pledge"] = json!(pledge);
    events.push(updated);
    events.push(charge_refunded(
        &format!("evt_re_{subscription}"),
        &format!("ch_in_{subscription}_2"),
        &format!("pi_in_{subscription}_2"),
        1000,
        1000,
        0,
    ));
    let mut failed = fixture("invoice_payment_failed.json");
    failed["id"] = json!(format!("evt_fail_{subscription}"));
    events.push(failed);
    let mut other = fixture("charge_refunded.json");
    other["id"] = json!(format!("evt_other_{subscription}"));
    other["type"] = json!("customer.created");
    other["data"]["object"] = json!({ "id": customer, "object": "customer" });
    events.push(other);
    events
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_recurring_stripe_donation_delivered_ten_times_at_once_in_any_order_is_applied_once(pool: PgPool) {
    let stand_in = testing::start().await.unwrap();
    subscription_charge(&stand_in, "in_sub_ten_2", 1000);
    let stripe = stripe_app_on(pool, testing::SECRET_KEY, &stand_in.url()).await;
    let db = stripe.app.pool.clone();
    let ada = supporter(&db, "Ada", "ada@example.org").await;
    let pledge = new_pledge(&db, Some(ada), 1000, Period::Monthly).await;
    let events = recurring_donation(&pledge.id.to_string(), "sub_ten", "cus_ten", now() - 90 * 24 * 3600);
    let distinct = events.len();
    let mut deliveries: Vec<String> =
        events.iter().flat_map(|e| std::iter::repeat_n(e.to_string(), 10)).collect();
    shuffle(&mut deliveries, 0x5eed_cafe);

    let mut burst = tokio::task::JoinSet::new();
    for body in deliveries {
        let (client, url) = (stripe.app.client.clone(), stripe.url());
        burst.spawn(async move {
            let header = signature::sign(body.as_bytes(), SECRET, now());
            deliver(&client, &url, &body, Some(&header)).await
        });
    }
    while let Some(status) = burst.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }

    assert_eq!(stripe.count("SELECT count(*) FROM webhook_event").await, i64::try_from(distinct).unwrap());
    let payments: Vec<(String, uuid::Uuid, i64, i64, String)> = sqlx::query_as(
        "SELECT provider_object_id, pledge_id, amount_minor, refunded_minor, status::text FROM payment ORDER BY provider_object_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let expected: Vec<(String, uuid::Uuid, i64, i64, String)> = (1..=3)
        .map(|n| {
            let refunded = if n == 2 { 1000 } else { 0 };
            let status = if n == 2 { "refunded" } else { "received" };
            (format!("in_sub_ten_{n}"), pledge.id.as_uuid(), 1000, refunded, status.to_owned())
        })
        .collect();
    assert_eq!(payments, expected, "one payment per invoice, on the pledge, the refund once");
    assert_eq!(stripe.count("SELECT count(*) FROM payment_adjustment WHERE applied_at IS NOT NULL").await, 1);
    assert_eq!(stripe.count("SELECT count(*) FROM payment_adjustment").await, 1);
    assert_eq!(stripe.count("SELECT count(*) FROM payment_flag").await, 0);
    assert_eq!(
        stripe.count("SELECT count(*) FROM provider_subscription WHERE provider_id = 'sub_ten' AND customer_id = 'cus_ten'").await,
        1
    );
    assert_eq!(
        stripe.count("SELECT count(*) FROM mail_job WHERE kind = 'thank_you'").await,
        3,
        "thanked per payment"
    );
    let status: String = sqlx::query_scalar("SELECT status::text FROM pledge WHERE id = $1")
        .bind(pledge.id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(status, "active");

    // The subscription ends by the provider (not asked for): the promise needs renewal.
    let mut deleted = fixture("customer_subscription_deleted.json");
    deleted["id"] = json!("evt_sub_ten_deleted");
    deleted["data"]["object"]["id"] = json!("sub_ten");
    deleted["data"]["object"]["customer"] = json!("cus_ten");
    deleted["data"]["object"]["cancel_at_period_end"] = json!(false);
    deleted["data"]["object"]["cancellation_details"] =
        json!({ "comment": null, "feedback": null, "reason": "payment_failed" });
    assert_eq!(stripe.send(&deleted).await, 200);
    let status: String = sqlx::query_scalar("SELECT status::text FROM pledge WHERE id = $1")
        .bind(pledge.id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(status, "needs_renewal");
    // An update that Stripe made before the deletion, delivered after it, cannot revive it.
    let mut late = fixture("customer_subscription_updated.json");
    late["id"] = json!("evt_sub_ten_late");
    late["data"]["object"]["id"] = json!("sub_ten");
    late["data"]["object"]["customer"] = json!("cus_ten");
    assert_eq!(stripe.send(&late).await, 200);
    assert_eq!(stripe.count("SELECT count(*) FROM provider_subscription WHERE status = 'canceled'").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_invoice_paid_before_its_checkout_completed_still_makes_one_payment_on_the_right_pledge(
    pool: PgPool,
) {
    let stripe = stripe_app(pool).await;
    let db = &stripe.app.pool;
    let ada = supporter(db, "Ada", "ada@example.org").await;
    let pledge = new_pledge(db, Some(ada), 1000, Period::Monthly).await;
    let events = recurring_donation(&pledge.id.to_string(), "sub_order", "cus_order", now());
    // invoice.paid first, then the completed checkout, then the invoice again (a retry).
    assert_eq!(stripe.send(&events[1]).await, 200);
    assert_eq!(stripe.send(&events[0]).await, 200);
    assert_eq!(stripe.send(&events[1]).await, 200);
    assert_eq!(stripe.count("SELECT count(*) FROM payment").await, 1);
    let on: uuid::Uuid = sqlx::query_scalar("SELECT pledge_id FROM payment").fetch_one(db).await.unwrap();
    assert_eq!(on, pledge.id.as_uuid());
    assert_eq!(stripe.count("SELECT count(*) FROM provider_subscription").await, 1);
}

/// Stops a cluster of `scripts/pg.sh` when dropped.
struct StopsCluster(&'static str);

impl Drop for StopsCluster {
    fn drop(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg.sh");
        let _ = std::process::Command::new(script).args(["stop", self.0]).output();
    }
}

/// Runs `scripts/pg.sh` with these arguments; its standard output.
fn pg_sh(args: &[&str]) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg.sh");
    let out = std::process::Command::new(script).args(args).output().unwrap();
    assert!(out.status.success(), "pg.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn stripe_events_of_a_burst_are_registered_once_when_postgresql_restarts_in_the_middle() {
    // A cluster of this test's own: restarting the shared one would break every other test.
    let port = "5619";
    let admin_url =
        tokio::task::spawn_blocking(move || pg_sh(&["start", "webhook-restart", port])).await.unwrap();
    // Dropped last: the cluster stops when the test ends, passed or failed.
    let _cluster = StopsCluster("webhook-restart");
    let admin = PgPool::connect(&admin_url).await.unwrap();
    let name = format!("webhook_restart_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
    admin.close().await;
    let url = format!("postgres://postgres@127.0.0.1:{port}/{name}");
    let db = PgPool::connect(&url).await.unwrap();
    domain::MIGRATOR.run(&db).await.unwrap();

    let people = 20;
    let mut events = Vec::new();
    for n in 0..people {
        let person = supporter(&db, &format!("Giver {n}"), &format!("giver{n}@example.org")).await;
        let pledge = new_pledge(&db, Some(person), 1000, Period::Monthly).await.id.to_string();
        let subscription = format!("sub_restart_{n}");
        let start = now() - 90 * 24 * 3600;
        for month in 1..=3 {
            let invoice = format!("in_restart_{n}_{month}");
            let mut paid = invoice_paid(
                &format!("evt_{invoice}"),
                &invoice,
                &subscription,
                &pledge,
                1000,
                start + month * 1000,
            );
            paid["data"]["object"]["customer"] = json!(format!("cus_restart_{n}"));
            paid["data"]["object"]["customer_email"] = json!(format!("giver{n}@example.org"));
            events.push(paid);
        }
    }
    let expected = i64::try_from(events.len()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut settings = stripe_settings(dir.path());
    settings.database.acquire_timeout_secs = 2;
    settings.http.request_timeout_secs = 10;
    let app = spawn_app_with(db.clone(), settings).await;
    let stripe = Stripe { app, _secrets: dir };
    db.close().await;

    // Each event twice, at once, retried like Stripe retries (sooner) until it gets a 2xx.
    let mut deliveries: Vec<String> =
        events.iter().flat_map(|e| std::iter::repeat_n(e.to_string(), 2)).collect();
    shuffle(&mut deliveries, 42);
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut burst = tokio::task::JoinSet::new();
    for (i, body) in deliveries.into_iter().enumerate() {
        let (client, url) = (stripe.app.client.clone(), stripe.url());
        let (answered, refused) = (answered.clone(), refused.clone());
        burst.spawn(async move {
            // Spread over a few seconds, so the restart lands in the middle.
            tokio::time::sleep(Duration::from_millis(u64::try_from(i).unwrap() * 25)).await;
            for _ in 0..120 {
                let header = signature::sign(body.as_bytes(), SECRET, now());
                let status = deliver(&client, &url, &body, Some(&header)).await;
                if (200..300).contains(&status) {
                    answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return status;
                }
                assert!(
                    status == 0 || status >= 500 || status == 408,
                    "only failures worth a retry: {status}"
                );
                refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            0
        });
    }
    // Restart once a part of the burst is answered.
    while answered.load(std::sync::atomic::Ordering::Relaxed) < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::task::spawn_blocking(move || {
        pg_sh(&["stop", "webhook-restart"]);
        std::thread::sleep(Duration::from_millis(1500));
        pg_sh(&["start", "webhook-restart", port]);
    })
    .await
    .unwrap();
    while let Some(status) = burst.join_next().await {
        assert_eq!(status.unwrap(), 200, "every delivery is taken in the end");
    }
    assert!(refused.load(std::sync::atomic::Ordering::Relaxed) > 0, "the restart hit some deliveries");

    let db = PgPool::connect(&url).await.unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM webhook_event").await, expected);
    assert_eq!(count(&db, "SELECT count(DISTINCT provider_object_id) FROM payment").await, expected);
    assert_eq!(count(&db, "SELECT count(*) FROM payment").await, expected);
    assert_eq!(count(&db, "SELECT count(*) FROM mail_job WHERE kind = 'thank_you'").await, expected);
    assert_eq!(count(&db, "SELECT count(*) FROM payment_flag").await, 0);
    db.close().await;
}

/// Pledges of Ada's monthly 10 EUR, one per name.
async fn monthly_pledges(pool: &PgPool, names: &[&str]) -> Vec<String> {
    let ada = supporter(pool, "Ada", "ada@example.org").await;
    let mut pledges = Vec::new();
    for _ in names {
        pledges.push(new_pledge(pool, Some(ada), 1000, Period::Monthly).await.id.to_string());
    }
    pledges
}

/// `(refunded_minor, applied adjustments, waiting adjustments)` of the payment keyed `invoice`
/// (`refunded_minor` -1 when it is not registered).
async fn refund_state(pool: &PgPool, invoice: &str) -> (i64, i64, i64) {
    let refunded: Option<i64> =
        sqlx::query_scalar("SELECT refunded_minor FROM payment WHERE provider_object_id = $1")
            .bind(invoice)
            .fetch_optional(pool)
            .await
            .unwrap();
    // Applied ones by their payment (a later one may name it by an alias), waiting ones by key.
    let (applied, waiting): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE a.applied_at IS NOT NULL AND p.provider_object_id = $1),
                count(*) FILTER (WHERE a.applied_at IS NULL AND a.payment_key = $1)
         FROM payment_adjustment a LEFT JOIN payment p ON p.id = a.payment_id",
    )
    .bind(invoice)
    .fetch_one(pool)
    .await
    .unwrap();
    (refunded.unwrap_or(-1), applied, waiting)
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_refund_of_a_subscription_charge_finds_its_invoice_before_and_after_the_invoice_paid(pool: PgPool) {
    let stand_in = testing::start().await.unwrap();
    let stripe = stripe_app_on(pool, testing::SECRET_KEY, &stand_in.url()).await;
    let db = &stripe.app.pool;
    let pledges = monthly_pledges(db, &["before", "after", "dispute"]).await;
    let t = now();
    for invoice in ["in_before", "in_after", "in_dispute"] {
        subscription_charge(&stand_in, invoice, 1000);
    }
    let paid = |n: usize, invoice: &str| {
        invoice_paid(&format!("evt_paid_{invoice}"), invoice, &format!("sub_{invoice}"), &pledges[n], 1000, t)
    };
    let refund = |invoice: &str| {
        charge_refunded(
            &format!("evt_re_{invoice}"),
            &format!("ch_{invoice}"),
            &format!("pi_{invoice}"),
            1000,
            1000,
            0,
        )
    };

    // The refund first: Stripe names the invoice, the refund waits keyed by it.
    assert_eq!(stripe.send(&refund("in_before")).await, 200);
    assert_eq!(refund_state(db, "in_before").await, (-1, 0, 1), "waits for its invoice");
    assert_eq!(stripe.send(&paid(0, "in_before")).await, 200);
    assert_eq!(refund_state(db, "in_before").await, (1000, 1, 0), "applied with the invoice");
    assert_eq!(stripe.send(&refund("in_before")).await, 200, "a redelivery");
    assert_eq!(stripe.send(&paid(0, "in_before")).await, 200, "a redelivery");
    assert_eq!(refund_state(db, "in_before").await, (1000, 1, 0), "applied once");

    // The invoice first: the refund finds it through Stripe, once; its ids become aliases.
    assert_eq!(stripe.send(&paid(1, "in_after")).await, 200);
    let asked = stand_in.requests_to("GET /v1/invoice_payments").len();
    assert_eq!(stripe.send(&refund("in_after")).await, 200);
    assert_eq!(refund_state(db, "in_after").await, (1000, 1, 0));
    assert_eq!(stand_in.requests_to("GET /v1/invoice_payments").len(), asked + 1);
    let dispute = dispute_created("evt_du_after", "du_after", "ch_in_after", Some("pi_in_after"), 1000);
    assert_eq!(stripe.send(&dispute).await, 200);
    assert_eq!(stand_in.requests_to("GET /v1/invoice_payments").len(), asked + 1, "known by its aliases now");
    let status: String =
        sqlx::query_scalar("SELECT status::text FROM payment WHERE provider_object_id = 'in_after'")
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(status, "disputed");

    // A dispute naming only its Charge, before the invoice: the Charge gives the PaymentIntent.
    let dispute = dispute_created("evt_du_first", "du_first", "ch_in_dispute", None, 1000);
    assert_eq!(stripe.send(&dispute).await, 200);
    assert_eq!(stand_in.requests_to("GET /v1/charges/ch_in_dispute").len(), 1);
    assert_eq!(refund_state(db, "in_dispute").await, (-1, 0, 1));
    assert_eq!(stripe.send(&paid(2, "in_dispute")).await, 200);
    assert_eq!(refund_state(db, "in_dispute").await, (0, 1, 0));

    // A one-off gift's refund before its Checkout: no invoice, it waits under the PaymentIntent.
    let gift = new_pledge(db, None, 2500, Period::Once).await.id.to_string();
    let refund = charge_refunded("evt_re_gift", "ch_gift", "pi_gift", 2500, 2500, 0);
    assert_eq!(stripe.send(&refund).await, 200);
    assert_eq!(refund_state(db, "pi_gift").await, (-1, 0, 1));
    let checkout = checkout_paid("evt_cs_gift", &gift, "pi_gift", 2500, "eur", "ada@example.org");
    assert_eq!(stripe.send(&checkout).await, 200);
    assert_eq!(refund_state(db, "pi_gift").await, (2500, 1, 0));
    assert_eq!(stripe.count("SELECT count(*) FROM payment").await, 4);
    assert_eq!(stripe.count("SELECT count(*) FROM payment_flag").await, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_stripe_refund_that_needs_stripe_while_it_does_not_answer_is_503_and_stores_nothing(pool: PgPool) {
    let stand_in = testing::start().await.unwrap();
    let stripe = stripe_app_on(pool.clone(), testing::SECRET_KEY, &stand_in.url()).await;
    let db = &stripe.app.pool;
    let pledges = monthly_pledges(db, &["down"]).await;
    subscription_charge(&stand_in, "in_down", 1000);
    let refund = charge_refunded("evt_re_down", "ch_in_down", "pi_in_down", 1000, 1000, 0);
    let nothing = "SELECT (SELECT count(*) FROM webhook_event) + (SELECT count(*) FROM payment_adjustment)
                        + (SELECT count(*) FROM payment_flag)";

    // Stripe answers 500, then nobody listens at all.
    stand_in.fail_with(Some(500));
    assert_eq!(stripe.send(&refund).await, 503);
    assert_eq!(stripe.count(nothing).await, 0);
    let unreachable = stripe_app(pool).await;
    assert_eq!(unreachable.send(&refund).await, 503);
    assert_eq!(stripe.count(nothing).await, 0);

    // Stripe's retry, once it answers again, is taken; so is the invoice.
    stand_in.fail_with(None);
    assert_eq!(stripe.send(&refund).await, 200);
    let paid = invoice_paid("evt_paid_down", "in_down", "sub_down", &pledges[0], 1000, now());
    assert_eq!(stripe.send(&paid).await, 200);
    assert_eq!(refund_state(db, "in_down").await, (1000, 1, 0));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn subscription_refunds_and_disputes_delivered_ten_times_at_once_in_any_order_are_applied_once(
    pool: PgPool,
) {
    let stand_in = testing::start().await.unwrap();
    let stripe = stripe_app_on(pool, testing::SECRET_KEY, &stand_in.url()).await;
    let db = stripe.app.pool.clone();
    let rounds = ["r0", "r1", "r2", "r3"];
    let pledges = monthly_pledges(&db, &rounds).await;
    for (n, round) in rounds.iter().enumerate() {
        let invoice = format!("in_burst_{round}");
        subscription_charge(&stand_in, &invoice, 1000);
        let events = [
            invoice_paid(
                &format!("evt_paid_{round}"),
                &invoice,
                &format!("sub_{round}"),
                &pledges[n],
                1000,
                now(),
            ),
            charge_refunded(
                &format!("evt_re_{round}"),
                &format!("ch_{invoice}"),
                &format!("pi_{invoice}"),
                1000,
                400,
                0,
            ),
            charge_refunded(
                &format!("evt_re2_{round}"),
                &format!("ch_{invoice}"),
                &format!("pi_{invoice}"),
                1000,
                1000,
                400,
            ),
            dispute_created(
                &format!("evt_du_{round}"),
                &format!("du_{round}"),
                &format!("ch_{invoice}"),
                None,
                1000,
            ),
        ];
        let mut deliveries: Vec<String> =
            events.iter().flat_map(|e| std::iter::repeat_n(e.to_string(), 10)).collect();
        shuffle(&mut deliveries, 0xbad_5eed + u64::try_from(n).unwrap());
        let mut burst = tokio::task::JoinSet::new();
        for body in deliveries {
            let (client, url) = (stripe.app.client.clone(), stripe.url());
            burst.spawn(async move {
                let header = signature::sign(body.as_bytes(), SECRET, now());
                deliver(&client, &url, &body, Some(&header)).await
            });
        }
        while let Some(status) = burst.join_next().await {
            assert_eq!(status.unwrap(), 200, "{round}");
        }
        assert_eq!(refund_state(&db, &invoice).await, (1000, 3, 0), "{round}: each applied once");
    }
    assert_eq!(stripe.count("SELECT count(*) FROM payment").await, 4);
    assert_eq!(stripe.count("SELECT count(*) FROM webhook_event").await, 16);
    assert_eq!(stripe.count("SELECT count(*) FROM payment_flag").await, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn stripe_events_of_the_other_mode_than_the_key_are_stored_ignored_and_not_applied(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    for (key, live) in
        [("sk_test_mode_check", false), ("sk_live_mode_check", true), ("rk_live_mode_check", true)]
    {
        let stripe = stripe_app_on(pool.clone(), key, "http://127.0.0.1:1/").await;
        // The other mode: stored, ignored, answered 2xx; nothing applied, nothing flagged.
        let gift = new_pledge(&pool, Some(ada), 2500, Period::Once).await.id.to_string();
        let mut other = checkout_paid(
            &format!("evt_other_{key}"),
            &gift,
            &format!("pi_other_{key}"),
            2500,
            "eur",
            "ada@example.org",
        );
        other["livemode"] = json!(!live);
        assert_eq!(stripe.send(&other).await, 200, "{key}");
        // Even one in a currency this system does not know: ignored, not flagged.
        let mut unknown = dispute_created(
            &format!("evt_huf_{key}"),
            &format!("du_huf_{key}"),
            "ch_huf",
            Some("pi_huf"),
            100,
        );
        unknown["data"]["object"]["currency"] = json!("huf");
        unknown["livemode"] = json!(!live);
        assert_eq!(stripe.send(&unknown).await, 200, "{key}");
        let ignored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM webhook_event WHERE event_id = ANY($1) AND outcome = 'ignored'",
        )
        .bind(vec![format!("evt_other_{key}"), format!("evt_huf_{key}")])
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(ignored, 2, "{key}");
        assert_eq!(stripe.count("SELECT count(*) FROM payment").await, 0, "{key}");
        assert_eq!(stripe.count("SELECT count(*) FROM payment_flag").await, 0, "{key}");
    }
    // The key's own mode is applied.
    let stripe = stripe_app_on(pool.clone(), "sk_live_mode_check", "http://127.0.0.1:1/").await;
    let gift = new_pledge(&pool, Some(ada), 2500, Period::Once).await.id.to_string();
    let mut own = checkout_paid("evt_own_live", &gift, "pi_own_live", 2500, "eur", "ada@example.org");
    own["livemode"] = json!(true);
    assert_eq!(stripe.send(&own).await, 200);
    assert_eq!(
        stripe.count("SELECT count(*) FROM payment WHERE provider_object_id = 'pi_own_live'").await,
        1
    );
}
