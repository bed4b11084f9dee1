// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The one spelling of a request path that the proxy routes by, checks access rules against
//! and forwards upstream. A leaf module: it knows nothing of sites or rules.
//!
//! Why one spelling: when the proxy matches one form of a path and the upstream serves another
//! (`/admin/public/../secret` matches a rule for `/admin/public`, the upstream serves
//! `/admin/secret`), an access rule can be walked around. So the path is made canonical once,
//! and the upstream is sent exactly the path the rules saw:
//!
//! 1. RFC 3986 §6.2.2 syntax-based normalisation: a percent-encoded unreserved character
//!    (`%61` → `a`, `%2E` → `.`) is decoded, every other escape's hex is uppercased
//!    (`%c3%a9` → `%C3%A9`), and characters a URI may not carry raw (non-ASCII, `"`, `<`, `{`,
//!    space …) are percent-encoded.
//! 2. Runs of slashes are collapsed (`//admin` → `/admin`): not RFC 3986, but many upstreams
//!    (nginx's `merge_slashes`, most routers) do it, and a rule must see what they serve.
//! 3. RFC 3986 §5.2.4 remove_dot_segments (`/a/./b/../c` → `/a/c`; above the root stays at
//!    the root).
//!
//! Spellings that upstreams disagree about are refused rather than guessed at (400):
//! `;` path parameters (Tomcat and Jetty strip `/admin;x` to `/admin`), encoded slashes and
//! backslashes (`%2F`, `%5C`, raw `\`: some upstreams decode them into separators), double
//! encoding (`%252E`, `%2561`: an upstream that decodes twice sees `.`/`a`), NUL and other
//! control characters raw or encoded, and segments ending in a dot or a space (`/admin./`,
//! `/admin%20/`: Windows file systems drop them), and malformed escapes (`%zz`, `%4`).
//!
//! Case is kept: whether `/Admin` is `/admin` depends on the upstream, so it is a per-site
//! setting (`case_insensitive_paths`), applied when matching ([`CanonicalPath::for_matching`]).
//! The query string is not part of the path: it is forwarded as sent and matches nothing.

use std::borrow::Cow;
use std::fmt::Write;

/// A request path in canonical form (see the module header); only [`canonical`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalPath(String);

impl CanonicalPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form rules are compared with: as is, or ASCII-lowercased for a site with
    /// `case_insensitive_paths` (whose prefixes are lowercased the same way).
    pub fn for_matching(&self, case_insensitive: bool) -> Cow<'_, str> {
        if case_insensitive && self.0.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(self.0.to_ascii_lowercase())
        } else {
            Cow::Borrowed(&self.0)
        }
    }
}

impl std::fmt::Display for CanonicalPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a path is refused; the reason goes to the client in a 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    NotAbsolute,
    MalformedEscape,
    DoubleEncoding,
    EncodedSlash,
    Backslash,
    ControlCharacter,
    PathParameter,
    TrailingDotOrSpace,
}

impl Rejected {
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotAbsolute => "the path must start with /",
            Self::MalformedEscape => "the path has a malformed percent-escape",
            Self::DoubleEncoding => "the path is percent-encoded twice",
            Self::EncodedSlash => "the path has an encoded slash",
            Self::Backslash => "the path has a backslash",
            Self::ControlCharacter => "the path has a control character",
            Self::PathParameter => "the path has a ; parameter",
            Self::TrailingDotOrSpace => "a path segment ends in a dot or a space",
        }
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// pchar minus the unreserved ones and minus `;` (RFC 3986 §3.3), plus the separator.
fn is_allowed_raw(b: u8) -> bool {
    matches!(b, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'=' | b':' | b'@' | b'/')
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn push_escaped(out: &mut String, b: u8) {
    let _ = write!(out, "%{b:02X}");
}

/// Step 1: escapes normalised, forbidden spellings refused.
fn normalise_escapes(raw: &str) -> Result<String, Rejected> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let (Some(hi), Some(lo)) =
                (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex))
            else {
                return Err(Rejected::MalformedEscape);
            };
            let value = hi * 16 + lo;
            match value {
                b'/' => return Err(Rejected::EncodedSlash),
                b'\\' => return Err(Rejected::Backslash),
                0..0x20 | 0x7F => return Err(Rejected::ControlCharacter),
                v if is_unreserved(v) => out.push(char::from(v)),
                v => push_escaped(&mut out, v),
            }
            i += 3;
            continue;
        }
        match b {
            b'\\' => return Err(Rejected::Backslash),
            b';' => return Err(Rejected::PathParameter),
            0..0x20 | 0x7F => return Err(Rejected::ControlCharacter),
            b if is_unreserved(b) || is_allowed_raw(b) => out.push(char::from(b)),
            b => push_escaped(&mut out, b),
        }
        i += 1;
    }
    // `%25` followed by hex decodes, a second time, to another escape: `%252E` is `.` to an
    // upstream that decodes twice. Checked on the normalised text, so `%25%32%45` counts too.
    let normal = out.as_bytes();
    let double =
        normal.windows(5).any(|w| w[..3] == *b"%25" && w[3].is_ascii_hexdigit() && w[4].is_ascii_hexdigit());
    if double {
        return Err(Rejected::DoubleEncoding);
    }
    Ok(out)
}

