// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! From filled-in templates to the three parts of a mail, with every printed value kept as
//! text.
//!
//! **Tokens, not escaping.** Escaping a value for Markdown is not enough: backslash escapes do
//! nothing in code spans or raw HTML, and a value with leading spaces at the start of a line
//! opens a code block. So the formatter never prints a value into the Markdown. It prints a
//! token: U+FDD0, the value's UTF-8 as hex digits, U+FDD1. Both markers are Unicode
//! noncharacters, reserved for exactly this internal use, and hex digits mean nothing to
//! Markdown, so a token is an ordinary word wherever it stands. Where every token stands in
//! text or code, the body is rendered and sanitised with numbered tokens, and the values go into
//! the sanitised HTML afterwards, HTML-escaped ([`Cache`]). Otherwise every string in the event
//! stream has its tokens replaced by the values before ammonia sees the HTML: as text in text,
//! code, link targets and titles (pulldown-cmark's writer escapes them), and HTML-escaped inside
//! raw HTML. The text part and the subject replace tokens by the raw values. A marker typed
//! into a template cannot fake a value: whatever it decodes to is the template's own text, and
//! still only text.

use super::Footer;
use domain::types::Language;
use minijinja::{Output, State, Value};
use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TextMergeStream};
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::{Arc, LazyLock, Mutex};

const OPEN: char = '\u{FDD0}';
const CLOSE: char = '\u{FDD1}';

/// The formatter of the mailing environment: `{{ … }}` prints a token, and nothing for a
/// missing supporter number (`none`). The value is hex-encoded while it is formatted, so even a
/// huge list streams into the capped output instead of a string of its own.
pub(super) fn print_value(out: &mut Output, _: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    out.write_char(OPEN)?;
    write!(Hex(out), "{value}")?;
    out.write_char(CLOSE)?;
    Ok(())
}

struct Hex<'a, 'b>(&'a mut Output<'b>);

