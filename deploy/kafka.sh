#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker+controller in one JVM) for development and
# tests, run from Maven Central artifacts: no Docker, no release tarball.
#
#   deploy/kafka.sh start | stop | status | logs [tail args] | topics [TopicCommand args]
#   deploy/kafka.sh tool <main class> [args]   run a Kafka CLI class on the same class path
#   deploy/kafka.sh add-user <name>             a SCRAM principal with a random password (file under credentials/)
#
# Secure by default, even in development: clients reach a SASL_SSL listener (SCRAM-SHA-512, TLS
# from a development CA made at the first start) and the broker's authorizer allows only what
# an ACL grants (`python -m together_operator.provision` grants them). The admin's client
# settings for the CLI tools are in $STATE/kafka/client.properties.
#
# State: ${TOGETHER_STATE_DIR:-<repo>/.run}/kafka/ (see deploy/README.md).
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/secrets.sh
. "$DEPLOY_DIR/lib/secrets.sh"
# shellcheck source=SCRIPTDIR/lib/kafka-broker.sh
. "$DEPLOY_DIR/lib/kafka-broker.sh" # the broker's settings and principals, shared with the Compose broker
REPO_ROOT=$(dirname "$DEPLOY_DIR")
STATE_DIR=${TOGETHER_STATE_DIR:-$REPO_ROOT/.run}
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd) # absolute: the broker runs from another cwd

KAFKA_DIR=$STATE_DIR/kafka
# A second stack (e.g. the chaos suite's) may share an assembled class path: no second download.
LIBS_DIR=${KAFKA_LIBS_DIR:-$KAFKA_DIR/libs}
DATA_DIR=$KAFKA_DIR/data
CONF_FILE=$KAFKA_DIR/server.properties
CLIENT_CONF=$KAFKA_DIR/client.properties
PID_FILE=$KAFKA_DIR/kafka.pid
LOG_FILE=$KAFKA_DIR/kafka.log # broker log (log4j, INFO)
OUT_FILE=$KAFKA_DIR/kafka.out # JVM stdout/stderr: WARN+ and crashes
CLUSTER_ID_FILE=$KAFKA_DIR/cluster.id
TLS_DIR=$KAFKA_DIR/tls                 # ca.pem (what clients trust), ca.key, broker.pem (key + certificate)
CREDENTIALS_DIR=$KAFKA_DIR/credentials # <principal>.password, one SCRAM principal each, mode 600
FORMATTED_WITH_CREDENTIALS=$KAFKA_DIR/.formatted-with-credentials
MAVEN_REPO=${KAFKA_MAVEN_REPO:-$KAFKA_DIR/m2}

HOST=127.0.0.1
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
LOG_START_LINE=0
BOOTSTRAP=$HOST:$KAFKA_PORT

