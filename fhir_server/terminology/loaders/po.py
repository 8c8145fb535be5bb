"""A small gettext ``.po`` reader: msgctxt -> (msgid, msgstr), multi-line strings and escapes included."""

from __future__ import annotations

import ast
from pathlib import Path

_KEYWORDS = ("msgctxt", "msgid", "msgstr")


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return ""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text[1:-1]
    return value if isinstance(value, str) else ""


def read_po(path: Path) -> dict[str, tuple[str, str]]:
    """Entries with a context, by context: (source text, translation)."""
    entries: dict[str, tuple[str, str]] = {}
    current: dict[str, str] = {}
    field: str | None = None

    def flush() -> None:
        if "msgctxt" in current:
            entries[current["msgctxt"]] = (current.get("msgid", ""), current.get("msgstr", ""))
        current.clear()

    for line in path.read_text("utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            if not stripped:
                flush()
                field = None
            continue
        keyword, _, rest = stripped.partition(" ")
        if keyword in _KEYWORDS:
            if keyword == "msgctxt" or (keyword == "msgid" and "msgstr" in current):
                flush()
            field = keyword
            current[field] = _unquote(rest)
        elif stripped.startswith('"') and field is not None:
            current[field] = current.get(field, "") + _unquote(stripped)
    flush()
    return entries
