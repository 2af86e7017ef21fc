-- A database, created when missing (there is no CREATE DATABASE IF NOT EXISTS: \gexec runs the
-- statement only when the query returns it). psql variables: db, owner. Run connected to postgres.
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
