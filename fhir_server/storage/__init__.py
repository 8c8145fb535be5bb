"""Persistence on SQLite or PostgreSQL through SQLAlchemy Core (never the web framework)."""
