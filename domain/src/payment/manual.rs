// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What staff do by hand (`cdb-admin payments record|refund`, `cdb-admin pledges migrate`):
//! payments handed over in cash or by cheque, refunds staff make, and the preview of a
//! migration away from a processor.
//!
//! A payment recorded by hand is keyed like every other payment, by `(provider,
//! provider_object_id)`: provider `manual` and the receipt number staff give (`receipt:…`) or,
//! without one, a key derived from what was recorded (`auto:…`: person, pledge, amount, date
//! and method), so running the same command twice (shell history, a retried script) registers
//! one payment. Two identical gifts of one person on one day need two receipt numbers.
//!
//! [`payment::register`] cannot insert these: the table requires `manual_method` exactly for
//! provider `manual` (migration 20261203000002) and `NewPayment` has no such field. So
//! [`record`] inserts the row itself and then applies the same rules through the same functions
//! register uses: the pledge is locked, must be the person's and match
//! ([`payment::mismatch`]), is marked paid ([`pledge::record_paid`]), and the thank-you mail is
//! queued ([`payment::queue_thanks`]).
//!
//! A refund goes through [`payment::adjust`], keyed by an id staff give or one generated here.
//! It is checked first against what is left of the payment and refused (nothing stored) if it
//! is larger: unlike a provider's report, a staff member is there to be told.

use super::flag::Reason;
use super::kinds::{ManualMethod, Method, PaymentStatus, Period, Provider};
use super::money::{Currency, Money};
use super::notice::PaymentWriter;
use super::payment::{self, Adjusted, AdjustmentKind, NewAdjustment};
use super::pledge;
use crate::Result;
use crate::audit::{self, Action, Origin};
use crate::types::{InvalidValue, PaymentId, PersonId, PledgeId};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool};
use time::Date;

/// The longest receipt number or refund id staff may give.
pub const MAX_RECEIPT: usize = 100;
/// The longest note (the column's own limit).
pub const MAX_NOTE: usize = 500;

/// A payment handed to staff.
#[derive(Debug, Clone)]
pub struct NewManualPayment<'a> {
    pub person: PersonId,
    /// The pledge it pays, if any (it must be the person's); without one it is a one-off gift.
    pub pledge: Option<PledgeId>,
    pub amount: Money,
    pub method: ManualMethod,
    pub booked_on: Date,
    /// The receipt number staff wrote; `None` derives the key from the other fields.
    pub receipt: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// Why [`record`] stored nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordRefused {
    #[error("no such person")]
    UnknownPerson,
    #[error("no such pledge")]
    UnknownPledge,
    #[error("the pledge belongs to someone else")]
    OtherPersonsPledge,
    #[error("the pledge was cancelled")]
    PledgeCancelled,
    #[error("the pledge is for {promised}, not {given}")]
    PledgeMismatch { promised: Money, given: Money },
    #[error("the amount must be more than zero")]
    NotPositive,
    #[error("the booking date {0} is in the future")]
    FutureDate(Date),
    #[error("the receipt number must have 1 to {MAX_RECEIPT} printable characters")]
    BadReceipt,
    #[error("the note must have at most {MAX_NOTE} characters and no control characters")]
    BadNote,
    /// The same receipt number was recorded for another payment (other person, amount, date,
    /// method or pledge): a typo or a reused receipt book, for staff to look at.
    #[error("receipt {receipt:?} was recorded before for another payment ({payment})")]
    ReceiptUsed { receipt: String, payment: PaymentId },
}

/// What [`record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub payment: PaymentId,
    /// `false`: this payment was recorded before; nothing changed.
    pub new: bool,
    /// The payment's key without its `receipt:`/`auto:` prefix: what to write on the receipt.
    pub receipt: String,
    /// Whether the thank-you mail was queued (the person has a confirmed primary address).
    pub thanked: bool,
}

fn printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// The payment's key: the receipt number, or a digest of what identifies the gift.
fn key(new: &NewManualPayment<'_>) -> std::result::Result<(String, String), RecordRefused> {
    if let Some(receipt) = new.receipt {
        let receipt = receipt.trim();
        if receipt.is_empty() || receipt.chars().count() > MAX_RECEIPT || !printable(receipt) {
            return Err(RecordRefused::BadReceipt);
        }
        return Ok((format!("receipt:{receipt}"), receipt.to_owned()));
    }
    let pledge = new.pledge.map(|p| p.to_string()).unwrap_or_default();
    let text = format!(
        "{}|{pledge}|{}|{}|{}|{}",
        new.person, new.amount.minor, new.amount.currency, new.booked_on, new.method
    );
    let digest = Sha256::digest(text.as_bytes());
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Ok((format!("auto:{short}"), short))
}

