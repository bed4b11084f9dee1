// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/u/{token}`: the unsubscribe link of a campaign mail. `GET` names the list and offers one
//! button; it changes nothing, because mail scanners fetch every link in a mail. The button is
//! a plain form posting `List-Unsubscribe=One-Click` to the same address, exactly what a mail
//! client sends for RFC 8058's one-click unsubscribe, so both are one route
//! (`server/src/routes/unsubscribe.rs`), which puts what it found into the request as an
//! [`UnsubscribeView`] and renders this page. An invalid link gets status 404 and says no more
//! than that it is not valid.

use crate::components::list_choice::page_language;
use crate::components::page_title::PageTitle;
use crate::forms::ListView;
use crate::i18n::*;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the link came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnsubscribeView {
    /// A valid link (`GET`): the list it leaves.
    Ready { list: ListView },
    /// Unsubscribed (`POST`), or was not subscribed any more: the same answer.
    Done { list: ListView },
    /// Forged, truncated, of a deleted mailing, or campaigns are not set up here.
    Invalid,
}

fn view_data() -> UnsubscribeView {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<UnsubscribeView>().cloned())
            .unwrap_or(UnsubscribeView::Invalid)
    }
    #[cfg(not(feature = "ssr"))]
    {
        UnsubscribeView::Invalid
    }
}

#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let i18n = use_i18n();
    let language = page_language();
    match view_data() {
        UnsubscribeView::Ready { list } => {
            let name = list.name(language);
            view! {
                <PageTitle text=move || t_string!(i18n, unsubscribe_title).to_string() />
                <h1>{t!(i18n, unsubscribe_title)}</h1>
                <p>{t!(i18n, unsubscribe_question, list = move || name.clone())}</p>
                // No action attribute: the form posts to the page's own address, the token
                // included. No JavaScript and no session needed.
                <form method="post">
                    <input type="hidden" name="List-Unsubscribe" value="One-Click" />
                    <button type="submit" class="button">{t!(i18n, unsubscribe_button)}</button>
                </form>
            }
            .into_any()
        }
        UnsubscribeView::Done { list } => {
            let name = list.name(language);
            view! {
                <PageTitle text=move || t_string!(i18n, unsubscribe_done_title).to_string() />
                <h1>{t!(i18n, unsubscribe_done_title)}</h1>
                <div role="status">
                    <p>{t!(i18n, unsubscribe_done, list = move || name.clone())}</p>
                    <p>{t!(i18n, unsubscribe_done_hint)}</p>
                </div>
            }
            .into_any()
        }
        UnsubscribeView::Invalid => {
            #[cfg(feature = "ssr")]
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::NOT_FOUND);
            }
            view! {
                <PageTitle text=move || t_string!(i18n, unsubscribe_invalid_title).to_string() />
                <h1>{t!(i18n, unsubscribe_invalid_title)}</h1>
                <p>{t!(i18n, unsubscribe_invalid)}</p>
            }
            .into_any()
        }
    }
}
