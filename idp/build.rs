// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Generates the `i18n` module from `locales/*.json` (leptos_i18n). English is the default
//! locale and the fallback for a missing key; `tests/locales.rs` fails when a key is missing.
//! (The idp has its own texts: its pages are rendered once on the server and never hydrated.)

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    let out_dir = std::env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR for build scripts")?;
    // interpolate_display: titles and attributes need translated text with values as plain strings.
    let config =
        Config::new("en")?.add_locale("de")?.parse_options(ParseOptions::default().interpolate_display(true));
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(PathBuf::from(out_dir).join("i18n"))?;
    Ok(())
}
