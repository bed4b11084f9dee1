// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What forms send and what comes back to them. A plain form posts to the server, which checks
//! it with `domain`'s types and, on a mistake, keeps what was typed and why it was refused in the
//! session for the page it redirects back to (post, redirect, get: works without JavaScript,
//! and reloading never resubmits). Problems travel as keys, so each page says them in the
//! reader's language.

use serde::{Deserialize, Serialize};

/// The registration form as typed (every field a string, so nothing typed is lost).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterForm {
    /// Name, country and postal address, as on the settings page.
    #[serde(flatten)]
    pub profile: ProfileForm,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub language: String,
    /// The keys of the lists ticked (the lists themselves are rows: [`ListView`]).
    #[serde(default)]
    pub lists: Vec<String>,
    #[serde(default)]
    pub referrer: String,
}

/// Why a field was refused; each has a text in every locale (`error_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    Empty,
    TooShort,
    TooLong,
    ForbiddenCharacter,
    Malformed,
    Unknown,
    Incomplete,
}

/// A refused field: its form name and the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

/// What the registration page shows after a POST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegisterOutcome {
    /// Refused: the form again, with what was typed and why.
    Refused { form: RegisterForm, errors: Vec<FieldError> },
    /// Something failed on our side; the form again with what was typed.
    Failed { form: RegisterForm },
    /// "Check your mail" (also when the address was known: the page must not tell).
    Sent,
}

/// An information-email list as a page offers it. The texts of every language travel with
/// it and the page picks its own ([`ListView::text`]), so the choice always follows the page's
/// language, also inside islands and in notices kept across a redirect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListView {
    pub key: String,
    /// Ticking it mails a link to confirm first.
    pub double_opt_in: bool,
    pub texts: Vec<ListTextView>,
}

/// A list's name and description in one language (`en`, `de`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTextView {
    pub language: String,
    pub name: String,
    pub description: String,
}

impl ListView {
    /// The name and description in `language`, else English, else any; the key if it has none
    /// (as `domain::mailing::List::text` chooses).
    pub fn text(&self, language: &str) -> (String, String) {
        self.texts
            .iter()
            .find(|t| t.language == language)
            .or_else(|| self.texts.iter().find(|t| t.language == "en"))
            .or_else(|| self.texts.first())
            .map(|t| (t.name.clone(), t.description.clone()))
            .unwrap_or_else(|| (self.key.clone(), String::new()))
    }

    /// The name in `language` (see [`ListView::text`]).
    pub fn name(&self, language: &str) -> String {
        self.text(language).0
    }
}

#[cfg(feature = "ssr")]
impl From<&domain::mailing::List> for ListView {
    fn from(list: &domain::mailing::List) -> Self {
        ListView {
            key: list.key.as_str().to_owned(),
            double_opt_in: list.double_opt_in,
            texts: list
                .texts
                .iter()
                .map(|t| ListTextView {
                    language: t.language.code().to_owned(),
                    name: t.name.clone(),
                    description: t.description.clone(),
                })
                .collect(),
        }
    }
}

/// What `GET /c/{token}` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandView {
    ConfirmRegistration {
        lists: Vec<ListView>,
    },
    ConfirmEmail {
        address: String,
    },
    /// Add a pledge made with this address to the account (`amount` already formatted).
    ConfirmDonation {
        amount: String,
        period: String,
    },
    /// A `RenewPledge` link: the pledge and the ways to pay it from now on, or why it cannot be
    /// renewed (the link itself is fine; `Expired`/`Used` say when it is not).
    RenewPledge(RenewalView),
    /// A renewal link that was used: the pledge has its new way to pay.
    RenewUsed,
    /// Join a double opt-in list ticked in the settings.
    ConfirmSubscription {
        list: ListView,
    },
    /// A subscription link whose list is no longer offered.
    ListGone,
    Expired,
    Used,
    Unknown,
}

/// What [`CommandView::RenewPledge`] shows, and `/donations/{id}/renew` for the logged-in owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RenewalView {
    Ready(Box<RenewView>),
    Refused(RenewRefusal),
}

