-- A service's database is its role's alone: only the owner (and the administrator) may connect, and
-- a database made before the service roles existed is handed over with everything in its schema.
-- psql variables: db, owner. Run connected to that database, as the administrator.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'owner')
WHERE (SELECT datdba::regrole::text FROM pg_database WHERE datname = :'db') <> :'owner' \gexec
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'owner')
FROM pg_tables WHERE schemaname = 'public' AND tableowner <> :'owner' \gexec
SELECT format('ALTER SEQUENCE %I.%I OWNER TO %I', schemaname, sequencename, :'owner')
FROM pg_sequences WHERE schemaname = 'public' AND sequenceowner <> :'owner' \gexec
SELECT format('ALTER VIEW %I.%I OWNER TO %I', schemaname, viewname, :'owner')
FROM pg_views WHERE schemaname = 'public' AND viewowner <> :'owner' \gexec
SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, :'owner')
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' AND t.typtype IN ('e', 'c', 'd') AND t.typrelid = 0
  AND t.typowner::regrole::text <> :'owner' \gexec
SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, :'owner')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.proowner::regrole::text <> :'owner' \gexec
