#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Regenerates domain/.sqlx, the offline data of every checked query, from a fresh database with
# all migrations applied; with --check, fails instead when the committed data is out of date.
# Run it after changing a query or adding a migration, and commit domain/.sqlx.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

port=${CDB_TEST_PG_PORT:-5498}
was_running=
scripts/pg.sh status test && was_running=1
admin_url=$(scripts/pg.sh start test "$port")
[ -n "$was_running" ] || trap '"$root/scripts/pg.sh" stop test' EXIT
url="postgres://postgres@127.0.0.1:$port/sqlx_check"

psql -q "$admin_url" -c "DROP DATABASE IF EXISTS sqlx_check WITH (FORCE)" -c "CREATE DATABASE sqlx_check"
DATABASE_URL="$url" sqlx migrate run --source migrations >/dev/null
cd domain
if [ "${1:-}" = --check ]; then
  DATABASE_URL="$url" SQLX_OFFLINE=false cargo sqlx prepare --check -- --all-targets
else
  DATABASE_URL="$url" SQLX_OFFLINE=false cargo sqlx prepare -- --all-targets
fi
