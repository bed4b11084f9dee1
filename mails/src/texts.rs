// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mail texts: `locales/en.json` and `locales/de.json`, one flat JSON object of templates per
//! language, compiled into every binary (`include_str!`) and parsed once, on first use.
//!
//! Templates are MiniJinja with `{{ name }}` placeholders, rendered as plain text: no
//! auto-escaping (mails are not HTML), a single trailing newline kept (bodies end with one), and
//! an undefined placeholder is an error rather than an empty gap, so a typo in a locale file
//! fails the tests instead of a sentence. Keys are `<mail>_subject` / `<mail>_body`, plus the
//! pieces a body is built from (`donation_once`, …). A placeholder that holds an optional
//! paragraph (`{{ transfer }}`) is empty or a paragraph ending in a blank line, so a body
//! reads right either way. The tests check that both files have the same keys with the same
//! placeholders and that every template renders.

use domain::types::Language;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Every language's locale file, as compiled in.
pub(crate) const LOCALES: [(Language, &str); 2] = [
    (Language::English, include_str!("../locales/en.json")),
    (Language::German, include_str!("../locales/de.json")),
];

static TEXTS: LazyLock<Environment<'static>> = LazyLock::new(environment);

/// Renders one template in one language.
pub(crate) fn render(language: Language, key: &str, context: Value) -> Result<String, minijinja::Error> {
    TEXTS.get_template(&name(language, key))?.render(context)
}

fn name(language: Language, key: &str) -> String {
    format!("{}/{key}", language.code())
}

/// The templates of one locale file.
pub(crate) fn parse(source: &str) -> Result<BTreeMap<String, String>, serde_json::Error> {
    serde_json::from_str(source)
}

/// The environment every mail is rendered in. A file or template that does not parse is
/// logged and left out, so its mails fail to render (and fall back to English) rather than
/// taking the binary down; the tests make sure none does.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    match SyntaxConfig::builder().keep_trailing_newline(true).build() {
        Ok(syntax) => env.set_syntax(syntax),
        Err(e) => tracing::error!(error = %e, "mail template syntax"),
    }
    for (language, source) in LOCALES {
        match parse(source) {
            Ok(templates) => {
                for (key, text) in templates {
                    if let Err(e) = env.add_template_owned(name(language, &key), text) {
                        tracing::error!(error = %e, key, language = language.code(), "mail template does not parse");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, language = language.code(), "mail locale file is not JSON"),
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(key: &str, text: &str) -> BTreeSet<String> {
        let env = environment();
        let template = env.template_from_named_str(key, text);
        assert!(template.is_ok(), "{key}: {template:?}");
        template.map(|t| t.undeclared_variables(false).into_iter().collect()).unwrap_or_default()
    }

    #[test]
    fn every_locale_has_every_key_with_the_same_placeholders() {
        let locales: Vec<_> = LOCALES.iter().map(|(language, source)| (*language, parse(source))).collect();
        for (language, parsed) in &locales {
            assert!(parsed.is_ok(), "{}: {parsed:?}", language.code());
        }
        let Some((_, Ok(english))) = locales.first() else { return };
        assert!(!english.is_empty());
        for (language, templates) in &locales {
            let Ok(templates) = templates else { continue };
            let keys: BTreeSet<_> = templates.keys().collect();
            assert_eq!(keys, english.keys().collect(), "keys of {}", language.code());
            for (key, text) in templates {
                assert_eq!(
                    placeholders(key, text),
                    placeholders(key, &english[key]),
                    "placeholders of {key} in {}",
                    language.code()
                );
            }
        }
    }

    #[test]
    fn every_template_renders_with_its_placeholders_filled() {
        for (language, source) in LOCALES {
            let Ok(templates) = parse(source) else { panic!("{} does not parse", language.code()) };
            for (key, text) in templates {
                let filled: BTreeMap<String, String> =
                    placeholders(&key, &text).into_iter().map(|p| (p.clone(), format!("<{p}>"))).collect();
                let rendered = render(language, &key, Value::from(filled.clone()));
                assert!(rendered.is_ok(), "{key} in {}: {rendered:?}", language.code());
                let rendered = rendered.unwrap_or_default();
                assert!(!rendered.contains("{{") && !rendered.contains("}}"), "{key}: {rendered}");
                for placeholder in filled.values() {
                    assert!(rendered.contains(placeholder.as_str()), "{key} drops {placeholder}");
                }
            }
        }
    }

    #[test]
    fn a_missing_placeholder_is_an_error_not_a_gap() {
        let rendered = render(Language::English, "confirm_body", minijinja::context! { organisation => "X" });
        assert!(rendered.is_err(), "{rendered:?}");
    }

    #[test]
    fn text_is_not_escaped() {
        let rendered = render(
            Language::English,
            "known_body",
            minijinja::context! { organisation => "A & B", name => "<b>Ada</b>", url => "u" },
        );
        let rendered = rendered.unwrap_or_default();
        assert!(rendered.contains("Hello <b>Ada</b>,") && rendered.contains("A & B"), "{rendered}");
        assert!(rendered.ends_with("A & B\n"), "{rendered:?}");
    }
}
