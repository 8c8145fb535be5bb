"""New ids are random version-4 UUIDs in canonical text, and request ids 32 hex digits."""

from __future__ import annotations

import re
import uuid

from fhir_server.model.ids import new_id, new_token
from fhir_server.model.references import is_valid_id


def test_new_ids_are_canonical_random_uuids() -> None:
    drawn = [new_id() for _ in range(20_000)]
    assert len(set(drawn)) == len(drawn)
    for text in drawn:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical: lower case, hyphens where uuid puts them
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert is_valid_id(text)
    # Every bit outside version and variant varies: 122 random bits, like uuid4.
    ones = [0] * 128
    for text in drawn:
        value = uuid.UUID(text).int
        for bit in range(128):
            ones[bit] += (value >> bit) & 1
    fixed = {bit for bit in range(128) if ones[bit] in (0, len(drawn))}
    assert fixed == {76, 77, 78, 79, 62, 63}  # version 0100 (one bit set) and variant 10


def test_new_tokens_are_32_hex_digits() -> None:
    drawn = {new_token() for _ in range(1000)}
    assert len(drawn) == 1000 and all(re.fullmatch(r"[0-9a-f]{32}", token) for token in drawn)