/// Why a pledge cannot be renewed; each has its own page text (`renew_refused_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RenewRefusal {
    /// The link's person does not own the pledge.
    NotYours,
    Cancelled,
    /// A one-off gift.
    OneOff,
}

/// A pledge on the renewal page, with what may be done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewView {
    pub pledge: PledgeView,
    /// Why it needs renewal (`provider_ended`, `payment_failed`, `provider_dropped`); `None`
    /// for a pledge that is still collected (a failing card, a switch of method).
    pub reason: Option<String>,
    /// Its payments so far, newest first.
    pub payments: Vec<PaymentView>,
    /// The ways to pay offered now, in the offer's order (`bank_transfer`, `stripe`, `paypal`).
    pub methods: Vec<String>,
    /// A Stripe pledge still collected from a known customer: offer Stripe's billing portal.
    pub update_card: bool,
}

/// On `/renew/cancelled`: where "choose again" leads (the renewal page the checkout was started
/// from, remembered in the session), if this browser started one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewReturn(pub Option<String>);

/// What the last POST to a command link did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandOutcome {
    Registered {
        supporter_number: i64,
    },
    EmailConfirmed {
        address: String,
    },
    EmailTaken,
    /// The pledge now belongs to the account.
    DonationJoined,
    Renewed,
    /// A fresh renewal link (`RenewPledge`, 30 days) was mailed.
    RenewalLinkRenewed,
    /// Subscribed to the list (or was already).
    Subscribed {
        list: ListView,
    },
    /// The list was archived since the link was mailed: nothing changed.
    ListGone,
    /// The link could not be used (expired, used or unknown meanwhile): show the link's state.
    Refused,
    Failed,
}

/// Why a login did not complete (`/login/problem?reason=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginProblem {
    /// This instance has no client secret for the idp.
    NotConfigured,
    /// The idp (or our session store) could not be reached.
    Unreachable,
    /// The idp said no (the person cancelled, or the client is not allowed).
    Refused,
    /// The login took too long, was used twice, or did not start here.
    Expired,
    /// What came back did not check out.
    Invalid,
}

impl LoginProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginProblem::NotConfigured => "not-configured",
            LoginProblem::Unreachable => "unreachable",
            LoginProblem::Refused => "refused",
            LoginProblem::Expired => "expired",
            LoginProblem::Invalid => "invalid",
        }
    }

    pub fn parse(reason: &str) -> Self {
        [Self::NotConfigured, Self::Unreachable, Self::Refused, Self::Expired]
            .into_iter()
            .find(|p| p.as_str() == reason)
            .unwrap_or(Self::Invalid)
    }
}

/// The logged-in person as the header and dashboard show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub display_name: String,
    pub supporter_number: Option<i64>,
}

/// One email address on the settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailView {
    pub address: String,
    pub primary: bool,
    pub verified: bool,
}

/// Name, country and postal address as a form holds them (and as stored, to fill the form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub extra: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
}

/// What `/settings` shows about the logged-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyData {
    pub profile: ProfileForm,
    pub supporter_number: Option<i64>,
    /// The language code (`en`, `de`).
    pub language: String,
    pub emails: Vec<EmailView>,
    /// The keys of the lists subscribed to now.
    pub lists: Vec<String>,
    /// The lists the settings offer this person (`domain::mailing::list::offered_to`), in
    /// form order.
    pub offered: Vec<ListView>,
}

/// What saving the list choices did: the lists subscribed to now, and the double opt-in lists
/// ticked that wait for the link mailed to confirm them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListsSaved {
    pub lists: Vec<String>,
    pub waiting: Vec<ListView>,
}

/// Why a settings change was not made. Travels from the server function to the page (as JSON,
/// or without JavaScript in the address of the page the browser is sent back to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettingsError {
    /// The session has no logged-in person (expired, logged out elsewhere).
    NotLoggedIn,
    /// Fields were refused; the form as typed comes back with them.
    Refused { form: ProfileForm, errors: Vec<FieldError> },
    /// The email address is not a valid one.
    BadEmail { typed: String, problem: Problem },
    /// The address to remove or make primary is not the person's (any more).
    NotYourAddress,
    /// The primary address cannot be removed.
    PrimaryKept,
    /// An unconfirmed address cannot become primary.
    Unconfirmed,
    /// The request itself was malformed (an argument missing or not text).
    BadRequest,
    /// Too many address mails for this address or from this network; nothing was sent.
    Throttled,
    /// The database cannot be reached right now; nothing changed.
    Unavailable,
    /// Something failed on our side; nothing changed.
    Failed,
}

