#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Runs the whole stack locally with demo data: a throwaway PostgreSQL cluster under .local/
# (unless DATABASE_URL is set), migrations, the demo supporter, and my.* on
# http://127.0.0.1:3000 until Ctrl-C. Stops what it started. Safe to run again.
#   scripts/run.sh            development build, rebuilt when sources change
#   scripts/run.sh --release  optimised build
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh run
export PATH="$PWD/end2end/node_modules/.bin:$PATH"   # binaryen >= 116 ahead of Debian's wasm-opt

started_pg=
cleanup() {
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
cargo run --quiet -p cli --bin cdb-admin -- demo-data

export CDB_CONFIG="$PWD/config/local.toml" LEPTOS_ENV=DEV
echo "==> my.* on http://127.0.0.1:3000 (demo login: ada / ada-lovelace-1815); Ctrl-C stops it" >&2
if [ "${1:-}" = --release ]; then
  cargo leptos serve --release
else
  cargo leptos watch
fi
