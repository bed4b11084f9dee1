// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Which language a page is shown in: the client's `ui_locales` (OIDC Core §3.1.2.1), else the
//! browser's `Accept-Language`, else English.

use crate::i18n::Locale;
use http::HeaderMap;

fn supported(tag: &str) -> Option<Locale> {
    // "de-AT" and "de" both mean German here; q-values and wildcards are ignored.
    let primary = tag.split(';').next()?.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    match primary.as_str() {
        "en" => Some(Locale::en),
        "de" => Some(Locale::de),
        _ => None,
    }
}

pub fn choose(ui_locales: Option<&str>, headers: &HeaderMap) -> Locale {
    let from_request = ui_locales.into_iter().flat_map(|l| l.split(' ')).find_map(supported);
    let from_browser = || {
        headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .into_iter()
            .flat_map(|v| v.split(','))
            .find_map(supported)
    };
    from_request.or_else(from_browser).unwrap_or(Locale::en)
}

pub fn tag(locale: Locale) -> &'static str {
    match locale {
        Locale::en => "en",
        Locale::de => "de",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::ACCEPT_LANGUAGE, value.parse().unwrap());
        h
    }

    #[test]
    fn ui_locales_win_over_the_browser() {
        assert_eq!(choose(Some("fr de-CH"), &accept("en")), Locale::de);
        assert_eq!(choose(Some("fr"), &accept("fr, de;q=0.8")), Locale::de);
        assert_eq!(choose(None, &accept("en-GB,en;q=0.9")), Locale::en);
        assert_eq!(choose(None, &HeaderMap::new()), Locale::en);
        assert_eq!(choose(Some("<script>"), &HeaderMap::new()), Locale::en);
    }
}
