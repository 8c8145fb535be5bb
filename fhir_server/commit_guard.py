"""Who settles a request that reaches its time limit: the 503, or a commit already under way.

A request abandoned at its time limit keeps running in its worker thread, which Python cannot stop.
Without this guard its write could still commit after the client was answered 503, and a client
that retries would store it twice. The guard makes the two outcomes exclusive: a transaction asks
it before committing, the time limit asks it before answering, and whichever asks first wins.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from fhir_server.errors import Unavailable

_RUNNING, _COMMITTING, _ABANDONED = range(3)


class CommitGuard:
    """One request's state: running, committing (its answer must wait), or abandoned (nothing commits)."""

    __slots__ = ("_lock", "_state")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _RUNNING

    def abandon(self) -> bool:
        """Abandon the request unless a commit has begun; True when it is abandoned."""
        with self._lock:
            if self._state == _COMMITTING:
                return False
            self._state = _ABANDONED
            return True

    def claim_commit(self) -> None:
        """Let a transaction commit, or raise when the request was already answered 503."""
        with self._lock:
            if self._state == _ABANDONED:
                raise Unavailable("ops-request-abandoned", code="timeout")
            self._state = _COMMITTING


# Context variables travel with the request's task and into the threads it runs work in.
_current: ContextVar[CommitGuard | None] = ContextVar("commit_guard", default=None)


@contextmanager
def guarded_request() -> Iterator[CommitGuard]:
    """A new guard for the request run in this block (and the tasks and threads it starts)."""
    guard = CommitGuard()
    token = _current.set(guard)
    try:
        yield guard
    finally:
        _current.reset(token)


def claim_commit() -> None:
    """Called by every request-scoped transaction right before it commits (no guard: nothing to do)."""
    guard = _current.get()
    if guard is not None:
        guard.claim_commit()
