// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Registration, command links and the consent ledger.

use domain::command_link::{self, Command, Refusal};
use domain::consent::{self, ListKey, State};
use domain::registration::{self, Done, Notice, Registration};
use domain::types::{DisplayName, Email, Language};
use domain::{account, email, person};
use secrecy::ExposeSecret;
use sqlx::PgPool;

fn key(name: &str) -> ListKey {
    ListKey::parse(name).expect("a list key")
}

fn form(name: &str, address: &str, lists: &[ListKey]) -> Registration {
    Registration {
        display_name: DisplayName::try_from(name).unwrap(),
        email: Email::try_from(address).unwrap(),
        country: None,
        address: None,
        language: Language::German,
        lists: lists.to_vec(),
        referrer: None,
    }
}

/// Registers and returns the token mailed (None when the mail was "already registered").
async fn register(pool: &PgPool, registration: &Registration) -> Option<String> {
    let mut mailed = None;
    registration::register(pool, registration, |language, notice| {
        assert_eq!(language, Language::German);
        match notice {
            Notice::Confirm { token, .. } => {
                mailed = Some(token.expose_secret().to_owned());
                ("confirm".into(), format!("/c/{}", token.expose_secret()))
            }
            Notice::AlreadyRegistered { .. } => ("known".into(), "you are registered".into()),
        }
    })
    .await
    .unwrap();
    mailed
}

