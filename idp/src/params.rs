// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Request parameters of the OAuth endpoints, from a query string or a form body.
//!
//! RFC 6749 §3.1: a parameter must not appear twice, and one sent without a value counts as
//! absent. Values are bounded, so oversized input is refused before anything looks at it.

use std::collections::HashMap;

/// Longest value of any one parameter.
pub const MAX_VALUE: usize = 4096;
/// Most parameters in one request.
pub const MAX_PARAMS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("parameter {0} was sent more than once")]
    Duplicate(String),
    #[error("parameter {0} is too long")]
    TooLong(String),
    #[error("too many parameters")]
    TooMany,
}

#[derive(Debug, Clone, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(encoded: &[u8]) -> Result<Self, ParamsError> {
        let mut map = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            if map.len() >= MAX_PARAMS {
                return Err(ParamsError::TooMany);
            }
            if value.len() > MAX_VALUE {
                return Err(ParamsError::TooLong(truncate(&name)));
            }
            if value.is_empty() {
                continue;
            }
            if map.insert(name.to_string(), value.into_owned()).is_some() {
                return Err(ParamsError::Duplicate(truncate(&name)));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// A parameter name fit to quote in an error message.
fn truncate(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_graphic()).take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_oversized_values_are_refused_and_empty_ones_ignored() {
        let p = Params::parse(b"a=1&b=&c=x%20y").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        assert_eq!(Params::parse(b"a=1&a=2").unwrap_err(), ParamsError::Duplicate("a".into()));
        let long = format!("state={}", "x".repeat(MAX_VALUE + 1));
        assert_eq!(Params::parse(long.as_bytes()).unwrap_err(), ParamsError::TooLong("state".into()));
        let many = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect::<Vec<_>>().join("&");
        assert_eq!(Params::parse(many.as_bytes()).unwrap_err(), ParamsError::TooMany);
    }
}
