"""How late each worker's event loop runs: a timer due every 100 ms notes by how much it was late.

A late loop is busy or blocked (reads and searches run on it, round trips to PostgreSQL included), and
every request of that worker waits behind it. Keep-alive connections stay with the worker that
accepted them, so one worker can be saturated while another idles: measured with a probe like this
one at 420 requests/s over 32 connections split 12/20, the busier loop ran 19-52 ms late for 16
seconds while the other ran 1-4 ms late. The histogram shows how often loops run late; the gauge,
one series per live worker, shows which; and a worker late on average over a window lets a few
keep-alive connections go, so their clients reconnect to a worker with room (ADR 0020).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

INTERVAL_SECONDS = 0.1
WINDOW_SECONDS = 1.0
# Connections a late loop lets go per window (each reconnects to whichever worker accepts it).
SHEDS_PER_WINDOW = 2
_running: LoopWatch | None = None


class _Observer(Protocol):
    def observe(self, amount: float) -> None: ...


class _Setter(Protocol):
    def set(self, value: float) -> None: ...


class LoopWatch:
    """A task on the running loop recording its lateness (``start`` and ``stop`` on that loop)."""

    def __init__(
        self,
        lateness: _Observer,
        window_max: _Setter,
        *,
        interval: float = INTERVAL_SECONDS,
        window: float = WINDOW_SECONDS,
        shed_after: float = 0.0,
    ) -> None:
        self.lateness, self.window_max = lateness, window_max
        self.interval, self.window = interval, window
        self.shed_after = shed_after  # mean lateness of a window past which connections are let go (0: never)
        self._sheds_left = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        global _running
        self._task = asyncio.get_running_loop().create_task(self._run(), name="event-loop-watch")
        _running = self

    def stop(self) -> None:
        global _running
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if _running is self:
            _running = None

    def take_shed(self) -> bool:
        """True for a few requests per window after a window whose mean lateness passed ``shed_after``."""
        if self._sheds_left <= 0:
            return False
        self._sheds_left -= 1
        return True

    async def _run(self) -> None:
        largest, total, count, window_ends = 0.0, 0.0, 0, time.perf_counter() + self.window
        while True:
            due = time.perf_counter() + self.interval
            await asyncio.sleep(self.interval)
            now = time.perf_counter()
            late = max(0.0, now - due)
            self.lateness.observe(late)
            largest, total, count = max(largest, late), total + late, count + 1
            if now >= window_ends:
                self.window_max.set(largest)
                late_loop = self.shed_after > 0 and total / count > self.shed_after
                self._sheds_left = SHEDS_PER_WINDOW if late_loop else 0
                largest, total, count, window_ends = 0.0, 0.0, 0, now + self.window


def take_shed() -> bool:
    """Whether the connection of the request being read should close after its answer (see LoopWatch)."""
    return _running is not None and _running.take_shed()