log() { printf 'kafka: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- class path ---------------------------------------------------------------------

# The jar cache is keyed by the pom's checksum so that a version bump re-fetches.
pom_sum() { sha256sum "$DEPLOY_DIR/kafka/pom.xml" | cut -d' ' -f1; }

fetch_jars() {
    if [[ -f $LIBS_DIR/.pom.sha256 && $(cat "$LIBS_DIR/.pom.sha256") == "$(pom_sum)" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
    log "fetching Kafka jars with Maven into $LIBS_DIR (first start only)..."
    local tmp=$LIBS_DIR.tmp
    rm -rf "$tmp"
    # Copy into a temporary folder and swap: an interrupted download never looks complete.
    # Output goes to a file: Debian's Maven prints stray colour codes even with -B -q.
    if ! mvn -B -q -f "$DEPLOY_DIR/kafka/pom.xml" -Dmaven.repo.local="$MAVEN_REPO" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
        >"$KAFKA_DIR/maven.log" 2>&1; then
        tail -n 30 "$KAFKA_DIR/maven.log" >&2
        die "Maven could not fetch the Kafka jars (is Maven Central reachable?); see $KAFKA_DIR/maven.log"
    fi
    # With slf4j-api 2.x on the class path the 1.x binding is ignored: a silent broker.
    if [[ ! -f $tmp/slf4j-api-1.7.36.jar ]] || compgen -G "$tmp/slf4j-api-2*.jar" >/dev/null; then
        die "unexpected slf4j-api in $tmp (need exactly 1.7.36): $(cd "$tmp" && echo slf4j-api*)"
    fi
    pom_sum >"$tmp/.pom.sha256"
    rm -rf "$LIBS_DIR"
    mv "$tmp" "$LIBS_DIR"
}

# A Kafka main class (CLI tool) on the cached class path; warnings go to stderr.
# C1-only JIT: these JVMs live for seconds, so start-up time is what counts.
TOOL_JAVA=(java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$DEPLOY_DIR/kafka/tools-log4j2.properties" -cp "$LIBS_DIR/*")
run_class() { "${TOOL_JAVA[@]}" "$@"; }

# A Kafka CLI class whose arguments hold secrets: they go, main class first, into a 0600 argument
# file that the java launcher expands (`java ... @file`; after the main class it would pass `@file`
# on as it is), so no password shows in the process list. The class and its arguments on stdin,
# one a line.
run_class_with_secrets() {
    local argfile rc=0
    argfile=$(umask 077 && mktemp "$KAFKA_DIR/.args.XXXXXX")
    # Quoted, as the launcher splits an argument file's lines at spaces.
    sed 's/.*/"&"/' >"$argfile"
    run_class "@$argfile" || rc=$?
    rm -f "$argfile"
    return "$rc"
}

# --- process checks -------------------------------------------------------------------

# Pid of our broker, if it runs: the pid file alone could point at a recycled pid.
broker_pid() {
    [[ -f $PID_FILE ]] || return 1
    local pid
    pid=$(cat "$PID_FILE")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $CONF_FILE" || return 1
    echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# A client metadata call: an open port alone does not mean the broker serves requests.
answering() {
    [[ -f $LIBS_DIR/.pom.sha256 ]] && port_open "$KAFKA_PORT" || return 1
    timeout 30 "${TOOL_JAVA[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
        --command-config "$CLIENT_CONF" --list >/dev/null 2>&1
}

# Tail of this start's part of the log (the file is appended to across starts).
show_log_tail() {
    log "last lines of $LOG_FILE:"
    tail -n "+$((LOG_START_LINE + 1))" "$LOG_FILE" 2>/dev/null | tail -n 40 >&2 || true
    if [[ -s $OUT_FILE ]]; then
        log "last lines of $OUT_FILE:"
        tail -n 20 "$OUT_FILE" >&2
    fi
}

# --- configuration --------------------------------------------------------------------

password_of() { cat "$CREDENTIALS_DIR/$1.password"; }

write_config() {
    mkdir -p "$DATA_DIR"
    # Rewritten on every start so that port changes apply. Mode 600: it holds the broker's password.
    {
        echo "# Generated by deploy/kafka.sh on every start: edit deploy/lib/kafka-broker.sh, not this file."
        local listeners="CLIENT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT"
        broker_properties "$listeners" "$listeners" "$DATA_DIR" "$TLS_DIR/broker.pem" "$TLS_DIR/ca.pem" "$(password_of broker)"
    } | (umask 077 && cat >"$CONF_FILE")
    # The admin's settings for the CLI tools (kafka.sh's own calls too).
    admin_client_properties "$TLS_DIR/ca.pem" "$(password_of admin)" | (umask 077 && cat >"$CLIENT_CONF")
}

# --- TLS and credentials (first start) -------------------------------------------------

# The development CA, the broker's certificate (for 127.0.0.1 and localhost) and a password per principal.
make_secrets() {
    [[ -s $TLS_DIR/ca.pem ]] || log "creating a development CA and the broker's certificate in $TLS_DIR (first start only)"
    make_tls "$TLS_DIR" "IP:$HOST,DNS:localhost" || die "could not create the development certificates in $TLS_DIR"
    make_passwords "$CREDENTIALS_DIR" "${KAFKA_PRINCIPALS[@]}"
}

# Format the storage once, with a SCRAM credential for every principal that has a password file;
# the cluster id is kept in cluster.id for reference.
# (Changing KAFKA_CONTROLLER_PORT later is fine: the single voter updates its endpoint.)
format_storage() {
    if [[ -f $DATA_DIR/meta.properties && ! -f $FORMATTED_WITH_CREDENTIALS ]]; then
        # Formatted by a kafka.sh before the listeners had logins: its metadata holds no SCRAM
        # credential, so nobody could log in. A development cluster's topics are discarded.
        log "$DATA_DIR was formatted without credentials (a plaintext cluster): discarding its topics and formatting again"
        rm -rf "$DATA_DIR"
        mkdir -p "$DATA_DIR"
    fi
    [[ -f $DATA_DIR/meta.properties ]] && return 0
    [[ -s $CLUSTER_ID_FILE ]] || run_class kafka.tools.StorageTool random-uuid >"$CLUSTER_ID_FILE"
    log "formatting storage in $DATA_DIR (cluster id $(cat "$CLUSTER_ID_FILE"))"
    local file principals=()
    for file in "$CREDENTIALS_DIR"/*.password; do
        principals+=("$(basename "$file" .password)" "$file")
    done
    {
        printf '%s\n' kafka.tools.StorageTool format --standalone --ignore-formatted -t "$(cat "$CLUSTER_ID_FILE")" -c "$CONF_FILE"
        scram_arguments "${principals[@]}"
    } | run_class_with_secrets >/dev/null # --ignore-formatted: harmless after an interrupted format
    touch "$FORMATTED_WITH_CREDENTIALS"
}

# --- commands -------------------------------------------------------------------------

cmd_start() {
    local pid
    if pid=$(broker_pid); then
        if answering; then
            log "already running (pid $pid) on $BOOTSTRAP"
            return 0
        fi
        log "running (pid $pid) but not answering yet; waiting"
    else
        command -v java >/dev/null || die "java not found (Kafka needs Java 17+)"
        local port
        for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
            if port_open "$port"; then
                die "port $HOST:$port is already in use by another process" \
                    "$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -1);" \
                    "stop it or set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
            fi
        done
        fetch_jars
        make_secrets
        write_config
        format_storage
        rm -f "$OUT_FILE"
        if [[ -f $LOG_FILE ]]; then LOG_START_LINE=$(wc -l <"$LOG_FILE"); fi
        log "starting broker on $BOOTSTRAP (controller $HOST:$KAFKA_CONTROLLER_PORT)"
        # setsid + nohup: the broker outlives this shell and its terminal; fd 9 (our lock)
        # is closed so that the broker does not hold it. Log4j's own shutdown hook would
        # stop logging halfway through Kafka's clean shutdown, hence shutdownHookEnabled.
        # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS holds several options
        (cd "$KAFKA_DIR" && exec setsid nohup java $KAFKA_HEAP_OPTS \
            -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
            -Dlog4j2.configurationFile="$DEPLOY_DIR/kafka/log4j2.properties" \
            -Dkafka.log.file="$LOG_FILE" -Dlog4j2.shutdownHookEnabled=false \
            -cp "$LIBS_DIR/*" kafka.Kafka "$CONF_FILE" </dev/null >>"$OUT_FILE" 2>&1 9>&-) &
        pid=$!
        echo "$pid" >"$PID_FILE"
    fi

    local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
    until answering; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            show_log_tail
            die "broker exited during start-up"
        fi
        if ((SECONDS >= deadline)); then
            show_log_tail
            log "broker not answering on $BOOTSTRAP after ${KAFKA_START_TIMEOUT}s; stopping it"
            cmd_stop || true
            die "start timed out (raise KAFKA_START_TIMEOUT if the machine is just slow)"
        fi
        sleep 1
    done
    log "running (pid $pid) on $BOOTSTRAP; log: $LOG_FILE"
}

cmd_stop() {
    local pid
    if ! pid=$(broker_pid); then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    log "stopping (pid $pid)"
    kill -TERM "$pid" # clean shutdown: flushes logs, avoids recovery on next start
    local i
    for ((i = 0; i < 30; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "still running after 30s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    local pid
    if ! pid=$(broker_pid); then
        echo "kafka: not running"
        return 3
    fi
    if answering; then
        echo "kafka: running (pid $pid) on $BOOTSTRAP"
    else
        echo "kafka: process $pid is up but $BOOTSTRAP does not answer"
        return 1
    fi
}

cmd_logs() {
    [[ -f $LOG_FILE ]] || die "no log yet ($LOG_FILE)"
    if (($# == 0)); then set -- -n 100; fi
    exec tail "$@" "$LOG_FILE"
}

cmd_topics() {
    [[ -f $LIBS_DIR/.pom.sha256 ]] || die "jars not fetched yet: run '$0 start' first"
    if (($# == 0)); then set -- --list; fi
    run_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
        --command-config "$CLIENT_CONF" "$@"
}

cmd_tool() {
    (($# >= 1)) || die "usage: $0 tool <main class> [args]  (e.g. org.apache.kafka.tools.ConsoleProducer)"
    fetch_jars
    run_class "$@"
}

# A SCRAM principal, e.g. for another organisation's system: its password is made here (kept in
# credentials/<name>.password, mode 600) and given to the running broker as the admin.
# What it may do is granted apart: `python -m together_operator.provision --subscriber <name>`.
cmd_add_user() {
    (($# == 1)) && [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "usage: $0 add-user <name> (letters, digits, . _ -)"
    broker_pid >/dev/null || die "the broker is not running: '$0 start' first"
    make_passwords "$CREDENTIALS_DIR" "$1"
    {
        printf '%s\n' kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --command-config "$CLIENT_CONF" \
            --alter --entity-type users --entity-name "$1" --add-config
        printf 'SCRAM-SHA-512=[password=%s]\n' "$(password_of "$1")"
    } | run_class_with_secrets >/dev/null
    log "principal $1 can log in (SCRAM-SHA-512); its password is in $CREDENTIALS_DIR/$1.password"
}

usage() {
    cat >&2 <<EOF
usage: $0 start | stop | status | logs [tail args] | topics [TopicCommand args] | tool <class> [args] | add-user <name>
EOF
    exit 2
}

main() {
    (($# >= 1)) || usage
    local cmd=$1
    shift
    mkdir -p "$KAFKA_DIR"
    case $cmd in
    start | stop)
        # One start/stop at a time: two concurrent starts would both launch a broker.
        exec 9>"$KAFKA_DIR/.lock"
        flock -w 150 9 || die "another start/stop holds $KAFKA_DIR/.lock"
        "cmd_$cmd"
        ;;
    status | logs | topics | tool) "cmd_$cmd" "$@" ;;
    add-user) cmd_add_user "$@" ;;
    *) usage ;;
    esac
}

main "$@"
