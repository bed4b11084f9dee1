// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Information emails ("mailings"): the subject and Markdown body staff write for each language,
//! checked once when they are saved ([`Compiled::compile`]) and filled in for each recipient
//! ([`Compiled::render`]) as a one-line subject, a plain-text part and an HTML part, both ending
//! in the list's footer with the unsubscribe link (`campaign_footer_*` in the locale files).
//!
//! ```text
//! pub const VARIABLES: [&str; 2] = ["name", "supporter_number"];
//! Compiled::compile(subject: &str, markdown: &str) -> Result<Compiled, ContentError>
//! Compiled::render(&self, &Variables { name, supporter_number }, &Footer { language,
//!     organisation, list_name, unsubscribe_url }) -> Result<Rendered { subject, text, html }, ContentError>
//! ```
//!
//! **The template language** is MiniJinja, cut down to what a mailing needs: `{{ name }}` (the
//! supporter's display name), `{{ supporter_number }}` (empty for a person without one),
//! `{% if %}`/`{% elif %}`/`{% else %}`, `{% for %}` (with `range()`), comparisons, the filters
//! `default`, `upper`, `lower`, `title`, `capitalize`, `trim` and the tests `defined`,
//! `undefined`, `none`. MiniJinja is built without `macros` and `multi_template`, so `macro`,
//! `include`, `import` and `extends` are syntax errors; the environment is
//! [`Environment::empty`] plus that list, so nothing else exists at all.
//!
//! **Why more is refused.** A mailing renders once per recipient, up to 100,000 times, inside the
//! server. Fuel ([`FUEL`] instructions per part) stops loops that run too long, and the output of
//! one part is capped, but neither can see a value that grows inside a single instruction:
//! `{% set a = b ~ b %}` written forty times is a terabyte in forty instructions. So the check
//! also refuses (as [`ContentError::Unsupported`]) every way a template can build a larger value
//! or buffer output outside the cap: the operators `~`, `+` and `*`, `set`, `with`, `filter`
//! blocks and recursive loops (see `tags.rs`). Staff lose nothing a mailing needs.
//!
//! **Values are text, everywhere.** A name like `<script>`, `**bold**`,
//! `[x](javascript:alert(1))` or `{{ name }}` arrives as those characters in all three parts and
//! never becomes markup. The text part and the subject take values raw; the subject then has
//! every control character (CR, LF, tab, …) turned into a space, so a name with `"\r\nBcc: x"`
//! stays on the subject line, and a subject template with a line break is refused. The HTML part
//! is the Markdown rendered with pulldown-cmark, sanitised with ammonia (no script, style, event
//! handlers, `javascript:` URLs, iframes or forms; links get `rel="noopener noreferrer"`) and put
//! in a complete document; how values stay out of the Markdown is explained in `markup.rs`.
//!
//! **Compile once, render many.** [`Compiled`] holds the parsed templates, and the sanitised HTML
//! of each branch the body has taken so far, behind `Arc`s: clone it into every task that sends.
//! Rendering a typical 2 KB body takes about 10 µs (release build); a body that puts a value
//! into a link address or raw HTML is sanitised per recipient and takes about 100 µs.

mod markup;
mod tags;

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};
use std::fmt;
use std::sync::Arc;

/// The variables a mailing may use, in the order the editor offers them.
pub const VARIABLES: [&str; 2] = ["name", "supporter_number"];

/// The longest subject template, in characters: mail clients show about 60, and RFC 5322 asks
/// for lines under 78, so 250 is room for placeholders, not an invitation.
pub const SUBJECT_MAX_CHARS: usize = 250;

/// The largest body template, in bytes. A mailing is read, not archived: 200 KB is a small book.
pub const BODY_MAX_BYTES: usize = 200 * 1024;

/// Instructions one part may run per render: a mailing with a dozen placeholders and
/// conditions needs well under a hundred; a loop of a thousand rounds still fits.
pub const FUEL: u64 = 20_000;

/// The most a rendered part may write, values included. Far above any real mailing, far below
/// what would hurt a server that renders for 100,000 recipients.
const SUBJECT_OUTPUT_MAX: usize = 16 * 1024;
const BODY_OUTPUT_MAX: usize = 2 * 1024 * 1024;

/// The only functions a template can call, besides the filters and tests.
const FUNCTIONS: [&str; 1] = ["range"];

/// What one recipient's mail is filled in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variables<'a> {
    /// The supporter's display name, as they typed it.
    pub name: &'a str,
    /// `None` for a person who is not (yet) a supporter: `{{ supporter_number }}` is then empty.
    pub supporter_number: Option<i64>,
}

