// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Validated values. Each type can only hold a value that meets its rules, so code that receives
//! one never checks again. Parse with `TryFrom`/`FromStr` at the edge of the system.

mod country;
mod email;
mod ids;
mod invalid;
mod language;
mod names;
mod postal_address;
mod supporter_number;
mod text;

pub use country::CountryCode;
pub use email::Email;
pub use ids::{EntryId, FlagId, GroupId, PaymentId, PersonId, PledgeId, WebhookEventId};
pub use invalid::{Field, InvalidValue, Problem};
pub use language::Language;
pub use names::{GroupName, LoginName};
pub use postal_address::{PostalAddress, PostalAddressInput};
pub use supporter_number::SupporterNumber;
pub use text::{DisplayName, Referrer};
