#!/usr/bin/env bash
# The Compose broker's start (and the tests' container broker's), in the apache/kafka image: the
# settings of deploy/lib/kafka-broker.sh, as deploy/kafka.sh runs them on this machine, with the
# secrets Compose mounts in /run/secrets (made by deploy/docker/secrets.sh):
#   kafka_ca, kafka_broker_keystore          the development CA and the broker's key and certificate
#   kafka_<principal>_password               a SCRAM login each, written into the metadata at the first start
#
# BROKER_LISTENERS and BROKER_ADVERTISED_LISTENERS name the listeners (docker-compose.yml): every one
# SASL_SSL but CONTROLLER, which is mutual TLS (deploy/lib/kafka-broker.sh).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/kafka-broker.sh
. "$HERE/../lib/kafka-broker.sh"

SECRETS=/run/secrets
KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
# A folder inside the volume: a volume left by the former plaintext broker (its storage holds no
# credentials, and nobody could log in) does not count as formatted.
DATA_DIR=/var/lib/kafka/data/secure
# Written at every start, mode 600 (they hold passwords); admin.properties is the health check's.
CONFIG_DIR=/tmp/together-kafka
CLUSTER_ID=${CLUSTER_ID:?set CLUSTER_ID (22 characters of URL-safe base64)}
LISTENERS=${BROKER_LISTENERS:?set BROKER_LISTENERS (NAME://host:port,...)}
ADVERTISED=${BROKER_ADVERTISED_LISTENERS:?set BROKER_ADVERTISED_LISTENERS (NAME://host:port,...)}

for secret in kafka_ca kafka_broker_keystore kafka_broker_password kafka_admin_password; do
    [[ -s $SECRETS/$secret ]] || { echo "kafka: $SECRETS/$secret is missing: run deploy/docker/secrets.sh first" >&2; exit 1; }
done

(umask 077 && mkdir -p "$CONFIG_DIR" "$DATA_DIR")
broker_properties "$LISTENERS" "$ADVERTISED" "$DATA_DIR" "$SECRETS/kafka_broker_keystore" "$SECRETS/kafka_ca" \
    "$(cat "$SECRETS/kafka_broker_password")" |
    (umask 077 && cat >"$CONFIG_DIR/server.properties")
admin_client_properties "$SECRETS/kafka_ca" "$(cat "$SECRETS/kafka_admin_password")" |
    (umask 077 && cat >"$CONFIG_DIR/admin.properties")

# Formatted once, with a SCRAM credential for every principal whose password is mounted; the
# arguments go through a 0600 file that StorageTool reads (`@file`), never the process list.
if [[ ! -f $DATA_DIR/meta.properties ]]; then
    principals=()
    for file in "$SECRETS"/kafka_*_password; do
        name=${file#"$SECRETS"/kafka_}
        principals+=("${name%_password}" "$file")
    done
    scram_arguments "${principals[@]}" | (umask 077 && cat >"$CONFIG_DIR/format.args")
    "$KAFKA_HOME/bin/kafka-storage.sh" format --standalone --ignore-formatted -t "$CLUSTER_ID" \
        -c "$CONFIG_DIR/server.properties" "@$CONFIG_DIR/format.args"
    rm -f "$CONFIG_DIR/format.args"
fi

exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$CONFIG_DIR/server.properties"
