#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Interoperability: starts the idp on a fresh database (ADMIN_URL names a PostgreSQL server
# where it may create one), registers a client with cdb-admin, and runs the independent
# openid-client library against it (interop/openid-client.mjs). Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ADMIN_URL:?set ADMIN_URL to a PostgreSQL URL where a database may be created}"

port=${CDB_INTEROP_PORT:-3101}
db=interop
base=${ADMIN_URL%/*}
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
export DATABASE_URL="$base/$db" SQLX_OFFLINE=true

(cd interop && [ -d node_modules/openid-client ] || npm ci --no-audit --no-fund --silent)
cargo build --quiet -p idp -p cli
admin=target/debug/cdb-admin
"$admin" demo-data >/dev/null
secret_file=$(mktemp)
log=$(mktemp)
trap 'rm -f "$secret_file" "$log"; [ -n "${idp_pid:-}" ] && kill "$idp_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
"$admin" client create interop --name "Interop test" \
  --redirect-uri "http://127.0.0.1:9/callback" --post-logout-redirect-uri "http://127.0.0.1:9/logged-out" \
  --grant authorization_code --grant refresh_token --scopes "openid profile email groups" \
  --secret-file "$secret_file" >/dev/null

CDB_IDP__LISTEN="127.0.0.1:$port" CDB_IDP__PUBLIC_URL="http://127.0.0.1:$port" target/debug/idp >"$log" 2>&1 &
idp_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

if ISSUER="http://127.0.0.1:$port" CLIENT_ID=interop CLIENT_SECRET="$(cat "$secret_file")" \
  REDIRECT_URI="http://127.0.0.1:9/callback" POST_LOGOUT_URI="http://127.0.0.1:9/logged-out" \
  LOGIN=ada PASSWORD=ada-lovelace-1815 node interop/openid-client.mjs; then
  status=0
else
  status=1
  echo "--- idp log ---" >&2
  cat "$log" >&2
fi
# The idp log must never contain a secret, a password or a token.
if grep -qE "ada-lovelace-1815|$(cat "$secret_file")|eyJ" "$log"; then
  echo "the idp logged a secret:" >&2
  cat "$log" >&2
  status=1
fi
exit $status
