"""Packaged Alembic migrations (env.py, versions/)."""