/// Records a payment staff received by hand, once per key (see the module docs). `today`
/// bounds the booking date: a gift is not booked before it was given.
pub async fn record(
    pool: &PgPool,
    origin: Origin<'_>,
    today: Date,
    new: &NewManualPayment<'_>,
    writer: &dyn PaymentWriter,
) -> Result<std::result::Result<Recorded, RecordRefused>> {
    if new.amount.minor <= 0 {
        return Ok(Err(RecordRefused::NotPositive));
    }
    if new.booked_on > today {
        return Ok(Err(RecordRefused::FutureDate(new.booked_on)));
    }
    let note = new.note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE || n.chars().any(|c| c.is_control() && c != '\n')) {
        return Ok(Err(RecordRefused::BadNote));
    }
    let (key, receipt) = match key(new) {
        Ok(key) => key,
        Err(refused) => return Ok(Err(refused)),
    };
    let mut tx = pool.begin().await?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM person WHERE id = $1) AS "exists!""#,
        new.person as PersonId
    )
    .fetch_one(&mut *tx)
    .await?;
    if !exists {
        return Ok(Err(RecordRefused::UnknownPerson));
    }
    // Locked first, as `register` does, so concurrent payments of one pledge update it in turn.
    let pledge = match new.pledge {
        Some(id) => match pledge::lock(&mut tx, id).await? {
            None => return Ok(Err(RecordRefused::UnknownPledge)),
            Some(p) if p.person != Some(new.person) => return Ok(Err(RecordRefused::OtherPersonsPledge)),
            Some(p) => Some(p),
        },
        None => None,
    };
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO payment (provider, provider_object_id, pledge_id, person_id, amount_minor, currency,
                                fee_minor, booked_on, manual_method, note)
           VALUES ('manual', $1, $2, $3, $4, $5, 0, $6, $7, $8)
           ON CONFLICT (provider, provider_object_id) DO NOTHING
           RETURNING id AS "id: PaymentId""#,
        key,
        new.pledge as Option<PledgeId>,
        new.person as PersonId,
        new.amount.minor,
        new.amount.currency.as_str(),
        new.booked_on,
        new.method as ManualMethod,
        note,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = inserted else {
        // Recorded before: the same gift again changes nothing; the same receipt number for a
        // different gift is refused.
        let known = sqlx::query!(
            r#"SELECT id AS "id: PaymentId", person_id AS "person: PersonId", pledge_id AS "pledge: PledgeId",
                      amount_minor, currency, booked_on, manual_method AS "method: ManualMethod"
               FROM payment WHERE provider = 'manual' AND provider_object_id = $1"#,
            key,
        )
        .fetch_one(&mut *tx)
        .await?;
        let same = known.person == Some(new.person)
            && known.pledge == new.pledge
            && known.amount_minor == new.amount.minor
            && known.currency == new.amount.currency.as_str()
            && known.booked_on == new.booked_on
            && known.method == Some(new.method);
        if !same {
            return Ok(Err(RecordRefused::ReceiptUsed { receipt, payment: known.id }));
        }
        return Ok(Ok(Recorded { payment: known.id, new: false, receipt, thanked: false }));
    };
    // Checked after the insert only so that a repeated command is recognised as such (above)
    // even when the pledge has changed since; a refusal here rolls the insert back.
    if let Some(p) = &pledge {
        match payment::mismatch(p, new.amount) {
            Some(Reason::PledgeCancelled) => return Ok(Err(RecordRefused::PledgeCancelled)),
            Some(_) => {
                return Ok(Err(RecordRefused::PledgeMismatch { promised: p.amount, given: new.amount }));
            }
            None => {}
        }
    }
    audit::record(
        &mut tx,
        origin,
        Some(new.person),
        Action::PaymentRecorded,
        json!({ "payment": id, "receipt": receipt, "pledge": new.pledge, "amount_minor": new.amount.minor,
                "currency": new.amount.currency, "method": new.method, "booked_on": new.booked_on.to_string() }),
    )
    .await?;
    if let Some(p) = &pledge {
        pledge::record_paid(&mut tx, p, Provider::Manual, new.booked_on).await?;
    }
    let period = pledge.as_ref().map_or(Period::Once, |p| p.period);
    payment::queue_thanks(&mut tx, new.person, period, pledge.as_ref(), new.amount, new.booked_on, writer)
        .await?;
    let thanked = has_confirmed_address(&mut *tx, new.person).await?;
    tx.commit().await?;
    Ok(Ok(Recorded { payment: id, new: true, receipt, thanked }))
}

