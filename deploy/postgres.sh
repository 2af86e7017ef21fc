#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, on 127.0.0.1:${PG_PORT:-15432},
# with one database per service. Uses Debian's PostgreSQL binaries (installed if missing)
# but not Debian's cluster management: the cluster lives in the project's state folder.
#
#   deploy/postgres.sh start | stop | status | psql [db] [psql args]
#
# State: ${TOGETHER_STATE_DIR:-<repo>/.run}/postgres/ (see deploy/README.md).
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/secrets.sh
. "$DEPLOY_DIR/lib/secrets.sh"
# The SQL that makes the service roles and databases, shared with the Compose PostgreSQL.
SQL_DIR=$DEPLOY_DIR/postgres
REPO_ROOT=$(dirname "$DEPLOY_DIR")
STATE_DIR=${TOGETHER_STATE_DIR:-$REPO_ROOT/.run}
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd)

PG_HOST=127.0.0.1
PG_PORT=${PG_PORT:-15432}
PG_USER=together
PG_PASSWORD=${PG_PASSWORD:-together}
PG_OS_USER=postgres
# Each service logs in as a role of its own that owns its database and nothing else.
SERVICE_ROLES="registration matching pairing scheduling notifications"
SERVICE_DATABASES="$SERVICE_ROLES bench"
# The services' development passwords, generated at the first start (one file each, 0600).
SECRETS_DIR=$STATE_DIR/secrets/postgres
PG_EXTRA_DATABASES=${PG_EXTRA_DATABASES:-}

