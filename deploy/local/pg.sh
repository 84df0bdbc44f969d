#!/bin/sh
# A private PostgreSQL for `make run` and the tests: its own data directory,
# a unix socket inside it, no TCP port (so nothing clashes), superuser
# "peakdesk" trusted on the socket. PostgreSQL refuses to run as root, so
# under root the server runs as the unprivileged "postgres" user.
#
#   pg.sh start DIR [fast]   initdb if needed, start; prints the conninfo
#   pg.sh stop DIR           fast shutdown
#   pg.sh conninfo DIR       prints the conninfo
# "fast" turns fsync off: for throwaway test clusters only.
set -eu
cmd=${1:?usage: pg.sh start|stop|conninfo DIR [fast]}
dir=${2:?usage: pg.sh start|stop|conninfo DIR [fast]}
mode=${3:-}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    # setpriv keeps our environment and working directory, unlike su.
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conninfo="host=$dir dbname=peakdesk user=peakdesk"

case "$cmd" in
conninfo)
  echo "$conninfo" ;;
start)
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$dir"
    if ! setpriv --reuid=postgres --regid=postgres --init-groups -- test -w "$dir"; then
      echo "pg.sh: user postgres cannot reach $dir (a parent directory is closed to it)" >&2
      exit 1
    fi
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bindir/initdb" -D "$dir/data" -U peakdesk --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  opts="-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=200 -c shared_buffers=256MB"
  if [ "$mode" = fast ]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "$opts" -w -t 60 start >/dev/null; then
    tail -n 20 "$dir/postgres.log" >&2
    exit 1
  fi
  # The database the suite lives in.
  if ! "$bindir/psql" -h "$dir" -U peakdesk -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'peakdesk'" | grep -q 1; then
    "$bindir/psql" -h "$dir" -U peakdesk -d postgres -qc "CREATE DATABASE peakdesk" >/dev/null
  fi
  echo "$conninfo" ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi ;;
*)
  echo "usage: pg.sh start|stop|conninfo DIR [fast]" >&2; exit 2 ;;
esac