impl SettingsError {
    /// Its kind in my.*'s answer table (`refusal.rs`), which gives the HTTP status.
    pub fn refusal(&self) -> crate::refusal::Refusal {
        use crate::refusal::Refusal;
        match self {
            SettingsError::NotLoggedIn => Refusal::NotLoggedIn,
            SettingsError::Refused { .. } | SettingsError::BadEmail { .. } | SettingsError::BadRequest => {
                Refusal::BadInput
            }
            // Someone else's address and no address at all get the same answer.
            SettingsError::NotYourAddress => Refusal::NotFound,
            SettingsError::PrimaryKept | SettingsError::Unconfirmed => Refusal::Conflict,
            SettingsError::Throttled => Refusal::Throttled,
            SettingsError::Unavailable => Refusal::Unavailable,
            SettingsError::Failed => Refusal::Failed,
        }
    }
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl leptos::server_fn::error::FromServerFnError for SettingsError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(error: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        let error = match error {
            // On the server: the arguments did not decode (missing, not text, mangled body).
            E::Args(_) | E::MissingArg(_) => SettingsError::BadRequest,
            _ => SettingsError::Failed,
        };
        #[cfg(feature = "ssr")]
        crate::refusal::ssr::set_server_fn_status(error.refusal());
        error
    }
}

/// What the settings page says after a change that has no visible result of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettingsNotice {
    Saved,
    /// A link to confirm the address went there (or nothing happened, if someone has it: the
    /// page must not tell).
    EmailLinkSent {
        address: String,
    },
    Removed {
        address: String,
    },
    MadePrimary {
        address: String,
    },
    /// The list choices were saved; a link to confirm each of `waiting` went to the primary
    /// address.
    ListsSaved {
        waiting: Vec<ListView>,
    },
}

impl FieldError {
    /// The problem of `field`, if it was refused.
    pub fn find(errors: &[FieldError], field: &str) -> Option<Problem> {
        errors.iter().find(|e| e.field == field).map(|e| e.problem)
    }
}

#[cfg(feature = "ssr")]
pub mod check {
    use super::{FieldError, Problem, ProfileForm, RegisterForm};
    use domain::consent::ListKey;
    use domain::person::Profile;
    use domain::registration::Registration;
    use domain::types::{
        CountryCode, DisplayName, Email, Field, InvalidValue, Language, PostalAddress, PostalAddressInput,
        Referrer,
    };

    impl From<domain::types::Problem> for Problem {
        fn from(problem: domain::types::Problem) -> Self {
            use domain::types::Problem as P;
            match problem {
                P::Empty => Problem::Empty,
                P::TooShort { .. } => Problem::TooShort,
                P::TooLong { .. } => Problem::TooLong,
                P::ForbiddenCharacter => Problem::ForbiddenCharacter,
                P::Malformed => Problem::Malformed,
                P::Unknown => Problem::Unknown,
                P::Incomplete => Problem::Incomplete,
                // Amounts and references have their own texts on the donate page.
                P::TooPrecise | P::CheckDigits => Problem::Malformed,
                P::TooSmall => Problem::TooShort,
                P::TooLarge => Problem::TooLong,
            }
        }
    }

