#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# my.* under load: the server-rendered /settings page of a logged-in person against a bare axum
# handler doing the same session read and queries and answering JSON (server/examples/
# bare_settings.rs), wrk 2 threads × 32 connections × 10 s each, one run; the size of the
# hydration bundle (raw and brotli); Lighthouse 12 (bench/lighthouse, Debian's Chromium, its
# default mobile emulation) on the landing, registration and settings pages. Release builds, a throwaway cluster (.local/pg-bench, port
# 5497), my.* on 3204, the idp on 3205, the bare handler on 3206. Figures go in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }
command -v brotli >/dev/null || { echo "install brotli: apt-get install brotli" >&2; exit 1; }
export SQLX_OFFLINE=true PATH="$PWD/end2end/node_modules/.bin:$PATH"
cargo leptos build --release
cargo build --quiet --release -p idp -p cli
cargo build --quiet --release -p server --example bare_settings
(cd bench/lighthouse && [ -d node_modules/lighthouse ] || npm ci --no-audit --no-fund --loglevel=error)

admin=$(scripts/pg.sh start bench 5497)
psql -q "$admin" -c "DROP DATABASE IF EXISTS bench_server WITH (FORCE)" -c "CREATE DATABASE bench_server"
export DATABASE_URL=postgres://postgres@127.0.0.1:5497/bench_server
work=$(mktemp -d)
target/release/cdb-admin demo-data >/dev/null
target/release/cdb-admin client create my-supporter-app --name "Supporter app" \
  --redirect-uri http://127.0.0.1:3204/auth/callback --post-logout-redirect-uri http://127.0.0.1:3204/logout \
  --grant authorization_code --scopes "openid profile email" --secret-file "$work/client.secret" >/dev/null

export RUST_LOG=warn CDB_IDP__PUBLIC_URL=http://127.0.0.1:3205
CDB_IDP__LISTEN=127.0.0.1:3205 target/release/idp &
idp=$!
CDB_HTTP__LISTEN=127.0.0.1:3204 CDB_HTTP__PUBLIC_URL=http://127.0.0.1:3204 \
  CDB_LOGIN__CLIENT_SECRET_FILE="$work/client.secret" CDB_MAIL__OUTBOX_DIR="$work/outbox" target/release/server &
server=$!
CDB_HTTP__LISTEN=127.0.0.1:3206 target/release/examples/bare_settings &
bare=$!
trap 'kill $idp $server $bare 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; scripts/pg.sh stop bench' EXIT
for url in http://127.0.0.1:3205/healthz http://127.0.0.1:3204/readyz; do
  for _ in $(seq 1 100); do curl -sf "$url" >/dev/null && break; sleep 0.2; done
done

# Log the demo supporter in the way a browser does, to get a session cookie.
jar="$work/cookies"
authorize=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' http://127.0.0.1:3204/login)
curl -s -c "$jar" -b "$jar" -o /dev/null "$authorize"
back=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' -H "Origin: http://127.0.0.1:3205" \
  --data "${authorize#*\?}&identifier=ada&password=ada-lovelace-1815" http://127.0.0.1:3205/login)
curl -s -c "$jar" -b "$jar" -o /dev/null "$back"
cookie=$(awk '$6 == "cdb_session" { print "cdb_session=" $7 }' "$jar")
[ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }
curl -sf -H "Cookie: $cookie" http://127.0.0.1:3204/settings | grep -q "Ada Lovelace" || { echo "/settings does not show ada" >&2; exit 1; }
curl -sf -H "Cookie: $cookie" http://127.0.0.1:3206/settings.json | grep -q "Ada Lovelace" || { echo "the bare handler does not see the session" >&2; exit 1; }

run() { wrk -t2 -c32 -d10s --latency -H "Cookie: $cookie" "$1" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx"; }
echo "== GET /settings (server-rendered page, logged in)"; run http://127.0.0.1:3204/settings
echo "== GET /settings.json (bare axum handler, same session and queries)"; run http://127.0.0.1:3206/settings.json
echo "server RSS after the runs: $(awk '/VmRSS/ { print $2, $3 }' /proc/$server/status)"

echo "== hydration bundle (release)"
for f in target/site/pkg/community.wasm target/site/pkg/community.js target/site/pkg/community.css; do
  printf '%s: %s bytes raw, %s bytes brotli\n' "$f" "$(stat -c %s "$f")" "$(brotli -c -q 11 "$f" | wc -c)"
done

echo "== Lighthouse (performance, accessibility)"
for path in / /register /settings; do
  # Only the settings page is looked at logged in (the others are what visitors see).
  headers='{}'
  [ "$path" != /settings ] || headers="{\"Cookie\": \"$cookie\"}"
  CHROME_PATH=/usr/bin/chromium bench/lighthouse/node_modules/.bin/lighthouse "http://127.0.0.1:3204$path" \
    --quiet --only-categories=performance,accessibility --output=json --output-path="$work/lh.json" \
    --chrome-flags="--headless --no-sandbox --disable-gpu" --extra-headers="$headers"
  node -e 'const r = require(process.argv[1]); const c = r.categories;
    console.log(`${process.argv[2]}: performance ${Math.round(c.performance.score * 100)}, accessibility ${Math.round(c.accessibility.score * 100)}`);
    for (const a of Object.values(r.audits)) if (a.score !== null && a.score < 1 && r.categories.accessibility.auditRefs.some(x => x.id === a.id)) console.log(`  accessibility: ${a.id}: ${a.title}`);' \
    "$work/lh.json" "$path"
done
