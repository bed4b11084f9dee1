// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The one answer table of my.*: every way a request can be turned down (or fail), as a
//! [`Refusal`] kind, and ONE `match` from kind to HTTP status ([`Refusal::status_code`]). Plain
//! routes (`server/src/routes/*`) answer with [`ssr::Answer`], whose body is the kind's sentence
//! in the reader's language; server functions return their own serde error (`SettingsError`),
//! which names its kind, and [`ssr::set_server_fn_status`] puts the kind's status on the answer.
//! The webhooks and the services API will answer through this table too (with their own
//! bodies, e.g. JSON carrying [`Refusal::code`]), so that no second set of hand-made answers
//! grows beside it. Modelled on `proxy/src/error.rs`.
//!
//! Rules the table keeps:
//! - A refusal is never a 500: 500 ([`Refusal::Failed`]) is for our own bugs, logged with their
//!   cause where they happen.
//! - No body says more than the kind: no error text of a library, no SQL, no path.
//! - "Not yours" and "does not exist" are one kind ([`Refusal::NotFound`], 404), so the answer
//!   never tells whether something belongs to somebody else.
//!
//! This file compiles for the browser too (the kinds are plain data); the HTTP side is `ssr`.

use serde::{Deserialize, Serialize};

/// Why a request was not done. Stable: the API will show [`Refusal::code`] to programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Refusal {
    /// Nobody is logged in with this session (never was, logged out, expired, account disabled).
    NotLoggedIn,
    /// Logged in, but this person may not do this (for the API's permissions).
    Forbidden,
    /// It does not exist, or it is not the requester's: the answer does not tell which.
    NotFound,
    /// The input is not acceptable (a field refused, an argument missing or malformed).
    BadInput,
    /// A signed request (a payment provider's webhook) whose signature is missing, forged,
    /// stale or made with a secret we do not hold. Nothing of it was stored.
    BadSignature,
    /// A request body that is not what the endpoint reads (a webhook that is not JSON of an
    /// event), though correctly signed.
    Malformed,
    /// A request body larger than the endpoint takes; refused before it is read to the end.
    TooLarge,
    /// The request contradicts what is stored (the primary address cannot be removed).
    Conflict,
    /// Too many requests of this kind for this target or from this network; try later.
    Throttled,
    /// Something we depend on (the database, the directory) cannot be reached right now.
    Unavailable,
    /// A failure on our side that is not any of the above: a bug. Logged where it happened.
    Failed,
}

impl Refusal {
    /// Every kind, for tests and documentation.
    pub const ALL: [Refusal; 11] = [
        Refusal::NotLoggedIn,
        Refusal::Forbidden,
        Refusal::NotFound,
        Refusal::BadInput,
        Refusal::BadSignature,
        Refusal::Malformed,
        Refusal::TooLarge,
        Refusal::Conflict,
        Refusal::Throttled,
        Refusal::Unavailable,
        Refusal::Failed,
    ];

    /// The one kind-to-status table (RFC 9110 §15; 429 from RFC 6585 §4). A webhook's
    /// refusals are 400 and 413 (RFC 9110 §15.5.1, §15.5.14), never 2xx: the provider keeps
    /// retrying, and a forged delivery learns nothing but "no".
    pub const fn status_code(self) -> u16 {
        match self {
            Refusal::NotLoggedIn => 401,
            Refusal::Forbidden => 403,
            Refusal::NotFound => 404,
            Refusal::BadInput => 422,
            Refusal::BadSignature => 400,
            Refusal::Malformed => 400,
            Refusal::TooLarge => 413,
            Refusal::Conflict => 409,
            Refusal::Throttled => 429,
            Refusal::Unavailable => 503,
            Refusal::Failed => 500,
        }
    }

