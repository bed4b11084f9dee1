// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The WebAssembly entry point: makes the interactive parts of a server-rendered page (the
//! `#[island]` components in `app`) interactive. Built by cargo-leptos as the `lib-package`; it
//! holds no logic of its own.

// The islands are exported by `app`; linking it is what puts them in this module.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
