#!/usr/bin/env bash
# Run once before `docker compose up`: the secrets docker-compose.yml mounts, made as the local stack
# makes its own (deploy/lib/secrets.sh), in ${TOGETHER_COMPOSE_DIR:-<repo>/.run/compose}:
#
#   kafka/tls/ca.pem, broker.pem, ca.key   a development CA and the broker's certificate (kafka, localhost, 127.0.0.1)
#   kafka/credentials/<principal>.password one SCRAM login per principal (broker, admin, each service, operator, subscriber)
#   secrets/postgres/<role>.password       the administrator (together) and one login per service
#   env.sh                                 how clients on the host reach the stack (as deploy/stack.sh's env.sh)
#
# Existing files are kept: the broker and PostgreSQL take the passwords when their volumes are
# first initialised, so after replacing one, `docker compose down -v` and up again.
# KAFKA_PORT and PG_PORT (default 19092, 15432) are the host ports, as for `docker compose up`.
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../lib/secrets.sh
. "$DEPLOY_DIR/lib/secrets.sh"
# shellcheck source=SCRIPTDIR/../lib/kafka-broker.sh
. "$DEPLOY_DIR/lib/kafka-broker.sh"

STATE=${TOGETHER_COMPOSE_DIR:-$(dirname "$DEPLOY_DIR")/.run/compose}
# The PostgreSQL logins: the administrator first (POSTGRES_USER), then one per service.
PG_ROLES=(together registration matching pairing scheduling notifications)

(umask 077 && mkdir -p "$STATE")
STATE=$(cd "$STATE" && pwd)
chmod 700 "$STATE"
make_tls "$STATE/kafka/tls" "DNS:kafka,DNS:localhost,IP:127.0.0.1"
make_passwords "$STATE/kafka/credentials" "${KAFKA_PRINCIPALS[@]}"
make_passwords "$STATE/secrets/postgres" "${PG_ROLES[@]}"
# Compose mounts each secret file as it is, and the containers read them as their own users (kafka's
# appuser, postgres, the services' 10001): readable files, in a folder only this user can enter.
# The CA's key is never mounted and stays 0600.
chmod 644 "$STATE"/kafka/tls/ca.pem "$STATE"/kafka/tls/broker.pem "$STATE"/kafka/credentials/*.password \
    "$STATE"/secrets/postgres/*.password

(umask 077 && {
    echo "# Written by deploy/docker/secrets.sh; source it to reach the Compose stack from the host."
    PG_PASSWORD=$(cat "$STATE/secrets/postgres/together.password") TOGETHER_STATE_DIR=$STATE TOGETHER_EXTERNAL_INFRA='' \
        "$DEPLOY_DIR/stack.sh" env
} >"$STATE/env.sh")
echo "secrets in $STATE; settings for the host: source $STATE/env.sh" >&2
