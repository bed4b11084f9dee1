// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Who of a list's subscribers a mailing goes to. Every filter narrows; an empty filter (no
//! countries, say) does not filter. Stored with the mailing as JSON and turned into SQL here,
//! with every value bound, never spliced.
//!
//! A recipient is always: subscribed to the list now, with a verified primary address that has
//! not been marked undeliverable. Subscriptions to a double opt-in list exist only once
//! confirmed (`consent::record`), so that rule needs no extra filter here.

use crate::Result;
use crate::consent::ListKey;
use crate::payment::Period;
use sqlx::{PgExecutor, Postgres, QueryBuilder};
use time::Date;
use uuid::Uuid;

/// Where a person stands as a donor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DonorStatus {
    /// Has a recurring pledge that is active now.
    Recurring,
    /// Has a pledge that needs renewal (its collection stopped without them asking).
    NeedsRenewal,
    /// Has given at least once (any payment received).
    EverGave,
    /// Has never given.
    NeverGave,
}

/// The filters of a mailing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Segment {
    /// ISO 3166-1 codes ("DE"); persons without a country match none.
    pub countries: Vec<String>,
    /// Preferred languages ("de").
    pub languages: Vec<String>,
    /// `Some(true)`: supporters (a supporter number, so a confirmed registration) only;
    /// `Some(false)`: persons without one only.
    pub supporter: Option<bool>,
    pub donor: Option<DonorStatus>,
    /// Persons with an active pledge of one of these periods.
    pub pledge_periods: Vec<Period>,
    /// Registration referrers (the campaign or page that brought them), exactly.
    pub referrers: Vec<String>,
    /// Registered on or after this day (UTC).
    pub registered_from: Option<Date>,
    /// Registered on or before this day (UTC).
    pub registered_until: Option<Date>,
}

impl Segment {
    /// A one-line description for staff ("everyone" when it filters nothing).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.countries.is_empty() {
            parts.push(format!("country {}", self.countries.join("|")));
        }
        if !self.languages.is_empty() {
            parts.push(format!("language {}", self.languages.join("|")));
        }
        match self.supporter {
            Some(true) => parts.push("supporters".to_owned()),
            Some(false) => parts.push("not supporters".to_owned()),
            None => {}
        }
        if let Some(donor) = self.donor {
            parts.push(format!("donor {donor:?}"));
        }
        if !self.pledge_periods.is_empty() {
            let periods: Vec<&str> = self.pledge_periods.iter().map(|p| p.as_str()).collect();
            parts.push(format!("pledge {}", periods.join("|")));
        }
        if !self.referrers.is_empty() {
            parts.push(format!("referrer {}", self.referrers.join("|")));
        }
        if let Some(from) = self.registered_from {
            parts.push(format!("registered from {from}"));
        }
        if let Some(until) = self.registered_until {
            parts.push(format!("registered until {until}"));
        }
        if parts.is_empty() { "everyone".to_owned() } else { parts.join(", ") }
    }

    /// `FROM … WHERE …` of the recipients of `list`: `s` the subscription, `p` the person, `e`
    /// the address.
    fn push_from_where<'a>(&'a self, query: &mut QueryBuilder<'a, Postgres>, list: &'a ListKey) {
        query.push(
            " FROM subscription s
              JOIN person p ON p.id = s.person_id
              JOIN email_address e ON e.person_id = p.id AND e.is_primary
                   AND e.verified_at IS NOT NULL AND e.undeliverable_since IS NULL
              WHERE s.list_key = ",
        );
        query.push_bind(list.as_str());
        if !self.countries.is_empty() {
            query.push(" AND p.country = ANY(").push_bind(&self.countries).push(")");
        }
        if !self.languages.is_empty() {
            query.push(" AND p.preferred_language = ANY(").push_bind(&self.languages).push(")");
        }
        match self.supporter {
            Some(true) => {
                query.push(" AND p.supporter_number IS NOT NULL");
            }
            Some(false) => {
                query.push(" AND p.supporter_number IS NULL");
            }
            None => {}
        }
        match self.donor {
            Some(DonorStatus::Recurring) => {
                query.push(
                    " AND EXISTS (SELECT 1 FROM pledge d WHERE d.person_id = p.id AND d.status = 'active'
                                  AND d.period <> 'once')",
                );
            }
            Some(DonorStatus::NeedsRenewal) => {
                query.push(
                    " AND EXISTS (SELECT 1 FROM pledge d WHERE d.person_id = p.id AND d.status = 'needs_renewal')",
                );
            }
            Some(DonorStatus::EverGave) => {
                query.push(" AND EXISTS (SELECT 1 FROM payment d WHERE d.person_id = p.id)");
            }
            Some(DonorStatus::NeverGave) => {
                query.push(" AND NOT EXISTS (SELECT 1 FROM payment d WHERE d.person_id = p.id)");
            }
            None => {}
        }
        if !self.pledge_periods.is_empty() {
            let periods: Vec<&str> = self.pledge_periods.iter().map(|p| p.as_str()).collect();
            query
                .push(
                    " AND EXISTS (SELECT 1 FROM pledge q WHERE q.person_id = p.id AND q.status = 'active'
                                  AND q.period::text = ANY(",
                )
                .push_bind(periods)
                .push("))");
        }
        if !self.referrers.is_empty() {
            query.push(" AND p.referrer = ANY(").push_bind(&self.referrers).push(")");
        }
        if let Some(from) = self.registered_from {
            // Whole days in UTC, whatever the session's time zone.
            query
                .push(" AND p.created_at >= (")
                .push_bind(from)
                .push("::date::timestamp AT TIME ZONE 'UTC')");
        }
        if let Some(until) = self.registered_until {
            query
                .push(" AND p.created_at < ((")
                .push_bind(until)
                .push("::date + 1)::timestamp AT TIME ZONE 'UTC')");
        }
    }
}

/// How many persons a mailing to `list` with `segment` would go to now (the preview count).
pub async fn count<'e>(executor: impl PgExecutor<'e>, list: &ListKey, segment: &Segment) -> Result<i64> {
    let mut query = QueryBuilder::new("SELECT count(*)");
    segment.push_from_where(&mut query, list);
    Ok(query.build_query_scalar::<i64>().fetch_one(executor).await?)
}

/// Chooses the recipients of `mailing`: one row each, with the address they have now. A person
/// already chosen is not chosen twice. Returns how many were added.
pub(super) async fn choose<'e>(
    executor: impl PgExecutor<'e>,
    mailing: Uuid,
    list: &ListKey,
    segment: &Segment,
) -> Result<u64> {
    let mut query =
        QueryBuilder::new("INSERT INTO mailing_recipient (mailing_id, person_id, address) SELECT ");
    query.push_bind(mailing).push(", p.id, e.address");
    segment.push_from_where(&mut query, list);
    query.push(" ORDER BY p.id ON CONFLICT (mailing_id, person_id) DO NOTHING");
    Ok(query.build().execute(executor).await?.rows_affected())
}
