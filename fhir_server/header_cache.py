"""Answers kept per request-header text: a client sends the same header on every request."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar, cast

Answer = TypeVar("Answer", bound=Callable[..., Any])

LONGEST_KEPT = 200  # characters; a longer header is read in full every time
MOST_KEPT = 256


def kept_per_header(compute: Answer) -> Answer:
    """``compute(header, *rest)`` kept for headers of up to ``LONGEST_KEPT`` characters (at most ``MOST_KEPT``
    answers). An exception (a refusal) is never kept."""
    kept = lru_cache(maxsize=MOST_KEPT)(compute)

    @wraps(compute)
    def answer(header: str, *rest: Any) -> Any:
        return kept(header, *rest) if len(header) <= LONGEST_KEPT else compute(header, *rest)

    return cast(Answer, answer)
