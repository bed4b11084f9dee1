// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails my.* sends, written in the recipient's language from the locale files. Mails are
//! plain text: a name like `<b>Ada</b>` arrives as typed and can never become markup.
//!
//! **No sender-chosen text in a mail to an address nobody has confirmed.** Anyone can type any
//! address into the registration form or the settings page's "add an address", and choose the
//! display name that goes with it; a name such as `www.evil.example/login` would become a
//! clickable link in most mail clients, in a mail that comes from us. So the confirmation
//! mails (registration, new address, and their renewals) greet without a name and carry only
//! our own texts, the organisation's name and our link. Only the "you are registered already"
//! mail names the person: it goes to an owner who confirmed the address, and the name is theirs.

use crate::i18n::{Locale, td_string};
use domain::command_link::Command;
use domain::registration::{Notice, Written};
use domain::types::Language;
use secrecy::ExposeSecret;

pub fn locale(language: Language) -> Locale {
    match language {
        Language::English => Locale::en,
        Language::German => Locale::de,
    }
}

/// Writes the mails of the registration and of command links.
#[derive(Debug, Clone)]
pub struct Writer {
    pub organisation: String,
    /// `https://my.example.org`: links in mails start with it.
    pub origin: String,
}

impl Writer {
    fn link(&self, token: &secrecy::SecretString) -> String {
        format!("{}/c/{}", self.origin, token.expose_secret())
    }

    pub fn registration(&self, language: Language, notice: Notice<'_>) -> Written {
        let locale = locale(language);
        let organisation = self.organisation.clone();
        match notice {
            // The name was typed with the address, by whoever typed it: not in this mail.
            Notice::Confirm { token, .. } => (
                td_string!(locale, mail_confirm_subject, organisation = organisation.clone()).to_string(),
                td_string!(locale, mail_confirm_body, url = self.link(token), organisation).to_string(),
            ),
            Notice::AlreadyRegistered { name } => (
                td_string!(locale, mail_known_subject, organisation = organisation.clone()).to_string(),
                td_string!(
                    locale,
                    mail_known_body,
                    name = name.to_owned(),
                    url = format!("{}/login", self.origin),
                    organisation
                )
                .to_string(),
            ),
        }
    }

    /// To an address a logged-in person wants to add: unconfirmed, so without their name (which
    /// they choose) or anything else they typed.
    pub fn new_address(&self, language: Language, _name: &str, token: &secrecy::SecretString) -> Written {
        let locale = locale(language);
        let organisation = self.organisation.clone();
        (
            td_string!(locale, mail_email_subject, organisation = organisation.clone()).to_string(),
            td_string!(locale, mail_email_body, url = self.link(token), organisation).to_string(),
        )
    }

    /// A fresh link for an expired one: the same mail as the first time.
    pub fn renewed(&self, language: Language, notice: Notice<'_>, command: &Command) -> Written {
        match (command, notice) {
            (Command::ConfirmEmail { .. }, Notice::Confirm { name, token }) => {
                self.new_address(language, name, token)
            }
            (_, notice) => self.registration(language, notice),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::registration::Notice;

    #[test]
    fn mails_to_unconfirmed_addresses_carry_no_text_the_sender_chose() {
        let writer = Writer { organisation: "Friends e.V.".into(), origin: "https://my.example.org".into() };
        let token = secrecy::SecretString::from("TOKEN");
        for name in [
            "www.evil.example/login",
            "https://evil.example",
            "<a href=//evil.example>x</a>",
            "evil@evil.example",
        ] {
            for language in [Language::English, Language::German] {
                let (subject, body) = writer.new_address(language, name, &token);
                let (subject2, body2) =
                    writer.registration(language, Notice::Confirm { name, token: &token });
                for text in [subject, body, subject2, body2] {
                    assert!(!text.contains("evil"), "{text}");
                }
            }
        }
        let (_, body) = writer.registration(Language::English, Notice::Confirm { name: "x", token: &token });
        assert!(body.contains("https://my.example.org/c/TOKEN"), "{body}");
    }
}
