#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# A throwaway PostgreSQL cluster under the project folder (.local/pg-NAME), on a loopback port.
#   scripts/pg.sh start NAME PORT   create if missing, start if stopped; prints the URL of database "postgres"
#   scripts/pg.sh stop NAME         stop it (the data stays until you delete .local/)
#   scripts/pg.sh status NAME       exit 0 when it runs
# Uses Debian's server binaries from `pg_config --bindir`. initdb refuses to run as root, so as
# root the cluster belongs to the "postgres" system user.
set -euo pipefail

project=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: pg.sh start NAME PORT | stop NAME | status NAME}
name=${2:?usage: pg.sh start NAME PORT | stop NAME | status NAME}
dir="$project/.local/pg-$name"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bindir() {
  local b
  b=$(pg_config --bindir 2>/dev/null) || true
  if [ -z "$b" ] || [ ! -x "$b/initdb" ]; then
    echo "pg.sh: PostgreSQL server binaries not found; install them with: apt-get install postgresql" >&2
    exit 1
  fi
  echo "$b"
}

# As root the postgres user must be able to reach the folder; a checkout under a private
# folder (mode 700) is not reachable, so fall back to one under /tmp named after the project.
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$project/.local" 2>/dev/null; then
  mkdir -p "$project/.local"
  if ! runuser -u postgres -- test -x "$project/.local" 2>/dev/null; then
    dir="/tmp/cdb-pg-$(printf '%s' "$project" | md5sum | cut -c1-8)-$name"
  fi
fi

case "$cmd" in
  start)
    port=${3:?usage: pg.sh start NAME PORT}
    bin=$(bindir)
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir"
      chmod 700 "$dir"
      as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      # Listen on loopback only; the socket lives in the cluster folder, not /var/run.
      as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
        || { echo "pg.sh: PostgreSQL did not start; see $dir/server.log (is port $port in use?)" >&2; tail -5 "$dir/server.log" >&2; exit 1; }
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  status)
    bin=$(bindir)
    [ -f "$dir/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1
    ;;
  stop)
    bin=$(bindir)
    if [ -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: pg.sh start NAME PORT | stop NAME | status NAME" >&2
    exit 2
    ;;
esac
