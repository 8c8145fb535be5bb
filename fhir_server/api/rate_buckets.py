"""Where the rate limiter keeps its token buckets: in the worker, or in a file every worker maps.

``serve --workers N`` gives its workers one shared file (docs/adr/0012), so a client's budget is the
same whichever worker its connections land on. The file is a fixed table of slots (key hash, tokens,
time of the last refill) under an exclusive ``flock``; each worker maps it, nothing else is shared.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SLOT = struct.Struct("<Qdd")  # key hash (0: free), tokens, last refill (time.monotonic: one clock per host)
_PROBES = 32
_MAX_LOCAL = 10_000


class Buckets:
    """Token buckets refilled at ``rate`` units a second up to ``capacity``."""

    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity = capacity
        self.rate = rate

    @contextmanager
    def bucket(self, key: str, now: float) -> Iterator[list[float]]:
        """The key's bucket, refilled up to ``now``, as ``[tokens]``; what the caller leaves in it is kept."""
        raise NotImplementedError

    def _refill(self, tokens: float, last: float, now: float) -> float:
        return min(self.capacity, tokens + max(now - last, 0.0) * self.rate)


class LocalBuckets(Buckets):
    """Buckets in this worker's memory; only the event loop touches them, so no lock."""

    def __init__(self, capacity: float, rate: float) -> None:
        super().__init__(capacity, rate)
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, last refill]

    @contextmanager
    def bucket(self, key: str, now: float) -> Iterator[list[float]]:
        found = self._buckets.get(key)
        if found is None:
            if len(self._buckets) >= _MAX_LOCAL:
                self._forget_full(now)
            found = self._buckets[key] = [self.capacity, now]
        else:
            found[0] = self._refill(found[0], found[1], now)
            found[1] = now
        tokens = [found[0]]
        yield tokens
        found[0] = tokens[0]

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled completely is the same as no bucket.
        full = [k for k, (tokens, at) in self._buckets.items() if self._refill(tokens, at, now) >= self.capacity]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= _MAX_LOCAL:
            self._buckets.clear()


class SharedBuckets(Buckets):
    """Buckets in a file mapped by every worker of one host, one slot per client key."""

    def __init__(self, capacity: float, rate: float, path: Path, *, slots: int = 65_536) -> None:
        super().__init__(capacity, rate)
        self.slots = slots
        size = slots * _SLOT.size
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            if os.fstat(self._fd).st_size < size:
                os.ftruncate(self._fd, size)  # zero-filled: every slot free
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._map = mmap.mmap(self._fd, size)

    @contextmanager
    def bucket(self, key: str, now: float) -> Iterator[list[float]]:
        wanted = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") | 1
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            offset, tokens = self._find(wanted, now)
            bucket = [tokens]
            yield bucket
            _SLOT.pack_into(self._map, offset, wanted, bucket[0], now)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _find(self, wanted: int, now: float) -> tuple[int, float]:
        """The slot of the key and its refilled tokens; a free or the fullest slot nearby for a new key
        (taking over a slot forgives its client what it had spent, which only errs on the lenient side)."""
        start = wanted % self.slots
        spare: tuple[int, float] | None = None
        for probe in range(_PROBES):
            offset = ((start + probe) % self.slots) * _SLOT.size
            held, tokens, last = _SLOT.unpack_from(self._map, offset)
            if held == wanted:
                return offset, self._refill(tokens, last, now)
            fullness = self.capacity + 1 if held == 0 else self._refill(tokens, last, now)
            if spare is None or fullness > spare[1]:
                spare = (offset, fullness)
        assert spare is not None
        return spare[0], self.capacity

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)
