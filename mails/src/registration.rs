// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails of registration and of command links: confirm a registration, "you are
//! registered already", confirm an added address, and a fresh link for an expired one.

use crate::Writer;
use domain::command_link::Command;
use domain::registration::{Notice, Written};
use domain::types::Language;
use minijinja::context;

impl Writer {
    pub fn registration(&self, language: Language, notice: Notice<'_>) -> Written {
        self.or_fallback(language, |language| match &notice {
            // The name was typed with the address, by whoever typed it: not in this mail.
            Notice::Confirm { token, .. } => {
                self.mail(language, "confirm", context! { url => self.link(token) })
            }
            Notice::AlreadyRegistered { name } => self.mail(
                language,
                "known",
                context! { name => *name, url => format!("{}/login", self.origin) },
            ),
        })
    }

    /// To an address a logged-in person wants to add: unconfirmed, so without their name (which
    /// they choose) or anything else they typed.
    pub fn new_address(&self, language: Language, _name: &str, token: &secrecy::SecretString) -> Written {
        self.or_fallback(language, |language| {
            self.mail(language, "email", context! { url => self.link(token) })
        })
    }

    /// A fresh link for an expired one: the same mail as the first time (for a donation's link,
    /// one that says it is about the donation).
    pub fn renewed(&self, language: Language, notice: Notice<'_>, command: &Command) -> Written {
        if let Some(written) = self.donation_renewed(language, &notice, command) {
            return written;
        }
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

    fn writer() -> Writer {
        Writer { organisation: "Friends e.V.".into(), origin: "https://my.example.org".into() }
    }

    #[test]
    fn mails_to_unconfirmed_addresses_carry_no_text_the_sender_chose() {
        let writer = writer();
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

    #[test]
    fn every_registration_mail_is_filled_in_in_every_language() {
        let writer = writer();
        let token = secrecy::SecretString::from("TOKEN");
        for language in Language::ALL {
            let mails = [
                (writer.registration(language, Notice::Confirm { name: "Ada", token: &token }), "/c/TOKEN"),
                (writer.registration(language, Notice::AlreadyRegistered { name: "Ada" }), "/login"),
                (writer.new_address(language, "Ada", &token), "/c/TOKEN"),
                (
                    writer.renewed(
                        language,
                        Notice::Confirm { name: "Ada", token: &token },
                        &Command::ConfirmRegistration { lists: Vec::new(), pledge: None },
                    ),
                    "/c/TOKEN",
                ),
                (
                    writer.renewed(
                        language,
                        Notice::Confirm { name: "Ada", token: &token },
                        &Command::ConfirmEmail { address: "ada@example.org".into() },
                    ),
                    "/c/TOKEN",
                ),
            ];
            for ((subject, body), link) in mails {
                assert!(subject.contains("Friends e.V.") && !subject.contains('\n'), "{subject}");
                assert!(body.contains(&format!("https://my.example.org{link}")), "{body}");
                assert!(!body.contains("{{") && body.ends_with("Friends e.V.\n"), "{body}");
            }
            let (_, known) = writer.registration(language, Notice::AlreadyRegistered { name: "Ada" });
            assert!(known.contains("Ada"), "{known}");
        }
    }
}