/// The canonical form of a request path (without its query), or why there is none.
pub fn canonical(raw: &str) -> Result<CanonicalPath, Rejected> {
    if !raw.starts_with('/') {
        return Err(Rejected::NotAbsolute);
    }
    let normal = normalise_escapes(raw)?;
    let mut segments: Vec<&str> = Vec::new();
    // Whether the result ends with a slash: `/a/`, `/a/.` and `/a/b/..` do (RFC 3986 §5.2.4).
    let mut trailing_slash = false;
    for segment in normal.split('/').skip(1) {
        trailing_slash = true;
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => {
                if other.ends_with('.') || other.ends_with("%20") {
                    return Err(Rejected::TrailingDotOrSpace);
                }
                segments.push(other);
                trailing_slash = false;
            }
        }
    }
    let mut path = String::with_capacity(normal.len());
    for segment in &segments {
        path.push('/');
        path.push_str(segment);
    }
    if trailing_slash || segments.is_empty() {
        path.push('/');
    }
    Ok(CanonicalPath(path))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equivalent_spellings_become_one() {
        let cases = [
            ("/", "/"),
            ("/admin", "/admin"),
            ("/admin/", "/admin/"),
            // §6.2.2.2: unreserved characters decoded, other escapes' hex uppercased.
            ("/%61dmin", "/admin"),
            ("/%41DMIN", "/ADMIN"),
            ("/caf%c3%a9", "/caf%C3%A9"),
            ("/a%7e%2d%5F", "/a~-_"),
            ("/100%25", "/100%25"),
            ("/a%3bb", "/a%3Bb"),
            ("/a%3Fb", "/a%3Fb"),
            // Raw characters a URI may not carry are encoded.
            ("/café", "/caf%C3%A9"),
            ("/a\"b{c}", "/a%22b%7Bc%7D"),
            // §5.2.4 remove_dot_segments, after decoding (%2E is a dot).
            ("/x/../admin", "/admin"),
            ("/./admin/x", "/admin/x"),
            ("/admin/public/../secret", "/admin/secret"),
            ("/admin/public/%2e%2e/secret", "/admin/secret"),
            ("/admin/public/.%2E/secret", "/admin/secret"),
            ("/admin/public/%2E./secret", "/admin/secret"),
            ("/admin/public/./../secret", "/admin/secret"),
            ("/../../admin", "/admin"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/a/..", "/"),
            ("/..", "/"),
            // Runs of slashes collapse.
            ("//admin", "/admin"),
            ("/admin//x///", "/admin/x/"),
            ("/a/.//../b", "/b"),
            // Dots and spaces inside a segment are fine.
            ("/v1.2/a%20b", "/v1.2/a%20b"),
            ("/.well-known/x", "/.well-known/x"),
        ];
        for (raw, expected) in cases {
            assert_eq!(canonical(raw).map(|p| p.0), Ok(expected.to_owned()), "{raw}");
        }
    }

    #[test]
    fn spellings_upstreams_disagree_about_are_refused() {
        use Rejected::*;
        let cases = [
            ("admin", NotAbsolute),
            ("*", NotAbsolute),
            ("", NotAbsolute),
            ("/admin;x/", PathParameter),
            ("/x/..;/admin/", PathParameter),
            ("/admin;jsessionid=1", PathParameter),
            ("/%252e%252e/admin", DoubleEncoding),
            ("/%2561dmin", DoubleEncoding),
            ("/%25%32%65%25%32%65/admin", DoubleEncoding),
            ("/%25%36%31dmin", DoubleEncoding),
            ("/admin%2fx", EncodedSlash),
            ("/admin%2Fx", EncodedSlash),
            ("/x/..%2fadmin", EncodedSlash),
            ("\\admin", NotAbsolute),
            ("/\\admin", Backslash),
            ("/x\\..\\admin", Backslash),
            ("/admin%5cx", Backslash),
            ("/admin%5C..%5Cx", Backslash),
            ("/admin%00", ControlCharacter),
            ("/admin%00.html", ControlCharacter),
            ("/admin%0a", ControlCharacter),
            ("/admin%0D%0Ax", ControlCharacter),
            ("/admin%09", ControlCharacter),
            ("/admin%7f", ControlCharacter),
            ("/admin\u{0}", ControlCharacter),
            ("/admin\t", ControlCharacter),
            ("/admin./", TrailingDotOrSpace),
            ("/admin.", TrailingDotOrSpace),
            ("/admin%2e/x", TrailingDotOrSpace),
            ("/admin.../x", TrailingDotOrSpace),
            ("/admin%20/", TrailingDotOrSpace),
            ("/admin%20", TrailingDotOrSpace),
            ("/admin /", TrailingDotOrSpace),
            ("/admin%zz", MalformedEscape),
            ("/admin%4", MalformedEscape),
            ("/admin%", MalformedEscape),
        ];
        for (raw, why) in cases {
            assert_eq!(canonical(raw), Err(why), "{raw:?}");
        }
    }

    #[test]
    fn case_is_folded_only_when_the_site_asks() {
        let path = canonical("/Admin/%c3%a9").unwrap();
        assert_eq!(path.for_matching(false), "/Admin/%C3%A9");
        assert_eq!(path.for_matching(true), "/admin/%c3%a9");
    }

    proptest! {
        #[test]
        fn canonical_paths_are_fixed_points_without_dot_segments(raw in "/[a-zA-Z0-9./%;\\\\ _~:@!-]{0,40}") {
            if let Ok(path) = canonical(&raw) {
                let text = path.as_str();
                prop_assert_eq!(canonical(text), Ok(path.clone()));
                prop_assert!(text.starts_with('/'));
                prop_assert!(!text.contains("//"));
                prop_assert!(!text.split('/').any(|s| s == "." || s == ".."));
                prop_assert!(!text.contains(['\\', ';']));
                let upper = text.to_ascii_uppercase();
                prop_assert!(!upper.contains("%2F") && !upper.contains("%5C") && !upper.contains("%2E"));
            }
        }
    }
}
