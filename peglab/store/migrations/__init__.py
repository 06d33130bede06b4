"""Alembic migrations of the store (run by ``store.db.upgrade``; no alembic.ini needed)."""
