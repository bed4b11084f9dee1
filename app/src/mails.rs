// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails my.* sends, written in the recipient's language from the locale files. Mails are
//! plain text: a name like `<b>Ada</b>` arrives as typed and can never become markup.

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
            Notice::Confirm { name, token } => (
                td_string!(locale, mail_confirm_subject, organisation = organisation.clone()).to_string(),
                td_string!(
                    locale,
                    mail_confirm_body,
                    name = name.to_owned(),
                    url = self.link(token),
                    organisation
                )
                .to_string(),
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

    pub fn new_address(&self, language: Language, name: &str, token: &secrecy::SecretString) -> Written {
        let locale = locale(language);
        let organisation = self.organisation.clone();
        (
            td_string!(locale, mail_email_subject, organisation = organisation.clone()).to_string(),
            td_string!(locale, mail_email_body, name = name.to_owned(), url = self.link(token), organisation)
                .to_string(),
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
