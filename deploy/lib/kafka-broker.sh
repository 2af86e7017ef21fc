# shellcheck shell=bash
# The Kafka broker's security and settings, one place for both brokers the project runs: the local
# one (deploy/kafka.sh) and the Compose one (deploy/docker/kafka-broker.sh, in the apache/kafka
# image). Sourced, not run; plain bash, no other tool.

# The SCRAM principals made at the first start: the broker itself, the admin (tests, provisioning,
# operators' CLI tools), one per service (together_contracts.topics.SERVICES; a test checks), a
# reader for the operator tools and an example subscriber of other organisations' systems.
# shellcheck disable=SC2034 # read by the scripts that source this file
KAFKA_PRINCIPALS=(broker admin registration matching pairing scheduling notifications operator subscriber)

# The broker's server.properties, on stdout (it holds the broker's password: write it mode 600).
#   $1 listeners: NAME://host:port,... ; each is SASL_SSL (the first also carries the broker's own
#      traffic) except CONTROLLER, which is mutual TLS; the CONTROLLER one is also the quorum's address
#   $2 advertised listeners: the same names, with the addresses clients reach
#   $3 log.dirs   $4 the broker's PEM key store (key and certificate)   $5 the CA (PEM)   $6 the broker's password
broker_properties() {
    local listeners=$1 advertised=$2 data_dir=$3 keystore=$4 ca=$5 password=$6
    local entries entry name names=() protocol_map="CONTROLLER:SSL" controller=""
    IFS=, read -ra entries <<<"$advertised"
    for entry in "${entries[@]}"; do
        name=${entry%%://*}
        if [[ $name == CONTROLLER ]]; then
            controller=${entry#*://}
        else
            names+=("$name")
            protocol_map+=",$name:SASL_SSL"
        fi
    done
    cat <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$controller
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
log.dirs=$data_dir

# Clients: TLS, and a SCRAM-SHA-512 login. The controller listener cannot use SCRAM (its
# credentials live in the metadata the controller serves), so it takes mutual TLS instead: only
# a certificate signed by the development CA (the broker's own) gets in, never an anonymous client.
listener.security.protocol.map=$protocol_map
listener.name.controller.ssl.client.auth=required
ssl.keystore.type=PEM
ssl.keystore.location=$keystore
ssl.truststore.type=PEM
ssl.truststore.location=$ca
# The certificate's CN=broker is the same principal as the broker's SCRAM login.
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT
# One node: it talks to itself through its first client listener, as the principal broker.
inter.broker.listener.name=${names[0]}
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
EOF
    for name in "${names[@]}"; do
        name=${name,,}
        echo "listener.name.$name.sasl.enabled.mechanisms=SCRAM-SHA-512"
        echo "listener.name.$name.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"broker\" password=\"$password\";"
    done
    cat <<EOF

# Only what an ACL allows; the broker and the admin are the only super users.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:broker;User:admin

# One node: every internal topic with replication factor 1 and min ISR 1.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Fast consumer groups in tests (default 3000 ms delay before the first rebalance).
group.initial.rebalance.delay.ms=0
# Fewer internal partitions: faster start, less memory (defaults 50).
offsets.topic.num.partitions=5
transaction.state.log.num.partitions=5
share.coordinator.state.topic.num.partitions=5
# The log cleaner allocates this on the heap (default 128 MiB).
log.cleaner.dedupe.buffer.size=8388608

# Topics are created by the project's provisioning step, never by a typo.
auto.create.topics.enable=false
num.partitions=3

# Dev data: keep a week or 1 GiB per partition, whichever comes first.
log.retention.hours=168
log.retention.bytes=1073741824
log.segment.bytes=104857600
num.network.threads=3
num.io.threads=4
EOF
}

# The admin's client settings for the Kafka CLI tools (health checks too), on stdout (mode 600: it
# holds the admin's password). Short timeouts, so that a dead broker fails fast.
#   $1 the CA (PEM)   $2 the admin's password
admin_client_properties() {
    cat <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$2";
ssl.truststore.type=PEM
ssl.truststore.location=$1
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

# StorageTool's arguments that write a SCRAM credential per principal into the metadata when the
# storage is formatted, one a line (for a 0600 argument file: no password in the process list).
#   $@ pairs: <principal> <password file> ...
scram_arguments() {
    while (($# >= 2)); do
        printf -- '--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n' "$1" "$(cat "$2")"
        shift 2
    done
}
