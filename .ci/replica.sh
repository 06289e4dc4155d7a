#!/usr/bin/env bash
# A streaming hot standby of the machine's PostgreSQL (127.0.0.1:5432) on 127.0.0.1:5433, for the
# read-replica tests. Idempotent. Databases created on the primary later (the tests create one per
# file) appear on the standby by themselves.
#
#   .ci/replica.sh [start]   allow replication on the primary, base-backup once, start the standby,
#                            wait until it streams and has caught up; print its URL
#   .ci/replica.sh stop      stop the standby; keeps its data and replication slot, so a later
#                            `start` resumes streaming without a new base backup
#   .ci/replica.sh destroy   stop it, drop its replication slot on the primary, delete its data
#   .ci/replica.sh status    say whether it runs and how far behind it is
#
# The standby uses a physical replication slot, so the primary keeps the WAL it has not received
# yet while it is stopped. Run `destroy` when done with it for good, or that WAL piles up.
#
# Environment: REPLICA_DIR (default /tmp/aether-replica), REPLICA_PORT (5433),
# PRIMARY_HOST/PRIMARY_PORT (127.0.0.1/5432), REPLICA_SLOT (aether_replica).
set -euo pipefail

DIR=${REPLICA_DIR:-/tmp/aether-replica}
PORT=${REPLICA_PORT:-5433}
PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
SLOT=${REPLICA_SLOT:-aether_replica}
RUN_AS=postgres
LOG="$DIR/log"

say() { printf '[replica] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# PostgreSQL refuses to run as root: as root, run its programs as postgres
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$RUN_AS" -- "$@"; else "$@"; fi
}
primary() { psql -X -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atc "$1"; }
standby() { PGCONNECT_TIMEOUT=3 psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atc "$1"; }

pg_is_ready=$(command -v pg_isready || echo /usr/bin/pg_isready)
"$pg_is_ready" -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" || die "the primary does not answer on $PRIMARY_HOST:$PRIMARY_PORT"
MAJOR=$(primary 'show server_version_num')
MAJOR=$((MAJOR / 10000))
BIN=${PG_BIN:-/usr/lib/postgresql/$MAJOR/bin}
[ -x "$BIN/pg_ctl" ] || die "no PostgreSQL $MAJOR binaries in $BIN (set PG_BIN)"

