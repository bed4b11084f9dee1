// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The audit log: who changed what, when and from where.
//!
//! Domain functions that change data write their entry themselves, in the caller's transaction,
//! so a change and its record commit together or not at all.

use crate::Result;
use crate::types::PersonId;
use serde_json::Value;
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A person acting on their own data (self-service).
    Person(PersonId),
    /// A member of staff, by login name (CLI or staff area).
    Staff(String),
    /// Another service, by OIDC client id.
    Service(String),
    /// The system itself: migrations, demo data, scheduled jobs.
    System,
}

/// What was done. Stored as the dotted string of `as_str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    PersonCreated,
    PersonUpdated,
    SupporterNumberAssigned,
    EmailAdded,
    EmailVerified,
    EmailRemoved,
    EmailMadePrimary,
    ConsentGiven,
    ConsentWithdrawn,
    AccountCreated,
    PasswordSet,
    AccountDisabled,
    GroupCreated,
    GroupMemberSet,
    GroupMemberRemoved,
    ClientCreated,
    ClientUpdated,
    ClientSecretRotated,
    ClientDeleted,
    SigningKeyRotated,
    SigningKeysRewrapped,
    PledgeCreated,
    PledgeJoined,
    PledgeChanged,
    PledgeEnded,
    PaymentRegistered,
    PaymentAdjusted,
    StatementImported,
    StatementEntryAssigned,
    FlagResolved,
    PledgeNeedsRenewal,
    PledgeRenewed,
    PaymentFailed,
    TransferReminded,
    SubscriptionCancelled,
    PaymentRecorded,
    PaymentRefunded,
    AnnualStatementIssued,
    AnnualStatementSent,
    ListCreated,
    ListChanged,
    ListArchived,
    MailingCreated,
    MailingChanged,
    MailingStateChanged,
    AddressUndeliverable,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::PersonCreated => "person.created",
            Action::PersonUpdated => "person.updated",
            Action::SupporterNumberAssigned => "person.supporter_number_assigned",
            Action::EmailAdded => "email.added",
            Action::EmailVerified => "email.verified",
            Action::EmailRemoved => "email.removed",
            Action::EmailMadePrimary => "email.made_primary",
            Action::ConsentGiven => "consent.given",
            Action::ConsentWithdrawn => "consent.withdrawn",
            Action::AccountCreated => "account.created",
            Action::PasswordSet => "account.password_set",
            Action::AccountDisabled => "account.disabled",
            Action::GroupCreated => "group.created",
            Action::GroupMemberSet => "group.member_set",
            Action::GroupMemberRemoved => "group.member_removed",
            Action::ClientCreated => "oidc.client_created",
            Action::ClientUpdated => "oidc.client_updated",
            Action::ClientSecretRotated => "oidc.client_secret_rotated",
            Action::ClientDeleted => "oidc.client_deleted",
            Action::SigningKeyRotated => "oidc.signing_key_rotated",
            Action::SigningKeysRewrapped => "oidc.signing_keys_rewrapped",
            Action::PledgeCreated => "pledge.created",
            Action::PledgeJoined => "pledge.joined",
            Action::PledgeChanged => "pledge.changed",
            Action::PledgeEnded => "pledge.ended",
            Action::PaymentRegistered => "payment.registered",
            Action::PaymentAdjusted => "payment.adjusted",
            Action::StatementImported => "payment.statement_imported",
            Action::StatementEntryAssigned => "payment.statement_entry_assigned",
            Action::FlagResolved => "payment.flag_resolved",
            Action::PledgeNeedsRenewal => "pledge.needs_renewal",
            Action::PledgeRenewed => "pledge.renewed",
            Action::PaymentFailed => "payment.failed",
            Action::TransferReminded => "pledge.transfer_reminded",
            Action::SubscriptionCancelled => "pledge.subscription_cancelled",
            Action::PaymentRecorded => "payment.recorded_by_hand",
            Action::PaymentRefunded => "payment.refunded_by_staff",
            Action::AnnualStatementIssued => "statement.issued",
            Action::AnnualStatementSent => "statement.sent",
            Action::ListCreated => "list.created",
            Action::ListChanged => "list.changed",
            Action::ListArchived => "list.archived",
            Action::MailingCreated => "mailing.created",
            Action::MailingChanged => "mailing.changed",
            Action::MailingStateChanged => "mailing.state_changed",
            Action::AddressUndeliverable => "email.undeliverable",
        }
    }
}

