"""Run the alembic chain (``migrations/`` beside the package) on a database URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from fhir_server.storage.engine import make_engine

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
MIGRATION_LOCK_TIMEOUT = "5s"


def alembic_config(url: str) -> Config:
    """An alembic Config pointing at the project's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Migrate the database to the newest revision."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    postgresql = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if postgresql:
            # On a live database a DDL lock waiting behind a long transaction would queue every request behind
            # it: give up instead (the revision rolls back whole and the command can simply be run again).
            connection.exec_driver_sql(f"SET lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'")
            connection.commit()
        # One transaction per revision (migrations/env.py), so a revision may build indexes CONCURRENTLY.
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        finally:
            if postgresql:
                connection.rollback()
                connection.exec_driver_sql("RESET lock_timeout")
                connection.commit()


NOT_CURRENT = "the database schema is not current: run `fhir-server migrate` first"


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())


def url_is_current(url: str) -> bool:
    """``is_current`` for a database URL, on an engine of its own that is disposed afterwards."""
    engine = make_engine(url)
    try:
        return is_current(engine)
    finally:
        engine.dispose()
