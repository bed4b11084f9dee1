// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Machine names: login names and group names.

use super::{Field, InvalidValue, Problem};

/// Lower-case ASCII letters and digits, with `.`, `_` and `-` inside; `min..=max` long.
fn slug(field: Field, value: &str, extra: &[u8], min: usize, max: usize) -> Result<String, InvalidValue> {
    let value = value.trim().to_ascii_lowercase();
    if value.is_empty() {
        return Err(InvalidValue::new(field, Problem::Empty));
    }
    if value.len() > max {
        return Err(InvalidValue::new(field, Problem::TooLong { max }));
    }
    if value.len() < min {
        return Err(InvalidValue::new(field, Problem::TooShort { min }));
    }
    let first_ok = value.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b));
    if !first_ok || !rest_ok {
        return Err(InvalidValue::new(field, Problem::ForbiddenCharacter));
    }
    Ok(value)
}

/// A login name: 2 to 64 characters of `a-z 0-9 . _ -`, starting with a letter or digit.
/// It never contains "@", so a login form can tell a name from an email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct LoginName(String);

impl LoginName {
    pub(crate) fn from_db(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for LoginName {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        slug(Field::LoginName, value, b"._-", 2, 64).map(Self)
    }
}

impl std::fmt::Display for LoginName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A group's machine name as used in tokens and access rules: 1 to 63 characters of
/// `a-z 0-9 _ -`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct GroupName(String);

impl GroupName {
    pub(crate) fn from_db(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for GroupName {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        slug(Field::GroupName, value, b"_-", 1, 63).map(Self)
    }
}

impl std::fmt::Display for GroupName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_names_are_lowercased() {
        assert_eq!(LoginName::try_from(" Ada.L ").unwrap().as_str(), "ada.l");
    }

    #[test]
    fn hostile_login_names_are_refused() {
        for input in ["ada@example.org", "-ada", ".ada", "a", "ada lovelace", "аda", "ada;--", "ada\0"] {
            assert!(LoginName::try_from(input).is_err(), "{input}");
        }
        assert_eq!(
            LoginName::try_from(&*"a".repeat(65)),
            Err(InvalidValue::new(Field::LoginName, Problem::TooLong { max: 64 }))
        );
    }

    #[test]
    fn group_names_refuse_dots() {
        assert!(GroupName::try_from("staff").is_ok());
        assert!(GroupName::try_from("staff.admin").is_err());
    }
}
