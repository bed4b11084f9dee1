// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Mailing content as staff and recipients meet it: what a save refuses, and what one
//! recipient's mail says. Run with `cargo test -p mails --test campaign`.

use domain::types::Language;
use mails::campaign::{Compiled, ContentError, Footer, Part, Rendered, Variables};

const ADA: Variables<'static> = Variables { name: "Ada Lovelace", supporter_number: Some(1815) };

fn footer(language: Language) -> Footer<'static> {
    Footer {
        language,
        organisation: "Friends of the Park",
        list_name: "Newsletter",
        unsubscribe_url: "https://my.example.org/u/abc?x=1&y=2",
    }
}

fn render(subject: &str, body: &str, vars: &Variables<'_>) -> Rendered {
    let compiled = Compiled::compile(subject, body);
    assert!(compiled.is_ok(), "{compiled:?}");
    let Ok(compiled) = compiled else { unreachable!() };
    let rendered = compiled.render(vars, &footer(Language::English));
    assert!(rendered.is_ok(), "{rendered:?}");
    rendered.unwrap_or_else(|_| unreachable!())
}

/// The HTML part between `<body>` and the footer's rule: what the Markdown became.
fn content(html: &str) -> &str {
    let start = html.find("<body>").map_or(0, |i| i + "<body>".len());
    let end = html.rfind("<hr>").unwrap_or(html.len());
    html.get(start..end).unwrap_or_default()
}

#[test]
fn a_syntax_error_is_refused_with_its_line() {
    let error = Compiled::compile("News", "Hello,\n\nthis is {{ name \n");
    assert!(matches!(&error, Err(ContentError::Syntax { part: Part::Body, line: Some(3), .. })), "{error:?}");
    let message = error.map(|_| ()).unwrap_err().to_string();
    assert!(message.contains("body") && message.contains("line 3"), "{message}");
}

#[test]
fn an_unknown_variable_is_refused_with_its_name_and_line() {
    let error = Compiled::compile("News", "Hello {{ name }},\n\n{% if true %}{{ nmae }}{% endif %}");
    assert_eq!(
        error.map(|_| ()),
        Err(ContentError::UnknownVariable { part: Part::Body, name: "nmae".into(), line: Some(3) })
    );
    let error = Compiled::compile("Hello {{ name.first }}", "Hi");
    assert!(
        matches!(&error, Err(ContentError::UnknownVariable { part: Part::Subject, name, .. }) if name == "name.first"),
        "{error:?}"
    );
}

#[test]
fn an_endless_loop_is_refused_when_saved() {
    let body = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";
    assert_eq!(
        Compiled::compile("News", body).map(|_| ()),
        Err(ContentError::TooComplex { part: Part::Body })
    );
}

#[test]
fn a_loop_that_only_a_long_name_makes_endless_fails_when_rendered() {
    // The trial render's name is short; a recipient's long one makes the same loop too long.
    let compiled =
        Compiled::compile("News", "{% for c in name %}{% for i in range(100) %}.{% endfor %}{% endfor %}");
    assert!(compiled.is_ok(), "{compiled:?}");
    let Ok(compiled) = compiled else { return };
    let long = "x".repeat(1000);
    let rendered =
        compiled.render(&Variables { name: &long, supporter_number: None }, &footer(Language::English));
    assert_eq!(rendered, Err(ContentError::TooComplex { part: Part::Body }));
}

#[test]
fn constructs_that_could_grow_a_value_without_limit_are_refused() {
    for (body, construct) in [
        ("{% set a = name %}{{ a }}", "set"),
        ("{{ name ~ name }}", "~"),
        ("{{ 'x' * 100000000 }}", "*"),
        ("Hi\n{% for x in [1] recursive %}{{ loop(x) }}{% endfor %}", "recursive"),
        ("{% filter upper %}x{% endfilter %}", "filter"),
    ] {
        let error = Compiled::compile("News", body).map(|_| ());
        assert!(
            matches!(&error, Err(ContentError::Unsupported { construct: c, .. }) if c == construct),
            "{body}: {error:?}"
        );
    }
    // The same characters in the Markdown itself are just Markdown.
    let rendered = render("News", "*emphasis* and 1 + 1 ~ 2", &ADA);
    assert!(rendered.html.contains("<em>emphasis</em> and 1 + 1 ~ 2"), "{}", rendered.html);
}

#[test]
fn macros_and_includes_do_not_exist() {
    for body in ["{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "{% include 'x' %}"] {
        let error = Compiled::compile("News", body).map(|_| ());
        assert!(
            matches!(&error, Err(ContentError::Syntax { .. } | ContentError::Unsupported { .. })),
            "{body}: {error:?}"
        );
    }
}

