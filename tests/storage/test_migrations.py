"""The alembic chain builds exactly the schema the code declares, on both engines."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fhir_server.auth.schema import auth_metadata
from fhir_server.storage.migrate import is_current
from fhir_server.storage.schema import metadata


def _every_table() -> sa.MetaData:
    # Storage and auth declare their tables apart (auth must not import storage); one chain builds both.
    combined = sa.MetaData()
    for source in (metadata, auth_metadata):
        for table in source.tables.values():
            table.to_metadata(combined)
    return combined


def test_migrated_schema_matches_the_tables(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, _every_table())
    assert differences == []


def test_database_is_at_head(engine):
    assert is_current(engine)
