// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Typed keys, so a group id can never be passed where a person id is expected.

use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn as_uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A person's stable identifier; also the `sub` of their tokens.
    PersonId
);
uuid_id!(
    /// A group's identifier.
    GroupId
);
uuid_id!(
    /// A pledge's identifier; Stripe carries it in the metadata of sessions and subscriptions.
    PledgeId
);
uuid_id!(
    /// A registered payment's identifier.
    PaymentId
);
uuid_id!(
    /// A bank statement entry's identifier.
    EntryId
);
uuid_id!(
    /// A flag's identifier (something stored but not applied, for staff).
    FlagId
);
uuid_id!(
    /// A stored webhook event's identifier.
    WebhookEventId
);
