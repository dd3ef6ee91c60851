#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on 127.0.0.1 (and a Unix socket in its folder).
#   .ci/postgres.sh install      install Debian's postgresql when no server binaries are there (needs root)
#   .ci/postgres.sh start DIR    initdb + start in DIR (created, owned by the postgres user); prints the URL
#   .ci/postgres.sh stop DIR     stop the cluster and remove DIR
# initdb and pg_ctl refuse to run as root: as root they run as the postgres user.
set -euo pipefail

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; fi
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  install)
    if [ -z "$(bindir)" ]; then
      echo "== installing PostgreSQL (Debian's postgresql package)" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql >&2
    fi
    ;;
  start)
    dir=${2:?usage: postgres.sh start DIR}
    bin=$(bindir)
    if [ -z "$bin" ]; then echo "PostgreSQL server binaries not found: run .ci/postgres.sh install (as root) or apt-get install postgresql" >&2; exit 1; fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    # A password with characters that URL-encoding changes, so the tests see every form of it.
    pass="t3st-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')-p@ss:w/rd"
    printf '%s\n' "$pass" > "$dir/pw"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/pw"
    as_pg "$bin/initdb" -D "$dir/data" -U acsync --pwfile="$dir/pw" -A scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1
    rm -f "$dir/pw"
    port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40" start >/dev/null
    enc=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$pass")
    PGPASSWORD="$pass" "$bin/psql" -q -h 127.0.0.1 -p "$port" -U acsync -d postgres -c 'create database acsync_test' >/dev/null
    echo "postgres://acsync:$enc@127.0.0.1:$port/acsync_test"
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop DIR}
    bin=$(bindir)
    if [ -n "$bin" ] && [ -d "$dir/data" ]; then as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: postgres.sh install | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
