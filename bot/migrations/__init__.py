"""Alembic migrations of the Review Arena database; applied by ``review-arena db upgrade``."""
