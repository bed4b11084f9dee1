// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The document shell and the route table.

use crate::components::layout::Layout;
use crate::i18n::*;
use crate::pages::account::{LoginProblemPage, LogoutPage};
use crate::pages::donate::{DonateCancelledPage, DonatePage, DonateThanksPage, TransferPage};
use crate::pages::donations::DonationsPage;
use crate::pages::renew::{RenewCancelledPage, RenewPage, RenewThanksPage};
use crate::pages::settings::SettingsPage;
use crate::pages::statements::StatementsPage;
use crate::pages::unsubscribe::UnsubscribePage;
use crate::pages::{command::CommandPage, home::HomePage, not_found::NotFound, register::RegisterPage};
use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// Name of the cookie holding the reader's language choice (leptos_i18n's default name; the
/// server's no-JavaScript language switch writes the same cookie).
pub const LANGUAGE_COOKIE: &str = "i18n_pref_locale";

/// The HTML document around every page, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The policy names the nonce that `HydrationScripts` puts on its script.
    #[cfg(feature = "ssr")]
    crate::security_headers::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: language context, styles and routes. Every route renders completely on the
/// server before the first byte is sent (`SsrMode::Async`), so titles and texts are right even
/// without JavaScript. In the browser only the islands inside come alive; following a link
/// loads the next page from the server (there is no client-side router to ship).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Every language change goes through the server (`/language`, the settings page), which
    // writes the cookie and renders the page in the new language.
    view! {
        <I18nContextProvider>
            <Stylesheet id="leptos" href="/pkg/community.css" />
            <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
            <Router>
                <Layout>
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                        <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                        <Route path=path!("/login/problem") view=LoginProblemPage ssr=SsrMode::Async />
                        <Route path=path!("/logout") view=LogoutPage ssr=SsrMode::Async />
                        <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
                        <Route path=path!("/c/:token") view=CommandPage ssr=SsrMode::Async />
                        <Route path=path!("/u/:token") view=UnsubscribePage ssr=SsrMode::Async />
                        <Route path=path!("/donate") view=DonatePage ssr=SsrMode::Async />
                        <Route path=path!("/donate/transfer/:id") view=TransferPage ssr=SsrMode::Async />
                        <Route path=path!("/donate/thanks") view=DonateThanksPage ssr=SsrMode::Async />
                        <Route path=path!("/donate/cancelled") view=DonateCancelledPage ssr=SsrMode::Async />
                        <Route path=path!("/donations") view=DonationsPage ssr=SsrMode::Async />
                        <Route path=path!("/donations/statements") view=StatementsPage ssr=SsrMode::Async />
                        <Route path=path!("/donations/:id/renew") view=RenewPage ssr=SsrMode::Async />
                        <Route path=path!("/renew/thanks") view=RenewThanksPage ssr=SsrMode::Async />
                        <Route path=path!("/renew/cancelled") view=RenewCancelledPage ssr=SsrMode::Async />
                    </Routes>
                </Layout>
            </Router>
        </I18nContextProvider>
    }
}
