"""New logical ids: time-ordered (version 7) UUIDs as text, without building a ``uuid.UUID`` each time.

Version 7 (RFC 9562) starts with the Unix time in milliseconds, then 74 random bits: ids drawn later
sort later, so the B-trees keyed by id (the resource table's, the index rows' references to new
resources) grow at their right edge instead of at random pages, and 74 random bits still make an id
unguessable. The creation time the id reveals is the one ``meta.lastUpdated`` shows anyway.
``str(uuid.uuid4())`` spent most of its 3 µs constructing and formatting the object; the server draws
several ids per request (the resource, its AuditEvents, its Provenance).
"""

from __future__ import annotations

import os
import time
from random import getrandbits as _random_bits

# The variant nibble: its two high bits are 10 (RFC 9562), the low two stay random.
_VARIANT = {digit: "89ab"[int(digit, 16) & 0x3] for digit in "0123456789abcdef"}


def new_id() -> str:
    """A version-7 UUID in canonical text form (``tttttttt-tttt-7xxx-[89ab]xxx-xxxxxxxxxxxx``)."""
    t = f"{time.time_ns() // 1_000_000:012x}"
    h = os.urandom(10).hex()
    return f"{t[:8]}-{t[8:]}-7{h[1:4]}-{_VARIANT[h[4]]}{h[5:8]}-{h[8:]}"


def new_token() -> str:
    """32 random hex digits (a request id when the client sent none).

    From Python's generator, not the system's: a request id only correlates log lines, and
    ``os.urandom`` is a system call that gives up the GIL on the event loop, which then waits for a
    writing thread to hand it back (the leaf of 6 % of a saturated loop's samples in py-spy --idle)."""
    return f"{_random_bits(128):032x}"
