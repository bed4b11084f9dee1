#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Runs the whole stack locally with demo data: a throwaway PostgreSQL cluster under .local/
# (unless DATABASE_URL is set), migrations, the demo supporter, the idp (id.*) on
# http://127.0.0.1:3001 with the supporter app registered as its client, and my.* on
# http://127.0.0.1:3000, until Ctrl-C. Stops what it started. Safe to run again.
#   scripts/run.sh            development build, rebuilt when sources change
#   scripts/run.sh --release  optimised build
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh run
export PATH="$PWD/end2end/node_modules/.bin:$PATH"   # binaryen >= 116 ahead of Debian's wasm-opt

started_pg=
idp_pid=
cleanup() {
  if [ -n "$idp_pid" ]; then
    kill "$idp_pid" 2>/dev/null || true
    wait "$idp_pid" 2>/dev/null || true
  fi
  if [ -n "$started_pg" ]; then
    echo "==> stopping the local PostgreSQL cluster" >&2
    scripts/pg.sh stop dev
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${DATABASE_URL:-}" ]; then
  port=${CDB_PG_PORT:-5499}
  admin_url=$(scripts/pg.sh start dev "$port")
  started_pg=1
  psql -qAt "$admin_url" -c "SELECT 1 FROM pg_database WHERE datname = 'community'" | grep -q 1 \
    || psql -q "$admin_url" -c "CREATE DATABASE community"
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/community"
fi

export SQLX_OFFLINE=true
profile=debug
cargo_profile=()
if [ "${1:-}" = --release ]; then profile=release; cargo_profile=(--release); fi
cargo build --quiet "${cargo_profile[@]}" -p cli -p idp
target/$profile/cdb-admin demo-data
mkdir -p .local
# The supporter app as the idp's client; its secret stays in .local/ (mode 600) and
# config/local.toml points login.client_secret_file at it. An existing client is brought up to
# date (its secret stays); without the secret file it is made anew.
client=(--name "Supporter app (my.*)" --redirect-uri http://127.0.0.1:3000/auth/callback
  --post-logout-redirect-uri http://127.0.0.1:3000/logout --grant authorization_code --grant refresh_token
  --scopes "openid profile email groups")
if [ -s .local/my-supporter-app.secret ] && target/$profile/cdb-admin client update my-supporter-app "${client[@]}" >/dev/null 2>&1; then
  :
else
  target/$profile/cdb-admin client delete my-supporter-app >/dev/null 2>&1 || true
  target/$profile/cdb-admin client create my-supporter-app "${client[@]}" --secret-file .local/my-supporter-app.secret
fi

export CDB_CONFIG="$PWD/config/local.toml" LEPTOS_ENV=DEV
# Ada's annual statement of her demo payments (issued once; a second run changes nothing).
target/$profile/cdb-admin statements generate --year 2026 >/dev/null
target/$profile/idp &
idp_pid=$!
echo "==> id.* on http://127.0.0.1:3001 (discovery: /.well-known/openid-configuration)" >&2
echo "==> my.* on http://127.0.0.1:3000 (demo login: ada / ada-lovelace-1815); Ctrl-C stops both" >&2
if [ "${1:-}" = --release ]; then
  cargo leptos serve --release
else
  cargo leptos watch
fi
