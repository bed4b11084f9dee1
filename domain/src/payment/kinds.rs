// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The small closed sets of the money half, each a PostgreSQL enum of the same values.

use crate::types::{Field, InvalidValue, Problem};

macro_rules! closed_set {
    ($(#[$doc:meta])* $name:ident, $pg:literal, { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[sqlx(type_name = $pg, rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// As stored, in forms and in URLs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_set!(
    /// How often a pledge is paid.
    Period, "pledge_period", { Once => "once", Monthly => "monthly", Yearly => "yearly" }
);
closed_set!(
    /// How a pledge is paid.
    Method, "payment_method", {
        /// A bank transfer with the pledge's creditor reference (the default: needs no
        /// proprietary software).
        BankTransfer => "bank_transfer",
        Stripe => "stripe",
        Paypal => "paypal",
    }
);
closed_set!(
    /// Where a pledge stands.
    PledgeStatus, "pledge_status", {
        /// Promised, nothing received yet.
        Pending => "pending",
        /// Paid at least once (recurring: and still expected).
        Active => "active",
        /// Its collection stopped without the supporter asking (card expired, subscription
        /// ended by the provider): the promise stands, a new way to pay is needed.
        NeedsRenewal => "needs_renewal",
        Cancelled => "cancelled",
    }
);
closed_set!(
    /// Who ended a pledge.
    EndedBy, "pledge_ended_by", { Supporter => "supporter", Staff => "staff", Provider => "provider" }
);
closed_set!(
    /// Who reported a payment.
    Provider, "payment_provider", {
        Bank => "bank",
        Stripe => "stripe",
        Paypal => "paypal",
        /// Recorded by staff (cash, cheque): `cdb-admin payments record`.
        Manual => "manual",
    }
);
closed_set!(
    /// Why a pledge needs renewal.
    RenewalReason, "renewal_reason", {
        /// The processor ended its subscription (card expired or replaced, deleted, suspended).
        ProviderEnded => "provider_ended",
        /// The processor gave up after repeated failed payments.
        PaymentFailed => "payment_failed",
        /// The organisation drops the processor (`cdb-admin pledges migrate`).
        ProviderDropped => "provider_dropped",
    }
);
closed_set!(
    /// How a payment recorded by hand was made.
    ManualMethod, "manual_method", { Cash => "cash", Cheque => "cheque", Other => "other" }
);
closed_set!(
    /// What became of a payment.
    PaymentStatus, "payment_status", {
        Received => "received",
        Refunded => "refunded",
        PartiallyRefunded => "partially_refunded",
        Disputed => "disputed",
        Failed => "failed",
    }
);

/// The value of a closed set whose text is `text` (trimmed), or `field` is unknown.
fn parse_in<T: Copy>(
    all: &[T],
    as_str: fn(T) -> &'static str,
    text: &str,
    field: Field,
) -> Result<T, InvalidValue> {
    let text = text.trim();
    all.iter().copied().find(|v| as_str(*v) == text).ok_or(InvalidValue::new(field, Problem::Unknown))
}

impl Period {
    /// Parses a form or URL value (`once`, `monthly`, `yearly`).
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        parse_in(Self::ALL, Self::as_str, text, Field::Period)
    }

    pub fn is_recurring(self) -> bool {
        self != Period::Once
    }

    /// When the payment after one booked on `paid_on` is due; `None` for one-off gifts.
    pub fn next_after(self, paid_on: time::Date) -> Option<time::Date> {
        let months = match self {
            Period::Once => return None,
            Period::Monthly => 1,
            Period::Yearly => 12,
        };
        let (mut year, mut month) = (paid_on.year(), u8::from(paid_on.month()) + months);
        while month > 12 {
            month -= 12;
            year += 1;
        }
        let month = time::Month::try_from(month).ok()?;
        // The 31st of a shorter month is that month's last day.
        let day = paid_on.day().min(month.length(year));
        time::Date::from_calendar_date(year, month, day).ok()
    }
}

impl Method {
    /// The provider that reports this method's payments.
    pub fn provider(self) -> Provider {
        match self {
            Method::BankTransfer => Provider::Bank,
            Method::Stripe => Provider::Stripe,
            Method::Paypal => Provider::Paypal,
        }
    }

    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        parse_in(Self::ALL, Self::as_str, text, Field::PaymentMethod)
    }
}

impl Provider {
    /// The method a provider collects, if it is one a pledge can have (`manual` is not).
    pub fn method(self) -> Option<Method> {
        match self {
            Provider::Bank => Some(Method::BankTransfer),
            Provider::Stripe => Some(Method::Stripe),
            Provider::Paypal => Some(Method::Paypal),
            Provider::Manual => None,
        }
    }

    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        parse_in(Self::ALL, Self::as_str, text, Field::PaymentMethod)
    }
}

impl ManualMethod {
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        parse_in(Self::ALL, Self::as_str, text, Field::PaymentMethod)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_next_payment_is_a_month_or_a_year_later() {
        assert_eq!(Period::Monthly.next_after(date!(2026 - 01 - 31)), Some(date!(2026 - 02 - 28)));
        assert_eq!(Period::Monthly.next_after(date!(2026 - 12 - 15)), Some(date!(2027 - 01 - 15)));
        assert_eq!(Period::Yearly.next_after(date!(2028 - 02 - 29)), Some(date!(2029 - 02 - 28)));
        assert_eq!(Period::Once.next_after(date!(2026 - 12 - 15)), None);
    }

    #[test]
    fn only_known_values_parse() {
        assert_eq!(Period::parse("monthly").unwrap(), Period::Monthly);
        assert_eq!(Method::parse("bank_transfer").unwrap(), Method::BankTransfer);
        for bad in ["", "weekly", "Monthly", "once;drop", "<script>"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
            assert!(Method::parse(bad).is_err(), "{bad}");
        }
    }
}
