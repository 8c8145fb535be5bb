"""Value normalisation shared by index extraction and query parsing."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# Texts up to this length have their folded form cached: names, displays and units repeat a lot.
_CACHED_FOLD_LENGTH = 200


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'José Núñez' -> 'jose nunez'."""
    if text.isascii():
        # NFKD leaves ASCII alone, it has no combining marks, and casefold() is lower() on it.
        return text.lower().strip()
    if len(text) <= _CACHED_FOLD_LENGTH:
        return _fold_cached(text)
    return _fold(text)


@lru_cache(maxsize=8192)
def _fold_cached(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def like_escape(text: str) -> str:
    """Escape LIKE wildcards (the escape character is backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def prefix_upper_bound(text: str) -> str:
    """The smallest string greater than every string starting with ``text`` (for range scans)."""
    return text + "\uffff"


def decimal_range(value: Decimal) -> tuple[Decimal, Decimal]:
    """[low, high) implied by a decimal's precision: 5.4 -> [5.35, 5.45), 100 -> [99.5, 100.5)."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        raise InvalidOperation(str(value))
    half = Decimal(5).scaleb(exponent - 1)
    return value - half, value + half


def to_decimal(value: object) -> Decimal | None:
    """A Decimal from a JSON number or numeric text (None when it is not a finite number)."""
    if isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None
