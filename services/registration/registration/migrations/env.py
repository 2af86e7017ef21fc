from registration.tables import metadata
from together_servicekit.db import run_migrations_online

run_migrations_online(metadata)
