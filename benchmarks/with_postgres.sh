#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server (as root, the recipe of .ci/run),
# stopped and removed by a trap however the command ends.
#
#   benchmarks/with_postgres.sh python benchmarks/bench_reassess.py --patients 100000
#   benchmarks/with_postgres.sh python -m pytest tests/integration -q
#
# The command sees ISOCOURSE_TEST_POSTGRES_URL (an empty database it may wipe).
# The server runs with fsync=off unless PG_DURABLE=1 (benchmarks of crash safety
# must set it; the reassess benchmark reports which it used).
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGTMP=$(mktemp -d); chown postgres:postgres "$PGTMP"
PGPORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
trap 'runuser -u postgres -- $PGBIN/pg_ctl -D "$PGTMP/data" -m fast -w stop >/dev/null; rm -rf "$PGTMP"' EXIT
runuser -u postgres -- $PGBIN/initdb -D "$PGTMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
FSYNC="-c fsync=off"
if [[ "${PG_DURABLE:-0}" == "1" ]]; then FSYNC=""; fi
runuser -u postgres -- $PGBIN/pg_ctl -D "$PGTMP/data" -l "$PGTMP/log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP $FSYNC" start >/dev/null
runuser -u postgres -- $PGBIN/createdb -h 127.0.0.1 -p "$PGPORT" -U postgres isocourse_test
export ISOCOURSE_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PGPORT/isocourse_test
export PG_FSYNC=$([[ -z "$FSYNC" ]] && echo on || echo off)
"$@"
