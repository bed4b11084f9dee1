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
    /// The lists ticked (`newsletter`, `campaigns`).
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

/// What `GET /c/{token}` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandView {
    ConfirmRegistration { lists: Vec<String> },
    ConfirmEmail { address: String },
    Expired,
    Used,
    Unknown,
}

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
    Renewed,
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
    /// The lists subscribed to now (`newsletter`, `campaigns`).
    pub lists: Vec<String>,
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
    use domain::consent::InfoList;
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
        /// Checks every field (all problems at once, not the first only).
        pub fn check(&self) -> Result<Registration, Vec<FieldError>> {
            let mut errors = Vec::new();
            let profile = profile(&mut errors, &self.profile);
            let email = take(&mut errors, email(&self.email));
            let language = take(&mut errors, Language::try_from(self.language.as_str()));
            // A referrer comes from a link, not from the person: a bad one is dropped, not shown.
            let referrer = Referrer::try_from(self.referrer.as_str()).ok();
            let mut lists = Vec::new();
            for name in &self.lists {
                match InfoList::parse(name) {
                    Some(list) if !lists.contains(&list) => lists.push(list),
                    Some(_) => {}
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
