#!/usr/bin/env bash
# The project's infrastructure in one go: PostgreSQL, then Kafka (both local, no Docker),
# or, with TOGETHER_EXTERNAL_INFRA set, a reachability check of servers run elsewhere.
#
#   deploy/stack.sh start | stop | status | env
#
# `start` prints the connection settings as `export ...` lines on stdout (progress goes
# to stderr), so `eval "$(deploy/stack.sh start)"` works, and writes them to
# ${TOGETHER_STATE_DIR:-<repo>/.run}/env.sh for `source`. `env` prints them without starting anything
# (deploy/docker/secrets.sh writes the Compose stack's with it).
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$DEPLOY_DIR")
STATE_DIR=${TOGETHER_STATE_DIR:-$REPO_ROOT/.run}
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd)
ENV_FILE=$STATE_DIR/env.sh

# 1/all: both external; kafka or postgres: only that one; empty: both local.
EXTERNAL=${TOGETHER_EXTERNAL_INFRA:-}
case $EXTERNAL in
"" | 0) EXT_KAFKA=0 EXT_PG=0 ;;
1 | all | true | yes) EXT_KAFKA=1 EXT_PG=1 ;;
kafka) EXT_KAFKA=1 EXT_PG=0 ;;
postgres) EXT_KAFKA=0 EXT_PG=1 ;;
*) echo "stack: TOGETHER_EXTERNAL_INFRA must be 1, kafka or postgres (got '$EXTERNAL')" >&2; exit 2 ;;
esac

log() { printf 'stack: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- connection settings ----------------------------------------------------------------

urlencode() {
    local s=$1 out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case $c in
        [A-Za-z0-9._~-]) out+=$c ;;
        *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}

settings() {
    if ((EXT_KAFKA)); then
        [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]] || die "external Kafka: set KAFKA_BOOTSTRAP_SERVERS (host:port[,host:port])"
        BOOTSTRAP=$KAFKA_BOOTSTRAP_SERVERS
    else
        BOOTSTRAP=127.0.0.1:${KAFKA_PORT:-19092}
    fi
    if ((EXT_PG)); then
        [[ -n ${PG_DSN_BASE:-} || -n ${PG_HOST:-} ]] || die "external PostgreSQL: set PG_DSN_BASE or PG_HOST (+ PG_PORT, PG_USER, PG_PASSWORD)"
        PGH=${PG_HOST:-} PGP=${PG_PORT:-5432} PGU=${PG_USER:-together} PGW=${PG_PASSWORD:-together}
    else
        PGH=127.0.0.1 PGP=${PG_PORT:-15432} PGU=together PGW=${PG_PASSWORD:-together}
    fi
    if ((EXT_PG)) && [[ -n ${PG_DSN_BASE:-} ]]; then
        DSN_BASE=$PG_DSN_BASE
    else
        DSN_BASE=postgresql://$(urlencode "$PGU"):$(urlencode "$PGW")@$PGH:$PGP
    fi
}

# The part of `export` lines that others rely on: KAFKA_BOOTSTRAP_SERVERS and how to log in
# (together_events.connection), PG_DSN_BASE (the administrator's; append /<database>), and each
# service's own database login. The local broker's login is the admin's, for the tests and the
# operator tools; the launcher gives each service its own principal from KAFKA_CREDENTIALS_DIR.
# An external broker's login is passed on as it was given.
env_lines() {
    printf 'export KAFKA_BOOTSTRAP_SERVERS=%q\n' "$BOOTSTRAP"
    local name
    if ((EXT_KAFKA)); then
        for name in KAFKA_SECURITY_PROTOCOL KAFKA_SASL_MECHANISM KAFKA_SASL_USERNAME KAFKA_SASL_PASSWORD_FILE \
            KAFKA_SSL_CA_FILE KAFKA_CREDENTIALS_DIR; do
            if [[ -n ${!name:-} ]]; then printf 'export %s=%q\n' "$name" "${!name}"; fi
        done
    else
        printf 'export %s\n' KAFKA_SECURITY_PROTOCOL=SASL_SSL KAFKA_SASL_MECHANISM=SCRAM-SHA-512 KAFKA_SASL_USERNAME=admin
        printf 'export KAFKA_SASL_PASSWORD_FILE=%q\n' "$STATE_DIR/kafka/credentials/admin.password"
        printf 'export KAFKA_SSL_CA_FILE=%q\n' "$STATE_DIR/kafka/tls/ca.pem"
        printf 'export KAFKA_CREDENTIALS_DIR=%q\n' "$STATE_DIR/kafka/credentials"
    fi
    printf 'export PG_DSN_BASE=%q\n' "$DSN_BASE"
    if [[ -n $PGH ]]; then
        printf 'export PG_HOST=%q\n' "$PGH"
        printf 'export PG_PORT=%q\n' "$PGP"
        printf 'export PG_USER=%q\n' "$PGU"
        printf 'export PG_PASSWORD=%q\n' "$PGW"
    fi
    # Each service logs in as its own role (deploy/postgres.sh creates them; an external server's
    # roles are its operator's to create and give as <SERVICE>_DATABASE_URL).
    if ((!EXT_PG)); then
        local service prefix
        for service in registration matching pairing scheduling notifications; do
            prefix=${service^^}
            printf 'export %s_DATABASE_URL=%q\n' "$prefix" "postgresql://$service@$PGH:$PGP/$service"
            printf 'export %s_DATABASE_PASSWORD_FILE=%q\n' "$prefix" "$STATE_DIR/secrets/postgres/$service.password"
        done
    fi
}