/// Whether mail can reach the person (what `queue_thanks` needs to queue one).
async fn has_confirmed_address<'e>(executor: impl PgExecutor<'e>, person: PersonId) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM email_address
                          WHERE person_id = $1 AND is_primary AND verified_at IS NOT NULL) AS "exists!""#,
        person as PersonId
    )
    .fetch_one(executor)
    .await?)
}

/// Why [`refund`] stored nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundRefused {
    #[error("no such payment")]
    UnknownPayment,
    #[error("the payment failed: there is nothing to refund")]
    PaymentFailed,
    #[error("the amount is not valid: {0}")]
    BadAmount(InvalidValue),
    #[error("the amount must be more than zero")]
    NotPositive,
    #[error("nothing is left to refund: {refunded} of {amount} refunded already")]
    NothingLeft { amount: Money, refunded: Money },
    #[error("{asked} is more than what is left of the payment ({left} of {amount})")]
    ExceedsRemaining { asked: Money, left: Money, amount: Money },
    /// A Stripe or PayPal payment: the refund must be made there, and its id recorded here so
    /// the provider's own report of it is recognised and not counted twice.
    #[error("a {0} payment: refund it in {0}'s dashboard and give its refund id (--id)")]
    ProviderIdNeeded(Provider),
    #[error("the refund id must have 1 to {MAX_RECEIPT} printable characters without spaces")]
    BadId,
    #[error("refund id {0:?} was recorded before for another payment")]
    IdUsed(String),
    /// `payment::adjust` did not apply it although the checks above passed (cannot happen
    /// under the payment's lock); nothing is stored.
    #[error("the refund could not be applied ({0})")]
    NotApplied(&'static str),
}

/// What [`refund`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refunded {
    pub payment: PaymentId,
    /// The refund's key (given, or generated: `staff-…`).
    pub id: String,
    pub amount: Money,
    /// Refunded of the payment in total, afterwards.
    pub refunded: Money,
    pub status: PaymentStatus,
    /// `true`: this refund id was recorded before (by staff or the provider's report); nothing
    /// changed.
    pub repeated: bool,
}

/// Records a refund staff made of `payment`: the whole rest of it, or `amount` (decimal text
/// in the payment's currency). `id` is the refund's key: required for Stripe and PayPal
/// payments (the provider's refund id), generated otherwise when not given.
pub async fn refund(
    pool: &PgPool,
    origin: Origin<'_>,
    id: PaymentId,
    amount: Option<&str>,
    refund_id: Option<&str>,
) -> Result<std::result::Result<Refunded, RefundRefused>> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"SELECT provider AS "provider: Provider", provider_object_id, amount_minor, currency, refunded_minor,
                  status AS "status: PaymentStatus", person_id AS "person: PersonId"
           FROM payment WHERE id = $1 FOR UPDATE"#,
        id as PaymentId,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(Err(RefundRefused::UnknownPayment)) };
    let currency = Currency::parse(&row.currency)?;
    let money = |minor| Money::new(minor, currency);
    let key = match refund_id.map(str::trim) {
        Some(given) => {
            if given.is_empty()
                || given.chars().count() > MAX_RECEIPT
                || given.chars().any(|c| c.is_control() || c.is_whitespace())
            {
                return Ok(Err(RefundRefused::BadId));
            }
            given.to_owned()
        }
        None if matches!(row.provider, Provider::Stripe | Provider::Paypal) => {
            return Ok(Err(RefundRefused::ProviderIdNeeded(row.provider)));
        }
        None => format!("staff-{}", uuid::Uuid::new_v4()),
    };
    // The same refund id again (a retried command, or the provider reported it first).
    let earlier = sqlx::query!(
        r#"SELECT payment_key, amount_minor FROM payment_adjustment
           WHERE provider = $1 AND provider_id = $2"#,
        row.provider as Provider,
        key,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(earlier) = earlier {
        let same = payment::key_to_payment(&mut *tx, row.provider, &earlier.payment_key).await? == Some(id);
        if !same {
            return Ok(Err(RefundRefused::IdUsed(key)));
        }
        return Ok(Ok(Refunded {
            payment: id,
            id: key,
            amount: money(earlier.amount_minor),
            refunded: money(row.refunded_minor),
            status: row.status,
            repeated: true,
        }));
    }
    if row.status == PaymentStatus::Failed {
        return Ok(Err(RefundRefused::PaymentFailed));
    }
    let left = row.amount_minor - row.refunded_minor;
    if left <= 0 {
        return Ok(Err(RefundRefused::NothingLeft {
            amount: money(row.amount_minor),
            refunded: money(row.refunded_minor),
        }));
    }
    let asked = match amount {
        None => money(left),
        Some(text) => match Money::parse_decimal(text, currency) {
            Ok(asked) => asked,
            Err(invalid) => return Ok(Err(RefundRefused::BadAmount(invalid))),
        },
    };
    if asked.minor <= 0 {
        return Ok(Err(RefundRefused::NotPositive));
    }
    if asked.minor > left {
        return Ok(Err(RefundRefused::ExceedsRemaining {
            asked,
            left: money(left),
            amount: money(row.amount_minor),
        }));
    }
    let new = NewAdjustment {
        provider: row.provider,
        provider_id: &key,
        kind: AdjustmentKind::Refund,
        payment_key: &row.provider_object_id,
        amount: asked,
    };
    match payment::adjust(&mut tx, origin, &new).await? {
        Adjusted::Applied(_) => {}
        // Checked above under the payment's lock, so none of these can happen; if one did,
        // dropping the transaction stores nothing.
        Adjusted::Flagged(reason) => return Ok(Err(RefundRefused::NotApplied(reason.as_str()))),
        Adjusted::Waiting => return Ok(Err(RefundRefused::NotApplied("payment not found"))),
        Adjusted::Repeated => return Ok(Err(RefundRefused::NotApplied("recorded concurrently"))),
    }
    let after = sqlx::query!(
        r#"SELECT refunded_minor, status AS "status: PaymentStatus" FROM payment WHERE id = $1"#,
        id as PaymentId
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        origin,
        row.person,
        Action::PaymentRefunded,
        json!({ "payment": id, "refund": key, "provider": row.provider, "amount_minor": asked.minor,
                "currency": currency, "refunded_minor": after.refunded_minor }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(Refunded {
        payment: id,
        id: key,
        amount: asked,
        refunded: money(after.refunded_minor),
        status: after.status,
        repeated: false,
    }))
}

/// What `cdb-admin pledges migrate --from …` would do, shown before staff confirm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrationPreview {
    /// Active recurring pledges paid through the provider: each will need renewal.
    pub to_mark: i64,
    /// Of those, how many will get the renewal mail (a confirmed primary address).
    pub to_mail: i64,
    /// Pledges an earlier run marked that have not been renewed yet.
    pub waiting: i64,
}

