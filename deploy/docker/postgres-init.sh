#!/usr/bin/env bash
# Run once by the postgres image on an empty data volume (docker-compose.yml mounts it into
# /docker-entrypoint-initdb.d), as POSTGRES_USER, the cluster's administrator: a login per service
# that owns its database and nothing else, made by the SQL deploy/postgres.sh runs (mounted in
# /opt/together/postgres). The services are those with a password among the mounted secrets,
# /run/secrets/postgres_<role>_password (made by deploy/docker/secrets.sh); the administrator's is
# POSTGRES_PASSWORD_FILE. Each service then creates its own tables (Alembic) when it starts.
# In a subshell: the image sources a script that is not executable, and our options stay ours.
(
    set -euo pipefail
    sql=/opt/together/postgres
    admin() { psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" "$@"; }
    for file in /run/secrets/postgres_*_password; do
        [[ -e $file ]] || { echo "together: no /run/secrets/postgres_<role>_password: run deploy/docker/secrets.sh" >&2; exit 1; }
        role=${file#/run/secrets/postgres_}
        role=${role%_password}
        [[ $role == "$POSTGRES_USER" ]] && continue
        admin -d postgres -v role="$role" -v file="$file" -f "$sql/service-role.sql"
        admin -d postgres -v db="$role" -v owner="$role" -f "$sql/database.sql"
        admin -d "$role" -v db="$role" -v owner="$role" -f "$sql/hand-over.sql"
        echo "together: login $role owns database $role"
    done
)
