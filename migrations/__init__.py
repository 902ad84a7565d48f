"""Alembic environment and versions for dexgate's own tables."""
