// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Demo data for the local stack: one confirmed supporter to log in as (with donations and a
//! newsletter subscription), a staff group and a draft newsletter.
//! Never loaded by production binaries; `cdb-admin demo-data` loads it on request.

use crate::account::{self, Credential};
use crate::audit::{Actor, Origin};
use crate::email::{self, Verification};
use crate::group::{self, GroupRole};
use crate::password::{self, Password};
use crate::payment::notice::{PaymentWriter, Thanks};
use crate::payment::payment::{self as payments, NewPayment};
use crate::payment::pledge::{self, NewPledge};
use crate::payment::{Currency, Method, Money, Period};
use crate::person::{self, NewPerson, Person};
use crate::registration::Written;
use crate::types::{
    CountryCode, DisplayName, Email, GroupName, Language, LoginName, PostalAddress, PostalAddressInput,
    SupporterNumber,
};
use crate::{DomainError, Result};
use sqlx::PgPool;
use time::OffsetDateTime;

/// The demo supporter's login; documented in the README.
pub const LOGIN_NAME: &str = "ada";
pub const EMAIL: &str = "ada@example.org";
pub const PASSWORD: &str = "ada-lovelace-1815";

/// What the demo data holds, for the caller to print.
#[derive(Debug, Clone)]
pub struct DemoSupporter {
    pub person: Person,
    pub supporter_number: SupporterNumber,
    /// False when it was already there.
    pub created: bool,
}

/// Loads the demo data unless it is already there. Running it twice changes nothing.
pub async fn ensure(pool: &PgPool) -> Result<DemoSupporter> {
    let email = Email::try_from(EMAIL)?;
    if let Some(person) = person::find_by_email(pool, &email).await? {
        let supporter_number = person.supporter_number.ok_or(DomainError::NotFound("supporter number"))?;
        // Demo data made before the money half existed: give Ada her donations now.
        if pledge::for_person(pool, person.id).await?.is_empty() {
            let mut tx = pool.begin().await?;
            donations(&mut tx, Origin { actor: &Actor::System, source: "demo-data" }, person.id).await?;
            tx.commit().await?;
        }
        mailing(pool, person.id).await?;
        return Ok(DemoSupporter { person, supporter_number, created: false });
    }
    let hash = password::hash(&Password::new(PASSWORD.into())?).await?;
    let origin = Origin { actor: &Actor::System, source: "demo-data" };
    let mut tx = pool.begin().await?;
    let new = NewPerson {
        display_name: DisplayName::try_from("Ada Lovelace")?,
        country: Some(CountryCode::try_from("GB")?),
        address: PostalAddress::parse(&PostalAddressInput {
            street: "12 St James's Square",
            postal_code: "SW1Y 4JH",
            city: "London",
            ..Default::default()
        })?,
        preferred_language: Language::English,
        referrer: None,
    };
    let person = person::create(&mut tx, origin, &new).await?;
    email::add(&mut tx, origin, person.id, &email, true, Verification::VerifiedAt(OffsetDateTime::now_utc()))
        .await?;
    let supporter_number = person::assign_supporter_number(&mut tx, origin, person.id).await?;
    let login = LoginName::try_from(LOGIN_NAME)?;
    account::create(
        &mut tx,
        origin,
        person.id,
        Some(&login),
        &Credential::Builtin { password_hash: Some(hash) },
    )
    .await?;
    let staff_name = GroupName::try_from("staff")?;
    let staff = match group::find_by_name(&mut *tx, &staff_name).await? {
        Some(g) => g,
        None => {
            group::create(
                &mut tx,
                origin,
                &staff_name,
                &DisplayName::try_from("Staff")?,
                "People who administer the database",
            )
            .await?
        }
    };
    group::set_member(&mut tx, origin, &staff, person.id, GroupRole::Owner).await?;
    donations(&mut tx, origin, person.id).await?;
    tx.commit().await?;
    mailing(pool, person.id).await?;
    let person = person::get(pool, person.id).await?.ok_or(DomainError::NotFound("person"))?;
    Ok(DemoSupporter { person, supporter_number, created: true })
}

/// Never asked: the demo payments are registered before their pledges join Ada, as a visitor's
/// early transfers are, so no thank-you mail is queued for them.
struct NoMail;

