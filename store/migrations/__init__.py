"""Alembic migration environment (see store/migrate.py)."""