/// What the footer of every mailing says: which list this is, whose, and how to leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer<'a> {
    /// The language of the footer and of the HTML part's `lang`: the mailing's language.
    pub language: domain::types::Language,
    pub organisation: &'a str,
    pub list_name: &'a str,
    /// The recipient's own one-click link: both parts show it.
    pub unsubscribe_url: &'a str,
}

/// One recipient's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line, trimmed, without control characters.
    pub subject: String,
    /// The Markdown as written, values inserted raw, then the footer.
    pub text: String,
    /// A complete, sanitised HTML document.
    pub html: String,
}

/// Which of the two templates a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Subject,
    Body,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Body => "body",
        }
    }

    /// The unit of [`ContentError::TooLong`]'s `max`: people count a subject's characters, and a
    /// body's size is what the limit protects.
    fn unit(self) -> &'static str {
        match self {
            Part::Subject => "characters",
            Part::Body => "bytes",
        }
    }

    fn output_max(self) -> usize {
        match self {
            Part::Subject => SUBJECT_OUTPUT_MAX,
            Part::Body => BODY_OUTPUT_MAX,
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a mailing cannot be saved, or (rarely: the save-time check renders it twice) one
/// recipient's mail cannot be rendered. The messages are English for staff and logs; a UI that
/// speaks German matches on the variant. Lines count from 1 within the part.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum ContentError {
    #[error("The {part} is empty.")]
    Empty { part: Part },
    #[error("The {part} is too long: it may have at most {max} {unit}.", unit = .part.unit())]
    TooLong { part: Part, max: usize },
    #[error("The subject must be a single line: remove the line break.")]
    SubjectLineBreak,
    #[error("The {part} has a syntax error{}: {message}", OnLine(*.line))]
    Syntax { part: Part, line: Option<usize>, message: String },
    #[error(
        "The {part} uses the unknown variable `{name}`{}; mailings know `name` and `supporter_number`.",
        OnLine(*.line)
    )]
    UnknownVariable { part: Part, name: String, line: Option<usize> },
    #[error("The {part} uses `{construct}`{}, which mailings do not allow.", OnLine(*.line))]
    Unsupported { part: Part, construct: String, line: Option<usize> },
    #[error("The {part} takes too much work or output to render: is there an endless or very long loop?")]
    TooComplex { part: Part },
    #[error("The {part} cannot be rendered{}: {message}", OnLine(*.line))]
    Render { part: Part, line: Option<usize>, message: String },
}

/// ` on line 3`, or nothing when the line is not known.
struct OnLine(Option<usize>);

impl fmt::Display for OnLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, " on line {line}"),
            None => Ok(()),
        }
    }
}

/// A mailing's subject and body, checked and parsed. Cheap to clone and to share between
/// threads.
#[derive(Clone)]
pub struct Compiled {
    env: Arc<Environment<'static>>,
    html: Arc<markup::Cache>,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled").finish_non_exhaustive()
    }
}

/// The recipients the save-time check renders for: with and without a supporter number, so
/// that both sides of `{% if supporter_number %}` run once.
const SAMPLES: [Variables<'static>; 2] = [
    Variables { name: "Ada Lovelace", supporter_number: Some(1815) },
    Variables { name: "Ada Lovelace", supporter_number: None },
];

impl Compiled {
    /// Checks everything a mailing can get wrong at save time, in the order staff would fix it:
    /// not empty, not too long ([`SUBJECT_MAX_CHARS`], [`BODY_MAX_BYTES`]), no line break in
    /// the subject, syntax, only allowed constructs, only known variables (attributes too:
    /// `{{ name.first }}` is unknown), and a trial render for two sample recipients within the
    /// fuel budget that leaves neither part empty.
    pub fn compile(subject: &str, markdown: &str) -> Result<Compiled, ContentError> {
        check_size(Part::Subject, subject)?;
        if subject.contains(is_line_break) {
            return Err(ContentError::SubjectLineBreak);
        }
        check_size(Part::Body, markdown)?;
        let mut env = environment();
        for (part, source) in [(Part::Subject, subject), (Part::Body, markdown)] {
            env.add_template_owned(part.name(), source.to_owned()).map_err(|e| ContentError::Syntax {
                part,
                line: e.line(),
                message: detail(&e),
            })?;
            let tokens = tags::tokens(source);
            if let Some(token) = tags::refused(&tokens) {
                return Err(ContentError::Unsupported {
                    part,
                    construct: token.text.to_owned(),
                    line: Some(tags::line(source, token.offset)),
                });
            }
            check_variables(&env, part, source, &tokens)?;
        }
        let compiled = Compiled { env: Arc::new(env), html: Arc::default() };
        for sample in &SAMPLES {
            let (subject, body) = compiled.fill(sample)?;
            if markup::one_line(&markup::plain(&subject)).is_empty() {
                return Err(ContentError::Empty { part: Part::Subject });
            }
            if markup::plain(&body).trim().is_empty() {
                return Err(ContentError::Empty { part: Part::Body });
            }
        }
        Ok(compiled)
    }

