#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers on loopback, for the test suite and the benchmarks
# (and Debian's Chromium for the browser tests, installed when missing).
#
#   scripts/services.sh start         install (Debian packages) if missing, start both
#   scripts/services.sh stop          stop both
#   scripts/services.sh env           print the environment that points at them
#   scripts/services.sh run -- CMD    start, run CMD with that environment, stop (always)
#
# They listen on 127.0.0.1 only, on non-default ports (DSAR_TEST_PG_PORT, default 55432;
# DSAR_TEST_REDIS_PORT, default 56379), keep their data under var/services/, and trust any
# local connection: they hold nothing but test data and are removed by `make clean`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
services="$root/var/services"
pg_port=${DSAR_TEST_PG_PORT:-55432}
redis_port=${DSAR_TEST_REDIS_PORT:-56379}

say() { echo "services: $*" >&2; }

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

install_missing() {
  local need=()
  pg_bin >/dev/null || need+=(postgresql)
  command -v redis-server >/dev/null || need+=(redis-server)
  # The browser tests drive Debian's Chromium (never a downloaded browser); the PDF tests
  # render with WeasyPrint (Pango, fonts with Chinese glyphs) and look at pages with pdftoppm.
  command -v chromium >/dev/null || need+=(chromium)
  command -v pdftoppm >/dev/null || need+=(poppler-utils)
  [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
  # ldconfig is in /sbin, which a normal user's PATH may not name. grep reads the whole list:
  # with -q it would stop early, ldconfig would die of SIGPIPE and pipefail would call Pango missing.
  "$(type -P ldconfig || echo /sbin/ldconfig)" -p 2>/dev/null | grep libpangoft2-1.0 >/dev/null ||
    need+=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing ${need[*]}: install them with 'sudo apt-get install ${need[*]}' and run again"
    exit 1
  fi
  say "installing ${need[*]} from Debian's packages"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# PostgreSQL refuses to run as root: as root, its files belong to the 'postgres' user and
# its commands run as that user.
as_pg() {
  # From /: the postgres user may not enter the checkout (a private directory).
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The data folder is var/services/pg when the 'postgres' user can reach it, or else a
# folder under /tmp (a checkout inside a private home directory). Its path is remembered.
pg_home() {
  local remembered="$services/pg.path"
  if [ -f "$remembered" ]; then cat "$remembered"; return; fi
  local home="$services/pg"
  mkdir -p "$home"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$home"
    if ! runuser -u postgres -- test -w "$home"; then
      home=$(mktemp -d /tmp/dsar-test-pg.XXXXXX)
      chown postgres: "$home"
    fi
  fi
  echo "$home" >"$remembered"
  echo "$home"
}

start_pg() {
  local bin home
  bin=$(pg_bin)
  home=$(pg_home)
  if as_pg "$bin/pg_ctl" -D "$home/data" status >/dev/null 2>&1; then
    say "PostgreSQL already running on 127.0.0.1:$pg_port"
    return 0
  fi
  if [ ! -f "$home/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$home/data" -U dsar --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  # fsync and friends are off: this server holds throwaway test data and should be fast.
  if ! as_pg "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null; then
    say "PostgreSQL did not start on 127.0.0.1:$pg_port (another server there? set DSAR_TEST_PG_PORT):"
    tail -n 5 "$home/server.log" >&2
    exit 1
  fi
  as_pg "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U dsar -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname = 'dsar'" | grep -q 1 ||
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U dsar dsar
  say "PostgreSQL on 127.0.0.1:$pg_port"
}

stop_pg() {
  local bin home
  bin=$(pg_bin) || return 0
  [ -f "$services/pg.path" ] || return 0
  home=$(cat "$services/pg.path")
  if as_pg "$bin/pg_ctl" -D "$home/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null
    say "PostgreSQL stopped"
  fi
}

start_redis() {
  mkdir -p "$services/redis"
  if redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    say "Redis already running on 127.0.0.1:$redis_port"
    return 0
  fi
  redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes \
    --dir "$services/redis" --pidfile "$services/redis/redis.pid" --logfile "$services/redis/redis.log" \
    --save '' --appendonly no --databases 64
  local i
  for i in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && { say "Redis on 127.0.0.1:$redis_port"; return 0; }
    sleep 0.1
  done
  say "Redis did not start; see $services/redis/redis.log"
  exit 1
}

stop_redis() {
  if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    say "Redis stopped"
  fi
}

print_env() {
  echo "export DATABASE_URL=postgres://dsar@127.0.0.1:$pg_port/dsar"
  echo "export CELERY_BROKER_URL=redis://127.0.0.1:$redis_port/0"
  echo "export DSAR_TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
  echo "export DSAR_CACHE_URL=redis://127.0.0.1:$redis_port/0"
}

case "${1:-}" in
  start) install_missing; start_pg; start_redis ;;
  stop) stop_redis; stop_pg ;;
  env) print_env ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    install_missing
    trap 'stop_redis; stop_pg' EXIT
    start_pg
    start_redis
    eval "$(print_env)"
    "$@"
    ;;
  *) echo "usage: $0 start|stop|env|run -- COMMAND" >&2; exit 2 ;;
esac
