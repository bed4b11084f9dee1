#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Verified Stripe webhook deliveries per second into the real database: a release my.* on 3207
# with Stripe configured, a throwaway cluster (.local/pg-bench-webhooks, port 5496), PLEDGES
# monthly pledges, and bench/stripe-webhooks/load.mjs sending three months of invoice.paid per
# pledge plus a partial refund of every tenth invoice, each event COPIES times at once, at most
# CONCURRENCY in flight. Afterwards it checks that every effect was applied exactly once.
#   scripts/bench-webhooks.sh [PLEDGES=1000] [COPIES=10] [CONCURRENCY=64]
# Pool size: CDB_DATABASE__MAX_CONNECTIONS (default 10). Figures go in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
pledges=${1:-1000}
copies=${2:-10}
concurrency=${3:-64}
export SQLX_OFFLINE=true
[ "${BUILD:-1}" = 0 ] || cargo build --quiet --release -p server  # BUILD=0: use the binary as it is

admin=$(scripts/pg.sh start bench-webhooks 5496)
psql -q "$admin" -c "DROP DATABASE IF EXISTS bench_webhooks WITH (FORCE)" -c "CREATE DATABASE bench_webhooks"
export DATABASE_URL=postgres://postgres@127.0.0.1:5496/bench_webhooks
work=$(mktemp -d)
secret=whsec_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$secret" >"$work/whsec"
printf 'sk_test_bench\n' >"$work/sk"
cat >"$work/bench.toml" <<EOF
[http]
listen = "127.0.0.1:3207"
public_url = "http://127.0.0.1:3207"
[log]
filter = "warn"
[mail]
outbox_dir = "$work/outbox"
[payments]
methods = ["bank_transfer", "stripe"]
[stripe]
secret_key_file = "$work/sk"
webhook_secret_files = ["$work/whsec"]
api_url = "http://127.0.0.1:1/"
EOF
RUST_LOG=${RUST_LOG:-warn} CDB_CONFIG="$work/bench.toml" target/release/server &
server=$!
trap 'kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; scripts/pg.sh stop bench-webhooks' EXIT
for _ in $(seq 1 150); do curl -sf http://127.0.0.1:3207/readyz >/dev/null && break; sleep 0.2; done
curl -sf http://127.0.0.1:3207/readyz >/dev/null || { echo "server did not start" >&2; exit 1; }

# The pledges the events name (monthly, 10.00 EUR, no person: the person checks and the
# thank-you mail are measured by the tests, not here).
psql -q -At "$DATABASE_URL" -c "INSERT INTO pledge (amount_minor, currency, period, method, reference)
  SELECT 1000, 'EUR', 'monthly', 'stripe', 'RF00B' || lpad(n::text, 10, '0') FROM generate_series(1, $pledges) n" \
  -c "SELECT id FROM pledge ORDER BY reference" >"$work/pledges"
grep -E '^[0-9a-f-]{36}$' "$work/pledges" >"$work/ids"

echo "== $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), pool ${CDB_DATABASE__MAX_CONNECTIONS:-10}"
node bench/stripe-webhooks/load.mjs http://127.0.0.1:3207/webhooks/stripe "$secret" "$work/ids" "$copies" "$concurrency"

# Exactly once: one event row per event, one payment per invoice, each refund applied once.
q() { psql -At "$DATABASE_URL" -c "$1"; }
invoices=$((pledges * 3))
refunds=$(q "SELECT count(*) FROM generate_series(1, $pledges) p, generate_series(1, 3) m WHERE ((p - 1) * 3 + m) % 10 = 0")
check() {
  local what=$1 got=$2 want=$3
  if [ "$got" = "$want" ]; then echo "ok   $what: $got"; else echo "FAIL $what: $got, expected $want"; fail=1; fi
}
fail=0
check "events stored" "$(q 'SELECT count(*) FROM webhook_event')" $((invoices + refunds))
check "payments" "$(q 'SELECT count(*) FROM payment')" "$invoices"
check "payments on their pledge" "$(q 'SELECT count(*) FROM payment p JOIN pledge l ON l.id = p.pledge_id')" "$invoices"
check "refunds applied" "$(q "SELECT count(*) FROM payment WHERE refunded_minor = 400 AND status = 'partially_refunded'")" "$refunds"
check "refund rows" "$(q 'SELECT count(*) FROM payment_adjustment WHERE applied_at IS NOT NULL')" "$refunds"
check "flags" "$(q 'SELECT count(*) FROM payment_flag')" 0
check "subscriptions" "$(q 'SELECT count(*) FROM provider_subscription')" "$pledges"
exit $fail
