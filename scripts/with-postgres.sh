#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server, for the tests that need one.
#
#   scripts/with-postgres.sh .venv/bin/python -m pytest tests/store tests/api
#
# When Debian's server binaries are installed (package "postgresql", which puts
# initdb and pg_ctl in /usr/lib/postgresql/<version>/bin), this creates a cluster in
# a temporary directory, starts it on 127.0.0.1 at a free port (no other address),
# exports SPACEPOOL_TEST_POSTGRES_URL=postgresql+psycopg://spacepool@127.0.0.1:PORT/postgres,
# runs the command, and stops and deletes the cluster however the command ends.
# PostgreSQL refuses to run as root: as root, the server runs as the system user
# "spacepool-pg" (created on first use, no home, no login shell).
# Without the binaries it runs the command as is; the PostgreSQL cases of the
# tests then skip and say why. The command's exit status is this script's.
# SPACEPOOL_PG_SHARED_BUFFERS (e.g. 2GB) sets the server's shared_buffers, its own
# page cache (PostgreSQL's default, 128MB, otherwise): benchmarks over a catalogue
# larger than that want it to hold the tables and indexes they search.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

# A size in PostgreSQL's units (it checks the value itself when it starts).
shared_buffers="${SPACEPOOL_PG_SHARED_BUFFERS:-}"
if [ -n "$shared_buffers" ] && ! [[ "$shared_buffers" =~ ^[0-9]+(kB|MB|GB|TB)?$ ]]; then
    echo "with-postgres: SPACEPOOL_PG_SHARED_BUFFERS must be a size such as 2GB or 512MB;" \
        "got '$shared_buffers'" >&2
    exit 2
fi

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
        bindir="$candidate" # the glob sorts versions; the last one wins
    fi
done
if [ -z "$bindir" ]; then
    echo "with-postgres: PostgreSQL server binaries not installed (Debian package postgresql);" \
        "running without a server" >&2
    exec "$@"
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/spacepool-pg.XXXXXX")"
as_server=()
if [ "$(id -u)" = "0" ]; then
    if ! id spacepool-pg >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin spacepool-pg
    fi
    chown spacepool-pg "$workdir"
    as_server=(runuser -u spacepool-pg --)
fi

cleanup() {
    "${as_server[@]}" "$bindir/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_server[@]}" "$bindir/initdb" -D "$workdir/data" -U spacepool --auth=trust -E UTF8 \
    --no-sync >"$workdir/initdb.log" 2>&1 || { cat "$workdir/initdb.log" >&2; exit 1; }
# Loopback only; the socket lives in the work dir. fsync off: the cluster is thrown away.
options="-c listen_addresses=127.0.0.1 -p $port -k $workdir -c fsync=off"
if [ -n "$shared_buffers" ]; then
    options="$options -c shared_buffers=$shared_buffers"
fi
"${as_server[@]}" "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -t 60 \
    -o "$options" start >/dev/null \
    || { cat "$workdir/server.log" >&2; exit 1; }
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" \
    "(shared_buffers ${shared_buffers:-default})" >&2

export SPACEPOOL_TEST_POSTGRES_URL="postgresql+psycopg://spacepool@127.0.0.1:$port/postgres"
status=0
"$@" || status=$?
exit "$status"
