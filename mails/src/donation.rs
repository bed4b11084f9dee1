// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails of donations: confirming a donation made with an address (a new one, or a known
//! supporter's), a fresh link for either, and the thank-you for a payment that arrived (from the
//! server's webhooks and from `cdb-admin` booking a bank statement alike).

use crate::{Writer, format};
use domain::command_link::Command;
use domain::payment::{DonationNotice, Method, Money, Period, PledgeSummary, Thanks};
use domain::registration::{Notice, Written};
use domain::types::Language;
use minijinja::context;

impl Writer {
    /// After a donate form filled in without logging in. [`DonationNotice::ConfirmNew`] goes to
    /// an address nobody has confirmed: no name, nothing the sender typed but the amount and
    /// period (checked values), and our own reference.
    pub fn donation(&self, language: Language, notice: DonationNotice<'_>) -> Written {
        self.or_fallback(language, |language| match &notice {
            DonationNotice::ConfirmNew { token, pledge } => self.mail(
                language,
                "donation_new",
                context! {
                    url => self.link(token),
                    donation => donation(language, pledge.amount, pledge.period)?,
                    transfer => transfer(language, pledge)?,
                },
            ),
            DonationNotice::ConfirmKnown { name, token, pledge } => {
                let not_you = match pledge.method {
                    Method::BankTransfer => "not_you_transfer",
                    Method::Stripe | Method::Paypal => "not_you_card",
                };
                self.mail(
                    language,
                    "donation_known",
                    context! {
                        name => *name,
                        url => self.link(token),
                        donation => donation(language, pledge.amount, pledge.period)?,
                        transfer => transfer(language, pledge)?,
                        not_you => crate::texts::render(language, not_you, context! {})?,
                    },
                )
            }
        })
    }

    /// A fresh link for an expired donation link, when `command` is one; `None` for other
    /// commands. The pledge is not at hand here, so the mail says what the link does without it.
    pub fn donation_renewed(
        &self,
        language: Language,
        notice: &Notice<'_>,
        command: &Command,
    ) -> Option<Written> {
        let Notice::Confirm { name, token } = notice else { return None };
        let written = match command {
            // Registers an address nobody has confirmed: no name.
            Command::ConfirmRegistration { pledge: Some(_), .. } => self.or_fallback(language, |language| {
                self.mail(language, "donation_new_renewed", context! { url => self.link(token) })
            }),
            // To the confirmed owner of the address, by their own name.
            Command::ConfirmDonation { .. } => self.or_fallback(language, |language| {
                self.mail(
                    language,
                    "donation_known_renewed",
                    context! { name => *name, url => self.link(token) },
                )
            }),
            // To the pledge's confirmed owner.
            Command::RenewPledge { .. } => self.or_fallback(language, |language| {
                self.mail(language, "renew_renewed", context! { name => *name, url => self.link(token) })
            }),
            _ => return None,
        };
        Some(written)
    }

    /// Thanks a confirmed supporter, by name, for a payment that arrived.
    pub fn thank_you(&self, language: Language, thanks: &Thanks<'_>) -> Written {
        self.or_fallback(language, |language| {
            let recurring = match thanks.period {
                Period::Once => String::new(),
                Period::Monthly => crate::texts::render(language, "thanks_monthly", context! {})?,
                Period::Yearly => crate::texts::render(language, "thanks_yearly", context! {})?,
            };
            let transfer = match thanks.reference {
                Some(reference) => crate::texts::render(
                    language,
                    "thanks_transfer",
                    context! { reference => reference.grouped() },
                )?,
                None => String::new(),
            };
            self.mail(
                language,
                "thanks",
                context! {
                    name => thanks.name,
                    amount => format::amount(language, thanks.amount),
                    date => format::date(language, thanks.booked_on),
                    recurring,
                    transfer,
                    url => format!("{}/donations", self.origin),
                },
            )
        })
    }
}