/// Who makes a change, and through what. Every function that changes data takes one and writes
/// it to the audit log with the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    pub actor: &'a Actor,
    /// Through what: "cli", "settings", "registration", an IP address, ...
    pub source: &'a str,
}

/// One stored entry, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub occurred_at: OffsetDateTime,
    pub actor_person: Option<PersonId>,
    pub actor_name: Option<String>,
    pub subject: Option<PersonId>,
    pub action: String,
    pub details: Value,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "actor_kind", rename_all = "lowercase")]
enum ActorKind {
    Person,
    Staff,
    Service,
    System,
}

/// The audit log's columns for who acted.
fn actor_columns(actor: &Actor) -> (ActorKind, Option<PersonId>, Option<&str>) {
    match actor {
        Actor::Person(id) => (ActorKind::Person, Some(*id), None),
        Actor::Staff(name) => (ActorKind::Staff, None, Some(name.as_str())),
        Actor::Service(name) => (ActorKind::Service, None, Some(name.as_str())),
        Actor::System => (ActorKind::System, None, None),
    }
}

/// Records one change. Details must never hold secrets (passwords, tokens, hashes).
pub(crate) async fn record(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    subject: Option<PersonId>,
    action: Action,
    details: Value,
) -> Result<()> {
    let (kind, person, name) = actor_columns(origin.actor);
    sqlx::query!(
        r#"INSERT INTO audit_log (actor_kind, actor_person_id, actor_name, subject_person_id, action, details, source)
           VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        kind as ActorKind,
        person as Option<PersonId>,
        name,
        subject as Option<PersonId>,
        action.as_str(),
        details,
        origin.source,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records one change of the same kind for each of many subjects, in one statement: a batch of
/// thousands (annual statements) would otherwise be thousands of round trips.
pub(crate) async fn record_many(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    action: Action,
    entries: Vec<(Option<PersonId>, Value)>,
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let (kind, person, name) = actor_columns(origin.actor);
    let (subjects, details): (Vec<Option<uuid::Uuid>>, Vec<Value>) =
        entries.into_iter().map(|(subject, details)| (subject.map(|s| s.as_uuid()), details)).unzip();
    sqlx::query!(
        r#"INSERT INTO audit_log (actor_kind, actor_person_id, actor_name, subject_person_id, action, details, source)
           SELECT $1, $2, $3, subject, $4, details, $5
           FROM UNNEST($6::uuid[], $7::jsonb[]) AS t(subject, details)"#,
        kind as ActorKind,
        person as Option<PersonId>,
        name,
        action.as_str(),
        origin.source,
        &subjects as &[Option<uuid::Uuid>],
        &details,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every entry about a person, oldest first.
pub async fn for_person<'e>(executor: impl sqlx::PgExecutor<'e>, person: PersonId) -> Result<Vec<Entry>> {
    let rows = sqlx::query!(
        r#"SELECT occurred_at, actor_person_id AS "actor_person: PersonId", actor_name,
                  subject_person_id AS "subject: PersonId", action, details, source
           FROM audit_log WHERE subject_person_id = $1 ORDER BY id"#,
        person as PersonId,
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            occurred_at: r.occurred_at,
            actor_person: r.actor_person,
            actor_name: r.actor_name,
            subject: r.subject,
            action: r.action,
            details: r.details,
            source: r.source,
        })
        .collect())
}
