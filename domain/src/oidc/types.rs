// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Values of the OpenID Connect world: client ids, grant types, scopes, redirect URIs.

use crate::types::{Field, InvalidValue, Problem};
use std::collections::BTreeSet;
use std::fmt;

/// A client's public identifier, e.g. `my-supporter-app`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    pub fn new(id: &str) -> Result<Self, InvalidValue> {
        let valid_start = id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
        let valid_rest = id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        match id.len() {
            0 => Err(InvalidValue::new(Field::ClientId, Problem::Empty)),
            65.. => Err(InvalidValue::new(Field::ClientId, Problem::TooLong { max: 64 })),
            _ if valid_start && valid_rest => Ok(Self(id.to_owned())),
            _ => Err(InvalidValue::new(Field::ClientId, Problem::ForbiddenCharacter)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_db(id: String) -> Self {
        Self(id)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The OAuth grant types this provider implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub const ALL: [GrantType; 3] =
        [GrantType::AuthorizationCode, GrantType::RefreshToken, GrantType::ClientCredentials];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(name: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == name)
            .ok_or(InvalidValue::new(Field::GrantType, Problem::Unknown))
    }
}

/// One scope token (RFC 6749 §3.3), limited to a plain alphabet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    pub const OPENID: &'static str = "openid";
    pub const PROFILE: &'static str = "profile";
    pub const EMAIL: &'static str = "email";
    pub const GROUPS: &'static str = "groups";

    pub fn new(name: &str) -> Result<Self, InvalidValue> {
        let valid =
            name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'_' | b'-' | b'/'));
        match name.len() {
            0 => Err(InvalidValue::new(Field::Scope, Problem::Empty)),
            65.. => Err(InvalidValue::new(Field::Scope, Problem::TooLong { max: 64 })),
            _ if valid => Ok(Self(name.to_owned())),
            _ => Err(InvalidValue::new(Field::Scope, Problem::ForbiddenCharacter)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A set of scopes, written space-separated on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// Parses a space-separated list; at most 32 scopes.
    pub fn parse(list: &str) -> Result<Self, InvalidValue> {
        let scopes =
            list.split(' ').filter(|s| !s.is_empty()).map(Scope::new).collect::<Result<BTreeSet<_>, _>>()?;
        if scopes.len() > 32 {
            return Err(InvalidValue::new(Field::Scope, Problem::TooLong { max: 32 }));
        }
        Ok(Self(scopes))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|s| s.0 == name)
    }

    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    pub(crate) fn to_db(&self) -> Vec<String> {
        self.0.iter().map(|s| s.0.clone()).collect()
    }

    pub(crate) fn from_db(names: Vec<String>) -> Self {
        Self(names.into_iter().map(Scope).collect())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&scope.0)?;
        }
        Ok(())
    }
}

/// A redirect URI a client registered. Compared exactly, byte for byte, with what a request
/// names (no prefix, case or trailing-slash tolerance): anything looser has let attackers steer
/// codes to pages they control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// An absolute `https` URL, or `http` on a loopback host (RFC 8252 §7.3) for development
    /// and native apps; no fragment (RFC 6749 §3.1.2).
    pub fn new(uri: &str) -> Result<Self, InvalidValue> {
        let malformed = InvalidValue::new(Field::RedirectUri, Problem::Malformed);
        if uri.len() > 2000 || uri.contains('#') || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(malformed);
        }
        let Some(rest) = uri.strip_prefix("https://").or_else(|| uri.strip_prefix("http://")) else {
            return Err(malformed);
        };
        let host_port = rest.split(['/', '?']).next().unwrap_or_default();
        if host_port.is_empty() || host_port.contains('@') {
            return Err(malformed);
        }
        let host = match host_port.rfind(':') {
            Some(i) if !host_port.ends_with(']') => &host_port[..i],
            _ => host_port,
        };
        let loopback = matches!(host, "127.0.0.1" | "[::1]" | "localhost");
        if uri.starts_with("http://") && !loopback {
            return Err(malformed);
        }
        Ok(Self(uri.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_plain() {
        assert!(ClientId::new("my-supporter-app").is_ok());
        assert!(ClientId::new("").is_err());
        assert!(ClientId::new("-x").is_err());
        assert!(ClientId::new("a b").is_err());
        assert!(ClientId::new(&"a".repeat(65)).is_err());
    }

    #[test]
    fn scopes_parse_and_print_as_a_set() {
        let scopes = Scopes::parse("openid  email openid profile").unwrap();
        assert_eq!(scopes.to_string(), "email openid profile");
        assert!(scopes.contains("email"));
        assert!(Scopes::parse("openid\"><script>").is_err());
        assert!(
            Scopes::parse(
                &vec!["a"; 33].iter().enumerate().map(|(i, _)| format!("s{i}")).collect::<Vec<_>>().join(" ")
            )
            .is_err()
        );
        assert!(Scopes::parse("openid").unwrap().is_subset_of(&scopes));
    }

    #[test]
    fn redirect_uris_must_be_https_or_loopback() {
        assert!(RedirectUri::new("https://my.example.org/auth/callback").is_ok());
        assert!(RedirectUri::new("http://127.0.0.1:3000/callback").is_ok());
        assert!(RedirectUri::new("http://localhost:8080/cb?x=1").is_ok());
        for bad in [
            "http://my.example.org/callback",
            "https://my.example.org/cb#frag",
            "javascript:alert(1)",
            "https://",
            "https://user@evil.example/cb",
            "/relative",
            "https://my.example.org/a b",
            "http://localhost.evil.example/cb",
        ] {
            assert!(RedirectUri::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn grant_types_round_trip() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()).unwrap(), g);
        }
        assert!(GrantType::parse("password").is_err());
    }
}
