// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The PayPal stand-in (`providers::paypal::testing`) as a process of its own, for browser
//! tests: a server started with `paypal.api_url` pointing here, `paypal.cert_hosts` naming it
//! and `paypal.extra_trust_anchor_file` = `CA_FILE` talks to it instead of PayPal, and a
//! browser sent to its approve pages comes back approved.
//!
//! ```text
//! cargo run -p providers --example paypal_stand_in --features testing -- CA_FILE [ADDR]
//! ```
//!
//! Writes the throwaway root (PEM) to `CA_FILE`, prints one line, `ready https://localhost:PORT`,
//! once it listens (`ADDR` defaults to `127.0.0.1:0`), and serves until its standard input
//! closes (the coprocess pattern of scripts/test.sh).

use std::io::{Read, Write};

use providers::paypal::testing;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(ca_file) = args.next() else {
        eprintln!("usage: paypal_stand_in CA_FILE [ADDR]");
        std::process::exit(2);
    };
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let stand_in = testing::start_on(&addr).await?;
    std::fs::write(&ca_file, stand_in.ca_pem())?;

    let (closed, stop) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        let _ = closed.send(());
    });
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ready {}", stand_in.url())?;
    stdout.flush()?;
    let _ = stop.await;
    Ok(())
}
