-- Run once by the postgres:15 image on an empty data volume (mounted into
-- /docker-entrypoint-initdb.d by docker-compose.yml), as POSTGRES_USER=together,
-- the cluster's superuser: one database per service, owned by together.
-- Each service creates its own tables (Alembic migrations) when it starts.
CREATE DATABASE registration OWNER together;
CREATE DATABASE matching OWNER together;
CREATE DATABASE pairing OWNER together;
CREATE DATABASE scheduling OWNER together;
CREATE DATABASE notifications OWNER together;