    /// The form field that shows a refused value.
    fn field_name(field: Field) -> &'static str {
        match field {
            Field::DisplayName => "name",
            Field::Email => "email",
            Field::Country => "country",
            Field::Language => "language",
            Field::Street => "street",
            Field::AddressExtra => "extra",
            Field::PostalCode => "postal_code",
            Field::City => "city",
            Field::Region => "region",
            _ => "referrer",
        }
    }

    fn refused(error: InvalidValue) -> FieldError {
        FieldError { field: field_name(error.field).to_owned(), problem: error.problem.into() }
    }

    fn take<T>(errors: &mut Vec<FieldError>, result: Result<T, InvalidValue>) -> Option<T> {
        result.map_err(|e| errors.push(refused(e))).ok()
    }

    /// Longest a field may be before it is refused unread (the domain types have tighter limits
    /// of their own; this bounds the work for hostile input).
    const MAX_FIELD: usize = 1000;

    /// Name, country and address, checked; each refused field is added to `errors`.
    fn profile(errors: &mut Vec<FieldError>, form: &ProfileForm) -> Option<Profile> {
        let display_name = take(errors, DisplayName::try_from(form.name.as_str()));
        let country = if form.country.trim().is_empty() {
            Some(None)
        } else {
            take(errors, CountryCode::try_from(form.country.as_str()).map(Some))
        };
        let address = take(
            errors,
            PostalAddress::parse(&PostalAddressInput {
                street: &form.street,
                extra: &form.extra,
                postal_code: &form.postal_code,
                city: &form.city,
                region: &form.region,
            }),
        );
        Some(Profile { display_name: display_name?, country: country?, address: address? })
    }

    /// An email address as typed, checked (over-long input refused unread).
    pub fn email(typed: &str) -> Result<Email, InvalidValue> {
        if typed.len() > MAX_FIELD {
            return Err(InvalidValue {
                field: Field::Email,
                problem: domain::types::Problem::TooLong { max: 254 },
            });
        }
        Email::try_from(typed)
    }

    impl ProfileForm {
        /// Checks every field (all problems at once, not the first only).
        pub fn check(&self) -> Result<Profile, Vec<FieldError>> {
            let mut errors = Vec::new();
            match profile(&mut errors, self) {
                Some(profile) if errors.is_empty() => Ok(profile),
                _ => Err(errors),
            }
        }

        /// Longest a field is kept when a refused form is shown again.
        pub fn cut(self, max: usize) -> Self {
            let cut = |s: String| s.chars().take(max).collect::<String>();
            ProfileForm {
                name: cut(self.name),
                country: cut(self.country),
                street: cut(self.street),
                extra: cut(self.extra),
                postal_code: cut(self.postal_code),
                city: cut(self.city),
                region: cut(self.region),
            }
        }
    }

    impl RegisterForm {
        /// Checks every field (all problems at once, not the first only). A list key that is
        /// not one of `offered` (the lists the form showed) is refused at the `lists` field.
        pub fn check(&self, offered: &[ListKey]) -> Result<Registration, Vec<FieldError>> {
            let mut errors = Vec::new();
            let profile = profile(&mut errors, &self.profile);
            let email = take(&mut errors, email(&self.email));
            let language = take(&mut errors, Language::try_from(self.language.as_str()));
            // A referrer comes from a link, not from the person: a bad one is dropped, not shown.
            let referrer = Referrer::try_from(self.referrer.as_str()).ok();
            let mut lists = Vec::new();
            for name in &self.lists {
                match ListKey::parse(name).filter(|key| offered.contains(key)) {
                    Some(list) if !lists.contains(&list) => lists.push(list),
                    Some(_) => {}
                    None if errors.iter().any(|e| e.field == "lists") => {}
                    None => errors.push(FieldError { field: "lists".into(), problem: Problem::Unknown }),
                }
            }
            match (profile, email, language) {
                (Some(profile), Some(email), Some(language)) if errors.is_empty() => Ok(Registration {
                    display_name: profile.display_name,
                    email,
                    country: profile.country,
                    address: profile.address,
                    language,
                    lists,
                    referrer,
                }),
                _ => Err(errors),
            }
        }
    }
}

// ----- Donations -------------------------------------------------------------------------
// The donate form (`/donate`, `POST /donate`), the transfer details after a bank-transfer
// pledge, and "My donations" (`/donations` and its plain POST forms). Amounts travel as text
// (what was typed) or as preformatted strings: the browser never does money arithmetic.

/// The donate form as typed. `amount` is the preset radio, `custom_amount` the own amount
/// field, which wins when it is not empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DonateForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub custom_amount: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub method: String,
    /// A visitor's name and address (ignored when logged in).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub referrer: String,
}

