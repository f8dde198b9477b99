"""The store: tables, migrations and database access."""
