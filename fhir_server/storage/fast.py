"""Primary-key lookups on the raw DBAPI cursor, with SQL compiled once per dialect by SQLAlchemy.

A read by id is the hottest path of the server; SQLAlchemy's per-execution machinery costs more
than the lookup itself (about 60 µs against 6 µs on SQLite). The SQL text still comes from the
SQLAlchemy Core statement, with bound parameters only; on PostgreSQL it runs on libpq (``lean``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.sql import CompoundSelect, Select

from fhir_server.storage import lean


class CompiledLookup:
    """A select compiled per dialect and run on a pooled raw connection."""

    def __init__(self, statement: Select[Any] | CompoundSelect[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, list[str] | None]] = {}

    def _sql(self, engine: Engine) -> tuple[str, list[str] | None]:
        name = engine.dialect.name
        compiled = self._compiled.get(name)
        if compiled is None:
            result = self.statement.compile(dialect=engine.dialect)
            positions = list(result.positiontup) if result.positiontup else None
            compiled = self._compiled[name] = (str(result), positions)
        return compiled

    def first(self, engine: Engine, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row for the parameters, or None."""
        sql, positions = self._sql(engine)
        arguments: Any = [params[p] for p in positions] if positions is not None else dict(params)
        connection = engine.raw_connection()
        try:
            if engine.dialect.name == "postgresql":
                driver: Any = connection.driver_connection
                found = lean.rows(driver, connection.info, sql, arguments)
                if found is not None:
                    return found[0] if found else None
            cursor = connection.cursor()
            try:
                cursor.execute(sql, arguments)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()
        return tuple(row) if row is not None else None