# --- external servers -------------------------------------------------------------------

tcp_open() { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

check_external_kafka() {
    local hp hps
    IFS=, read -ra hps <<<"$BOOTSTRAP"
    for hp in "${hps[@]}"; do
        hp=${hp#*://} # tolerate PLAINTEXT://host:port
        if tcp_open "${hp%:*}" "${hp##*:}"; then
            log "external Kafka reachable at $hp"
            return 0
        fi
    done
    log "ERROR: external Kafka not reachable at $BOOTSTRAP"
    return 1
}

check_external_pg() {
    local psql p
    psql=$(command -v psql || true)
    for p in /usr/lib/postgresql/*/bin/psql; do
        if [[ -z $psql && -x $p ]]; then psql=$p; fi
    done
    if [[ -n $psql ]]; then
        # A real login: catches a wrong password as well as a dead server.
        PGCONNECT_TIMEOUT=5 "$psql" -X -q -Atc 'SELECT 1' "$DSN_BASE/postgres" >/dev/null \
            || { log "ERROR: external PostgreSQL: cannot log in with PG_DSN_BASE (database postgres)"; return 1; }
    else
        local hostport=${DSN_BASE#*@}
        hostport=${hostport%%/*}
        tcp_open "${hostport%:*}" "${hostport##*:}" \
            || { log "ERROR: external PostgreSQL not reachable at $hostport"; return 1; }
    fi
    log "external PostgreSQL reachable"
}

# --- commands -------------------------------------------------------------------------

cmd_start() {
    settings
    if ((EXT_PG)); then check_external_pg || exit 1; else "$DEPLOY_DIR/postgres.sh" start; fi
    if ((EXT_KAFKA)); then check_external_kafka || exit 1; else "$DEPLOY_DIR/kafka.sh" start; fi
    (umask 077 && { echo "# Written by deploy/stack.sh start; source it to reach the stack."; env_lines; } >"$ENV_FILE")
    log "connection settings (also in $ENV_FILE):"
    env_lines
}

cmd_stop() {
    # Reverse order of start; external servers are not ours to stop.
    if ((EXT_KAFKA)); then log "Kafka is external: not stopped"; else "$DEPLOY_DIR/kafka.sh" stop; fi
    if ((EXT_PG)); then log "PostgreSQL is external: not stopped"; else "$DEPLOY_DIR/postgres.sh" stop; fi
}

cmd_status() {
    settings
    local rc=0
    if ((EXT_PG)); then check_external_pg || rc=1; else "$DEPLOY_DIR/postgres.sh" status || rc=$?; fi
    if ((EXT_KAFKA)); then check_external_kafka || rc=1; else "$DEPLOY_DIR/kafka.sh" status || rc=$?; fi
    return "$rc"
}

cmd_env() {
    settings
    env_lines
}

case ${1:-} in
start | stop | status | env) "cmd_$1" ;;
*)
    echo "usage: $0 start | stop | status | env" >&2
    exit 2
    ;;
esac
