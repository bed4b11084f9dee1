// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What the server knows before it renders a page (the site, and what the visitor's session
//! holds). Only server-rendered components read it; an island that needs some of it gets it as
//! props (serialised into the page by Leptos), so nothing else of it is sent to the browser.
//!
//! Why not resources: under concurrent load, leptos 0.8.23 sometimes never completes a page
//! that reads a resource during server rendering (the request ends in a 408 after 30 s; about
//! one request in a thousand in `server/tests/web/pages.rs`; leptos#4851, #4578). Data the
//! server has before rendering needs no asynchronous machinery at all.

use crate::forms::{
    CommandOutcome, CommandView, DonateOutcome, DonationsNotice, DonationsView, Me, MyData, OfferView,
    RegisterOutcome, SettingsNotice, TransferView,
};
#[cfg(feature = "ssr")]
use leptos::prelude::use_context;
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
    /// On `/donate`: what the last donate POST came to, if it did not lead on (read once).
    pub donate: Option<DonateOutcome>,
    /// On `/donations`: what a change or cancel form did (read once).
    pub donations_notice: Option<DonationsNotice>,
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
    /// What donors may give (`[payments]`).
    pub offer: OfferView,
    /// On `/donate/transfer/{id}`: the transfer details (only for the pledge's session or owner).
    pub transfer: Option<TransferView>,
    /// On `/donations`: the logged-in person's pledges and payments.
    pub donations: Option<DonationsView>,
}

/// The data of the page being rendered, from the state and the request. Empty where missing, and
/// always in the browser: pages are server-only components there (islands get props instead).
pub fn use_page_data() -> PageData {
    #[cfg(feature = "ssr")]
    {
        // Quietly absent while the route list is generated at start-up (no request, no state).
        let state = use_context::<crate::ssr::AppState>();
        let offer = state.as_ref().map(|state| OfferView::from(&*state.offer)).unwrap_or_default();
        let site = state.map(|state| state.site).unwrap_or_default();
        let parts = use_context::<http::request::Parts>();
        let session = parts
            .as_ref()
            .and_then(|parts| parts.extensions.get::<SessionView>().cloned())
            .unwrap_or_default();
        let command = parts.as_ref().and_then(|parts| parts.extensions.get::<CommandView>().cloned());
        let my_data = parts.as_ref().and_then(|parts| parts.extensions.get::<MyData>().cloned());
        let transfer = parts.as_ref().and_then(|parts| parts.extensions.get::<TransferView>().cloned());
        let donations = parts.as_ref().and_then(|parts| parts.extensions.get::<DonationsView>().cloned());
        PageData { site, session, command, my_data, offer, transfer, donations }
    }
    #[cfg(not(feature = "ssr"))]
    {
        PageData::default()
    }
}

/// The site information, as a copyable closure for views.
pub fn use_site() -> impl Fn() -> SiteInfo + Copy + Send + Sync + 'static {
    || use_page_data().site
}
