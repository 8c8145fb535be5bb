"""Rows as the layers above see them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stored:
    """One version of a resource: the current one, a historical one, or a tombstone."""

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
    """A page of results: the rows, whether more follow, and the total when counted."""

    rows: list[Stored]
    has_more: bool
    total: int | None = None