running() { [ -f "$DIR/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; }

allow_replication() {
  local hba
  hba=$(primary 'show hba_file')
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    [ -w "$hba" ] || die "cannot add a replication line to $hba (not writable)"
    printf '\n# added by .ci/replica.sh: streaming replication from loopback for the CI standby\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
    primary 'select pg_reload_conf()' >/dev/null
    say "allowed replication from 127.0.0.1 in $hba (primary reloaded)"
  fi
  for _ in $(seq 50); do
    [ "$(primary "select count(*) from pg_hba_file_rules where 'replication' = any(database) and error is null")" != 0 ] && return 0
    sleep 0.1
  done
  die "the primary does not list a replication rule in pg_hba_file_rules after the reload"
}

drop_slot() {
  local active
  active=$(primary "select active from pg_replication_slots where slot_name = '$SLOT'")
  [ -n "$active" ] || return 0
  [ "$active" = f ] || die "replication slot $SLOT is in use by another standby"
  primary "select pg_drop_replication_slot('$SLOT')" >/dev/null
}

base_backup() {
  say "base backup of $PRIMARY_HOST:$PRIMARY_PORT into $DIR ($(primary "select pg_size_pretty(sum(pg_database_size(oid))) from pg_database"))"
  rm -rf "$DIR"
  drop_slot
  local parent
  parent=$(dirname "$DIR")
  mkdir -p "$parent"
  as_owner "$BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$DIR" \
    -R -X stream -c fast -C -S "$SLOT" --no-password
  # Debian keeps postgresql.conf and pg_hba.conf outside the data directory: the copy has none.
  # Settings a hot standby needs at least as large as the primary's are copied from it.
  local needs
  needs=$(primary "select string_agg(name || ' = ' || setting, E'\n' order by name) from pg_settings
                   where name in ('max_connections', 'max_worker_processes', 'max_wal_senders',
                                  'max_prepared_transactions', 'max_locks_per_transaction')")
  as_owner tee "$DIR/postgresql.conf" >/dev/null <<CONF
# written by .ci/replica.sh: a hot standby of $PRIMARY_HOST:$PRIMARY_PORT
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
# queries on the standby hold back cleanup on the primary rather than being cancelled by it
hot_standby_feedback = on
wal_receiver_status_interval = 1s
timezone = 'Etc/UTC'
log_timezone = 'Etc/UTC'
datestyle = 'iso, mdy'
lc_messages = 'C.UTF-8'
lc_monetary = 'C.UTF-8'
lc_numeric = 'C.UTF-8'
lc_time = 'C.UTF-8'
default_text_search_config = 'pg_catalog.english'
$needs
CONF
  as_owner tee "$DIR/pg_hba.conf" >/dev/null <<'HBA'
# written by .ci/replica.sh
local all all trust
host all all 127.0.0.1/32 trust
HBA
  as_owner touch "$DIR/pg_ident.conf"
}

wait_caught_up() {
  local target replayed
  target=$(primary 'select pg_current_wal_lsn()')
  for _ in $(seq 300); do
    replayed=$(standby 'select pg_last_wal_replay_lsn()' 2>/dev/null || true)
    if [ -n "$replayed" ] && [ "$(primary "select '$replayed'::pg_lsn >= '$target'::pg_lsn")" = t ]; then
      return 0
    fi
    sleep 0.1
  done
  die "the standby did not catch up with the primary ($target) within 30 s; see $LOG"
}

start() {
  allow_replication
  if [ ! -f "$DIR/PG_VERSION" ] || [ ! -f "$DIR/standby.signal" ] || [ ! -f "$DIR/postgresql.conf" ]; then
    base_backup
  elif [ -z "$(primary "select 1 from pg_replication_slots where slot_name = '$SLOT'")" ]; then
    # the slot went away (primary rebuilt, or destroyed by hand): WAL may be missing, start over
    base_backup
  fi
  if ! running; then
    as_owner "$BIN/pg_ctl" -D "$DIR" -l "$LOG" -w -t 60 \
      -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp -c hot_standby=on" start >/dev/null ||
      { tail -n 20 "$LOG" >&2 || true; die "the standby did not start"; }
  fi
  [ "$(standby 'select pg_is_in_recovery()')" = t ] || die "127.0.0.1:$PORT answers but is not in recovery (not a standby)"
  # a test that paused replay (to show replica lag) and died before resuming must not leave it paused
  if [ "$(standby 'select pg_get_wal_replay_pause_state()')" != 'not paused' ]; then
    standby 'select pg_wal_replay_resume()' >/dev/null
    say "WAL replay was paused: resumed"
  fi
  for _ in $(seq 300); do
    [ "$(standby 'select status from pg_stat_wal_receiver' 2>/dev/null || true)" = streaming ] && break
    sleep 0.1
  done
  [ "$(standby 'select status from pg_stat_wal_receiver')" = streaming ] || die "the standby does not stream from the primary; see $LOG"
  wait_caught_up
  echo "replica at postgresql://postgres@127.0.0.1:$PORT/<any database> (hot standby of $PRIMARY_HOST:$PRIMARY_PORT, streaming, slot $SLOT, data $DIR)"
}

stop() {
  if running; then
    as_owner "$BIN/pg_ctl" -D "$DIR" -w -t 60 -m fast stop >/dev/null
    say "stopped"
  else
    say "not running"
  fi
}

status() {
  if running; then
    echo "running on 127.0.0.1:$PORT; in recovery: $(standby 'select pg_is_in_recovery()'); receiver: $(standby 'select status from pg_stat_wal_receiver'); replay lag: $(primary "select coalesce(r.replay_lag::text, '0') from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid where s.slot_name = '$SLOT'" 2>/dev/null || echo '?')"
  else
    echo "not running (data: $([ -f "$DIR/PG_VERSION" ] && echo "$DIR" || echo none))"
    return 3
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  destroy) stop; drop_slot; rm -rf "$DIR"; say "destroyed (slot $SLOT dropped, $DIR removed)" ;;
  status) status ;;
  *) echo "usage: $0 [start|stop|destroy|status]" >&2; exit 2 ;;
esac
