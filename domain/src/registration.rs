// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Becoming a supporter: the registration form creates an unconfirmed person and mails a
//! command link; following it confirms the address, records the consents chosen in the form,
//! opens an account (no password yet) and assigns the supporter number.
//!
//! Registering with an address someone already has creates nothing and answers exactly as a
//! new registration does; the mail then goes to the owner instead: a fresh confirmation link if
//! they never confirmed, otherwise a note that they are registered already. So the form never
//! tells a stranger whether an address is known.

use crate::account::{self, Credential};
use crate::audit::{Actor, Origin};
use crate::command_link::{self, Command, Link};
use crate::consent::{self, ListKey, State};
use crate::email::{self, Verification};
use crate::mail::{self, MailKind, OutgoingMail};
use crate::person::{self, NewPerson};
use crate::types::{
    CountryCode, DisplayName, Email, Language, PersonId, PostalAddress, Referrer, SupporterNumber,
};
use crate::{DomainError, Result};
use secrecy::SecretString;
use sqlx::{PgPool, Postgres, Transaction};

/// A filled-in registration form, every field validated.
#[derive(Debug, Clone)]
pub struct Registration {
    pub display_name: DisplayName,
    pub email: Email,
    pub country: Option<CountryCode>,
    pub address: Option<PostalAddress>,
    pub language: Language,
    pub lists: Vec<ListKey>,
    pub referrer: Option<Referrer>,
}

/// Which mail to write; the caller words it in `language` (domain has no texts).
#[derive(Debug)]
pub enum Notice<'a> {
    /// "Confirm your registration": the link is `/c/{token}`.
    Confirm { name: &'a str, token: &'a SecretString },
    /// "You are registered already" (someone registered again with this address).
    AlreadyRegistered { name: &'a str },
}

/// A mail's subject and body.
pub type Written = (String, String);