impl fmt::Write for Hex<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut buffer = [0u8; 128];
        for chunk in s.as_bytes().chunks(buffer.len() / 2) {
            for (pair, byte) in buffer.chunks_exact_mut(2).zip(chunk) {
                pair.copy_from_slice(&[DIGITS[usize::from(byte >> 4)], DIGITS[usize::from(byte & 0xf)]]);
            }
            let hex = buffer.get(..chunk.len() * 2).ok_or(fmt::Error)?;
            self.0.write_str(std::str::from_utf8(hex).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

fn decode(hex: &str) -> Option<String> {
    fn nibble(digit: u8) -> Option<u8> {
        char::from(digit).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = hex.as_bytes().chunks(2).map(|pair| match pair {
        [high, low] => Some(nibble(*high)? << 4 | nibble(*low)?),
        _ => None,
    });
    String::from_utf8(bytes.collect::<Option<Vec<u8>>>()?).ok()
}

/// The text before the next token, its value (`None` for a marker without a well-formed token,
/// which is dropped) and the rest.
fn next_token(s: &str) -> Option<(&str, Option<String>, &str)> {
    let start = s.find(OPEN)?;
    let after = &s[start + OPEN.len_utf8()..];
    let token = after.find(CLOSE).and_then(|end| Some((decode(&after[..end])?, end)));
    Some(match token {
        Some((value, end)) => (&s[..start], Some(value), &after[end + CLOSE.len_utf8()..]),
        None => (&s[..start], None, after),
    })
}

/// Copies `s` into `out`, every token replaced by its value as `put` writes it.
fn splice(s: &str, out: &mut String, put: fn(&mut String, &str)) {
    let mut rest = s;
    while let Some((before, value, after)) = next_token(rest) {
        out.push_str(before);
        if let Some(value) = value {
            put(out, &value);
        }
        rest = after;
    }
    out.push_str(rest);
}

/// The values in `s` raw: the text part, and the subject before [`one_line`].
pub(super) fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    splice(s, &mut out, String::push_str);
    out
}

/// The subject as it goes into the header: every control character (CR, LF, tab, …) and line
/// separator a space, so nothing a value holds can start a header line of its own.
pub(super) fn one_line(subject: &str) -> String {
    let line: String = subject
        .chars()
        .map(|c| if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c })
        .collect();
    line.trim().to_owned()
}

/// The text part: the Markdown source as the recipient's values fill it, then the footer after
/// the usual signature line (`-- `), which mail clients show greyed out.
pub(super) fn text(body: &str, footer: &Footer<'_>) -> String {
    let mut text = String::with_capacity(body.len() + 512);
    splice(body, &mut text, String::push_str);
    text.truncate(text.trim_end().len());
    text.push_str("\n\n-- \n");
    text.push_str(&footer_text(footer, "campaign_footer_text"));
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The HTML part: a minimal complete document in the mailing's language around the sanitised
/// body ([`Cache::body_html`]), then the footer with the unsubscribe link.
pub(super) fn html(content: &str, subject: &str, footer: &Footer<'_>) -> String {
    let mut html = String::with_capacity(content.len() + 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"");
    html.push_str(footer.language.code());
    html.push_str(concat!(
        "\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
    ));
    escape_html(&mut html, subject);
    html.push_str("</title>\n</head>\n<body>\n");
    html.push_str(content);
    html.push_str("<hr>\n<p>");
    escape_html(&mut html, &footer_text(footer, "campaign_footer_html"));
    html.push_str("</p>\n<p><a href=\"");
    escape_html(&mut html, footer.unsubscribe_url);
    html.push_str("\">");
    escape_html(&mut html, &footer_text(footer, "campaign_footer_unsubscribe"));
    html.push_str("</a></p>\n</body>\n</html>\n");
    html
}

/// The sanitised HTML of the bodies rendered so far, keyed by the filled-in Markdown with each
/// value replaced by its number ([`numbered`]). Recipients differ in their values but mostly
/// not in the Markdown around them, so ammonia (more than half of an uncached render) runs once per
/// branch a mailing takes rather than once per recipient, and the values go into the cached
/// HTML, escaped, afterwards. That is sound only where a value lands in text or a plain
/// attribute; a body with a value in a URL or in raw HTML, where the sanitiser must see the
/// value to judge it, is marked `None` and rendered whole for each recipient.
#[derive(Debug, Default)]
pub(super) struct Cache(Mutex<Entries>);

#[derive(Debug, Default)]
struct Entries {
    html: HashMap<String, Option<Arc<str>>>,
    bytes: usize,
}

/// Room for every branch of a real mailing, a few times over; a template whose Markdown varies
/// with each recipient (a loop over the name) stops filling the cache and renders uncached.
const CACHE_BYTES: usize = 8 * 1024 * 1024;

impl Cache {
    /// The body's HTML, sanitised.
    pub(super) fn body_html(&self, body: &str) -> String {
        let (skeleton, values) = numbered(body);
        let cached = self.0.lock().ok().and_then(|entries| entries.html.get(&skeleton).cloned());
        let sanitised = cached.unwrap_or_else(|| {
            let sanitised: Option<Arc<str>> = sanitised_skeleton(&skeleton).map(Arc::from);
            let size = skeleton.len() + sanitised.as_ref().map_or(0, |html| html.len());
            if let Ok(mut entries) = self.0.lock()
                && entries.bytes + size <= CACHE_BYTES
                && !entries.html.contains_key(&skeleton)
            {
                entries.bytes += size;
                entries.html.insert(skeleton, sanitised.clone());
            }
            sanitised
        });
        match sanitised {
            Some(html) => with_values(&html, &values),
            None => body_html(body),
        }
    }
}

/// The body with every token replaced by `OPEN n CLOSE`, n counting from 0, and the values.
fn numbered(body: &str) -> (String, Vec<String>) {
    let mut values = Vec::new();
    let mut skeleton = String::with_capacity(body.len());
    let mut rest = body;
    while let Some((before, value, after)) = next_token(rest) {
        skeleton.push_str(before);
        if let Some(value) = value {
            skeleton.push(OPEN);
            skeleton.push_str(&values.len().to_string());
            skeleton.push(CLOSE);
            values.push(value);
        }
        rest = after;
    }
    skeleton.push_str(rest);
    (skeleton, values)
}

/// Sanitised HTML of a numbered body whose numbers all stand in text or plain attributes, and
/// all survived; otherwise `None`.
fn sanitised_skeleton(skeleton: &str) -> Option<String> {
    let mut in_text = 0;
    let mut elsewhere = false;
    let mut html = String::with_capacity(skeleton.len() * 3 / 2);
    let events = TextMergeStream::new(Parser::new_ext(skeleton, OPTIONS)).inspect(|event| match event {
        Event::Text(text) | Event::Code(text) => in_text += text.matches(OPEN).count(),
        Event::Html(html) | Event::InlineHtml(html) => elsewhere |= html.contains(OPEN),
        Event::Start(Tag::Link { dest_url, title, .. } | Tag::Image { dest_url, title, .. }) => {
            elsewhere |= dest_url.contains(OPEN) || title.contains(OPEN);
        }
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => elsewhere |= info.contains(OPEN),
        _ => {}
    });
    pulldown_cmark::html::push_html(&mut html, events);
    if elsewhere {
        return None;
    }
    let clean = SANITIZER.clean(&html).to_string();
    (clean.matches(OPEN).count() == in_text).then_some(clean)
}

/// The cached HTML with the numbers replaced by the values, HTML-escaped.
fn with_values(html: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(html.len() + values.iter().map(String::len).sum::<usize>() * 2);
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len_utf8()..];
        let number = after.find(CLOSE).and_then(|end| Some((after[..end].parse::<usize>().ok()?, end)));
        rest = match number.and_then(|(n, end)| Some((values.get(n)?, end))) {
            Some((value, end)) => {
                escape_html(&mut out, value);
                &after[end + CLOSE.len_utf8()..]
            }
            None => after,
        };
    }
    out.push_str(rest);
    out
}

