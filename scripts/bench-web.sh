#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Throughput of the release server on loopback, with wrk (Debian package `wrk`): the landing
# page, the registration page, and the health endpoints; plus idle and loaded RSS.
# Uses its own throwaway cluster (.local/pg-bench, port 5497) and port 3200. Figures go in
# BENCHMARKS.md. Each wrk run is bounded: 2 threads, 32 connections, 10 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }
export PATH="$PWD/end2end/node_modules/.bin:$PATH" SQLX_OFFLINE=true
cargo leptos build --release >/dev/null

admin=$(scripts/pg.sh start bench 5497)
psql -q "$admin" -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
DATABASE_URL=postgres://postgres@127.0.0.1:5497/bench CDB_HTTP__LISTEN=127.0.0.1:3200 \
  CDB_HTTP__PUBLIC_URL=http://127.0.0.1:3200 LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  target/release/server &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; scripts/pg.sh stop bench' EXIT
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:3200/readyz >/dev/null && break; sleep 0.2; done

echo "idle RSS: $(awk '/VmRSS/ { print $2, $3 }' /proc/$server/status)"
for path in / /register /healthz /readyz; do
  echo "== GET $path"
  wrk -t2 -c32 -d10s -H 'accept-language: en' --latency "http://127.0.0.1:3200$path" \
    | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx"
done
# A visitor with a session: every page view reads it once (server/src/session_view.rs).
cookie=$(curl -s -o /dev/null -D - -X POST -H 'Origin: http://127.0.0.1:3200' -d amount=25 http://127.0.0.1:3200/amount \
  | awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2 }')
echo "== GET /register with a session cookie"
wrk -t2 -c32 -d10s -H 'accept-language: en' -H "Cookie: $cookie" --latency http://127.0.0.1:3200/register \
  | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx"
echo "loaded RSS: $(awk '/VmRSS/ { print $2, $3 }' /proc/$server/status), peak $(awk '/VmHWM/ { print $2, $3 }' /proc/$server/status)"
