// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Key-encryption keys (KEKs): what seals the idp's private signing keys in PostgreSQL, so a
//! dump or backup of the database alone cannot sign tokens.
//!
//! The KEKs live in a file outside the database (`idp.key_encryption_key_file`), one per line:
//! `<id>:<base64 of 32 random bytes>`; blank lines and lines starting with `#` are ignored. The
//! first key seals; every key opens. Rotation: put a new key first, keep the old ones below it,
//! run `cdb-admin keys rewrap` (every row is sealed again with the first key), then remove the
//! old ones (docs/idp.md).
//!
//! Sealing is AES-256-GCM (ring) with a random 96-bit nonce per seal (there are a handful of
//! signing keys, far below the 2^32 messages a random nonce allows) and the signing key's `kid`
//! as associated data, so a sealed key copied to another row does not open.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use rand_core::{OsRng, RngCore};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use secrecy::SecretSlice;

const KEY_LEN: usize = 32;

/// The KEKs of one file, in file order.
pub struct KeyEncryptionKeys {
    keys: Vec<Kek>,
}

struct Kek {
    id: String,
    key: LessSafeKey,
}

impl std::fmt::Debug for KeyEncryptionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("KeyEncryptionKeys").field("ids", &ids).finish_non_exhaustive()
    }
}

/// Why a KEK file or a sealed key was not accepted. The messages name lines and key ids, never
/// key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KekError {
    #[error("line {line}: expected <id>:<base64 of 32 random bytes>")]
    Malformed { line: usize },
    #[error("line {line}: a key id is 1 to 64 of A-Z a-z 0-9 . _ -")]
    BadId { line: usize },
    #[error("line {line}: a key must be 32 bytes, this one has {length}")]
    BadLength { line: usize, length: usize },
    #[error("key id {0} appears twice")]
    Duplicate(String),
    #[error("the file holds no key")]
    Empty,
    #[error("sealed with key-encryption key {0}, which the file does not hold")]
    UnknownKek(String),
    #[error(
        "does not open with key-encryption key {0}: a different key under that id, or the row was altered"
    )]
    WrongKey(String),
    #[error("sealing failed")]
    Seal,
}

/// A sealed private key and the id of the KEK that sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub kek_id: String,
    /// Nonce (12 bytes) || ciphertext || tag (16 bytes).
    pub bytes: Vec<u8>,
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn kek(id: &str, bytes: &[u8]) -> Option<Kek> {
    let key = UnboundKey::new(&AES_256_GCM, bytes).ok()?;
    Some(Kek { id: id.to_owned(), key: LessSafeKey::new(key) })
}

