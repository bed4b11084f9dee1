// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Persons: supporters and everyone else the organisation knows.

use crate::audit::{self, Action, Origin};
use crate::types::{
    CountryCode, DisplayName, Email, Language, PersonId, PostalAddress, Referrer, SupporterNumber,
};
use crate::{DomainError, Result};
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// A person as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: PersonId,
    /// `None` until the person has confirmed their email address.
    pub supporter_number: Option<SupporterNumber>,
    pub display_name: DisplayName,
    pub country: Option<CountryCode>,
    pub address: Option<PostalAddress>,
    pub preferred_language: Language,
    pub referrer: Option<Referrer>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What is needed to create a person; every field already validated.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub display_name: DisplayName,
    pub country: Option<CountryCode>,
    pub address: Option<PostalAddress>,
    pub preferred_language: Language,
    pub referrer: Option<Referrer>,
}

struct Row {
    id: PersonId,
    supporter_number: Option<i64>,
    display_name: String,
    country: Option<String>,
    address_street: Option<String>,
    address_extra: Option<String>,
    address_postal_code: Option<String>,
    address_city: Option<String>,
    address_region: Option<String>,
    preferred_language: String,
    referrer: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TryFrom<Row> for Person {
    type Error = DomainError;
    fn try_from(r: Row) -> Result<Self> {
        Ok(Person {
            id: r.id,
            supporter_number: r.supporter_number.map(SupporterNumber::from_db),
            display_name: DisplayName::from_db(r.display_name),
            country: r.country.as_deref().map(CountryCode::try_from).transpose()?,
            address: PostalAddress::from_db(
                r.address_street,
                r.address_extra,
                r.address_postal_code,
                r.address_city,
                r.address_region,
            ),
            preferred_language: Language::try_from(r.preferred_language.as_str())?,
            referrer: r.referrer.map(Referrer::from_db),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Creates a person without supporter number and records it in the audit log.
#[tracing::instrument(name = "person::create", skip_all)]
pub async fn create(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    new: &NewPerson,
) -> Result<Person> {
    let address = new.address.as_ref();
    let row = sqlx::query_as!(
        Row,
        r#"INSERT INTO person (display_name, country, address_street, address_extra, address_postal_code,
                               address_city, address_region, preferred_language, referrer)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           RETURNING id AS "id: PersonId", supporter_number, display_name, country, address_street,
                     address_extra, address_postal_code, address_city, address_region,
                     preferred_language, referrer, created_at, updated_at"#,
        new.display_name.as_str(),
        new.country.as_ref().map(CountryCode::as_str),
        address.map(PostalAddress::street),
        address.and_then(PostalAddress::extra),
        address.and_then(PostalAddress::postal_code),
        address.map(PostalAddress::city),
        address.and_then(PostalAddress::region),
        new.preferred_language.code(),
        new.referrer.as_ref().map(Referrer::as_str),
    )
    .fetch_one(&mut **tx)
    .await?;
    let person = Person::try_from(row)?;
    audit::record(tx, origin, Some(person.id), Action::PersonCreated, json!({})).await?;
    Ok(person)
}

/// The person with this id, if any.
pub async fn get<'e>(executor: impl PgExecutor<'e>, id: PersonId) -> Result<Option<Person>> {
    sqlx::query_as!(
        Row,
        r#"SELECT id AS "id: PersonId", supporter_number, display_name, country, address_street,
                  address_extra, address_postal_code, address_city, address_region,
                  preferred_language, referrer, created_at, updated_at
           FROM person WHERE id = $1"#,
        id as PersonId,
    )
    .fetch_optional(executor)
    .await?
    .map(Person::try_from)
    .transpose()
}

/// The person who owns this email address (verified or not), if any. Case-insensitive.
pub async fn find_by_email<'e>(executor: impl PgExecutor<'e>, email: &Email) -> Result<Option<Person>> {
    sqlx::query_as!(
        Row,
        r#"SELECT p.id AS "id: PersonId", p.supporter_number, p.display_name, p.country, p.address_street,
                  p.address_extra, p.address_postal_code, p.address_city, p.address_region,
                  p.preferred_language, p.referrer, p.created_at, p.updated_at
           FROM person p JOIN email_address e ON e.person_id = p.id
           WHERE lower(e.address) = lower($1)"#,
        email.as_str(),
    )
    .fetch_optional(executor)
    .await?
    .map(Person::try_from)
    .transpose()
}

/// Gives the person a supporter number if they have none yet, and returns their number.
/// Calling it again returns the same number: a number is assigned once and never changes.
#[tracing::instrument(name = "person::assign_supporter_number", skip_all, fields(person = %id))]
pub async fn assign_supporter_number(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: PersonId,
) -> Result<SupporterNumber> {
    // Lock the row so two concurrent confirmations cannot both draw a number.
    let current = sqlx::query_scalar!(
        r#"SELECT supporter_number FROM person WHERE id = $1 FOR UPDATE"#,
        id as PersonId,
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(DomainError::NotFound("person"))?;
    if let Some(number) = current {
        return Ok(SupporterNumber::from_db(number));
    }
    let number = sqlx::query_scalar!(
        r#"UPDATE person SET supporter_number = nextval('supporter_number_seq'), updated_at = now()
           WHERE id = $1 RETURNING supporter_number AS "number!""#,
        id as PersonId,
    )
    .fetch_one(&mut **tx)
    .await?;
    audit::record(tx, origin, Some(id), Action::SupporterNumberAssigned, json!({ "number": number })).await?;
    Ok(SupporterNumber::from_db(number))
}

/// What a person may change about themselves on the settings page; every field validated.
#[derive(Debug, Clone)]
pub struct Profile {
    pub display_name: DisplayName,
    pub country: Option<CountryCode>,
    pub address: Option<PostalAddress>,
}

/// Replaces name, country and postal address, and records in the audit log which of them
/// changed (the new values, never the old ones: the log is not a second copy of the data).
#[tracing::instrument(name = "person::update_profile", skip_all, fields(person = %id))]
pub async fn update_profile(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: PersonId,
    profile: &Profile,
) -> Result<Person> {
    let before = get(&mut **tx, id).await?.ok_or(DomainError::NotFound("person"))?;
    let address = profile.address.as_ref();
    let row = sqlx::query_as!(
        Row,
        r#"UPDATE person SET display_name = $2, country = $3, address_street = $4, address_extra = $5,
                  address_postal_code = $6, address_city = $7, address_region = $8, updated_at = now()
           WHERE id = $1
           RETURNING id AS "id: PersonId", supporter_number, display_name, country, address_street,
                     address_extra, address_postal_code, address_city, address_region,
                     preferred_language, referrer, created_at, updated_at"#,
        id as PersonId,
        profile.display_name.as_str(),
        profile.country.as_ref().map(CountryCode::as_str),
        address.map(PostalAddress::street),
        address.and_then(PostalAddress::extra),
        address.and_then(PostalAddress::postal_code),
        address.map(PostalAddress::city),
        address.and_then(PostalAddress::region),
    )
    .fetch_one(&mut **tx)
    .await?;
    let after = Person::try_from(row)?;
    let mut changed = serde_json::Map::new();
    if after.display_name != before.display_name {
        changed.insert("display_name".into(), json!(after.display_name.as_str()));
    }
    if after.country != before.country {
        changed.insert("country".into(), json!(after.country.as_ref().map(CountryCode::as_str)));
    }
    if after.address != before.address {
        changed.insert("address".into(), json!(after.address.is_some()));
    }
    if !changed.is_empty() {
        audit::record(tx, origin, Some(id), Action::PersonUpdated, serde_json::Value::Object(changed))
            .await?;
    }
    Ok(after)
}

/// Sets the language the person reads: pages after login, and every mail.
#[tracing::instrument(name = "person::set_language", skip_all, fields(person = %id))]
pub async fn set_language(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: PersonId,
    language: Language,
) -> Result<()> {
    let updated = sqlx::query!(
        "UPDATE person SET preferred_language = $2, updated_at = now() WHERE id = $1 AND preferred_language <> $2",
        id as PersonId,
        language.code(),
    )
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() > 0 {
        audit::record(
            tx,
            origin,
            Some(id),
            Action::PersonUpdated,
            json!({ "preferred_language": language.code() }),
        )
        .await?;
    }
    Ok(())
}

/// What a my.* session needs to know about its person on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPerson {
    pub display_name: DisplayName,
    pub supporter_number: Option<SupporterNumber>,
}

/// The person a session stands for, if they may still be logged in: `None` when the person was
/// erased, has no account, or their account is disabled. One query by primary keys (`person.id`,
/// `account.person_id`), cheap enough for every request of a logged-in person.
#[tracing::instrument(name = "person::for_session", skip_all)]
pub async fn for_session<'e>(executor: impl PgExecutor<'e>, id: PersonId) -> Result<Option<SessionPerson>> {
    let row = sqlx::query!(
        r#"SELECT p.display_name, p.supporter_number
           FROM person p JOIN account a ON a.person_id = p.id
           WHERE p.id = $1 AND NOT a.disabled"#,
        id as PersonId,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| SessionPerson {
        display_name: DisplayName::from_db(r.display_name),
        supporter_number: r.supporter_number.map(SupporterNumber::from_db),
    }))
}
