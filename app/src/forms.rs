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
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub language: String,
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

/// What `/settings` shows about the logged-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyData {
    pub display_name: String,
    pub supporter_number: Option<i64>,
    pub address_lines: Vec<String>,
    pub country: Option<String>,
    /// The language code (`en`, `de`).
    pub language: String,
    pub emails: Vec<EmailView>,
    /// The lists subscribed to now (`newsletter`, `campaigns`).
    pub lists: Vec<String>,
}

impl FieldError {
    /// The problem of `field`, if it was refused.
    pub fn find(errors: &[FieldError], field: &str) -> Option<Problem> {
        errors.iter().find(|e| e.field == field).map(|e| e.problem)
    }
}

#[cfg(feature = "ssr")]
mod check {
    use super::{FieldError, Problem, RegisterForm};
    use domain::consent::InfoList;
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

    impl RegisterForm {
        /// Checks every field (all problems at once, not the first only).
        pub fn check(&self) -> Result<Registration, Vec<FieldError>> {
            let mut errors = Vec::new();
            let display_name = take(&mut errors, DisplayName::try_from(self.name.as_str()));
            let email = take(
                &mut errors,
                if self.email.len() > MAX_FIELD {
                    Err(InvalidValue {
                        field: Field::Email,
                        problem: domain::types::Problem::TooLong { max: 254 },
                    })
                } else {
                    Email::try_from(self.email.as_str())
                },
            );
            let country = if self.country.trim().is_empty() {
                Some(None)
            } else {
                take(&mut errors, CountryCode::try_from(self.country.as_str()).map(Some))
            };
            let language = take(&mut errors, Language::try_from(self.language.as_str()));
            let address = take(
                &mut errors,
                PostalAddress::parse(&PostalAddressInput {
                    street: &self.street,
                    extra: &self.extra,
                    postal_code: &self.postal_code,
                    city: &self.city,
                    region: &self.region,
                }),
            );
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
            match (display_name, email, country, language, address) {
                (Some(display_name), Some(email), Some(country), Some(language), Some(address))
                    if errors.is_empty() =>
                {
                    Ok(Registration { display_name, email, country, address, language, lists, referrer })
                }
                _ => Err(errors),
            }
        }
    }
}
