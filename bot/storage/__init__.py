"""Persistence: SQLAlchemy models, the Database handle and Alembic migrations."""
