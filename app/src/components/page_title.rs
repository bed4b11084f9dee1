// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The `<title>` of a page. Use this, never `leptos_meta::Title` directly.
//!
//! leptos_meta 0.8.7 writes title text into the server's HTML without escaping it, so a title
//! holding `</title><script>` (a name, later a supporter's) would inject markup. The server
//! render escapes it here; the browser sets `document.title` as plain text and needs no escaping.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PageTitle(#[prop(into)] text: Signal<String>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let formatter = |title: String| html_escape::encode_text(&title).into_owned();
    #[cfg(not(feature = "ssr"))]
    let formatter = |title: String| title;
    view! { <Title text=move || text.get() formatter /> }
}
