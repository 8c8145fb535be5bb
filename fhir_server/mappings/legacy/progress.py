"""Progress of an import on the terminal: one bar per legacy table (rows, rate, ETA) on standard error."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


class BarProgress:
    """A ``Progress`` callback drawing a tqdm bar per table; the bar of a finished table stays on screen."""

    def __init__(self) -> None:
        self.bar: tqdm[Any] | None = None
        self.table: str | None = None

    def __call__(self, table: str, done: int, total: int) -> None:
        if table != self.table:
            self.close()
            self.table = table
            self.bar = tqdm(total=total, desc=f"{table:<20}", unit=" filas", file=sys.stderr, dynamic_ncols=True)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.table = None
