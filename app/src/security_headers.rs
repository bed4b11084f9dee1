// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The Content-Security-Policy of my.*'s pages, with the nonce of each render.
//!
//! Leptos (through leptos_axum) makes a fresh nonce for every page it renders and puts it on
//! the one inline script it writes, the module that loads and hydrates the islands
//! (`HydrationScripts`); the shell sends the same nonce in the header ([`set_page_policy`]).
//! Nothing else on a page is inline: no other script, no `style=` attribute, no event handler
//! attribute. So scripts are ours (`'self'`, the bundle under `/pkg/`) or carry the nonce;
//! `'wasm-unsafe-eval'` lets the browser compile the WebAssembly bundle and nothing else.
//! Forms may post to us and lead to the idp (login and logout pass through it) and, when
//! Stripe is offered, to Stripe's Checkout and billing portal: browsers apply `form-action` to
//! the redirects that follow a form's POST too ([`STRIPE_FORM_ORIGINS`]); likewise PayPal's
//! approve pages ([`PAYPAL_FORM_ORIGINS`]). Every other
//! answer (server functions, plain routes, static files) gets [`STRICT`] from the server's
//! header layer (`server/src/headers.rs`).

/// For anything that is not a page: nothing may load, frame or be framed.
pub const STRICT: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

/// Where the donate form and "update your card" lead when Stripe is offered (the 303 after
/// `POST /donate` goes to Checkout, after `POST /donations/{id}/card` to the billing portal).
pub const STRIPE_FORM_ORIGINS: &str = "https://checkout.stripe.com https://billing.stripe.com";

/// Where the donate and renewal forms lead when PayPal is offered (the 303 goes to the order's
/// or subscription's approve link, on PayPal's live or sandbox site).
pub const PAYPAL_FORM_ORIGINS: &str = "https://www.paypal.com https://www.sandbox.paypal.com";

/// The policy of a page rendered with `nonce`; `form_origins` are where forms may lead besides
/// us (the idp, and Stripe when offered), separated by spaces. `reload` adds cargo-leptos's
/// live-reload socket (`cargo leptos watch` only).
pub fn content_security_policy(nonce: Option<&str>, form_origins: &str, reload: Option<u32>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_owned(),
    };
    let reload =
        reload.map(|port| format!(" ws://localhost:{port} ws://127.0.0.1:{port}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src {scripts}; style-src 'self'; img-src 'self'; font-src 'self'; \
         connect-src 'self'{reload}; manifest-src 'self'; form-action 'self' {form_origins}; \
         frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
    )
}

/// In the shell, while a page renders: its policy, with this render's nonce, as a header.
pub fn set_page_policy() {
    use leptos::prelude::use_context;
    let Some(options) = use_context::<leptos_axum::ResponseOptions>() else { return };
    // Quietly absent while the route list is generated at start-up (no request, no state).
    let Some(state) = use_context::<crate::ssr::AppState>() else { return };
    let nonce = leptos::nonce::use_nonce();
    let reload = std::env::var_os("LEPTOS_WATCH").map(|_| state.leptos_options.reload_port);
    let mut form_origins = state.idp_origin.clone();
    if state.stripe.is_some() {
        form_origins = format!("{form_origins} {STRIPE_FORM_ORIGINS}");
    }
    if state.paypal.is_some() {
        form_origins = format!("{form_origins} {PAYPAL_FORM_ORIGINS}");
    }
    let policy = content_security_policy(nonce.as_deref(), &form_origins, reload);
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        options.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_only_our_scripts_and_the_idp_for_forms() {
        let policy = content_security_policy(Some("abc123"), "https://id.example.org", None);
        for part in [
            "default-src 'none'",
            "script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';",
            "form-action 'self' https://id.example.org;",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(part), "{part}: {policy}");
        }
        for never in ["'unsafe-inline'", "'unsafe-eval'", "*", "data:", "ws:"] {
            assert!(!policy.contains(never), "{never}: {policy}");
        }
        assert!(
            content_security_policy(None, "https://id.example.org", Some(3002))
                .contains("ws://localhost:3002")
        );
        let with_stripe =
            content_security_policy(None, &format!("https://id.example.org {STRIPE_FORM_ORIGINS}"), None);
        assert!(
            with_stripe.contains(
                "form-action 'self' https://id.example.org https://checkout.stripe.com https://billing.stripe.com;"
            ),
            "{with_stripe}"
        );
    }
}