/// The Markdown features a mailing gets: CommonMark plus tables and strikethrough. Task lists
/// would need `<input>`, which the sanitiser removes.
const OPTIONS: Options = Options::ENABLE_TABLES.union(Options::ENABLE_STRIKETHROUGH);

/// The body rendered for one recipient, values put in before the sanitiser sees the HTML.
fn body_html(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, OPTIONS);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, TextMergeStream::new(parser).map(fill_event));
    SANITIZER.clean(&html).to_string()
}

/// ammonia's defaults (no script, style, iframe, form, event handler or `javascript:` URL;
/// `rel="noopener noreferrer"` on links), and no relative URLs: in a mail they point nowhere.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder.url_relative(ammonia::UrlRelative::Deny).link_rel(Some("noopener noreferrer"));
    builder
});

fn fill_event(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Text(text) => Event::Text(filled(text, String::push_str)),
        Event::Code(code) => Event::Code(filled(code, String::push_str)),
        Event::Html(html) => Event::Html(filled(html, escape_html)),
        Event::InlineHtml(html) => Event::InlineHtml(filled(html, escape_html)),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => Event::Start(Tag::Link {
            link_type,
            dest_url: filled(dest_url, String::push_str),
            title: filled(title, String::push_str),
            id,
        }),
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => Event::Start(Tag::Image {
            link_type,
            dest_url: filled(dest_url, String::push_str),
            title: filled(title, String::push_str),
            id,
        }),
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(filled(info, String::push_str))))
        }
        other => other,
    }
}

fn filled(s: CowStr<'_>, put: fn(&mut String, &str)) -> CowStr<'_> {
    if !s.contains(OPEN) {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    splice(&s, &mut out, put);
    out.into()
}

/// Escapes for HTML text and quoted attribute values alike.
fn escape_html(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A footer text from the locale files, or, should it fail (the tests render every key, so
/// only a broken build gets here), the English one, or else the bare facts: the unsubscribe
/// link must go out with every mailing.
fn footer_text(footer: &Footer<'_>, key: &str) -> String {
    let render = |language: Language| {
        let context = minijinja::context! {
            organisation => footer.organisation,
            list_name => footer.list_name,
            url => footer.unsubscribe_url,
        };
        crate::texts::render(language, key, context)
    };
    render(footer.language)
        .or_else(|e| {
            tracing::error!(error = %e, key, language = footer.language.code(), "mailing footer failed");
            render(Language::English)
        })
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, key, "English mailing footer failed too");
            format!("{}, {}: {}\n", footer.list_name, footer.organisation, footer.unsubscribe_url)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_decodes_to_the_value_and_a_stray_marker_is_dropped() {
        let mut env = minijinja::Environment::empty();
        env.set_formatter(print_value);
        let filled = env.render_str("a {{ v }}{{ none }}", minijinja::context! { v => "Zoë <b>" });
        let Ok(mut filled) = filled else { panic!("{filled:?}") };
        assert!(!filled.contains('<') && filled.contains(OPEN), "{filled}");
        filled.push_str(" \u{FDD0}zz\u{FDD1} \u{FDD0}");
        assert_eq!(plain(&filled), "a Zoë <b> zz\u{FDD1} ");
    }

    #[test]
    fn values_in_text_are_put_into_cached_html_but_values_in_urls_are_not() {
        let token = |value: &str| {
            format!("{OPEN}{}{CLOSE}", value.bytes().map(|b| format!("{b:02x}")).collect::<String>())
        };
        let in_text = format!("# {}\n\n*{}* `{}`", token("<i>"), token("a"), token("b"));
        let (skeleton, values) = numbered(&in_text);
        assert_eq!(values, ["<i>", "a", "b"]);
        let html = sanitised_skeleton(&skeleton);
        assert!(html.is_some(), "{skeleton}");
        let html = with_values(&html.unwrap_or_default(), &values);
        assert_eq!(html, "<h1>&lt;i&gt;</h1>\n<p><em>a</em> <code>b</code></p>\n");
        assert_eq!(Cache::default().body_html(&in_text), html);
        for elsewhere in
            [format!("[x](https://e.org/{})", token("a")), format!("<b title=\"{}\">", token("a"))]
        {
            assert_eq!(sanitised_skeleton(&numbered(&elsewhere).0), None, "{elsewhere}");
        }
    }
}
