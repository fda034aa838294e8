#!/usr/bin/env bash
# A throwaway PostgreSQL for Candor's tests: a fresh cluster in a temporary directory, owned by the
# postgres user (initdb refuses root), listening on 127.0.0.1 only, on a fixed unusual port, with trust
# authentication (acceptable only because nothing but this machine can reach it and it holds test data).
#
#   scripts/test-postgres.sh start   # prints the connection string; export it as CANDOR_TEST_POSTGRES
#   scripts/test-postgres.sh stop    # stops the cluster and deletes its directory
#
# Settings: CANDOR_TEST_PG_PORT (default 54329), CANDOR_TEST_PG_DIR (default /tmp/candor-test-postgres),
# CANDOR_TEST_PG_BIN (default: the newest /usr/lib/postgresql/*/bin), CANDOR_TEST_PG_FSYNC (default off;
# "on" for benchmarks, where commits must really reach the disk).
set -euo pipefail

port=${CANDOR_TEST_PG_PORT:-54329}
dir=${CANDOR_TEST_PG_DIR:-/tmp/candor-test-postgres}
bin=${CANDOR_TEST_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
fsync=${CANDOR_TEST_PG_FSYNC:-off}
connection="Host=127.0.0.1;Port=${port};Username=postgres;Database=postgres"

if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "test-postgres: PostgreSQL binaries not found (apt-get install -y postgresql)" >&2
  exit 1
fi

# Runs a command as the postgres user when we are root, as ourselves otherwise.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      echo "$connection"
      exit 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off unless asked: the cluster is thrown away after the run and no test simulates a power cut, while each
    # test class creates and drops its own database, which with fsync on costs about a second each.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=$dir -c max_connections=300 -c fsync=${fsync} -c full_page_writes=${fsync}" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$connection"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