/// Counts what [`super::renewal::migrate`] would mark: its own selection (active, recurring,
/// paid through `from`). Belongs beside `migrate`; kept here with the other staff-only reads.
pub async fn migration_preview<'e>(executor: impl PgExecutor<'e>, from: Method) -> Result<MigrationPreview> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE p.status = 'active') AS "to_mark!",
                  count(*) FILTER (WHERE p.status = 'active' AND EXISTS (
                      SELECT 1 FROM email_address e
                      WHERE e.person_id = p.person_id AND e.is_primary AND e.verified_at IS NOT NULL)) AS "to_mail!",
                  count(*) FILTER (WHERE p.status = 'needs_renewal' AND p.renewal_reason = 'provider_dropped') AS "waiting!"
           FROM pledge p
           WHERE p.method = $1 AND p.period <> 'once' AND p.status IN ('active', 'needs_renewal')"#,
        from as Method,
    )
    .fetch_one(executor)
    .await?;
    Ok(MigrationPreview { to_mark: row.to_mark, to_mail: row.to_mail, waiting: row.waiting })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn gift(receipt: Option<&str>) -> NewManualPayment<'_> {
        NewManualPayment {
            person: PersonId::from(uuid::Uuid::nil()),
            pledge: None,
            amount: Money::new(2500, Currency::EUR),
            method: ManualMethod::Cash,
            booked_on: date!(2026 - 12 - 01),
            receipt,
            note: None,
        }
    }

    #[test]
    fn the_same_gift_gets_the_same_key_and_another_gift_another() {
        let (a, _) = key(&gift(None)).unwrap();
        assert_eq!(a, key(&gift(None)).unwrap().0);
        assert!(a.starts_with("auto:"));
        let mut other = gift(None);
        other.amount.minor = 2501;
        assert_ne!(a, key(&other).unwrap().0);
        other = gift(None);
        other.method = ManualMethod::Cheque;
        assert_ne!(a, key(&other).unwrap().0);
    }

    #[test]
    fn receipt_numbers_are_the_key_and_must_be_printable() {
        assert_eq!(key(&gift(Some(" Q-17 "))).unwrap(), ("receipt:Q-17".to_owned(), "Q-17".to_owned()));
        let long = "x".repeat(MAX_RECEIPT + 1);
        for bad in ["", "   ", "a\nb", "bell\u{7}", long.as_str()] {
            assert_eq!(key(&gift(Some(bad))), Err(RecordRefused::BadReceipt), "{bad:?}");
        }
    }
}
