#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# Our proxy against Debian's nginx and Caddy, configured alike: HTTPS on loopback with the same
# self-signed P-256 certificate (TLS 1.2 + 1.3), keep-alive to the same upstream (an nginx
# answering a fixed 13-byte body on port 3210), no access logs. wrk (2 threads, 50
# connections, 10 s, HTTP/1.1 over TLS) against each, and once against the upstream directly
# for the latency each proxy adds; idle and loaded RSS. Then sslyze's Mozilla "intermediate"
# check against our proxy. Ports 3210-3216. Figures go in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk nginx caddy openssl; do
  command -v "$tool" >/dev/null || PATH="$PATH:/usr/sbin" command -v "$tool" >/dev/null \
    || { echo "install $tool: apt-get install wrk nginx caddy openssl" >&2; exit 1; }
done
export PATH="$PATH:/usr/sbin"
SQLX_OFFLINE=true cargo build --quiet --release -p proxy
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  upstream backend { server 127.0.0.1:3210; keepalive 64; }
  server { listen 127.0.0.1:3210; location / { return 200 "hello, world\n"; } }
  server {
    listen 127.0.0.1:3212 ssl http2;
    server_name localhost;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
    ssl_session_cache shared:SSL:10m;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
CONF
cat >"$work/Caddyfile" <<CONF
{
  admin off
  auto_https off
}
https://localhost:3213 {
  tls $work/cert.pem $work/key.pem
  reverse_proxy 127.0.0.1:3210
}
CONF
cat >"$work/proxy.toml" <<CONF
[listen]
http = "127.0.0.1:3214"
https = "127.0.0.1:3211"
admin = "127.0.0.1:3215"
[tls]
default_host = "localhost"
[[site]]
hosts = ["localhost"]
certificate = { cert_file = "$work/cert.pem", key_file = "$work/key.pem" }
[[site.route]]
upstreams = ["http://127.0.0.1:3210"]
CONF

nginx -c "$work/nginx.conf" & pids+=($!)
HOME=$work XDG_DATA_HOME=$work XDG_CONFIG_HOME=$work caddy run --adapter caddyfile --config "$work/Caddyfile" >"$work/caddy.log" 2>&1 & pids+=($!)
caddy_pid=$!
RUST_LOG=warn target/release/proxy --config "$work/proxy.toml" & pids+=($!)
ours=$!
for port in 3211 3212 3213; do
  for _ in $(seq 1 50); do curl -sfk "https://localhost:$port/" >/dev/null && break; sleep 0.2; done
  curl -sfk "https://localhost:$port/" >/dev/null || { echo "nothing answers on $port" >&2; cat "$work"/*.log >&2; exit 1; }
done

# nginx: master and workers together.
nginx_pids() { echo "$(cat "$work/nginx.pid") $(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')"; }
rss() { local total=0; for pid in $*; do total=$((total + $(awk '/VmRSS/ { print $2 }' "/proc/$pid/status"))); done; echo "$((total / 1024)) MB"; }
echo "idle RSS: ours $(rss $ours), nginx $(rss $(nginx_pids)), caddy $(rss $caddy_pid)"

run() { wrk -t2 -c50 -d10s --latency "$1" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|errors"; }
echo "== upstream directly (plain HTTP)"; run http://127.0.0.1:3210/
for name in "ours 3211" "nginx 3212" "caddy 3213"; do
  set -- $name
  echo "== $1 (HTTPS)"; run "https://localhost:$2/"
done
echo "loaded RSS: ours $(rss $ours), nginx $(rss $(nginx_pids)), caddy $(rss $caddy_pid)"

if command -v sslyze >/dev/null; then
  echo "== sslyze --mozilla_config=intermediate against ours"
  sslyze --mozilla_config=intermediate localhost:3211 2>&1 | sed -n '/COMPLIANCE AGAINST/,$p' || true
else
  echo "sslyze not installed (python3 -m pip install sslyze): TLS profile check skipped"
fi
