"""Rebuild index rows after a registry change: batches in short transactions, resumable.

Progress is kept per resource type in ``reindex_progress`` together with the registry version, so an
interrupted run resumes where it stopped and a finished one is not repeated for the same registry.
The server keeps serving meanwhile: each batch locks only its own rows, briefly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from importlib import resources

from sqlalchemy import Connection, func, select

from fhir_server.model.json import loads
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.storage import index_writer
from fhir_server.storage.engine import WRITE_OPTION
from fhir_server.storage.indexing import index_rows
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.schema import reindex_progress, resource

Progress = Callable[[str, int, int], None]


def registry_version() -> str:
    """A fingerprint of the search parameter table the index rows were built from."""
    data = resources.files("fhir_server.search").joinpath("r4_search_parameters.json").read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _start(connection: Connection, type_name: str, version: str, restart: bool) -> int:
    row = connection.execute(
        select(reindex_progress.c.last_pk, reindex_progress.c.registry_version).where(
            reindex_progress.c.res_type == type_name
        )
    ).first()
    if row is None or restart or row.registry_version != version:
        return 0
    return int(row.last_pk)


def _save(connection: Connection, type_name: str, last_pk: int, version: str) -> None:
    connection.execute(reindex_progress.delete().where(reindex_progress.c.res_type == type_name))
    connection.execute(reindex_progress.insert().values(res_type=type_name, last_pk=last_pk, registry_version=version))


def reindex_type(
    storage: SqlStorage, type_name: str, *, batch: int = 500, restart: bool = False, progress: Progress | None = None
) -> int:
    """Re-extract the index rows of every current resource of one type; returns how many were done."""
    version = registry_version()
    with storage.engine.connect() as connection:
        last_pk = _start(connection, type_name, version, restart)
        total = connection.execute(
            select(func.count()).where(resource.c.res_type == type_name, resource.c.pk > last_pk)
        ).scalar_one()
    done = 0
    while True:
        with storage.engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                rows = connection.execute(
                    select(resource.c.pk, resource.c.deleted, resource.c.content)
                    .where(resource.c.res_type == type_name, resource.c.pk > last_pk)
                    .order_by(resource.c.pk)
                    .limit(batch)
                ).all()
                if not rows:
                    break
                for row in rows:
                    index_writer.clear(connection, row.pk, type_name)
                    if not row.deleted and row.content is not None:
                        found = index_rows(loads(row.content), storage.context)
                        index_writer.insert_rows(connection, row.pk, type_name, found)
                last_pk = rows[-1].pk
                _save(connection, type_name, last_pk, version)
        done += len(rows)
        if progress is not None:
            progress(type_name, done, total)
    return done


def reindex(
    storage: SqlStorage,
    types: list[str] | None = None,
    *,
    batch: int = 500,
    restart: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Reindex the given types (every served type by default)."""
    return {
        type_name: reindex_type(storage, type_name, batch=batch, restart=restart, progress=progress)
        for type_name in (types or sorted(SERVED_TYPES))
    }