/// "monthly donation of €25.00".
pub(crate) fn donation(
    language: Language,
    amount: Money,
    period: Period,
) -> Result<String, minijinja::Error> {
    let key = match period {
        Period::Once => "donation_once",
        Period::Monthly => "donation_monthly",
        Period::Yearly => "donation_yearly",
    };
    crate::texts::render(language, key, context! { amount => format::amount(language, amount) })
}

/// The paragraph with the transfer reference, for a bank transfer; empty otherwise.
fn transfer(language: Language, pledge: &PledgeSummary) -> Result<String, minijinja::Error> {
    let key = match (pledge.method, pledge.period) {
        (Method::Stripe | Method::Paypal, _) => return Ok(String::new()),
        (Method::BankTransfer, Period::Once) => "transfer_once",
        (Method::BankTransfer, Period::Monthly | Period::Yearly) => "transfer_recurring",
    };
    crate::texts::render(language, key, context! { reference => pledge.reference.grouped() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::payment::notice::PaymentWriter;
    use domain::payment::{CreditorReference, Currency};
    use secrecy::SecretString;

    fn writer() -> Writer {
        Writer { organisation: "Friends e.V.".into(), origin: "https://my.example.org".into() }
    }

    fn pledge(minor: i64, currency: &str, period: Period, method: Method) -> PledgeSummary {
        PledgeSummary {
            amount: Money::new(minor, Currency::parse(currency).unwrap()),
            period,
            method,
            reference: CreditorReference::parse("RF18539007547034").unwrap(),
        }
    }

    fn check(subject: &str, body: &str) {
        for text in [subject, body] {
            assert!(!text.contains("{{") && !text.contains("}}") && !text.contains("{%"), "{text}");
        }
        assert!(!subject.is_empty() && !subject.contains('\n'), "{subject:?}");
        assert!(subject.contains("Friends e.V."), "{subject}");
        assert!(body.ends_with("\n\nFriends e.V.\n"), "{body:?}");
        assert!(!body.contains("\n\n\n"), "no empty paragraph: {body:?}");
    }

    #[test]
    fn confirm_new_asks_to_confirm_and_repeats_the_reference_for_a_transfer() {
        let writer = writer();
        let token = SecretString::from("TOKEN");
        let cases = [
            (
                Language::English,
                pledge(2500, "EUR", Period::Once, Method::BankTransfer),
                "one-off donation of €25.00",
            ),
            (
                Language::German,
                pledge(2500, "EUR", Period::Once, Method::BankTransfer),
                "einmalige Spende von 25,00 €",
            ),
            (
                Language::English,
                pledge(1000, "CHF", Period::Monthly, Method::BankTransfer),
                "monthly donation of CHF 10.00",
            ),
            (
                Language::German,
                pledge(1000, "CHF", Period::Monthly, Method::BankTransfer),
                "monatliche Spende von 10,00 CHF",
            ),
            (
                Language::English,
                pledge(12_000, "EUR", Period::Yearly, Method::Stripe),
                "yearly donation of €120.00",
            ),
            (
                Language::German,
                pledge(12_000, "EUR", Period::Yearly, Method::Stripe),
                "jährliche Spende von 120,00 €",
            ),
        ];
        for (language, pledge, donation) in cases {
            let (subject, body) =
                writer.donation(language, DonationNotice::ConfirmNew { token: &token, pledge: &pledge });
            check(&subject, &body);
            assert!(body.contains(donation), "{body}");
            assert!(body.contains("\n\nhttps://my.example.org/c/TOKEN\n\n"), "{body}");
            assert!(body.contains('7'), "the link's lifetime: {body}");
            let reference = body.contains("RF18 5390 0754 7034");
            assert_eq!(reference, pledge.method == Method::BankTransfer, "{body}");
            assert!(!body.contains("RF18539007547034"), "grouped for people: {body}");
        }
        let (_, body) = writer.donation(
            Language::English,
            DonationNotice::ConfirmNew {
                token: &token,
                pledge: &pledge(2500, "EUR", Period::Once, Method::BankTransfer),
            },
        );
        assert!(body.starts_with("Hello,\n"), "{body}");
        assert!(body.contains("supporter account"), "{body}");
    }

    #[test]
    fn confirm_new_carries_no_name_of_the_senders_choosing() {
        // ConfirmNew has no name to carry: the type is the guarantee. What it carries must still
        // not depend on who asked: the same mail whatever the (absent) sender typed.
        let writer = writer();
        let token = SecretString::from("TOKEN");
        let pledge = pledge(2500, "EUR", Period::Monthly, Method::BankTransfer);
        for language in Language::ALL {
            let (subject, body) =
                writer.donation(language, DonationNotice::ConfirmNew { token: &token, pledge: &pledge });
            let known = writer.donation(
                language,
                DonationNotice::ConfirmKnown {
                    name: "www.evil.example/login",
                    token: &token,
                    pledge: &pledge,
                },
            );
            assert!(
                known.1.contains("www.evil.example/login"),
                "the confirmed owner's own name: {}",
                known.1
            );
            for text in [&subject, &body] {
                assert!(!text.contains("evil"), "{text}");
                // Only our link, the reference and the amount: nothing else that looks like a link.
                let links = text.matches("://").count() + text.matches("www.").count();
                assert_eq!(links, usize::from(text == &body), "{text}");
            }
        }
        // The renewal of a registration with a pledge: the name in the notice is the typed one.
        for name in ["www.evil.example/login", "https://evil.example", "<a href=//evil.example>x</a>"] {
            for language in Language::ALL {
                let command = Command::ConfirmRegistration { lists: Vec::new(), pledge: Some(pledge_id()) };
                let renewed = writer.renewed(language, Notice::Confirm { name, token: &token }, &command);
                for text in [&renewed.0, &renewed.1] {
                    assert!(!text.contains("evil"), "{text}");
                }
                check(&renewed.0, &renewed.1);
                assert!(renewed.1.contains("https://my.example.org/c/TOKEN"), "{}", renewed.1);
            }
        }
    }

    #[test]
    fn confirm_known_names_the_owner_and_says_nothing_is_charged() {
        let writer = writer();
        let token = SecretString::from("TOKEN");
        for (language, method, words) in [
            (
                Language::English,
                Method::BankTransfer,
                [
                    "Hello Ada Lovelace,",
                    "probably you",
                    "nothing is charged to you",
                    "bank transfer only happens",
                ],
            ),
            (
                Language::English,
                Method::Stripe,
                ["Hello Ada Lovelace,", "probably you", "nothing is charged to you", "follow this link"],
            ),
            (
                Language::German,
                Method::BankTransfer,
                ["Hallo Ada Lovelace,", "wahrscheinlich Sie", "nichts berechnet", "Überweisung"],
            ),
            (
                Language::German,
                Method::Stripe,
                ["Hallo Ada Lovelace,", "wahrscheinlich Sie", "nichts berechnet", "folgen Sie diesem Link"],
            ),
        ] {
            let pledge = pledge(2500, "EUR", Period::Monthly, method);
            let (subject, body) = writer.donation(
                language,
                DonationNotice::ConfirmKnown { name: "Ada Lovelace", token: &token, pledge: &pledge },
            );
            check(&subject, &body);
            for word in words {
                assert!(body.contains(word), "{word}: {body}");
            }
            assert!(body.contains("https://my.example.org/c/TOKEN"), "{body}");
            let amount = if language == Language::English {
                "monthly donation of €25.00"
            } else {
                "monatliche Spende von 25,00 €"
            };
            assert!(body.contains(amount), "{body}");
            assert_eq!(body.contains("RF18 5390 0754 7034"), method == Method::BankTransfer, "{body}");
        }
    }

    #[test]
    fn a_renewed_donation_link_gets_a_donation_mail() {
        let writer = writer();
        let token = SecretString::from("FRESH");
        for language in Language::ALL {
            let known = writer.renewed(
                language,
                Notice::Confirm { name: "Ada", token: &token },
                &Command::ConfirmDonation { pledge: pledge_id() },
            );
            check(&known.0, &known.1);
            assert!(
                known.1.contains("Ada,") && known.1.contains("https://my.example.org/c/FRESH"),
                "{}",
                known.1
            );
            let registration = writer.renewed(
                language,
                Notice::Confirm { name: "Ada", token: &token },
                &Command::ConfirmRegistration { lists: Vec::new(), pledge: None },
            );
            assert_eq!(
                registration,
                writer.registration(language, Notice::Confirm { name: "Ada", token: &token })
            );
            assert_ne!(registration, known);
        }
    }

    #[test]
    fn thank_you_names_amount_date_period_and_links_to_the_donations() {
        let writer = writer();
        let reference = CreditorReference::parse("RF18539007547034").unwrap();
        let booked_on = time::Date::from_calendar_date(2026, time::Month::December, 2).unwrap();
        let eur = |minor| Money::new(minor, Currency::EUR);
        let cases = [
            (Language::English, Period::Once, None, eur(2500), ["Hello Ada,", "€25.00", "2026-12-02", ""]),
            (Language::German, Period::Once, None, eur(2500), ["Hallo Ada,", "25,00 €", "02.12.2026", ""]),
            (
                Language::English,
                Period::Monthly,
                Some(&reference),
                eur(1000),
                ["Hello Ada,", "€10.00", "2026-12-02", "monthly donation"],
            ),
            (
                Language::German,
                Period::Monthly,
                Some(&reference),
                eur(1000),
                ["Hallo Ada,", "10,00 €", "02.12.2026", "monatlichen Spende"],
            ),
            (
                Language::English,
                Period::Yearly,
                None,
                Money::new(5000, Currency::parse("CHF").unwrap()),
                ["Hello Ada,", "CHF 50.00", "2026-12-02", "yearly donation"],
            ),
            (
                Language::German,
                Period::Yearly,
                None,
                Money::new(5000, Currency::parse("CHF").unwrap()),
                ["Hallo Ada,", "50,00 CHF", "02.12.2026", "jährlichen Spende"],
            ),
        ];
        for (language, period, reference, amount, words) in cases {
            let thanks = Thanks { name: "Ada", amount, booked_on, period, reference };
            let (subject, body) = writer.thank_you(language, &thanks);
            check(&subject, &body);
            for word in words {
                assert!(body.contains(word), "{word}: {body}");
            }
            assert!(body.contains("\n\nhttps://my.example.org/donations\n\n"), "{body}");
            assert_eq!(body.contains("RF18 5390 0754 7034"), reference.is_some(), "{body}");
            if period == Period::Once {
                assert!(!body.contains("monthly") && !body.contains("monatlich"), "{body}");
            }
            // Through the trait domain calls, the same mail.
            assert_eq!(PaymentWriter::thank_you(&writer, language, &thanks), (subject, body));
        }
    }

    #[test]
    fn thank_you_names_the_reference_as_the_donations_for_every_method() {
        // The mail does not know how a payment came (card, PayPal, transfer): the reference is
        // the pledge's, so it must not be called a transfer's.
        let writer = writer();
        let reference = CreditorReference::parse("RF18539007547034").unwrap();
        let booked_on = time::Date::from_calendar_date(2026, time::Month::December, 2).unwrap();
        let thanks = Thanks {
            name: "Ada",
            amount: Money::new(1000, Currency::EUR),
            booked_on,
            period: Period::Monthly,
            reference: Some(&reference),
        };
        let (_, en) = writer.thank_you(Language::English, &thanks);
        assert!(en.contains("Reference of your donation: RF18 5390 0754 7034"), "{en}");
        let (_, de) = writer.thank_you(Language::German, &thanks);
        assert!(de.contains("Referenz Ihrer Spende: RF18 5390 0754 7034"), "{de}");
    }

    fn pledge_id() -> domain::types::PledgeId {
        "00000000-0000-0000-0000-000000000000".parse().unwrap()
    }
}
