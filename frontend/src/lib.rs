// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The WebAssembly entry point: makes the server-rendered page interactive (hydration).
//! Built by cargo-leptos as the `lib-package`; it holds no logic of its own.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
