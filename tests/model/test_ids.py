"""New ids are time-ordered version-7 UUIDs in canonical text, and request ids 32 hex digits."""

from __future__ import annotations

import re
import time
import uuid

from fhir_server.model.ids import new_id, new_token
from fhir_server.model.references import is_valid_id


def test_new_ids_are_canonical_version_7_uuids() -> None:
    before = time.time_ns() // 1_000_000
    drawn = [new_id() for _ in range(20_000)]
    after = time.time_ns() // 1_000_000
    assert len(set(drawn)) == len(drawn)
    for text in drawn:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical: lower case, hyphens where uuid puts them
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert before <= parsed.int >> 80 <= after  # the first 48 bits: Unix time in milliseconds
        assert is_valid_id(text)


def test_ids_drawn_later_sort_later() -> None:
    first = new_id()
    time.sleep(0.002)
    assert new_id() > first


def test_every_bit_below_the_time_is_random_but_version_and_variant() -> None:
    # 74 random bits, as RFC 9562 lays them out: rand_a (12), then rand_b (62) after the variant.
    drawn = [uuid.UUID(new_id()).int for _ in range(20_000)]
    ones = [sum((value >> bit) & 1 for value in drawn) for bit in range(80)]
    fixed = {bit for bit in range(80) if ones[bit] in (0, len(drawn))}
    assert fixed == {76, 77, 78, 79, 62, 63}  # version 0111 (three bits set) and variant 10


def test_new_tokens_are_32_hex_digits() -> None:
    drawn = {new_token() for _ in range(1000)}
    assert len(drawn) == 1000 and all(re.fullmatch(r"[0-9a-f]{32}", token) for token in drawn)