impl DonateForm {
    /// The amount the giver means: the own amount if typed, else the preset.
    pub fn chosen_amount(&self) -> &str {
        if self.custom_amount.trim().is_empty() { &self.amount } else { &self.custom_amount }
    }
}

/// Why a field of the donate or change form was refused; each has a text (`donate_error_*`,
/// or the general `error_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GiftProblem {
    Empty,
    Malformed,
    /// More decimals than the currency has.
    TooPrecise,
    /// Below the offer's minimum.
    TooSmall,
    /// Above the offer's maximum.
    TooLarge,
    /// Not an offered period, method or currency.
    Unknown,
    /// A name or address problem (the general texts).
    Other(Problem),
}

/// A refused donate field: its form name (`amount`, `period`, `method`, `name`, `email`,
/// `language`) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiftFieldError {
    pub field: String,
    pub problem: GiftProblem,
}

impl GiftFieldError {
    pub fn find(errors: &[GiftFieldError], field: &str) -> Option<GiftProblem> {
        errors.iter().find(|e| e.field == field).map(|e| e.problem)
    }
}

/// What `/donate` shows after a POST that did not lead on (a successful one redirects to the
/// transfer details or to the payment provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DonateOutcome {
    Refused {
        form: DonateForm,
        errors: Vec<GiftFieldError>,
    },
    /// Something failed on our side (or at the provider); the form again with what was typed.
    Failed {
        form: DonateForm,
    },
}

/// What the donate page and the amount pickers may offer (from `[payments]`), as plain data
/// for pages and island props.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    /// ISO 4217 code of the default currency (`EUR`).
    pub currency: String,
    /// Decimals of that currency (2 for EUR).
    pub exponent: u8,
    /// Preset amounts, whole units.
    pub presets: Vec<i64>,
    pub default_amount: i64,
    pub minimum_minor: i64,
    pub maximum_minor: i64,
    /// Offered methods in order (`bank_transfer`, `stripe`); the first is the default.
    pub methods: Vec<String>,
}

impl Default for OfferView {
    fn default() -> Self {
        Self {
            currency: "EUR".into(),
            exponent: 2,
            presets: vec![5, 10, 25, 50],
            default_amount: 10,
            minimum_minor: 100,
            maximum_minor: 1_000_000,
            methods: vec!["bank_transfer".into()],
        }
    }
}

/// An amount ready for a page: minor units and currency, formatted by `amount::format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountView {
    pub minor: i64,
    /// ISO 4217 code, three ASCII letters.
    pub currency: [u8; 3],
    pub exponent: u8,
}

/// `/donate/transfer/{id}`: what the giver needs to set up the transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferView {
    pub holder: String,
    /// In groups of four.
    pub iban: String,
    pub bic: Option<String>,
    pub amount: AmountView,
    /// `once`, `monthly`, `yearly`.
    pub period: String,
    /// The creditor reference in groups of four (`RF18 5390 0754 7034`).
    pub reference: String,
    /// The EPC QR code as inline SVG, drawn on the server (trusted markup: it holds nothing
    /// typed by anyone); `None` if it could not be drawn (a non-euro amount).
    pub qr_svg: Option<String>,
    /// The pledge was made by a visitor: a mail asks them to confirm their address.
    pub visitor: bool,
}

/// One pledge on "My donations".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeView {
    pub id: String,
    pub amount: AmountView,
    pub period: String,
    pub method: String,
    pub status: String,
    /// The creditor reference (grouped), for bank transfers.
    pub reference: Option<String>,
    /// ISO date (`2026-12-01`).
    pub next_expected_on: Option<String>,
    pub starts_on: String,
    /// A Stripe pledge with a customer: offer "update your card".
    pub has_card: bool,
    /// A payment failed and the provider is retrying (a failure episode is open).
    #[serde(default)]
    pub failing: bool,
}

/// One payment on "My donations".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub booked_on: String,
    pub amount: AmountView,
    pub refunded: Option<AmountView>,
    /// `received`, `refunded`, `partially_refunded`, `disputed`, `failed`.
    pub status: String,
    /// `bank`, `stripe`.
    pub provider: String,
}

