// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The signed values in a campaign mail: the one-click unsubscribe link, the `mailto:`
//! unsubscribe address and the VERP envelope sender that names the recipient of a bounce. None
//! is a stored row; each carries a MAC (HMAC-SHA-256, truncated) under a key from a file.
//!
//! The key file (`mailing.key_file`) holds one `<id>:<base64 of 32 random bytes>` per line; blank
//! lines and `#` comments are ignored. The first key signs, every key verifies, so a key is
//! rotated by putting a new one first and deleting the old one once mails signed with it no
//! longer matter (an unsubscribe link should keep working for a year or two). Deleting a key
//! makes every link it signed fail verification: that is how a leaked key is revoked.
//!
//! - Unsubscribe link: `base64url(person ‖ mailing ‖ MAC(person, mailing, list))`, 64
//!   characters. It only ever unsubscribes that person from that list, and stays valid as long
//!   as the mailing and the list exist.
//! - Addresses: `<local>+<tag>.<id>.<mac>@<domain>` from a base address `<local>@<domain>`, with
//!   tag `b` (bounce: the envelope sender) or `u` (unsubscribe by mail), the recipient row's id
//!   in decimal and 12 hex digits of MAC: lower case, short enough for any mail server's 64
//!   character limit, and readable only by us.

use crate::types::PersonId;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use rand_core::{OsRng, RngCore};
use ring::hmac;
use subtle::ConstantTimeEq;
use uuid::Uuid;

const KEY_LEN: usize = 32;
const LINK_MAC_LEN: usize = 16;
const ADDRESS_MAC_HEX: usize = 12;

/// Why a key file was refused. Messages name lines, never key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("line {line}: expected <id>:<base64 of 32 random bytes>")]
    Malformed { line: usize },
    #[error("line {line}: a key must be 32 bytes, this one has {length}")]
    BadLength { line: usize, length: usize },
    #[error("the file holds no key")]
    Empty,
}

/// What an address of ours is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// The envelope sender: bounces come back to it.
    Bounce,
    /// The `mailto:` of `List-Unsubscribe`.
    Unsubscribe,
}

impl AddressKind {
    fn tag(self) -> &'static str {
        match self {
            AddressKind::Bounce => "b",
            AddressKind::Unsubscribe => "u",
        }
    }
}

/// The keys of one file, in file order.
pub struct MailingKeys {
    keys: Vec<hmac::Key>,
}

impl std::fmt::Debug for MailingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailingKeys").field("keys", &self.keys.len()).finish_non_exhaustive()
    }
}

