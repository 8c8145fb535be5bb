"""Word-prefix search over displays: precomputed so a filter costs a few bisections, not a scan.

Texts are folded (case and accents) and cut into words; each word keeps the sorted list of the
documents that contain it. A filter matches a document when every one of its words is the prefix of
some word of the document ("fari agu" finds "Faringitis aguda"). Codes are words too, with and
without their dot, so "J02", "j02.9" and "J029" all work.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from fhir_server.search.values import fold

_SPLIT = re.compile(r"[^\w]+")
# Filter tokens keep dots and dashes so "J06.9" or "J00-J06" can match a code as a whole.
_TOKENS = re.compile(r"[^\w.\-]+")
_CACHED_TOKENS = 256


def words(text: str) -> list[str]:
    """The folded words of a text: 'Infección aguda (vías)' -> ['infeccion', 'aguda', 'vias']."""
    return [w for w in _SPLIT.split(fold(text)) if w]


def code_words(code: str) -> list[str]:
    """A code as searchable words: itself, and without dots ('J06.9' -> 'j06.9', 'j069')."""
    folded = fold(code)
    plain = folded.replace(".", "")
    return [folded, plain] if plain != folded else [folded]


def filter_tokens(text: str) -> list[str]:
    """The tokens of a user filter, folded; empty when the filter has no letters or digits."""
    return [t for t in (token.strip(".-") for token in _TOKENS.split(fold(text))) if t]


class WordIndex:
    """Documents (numbered 0..n-1 in their order) searchable by word prefixes."""

    __slots__ = ("_cache", "_postings", "_words", "size")

    def __init__(self, documents: Iterable[Iterable[str]]) -> None:
        postings: dict[str, list[int]] = {}
        size = 0
        for number, document in enumerate(documents):
            size = number + 1
            for word in set(document):
                postings.setdefault(word, []).append(number)
        self.size = size
        self._words: list[str] = sorted(postings)
        self._postings: list[Sequence[int]] = [tuple(postings[w]) for w in self._words]
        self._cache: dict[str, frozenset[int]] = {}

    def prefix(self, token: str) -> frozenset[int]:
        """The documents with a word starting with ``token``."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        found: set[int] = set()
        position = bisect_left(self._words, token)
        while position < len(self._words) and self._words[position].startswith(token):
            found.update(self._postings[position])
            position += 1
        result = frozenset(found)
        if len(self._cache) >= _CACHED_TOKENS:
            self._cache.clear()
        self._cache[token] = result
        return result

    def _token(self, token: str) -> frozenset[int]:
        found = self.prefix(token)
        parts = [p for p in re.split(r"[.\-]+", token) if p]
        if len(parts) > 1:
            # "no-especificada" also matches "no especificada"; "J06.9" already matched as a code.
            found = found | frozenset.intersection(*(self.prefix(p) for p in parts))
        return found

    def search(self, text: str) -> list[int] | None:
        """Documents matching every token of ``text``, in document order; None when the text has no tokens."""
        tokens = filter_tokens(text)
        if not tokens:
            return None
        sets = sorted((self._token(t) for t in dict.fromkeys(tokens)), key=len)
        matched = set(sets[0])
        for other in sets[1:]:
            matched &= other
            if not matched:
                break
        return sorted(matched)
