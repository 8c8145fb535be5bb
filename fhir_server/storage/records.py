"""Rows as the layers above see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# Append-only types: a resource of these is never changed once created (ADR 0016). The server writes
# them in volume; system history leaves them out.
APPEND_ONLY_TYPES = frozenset({"AuditEvent"})


class Stored(NamedTuple):
    """One version of a resource: the current one, a historical one, or a tombstone.

    A named tuple: built for every row a search or a batch returns, and a frozen dataclass took five
    times as long to build.
    """

    pk: int
    type: str
    id: str
    version: int
    last_updated: int
    deleted: bool
    content: bytes | None
    method: str = "PUT"


@dataclass(frozen=True, slots=True)
class Page:
    """A page of results: the rows, the cursor of the next page, the total when counted, includes."""

    rows: list[Stored]
    next_cursor: str | None
    total: int | None = None
    included: list[Stored] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None