impl MailingKeys {
    /// Reads the file's text.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let mut keys = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (_id, encoded) = trimmed.split_once(':').ok_or(TokenError::Malformed { line })?;
            let encoded = encoded.trim();
            let bytes = STANDARD
                .decode(encoded)
                .or_else(|_| STANDARD_NO_PAD.decode(encoded))
                .map_err(|_| TokenError::Malformed { line })?;
            if bytes.len() != KEY_LEN {
                return Err(TokenError::BadLength { line, length: bytes.len() });
            }
            keys.push(hmac::Key::new(hmac::HMAC_SHA256, &bytes));
        }
        if keys.is_empty() {
            return Err(TokenError::Empty);
        }
        Ok(Self { keys })
    }

    /// A fresh random key under `id`, as a line of a key file (with a trailing newline).
    pub fn new_file_line(id: &str) -> String {
        let mut bytes = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        format!("{id}:{}\n", STANDARD.encode(bytes))
    }

    fn sign(&self, key: &hmac::Key, parts: &[&[u8]]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(key);
        for part in parts {
            // Length-prefixed, so no two different part lists sign the same bytes.
            context.update(&(part.len() as u32).to_be_bytes());
            context.update(part);
        }
        context.sign()
    }

    fn first(&self) -> &hmac::Key {
        // `parse` refuses a file without keys.
        &self.keys[0]
    }

    /// The unsubscribe token of `person` for `list`, in a mail of `mailing`.
    pub fn unsubscribe_token(&self, person: PersonId, mailing: Uuid, list: &str) -> String {
        let (p, m) = (person.as_uuid(), mailing);
        let tag =
            self.sign(self.first(), &[b"unsubscribe-link-v1", p.as_bytes(), m.as_bytes(), list.as_bytes()]);
        let mut bytes = Vec::with_capacity(48);
        bytes.extend_from_slice(p.as_bytes());
        bytes.extend_from_slice(m.as_bytes());
        bytes.extend_from_slice(&tag.as_ref()[..LINK_MAC_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The person and mailing a token names, if it is one of ours: its MAC must verify for the
    /// list that `list_of(mailing)` says (the mailing's list, looked up by the caller).
    pub fn read_unsubscribe_token(&self, token: &str) -> Option<UnverifiedToken> {
        if token.len() != 64 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let person = Uuid::from_slice(&bytes[..16]).ok()?;
        let mailing = Uuid::from_slice(&bytes[16..32]).ok()?;
        let mut mac = [0u8; LINK_MAC_LEN];
        mac.copy_from_slice(&bytes[32..48]);
        Some(UnverifiedToken { person: PersonId::from(person), mailing, mac })
    }

    /// Whether `token`'s MAC is right for `list` under any key.
    pub fn verify_unsubscribe(&self, token: &UnverifiedToken, list: &str) -> bool {
        let (p, m) = (token.person.as_uuid(), token.mailing);
        self.keys.iter().any(|key| {
            let tag = self.sign(key, &[b"unsubscribe-link-v1", p.as_bytes(), m.as_bytes(), list.as_bytes()]);
            bool::from(tag.as_ref()[..LINK_MAC_LEN].ct_eq(&token.mac))
        })
    }

    fn address_mac(&self, key: &hmac::Key, kind: AddressKind, recipient: i64) -> String {
        let tag = self.sign(key, &[b"address-v1", kind.tag().as_bytes(), &recipient.to_be_bytes()]);
        let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        hex[..ADDRESS_MAC_HEX].to_owned()
    }

    /// `<local>+<tag>.<recipient>.<mac>@<domain>` from `base` (`bounces@example.org`); `None`
    /// when `base` is not an address.
    pub fn address(&self, kind: AddressKind, recipient: i64, base: &str) -> Option<String> {
        let (local, domain) = base.rsplit_once('@')?;
        if local.is_empty() || domain.is_empty() {
            return None;
        }
        let mac = self.address_mac(self.first(), kind, recipient);
        Some(format!("{local}+{}.{recipient}.{mac}@{domain}", kind.tag()))
    }

    /// The recipient row an address of ours names, if `address` is one (of `base`'s local part,
    /// any domain: a relay may rewrite the domain, never the MAC) and its MAC verifies.
    pub fn read_address(&self, address: &str, base: &str) -> Option<(AddressKind, i64)> {
        // Some relays change the case of local parts: ours are compared without it.
        let base_local = base.rsplit_once('@')?.0.to_ascii_lowercase();
        let local = address.trim().trim_matches(['<', '>']).rsplit_once('@')?.0.to_ascii_lowercase();
        let rest = local.strip_prefix(&base_local)?.strip_prefix('+')?;
        let mut parts = rest.split('.');
        let kind = match parts.next()? {
            "b" => AddressKind::Bounce,
            "u" => AddressKind::Unsubscribe,
            _ => return None,
        };
        let recipient: i64 = parts.next()?.parse().ok()?;
        let mac = parts.next()?;
        if parts.next().is_some() || mac.len() != ADDRESS_MAC_HEX {
            return None;
        }
        let valid = self
            .keys
            .iter()
            .any(|key| bool::from(self.address_mac(key, kind, recipient).as_bytes().ct_eq(mac.as_bytes())));
        valid.then_some((kind, recipient))
    }
}

/// A token's parts before its MAC is checked against the mailing's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnverifiedToken {
    pub person: PersonId,
    pub mailing: Uuid,
    mac: [u8; LINK_MAC_LEN],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(lines: &[&str]) -> MailingKeys {
        MailingKeys::parse(&lines.join("\n")).expect("keys")
    }

    #[test]
    fn a_link_verifies_for_its_list_only_and_survives_rotation() {
        let old = MailingKeys::new_file_line("old");
        let new = MailingKeys::new_file_line("new");
        let before = keys(&[&old]);
        let (person, mailing) = (PersonId::from(Uuid::new_v4()), Uuid::new_v4());
        let token = before.unsubscribe_token(person, mailing, "newsletter");
        let read = before.read_unsubscribe_token(&token).expect("ours");
        assert_eq!((read.person, read.mailing), (person, mailing));
        assert!(before.verify_unsubscribe(&read, "newsletter"));
        assert!(!before.verify_unsubscribe(&read, "campaigns"));
        let rotated = keys(&[&new, &old]);
        assert!(rotated.verify_unsubscribe(&read, "newsletter"));
        assert!(!keys(&[&new]).verify_unsubscribe(&read, "newsletter"));
    }

    #[test]
    fn forged_truncated_and_altered_links_are_refused() {
        let k = keys(&[&MailingKeys::new_file_line("k")]);
        let token = k.unsubscribe_token(PersonId::from(Uuid::new_v4()), Uuid::new_v4(), "newsletter");
        assert!(k.read_unsubscribe_token(&token[..63]).is_none());
        assert!(k.read_unsubscribe_token("").is_none());
        assert!(k.read_unsubscribe_token(&"*".repeat(64)).is_none());
        // Another person's id with this token's MAC.
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
        bytes[0] ^= 1;
        let other = k.read_unsubscribe_token(&URL_SAFE_NO_PAD.encode(bytes)).expect("well-formed");
        assert!(!k.verify_unsubscribe(&other, "newsletter"));
    }

    #[test]
    fn addresses_name_their_recipient_and_cannot_be_made_up() {
        let k = keys(&[&MailingKeys::new_file_line("k")]);
        let bounce = k.address(AddressKind::Bounce, 4711, "bounces@lists.example.org").expect("address");
        assert!(bounce.starts_with("bounces+b.4711."), "{bounce}");
        assert!(bounce.split('@').next().is_some_and(|local| local.len() <= 64));
        let base = "bounces@lists.example.org";
        assert_eq!(k.read_address(&bounce, base), Some((AddressKind::Bounce, 4711)));
        assert_eq!(k.read_address(&bounce.to_uppercase(), base), Some((AddressKind::Bounce, 4711)));
        assert_eq!(k.read_address(&format!("<{bounce}>"), base), Some((AddressKind::Bounce, 4711)));
        let forged = bounce.replace("4711", "4712");
        assert_eq!(k.read_address(&forged, base), None);
        let unsubscribe = k.address(AddressKind::Unsubscribe, 4711, base).expect("address");
        assert_eq!(k.read_address(&unsubscribe, base), Some((AddressKind::Unsubscribe, 4711)));
        assert_ne!(unsubscribe.replace("+u.", "+b."), bounce, "the MAC covers the kind");
        assert_eq!(k.read_address(&unsubscribe.replace("+u.", "+b."), base), None);
        assert_eq!(k.read_address("someone@example.org", base), None);
        assert_eq!(k.address(AddressKind::Bounce, 1, "no-at-sign"), None);
    }

    #[test]
    fn key_files_are_checked() {
        assert_eq!(MailingKeys::parse("# only a comment\n").err(), Some(TokenError::Empty));
        assert_eq!(
            MailingKeys::parse("k:c2hvcnQ=").err(),
            Some(TokenError::BadLength { line: 1, length: 5 })
        );
        assert_eq!(MailingKeys::parse("\nno colon").err(), Some(TokenError::Malformed { line: 2 }));
    }
}
