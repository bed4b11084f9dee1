// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Paths as the proxy's logs may show them. Some paths carry a secret: a command link
//! (`/c/{token}`) acts for its person, so whoever reads the access log could use it. Everything
//! after a configured prefix (`logging.redact_path_prefixes`, default `["/c/"]`) is therefore
//! logged as `[redacted]`, in the access log, in error lines and in the request span that every
//! line of a request carries. A leaf module.

use std::borrow::Cow;

pub const REDACTED: &str = "[redacted]";

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len() && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// A canonical path (`crate::path`) as logged: `/c/abc` → `/c/[redacted]`. Prefixes match
/// ASCII case-insensitively, so `/C/abc` is hidden too (over-hiding costs nothing).
pub fn canonical_path<'a>(path: &'a str, prefixes: &[String]) -> Cow<'a, str> {
    match prefixes.iter().find(|prefix| starts_with_ignoring_case(path, prefix)) {
        Some(prefix) => Cow::Owned(format!("{}{REDACTED}", &path[..prefix.len()])),
        None => Cow::Borrowed(path),
    }
}

/// A path that was refused before it could be made canonical (`/%63/token;x`): logged as
/// sent, so refusals of odd but honest clients can be understood, unless any lenient reading of
/// it (escapes decoded up to three times, backslashes as slashes, any case) contains a
/// redacted prefix anywhere; then it is hidden entirely.
pub fn raw_path<'a>(path: &'a str, prefixes: &[String]) -> Cow<'a, str> {
    let mut lenient = path.replace('\\', "/").to_ascii_lowercase();
    let mut hides = false;
    for _ in 0..4 {
        if prefixes.iter().any(|prefix| lenient.contains(&prefix.to_ascii_lowercase())) {
            hides = true;
            break;
        }
        lenient = decode_all(&lenient).replace('\\', "/").to_ascii_lowercase();
    }
    if hides { Cow::Borrowed(REDACTED) } else { Cow::Borrowed(path) }
}

fn decode_all(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) =
                (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex))
        {
            out.push(hi * 16 + lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes() -> Vec<String> {
        vec!["/c/".into(), "/reset/".into()]
    }

    #[test]
    fn everything_after_a_prefix_is_hidden() {
        let cases = [
            ("/c/WgR4yhmYVysjhI-VCaj3W9boOb40BIyqJ35ObVe-DiA", "/c/[redacted]"),
            ("/c/abc/confirm", "/c/[redacted]"),
            ("/C/abc", "/C/[redacted]"),
            ("/reset/abc", "/reset/[redacted]"),
            ("/c", "/c"),
            ("/c/", "/c/[redacted]"),
            ("/cx/abc", "/cx/abc"),
            ("/public/c/abc", "/public/c/abc"),
            ("/", "/"),
        ];
        for (path, logged) in cases {
            assert_eq!(canonical_path(path, &prefixes()), logged, "{path}");
        }
    }

    #[test]
    fn refused_paths_that_could_hold_a_token_are_hidden_entirely() {
        let hidden = [
            "/c/secret;x",
            "/%63/secret%00",
            "/%2563/secret",
            "/x/..%2fc/secret",
            "\\c\\secret",
            "/x/..;/C/secret",
            "/%25%36%33/secret",
        ];
        for path in hidden {
            assert_eq!(raw_path(path, &prefixes()), REDACTED, "{path}");
        }
        for path in ["/admin;x", "/x/..%2fadmin", "/admin%00"] {
            assert_eq!(raw_path(path, &prefixes()), path, "{path}");
        }
    }
}