impl KeyEncryptionKeys {
    /// Reads the file's text.
    pub fn parse(text: &str) -> Result<Self, KekError> {
        let mut keys: Vec<Kek> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (id, encoded) = trimmed.split_once(':').ok_or(KekError::Malformed { line })?;
            let (id, encoded) = (id.trim(), encoded.trim());
            if !valid_id(id) {
                return Err(KekError::BadId { line });
            }
            let bytes = STANDARD
                .decode(encoded)
                .or_else(|_| STANDARD_NO_PAD.decode(encoded))
                .map_err(|_| KekError::Malformed { line })?;
            if bytes.len() != KEY_LEN {
                return Err(KekError::BadLength { line, length: bytes.len() });
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(KekError::Duplicate(id.to_owned()));
            }
            keys.push(kek(id, &bytes).ok_or(KekError::Malformed { line })?);
        }
        if keys.is_empty() {
            return Err(KekError::Empty);
        }
        Ok(Self { keys })
    }

    /// A fresh random key under `id`, as a line of a KEK file (with a trailing newline).
    pub fn new_file_line(id: &str) -> String {
        let mut bytes = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        format!("{id}:{}\n", STANDARD.encode(bytes))
    }

    /// The id of the key that seals.
    pub fn sealing_id(&self) -> &str {
        // `parse` refuses an empty file, so there is always a first key.
        self.keys.first().map_or("", |k| k.id.as_str())
    }

    /// Seals `plaintext` with the first key, bound to `context` (the signing key's `kid`).
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Sealed, KekError> {
        let first = self.keys.first().ok_or(KekError::Empty)?;
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let mut buffer = plaintext.to_vec();
        first
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buffer,
            )
            .map_err(|_| KekError::Seal)?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&buffer);
        Ok(Sealed { kek_id: first.id.clone(), bytes })
    }

    /// Opens what [`seal`](Self::seal) made for `context`.
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<SecretSlice<u8>, KekError> {
        let kek = self
            .keys
            .iter()
            .find(|k| k.id == sealed.kek_id)
            .ok_or_else(|| KekError::UnknownKek(sealed.kek_id.clone()))?;
        let wrong = || KekError::WrongKey(sealed.kek_id.clone());
        if sealed.bytes.len() <= NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, ciphertext) = sealed.bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut buffer = ciphertext.to_vec();
        let plaintext =
            kek.key.open_in_place(nonce, Aad::from(context.as_bytes()), &mut buffer).map_err(|_| wrong())?;
        Ok(SecretSlice::from(plaintext.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn keks(lines: &[&str]) -> KeyEncryptionKeys {
        let text: String = lines.iter().map(|id| KeyEncryptionKeys::new_file_line(id)).collect();
        KeyEncryptionKeys::parse(&text).unwrap()
    }

    #[test]
    fn the_first_key_seals_and_every_key_opens() {
        let old_line = KeyEncryptionKeys::new_file_line("old");
        let old = KeyEncryptionKeys::parse(&old_line).unwrap();
        let sealed = old.seal("kid-1", b"private key").unwrap();
        assert_eq!(sealed.kek_id, "old");
        assert!(!sealed.bytes.windows(11).any(|w| w == b"private key"));
        let new_line = KeyEncryptionKeys::new_file_line("new");
        let both = KeyEncryptionKeys::parse(&format!("# rotated\n{new_line}{old_line}")).unwrap();
        assert_eq!(both.sealing_id(), "new");
        assert_eq!(both.open("kid-1", &sealed).unwrap().expose_secret(), b"private key");
        assert_eq!(both.seal("kid-1", b"x").unwrap().kek_id, "new");
        let only_new = KeyEncryptionKeys::parse(&new_line).unwrap();
        assert_eq!(only_new.open("kid-1", &sealed).err(), Some(KekError::UnknownKek("old".into())));
    }

    #[test]
    fn a_sealed_key_opens_only_for_its_row_and_its_key() {
        let a = keks(&["k"]);
        let b = keks(&["k"]);
        let sealed = a.seal("kid-1", b"secret").unwrap();
        assert_eq!(a.open("kid-2", &sealed).err(), Some(KekError::WrongKey("k".into())));
        assert_eq!(b.open("kid-1", &sealed).err(), Some(KekError::WrongKey("k".into())));
        let mut tampered = sealed.clone();
        tampered.bytes[20] ^= 1;
        assert!(a.open("kid-1", &tampered).is_err());
    }

    #[test]
    fn files_are_checked_line_by_line() {
        assert_eq!(KeyEncryptionKeys::parse("").unwrap_err(), KekError::Empty);
        assert_eq!(KeyEncryptionKeys::parse("# only a comment\n").unwrap_err(), KekError::Empty);
        assert_eq!(KeyEncryptionKeys::parse("no colon here").unwrap_err(), KekError::Malformed { line: 1 });
        assert_eq!(KeyEncryptionKeys::parse("\nbad id!:AAAA").unwrap_err(), KekError::BadId { line: 2 });
        assert_eq!(
            KeyEncryptionKeys::parse("short:AAAA").unwrap_err(),
            KekError::BadLength { line: 1, length: 3 }
        );
        let line = KeyEncryptionKeys::new_file_line("twice");
        assert_eq!(
            KeyEncryptionKeys::parse(&format!("{line}{line}")).unwrap_err(),
            KekError::Duplicate("twice".into())
        );
        let parsed = KeyEncryptionKeys::parse(&format!("  {}", line.trim_end().replace('=', ""))).unwrap();
        assert_eq!(parsed.sealing_id(), "twice");
        assert!(!format!("{parsed:?}").contains(line.split(':').nth(1).unwrap().trim()));
    }
}
