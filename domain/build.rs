// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!` embeds the folder
//! at compile time, and cargo does not notice a new file in it by itself (a stale binary would
//! then refuse a database that has the new migration applied).

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