    /// One recipient's mail. The templates were parsed in [`compile`](Self::compile); this runs
    /// them, renders the Markdown and sanitises it. Fails only where the template depends on a
    /// value the trial render did not have (a loop over the name's letters that runs out of
    /// fuel, say): the caller skips that recipient and reports them.
    pub fn render(&self, vars: &Variables<'_>, footer: &Footer<'_>) -> Result<Rendered, ContentError> {
        let (subject, body) = self.fill(vars)?;
        let subject = markup::one_line(&markup::plain(&subject));
        let html = markup::html(&self.html.body_html(&body), &subject, footer);
        Ok(Rendered { text: markup::text(&body, footer), html, subject })
    }

    /// Both templates run, values still as tokens (see `markup.rs`).
    fn fill(&self, vars: &Variables<'_>) -> Result<(String, String), ContentError> {
        let context = minijinja::context! {
            name => vars.name,
            supporter_number => vars.supporter_number,
        };
        Ok((self.run(Part::Subject, context.clone())?, self.run(Part::Body, context)?))
    }

    fn run(&self, part: Part, context: Value) -> Result<String, ContentError> {
        let failed = |e: minijinja::Error| ContentError::Render { part, line: e.line(), message: detail(&e) };
        let template = self.env.get_template(part.name()).map_err(failed)?;
        let mut out = Capped { written: Vec::with_capacity(1024), max: part.output_max(), exceeded: false };
        match template.render_captured_to(context, &mut out) {
            Ok(_) => Ok(String::from_utf8(out.written)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())),
            Err(_) if out.exceeded => Err(ContentError::TooComplex { part }),
            Err(e) if e.kind() == ErrorKind::OutOfFuel => Err(ContentError::TooComplex { part }),
            Err(e) => Err(failed(e)),
        }
    }
}

/// The environment of one mailing: only the function, filters and tests the module doc lists,
/// fuel, strict undefined values (a misspelt attribute is an error, not a silent gap) and the
/// formatter that keeps values out of the Markdown.
fn environment() -> Environment<'static> {
    use minijinja::{filters, functions, tests};
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_formatter(markup::print_value);
    env.add_function("range", functions::range);
    env.add_filter("default", filters::default);
    env.add_filter("upper", filters::upper);
    env.add_filter("lower", filters::lower);
    env.add_filter("title", filters::title);
    env.add_filter("capitalize", filters::capitalize);
    env.add_filter("trim", filters::trim);
    env.add_test("defined", tests::is_defined);
    env.add_test("undefined", tests::is_undefined);
    env.add_test("none", tests::is_none);
    env
}

fn check_size(part: Part, source: &str) -> Result<(), ContentError> {
    if source.trim().is_empty() {
        return Err(ContentError::Empty { part });
    }
    let (size, max) = match part {
        Part::Subject => (source.chars().count(), SUBJECT_MAX_CHARS),
        Part::Body => (source.len(), BODY_MAX_BYTES),
    };
    if size > max { Err(ContentError::TooLong { part, max }) } else { Ok(()) }
}

/// Anything a mail client or a header could take for the end of a line.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Refuses the first (in the source) variable that is not one of [`VARIABLES`]. MiniJinja's
/// analysis names attribute paths (`name.first`) and sees every branch, so a typo in a branch
/// the trial render never takes is caught too.
fn check_variables(
    env: &Environment<'static>,
    part: Part,
    source: &str,
    tokens: &[tags::Token<'_>],
) -> Result<(), ContentError> {
    let template = env.get_template(part.name()).map_err(|e| ContentError::Syntax {
        part,
        line: e.line(),
        message: detail(&e),
    })?;
    let unknown = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|name| !VARIABLES.contains(&name.as_str()) && !FUNCTIONS.contains(&name.as_str()))
        .map(|name| (tags::find(tokens, &name), name))
        .min_by(|a, b| (a.0.is_none(), a.0).cmp(&(b.0.is_none(), b.0)).then_with(|| a.1.cmp(&b.1)));
    match unknown {
        Some((offset, name)) => {
            Err(ContentError::UnknownVariable { part, name, line: offset.map(|o| tags::line(source, o)) })
        }
        None => Ok(()),
    }
}

/// MiniJinja's message without its location suffix: the error carries the line separately.
fn detail(e: &minijinja::Error) -> String {
    e.detail().map_or_else(|| e.kind().to_string(), str::to_owned)
}

/// The writer a part renders into: it refuses to grow past `max`, which stops the render.
struct Capped {
    written: Vec<u8>,
    max: usize,
    exceeded: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written.len().saturating_add(buf.len()) > self.max {
            self.exceeded = true;
            return Err(std::io::Error::other("mailing output limit"));
        }
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