/// What "My donations" shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DonationsView {
    pub pledges: Vec<PledgeView>,
    pub payments: Vec<PaymentView>,
}

/// What a form on "My donations" did (shown once after the redirect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DonationsNotice {
    /// Changed; `bank` says the standing order must be changed at the bank too.
    Changed { bank: bool },
    /// Cancelled; `bank` says the standing order must be cancelled at the bank too.
    Cancelled { bank: bool },
    /// The change form was refused; which pledge and why.
    Refused { pledge: String, errors: Vec<GiftFieldError> },
    /// Only recurring, not ended pledges can be changed.
    NotChangeable,
    /// Something failed on our side or at the provider; nothing changed.
    Failed,
}

#[cfg(feature = "ssr")]
pub mod gift {
    //! Checking the donate and change forms with `domain`'s rules.

    use super::{AmountView, DonateForm, GiftFieldError, GiftProblem, OfferView, Problem};
    use domain::payment::{Gift, GiftInput, Money, Offer};
    use domain::types::{DisplayName, Email, Field, InvalidValue, Language, Referrer};

    /// A visitor's name, address and language, checked.
    #[derive(Debug, Clone)]
    pub struct Visitor {
        pub display_name: DisplayName,
        pub email: Email,
        pub language: Language,
    }

    /// The form field a refused value belongs to.
    fn field_name(field: Field) -> &'static str {
        match field {
            Field::Amount | Field::Currency => "amount",
            Field::Period => "period",
            Field::PaymentMethod => "method",
            Field::DisplayName => "name",
            Field::Email => "email",
            Field::Language => "language",
            _ => "amount",
        }
    }

    /// Amount problems have texts of their own; the rest use the general ones.
    pub fn refused(error: InvalidValue) -> GiftFieldError {
        use domain::types::Problem as P;
        let problem = match (error.field, error.problem) {
            (Field::Amount | Field::Currency | Field::Period | Field::PaymentMethod, p) => match p {
                P::Empty => GiftProblem::Empty,
                P::TooPrecise => GiftProblem::TooPrecise,
                P::TooSmall => GiftProblem::TooSmall,
                // 20 digits of euros are "too large" to a reader, not "too long".
                P::TooLarge | P::TooLong { .. } => GiftProblem::TooLarge,
                P::Unknown => GiftProblem::Unknown,
                _ => GiftProblem::Malformed,
            },
            (_, p) => GiftProblem::Other(Problem::from(p)),
        };
        GiftFieldError { field: field_name(error.field).to_owned(), problem }
    }

    /// Longest field read at all (the rules refuse far less; this bounds hostile input).
    const MAX_FIELD: usize = 1000;

    impl DonateForm {
        /// Checks the gift, and for a visitor (`visitor` true) name, address and language too;
        /// every refused field is reported.
        pub fn check(
            &self,
            offer: &Offer,
            visitor: bool,
        ) -> Result<(Gift, Option<Visitor>), Vec<GiftFieldError>> {
            let mut errors = Vec::new();
            let input = GiftInput {
                amount: self.chosen_amount().chars().take(MAX_FIELD).collect(),
                currency: String::new(),
                period: self.period.chars().take(MAX_FIELD).collect(),
                method: self.method.chars().take(MAX_FIELD).collect(),
            };
            let gift = offer.check(&input).map_err(|e| errors.extend(e.into_iter().map(refused))).ok();
            let visitor = if visitor {
                let name =
                    DisplayName::try_from(self.name.as_str()).map_err(|e| errors.push(refused(e))).ok();
                let email = super::check::email(&self.email).map_err(|e| errors.push(refused(e))).ok();
                let language =
                    Language::try_from(self.language.as_str()).map_err(|e| errors.push(refused(e))).ok();
                match (name, email, language) {
                    (Some(display_name), Some(email), Some(language)) => {
                        Some(Visitor { display_name, email, language })
                    }
                    _ => None,
                }
            } else {
                None
            };
            match gift {
                Some(gift) if errors.is_empty() => Ok((gift, visitor)),
                _ => Err(errors),
            }
        }

        /// A referrer comes from a link, not from the giver: a bad one is dropped, not shown.
        pub fn referrer(&self) -> Option<Referrer> {
            Referrer::try_from(self.referrer.as_str()).ok()
        }

        /// What is kept of a refused form for showing it again.
        pub fn cut(self, max: usize) -> Self {
            let cut = |s: String| s.chars().take(max).collect::<String>();
            DonateForm {
                amount: cut(self.amount),
                custom_amount: cut(self.custom_amount),
                period: cut(self.period),
                method: cut(self.method),
                name: cut(self.name),
                email: cut(self.email),
                language: cut(self.language),
                referrer: cut(self.referrer),
            }
        }
    }

    impl From<&Offer> for OfferView {
        fn from(offer: &Offer) -> Self {
            let currency = offer.default_currency();
            OfferView {
                currency: currency.as_str().to_owned(),
                exponent: currency.exponent(),
                presets: offer.presets.clone(),
                default_amount: offer.default_amount,
                minimum_minor: offer.minimum_minor,
                maximum_minor: offer.maximum_minor,
                methods: offer.methods.iter().map(|m| m.as_str().to_owned()).collect(),
            }
        }
    }

    impl From<Money> for AmountView {
        fn from(money: Money) -> Self {
            let code = money.currency.as_str().as_bytes();
            let currency = match code {
                [a, b, c] => [*a, *b, *c],
                _ => *b"XXX",
            };
            AmountView { minor: money.minor, currency, exponent: money.currency.exponent() }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn form(amount: &str, custom: &str, period: &str, method: &str) -> DonateForm {
            DonateForm {
                amount: amount.into(),
                custom_amount: custom.into(),
                period: period.into(),
                method: method.into(),
                name: "Ada".into(),
                email: "ada@example.org".into(),
                language: "en".into(),
                referrer: String::new(),
            }
        }

        fn problems(form: &DonateForm) -> Vec<(String, GiftProblem)> {
            form.check(&Offer::default(), true)
                .unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.problem))
                .collect()
        }

        #[test]
        fn the_own_amount_wins_over_the_preset() {
            let (gift, visitor) =
                form("10", " 12.50 ", "monthly", "").check(&Offer::default(), true).unwrap();
            assert_eq!(gift.amount.minor, 1250);
            assert_eq!(visitor.unwrap().email.as_str(), "ada@example.org");
            let (gift, visitor) =
                form("25", "", "once", "bank_transfer").check(&Offer::default(), false).unwrap();
            assert_eq!(gift.amount.minor, 2500);
            assert!(visitor.is_none());
        }

        #[test]
        fn each_hostile_value_is_refused_at_its_field() {
            let amount = |a: &str| problems(&form("", a, "once", ""));
            assert_eq!(amount("0"), [("amount".into(), GiftProblem::TooSmall)]);
            assert_eq!(amount("-5"), [("amount".into(), GiftProblem::Malformed)]);
            assert_eq!(amount("0.50"), [("amount".into(), GiftProblem::TooSmall)]);
            assert_eq!(amount("20000"), [("amount".into(), GiftProblem::TooLarge)]);
            assert_eq!(amount("99999999999999999999"), [("amount".into(), GiftProblem::TooLarge)]);
            assert_eq!(amount("ten"), [("amount".into(), GiftProblem::Malformed)]);
            assert_eq!(amount("5.555"), [("amount".into(), GiftProblem::TooPrecise)]);
            assert_eq!(amount(""), [("amount".into(), GiftProblem::Empty)]);
            assert_eq!(problems(&form("5", "", "weekly", "")), [("period".into(), GiftProblem::Unknown)]);
            assert_eq!(problems(&form("5", "", "once", "stripe")), [("method".into(), GiftProblem::Unknown)]);
            let mut bad = form("5", "", "once", "");
            bad.email = "not-an-address".into();
            bad.name = "\u{202e}evil".into();
            let fields: Vec<String> = problems(&bad).into_iter().map(|(f, _)| f).collect();
            assert_eq!(fields, ["name", "email"]);
        }
    }
}
