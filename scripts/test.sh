#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Runs every check and test, on a throwaway PostgreSQL cluster of its own (.local/pg-test, port
# 5498 or CDB_TEST_PG_PORT): formatting, licensing, the offline query data, clippy for the
# server and the browser builds, unit and database tests, the idp against the independent
# openid-client library, and browser tests in Chromium.
# A DATABASE_URL in the environment is ignored: tests never touch a developer's data.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> [%s] %s\n' "$(date +%T)" "$*" >&2; }

scripts/setup.sh test
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
unset DATABASE_URL CDB_CONFIG

step "formatting"
cargo fmt --all --check

step "licensing (REUSE): every file that git would commit"
# lint-file on git's list: reuse 6.2 walks nested git-ignored folders such as end2end/node_modules.
git ls-files -co --exclude-standard -z | xargs -0 reuse lint-file
test -f LICENSES/AGPL-3.0-or-later.txt

idp_pid=
cleanup() {
  [ -z "$idp_pid" ] || kill "$idp_pid" 2>/dev/null || true
  scripts/pg.sh stop test
}
trap cleanup EXIT
port=${CDB_TEST_PG_PORT:-5498}
admin_url=$(scripts/pg.sh start test "$port")
server_url="postgres://postgres@127.0.0.1:$port"

step "offline query data (domain/.sqlx) matches the queries and migrations"
scripts/sqlx-prepare.sh --check

export SQLX_OFFLINE=true
step "clippy: server side (ssr) and every test"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
step "clippy: browser side (hydrate, wasm32)"
cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit and database tests (a fresh database per test)"
results=$(mktemp)
# sqlx::test creates and drops its databases on this server.
DATABASE_URL="$server_url/postgres" cargo test --workspace --exclude frontend 2>&1 | tee "$results"

# The test executables (about 2 GB; not the proc-macro libraries, *.so) are not needed
# again: a small CI disk ran out in the browser step's builds once.
find target/debug/deps -maxdepth 1 -type f -executable ! -name "*.*" -newer "$results" -delete
df -h . | tail -1 >&2

step "interoperability: openid-client (npm) against the idp"
ADMIN_URL="$admin_url" scripts/interop.sh 2>&1 | tee -a "$results"

step "browser tests (Playwright, Debian Chromium)"
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS e2e WITH (FORCE)" -c "CREATE DATABASE e2e"
export DATABASE_URL="$server_url/e2e"
cargo run --quiet -p cli --bin cdb-admin -- demo-data >/dev/null
E2E_ADDR=127.0.0.1:${CDB_TEST_HTTP_PORT:-3100}
# Mail goes to a real SMTP server (aiosmtpd, scripts/smtp-sink.py); the tests read its Maildir.
# It stops when its standard input (our end of the coprocess pipe) closes.
maildir=$(mktemp -d)
smtp_port=${CDB_TEST_SMTP_PORT:-3125}
coproc SINK { exec python3 scripts/smtp-sink.py --port "$smtp_port" --maildir "$maildir/mail"; }
read -r -t 20 ready <&"${SINK[0]}" || true
[ "${ready:-}" = ready ] || { echo "the SMTP sink for the browser tests did not start" >&2; exit 1; }
export CDB_MAIL__TRANSPORT=smtp CDB_MAIL__SMTP_HOST=127.0.0.1 CDB_MAIL__SMTP_PORT="$smtp_port" \
  CDB_MAIL__SMTP_SECURITY=none CDB_MAIL__POLL_INTERVAL_MS=100
# The idp, so that the journey can log in: my.* registered as its client, mail to the same sink.
IDP_ADDR=127.0.0.1:${CDB_TEST_IDP_PORT:-3102}
cargo build --quiet -p idp -p cli
target/debug/cdb-admin client create my-supporter-app --name "Supporter app (my.*)" \
  --redirect-uri "http://$E2E_ADDR/auth/callback" --post-logout-redirect-uri "http://$E2E_ADDR/logout" \
  --grant authorization_code --scopes "openid profile email" --secret-file "$maildir/client.secret" >/dev/null
export CDB_IDP__PUBLIC_URL="http://$IDP_ADDR"
CDB_IDP__LISTEN=$IDP_ADDR RUST_LOG=warn target/debug/idp &
idp_pid=$!
# Stripe's API: the local stand-in (providers::stripe::testing) as a process, which writes every
# request it gets to a file (JSON lines) for the tests to check. It stops when its standard
# input (a FIFO we hold open) closes, or when the trap kills it.
cargo build --quiet -p providers --example stripe_stand_in --features testing
printf 'sk_test_e2e\n' >"$maildir/stripe.key"
printf 'whsec_test_e2e\n' >"$maildir/stripe.whsec"
mkfifo "$maildir/stripe.in"
target/debug/examples/stripe_stand_in "$maildir/stripe-requests.jsonl" <"$maildir/stripe.in" >"$maildir/stripe.out" &
stripe_pid=$!
exec {stripe_in}>"$maildir/stripe.in"
trap '[ -z "${stripe_pid:-}" ] || kill "$stripe_pid" 2>/dev/null || true; cleanup' EXIT
ready= stripe_url=
for _ in $(seq 200); do
  read -r ready stripe_url <"$maildir/stripe.out" 2>/dev/null || true
  [ "${ready:-}" != ready ] || break
  sleep 0.1
done
[ "${ready:-}" = ready ] && [ -n "$stripe_url" ] || { echo "the Stripe stand-in did not start" >&2; exit 1; }
CDB_HTTP__LISTEN=$E2E_ADDR CDB_HTTP__PUBLIC_URL="http://$E2E_ADDR" BASE_URL="http://$E2E_ADDR" \
  CDB_LOGIN__CLIENT_SECRET_FILE="$maildir/client.secret" MAILDIR="$maildir/mail" \
  CDB_PAYMENTS__METHODS='["bank_transfer", "stripe"]' CDB_STRIPE__API_URL="$stripe_url" \
  CDB_STRIPE__SECRET_KEY_FILE="$maildir/stripe.key" CDB_STRIPE__WEBHOOK_SECRET_FILES="[\"$maildir/stripe.whsec\"]" \
  STRIPE_REQUESTS="$maildir/stripe-requests.jsonl" \
  LEPTOS_ENV=DEV cargo leptos end-to-end 2>&1 | tee -a "$results"
kill "$idp_pid"
wait "$idp_pid" 2>/dev/null || true
idp_pid=
eval "exec $stripe_in>&-"
wait "$stripe_pid" 2>/dev/null || true
stripe_pid=
sink_in=${SINK[1]}
eval "exec $sink_in>&-"
rm -rf "$maildir"

# One closing line for every runner together.
passed=$(grep -hoE '(ok\. )?[0-9]+ passed' "$results" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
failed=$(grep -hoE '[0-9]+ failed' "$results" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
rm -f "$results"
printf '\ntests: %s passed, %s failed\n' "${passed:-0}" "${failed:-0}"
