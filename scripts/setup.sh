#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Installs what the project needs and is missing; does nothing for what is already there.
#   scripts/setup.sh run    tools to build and run the stack
#   scripts/setup.sh test   the above, plus what the tests need (Chromium, Playwright, sqlx-cli, reuse)
# Versions are pinned; see docs/development.md for why each one.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-run}
CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 needs rustc 1.96
SQLX_CLI_VERSION=0.8.6
# The wasm-bindgen CLI must match the crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

say() { printf '==> %s\n' "$*" >&2; }
have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q -- "$2"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  say "please run as root: $*"; exit 1; fi; }

apt_updated=
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Tools built from crates.io are release builds of programs we only run at build time: thin
# debug-free builds without LTO take a third of the time (cargo-leptos: ~13 instead of ~31 min).
cargo_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install --quiet "$@"
}

command -v cargo >/dev/null || { say "Rust is missing: install it with rustup (https://rustup.rs), then rerun"; exit 1; }

# PostgreSQL server binaries (the scripts start a throwaway cluster), and a C toolchain.
if ! [ -x "$(pg_config --bindir 2>/dev/null)/initdb" ]; then apt_install postgresql; fi
command -v cc >/dev/null || apt_install build-essential

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if ! have_version cargo-leptos "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 13 minutes, once)"
  cargo_install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi
if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
  # Not --locked: its lockfile names a crate version the registry no longer has.
  cargo_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
command -v npm >/dev/null || apt_install nodejs npm
# binaryen >= 116 for release builds: Debian's wasm-opt 108 silently breaks hydration.
# npm ci again whenever the lockfile changed after the last install (a new test dependency).
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ ! -x end2end/node_modules/.bin/playwright ] \
  || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing npm packages (binaryen, Playwright, axe-core) into end2end/"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$what" = test ]; then
  apt_install chromium brotli
  command -v curl >/dev/null || apt_install curl
  # OpenLDAP for the LDAP directory tests (not started as a service: tests run their own).
  if ! dpkg -s slapd ldap-utils >/dev/null 2>&1; then
    apt_install slapd ldap-utils
    as_root service slapd stop >/dev/null 2>&1 || true
  fi
  # Pebble and pebble-challtestsrv: the ACME CA the proxy's certificate tests talk to.
  apt_install pebble
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    say "installing aiosmtpd (the SMTP server mail tests send to)"
    python3 -m pip install --quiet --disable-pip-version-check aiosmtpd 2>/dev/null \
      || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages aiosmtpd
  fi
  if [ ! -d interop/node_modules/openid-client ]; then
    say "installing npm packages (openid-client) into interop/"
    (cd interop && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if ! have_version sqlx "$SQLX_CLI_VERSION"; then
    say "installing sqlx-cli $SQLX_CLI_VERSION (about 2 minutes, once)"
    cargo_install sqlx-cli --version "$SQLX_CLI_VERSION" --no-default-features --features postgres,rustls --locked
  fi
  if ! command -v reuse >/dev/null; then
    say "installing reuse (REUSE compliance check)"
    python3 -m pip install --quiet --disable-pip-version-check reuse 2>/dev/null \
      || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages reuse
  fi
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
fi
