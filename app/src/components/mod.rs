// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Pieces shared by several pages.

pub mod address_fields;
pub mod amount_picker;
pub mod field;
pub mod gift_picker;
pub mod inline_check;
pub mod language_switcher;
pub mod layout;
pub mod list_choice;
pub mod page_title;
