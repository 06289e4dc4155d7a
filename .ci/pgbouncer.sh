#!/usr/bin/env bash
# PgBouncer in transaction mode in front of the machine's PostgreSQL (127.0.0.1:5432), for the
# pooler tests. Idempotent: installs the Debian package when missing, (re)writes its config in a
# directory of its own, starts it as the postgres user and waits until it answers.
#
#   .ci/pgbouncer.sh          start (or keep running) and print the pooler URL
#   .ci/pgbouncer.sh stop     stop it
#
# Environment: PGBOUNCER_DIR (default /tmp/aether-pgbouncer), PGBOUNCER_PORT (6432),
# PRIMARY_HOST/PRIMARY_PORT (127.0.0.1/5432), PGBOUNCER_POOL_SIZE (10).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

DIR=${PGBOUNCER_DIR:-/tmp/aether-pgbouncer}
PORT=${PGBOUNCER_PORT:-6432}
PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
POOL_SIZE=${PGBOUNCER_POOL_SIZE:-10}
RUN_AS=postgres
CONFIG="$DIR/pgbouncer.ini"
PIDFILE="$DIR/pgbouncer.pid"
LOG="$DIR/pgbouncer.log"

say() { printf '[pgbouncer] %s\n' "$*" >&2; }

# as root, run as postgres (pgbouncer refuses to run as root); as anyone else, as ourselves
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$RUN_AS" -- "$@"; else "$@"; fi
}

running_pid() {
  [ -s "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE")
  kill -0 "$pid" 2>/dev/null && grep -q pgbouncer "/proc/$pid/comm" 2>/dev/null && echo "$pid"
}

stop() {
  local pid
  if pid=$(running_pid); then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid did not stop"
      exit 1
    fi
    say "stopped (pid $pid)"
  else
    say "not running"
  fi
  rm -f "$PIDFILE"
}

install_package() {
  command -v pgbouncer >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || { say "pgbouncer is not installed and installing it needs root"; exit 1; }
  # the package would start its own pgbouncer (same port) where services may start; keep it down
  local policy=/usr/sbin/policy-rc.d added=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q pgbouncer >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q pgbouncer >/dev/null; }
  [ -z "$added" ] || rm -f "$policy"
  command -v pgbouncer >/dev/null 2>&1 || { say "installing pgbouncer failed"; exit 1; }
}

write_config() {
  mkdir -p "$DIR"
  [ "$(id -u)" != 0 ] || chown "$RUN_AS:" "$DIR"
  chmod 700 "$DIR"
  local tmp
  tmp=$(mktemp)
  cat >"$tmp" <<INI
;; written by .ci/pgbouncer.sh; edits are overwritten
[databases]
;; any database name (the tests create one per file) goes to the same server
* = host=$PRIMARY_HOST port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir = $DIR
pidfile = $PIDFILE
logfile = $LOG

;; CI only: the server trusts loopback; users must still be listed in auth_file
auth_type = trust
auth_file = $DIR/userlist.txt
admin_users = postgres
stats_users = postgres

pool_mode = transaction
max_client_conn = 1000
;; server connections per (database, user) pair: well below the server's max_connections
default_pool_size = $POOL_SIZE
min_pool_size = 0
reserve_pool_size = 0
;; pools of dropped test databases go away soon
autodb_idle_timeout = 60
server_idle_timeout = 60

;; the pg driver sends these as startup parameters; behind a transaction pooler the statement
;; timeout comes from the role (alter role … set statement_timeout) instead
ignore_startup_parameters = extra_float_digits,statement_timeout,application_name,options
INI
  cat >"$tmp.users" <<'USERS'
"postgres" ""
"aether_app_test" "aether-app-test"
USERS
  local changed=
  cmp -s "$tmp" "$CONFIG" || changed=1
  cmp -s "$tmp.users" "$DIR/userlist.txt" || changed=1
  install -m 600 "$tmp" "$CONFIG"
  install -m 600 "$tmp.users" "$DIR/userlist.txt"
  rm -f "$tmp" "$tmp.users"
  if [ "$(id -u)" = 0 ]; then chown "$RUN_AS:" "$CONFIG" "$DIR/userlist.txt"; fi
  [ -n "$changed" ]
}

answers() {
  PGCONNECT_TIMEOUT=2 psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d pgbouncer -Atc 'show version' >/dev/null 2>&1
}

start() {
  install_package
  local changed=
  if write_config; then changed=1; fi
  if running_pid >/dev/null; then
    if [ -n "$changed" ]; then
      say "configuration changed: restarting"
      stop
    elif answers; then
      echo "pgbouncer at postgresql://postgres@127.0.0.1:$PORT/<any database> (already running, pid $(cat "$PIDFILE"), config $CONFIG)"
      return 0
    else
      stop
    fi
  fi
  if PGCONNECT_TIMEOUT=2 pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    say "something else already listens on 127.0.0.1:$PORT"
    exit 1
  fi
  as_owner pgbouncer -d -q "$CONFIG"
  for _ in $(seq 100); do answers && break; sleep 0.1; done
  if ! answers; then
    say "pgbouncer did not come up; its log:"
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  # the server behind it must answer through it too
  if ! PGCONNECT_TIMEOUT=5 psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atc 'select 1' >/dev/null; then
    say "pgbouncer runs but cannot reach $PRIMARY_HOST:$PRIMARY_PORT"
    exit 1
  fi
  echo "pgbouncer at postgresql://postgres@127.0.0.1:$PORT/<any database> ($(pgbouncer --version | head -n1), transaction mode, pid $(cat "$PIDFILE"), config $CONFIG)"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: $0 [start|stop|restart]" >&2; exit 2 ;;
esac
