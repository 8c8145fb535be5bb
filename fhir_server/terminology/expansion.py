"""An expanded value set kept in memory: ordered entries, membership, and a word index for filters."""

from __future__ import annotations

import threading

from fhir_server.terminology.compose import Composed, Entry
from fhir_server.terminology.text import WordIndex, code_words, words


class Expansion:
    """The codes of one value set version, in order; built once and shared by requests."""

    def __init__(self, url: str | None, version: str | None, composed: Composed) -> None:
        self.url = url
        self.version = version
        self.entries: list[Entry] = composed.entries
        # complete: every code of the value set is here (a code that is absent is not in it).
        self.complete = composed.complete
        self.used_systems = composed.used_systems
        self._keys: dict[tuple[str, str], int] = {}
        self._codes: dict[str, int] = {}
        self._folded: dict[tuple[str, str], int] = {}
        for position, entry in enumerate(self.entries):
            self._keys.setdefault(entry.key, position)
            self._codes.setdefault(entry.concept.code, position)
            if entry.source is not None and not entry.source.case_sensitive:
                self._folded.setdefault((entry.system, entry.concept.code.casefold()), position)
        self._index: WordIndex | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, system: str | None, code: str) -> Entry | None:
        """The entry of a code (of any system when ``system`` is None)."""
        position = self._codes.get(code) if system is None else self._keys.get((system, code))
        if position is None and system is not None:
            position = self._folded.get((system, code.casefold()))
        return self.entries[position] if position is not None else None

    @property
    def index(self) -> WordIndex:
        """Words of every entry: its code, display and designations (built on first use)."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = WordIndex(self._words(entry) for entry in self.entries)
        return self._index

    @staticmethod
    def _words(entry: Entry) -> list[str]:
        concept = entry.concept
        found = code_words(concept.code)
        if concept.display:
            found += words(concept.display)
        for designation in concept.designations:
            found += words(designation.value)
        return found

    def positions(
        self,
        text: str | None = None,
        *,
        active_only: bool = False,
        selectable_only: bool = False,
        within: set[str] | None = None,
    ) -> list[int]:
        """Positions of the entries passing the text filter and the flags, in order."""
        found = self.index.search(text) if text else None
        positions = range(len(self.entries)) if found is None else found
        if not (active_only or selectable_only or within is not None):
            return list(positions)
        kept = []
        for position in positions:
            concept = self.entries[position].concept
            if active_only and concept.inactive:
                continue
            if selectable_only and concept.abstract:
                continue
            if within is not None and concept.code not in within:
                continue
            kept.append(position)
        return kept
