"""Compiled search SQL per shape: built and compiled by SQLAlchemy once, then run with new bound values.

A search's select costs about as much Python to build, hash and look up in SQLAlchemy's own cache as
the database takes to answer it. ``search_plan`` gives a search's shape key and its values in SQL order
without building anything. The first search of a shape is built the ordinary way and compiled; the
cache keeps its SQL only when the plan's values are exactly the compiled statement's values, in order,
none needs a driver conversion, and no value could be mistaken for another (so the order is proven).
Later searches of the shape run that SQL text with their own values (bound, never rendered into it).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select

from fhir_server.storage.driver import fetch_sql
from fhir_server.storage.search_plan import Plan

log = logging.getLogger(__name__)

MAX_SHAPES = 2048
# Tests set this to rebuild every search and compare it with the cached SQL and values.
VERIFY = False
# A shape whose plan did not match its compiled statement: always built the ordinary way.
_UNUSABLE = "-- unusable"
_NAMED = re.compile(r"%\(([^)]+)\)s")
_cache: dict[tuple[Any, ...], str] = {}
_filling = threading.Lock()  # searches run in threads: eviction must not race another fill


def execute(connection: Connection, plan: Plan | None, build: Callable[[], Select[Any]]) -> Sequence[Sequence[Any]]:
    """The rows of the statement ``build()`` returns, from the cached SQL of its shape when there is one."""
    if plan is None or not plan.values:
        return list(connection.execute(build()))
    dialect = connection.dialect
    key = (_dialect_key(dialect), *plan.key)
    sql = _cache.get(key)
    if sql is None:
        statement = build()
        sql = _fill(key, dialect, plan, statement)
        if sql is None:
            return list(connection.execute(statement))
    elif sql is _UNUSABLE:
        return list(connection.execute(build()))
    elif VERIFY:
        fresh = compiled(dialect, build())
        if fresh is None or fresh[0] != sql or _typed(fresh[1]) != _typed(plan.values):
            raise AssertionError(f"cached search SQL differs from a fresh build: {plan.key}")
    if dialect.name == "postgresql":  # SQLAlchemy's execution machinery costs about as much as the lookup
        return fetch_sql(connection, sql, tuple(plan.values))
    return list(connection.exec_driver_sql(sql, tuple(plan.values)))


def compiled(dialect: Dialect, statement: Select[Any]) -> tuple[str, list[Any]] | None:
    """The statement's SQL with positional placeholders and its values in order (None: a value needs converting)."""
    state = statement.compile(dialect=dialect).construct_expanded_state()
    if state.positiontup is not None:
        names, sql = list(state.positiontup), state.statement
    elif dialect.paramstyle == "pyformat":
        names, sql = _NAMED.findall(state.statement), _NAMED.sub("%s", state.statement)
    else:
        return None
    if any(state.processors.get(name) is not None for name in names):
        return None
    return sql, [state.parameters[name] for name in names]


def cached(dialect: Dialect, plan: Plan) -> str | None:
    """The SQL kept for the plan's shape on this dialect, if any."""
    sql = _cache.get((_dialect_key(dialect), *plan.key))
    return None if sql is _UNUSABLE else sql


def clear() -> None:
    _cache.clear()


def _dialect_key(dialect: Dialect) -> tuple[Any, ...]:
    return (type(dialect), dialect.paramstyle, dialect.server_version_info, dialect.supports_native_boolean)


def _typed(values: list[Any]) -> list[tuple[type, Any]]:
    return [(type(v), v) for v in values]


def _fill(key: tuple[Any, ...], dialect: Dialect, plan: Plan, statement: Select[Any]) -> str | None:
    fresh = compiled(dialect, statement)
    if fresh is None or _typed(fresh[1]) != _typed(plan.values):
        # search_plan does not mirror this shape: never cache it (and say so, it is a bug to fix).
        log.warning("search shape not cached: its plan differs from its compiled statement: %s", plan.key)
        _store(key, _UNUSABLE)
        return None
    if not _ambiguous(plan):
        _store(key, fresh[0])
    return fresh[0]  # right for this search's values in any case


def _store(key: tuple[Any, ...], sql: str) -> None:
    with _filling:
        if len(_cache) >= MAX_SHAPES:
            _cache.pop(next(iter(_cache)))
        _cache[key] = sql


def _ambiguous(plan: Plan) -> bool:
    """True when two different slots (or a slot and a constant) hold equal values: their order is unproven."""
    seen: dict[tuple[type, Any], int] = {}
    for slot, value in zip(plan.slots, plan.values, strict=True):
        try:
            first = seen.setdefault((type(value), value), slot)
        except TypeError:
            return True
        if first != slot:
            return True
    return False
