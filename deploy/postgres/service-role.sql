-- A service's own login: it may log in and own what it creates, nothing more (not a superuser, no
-- CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS). Creates the role if missing and sets its password
-- from a file every time, so a replaced file takes effect; the password never shows on a command line.
-- psql variables: role, file (the password file, read by psql). Run connected to any database.
-- Used by deploy/postgres.sh, by the Compose PostgreSQL (deploy/docker/postgres-init.sh) and the tests' containers.
\set password `cat :'file'`
SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'role', :'password') \gexec
