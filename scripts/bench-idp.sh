#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# The idp against npm oidc-provider (bench/oidc-provider, configured alike: ES256, a
# confidential client with client_secret_basic, JWT access tokens), both on loopback on this
# machine: discovery, JWKS and client_credentials token grants with wrk (2 threads, 32
# connections, 10 s each), idle and loaded RSS; then complete code + PKCE logins against our idp
# with and without a password check (bench/login.mjs). Our idp uses a throwaway cluster
# (.local/pg-bench, port 5497) and port 3202; oidc-provider port 3203. Last, the same logins with
# the idp checking passwords in OpenLDAP (the test directory of hosting::testing::Slapd).
# `scripts/bench-idp.sh burst` runs only the burst: 2,000 simultaneous logins with random names
# from 249 loopback addresses (bench/login-burst.mjs), once as they come and once retrying each
# 503 after its Retry-After; it reports the idp's peak RSS (VmHWM, reset before each run) and
# the password checks per second. Figures go in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
only=${1:-all}
[ "$only" = burst ] || command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }
export SQLX_OFFLINE=${SQLX_OFFLINE:-true}
cargo build --quiet --release -p idp -p cli
if [ "$only" != burst ]; then
  cargo build --quiet --release -p hosting --features testing --example slapd
  (cd bench/oidc-provider && [ -d node_modules/oidc-provider ] || npm ci --no-audit --no-fund --loglevel=error)
fi

admin=$(scripts/pg.sh start bench 5497)
psql -q "$admin" -c "DROP DATABASE IF EXISTS bench_idp WITH (FORCE)" -c "CREATE DATABASE bench_idp"
export DATABASE_URL=postgres://postgres@127.0.0.1:5497/bench_idp
work=$(mktemp -d)
target/release/cdb-admin demo-data >/dev/null
target/release/cdb-admin client create svc --name "Bench service" --grant client_credentials --scopes email \
  --secret-file "$work/svc.secret" >/dev/null
target/release/cdb-admin client create web --name "Bench web" --redirect-uri http://127.0.0.1:9/callback \
  --grant authorization_code --secret-file "$work/web.secret" >/dev/null
secret=$(cat "$work/svc.secret")

RUST_LOG=warn CDB_IDP__LISTEN=127.0.0.1:3202 CDB_IDP__PUBLIC_URL=http://127.0.0.1:3202 target/release/idp &
ours=$!

rss() { awk '/VmRSS/ { printf "%s %s", $2, $3 }' "/proc/$1/status"; }
peak() { awk '/VmHWM/ { printf "%s %s", $2, $3 }' "/proc/$1/status"; }

if [ "$only" = burst ]; then
  trap 'kill $ours 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; scripts/pg.sh stop bench' EXIT
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:3202/readyz >/dev/null && break; sleep 0.2; done
  echo "cores: $(nproc); idle RSS: idp $(rss $ours)"
  for retry in 0 1; do
    echo 5 >"/proc/$ours/clear_refs" # resets VmHWM to the current RSS
    ISSUER=http://127.0.0.1:3202 CLIENT_ID=web REDIRECT_URI=http://127.0.0.1:9/callback RETRY=$retry \
      node bench/login-burst.mjs "${BURST:-2000}"
    echo "RETRY=$retry: peak RSS during the burst $(peak $ours), RSS after $(rss $ours)"
  done
  exit 0
fi

PORT=3203 CLIENT_SECRET="$secret" NODE_ENV=production node bench/oidc-provider/server.mjs >/dev/null 2>&1 &
theirs=$!
slapd=
trap 'kill $ours $theirs $slapd 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; scripts/pg.sh stop bench' EXIT
for port in 3202 3203; do
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/.well-known/openid-configuration" >/dev/null && break; sleep 0.2; done
done

echo "idle RSS: idp $(rss $ours), oidc-provider $(rss $theirs)"

cat >"$work/token.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=email"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $(printf 'svc:%s' "$secret" | base64 -w0)"
LUA
run() { wrk -t2 -c32 -d10s --latency "$@" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx"; }
for name in "idp 3202 /jwks" "oidc-provider 3203 /jwks"; do
  set -- $name
  echo "== $1: GET discovery";        run "http://127.0.0.1:$2/.well-known/openid-configuration"
  echo "== $1: GET JWKS";             run "http://127.0.0.1:$2$3"
  echo "== $1: client_credentials";   run -s "$work/token.lua" "http://127.0.0.1:$2/token"
done
echo "loaded RSS: idp $(rss $ours) (peak $(peak $ours)), oidc-provider $(rss $theirs) (peak $(peak $theirs))"

echo "== idp: complete logins, one after another"
ISSUER=http://127.0.0.1:3202 CLIENT_ID=web CLIENT_SECRET="$(cat "$work/web.secret")" \
  REDIRECT_URI=http://127.0.0.1:9/callback node bench/login.mjs 50

echo "== idp with idp.directory = \"ldap\" (slapd, simple bind): complete logins, one after another"
kill $ours; wait $ours 2>/dev/null || true
target/release/examples/slapd >"$work/slapd.url" &
slapd=$!
for _ in $(seq 1 100); do [ -s "$work/slapd.url" ] && break; sleep 0.1; done
printf reader-secret >"$work/ldap.secret"
RUST_LOG=warn CDB_IDP__LISTEN=127.0.0.1:3202 CDB_IDP__PUBLIC_URL=http://127.0.0.1:3202 CDB_IDP__DIRECTORY=ldap \
  CDB_LDAP__URL="$(head -1 "$work/slapd.url")" CDB_LDAP__BIND_DN=cn=reader,dc=example,dc=org \
  CDB_LDAP__BIND_PASSWORD_FILE="$work/ldap.secret" CDB_LDAP__BASE_DN=dc=example,dc=org \
  CDB_LDAP__GROUP_BASE_DN=ou=groups,dc=example,dc=org target/release/idp &
ours=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:3202/.well-known/openid-configuration" >/dev/null && break; sleep 0.2; done
ISSUER=http://127.0.0.1:3202 CLIENT_ID=web CLIENT_SECRET="$(cat "$work/web.secret")" LOGIN=grace PASSWORD=grace-hopper-1906 \
  REDIRECT_URI=http://127.0.0.1:9/callback node bench/login.mjs 50