log() { printf 'postgres: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- binaries and OS user -------------------------------------------------------------

newest_pg_bin() {
    local dirs=(/usr/lib/postgresql/*/bin)
    [[ -d ${dirs[0]} ]] || return 0 # no match: the glob stays unexpanded
    printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1
}

install_postgres() {
    [[ -n $(newest_pg_bin) && -x $(newest_pg_bin)/initdb ]] && return 0
    ((EUID == 0)) || die "PostgreSQL is not installed and we are not root: apt-get install postgresql"
    log "installing Debian's PostgreSQL (apt-get)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends postgresql >/dev/null
}

# PostgreSQL refuses to run as root: as root we act as the postgres OS user.
ensure_os_user() {
    ((EUID == 0)) || return 0
    id -u "$PG_OS_USER" >/dev/null 2>&1 && return 0
    log "creating system user $PG_OS_USER"
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$PG_OS_USER"
}

# Run a server-side command as the cluster's owner, from a folder it can read (initdb
# and pg_ctl fail with "could not identify current directory" in /root otherwise).
as_owner() {
    if ((EUID == 0)); then
        (cd "$PG_ROOT" && runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd "$PG_ROOT" && "$@")
    fi
}

give_to_owner() {
    if ((EUID == 0)); then chown "$PG_OS_USER:" "$@"; fi
}

# --- where the cluster lives ----------------------------------------------------------

# <state>/postgres normally. If the postgres user cannot reach it (a repo under /root,
# 0700) or the socket path would be too long (108 bytes), use /var/lib/together/<hash>:
# opening up /root is not an option. Not /var/tmp: systemd-tmpfiles ages it out.
choose_pg_root() {
    PG_ROOT=$STATE_DIR/postgres
    local socket=$PG_ROOT/.s.PGSQL.$PG_PORT
    if ((EUID != 0)) || { runuser -u "$PG_OS_USER" -- test -x "$STATE_DIR" 2>/dev/null && ((${#socket} < 100)); }; then
        return 0
    fi
    local hash
    hash=$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12)
    PG_ROOT=/var/lib/together/$hash/postgres
    FALLBACK=1
}

set_paths() {
    FALLBACK=0
    choose_pg_root
    PGDATA_DIR=$PG_ROOT/data
    PG_LOG=$PG_ROOT/postgres.log
    export PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5
}

announce_location() {
    if ((FALLBACK)); then
        log "$STATE_DIR is not reachable by the $PG_OS_USER user; the cluster lives in $PG_ROOT"
        # A pointer for people looking in the usual place.
        echo "$PG_ROOT" >"$STATE_DIR/postgres.location"
    fi
}

# --- cluster --------------------------------------------------------------------------

init_cluster() {
    [[ -f $PGDATA_DIR/PG_VERSION ]] && return 0
    log "creating cluster in $PGDATA_DIR (superuser $PG_USER)"
    mkdir -p "$PG_ROOT"
    give_to_owner "$PG_ROOT"
    local pwfile=$PG_ROOT/.pwfile
    (umask 077 && printf '%s\n' "$PG_PASSWORD" >"$pwfile")
    give_to_owner "$pwfile"
    # scram for sockets and TCP alike: every client, including this script, uses the password.
    if ! as_owner "$PG_BIN/initdb" -D "$PGDATA_DIR" --username="$PG_USER" --pwfile="$pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C >"$PG_ROOT/initdb.log" 2>&1; then
        rm -f "$pwfile"
        cat "$PG_ROOT/initdb.log" >&2
        die "initdb failed"
    fi
    rm -f "$pwfile"
    # Our settings live in their own file, rewritten at every start (write_settings).
    echo "include_if_exists = 'together.conf'" >>"$PGDATA_DIR/postgresql.conf"
}

write_settings() {
    as_owner tee "$PGDATA_DIR/together.conf" >/dev/null <<EOF
# Written by deploy/postgres.sh at every start: edit the script, not this file.
listen_addresses = '$PG_HOST'
port = $PG_PORT
# Not /var/run/postgresql: that belongs to Debian's own clusters.
unix_socket_directories = '$PG_ROOT'
# Five services with connection pools plus tests.
max_connections = 200
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
EOF
}

running() { as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; }

port_in_use() { timeout 2 bash -c "exec 3<>/dev/tcp/$PG_HOST/$PG_PORT" 2>/dev/null; }

psql_admin() {
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$@"
}

# The owner of a database: the service's own role for a service database, else the administrator.
owner_of() {
    case " $SERVICE_ROLES " in
    *" $1 "*) echo "$1" ;;
    *) echo "$PG_USER" ;;
    esac
}

password_file() { echo "$SECRETS_DIR/$1.password"; }

# A random password per service role, made once (mode 0600) and set at every start, so that a file
# an operator replaced takes effect.
create_roles() {
    local role
    # shellcheck disable=SC2086 # a list of names
    make_passwords "$SECRETS_DIR" $SERVICE_ROLES
    for role in $SERVICE_ROLES; do
        psql_admin -d postgres -v role="$role" -v file="$(password_file "$role")" -f "$SQL_DIR/service-role.sql"
    done
}

create_databases() {
    local db
    for db in $SERVICE_DATABASES $PG_EXTRA_DATABASES; do
        [[ $db =~ ^[A-Za-z0-9_][A-Za-z0-9_-]*$ ]] || die "invalid database name: '$db'"
        psql_admin -d postgres -v db="$db" -v owner="$(owner_of "$db")" -f "$SQL_DIR/database.sql"
    done
    for db in $SERVICE_ROLES; do
        psql_admin -d "$db" -v db="$db" -v owner="$db" -f "$SQL_DIR/hand-over.sql"
    done
}

# --- commands -------------------------------------------------------------------------

cmd_start() {
    install_postgres
    PG_BIN=$(newest_pg_bin)
    ensure_os_user
    set_paths
    announce_location
    if [[ -f $PGDATA_DIR/PG_VERSION ]] && running; then
        log "already running on $PG_HOST:$PG_PORT (data: $PGDATA_DIR)"
    else
        port_in_use && die "port $PG_HOST:$PG_PORT is already in use by another process" \
            "$(ss -Hltnp "sport = :$PG_PORT" 2>/dev/null | grep -o 'users:.*' | head -1);" \
            "stop it or set PG_PORT"
        init_cluster
        write_settings
        log "starting on $PG_HOST:$PG_PORT ($("$PG_BIN/postgres" --version))"
        # -w waits until the server accepts connections; fd 9 (our lock) is not inherited.
        as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 60 start >/dev/null 9>&- || {
            tail -n 30 "$PG_LOG" >&2 || true
            die "server did not start; log: $PG_LOG"
        }
    fi
    psql_admin -d postgres -c 'SELECT 1' >/dev/null \
        || die "cannot log in as $PG_USER (was the cluster created with another PG_PASSWORD?)"
    create_roles
    create_databases
    log "running on $PG_HOST:$PG_PORT; data: $PGDATA_DIR; log: $PG_LOG"
}

cmd_stop() {
    PG_BIN=$(newest_pg_bin)
    [[ -n $PG_BIN ]] || { log "not installed"; return 0; }
    set_paths
    if [[ ! -f $PGDATA_DIR/PG_VERSION ]] || ! running; then
        log "not running"
        return 0
    fi
    # fast: roll back open transactions and disconnect clients, but shut down cleanly.
    as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null
    log "stopped"
}

cmd_status() {
    PG_BIN=$(newest_pg_bin)
    [[ -n $PG_BIN ]] || { echo "postgres: not installed"; return 3; }
    set_paths
    if "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres; then
        echo "postgres: running on $PG_HOST:$PG_PORT (data: $PGDATA_DIR)"
    else
        echo "postgres: not answering on $PG_HOST:$PG_PORT"
        return 3
    fi
}

cmd_psql() {
    PG_BIN=$(newest_pg_bin)
    [[ -n $PG_BIN ]] || die "PostgreSQL is not installed: run '$0 start' first"
    set_paths
    local db=postgres
    if (($# > 0)) && [[ $1 != -* ]]; then db=$1; shift; fi
    exec "$PG_BIN/psql" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$db" "$@"
}

usage() {
    echo "usage: $0 start | stop | status | psql [db] [psql args]" >&2
    exit 2
}

main() {
    (($# >= 1)) || usage
    local cmd=$1
    shift
    case $cmd in
    start | stop)
        # One start/stop at a time (the lock file is root's, outside the cluster folder).
        exec 9>"$STATE_DIR/.postgres.lock"
        flock -w 120 9 || die "another start/stop holds $STATE_DIR/.postgres.lock"
        "cmd_$cmd"
        ;;
    status) cmd_status ;;
    psql) cmd_psql "$@" ;;
    *) usage ;;
    esac
}

main "$@"
