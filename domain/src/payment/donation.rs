// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The donate form: a checked gift becomes a pledge, of the logged-in person or of a visitor.
//!
//! A visitor's name and address go through the registration mechanism, so a known address
//! never creates a second person and is never revealed: the page shows the transfer details at
//! once whoever owns the address, and the pledge joins its person only when the address's owner
//! follows the mailed command link. A new address gets a new, unconfirmed person and the usual
//! confirmation (which now also carries the pledge); a confirmed owner gets a "someone,
//! probably you, pledged" mail whose link adds the pledge to their account.

use super::notice::{DonationNotice, PledgeSummary};
use super::offer::Gift;
use super::pledge::{self, NewPledge, Pledge};
use crate::Result;
use crate::audit::{Actor, Origin};
use crate::command_link::{self, Command};
use crate::email::{self, Verification};
use crate::mail::MailKind;
use crate::person::{self, NewPerson};
use crate::registration::{self, Written};
use crate::types::{DisplayName, Email, Language, PersonId, Referrer};
use sqlx::PgPool;

/// Who gives.
#[derive(Debug, Clone)]
pub enum Giver {
    /// A logged-in person: the pledge is theirs at once.
    Person(PersonId),
    /// Someone not logged in, by name and address.
    Visitor { display_name: DisplayName, email: Email, language: Language },
}

/// Creates the pledge of a donate form (and, for a visitor, the person or the mail that will
/// give it its person). The caller shows the transfer details or goes on to the provider.
pub async fn pledge(
    pool: &PgPool,
    gift: &Gift,
    giver: &Giver,
    referrer: Option<Referrer>,
    write: impl FnOnce(Language, DonationNotice<'_>) -> Written,
) -> Result<Pledge> {
    let mut tx = pool.begin().await?;
    let new = |person| NewPledge {
        person,
        amount: gift.amount,
        period: gift.period,
        method: gift.method,
        referrer: referrer.clone(),
    };
    let pledge = match giver {
        Giver::Person(person) => {
            let actor = Actor::Person(*person);
            pledge::create(&mut tx, Origin { actor: &actor, source: "donate form" }, &new(Some(*person)))
                .await?
        }
        Giver::Visitor { display_name, email: address, language } => {
            let origin = Origin { actor: &Actor::System, source: "donate form" };
            // Serialises forms of one address (as registration does), so two at once cannot both
            // create a person.
            sqlx::query!("SELECT pg_advisory_xact_lock(hashtext(lower($1)))", address.as_str())
                .execute(&mut *tx)
                .await?;
            let pledge = pledge::create(&mut tx, origin, &new(None)).await?;
            let summary = PledgeSummary {
                amount: pledge.amount,
                period: pledge.period,
                method: pledge.method,
                reference: pledge.reference.clone(),
            };
            match person::find_by_email(&mut *tx, address).await? {
                None => {
                    let created = person::create(
                        &mut tx,
                        origin,
                        &NewPerson {
                            display_name: display_name.clone(),
                            country: None,
                            address: None,
                            preferred_language: *language,
                            referrer: referrer.clone(),
                        },
                    )
                    .await?;
                    email::add(&mut tx, origin, created.id, address, true, Verification::Unverified).await?;
                    let command = Command::ConfirmRegistration { lists: Vec::new(), pledge: Some(pledge.id) };
                    let token = command_link::issue(&mut tx, created.id, &command).await?;
                    let written =
                        write(*language, DonationNotice::ConfirmNew { token: &token, pledge: &summary });
                    registration::queue(&mut tx, MailKind::ConfirmRegistration, created.id, address, written)
                        .await?;
                }
                Some(owner) => {
                    // To the address as its owner stored it.
                    let stored = email::list_for_person(&mut *tx, owner.id)
                        .await?
                        .into_iter()
                        .map(|a| a.address)
                        .find(|a| a.as_str().eq_ignore_ascii_case(address.as_str()))
                        .unwrap_or_else(|| address.clone());
                    let (kind, written) = if owner.supporter_number.is_none() {
                        // Never confirmed: confirming now registers them and the pledge joins.
                        let command =
                            Command::ConfirmRegistration { lists: Vec::new(), pledge: Some(pledge.id) };
                        let token = command_link::issue(&mut tx, owner.id, &command).await?;
                        let notice = DonationNotice::ConfirmNew { token: &token, pledge: &summary };
                        (MailKind::ConfirmRegistration, write(owner.preferred_language, notice))
                    } else {
                        let token = command_link::issue(
                            &mut tx,
                            owner.id,
                            &Command::ConfirmDonation { pledge: pledge.id },
                        )
                        .await?;
                        let notice = DonationNotice::ConfirmKnown {
                            name: owner.display_name.as_str(),
                            token: &token,
                            pledge: &summary,
                        };
                        (MailKind::ConfirmDonation, write(owner.preferred_language, notice))
                    };
                    registration::queue(&mut tx, kind, owner.id, &stored, written).await?;
                }
            }
            pledge
        }
    };
    tx.commit().await?;
    Ok(pledge)
}