#[test]
fn script_and_raw_html_in_the_markdown_are_sanitised_and_their_text_kept() {
    let body = "Hello\n\n<script>alert(1)</script>\n\n<p onclick=\"steal()\">Kept <b>bold</b></p>\n\n\
        [click](javascript:alert(2)) <iframe src=\"https://evil.example\"></iframe>\n\n\
        <form action=\"https://evil.example\"><input name=\"pin\"></form><style>p{}</style>";
    let rendered = render("News", body, &ADA);
    let html = content(&rendered.html);
    for gone in
        ["<script", "alert(1)", "onclick", "steal", "javascript:", "<iframe", "<form", "<input", "<style"]
    {
        assert!(!html.contains(gone), "{gone} in {html}");
    }
    assert!(html.contains("Kept <b>bold</b>") && html.contains("click"), "{html}");
}

#[test]
fn a_hostile_name_is_text_in_both_parts() {
    let name = "<script>x</script> **bold** [x](javascript:alert(1)) {{ name }} &amp; `c`";
    let vars = Variables { name, supporter_number: None };
    let escaped = "&lt;script&gt;x&lt;/script&gt; **bold** [x](javascript:alert(1)) {{ name }} &amp;amp; `c`";
    // The first body's HTML is sanitised once and the values put in afterwards; the raw HTML in
    // the second makes the sanitiser see them, for every recipient.
    let markdown =
        "Hello {{ name }}!\n\n`{{ name }}`\n\n    {{ name }}\n\n[{{ name }}](https://example.org/)\n";
    let with_html = format!("{markdown}\n<p title=\"{{{{ name }}}}\">t</p>\n");
    for body in [markdown, with_html.as_str()] {
        let compiled = Compiled::compile("News", body);
        let Ok(compiled) = compiled else { panic!("{compiled:?}") };
        for _ in 0..2 {
            let rendered = compiled.render(&vars, &footer(Language::English));
            let Ok(rendered) = rendered else { panic!("{rendered:?}") };
            assert!(rendered.text.contains(&format!("Hello {name}!")), "{}", rendered.text);
            let html = content(&rendered.html);
            assert!(html.contains(&format!("<p>Hello {escaped}!</p>")), "{html}");
            assert!(html.contains(&format!("<code>{escaped}</code>")), "{html}");
            assert!(html.contains(&format!("<pre><code>{escaped}\n</code></pre>")), "{html}");
            let link = format!("<a href=\"https://example.org/\" rel=\"noopener noreferrer\">{escaped}</a>");
            assert!(html.contains(&link), "{html}");
            assert!(
                !html.contains("<script")
                    && !html.contains("<strong>")
                    && !html.contains("href=\"javascript")
            );
            assert!(!html.contains('\u{FDD0}') && !html.contains('\u{FDD1}'), "{html}");
        }
    }
}

#[test]
fn a_value_in_a_link_is_part_of_the_address_and_cannot_make_it_javascript() {
    let body = "[Your page](https://example.org/s/{{ supporter_number }}) and [this]({{ name }})";
    let compiled = Compiled::compile("News", body);
    let Ok(compiled) = compiled else { panic!("{compiled:?}") };
    let vars = Variables { name: "javascript:alert(1)", supporter_number: Some(42) };
    let rendered = compiled.render(&vars, &footer(Language::English));
    let Ok(rendered) = rendered else { panic!("{rendered:?}") };
    let html = content(&rendered.html);
    assert!(
        html.contains("<a href=\"https://example.org/s/42\" rel=\"noopener noreferrer\">Your page</a>"),
        "{html}"
    );
    assert!(!html.contains("javascript") && html.contains("this"), "{html}");
}

#[test]
fn a_line_break_in_the_subject_template_is_refused() {
    assert_eq!(
        Compiled::compile("News\nBcc: x@example.org", "Hi").map(|_| ()),
        Err(ContentError::SubjectLineBreak)
    );
    assert_eq!(Compiled::compile("News\r", "Hi").map(|_| ()), Err(ContentError::SubjectLineBreak));
}

#[test]
fn a_name_with_a_line_break_stays_on_the_subject_line() {
    let vars = Variables { name: "Ada\r\nBcc: victim@example.org\t", supporter_number: None };
    let rendered = render("News for {{ name }}", "Hi", &vars);
    assert_eq!(rendered.subject, "News for Ada  Bcc: victim@example.org");
}

#[test]
fn an_empty_part_is_refused() {
    assert_eq!(Compiled::compile("News", " \n\t").map(|_| ()), Err(ContentError::Empty { part: Part::Body }));
    assert_eq!(Compiled::compile("", "Hi").map(|_| ()), Err(ContentError::Empty { part: Part::Subject }));
    assert_eq!(
        Compiled::compile("News", "{% if false %}Hi{% endif %}").map(|_| ()),
        Err(ContentError::Empty { part: Part::Body })
    );
}

