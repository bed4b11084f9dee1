// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails my.* sends now live in the `mails` crate, so `cdb-admin` writes the same texts
//! without Leptos; this module re-exports them for the server and the pages, and keeps the
//! mapping from a `Language` to this app's page locale.
//!
//! One mail is still written here, [`confirm_subscription`], until the `mails` crate has its
//! text (its keys there: `confirm_subscription_subject`, `confirm_subscription_body`).

use crate::i18n::{Locale, td_string};
use domain::registration::Written;
use domain::types::Language;
use secrecy::{ExposeSecret, SecretString};

pub use ::mails::*;

/// The page locale of a language (for texts outside the locale-aware components).
pub fn locale(language: Language) -> Locale {
    match language {
        Language::English => Locale::en,
        Language::German => Locale::de,
    }
}

/// "Please confirm that you want to receive <list>": the command link of a double opt-in list
/// ticked in the settings. It goes to the person's primary address, which they confirmed, so it
/// may greet them by their name.
pub fn confirm_subscription(
    writer: &Writer,
    language: Language,
    name: &str,
    list: &str,
    token: &SecretString,
) -> Written {
    let locale = locale(language);
    let url = format!("{}/c/{}", writer.origin, token.expose_secret());
    let organisation = writer.organisation.as_str();
    (
        td_string!(locale, mail_confirm_subscription_subject, list = list, organisation = organisation)
            .to_string(),
        td_string!(
            locale,
            mail_confirm_subscription_body,
            name = name,
            list = list,
            organisation = organisation,
            url = url.as_str()
        )
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subscription_mail_carries_the_link_and_the_list_in_every_language() {
        let writer = Writer { organisation: "Friends e.V.".into(), origin: "https://my.example.org".into() };
        let token = SecretString::from("TOKEN");
        for language in Language::ALL {
            let (subject, body) = confirm_subscription(&writer, language, "Ada", "Newsletter", &token);
            assert!(subject.contains("Newsletter") && !subject.contains('\n'), "{subject}");
            assert!(body.contains("https://my.example.org/c/TOKEN") && body.contains("Ada"), "{body}");
            assert!(!body.contains("{{") && body.ends_with("Friends e.V.\n"), "{body}");
        }
    }
}