    /// A stable machine name, for programs (API bodies, logs).
    pub const fn code(self) -> &'static str {
        match self {
            Refusal::NotLoggedIn => "not-logged-in",
            Refusal::Forbidden => "forbidden",
            Refusal::NotFound => "not-found",
            Refusal::BadInput => "bad-input",
            Refusal::BadSignature => "bad-signature",
            Refusal::Malformed => "malformed",
            Refusal::TooLarge => "too-large",
            Refusal::Conflict => "conflict",
            Refusal::Throttled => "throttled",
            Refusal::Unavailable => "unavailable",
            Refusal::Failed => "failed",
        }
    }

    /// Seconds a client is asked to wait (`Retry-After`, RFC 9110 §10.2.3), if it should retry.
    pub const fn retry_after_secs(self) -> Option<u32> {
        match self {
            // The throttle's window (`domain::throttle::Limits::LINKS`).
            Refusal::Throttled => Some(900),
            Refusal::Unavailable => Some(30),
            _ => None,
        }
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! The HTTP side: statuses, translated bodies, and the mapping of domain errors.

    use super::Refusal;
    use crate::i18n::{Locale, td_string};
    use axum::response::{IntoResponse, Response};
    use domain::DomainError;
    use domain::types::Language;
    use http::{HeaderMap, HeaderValue, StatusCode, header};
    use leptos::prelude::use_context;

    impl Refusal {
        pub fn status(self) -> StatusCode {
            StatusCode::from_u16(self.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }

        /// The sentence a person reads, in their language.
        pub fn message(self, locale: Locale) -> String {
            match self {
                Refusal::NotLoggedIn => td_string!(locale, refusal_not_logged_in).to_string(),
                Refusal::Forbidden => td_string!(locale, refusal_forbidden).to_string(),
                Refusal::NotFound => td_string!(locale, refusal_not_found).to_string(),
                // Programs read these three (webhooks answer JSON with the code); a person who
                // meets one reads the general sentence.
                Refusal::BadInput | Refusal::BadSignature | Refusal::Malformed | Refusal::TooLarge => {
                    td_string!(locale, refusal_bad_input).to_string()
                }
                Refusal::Conflict => td_string!(locale, refusal_conflict).to_string(),
                Refusal::Throttled => td_string!(locale, refusal_throttled).to_string(),
                Refusal::Unavailable => td_string!(locale, refusal_unavailable).to_string(),
                Refusal::Failed => td_string!(locale, error_generic).to_string(),
            }
        }

        /// What a domain error means for the requester. Only the kind leaves this function;
        /// callers log the error itself (`{:?}` shows its causes).
        pub fn of_domain(error: &DomainError) -> Refusal {
            match error {
                DomainError::Invalid(_) => Refusal::BadInput,
                DomainError::NotFound(_) => Refusal::NotFound,
                DomainError::Conflict(_) => Refusal::Conflict,
                DomainError::Database(e) => Refusal::of_database(e),
                DomainError::DirectoryUnavailable(_) => Refusal::Unavailable,
                DomainError::Migration(_) | DomainError::PasswordHash | DomainError::KeyGeneration => {
                    Refusal::Failed
                }
            }
        }

        /// The database is down, restarting or overloaded (503), or the query itself failed
        /// (a bug, 500). PostgreSQL says which by the SQLSTATE class (PostgreSQL manual,
        /// appendix A): 08 connection exception, 40 transaction rollback (deadlock,
        /// serialization: worth trying again), 53 insufficient resources, 57 operator
        /// intervention (shutting down, starting up).
        pub fn of_database(error: &sqlx::Error) -> Refusal {
            match error {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed => Refusal::Unavailable,
                sqlx::Error::Database(db)
                    if db.code().is_some_and(|c| {
                        ["08", "40", "53", "57"].iter().any(|class| c.starts_with(class))
                    }) =>
                {
                    Refusal::Unavailable
                }
                _ => Refusal::Failed,
            }
        }
    }

    /// A refusal as a plain route answers it: the status of the table, the sentence in the
    /// reader's language as plain text, `Cache-Control: no-store` and, where it helps,
    /// `Retry-After`.
    #[derive(Debug, Clone, Copy)]
    pub struct Answer {
        pub refusal: Refusal,
        pub locale: Locale,
    }

    impl Answer {
        /// In the language the request's cookie or `Accept-Language` asks for.
        pub fn to(refusal: Refusal, headers: &HeaderMap) -> Self {
            Self { refusal, locale: locale_of(headers) }
        }
    }

    impl IntoResponse for Answer {
        fn into_response(self) -> Response {
            let mut response =
                (self.refusal.status(), format!("{}\n", self.refusal.message(self.locale))).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Some(secs) = self.refusal.retry_after_secs() {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
    }

    /// A refusal as a program reads it (webhooks, later the services API): the status of the
    /// table and `{"error": "<code>"}`, nothing else, with `Cache-Control: no-store` and, where
    /// it helps, `Retry-After`.
    #[derive(Debug, Clone, Copy)]
    pub struct JsonAnswer(pub Refusal);

    impl IntoResponse for JsonAnswer {
        fn into_response(self) -> Response {
            let refusal = self.0;
            // The codes are fixed ASCII words: no escaping needed.
            let mut response =
                (refusal.status(), format!("{{\"error\":\"{}\"}}\n", refusal.code())).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Some(secs) = refusal.retry_after_secs() {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
    }

    /// The reader's language: the language cookie, else the first language of
    /// `Accept-Language` we speak, else English (as the pages choose).
    pub fn locale_of(headers: &HeaderMap) -> Locale {
        let cookie = format!("{}=", crate::app::LANGUAGE_COOKIE);
        let from_cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix(cookie.as_str()))
            .and_then(|code| Language::try_from(code).ok());
        let from_header = || {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .into_iter()
                .flat_map(|v| v.split(','))
                .filter_map(|tag| tag.split(';').next())
                .filter_map(|tag| tag.trim().split('-').next())
                .find_map(|primary| Language::try_from(primary.to_ascii_lowercase().as_str()).ok())
        };
        crate::mails::locale(from_cookie.or_else(from_header).unwrap_or(Language::English))
    }

    /// Whether this request is a plain HTML form post (no JavaScript): server_fn then sends the
    /// browser back to the form with a 302 and the error in the address, which must stay so.
    fn plain_form(headers: &HeaderMap) -> bool {
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    }

    /// Inside a server function: answer with the kind's status (and `Retry-After`), unless the
    /// request is a plain form post, whose answer is the redirect back to the form.
    pub fn set_server_fn_status(refusal: Refusal) {
        let Some(options) = use_context::<leptos_axum::ResponseOptions>() else { return };
        if use_context::<http::request::Parts>().is_some_and(|parts| plain_form(&parts.headers)) {
            return;
        }
        options.set_status(refusal.status());
        if let Some(secs) = refusal.retry_after_secs() {
            options.insert_header(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn every_refusal_has_its_status_and_no_refusal_is_a_500() {
            let cases = [
                (Refusal::NotLoggedIn, 401),
                (Refusal::Forbidden, 403),
                (Refusal::NotFound, 404),
                (Refusal::BadInput, 422),
                (Refusal::BadSignature, 400),
                (Refusal::Malformed, 400),
                (Refusal::TooLarge, 413),
                (Refusal::Conflict, 409),
                (Refusal::Throttled, 429),
                (Refusal::Unavailable, 503),
                (Refusal::Failed, 500),
            ];
            assert_eq!(cases.len(), Refusal::ALL.len());
            for (refusal, status) in cases {
                let response = Answer { refusal, locale: Locale::en }.into_response();
                assert_eq!(response.status().as_u16(), status, "{refusal:?}");
                assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
                assert_eq!(
                    response.headers().contains_key(header::RETRY_AFTER),
                    matches!(refusal, Refusal::Throttled | Refusal::Unavailable),
                    "{refusal:?}"
                );
                assert!(status != 500 || refusal == Refusal::Failed, "only a bug is a 500");
                let json = JsonAnswer(refusal).into_response();
                assert_eq!(json.status().as_u16(), status, "{refusal:?}");
                assert_eq!(json.headers()[header::CONTENT_TYPE], "application/json");
                assert_eq!(json.headers()[header::CACHE_CONTROL], "no-store");
            }
        }

        #[test]
        fn codes_are_distinct_words() {
            let codes: std::collections::HashSet<_> = Refusal::ALL.iter().map(|r| r.code()).collect();
            assert_eq!(codes.len(), Refusal::ALL.len());
            for code in codes {
                assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{code}");
            }
        }

        #[test]
        fn bodies_are_translated_sentences_without_detail() {
            for refusal in Refusal::ALL {
                let en = refusal.message(Locale::en);
                let de = refusal.message(Locale::de);
                assert!(!en.is_empty() && en != de, "{refusal:?}");
                for leak in ["sqlx", "error:", "panicked", "/src/", "{{"] {
                    assert!(!en.contains(leak) && !de.contains(leak), "{refusal:?}: {en} / {de}");
                }
            }
        }

        #[test]
        fn domain_errors_map_to_kinds_never_leaking_their_text() {
            let cases = [
                (DomainError::NotFound("person"), Refusal::NotFound),
                (DomainError::Conflict("email address"), Refusal::Conflict),
                (DomainError::Database(sqlx::Error::PoolTimedOut), Refusal::Unavailable),
                (DomainError::Database(sqlx::Error::PoolClosed), Refusal::Unavailable),
                (
                    DomainError::Database(sqlx::Error::Io(std::io::Error::other("connection refused"))),
                    Refusal::Unavailable,
                ),
                (DomainError::Database(sqlx::Error::RowNotFound), Refusal::Failed),
                (DomainError::DirectoryUnavailable("ldap down".into()), Refusal::Unavailable),
                (DomainError::PasswordHash, Refusal::Failed),
            ];
            for (error, refusal) in cases {
                assert_eq!(Refusal::of_domain(&error), refusal, "{error:?}");
            }
            // PostgreSQL going away or rolling back answers 503 (a webhook is then retried);
            // a query PostgreSQL refuses is our bug.
            for (code, refusal) in [
                ("57P01", Refusal::Unavailable), // admin_shutdown: restarted under us
                ("57P03", Refusal::Unavailable), // cannot_connect_now: starting up
                ("08006", Refusal::Unavailable), // connection_failure
                ("53300", Refusal::Unavailable), // too_many_connections
                ("40P01", Refusal::Unavailable), // deadlock_detected (after the retries)
                ("40001", Refusal::Unavailable), // serialization_failure
                ("23514", Refusal::Failed),      // check_violation
                ("42P01", Refusal::Failed),      // undefined_table
            ] {
                let error = DomainError::Database(sqlx::Error::Database(Box::new(Sqlstate(code))));
                assert_eq!(Refusal::of_domain(&error), refusal, "{code}");
            }
        }

        /// A database error with only a SQLSTATE, as PostgreSQL would send it.
        #[derive(Debug)]
        struct Sqlstate(&'static str);

        impl std::fmt::Display for Sqlstate {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "SQLSTATE {}", self.0)
            }
        }

        impl std::error::Error for Sqlstate {}

        impl sqlx::error::DatabaseError for Sqlstate {
            fn message(&self) -> &str {
                self.0
            }
            fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
                Some(self.0.into())
            }
            fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
                self
            }
            fn kind(&self) -> sqlx::error::ErrorKind {
                sqlx::error::ErrorKind::Other
            }
        }

        #[test]
        fn the_language_follows_the_cookie_then_accept_language() {
            let headers = |pairs: &[(&'static str, &'static str)]| -> HeaderMap {
                pairs
                    .iter()
                    .map(|(k, v)| (http::HeaderName::from_static(k), HeaderValue::from_static(v)))
                    .collect()
            };
            assert_eq!(locale_of(&headers(&[])), Locale::en);
            assert_eq!(locale_of(&headers(&[("accept-language", "de-CH;q=0.9, en;q=0.5")])), Locale::de);
            assert_eq!(locale_of(&headers(&[("accept-language", "fr, DE")])), Locale::de);
            assert_eq!(
                locale_of(&headers(&[("accept-language", "de"), ("cookie", "a=b; i18n_pref_locale=en")])),
                Locale::en
            );
            for hostile in ["i18n_pref_locale=../../etc", "i18n_pref_locale=", "i18n_pref_locale=xx"] {
                assert_eq!(locale_of(&headers(&[("cookie", hostile)])), Locale::en, "{hostile}");
            }
        }
    }
}