#[test]
fn a_part_too_long_is_refused() {
    let subject = "ä".repeat(251);
    assert_eq!(
        Compiled::compile(&subject, "Hi").map(|_| ()),
        Err(ContentError::TooLong { part: Part::Subject, max: 250 })
    );
    assert!(Compiled::compile(&"ä".repeat(250), "Hi").is_ok());
    let body = "x".repeat(200 * 1024 + 1);
    assert_eq!(
        Compiled::compile("News", &body).map(|_| ()),
        Err(ContentError::TooLong { part: Part::Body, max: 204800 })
    );
}

#[test]
fn a_missing_supporter_number_renders_empty() {
    let body = "Number: [{{ supporter_number }}]\n\n{% if supporter_number %}Yours: {{ supporter_number }}{% else %}Join us!{% endif %}";
    let none = render("News", body, &Variables { name: "Ada", supporter_number: None });
    assert!(none.text.contains("Number: []") && none.text.contains("Join us!"), "{}", none.text);
    assert!(!none.text.contains("none"), "{}", none.text);
    let some = render("News", body, &ADA);
    assert!(some.text.contains("Number: [1815]") && some.text.contains("Yours: 1815"), "{}", some.text);
}

#[test]
fn the_german_footer_is_german() {
    let compiled = Compiled::compile("Neuigkeiten", "Hallo {{ name }}");
    let Ok(compiled) = compiled else { panic!("{compiled:?}") };
    let rendered = compiled.render(&ADA, &footer(Language::German));
    let Ok(rendered) = rendered else { panic!("{rendered:?}") };
    assert!(
        rendered.text.contains("abonniert") && rendered.text.contains("Abbestellen"),
        "{}",
        rendered.text
    );
    assert!(rendered.html.contains("<html lang=\"de\">") && rendered.html.contains(">Abbestellen</a>"));
    assert!(!rendered.text.contains("unsubscribe"), "{}", rendered.text);
}

#[test]
fn both_parts_carry_the_footer_and_unsubscribe_link() {
    let rendered = render("News", "Hello", &ADA);
    assert!(rendered.text.starts_with("Hello\n\n-- \n"), "{}", rendered.text);
    assert!(rendered.text.contains("https://my.example.org/u/abc?x=1&y=2"), "{}", rendered.text);
    assert!(rendered.text.contains("“Newsletter” from Friends of the Park"), "{}", rendered.text);
    assert!(rendered.html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{}", rendered.html);
    assert!(
        rendered.html.contains("<meta charset=\"utf-8\">") && rendered.html.contains("<title>News</title>")
    );
    assert!(rendered.html.contains("<a href=\"https://my.example.org/u/abc?x=1&amp;y=2\">Unsubscribe</a>"));
}

#[test]
fn markdown_features_survive_into_html() {
    let body = "# Spring news\n\nDear {{ name }}, *thank you* and **welcome**.\n\n\
        - one\n- two\n\n1. first\n\n[Our site](https://example.org/) ~~old~~\n\n> quoted\n\n\
        | a | b |\n|---|---|\n| 1 | 2 |\n";
    let rendered = render("News", body, &ADA);
    let html = content(&rendered.html);
    for expected in [
        "<h1>Spring news</h1>",
        "Dear Ada Lovelace, <em>thank you</em> and <strong>welcome</strong>.",
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>",
        "<ol>\n<li>first</li>\n</ol>",
        "<a href=\"https://example.org/\" rel=\"noopener noreferrer\">Our site</a>",
        "<del>old</del>",
        "<blockquote>",
        "<td>1</td>",
    ] {
        assert!(html.contains(expected), "{expected} not in {html}");
    }
    assert!(
        rendered.text.starts_with("# Spring news\n\nDear Ada Lovelace, *thank you*"),
        "{}",
        rendered.text
    );
}

#[test]
fn filters_and_conditions_staff_may_use_work() {
    let rendered = render(
        "{{ name|upper }}",
        "{% if supporter_number is none %}-{% elif supporter_number > 1000 %}big{% endif %} {{ name|default('friend') }}\n\n\
         {% for i in range(3) %}{{ loop.index }}{% endfor %}",
        &ADA,
    );
    assert_eq!(rendered.subject, "ADA LOVELACE");
    assert!(rendered.text.starts_with("big Ada Lovelace\n\n123"), "{}", rendered.text);
}

#[test]
fn a_loop_of_a_thousand_rounds_fits_the_budget() {
    let rendered = render(
        "News",
        "{% for i in range(1000) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}",
        &ADA,
    );
    assert!(rendered.text.starts_with("0,1,2,") && rendered.text.contains(",999\n"), "{}", rendered.text);
}

#[test]
fn a_compiled_mailing_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Compiled>();
}
