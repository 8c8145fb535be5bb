"""Storage layouts of earlier releases, made by hand for the tests that read them."""

from __future__ import annotations

import sqlalchemy as sa

from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import resource, resource_version


def as_written_before(storage: SqlStorage, res_id: str) -> None:
    """Turn a resource into what an earlier release left: a copy of its current version, no seq."""
    with storage.engine.begin() as connection:
        row = connection.execute(sa.select(resource).where(resource.c.res_id == res_id)).one()
        if row.seq is None:
            return  # SQLite: already so
        connection.execute(
            resource_version.insert().values(
                seq=row.seq,
                resource_pk=row.pk,
                res_type=row.res_type,
                res_id=row.res_id,
                version=row.version,
                last_updated=row.last_updated,
                method=row.method,
                deleted=row.deleted,
                content=row.content,
            )
        )
        connection.execute(resource.update().where(resource.c.pk == row.pk).values(seq=None, method=None))
