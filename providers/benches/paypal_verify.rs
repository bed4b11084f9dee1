// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! PayPal webhook verifications per second with a cached certificate: the chain check
//! (rustls-webpki, to the stand-in's throwaway root through an intermediate), the name check
//! and the RSA-2048 PKCS#1 SHA-256 signature over a 2 KiB body. No network: the chain is
//! preloaded into the verifier's cache as if downloaded once.
//!
//! Run: `cargo bench -p providers --bench paypal_verify` (figures in BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use providers::paypal::testing::{Pki, sign_at};
use providers::paypal::verify::{DEFAULT_CERT_NAME, Verifier, VerifierConfig};
use time::OffsetDateTime;

fn verify(c: &mut Criterion) {
    let pki = Pki::new("bench").unwrap();
    let chain = pki.message_chain(DEFAULT_CERT_NAME).unwrap();
    let mut config = VerifierConfig::new("WH-BENCH");
    config.extra_trust_anchor_pem = Some(pki.root_pem().to_owned());
    let verifier = Verifier::new(&config).unwrap();
    let url = "https://api-m.paypal.com/v1/notifications/certs/CERT-bench";
    verifier.preload(url, chain.as_bytes()).unwrap();
    let body = format!(
        "{{\"id\":\"WH-1\",\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\",\"pad\":\"{}\"}}",
        "x".repeat(2000)
    );
    let now = OffsetDateTime::now_utc();
    let signed = sign_at(body.as_bytes(), "WH-BENCH", now, url);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(verifier.verify(&signed.transmission(), body.as_bytes(), now)).unwrap();
    let mut group = c.benchmark_group("paypal_webhook");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_cached_certificate", |b| {
        b.iter(|| runtime.block_on(verifier.verify(&signed.transmission(), body.as_bytes(), now)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
