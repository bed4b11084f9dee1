// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /language`: the language switch in the header, with or without JavaScript (every text
//! of a page is the server's, so a new language is a new page). Sets the language cookie that
//! the pages read and sends the reader back to where they were.

use app::app::LANGUAGE_COOKIE;
use app::refusal::Refusal;
use app::refusal::ssr::Answer;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Response};
use domain::types::Language;
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    language: String,
    back: Option<String>,
}

/// Whether cookies carry `Secure`; the one setting this handler needs.
#[derive(Debug, Clone, Copy)]
pub struct SecureCookies(pub bool);

pub async fn set(
    State(SecureCookies(secure)): State<SecureCookies>,
    headers: http::HeaderMap,
    form: Result<Form<LanguageForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else { return Answer::to(Refusal::BadInput, &headers).into_response() };
    let Ok(language) = Language::try_from(form.language.as_str()) else {
        return Answer::to(Refusal::BadInput, &headers).into_response();
    };
    let cookie = format!(
        "{LANGUAGE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{}",
        language.code(),
        if secure { "; Secure" } else { "" }
    );
    let target = local_path(form.back.as_deref());
    let (Ok(cookie), Ok(location)) = (HeaderValue::from_str(&cookie), HeaderValue::from_str(target)) else {
        return Answer::to(Refusal::BadInput, &headers).into_response();
    };
    (StatusCode::SEE_OTHER, [(header::SET_COOKIE, cookie), (header::LOCATION, location)]).into_response()
}

/// The path to return to, if it stays on this site; otherwise the home page. Refuses
/// scheme-relative (`//evil.example`) and backslash tricks (`/\evil.example`) that browsers
/// treat as other hosts, and anything with control characters.
pub fn local_path(back: Option<&str>) -> &str {
    match back {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 2000
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/register?amount=25")), "/register?amount=25");
        for hostile in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "/ok\r\nSet-Cookie: x=y",
            "",
            "evil.example",
        ] {
            assert_eq!(local_path(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(local_path(None), "/");
        assert_eq!(local_path(Some(&format!("/{}", "a".repeat(3000)))), "/");
    }
}
