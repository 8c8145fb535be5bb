"""Where interactions run: on the event loop, or in the worker thread pool.

Reads (read, vread, search, history) are one or two statements with no commit: run inline, they
skip a thread hop and the GIL hand-offs that cost more than the work itself (measured: 3,040
against 1,420 reads/s on PostgreSQL with two workers). Writes wait for a dozen round trips and the
commit's WAL flush; inline, that wait stalls every other request of the worker (measured in the
mixed soak: two thirds of the event loop's busy time was spent waiting on PostgreSQL), so they go
to the thread pool, like bundles and operations, which can take long.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
# GET interactions served by run_short, on the event loop: a request timer cannot fire before they
# end (the loop is busy with them), so the request time limit skips its watchdog task for them; the
# PostgreSQL statement timeout still bounds them.
INLINE_GETS = frozenset({"read", "vread", "search", "history"})
T = TypeVar("T")


async def run_short(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a bounded single-resource interaction inline."""
    return work(*args, **kwargs)


async def run_write(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a write interaction in the thread pool: the loop serves other requests while it commits."""
    return await run_in_threadpool(work, *args, **kwargs)


async def run_long(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run an interaction that may take long in the thread pool."""
    return await run_in_threadpool(work, *args, **kwargs)
