"""Answers kept per header text: short headers once, long headers and refusals every time."""

from __future__ import annotations

import pytest

from fhir_server.header_cache import LONGEST_KEPT, kept_per_header


def test_short_headers_are_computed_once_long_ones_and_refusals_every_time() -> None:
    calls: list[str] = []

    @kept_per_header
    def answer(header: str, default: str) -> str:
        calls.append(header)
        if header == "refused":
            raise ValueError(header)
        return f"{header}/{default}"

    short, long = "es-EC", "x" * (LONGEST_KEPT + 1)
    assert [answer(short, "es"), answer(short, "es"), answer(short, "en")] == ["es-EC/es", "es-EC/es", "es-EC/en"]
    assert answer(long, "es") == answer(long, "es") == f"{long}/es"
    for _ in range(2):
        with pytest.raises(ValueError):
            answer("refused", "es")
    assert calls == [short, short, long, long, "refused", "refused"]
