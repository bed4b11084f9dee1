// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails that keep a pledge alive: "your pledge needs a new way to pay" (its collector
//! stopped), "a payment failed" (one per episode), the one reminder of an overdue transfer, and
//! "your annual statement is ready". All go to the confirmed owner of the pledge, by name.

use crate::{Writer, format};
use domain::payment::notice::PaymentWriter;
use domain::payment::{
    Method, PaymentFailedNotice, PledgeSummary, ReminderNotice, RenewalNotice, RenewalReason,
    StatementNotice, Thanks,
};
use domain::registration::Written;
use domain::types::Language;
use minijinja::context;

impl Writer {
    /// A pledge's collection stopped without the supporter asking; the link lets them choose a
    /// way to pay again (bank transfer included).
    pub fn renewal(&self, language: Language, notice: &RenewalNotice<'_>) -> Written {
        self.or_fallback(language, |language| {
            let why = match notice.reason {
                RenewalReason::ProviderEnded => "renew_why_ended",
                RenewalReason::PaymentFailed => "renew_why_failed",
                RenewalReason::ProviderDropped => "renew_why_dropped",
            };
            self.mail(
                language,
                "renew",
                context! {
                    name => notice.name,
                    donation => crate::donation::donation(language, notice.pledge.amount, notice.pledge.period)?,
                    why => crate::texts::render(language, why, context! { method => method(language, notice.pledge)? })?,
                    reference => notice.pledge.reference.grouped(),
                    url => self.link(notice.token),
                },
            )
        })
    }

    /// The first failed payment of an episode: the processor retries; the link offers a new
    /// card or another way to pay.
    pub fn payment_failed(&self, language: Language, notice: &PaymentFailedNotice<'_>) -> Written {
        self.or_fallback(language, |language| {
            self.mail(
                language,
                "payment_failed",
                context! {
                    name => notice.name,
                    donation => crate::donation::donation(language, notice.pledge.amount, notice.pledge.period)?,
                    method => method(language, notice.pledge)?,
                    url => self.link(notice.token),
                },
            )
        })
    }

    /// The one friendly reminder of a bank transfer overdue by the grace period.
    pub fn transfer_reminder(&self, language: Language, notice: &ReminderNotice<'_>) -> Written {
        self.or_fallback(language, |language| {
            self.mail(
                language,
                "reminder",
                context! {
                    name => notice.name,
                    donation => crate::donation::donation(language, notice.pledge.amount, notice.pledge.period)?,
                    amount => format::amount(language, notice.pledge.amount),
                    due => format::date(language, notice.due_on),
                    reference => notice.pledge.reference.grouped(),
                    url => format!("{}/donations", self.origin),
                },
            )
        })
    }

    /// The annual statement is ready to download (or a corrected one replaces it).
    pub fn statement_ready(&self, language: Language, notice: &StatementNotice<'_>) -> Written {
        self.or_fallback(language, |language| {
            let mail = if notice.corrected { "statement_corrected" } else { "statement" };
            self.mail(
                language,
                mail,
                context! {
                    name => notice.name,
                    year => notice.year,
                    url => format!("{}{}", self.origin, notice.path),
                },
            )
        })
    }
}

/// "card", "PayPal", "bank transfer", as the mails name a way to pay.
fn method(language: Language, pledge: &PledgeSummary) -> Result<String, minijinja::Error> {
    let key = match pledge.method {
        Method::BankTransfer => "method_bank_transfer",
        Method::Stripe => "method_card",
        Method::Paypal => "method_paypal",
    };
    crate::texts::render(language, key, context! {})
}

impl PaymentWriter for Writer {
    fn thank_you(&self, language: Language, thanks: &Thanks<'_>) -> Written {
        Writer::thank_you(self, language, thanks)
    }
    fn renewal(&self, language: Language, notice: &RenewalNotice<'_>) -> Written {
        Writer::renewal(self, language, notice)
    }
    fn payment_failed(&self, language: Language, notice: &PaymentFailedNotice<'_>) -> Written {
        Writer::payment_failed(self, language, notice)
    }
    fn transfer_reminder(&self, language: Language, notice: &ReminderNotice<'_>) -> Written {
        Writer::transfer_reminder(self, language, notice)
    }
    fn statement_ready(&self, language: Language, notice: &StatementNotice<'_>) -> Written {
        Writer::statement_ready(self, language, notice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::payment::{CreditorReference, Currency, Money, Period};
    use secrecy::SecretString;

    fn writer() -> Writer {
        Writer { organisation: "Friends e.V.".into(), origin: "https://my.example.org".into() }
    }

    fn pledge(method: Method) -> PledgeSummary {
        PledgeSummary {
            amount: Money::new(1000, Currency::EUR),
            period: Period::Monthly,
            method,
            reference: CreditorReference::generate(),
        }
    }

    #[test]
    fn the_renewal_mail_says_why_and_carries_the_link() {
        let token = SecretString::from("TOKEN");
        for language in [Language::English, Language::German] {
            for reason in RenewalReason::ALL {
                let pledge = pledge(Method::Stripe);
                let (subject, body) = writer().renewal(
                    language,
                    &RenewalNotice { name: "Ada", pledge: &pledge, reason: *reason, token: &token },
                );
                assert!(subject.contains("Friends e.V."), "{subject}");
                assert!(body.contains("Ada"), "{body}");
                assert!(body.contains("https://my.example.org/c/TOKEN"), "{body}");
                assert!(body.contains("10,00") || body.contains("10.00"), "{body}");
                assert!(body.contains(&pledge.reference.grouped()), "{body}");
            }
        }
        let pledge = pledge(Method::Paypal);
        let (_, ended) = writer().renewal(
            Language::English,
            &RenewalNotice {
                name: "Ada",
                pledge: &pledge,
                reason: RenewalReason::ProviderEnded,
                token: &token,
            },
        );
        let (_, dropped) = writer().renewal(
            Language::English,
            &RenewalNotice {
                name: "Ada",
                pledge: &pledge,
                reason: RenewalReason::ProviderDropped,
                token: &token,
            },
        );
        assert_ne!(ended, dropped, "the reason changes the mail");
        assert!(ended.contains("PayPal"), "{ended}");
    }

    #[test]
    fn the_failed_payment_reminder_and_statement_mails_render_in_every_language() {
        let token = SecretString::from("TOKEN");
        for language in [Language::English, Language::German] {
            let pledge = pledge(Method::Stripe);
            let (_, failed) = writer().payment_failed(
                language,
                &PaymentFailedNotice { name: "Ada", pledge: &pledge, token: &token },
            );
            assert!(failed.contains("https://my.example.org/c/TOKEN"), "{failed}");
            let transfer = self::pledge(Method::BankTransfer);
            let (_, reminder) = writer().transfer_reminder(
                language,
                &ReminderNotice {
                    name: "Ada",
                    pledge: &transfer,
                    due_on: time::macros::date!(2026 - 11 - 01),
                },
            );
            assert!(reminder.contains(&transfer.reference.grouped()), "{reminder}");
            assert!(reminder.contains("2026"), "{reminder}");
            let path = "/donations/statements/0a4e";
            let (subject, statement) = writer().statement_ready(
                language,
                &StatementNotice { name: "Ada", year: 2026, corrected: false, path },
            );
            assert!(
                subject.contains("2026")
                    && statement.contains("https://my.example.org/donations/statements/0a4e")
            );
            let (corrected_subject, corrected) = writer().statement_ready(
                language,
                &StatementNotice { name: "Ada", year: 2026, corrected: true, path },
            );
            assert_ne!((subject, statement), (corrected_subject, corrected));
        }
    }
}
