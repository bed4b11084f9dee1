// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What the server knows before it renders a page (the site, and what the visitor's session
//! holds), and how it reaches the browser: as JSON in a `<script>` in the page head, read once.
//!
//! Why not resources: under concurrent load, leptos 0.8.23 sometimes never completes a page
//! that reads a resource during server rendering (the request ends in a 408 after 30 s; about
//! one request in a thousand in `server/tests/web/pages.rs`; leptos#4851, #4578). Data the
//! server has before rendering needs no asynchronous machinery at all.

use crate::forms::{CommandOutcome, CommandView, Me, MyData, RegisterOutcome, SettingsNotice};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the header and footer say about the organisation running this instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    pub organisation: String,
    /// Where the source code of this instance is published (AGPL §13).
    pub source_url: String,
}

/// What pages need from the visitor's session; the server reads it once per request before
/// rendering (`server/src/session_view.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The monthly amount picked on the landing page (already checked against the offer).
    pub chosen_amount: Option<u32>,
    /// What the last registration POST came to (read once).
    pub register: Option<RegisterOutcome>,
    /// What the last POST to a command link did (read once).
    pub command_outcome: Option<CommandOutcome>,
    /// Who is logged in.
    pub me: Option<Me>,
    /// On `/logout`: the idp sent the browser back with the state we gave it.
    pub logged_out: bool,
    /// On `/settings`: what a form posted without JavaScript did (read once).
    pub settings_notice: Option<SettingsNotice>,
}

/// Everything a page may show that the server knows before rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageData {
    pub site: SiteInfo,
    pub session: SessionView,
    /// On `/c/{token}`: what the link would do.
    pub command: Option<CommandView>,
    /// On `/settings`: the logged-in person's data.
    pub my_data: Option<MyData>,
}

/// Id of the `<script type="application/json">` that carries `PageData` to the browser.
const ELEMENT_ID: &str = "page-data";

/// The data of the page being rendered. On the server it comes from the state and the request;
/// in the browser from the JSON the server wrote into the page. Empty where missing.
pub fn use_page_data() -> PageData {
    #[cfg(feature = "ssr")]
    {
        let site = crate::ssr::state().map(|state| state.site).unwrap_or_default();
        let parts = use_context::<http::request::Parts>();
        let session = parts
            .as_ref()
            .and_then(|parts| parts.extensions.get::<SessionView>().cloned())
            .unwrap_or_default();
        let command = parts.as_ref().and_then(|parts| parts.extensions.get::<CommandView>().cloned());
        let my_data = parts.as_ref().and_then(|parts| parts.extensions.get::<MyData>().cloned());
        PageData { site, session, command, my_data }
    }
    #[cfg(not(feature = "ssr"))]
    {
        from_page()
    }
}

/// The site information, as a copyable closure for views.
pub fn use_site() -> impl Fn() -> SiteInfo + Copy + Send + Sync + 'static {
    || use_page_data().site
}

/// The `<script>` element for the document head; written by the server only.
pub fn page_data_script() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        // `<` escaped as \u003c, so no value can close the script element.
        let json = serde_json::to_string(&use_page_data()).unwrap_or_default().replace('<', "\\u003c");
        view! { <script id=ELEMENT_ID type="application/json" inner_html=json></script> }
    }
}

#[cfg(not(feature = "ssr"))]
fn from_page() -> PageData {
    thread_local! {
        static DATA: PageData = document()
            .get_element_by_id(ELEMENT_ID)
            .and_then(|element| element.text_content())
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
    }
    DATA.with(Clone::clone)
}
