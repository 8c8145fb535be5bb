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


def _declared_for(dialect: str):
    """Skip schema items declared only for another dialect (``ddl_if(dialect=...)``): they are not created there.
    (Copies made by ``to_metadata`` lose the condition, so it is read from the declaring tables.)"""
    tables = [table for source in (metadata, auth_metadata) for table in source.tables.values()]
    items: list[sa.Constraint | sa.Index] = [c for t in tables for c in t.constraints]
    items += [i for t in tables for i in t.indexes]
    conditions = [(item.name, getattr(item, "_ddl_if", None)) for item in items]
    elsewhere = {name for name, when in conditions if when is not None and when.dialect not in (None, dialect)}
    assert dialect != "postgresql" or "fk_idx_token_resource_pk_resource" in elsewhere

    def include(item: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
        return reflected or name not in elsewhere

    return include


def test_migrated_schema_matches_the_tables(engine):
    with engine.connect() as connection:
        options = {"compare_type": True, "include_object": _declared_for(engine.dialect.name)}
        context = MigrationContext.configure(connection, opts=options)
        differences = compare_metadata(context, _every_table())
    assert differences == []


def test_database_is_at_head(engine):
    assert is_current(engine)


def test_large_contents_are_compressed_with_lz4_where_postgresql_has_it(storage):
    engine = storage.engine
    if engine.dialect.name != "postgresql":
        return  # SQLite does not compress
    with engine.connect() as connection:
        has_lz4 = connection.execute(
            sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar()
    # Past ~2 kB a row's content is compressed; text that repeats itself, like an AuditEvent, compresses well.
    note = " ".join(f"línea {n} de la evolución" for n in range(200))
    (first,) = storage.write(
        lambda writer: writer.create_many([({"resourceType": "Basic", "code": {"text": note}}, "b1", "POST")])
    )
    # A second version, so the first is moved to resource_version (the current one is not copied there).
    changed = {"resourceType": "Basic", "code": {"text": note + " (corregida)"}}
    saved = storage.write(lambda writer: writer.save(changed, "b1", "PUT", first))
    query = "SELECT pg_column_compression(content) FROM {} WHERE {} = :pk"
    with engine.connect() as connection:
        methods = {
            connection.execute(sa.text(query.format(table, column)), {"pk": saved.pk}).scalar()
            for table, column in (("resource", "pk"), ("resource_version", "resource_pk"))
        }
    assert methods == ({"lz4"} if has_lz4 else {"pglz"})