/// Registers, or mails the owner of a known address; either way one mail is queued and the
/// caller shows the same "check your mail" page.
pub async fn register(
    pool: &PgPool,
    registration: &Registration,
    write: impl FnOnce(Language, Notice<'_>) -> Written,
) -> Result<()> {
    let origin = Origin { actor: &Actor::System, source: "registration form" };
    let mut tx = pool.begin().await?;
    // Serialises registrations of one address, so two at once cannot both create a person.
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext(lower($1)))", registration.email.as_str())
        .execute(&mut *tx)
        .await?;
    match person::find_by_email(&mut *tx, &registration.email).await? {
        None => {
            let new = NewPerson {
                display_name: registration.display_name.clone(),
                country: registration.country,
                address: registration.address.clone(),
                preferred_language: registration.language,
                referrer: registration.referrer.clone(),
            };
            let created = person::create(&mut tx, origin, &new).await?;
            email::add(&mut tx, origin, created.id, &registration.email, true, Verification::Unverified)
                .await?;
            let command = Command::ConfirmRegistration { lists: registration.lists.clone(), pledge: None };
            let token = command_link::issue(&mut tx, created.id, &command).await?;
            let name = created.display_name.as_str();
            let written = write(created.preferred_language, Notice::Confirm { name, token: &token });
            queue(&mut tx, MailKind::ConfirmRegistration, created.id, &registration.email, written).await?;
        }
        Some(owner) => {
            // The mail goes to the address typed, which is the owner's: nothing reaches the
            // person who typed it unless they own it.
            let name = owner.display_name.as_str();
            let written = if owner.supporter_number.is_none() {
                // Never confirmed: the owner probably lost the first mail. A fresh link
                // replaces the old ones; the choices are those of this form, shown again on
                // the confirmation page before anything happens.
                command_link::void(&mut tx, owner.id, "confirm_registration").await?;
                let command =
                    Command::ConfirmRegistration { lists: registration.lists.clone(), pledge: None };
                let token = command_link::issue(&mut tx, owner.id, &command).await?;
                write(owner.preferred_language, Notice::Confirm { name, token: &token })
            } else {
                write(owner.preferred_language, Notice::AlreadyRegistered { name })
            };
            let kind = if owner.supporter_number.is_none() {
                MailKind::ConfirmRegistration
            } else {
                MailKind::AlreadyRegistered
            };
            // To the address as the owner stored it (the form may have changed its case).
            let stored = email::list_for_person(&mut *tx, owner.id)
                .await?
                .into_iter()
                .map(|a| a.address)
                .find(|a| a.as_str().eq_ignore_ascii_case(registration.email.as_str()))
                .unwrap_or_else(|| registration.email.clone());
            queue(&mut tx, kind, owner.id, &stored, written).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Queues one mail to a person (the donate form's mails too).
pub(crate) async fn queue(
    tx: &mut Transaction<'_, Postgres>,
    kind: MailKind,
    person: PersonId,
    to: &Email,
    (subject, body): Written,
) -> Result<()> {
    mail::enqueue(tx, &OutgoingMail { kind, person: Some(person), to: to.clone(), subject, body }).await?;
    Ok(())
}

/// What following a link did, for the page that reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The registration is confirmed; the person can now log in.
    Registered { supporter_number: SupporterNumber },
    /// The address is now one of the person's verified addresses.
    EmailConfirmed { address: Email },
    /// Somebody else confirmed this address first; nothing changed.
    EmailTaken,
    /// A pledge made with the person's address joined them.
    DonationJoined,
    /// The person is subscribed to the list (or was already).
    Subscribed { list: ListKey },
    /// The list of a subscription link was archived since: nothing changed.
    ListGone,
}

/// Uses a command link and performs its command, all in one transaction. A pledge that joins its
/// person thanks them for the payments that arrived before (`writer`).
pub async fn perform(
    pool: &PgPool,
    token: &str,
    writer: &dyn crate::payment::notice::PaymentWriter,
) -> Result<std::result::Result<(Link, Done), command_link::Refusal>> {
    let mut tx = pool.begin().await?;
    let link = match command_link::redeem(&mut tx, token).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let actor = Actor::Person(link.person);
    let origin = Origin { actor: &actor, source: "command link" };
    let done = match &link.command {
        Command::ConfirmRegistration { lists, pledge } => {
            let done = confirm_registration(&mut tx, origin, link.person, lists).await?;
            if let Some(pledge) = pledge {
                crate::payment::pledge::join_and_thank(&mut tx, origin, *pledge, link.person, writer).await?;
            }
            done
        }
        Command::ConfirmDonation { pledge } => {
            crate::payment::pledge::join_and_thank(&mut tx, origin, *pledge, link.person, writer).await?;
            Done::DonationJoined
        }
        Command::ConfirmSubscription { list } => {
            let origin = Origin { actor: origin.actor, source: "settings, confirmed by mail" };
            match consent::record(&mut tx, origin, link.person, list, State::Subscribed).await {
                Ok(_) => Done::Subscribed { list: list.clone() },
                // Archived since the link was mailed: the link is spent, nothing is subscribed.
                Err(DomainError::NotFound("list")) => Done::ListGone,
                Err(error) => return Err(error),
            }
        }
        // Needs the supporter's choice of a way to pay: `payment::renewal::perform`. The
        // transaction is dropped, so the link stays usable.
        Command::RenewPledge { .. } => return Ok(Err(command_link::Refusal::Unknown)),
        Command::ConfirmEmail { address } => {
            let address = Email::try_from(address.as_str())?;
            // A savepoint, so a conflict leaves the transaction (and the spent link) intact.
            let mut savepoint = sqlx::Acquire::begin(&mut *tx).await?;
            match email::add(
                &mut savepoint,
                origin,
                link.person,
                &address,
                false,
                Verification::VerifiedAt(time::OffsetDateTime::now_utc()),
            )
            .await
            {
                Ok(_) => {
                    savepoint.commit().await?;
                    Done::EmailConfirmed { address }
                }
                Err(DomainError::Conflict(_)) => {
                    savepoint.rollback().await?;
                    Done::EmailTaken
                }
                Err(other) => return Err(other),
            }
        }
    };
    tx.commit().await?;
    Ok(Ok((link, done)))
}

async fn confirm_registration(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    lists: &[ListKey],
) -> Result<Done> {
    let addresses = email::list_for_person(&mut **tx, person).await?;
    let primary = addresses.iter().find(|a| a.is_primary).ok_or(DomainError::NotFound("email address"))?;
    email::mark_verified(tx, origin, person, &primary.address).await?;
    let consent_origin = Origin { actor: origin.actor, source: "registration form" };
    for list in lists {
        // A list archived since the form was sent is skipped; the registration still completes.
        match consent::record(tx, consent_origin, person, list, State::Subscribed).await {
            Ok(_) | Err(DomainError::NotFound("list")) => {}
            Err(error) => return Err(error),
        }
    }
    if account::get(&mut **tx, person).await?.is_none() {
        account::create(tx, origin, person, None, &Credential::Builtin { password_hash: None }).await?;
    }
    let supporter_number = person::assign_supporter_number(tx, origin, person).await?;
    Ok(Done::Registered { supporter_number })
}

/// Sends a command link to confirm a new address for a person (settings). The address must not
/// be anyone's yet; if it is, nothing is mailed and the caller says the same as on success, so
/// an address's owner is not revealed.
pub async fn request_email(
    pool: &PgPool,
    person: PersonId,
    address: &Email,
    write: impl FnOnce(Language, &str, &SecretString) -> Written,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    if person::find_by_email(&mut *tx, address).await?.is_some() {
        return Ok(());
    }
    let Some(owner) = person::get(&mut *tx, person).await? else {
        return Err(DomainError::NotFound("person"));
    };
    let command = Command::ConfirmEmail { address: address.as_str().to_owned() };
    let token = command_link::issue(&mut tx, person, &command).await?;
    let written = write(owner.preferred_language, owner.display_name.as_str(), &token);
    queue(&mut tx, MailKind::ConfirmEmail, person, address, written).await?;
    tx.commit().await?;
    Ok(())
}

/// Applies a settings form's list choices: unticked lists are left, ticked lists without double
/// opt-in are joined at once, and each ticked double opt-in list not yet subscribed gets a
/// `ConfirmSubscription` link mailed to the primary address (joined when it is followed).
/// `offered` are the lists the form showed (`mailing::list::offered_to`); a key in `wanted` not
/// among them is `NotFound`. Returns the lists now waiting for confirmation.
pub async fn choose_lists(
    pool: &PgPool,
    origin: Origin<'_>,
    person: PersonId,
    offered: &[crate::mailing::List],
    wanted: &[ListKey],
    write: impl Fn(Language, &str, &str, &SecretString) -> Written,
) -> Result<Vec<ListKey>> {
    if wanted.iter().any(|key| !offered.iter().any(|list| &list.key == key)) {
        return Err(DomainError::NotFound("list"));
    }
    let mut tx = pool.begin().await?;
    let Some(owner) = person::get(&mut *tx, person).await? else {
        return Err(DomainError::NotFound("person"));
    };
    let subscribed = consent::subscribed(&mut *tx, person).await?;
    let mut waiting = Vec::new();
    for list in offered {
        let ticked = wanted.contains(&list.key);
        if ticked && list.double_opt_in && !subscribed.contains(&list.key) {
            let addresses = email::list_for_person(&mut *tx, person).await?;
            let Some(primary) = addresses.into_iter().find(|a| a.is_primary) else { continue };
            let command = Command::ConfirmSubscription { list: list.key.clone() };
            let token = command_link::issue(&mut tx, person, &command).await?;
            let name = list.name(owner.preferred_language);
            let written = write(owner.preferred_language, owner.display_name.as_str(), name, &token);
            queue(&mut tx, MailKind::ConfirmSubscription, person, &primary.address, written).await?;
            waiting.push(list.key.clone());
        } else {
            let state = if ticked { State::Subscribed } else { State::Unsubscribed };
            consent::record(&mut tx, origin, person, &list.key, state).await?;
        }
    }
    tx.commit().await?;
    Ok(waiting)
}

/// Trades an expired link for a fresh one, mailed where the old one went. `false` when the link
/// is not expired-and-unused (the page then says the link is not valid).
pub async fn renew(
    pool: &PgPool,
    token: &str,
    write: impl FnOnce(Language, Notice<'_>, &Command) -> Written,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some((person, command, fresh)) = command_link::renew(&mut tx, token).await? else { return Ok(false) };
    let Some(owner) = person::get(&mut *tx, person).await? else { return Ok(false) };
    let to = match command.address() {
        Some(address) => address,
        None => {
            let addresses = email::list_for_person(&mut *tx, person).await?;
            let Some(primary) = addresses.into_iter().find(|a| a.is_primary) else { return Ok(false) };
            primary.address
        }
    };
    let kind = match command {
        Command::ConfirmRegistration { .. } => MailKind::ConfirmRegistration,
        Command::ConfirmEmail { .. } => MailKind::ConfirmEmail,
        Command::ConfirmDonation { .. } => MailKind::ConfirmDonation,
        Command::RenewPledge { .. } => MailKind::RenewPledge,
        Command::ConfirmSubscription { .. } => MailKind::ConfirmSubscription,
    };
    let written = write(
        owner.preferred_language,
        Notice::Confirm { name: owner.display_name.as_str(), token: &fresh },
        &command,
    );
    queue(&mut tx, kind, person, &to, written).await?;
    tx.commit().await?;
    Ok(true)
}
