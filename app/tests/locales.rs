// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Every locale has every key, and the same placeholders in each text. leptos_i18n would fall
//! back to English silently; a reader of German should never meet an English sentence.
//! Checks the idp's locale files too (`idp/locales`), which follow the same rules.

// Helpers outside #[test] functions: a broken locale file should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// key path -> set of `{{ placeholder }}` names
fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, BTreeSet<String>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                flatten(&path, child, out);
            }
        }
        Value::String(text) => {
            let placeholders = text
                .split("{{")
                .skip(1)
                .filter_map(|rest| rest.split_once("}}").map(|(name, _)| name.trim().to_owned()))
                .collect();
            out.insert(prefix.to_owned(), placeholders);
        }
        other => panic!("{prefix}: translations must be strings or objects, found {other}"),
    }
}

fn load(path: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut keys = BTreeMap::new();
    flatten("", &json, &mut keys);
    keys
}

#[test]
fn every_locale_has_every_key_with_the_same_placeholders() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR"));
    check(&app.join("locales"));
    check(&app.join("../idp/locales"));
}

fn check(dir: &Path) {
    let english = load(&dir.join("en.json"));
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let other = load(&path);
        let name = path.display();
        let missing: Vec<_> = english.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !english.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{name} lacks keys: {missing:?}");
        assert!(extra.is_empty(), "{name} has keys English lacks: {extra:?}");
        for (key, placeholders) in &english {
            assert_eq!(&other[key], placeholders, "{name}: placeholders of {key} differ from English");
        }
        checked += 1;
    }
    assert!(checked >= 2, "expected at least English and German, found {checked} locale files");
}
