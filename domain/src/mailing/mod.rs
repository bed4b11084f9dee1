// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Information emails: lists as data ([`list`]), mailings to a list and a segment of it
//! ([`campaign`], [`segment`]), their delivery one recipient row at a time ([`delivery`]), the
//! signed addresses and links in every campaign mail ([`token`]) and what comes back: bounces
//! and unsubscribes ([`feedback`]).
//!
//! A mailing moves `draft → scheduled → sending ⇄ paused → sent`. Its recipients are chosen when
//! sending starts (one `INSERT … SELECT`); each one's mail is rendered when it is sent, in their
//! language, and never stored. Delivery is at least once: a sender leases a batch of recipient
//! rows, sends them and marks them sent; a sender that dies between the relay's acceptance and
//! that mark leaves at most its leased batch to be sent again, with the same `Message-ID`.

pub mod campaign;
pub mod delivery;
pub mod feedback;
pub mod list;
pub mod segment;
pub mod token;

pub use campaign::{Content, Mailing, MailingError, MailingState, NewMailing};
pub use list::{List, ListText, Visibility};
pub use segment::{DonorStatus, Segment};
pub use token::{MailingKeys, TokenError};
