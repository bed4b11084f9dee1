// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later

//! Runs the test directory (`hosting::testing::Slapd`) until SIGINT or SIGTERM, for benchmarks
//! and manual checks of `idp.directory = "ldap"`. Prints its URL as the first line of stdout.
//! `cargo run -p hosting --features testing --example slapd`

use hosting::testing::Slapd;
use std::io::Write;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let slapd = Slapd::start(None).await;
    println!("{}", slapd.url);
    // The caller waits for this line; if it has gone, there is no one to tell.
    let _ = std::io::stdout().flush();
    hosting::shutdown::signal().await;
    // Dropping stops slapd and removes its directory.
    drop(slapd);
}
