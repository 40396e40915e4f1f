#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for `make test-postgres` and print its URL on stdout.
# Installs Debian's postgresql package when it is missing (CI runs as root on Debian).
# Exits non-zero when no server can be had; .ci/run then says so and runs the SQLite suite only.
set -euo pipefail
PORT=${ZYKLUS_PG_PORT:-54329}
DIR=${ZYKLUS_PG_DIR:-/tmp/zyklus-postgres}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
  command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] || exit 1
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } \
    >&2 || exit 1
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
if ! as_postgres "$bin/pg_isready -q -h $DIR -p $PORT"; then
  rm -rf "$DIR" && mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  as_postgres "$bin/initdb -D $DIR/data -A trust -U postgres" >&2
  as_postgres "$bin/pg_ctl -D $DIR/data -o '-p $PORT -k $DIR -c listen_addresses=' -l $DIR/log -w start" >&2
fi
echo "postgresql+psycopg://postgres@/postgres?host=$DIR&port=$PORT"
