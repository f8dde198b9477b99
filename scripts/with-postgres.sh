#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 server, stopped and removed afterwards whatever happens.
# The command finds it in CONTEXTGRAPH_TEST_POSTGRES (a postgresql:// URL of a superuser).
# WITH_POSTGRES_SETTINGS adds server options (make bench: "-c shared_preload_libraries=pg_stat_statements").
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PGBIN/initdb" ]; then
  echo "with-postgres: PostgreSQL binaries not found in $PGBIN (apt-get install postgresql-15)" >&2
  exit 1
fi

# In the temporary folder, not the clone: as root, the postgres user may not enter a clone under a
# 0700 home (/root/…), and initdb would fail.
dir=$(mktemp -d "${TMPDIR:-/tmp}/contextgraph-pg.XXXXXX")
chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U contextgraph --no-sync >/dev/null
options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 ${WITH_POSTGRES_SETTINGS:-}"
as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "$options" start >/dev/null

export CONTEXTGRAPH_TEST_POSTGRES="postgresql://contextgraph@127.0.0.1:$port/postgres"
# What a test needs to stop and restart this server (the database-loss test).
export CONTEXTGRAPH_TEST_PGBIN="$PGBIN" CONTEXTGRAPH_TEST_PGDATA="$dir/data" CONTEXTGRAPH_TEST_PGOPTIONS="$options"
export CONTEXTGRAPH_TEST_PGLOG="$dir/log"
"$@"
