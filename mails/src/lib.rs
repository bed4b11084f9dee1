// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails Community Database sends, written in the recipient's language. One crate so that
//! every binary that queues mail (the supporter app's server, `cdb-admin` when it books a bank
//! statement) writes the same texts, without `cdb-admin` depending on Leptos. The idp's login
//! mails are its own and stay in the idp.
//!
//! The texts are templates in `locales/<language>.json` (see [`texts`](crate::texts)); this crate
//! fills them in. These mails are plain text: a name like `<b>Ada</b>` arrives as typed and can
//! never become markup. Information emails (campaigns) are staff's own Markdown with an HTML
//! part, written and checked by [`campaign`].
//!
//! **No sender-chosen text in a mail to an address nobody has confirmed.** Anyone can type any
//! address into the registration form, the donation form or the settings page's "add an
//! address", and choose the display name that goes with it; a name such as
//! `www.evil.example/login` would become a clickable link in most mail clients, in a mail that
//! comes from us. So the confirmation mails (registration, new address, a donation from an
//! unknown address, and their renewals) greet without a name and carry only our own texts, the
//! organisation's name, our link and values we checked (an amount, a period, the reference we
//! generated). Mails that name the person go to an owner who confirmed the address, and the name
//! is theirs.

pub mod campaign;
mod donation;
pub mod format;
mod pledges;
mod registration;
mod texts;

use domain::types::Language;
use minijinja::Value;

/// Writes every mail: registration, command links, donations and thanks. Cheap to clone; build
/// one from the settings (`site.organisation`, `http.public_url`) at startup.
#[derive(Debug, Clone)]
pub struct Writer {
    pub organisation: String,
    /// `https://my.example.org`, without a trailing slash: links in mails start with it.
    pub origin: String,
}

impl Writer {
    fn link(&self, token: &secrecy::SecretString) -> String {
        use secrecy::ExposeSecret;
        format!("{}/c/{}", self.origin, token.expose_secret())
    }

    /// Subject and body from `<mail>_subject` and `<mail>_body`, both given `context` plus
    /// `organisation`.
    fn mail(
        &self,
        language: Language,
        mail: &str,
        context: Value,
    ) -> Result<domain::registration::Written, minijinja::Error> {
        let context = minijinja::context! { organisation => self.organisation.as_str(), ..context };
        Ok((
            texts::render(language, &format!("{mail}_subject"), context.clone())?,
            texts::render(language, &format!("{mail}_body"), context)?,
        ))
    }

    /// The mail, or, should a template fail (the tests render every one, so only a broken
    /// build gets here), the English one, or else a plain notice: a mail must still go out.
    fn or_fallback(
        &self,
        language: Language,
        write: impl Fn(Language) -> Result<domain::registration::Written, minijinja::Error>,
    ) -> domain::registration::Written {
        write(language)
            .or_else(|e| {
                tracing::error!(error = %e, language = language.code(), "mail template failed");
                write(Language::English)
            })
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "English mail template failed too");
                (self.organisation.clone(), format!("{}\n\n{}\n", self.origin, self.organisation))
            })
    }
}
