"""New logical ids: random (version 4) UUIDs as text, without building a ``uuid.UUID`` each time.

``str(uuid.uuid4())`` spends most of its 3 µs constructing and formatting the object; the server draws
several ids per request (the resource, its AuditEvents, the request id). Same randomness
(``os.urandom``), same text.
"""

from __future__ import annotations

import os

# The variant nibble: its two high bits are 10 (RFC 9562), the low two stay random.
_VARIANT = {digit: "89ab"[int(digit, 16) & 0x3] for digit in "0123456789abcdef"}


def new_id() -> str:
    """A random UUID in its canonical text form (``xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx``)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def new_token() -> str:
    """32 random hex digits (a request id when the client sent none)."""
    return os.urandom(16).hex()
