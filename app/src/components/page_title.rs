// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The `<title>` of a page. Use this, never `leptos_meta::Title` directly.
//!
//! On the server the title is computed once, while the page renders, and escaped:
//! - leptos_meta 0.8.7 writes title text into the HTML without escaping it, so a title holding
//!   `</title><script>` (a name, later a supporter's) would inject markup;
//! - leptos_axum reads the title after rendering, when the page's signals (the language, the
//!   site resource) may already be disposed; under load that panicked in about 0.5 % of
//!   requests (leptos issues #3627, #4590). A plain `String` cannot be disposed.
//!
//! In the browser the title stays reactive (it follows a language switch) and needs no escaping:
//! `document.title` is plain text.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PageTitle(text: impl Fn() -> String + Send + Sync + 'static) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let text = {
        let title = html_escape::encode_text(&text()).into_owned();
        move || title.clone()
    };
    view! { <Title text=text /> }
}
