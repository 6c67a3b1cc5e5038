#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on loopback, then remove the cluster.
#   scripts/with-postgres.sh pytest tests/
# The command sees TEST_DATABASE_URL (an empty database) and REQUIRE_POSTGRES=1, and the
# TEST_POSTGRES_* variables below for stopping and starting the cluster.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` account.
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
fi
work=$(mktemp -d /tmp/training-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  chown postgres "$work"
  run_as=(runuser -u postgres --)
fi
cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"${run_as[@]}" "$bindir/initdb" -D "$work/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
# Durability is pointless for a throwaway cluster; turning it off makes the suite faster.
# (The scale-out test stops this cluster with -m immediate and starts it again with the same
# options, so it turns synchronous_commit back on for its own database: see bench/scale_test.py.)
options="-h 127.0.0.1 -p $port -k $work -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
"${run_as[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 -o "$options" start >/dev/null \
  || { cat "$work/server.log" >&2; exit 1; }
"${run_as[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres training_test
echo "==> PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/training_test"
export REQUIRE_POSTGRES=1
# For a test that restarts the cluster (bench/scale_test.py): pg_ctl, data folder, options, log.
export TEST_POSTGRES_PG_CTL="$bindir/pg_ctl" TEST_POSTGRES_DATA="$work/data" TEST_POSTGRES_OPTIONS="$options" \
  TEST_POSTGRES_LOG="$work/server.log"
"$@"