impl PaymentWriter for NoMail {
    fn thank_you(&self, _: Language, _: &Thanks<'_>) -> Written {
        (String::new(), String::new())
    }
    fn renewal(&self, _: Language, _: &crate::payment::RenewalNotice<'_>) -> Written {
        (String::new(), String::new())
    }
    fn payment_failed(&self, _: Language, _: &crate::payment::PaymentFailedNotice<'_>) -> Written {
        (String::new(), String::new())
    }
    fn transfer_reminder(&self, _: Language, _: &crate::payment::ReminderNotice<'_>) -> Written {
        (String::new(), String::new())
    }
    fn statement_ready(&self, _: Language, _: &crate::payment::StatementNotice<'_>) -> Written {
        (String::new(), String::new())
    }
}

/// Ada's donations: a monthly bank transfer paid three times, a one-off gift, and a yearly card
/// donation whose processor ended its subscription (it needs a new way to pay: the donations
/// page offers it).
async fn donations(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    origin: Origin<'_>,
    ada: crate::types::PersonId,
) -> Result<()> {
    let eur = |minor| Money::new(minor, Currency::EUR);
    let gifts = [
        (
            Period::Monthly,
            1000,
            &[(time::Month::September, 1), (time::Month::October, 1), (time::Month::November, 2)][..],
        ),
        (Period::Once, 5000, &[(time::Month::November, 20)][..]),
        (Period::Yearly, 6000, &[(time::Month::January, 15)][..]),
    ];
    for (period, minor, paid) in gifts {
        let method = if period == Period::Yearly { Method::Stripe } else { Method::BankTransfer };
        let new = NewPledge { person: None, amount: eur(minor), period, method, referrer: None };
        let pledge = pledge::create(tx, origin, &new).await?;
        for (i, (month, day)) in paid.iter().enumerate() {
            let booked_on = time::Date::from_calendar_date(2026, *month, *day)
                .map_err(|_| DomainError::NotFound("demo date"))?;
            let key = format!("demo-{}-{i}", pledge.reference.as_str());
            let payment = NewPayment {
                provider: method.provider(),
                object_id: &key,
                aliases: &[],
                pledge: Some(pledge.id),
                amount: pledge.amount,
                fee_minor: None,
                booked_on,
            };
            payments::register(tx, origin, &payment, &NoMail).await?;
        }
        pledge::join(tx, origin, pledge.id, ada).await?;
        if method == Method::Stripe {
            // Quietly (no mail): the card expired, the processor ended the subscription.
            pledge::end(tx, origin, pledge.id, crate::payment::EndedBy::Provider).await?;
        }
    }
    Ok(())
}

/// Ada reads the newsletter, and a newsletter waits as a draft in English and German
/// (`cdb-admin mailing preview`, `… send --wait` puts it into the local outbox). Only when
/// there is no mailing yet.
async fn mailing(pool: &PgPool, ada: crate::types::PersonId) -> Result<()> {
    use crate::consent::{self, ListKey, State};
    use crate::mailing::{Content, NewMailing, Segment, campaign};
    if !campaign::all(pool).await?.is_empty() {
        return Ok(());
    }
    let origin = Origin { actor: &Actor::System, source: "demo-data" };
    let newsletter = ListKey::parse("newsletter").ok_or(DomainError::NotFound("list"))?;
    let mut tx = pool.begin().await?;
    consent::record(&mut tx, origin, ada, &newsletter, State::Subscribed).await?;
    let new = NewMailing {
        title: "Newsletter, December".into(),
        list: newsletter,
        segment: Segment::default(),
        fallback_language: Language::English,
    };
    let id =
        campaign::create(&mut tx, origin, &new).await.map_err(|_| DomainError::NotFound("demo mailing"))?;
    let contents = [
        (
            Language::English,
            "What we did in November, {{ name }}",
            "Hello {{ name }},\n\nthank you for reading. In November we:\n\n- published the **annual report**\n\
             - met at [our stand](https://example.org/events)\n\nSee you next month!\n",
        ),
        (
            Language::German,
            "Was wir im November getan haben, {{ name }}",
            "Hallo {{ name }},\n\ndanke fürs Lesen. Im November haben wir:\n\n- den **Jahresbericht** veröffentlicht\n\
             - uns an [unserem Stand](https://example.org/events) getroffen\n\nBis nächsten Monat!\n",
        ),
    ];
    for (language, subject, body) in contents {
        let content = Content { language, subject: subject.into(), body: body.into() };
        campaign::set_content(&mut tx, origin, id, &content)
            .await
            .map_err(|_| DomainError::NotFound("demo mailing"))?;
    }
    tx.commit().await?;
    Ok(())
}
