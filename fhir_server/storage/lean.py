"""Statements run on libpq itself, through psycopg's own adaptation, skipping its cursor machinery.

A psycopg cursor's ``execute`` spends about 45 µs of Python per statement on this machine (a prepared
lookup: 100-110 µs of client CPU through a cursor, 58-64 µs this way), as much as PostgreSQL takes to
run the server's small statements. Here a statement's values are dumped and its rows loaded by a
``Transformer`` of the connection (the cursor's adapters, so the same Python values and types), and it
runs with one blocking libpq call that releases the GIL (``exec_params``, or ``exec_prepared`` once seen
twice on the connection, as the cursor prepares repeated statements).

A statement the cursor must run instead returns None: a transaction to begin with an isolation
level, read-only or deferrable mode of its own (the cursor's BEGIN says it), a failed or pipelined
transaction, a client encoding other than UTF-8, or SQL with placeholders other than ``%s`` and
``%(name)s``. The connections run with psycopg's own preparing off (``engine``): psycopg deallocates
every prepared statement of a connection when it rolls back a transaction it prepared in, and would
take these too. Errors are raised as the cursor raises them (``psycopg.errors.error_from_result``), and a
lost connection as ``OperationalError`` on a broken connection, so SQLAlchemy invalidates it as before.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer

_STATE_KEY = "fhir_lean"
_PREPARE_AT = 2  # executions of a statement on a connection before it is prepared there
_MOST_PREPARED = 200  # per connection; the least recently used is deallocated beyond it
_MOST_COUNTED = 400
_PLACEHOLDER = re.compile(r"%(?:\(([^)]+)\)s|s|%|.|$)", re.DOTALL)
_OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
_CAN_CLOSE = pq.version() >= 170000
_INTRANS = pq.TransactionStatus.INTRANS
_IDLE = pq.TransactionStatus.IDLE


class _State:
    """What one connection keeps: its transformer and its prepared statements."""

    __slots__ = ("counted", "made", "prepared", "transformer")

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.transformer = Transformer.from_context(connection)
        self.prepared: OrderedDict[tuple[bytes, tuple[int, ...]], bytes] = OrderedDict()
        self.counted: OrderedDict[tuple[bytes, tuple[int, ...]], int] = OrderedDict()
        self.made = 0


@lru_cache(maxsize=2048)
def converted(sql: str) -> tuple[bytes, tuple[str, ...] | int] | None:
    """The SQL with ``$n`` placeholders and what fills them: parameter names (``%(name)s``) or a count
    (``%s``); None when it holds anything else, or both kinds."""
    names: list[str] = []
    positional = 0
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(sql):
        parts.append(sql[last : match.start()])
        last = match.end()
        token = match.group(0)
        if token == "%%":
            parts.append("%")
        elif token == "%s":
            positional += 1
            parts.append(f"${positional}")
        elif match.group(1) is not None:
            name = match.group(1)
            if name not in names:
                names.append(name)
            parts.append(f"${names.index(name) + 1}")
        else:
            return None  # %b, %t or a stray %: the cursor's own rules apply
    if names and positional:
        return None
    parts.append(sql[last:])
    return "".join(parts).encode(), (tuple(names) if names else positional)


def rows(
    connection: psycopg.Connection[Any], info: dict[Any, Any], sql: str, params: Mapping[str, Any] | Sequence[Any]
) -> list[tuple[Any, ...]] | None:
    """The statement's rows ([] for a command), or None when the cursor must run it."""
    pgconn = connection.pgconn
    shape = converted(sql)
    if shape is None or pgconn.status != pq.ConnStatus.OK or pgconn.pipeline_status:
        return None
    if connection.info.encoding != "utf-8" or not _in_transaction(connection, pgconn):
        return None
    query, fills = shape
    if isinstance(fills, int):
        if isinstance(params, Mapping) or len(params) != fills:
            return None
        values: Sequence[Any] = params
    elif isinstance(params, Mapping):
        values = [params[name] for name in fills]
    else:
        return None
    state = info.get(_STATE_KEY)
    if state is None:
        state = info[_STATE_KEY] = _State(connection)
    transformer = state.transformer
    dumped: Sequence[Any] = []
    types: Sequence[int] = ()
    formats: Sequence[Any] = ()
    if values:
        dumped = transformer.dump_sequence(values, [PyFormat.AUTO] * len(values))
        types, formats = transformer.types or (), transformer.formats or ()
    result = _execute(pgconn, state, query, dumped, types, formats)
    if result.status not in _OK:
        if pgconn.status == pq.ConnStatus.BAD:
            raise errors.OperationalError(f"consuming input failed: {pgconn.get_error_message()}")
        raise errors.error_from_result(result, encoding="utf-8")
    if result.status != pq.ExecStatus.TUPLES_OK or not result.ntuples:
        return []
    transformer.set_pgresult(result)
    return transformer.load_rows(0, result.ntuples, tuple)


def _in_transaction(connection: psycopg.Connection[Any], pgconn: Any) -> bool:
    """Whether a statement can run now: in autocommit, or in a transaction, begun here when the cursor would
    begin it with a plain BEGIN (no isolation level, read-only or deferrable mode of its own)."""
    status = pgconn.transaction_status
    if status == _INTRANS or connection.autocommit:
        return status in (_INTRANS, _IDLE)
    if status != _IDLE or connection.isolation_level is not None:
        return False
    if connection.read_only is not None or connection.deferrable is not None:
        return False
    begun = pgconn.exec_(b"BEGIN")
    return bool(begun.status == pq.ExecStatus.COMMAND_OK and pgconn.transaction_status == _INTRANS)


def _execute(
    pgconn: Any, state: _State, query: bytes, dumped: Sequence[Any], types: Sequence[int], formats: Sequence[Any]
) -> Any:
    key = (query, tuple(types))
    name = state.prepared.get(key)
    if name is not None:
        state.prepared.move_to_end(key)
        return pgconn.exec_prepared(name, dumped, formats)
    seen = state.counted.pop(key, 0) + 1
    if seen < _PREPARE_AT:
        state.counted[key] = seen
        if len(state.counted) > _MOST_COUNTED:
            state.counted.popitem(last=False)
        return pgconn.exec_params(query, dumped, types, formats)
    if len(state.prepared) >= _MOST_PREPARED:
        if not _CAN_CLOSE:  # libpq before 17 cannot close one statement: run the newcomer unprepared
            return pgconn.exec_params(query, dumped, types, formats)
        _, old = state.prepared.popitem(last=False)
        pgconn.close_prepared(old)  # a protocol Close: never an error, even inside a transaction
    state.made += 1
    name = f"fhir_{state.made}".encode()
    made = pgconn.prepare(name, query, types)
    if made.status != pq.ExecStatus.COMMAND_OK:
        return made  # reported by the caller as the cursor would
    state.prepared[key] = name
    return pgconn.exec_prepared(name, dumped, formats)
