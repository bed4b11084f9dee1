// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Random secrets (codes, tokens, cookies, client secrets) and their stored hashes.
//!
//! A secret is 32 random bytes, shown once as 43 base64url characters. Only its SHA-256 hash is
//! stored: with 256 bits of entropy nothing can be guessed, so a slow password hash would only
//! cost time on every request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new random secret, to be handed out exactly once.
pub fn generate() -> SecretString {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored instead of a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    pub fn of_secret(secret: &SecretString) -> Self {
        Self::of(secret.expose_secret())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn from_db(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// Compares in constant time, so the time taken says nothing about how much matched.
    pub fn matches(&self, secret: &str) -> bool {
        self.0.ct_eq(&Self::of(secret).0).into()
    }
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// Whether a presented string could be one of our secrets at all: spares the database a lookup
/// for garbage and bounds what gets hashed.
pub fn looks_like_secret(candidate: &str) -> bool {
    candidate.len() == 43 && candidate.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_well_formed() {
        let a = generate();
        let b = generate();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(looks_like_secret(a.expose_secret()));
        assert!(!looks_like_secret("short"));
        assert!(!looks_like_secret(&"a".repeat(42).chars().chain(['/']).collect::<String>()));
    }

    #[test]
    fn hashes_match_only_their_secret() {
        let secret = generate();
        let hash = SecretHash::of_secret(&secret);
        assert!(hash.matches(secret.expose_secret()));
        assert!(!hash.matches(generate().expose_secret()));
        assert!(!format!("{hash:?}").contains(secret.expose_secret()));
    }
}
