// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The words and operators inside a template's `{{ … }}` and `{% … %}` tags, found the way
//! MiniJinja's lexer finds them (comments and `{% raw %}` blocks skipped, strings skipped with
//! their escapes, a tag ending only where brackets balance). MiniJinja keeps its syntax tree
//! private, and a lexical look is enough for what this is for: refusing the constructs that let
//! a value outgrow the fuel budget (see the module doc of `campaign`), and pointing at the line
//! of an unknown variable. Only templates that already parsed come here; wherever this scanner
//! and MiniJinja could disagree, the scanner takes more for code than MiniJinja does, so it can
//! refuse too much but never too little.

/// An identifier or a single ASCII punctuation character inside a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token<'s> {
    pub offset: usize,
    pub text: &'s str,
}

/// Statements and keywords that assign, capture output or recurse; the last five exist only
/// with MiniJinja features this crate leaves off, and stay here should another crate turn
/// them on (Cargo unifies features).
const REFUSED_WORDS: [&str; 9] =
    ["set", "with", "filter", "recursive", "macro", "call", "include", "import", "extends"];

/// The operators that concatenate or repeat strings and sequences.
const REFUSED_OPERATORS: [&str; 3] = ["~", "+", "*"];

pub(super) fn tokens(source: &str) -> Vec<Token<'_>> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(found) = bytes.get(i..).and_then(|rest| rest.iter().position(|&b| b == b'{')) {
        i += found;
        let rest = bytes.get(i..).unwrap_or_default();
        i = if rest.starts_with(b"{#") {
            find_bytes(bytes, i + 2, b"#}").map_or(bytes.len(), |end| end + 2)
        } else if rest.starts_with(b"{{") || rest.starts_with(b"{%") {
            let block = rest.starts_with(b"{%");
            let mut start = i + 2;
            if matches!(bytes.get(start), Some(b'-' | b'+')) {
                start += 1;
            }
            match basic_tag(source, start, "raw", false) {
                Some(end) if block => end_of_raw(source, end),
                _ => tag(source, start, if block { b"%}" } else { b"}}" }, &mut tokens),
            }
        } else {
            i + 1
        };
    }
    tokens
}

/// The first refused construct, if any.
pub(super) fn refused<'s>(tokens: &[Token<'s>]) -> Option<Token<'s>> {
    tokens.iter().find(|t| REFUSED_WORDS.contains(&t.text) || REFUSED_OPERATORS.contains(&t.text)).copied()
}

/// Where a variable (`name`, or a path like `name.first`) is first used.
pub(super) fn find(tokens: &[Token<'_>], variable: &str) -> Option<usize> {
    let segments: Vec<&str> = variable.split('.').collect();
    let matches = |window: &[Token<'_>]| {
        window.iter().enumerate().all(|(k, token)| match k % 2 {
            0 => segments.get(k / 2) == Some(&token.text),
            _ => token.text == ".",
        })
    };
    tokens.windows(segments.len() * 2 - 1).find(|w| matches(w)).and_then(|w| w.first()).map(|t| t.offset)
}

/// The line (from 1) of a byte offset.
pub(super) fn line(source: &str, offset: usize) -> usize {
    source.as_bytes().get(..offset).unwrap_or_default().iter().filter(|&&b| b == b'\n').count() + 1
}

fn find_bytes(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// The tokens of one tag from `start` (after `{{`/`{%` and a whitespace marker); returns the
/// offset after its end.
fn tag<'s>(source: &'s str, start: usize, end: &[u8], tokens: &mut Vec<Token<'s>>) -> usize {
    let bytes = source.as_bytes();
    let mut depth: isize = 0;
    let mut i = start;
    while let Some(&c) = bytes.get(i) {
        if depth == 0 {
            let close = if matches!(c, b'-' | b'+') { i + 1 } else { i };
            if bytes.get(close..).is_some_and(|rest| rest.starts_with(end)) {
                return close + end.len();
            }
        }
        match c {
            b'"' | b'\'' => {
                i = end_of_string(bytes, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let length = bytes
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                if let Some(text) = source.get(i..i + length) {
                    tokens.push(Token { offset: i, text });
                }
                i += length;
                continue;
            }
            c if c.is_ascii_punctuation() => {
                if let Some(text) = source.get(i..i + 1) {
                    tokens.push(Token { offset: i, text });
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The offset after a string literal starting at `start`, backslash escapes included.
fn end_of_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes.get(start).copied();
    let mut i = start + 1;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\\' => i += 2,
            c if Some(c) == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Like MiniJinja's `skip_basic_tag`: `[-+]? ws* name ws* [-+]? %}` at `start`, and the offset
/// after it.
fn basic_tag(source: &str, start: usize, name: &str, whitespace_marker: bool) -> Option<usize> {
    let mut rest = source.get(start..)?;
    if whitespace_marker {
        rest = rest.strip_prefix(['-', '+']).unwrap_or(rest);
    }
    rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace()).strip_prefix(name)?;
    rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    rest = rest.strip_prefix(['-', '+']).unwrap_or(rest);
    rest = rest.strip_prefix("%}")?;
    Some(source.len() - rest.len())
}

/// The offset after the `{% endraw %}` that closes a raw block whose content starts at `start`.
fn end_of_raw(source: &str, start: usize) -> usize {
    let bytes = source.as_bytes();
    let mut from = start;
    while let Some(block) = find_bytes(bytes, from, b"{%") {
        if let Some(end) = basic_tag(source, block + 2, "endraw", true) {
            return end;
        }
        from = block + 2;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<&str> {
        tokens(source).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn only_code_counts() {
        assert_eq!(texts("a ~ *b* {{ name|upper }} c"), ["name", "|", "upper"]);
        assert_eq!(texts("{# {{ x ~ y }} #}{{ '~ }}' ~ a }}"), ["~", "a"]);
        assert_eq!(texts("{%- raw %}{{ x ~ y }}{% endraw -%}{{ z }}"), ["z"]);
        assert_eq!(texts("{{ {'a': {'b': 1}} }} ~ {%+ if x -%}"), [":", ":", "if", "x"]);
    }

    #[test]
    fn a_raw_block_ends_only_at_its_end_tag() {
        // `{#` inside raw is text, so the tag after the block must still be seen.
        assert_eq!(texts("{% raw %}{#{% endraw %}{{ a ~ b }}#}"), ["a", "~", "b"]);
    }

    #[test]
    fn a_variable_is_found_with_its_path() {
        let source = "{{ name }}\n{{ x.name.first }}";
        let tokens = tokens(source);
        let found = find(&tokens, "name.first");
        assert_eq!(found.map(|o| line(source, o)), Some(2));
    }
}
