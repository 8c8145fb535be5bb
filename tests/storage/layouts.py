"""Storage layouts: an earlier release's, made by hand, and versions counted in both tables."""

from __future__ import annotations

from collections import Counter

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


def versions_by_resource(connection: sa.Connection) -> Counter[tuple[str, str]]:
    """How many versions each (type, id) has: copies in resource_version plus current rows without one."""
    copied = sa.select(resource_version.c.res_type, resource_version.c.res_id)
    current = sa.select(resource.c.res_type, resource.c.res_id).where(resource.c.seq.is_not(None))
    return Counter((t, i) for query in (copied, current) for t, i in connection.execute(query))


def versions_by_type(connection: sa.Connection) -> dict[str, int]:
    """How many versions each type has (what every write adds one to)."""
    counts: Counter[str] = Counter()
    for (type_name, _), count in versions_by_resource(connection).items():
        counts[type_name] += count
    return dict(counts)
