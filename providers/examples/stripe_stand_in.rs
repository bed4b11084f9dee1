// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The Stripe stand-in (`providers::stripe::testing`) as a process of its own, for the browser
//! tests (scripts/test.sh): a server started with `stripe.api_url` pointing here sends its API
//! calls to it instead of Stripe.
//!
//! ```text
//! cargo run -p providers --example stripe_stand_in --features testing -- REQUESTS_FILE
//! ```
//!
//! Prints one line, `ready http://127.0.0.1:PORT/`, once it listens, and serves until its
//! standard input closes (the coprocess pattern of scripts/test.sh). Every request it receives
//! is written to `REQUESTS_FILE` as JSON lines (one object per request, oldest first: `method`,
//! `path`, `params` as `[key, value]` pairs, `idempotency_key`, `stripe_version`,
//! `authorized`), rewritten whole (through a rename, so a reader never sees half a file) within
//! 50 ms of a new request.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use providers::stripe::testing::{self, Recorded};
use serde_json::json;

fn line(request: &Recorded) -> String {
    json!({
        "method": request.method,
        "path": request.path,
        "params": request.params,
        "idempotency_key": request.idempotency_key,
        "stripe_version": request.stripe_version,
        "authorized": request.authorized,
    })
    .to_string()
}

/// Replaces `file` with the requests, through a temporary file next to it.
fn write(file: &Path, requests: &[Recorded]) -> std::io::Result<()> {
    let mut text = String::new();
    for request in requests {
        text.push_str(&line(request));
        text.push('\n');
    }
    let partial = file.with_extension("partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, file)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let Some(file) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: stripe_stand_in REQUESTS_FILE");
        std::process::exit(2);
    };
    write(&file, &[])?;
    let stand_in = testing::start().await?;

    // Standard input closing (the parent is done, or gone) is the signal to stop.
    let (closed, mut stop) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        let _ = closed.send(());
    });

    let mut stdout = std::io::stdout();
    writeln!(stdout, "ready {}", stand_in.url())?;
    stdout.flush()?;

    let mut written = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {
                let requests = stand_in.requests();
                if requests.len() != written {
                    write(&file, &requests)?;
                    written = requests.len();
                }
            }
        }
    }
    write(&file, &stand_in.requests())
}
