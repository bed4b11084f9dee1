// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The cost of one password check (argon2id, our parameters), the floor of every password login:
//! `cargo bench -p domain --bench password`. BENCHMARKS.md compares a whole login with it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use domain::password::{self, Password};
use secrecy::SecretString;

fn verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let password = SecretString::from("ada-lovelace-1815");
    let hash = runtime.block_on(password::hash(&Password::new(password.clone()).unwrap())).unwrap();
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(30);
    group.bench_function("verify the right password", |b| {
        b.iter(|| assert!(runtime.block_on(password::verify(&password, &hash)).unwrap()))
    });
    group.bench_function("verify a wrong password", |b| {
        let wrong = SecretString::from("not the password");
        b.iter(|| assert!(!runtime.block_on(password::verify(&wrong, &hash)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
