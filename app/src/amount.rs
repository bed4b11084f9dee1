// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The monthly amount a visitor picked on the landing page, kept in their session until the
//! registration form asks for it. The server's `POST /amount` stores it; pages read it from
//! `page_data::SessionView`.

/// Monthly amounts offered, in whole euros.
pub const AMOUNTS: [u32; 4] = [5, 10, 25, 50];
/// The amount chosen before the visitor picks one.
pub const DEFAULT_AMOUNT: u32 = 10;

/// The amount, if it is one we offer. Anything else is dropped rather than echoed.
pub fn offered(amount: Option<u32>) -> Option<u32> {
    amount.filter(|amount| AMOUNTS.contains(amount))
}

/// The amount from a form field, if it is one we offer.
pub fn from_form(raw: &str) -> Option<u32> {
    offered(raw.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_offered_amounts_are_taken_from_a_form() {
        assert_eq!(from_form("25"), Some(25));
        assert_eq!(from_form(" 5 "), Some(5));
        for hostile in ["7", "-10", "1e9", "25<script>", "", "99999999999999999999"] {
            assert_eq!(from_form(hostile), None, "{hostile}");
        }
    }
}