async fn mails(pool: &PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as::<_, (String, String, String)>(
        "SELECT kind, recipient, subject FROM mail_job ORDER BY created_at",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn confirming_verifies_records_consents_opens_an_account_and_numbers(pool: PgPool) {
    let token = register(&pool, &form("Grace", "Grace@Example.org", &[key("newsletter")])).await.unwrap();
    let person =
        person::find_by_email(&pool, &Email::try_from("grace@example.org").unwrap()).await.unwrap().unwrap();
    assert_eq!(person.supporter_number, None, "no number before confirming");
    assert!(consent::subscribed(&pool, person.id).await.unwrap().is_empty(), "no consent before confirming");
    assert_eq!(
        mails(&pool).await,
        vec![("confirm_registration".into(), "Grace@example.org".into(), "confirm".into())]
    );

    // Looking at the link changes nothing.
    let peeked = command_link::peek(&pool, &token).await.unwrap().unwrap();
    assert_eq!(peeked.command, Command::ConfirmRegistration { lists: vec![key("newsletter")], pledge: None });
    assert_eq!(person::get(&pool, person.id).await.unwrap().unwrap().supporter_number, None);

    let (link, done) = registration::perform(&pool, &token, &crate::Words).await.unwrap().unwrap();
    assert_eq!(link.person, person.id);
    let Done::Registered { supporter_number } = done else { panic!("{done:?}") };
    let person = person::get(&pool, person.id).await.unwrap().unwrap();
    assert_eq!(person.supporter_number, Some(supporter_number));
    assert!(email::list_for_person(&pool, person.id).await.unwrap()[0].verified_at.is_some());
    assert_eq!(consent::subscribed(&pool, person.id).await.unwrap(), vec![key("newsletter")]);
    let ledger = consent::history(&pool, person.id).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (ledger[0].source.as_str(), ledger[0].text_version.as_str()),
        ("registration form", "newsletter-2026-11")
    );
    assert!(account::get(&pool, person.id).await.unwrap().is_some(), "an account to log in with");

    // Single use: a second POST (a double click, a replay) changes nothing.
    let again = registration::perform(&pool, &token, &crate::Words).await.unwrap();
    assert!(matches!(again, Err(Refusal::Used { .. })), "{again:?}");
    assert_eq!(
        person::get(&pool, person.id).await.unwrap().unwrap().supporter_number,
        Some(supporter_number)
    );
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn registering_a_known_address_creates_nobody_and_mails_the_owner(pool: PgPool) {
    let first = register(&pool, &form("Grace", "grace@example.org", &[])).await.unwrap();
    // Unconfirmed owner: a fresh confirmation link, the old one void.
    let second = register(&pool, &form("Mallory", "GRACE@example.org", &[key("campaigns")])).await.unwrap();
    assert_ne!(first, second);
    assert!(matches!(command_link::peek(&pool, &first).await.unwrap(), Err(Refusal::Used { .. })));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM person").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 1, "no second person");
    let person =
        person::find_by_email(&pool, &Email::try_from("grace@example.org").unwrap()).await.unwrap().unwrap();
    assert_eq!(person.display_name.as_str(), "Grace", "the second form changed nothing");

    registration::perform(&pool, &second, &crate::Words).await.unwrap().unwrap();
    // Confirmed owner: a note, no link; the mail goes to the owner's address.
    assert_eq!(register(&pool, &form("Mallory", "grace@example.org", &[])).await, None);
    let sent = mails(&pool).await;
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2], ("already_registered".into(), "grace@example.org".into(), "known".into()));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn tampered_expired_and_renewed_links(pool: PgPool) {
    let token = register(&pool, &form("Grace", "grace@example.org", &[])).await.unwrap();
    for bad in ["", "x", &token[..42], &format!("{token}x"), &"A".repeat(43), &"ü".repeat(43)] {
        assert_eq!(command_link::peek(&pool, bad).await.unwrap(), Err(Refusal::Unknown), "{bad:?}");
        assert!(
            matches!(registration::perform(&pool, bad, &crate::Words).await.unwrap(), Err(Refusal::Unknown)),
            "{bad:?}"
        );
    }
    domain::testing::expire_command_links(&pool).await.unwrap();
    assert!(matches!(
        registration::perform(&pool, &token, &crate::Words).await.unwrap(),
        Err(Refusal::Expired { .. })
    ));

    // An expired link buys one fresh link, mailed to the same address.
    let mut fresh = None;
    let renewed = registration::renew(&pool, &token, |_, notice, _| {
        if let Notice::Confirm { token, .. } = notice {
            fresh = Some(token.expose_secret().to_owned());
        }
        ("again".into(), "body".into())
    })
    .await
    .unwrap();
    assert!(renewed);
    assert!(
        !registration::renew(&pool, &token, |_, _, _| ("".into(), "".into())).await.unwrap(),
        "only once"
    );
    assert_eq!(mails(&pool).await.last().unwrap().1, "grace@example.org");
    let done = registration::perform(&pool, &fresh.unwrap(), &crate::Words).await.unwrap().unwrap().1;
    assert!(matches!(done, Done::Registered { .. }));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_new_address_needs_its_link_and_cannot_take_over_anothers(pool: PgPool) {
    let grace = register(&pool, &form("Grace", "grace@example.org", &[])).await.unwrap();
    registration::perform(&pool, &grace, &crate::Words).await.unwrap().unwrap();
    let grace =
        person::find_by_email(&pool, &Email::try_from("grace@example.org").unwrap()).await.unwrap().unwrap();
    let linus = register(&pool, &form("Linus", "linus@example.org", &[])).await.unwrap();
    registration::perform(&pool, &linus, &crate::Words).await.unwrap().unwrap();

    // Asking for an address someone has mails nothing (and says nothing).
    let before = mails(&pool).await.len();
    registration::request_email(
        &pool,
        grace.id,
        &Email::try_from("Linus@example.org").unwrap(),
        |_, _, _| panic!("no mail for someone else's address"),
    )
    .await
    .unwrap();
    assert_eq!(mails(&pool).await.len(), before);

    // Two people ask for the same free address; the first to confirm gets it.
    let new = Email::try_from("shared@example.org").unwrap();
    let mut tokens = Vec::new();
    for person in [grace.id] {
        registration::request_email(&pool, person, &new, |_, _, token| {
            tokens.push(token.expose_secret().to_owned());
            ("s".into(), "b".into())
        })
        .await
        .unwrap();
    }
    let linus_id = person::find_by_email(&pool, &Email::try_from("linus@example.org").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    registration::request_email(&pool, linus_id, &new, |_, _, token| {
        tokens.push(token.expose_secret().to_owned());
        ("s".into(), "b".into())
    })
    .await
    .unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        email::list_for_person(&pool, grace.id).await.unwrap().len(),
        1,
        "nothing added before the link is followed"
    );
    let (_, done) = registration::perform(&pool, &tokens[1], &crate::Words).await.unwrap().unwrap();
    assert_eq!(done, Done::EmailConfirmed { address: new.clone() });
    let (_, done) = registration::perform(&pool, &tokens[0], &crate::Words).await.unwrap().unwrap();
    assert_eq!(done, Done::EmailTaken, "Grace cannot take Linus's new address");
    assert_eq!(email::list_for_person(&pool, grace.id).await.unwrap().len(), 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_consent_ledger_keeps_every_change(pool: PgPool) {
    let token = register(&pool, &form("Grace", "grace@example.org", &[key("newsletter")])).await.unwrap();
    let (link, _) = registration::perform(&pool, &token, &crate::Words).await.unwrap().unwrap();
    let actor = domain::audit::Actor::Person(link.person);
    let origin = domain::audit::Origin { actor: &actor, source: "settings" };
    let mut tx = pool.begin().await.unwrap();
    consent::set_all(
        &mut tx,
        origin,
        link.person,
        &[key("newsletter"), key("campaigns")],
        &[key("campaigns")],
    )
    .await
    .unwrap();
    // The same choice again writes nothing.
    consent::set_all(
        &mut tx,
        origin,
        link.person,
        &[key("newsletter"), key("campaigns")],
        &[key("campaigns")],
    )
    .await
    .unwrap();
    assert!(
        !consent::record(&mut tx, origin, link.person, &key("newsletter"), State::Unsubscribed)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(consent::subscribed(&pool, link.person).await.unwrap(), vec![key("campaigns")]);
    let ledger: Vec<_> = consent::history(&pool, link.person)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.list, e.state, e.source))
        .collect();
    assert_eq!(
        ledger,
        vec![
            ("newsletter".into(), State::Subscribed, "registration form".into()),
            ("newsletter".into(), State::Unsubscribed, "settings".into()),
            ("campaigns".into(), State::Subscribed, "settings".into()),
        ]
    );
    let actions: Vec<_> =
        domain::audit::for_person(&pool, link.person).await.unwrap().into_iter().map(|e| e.action).collect();
    for expected in
        ["email.verified", "consent.given", "consent.withdrawn", "person.supporter_number_assigned"]
    {
        assert!(actions.iter().any(|a| a == expected), "{expected} in {actions:?}");
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn long_expired_links_are_pruned_recent_ones_kept(pool: PgPool) {
    let old = register(&pool, &form("Grace", "grace@example.org", &[])).await.unwrap();
    let recent = register(&pool, &form("Linus", "linus@example.org", &[])).await.unwrap();
    domain::testing::expire_command_link(&pool, &old, time::Duration::days(31)).await.unwrap();
    domain::testing::expire_command_link(&pool, &recent, time::Duration::days(29)).await.unwrap();
    assert_eq!(command_link::prune(&pool).await.unwrap(), 1);
    assert_eq!(command_link::peek(&pool, &old).await.unwrap(), Err(Refusal::Unknown));
    assert!(matches!(command_link::peek(&pool, &recent).await.unwrap(), Err(Refusal::Expired { .. })));
}
