# shellcheck shell=bash
# Development secrets, made once on the host: a random password per login and a development CA
# with the Kafka broker's certificate. Sourced (not run) by deploy/kafka.sh, deploy/postgres.sh and
# deploy/docker/secrets.sh, so the local stack and the Compose stack make them the same way.
# Needs openssl. Each function leaves a file that exists alone: delete it to get a new one.

# A random password in <dir>/<name>.password (mode 600) for each name that has none yet. Hex, so it
# needs no quoting in a URL, a JAAS line or SQL; no trailing newline.
make_passwords() {
    local dir=$1 name
    shift
    (umask 077 && mkdir -p "$dir")
    for name in "$@"; do
        [[ -s $dir/$name.password ]] && continue
        (umask 077 && openssl rand -hex 24 | tr -d '\n' >"$dir/$name.password")
    done
}

# A development CA and the broker's certificate (CN=broker, for the names in <subject alt names>,
# e.g. IP:127.0.0.1,DNS:localhost), signed by it, in <dir>: ca.pem (what clients trust, mode 644),
# ca.key and broker.pem (Kafka's PEM key store: the key and its certificate), mode 600.
make_tls() {
    local dir=$1 names=$2
    [[ -s $dir/ca.pem && -s $dir/broker.pem ]] && return 0
    command -v openssl >/dev/null || { echo "openssl not found (apt-get install -y openssl)" >&2; return 1; }
    mkdir -p "$dir"
    # One && chain: a failing step stops it even where the caller tests the result (errexit is off there).
    (
        umask 077
        cd "$dir" &&
            openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.pem \
                -subj "/CN=Together development CA" -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null &&
            openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=broker" 2>/dev/null &&
            printf '%s\n' "subjectAltName=$names" "basicConstraints=critical,CA:FALSE" \
                "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth,clientAuth" \
                "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid,issuer" >broker.ext &&
            openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
                -extfile broker.ext -out broker.crt 2>/dev/null &&
            cat broker.key broker.crt >broker.pem &&
            rm -f broker.key broker.crt broker.csr broker.ext ca.srl &&
            chmod 644 ca.pem
    )
}
