"""Narrative XHTML safety: the FHIR rules (txt-1, txt-2) plus no scripts or event handlers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

XHTML_NS = "{http://www.w3.org/1999/xhtml}"

_ALLOWED_ELEMENTS = frozenset(
    [
        "a",
        "abbr",
        "acronym",
        "b",
        "big",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "ul",
        "var",
    ]
)
_ALLOWED_ATTRIBUTES = frozenset(
    [
        "title",
        "style",
        "class",
        "id",
        "lang",
        "dir",
        "accesskey",
        "tabindex",
        "href",
        "name",
        "src",
        "alt",
        "width",
        "height",
        "longdesc",
        "span",
        "align",
        "valign",
        "char",
        "charoff",
        "abbr",
        "axis",
        "headers",
        "scope",
        "rowspan",
        "colspan",
        "border",
        "frame",
        "rules",
        "cellspacing",
        "cellpadding",
        "summary",
        "start",
        "type",
        "value",
        "cite",
        "datetime",
        "rel",
    ]
)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DANGEROUS_VALUE = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html)|expression\s*\(", re.I)


class UnsafeNarrative(ValueError):
    """The narrative breaks a FHIR rule or could run code in a browser."""


def check_xhtml(div: str) -> None:
    """Raise UnsafeNarrative unless the text is a safe, well-formed FHIR narrative div."""
    if "<!DOCTYPE" in div.upper() or "<!ENTITY" in div.upper():
        raise UnsafeNarrative("DOCTYPE and ENTITY declarations are not allowed")
    try:
        root = ET.fromstring(div)
    except ET.ParseError as exc:
        raise UnsafeNarrative(f"not well-formed XHTML ({exc})") from None
    if root.tag != XHTML_NS + "div":
        raise UnsafeNarrative("the root must be a <div> in the XHTML namespace")
    has_text = False
    for element in root.iter():
        tag = element.tag
        if not tag.startswith(XHTML_NS):
            raise UnsafeNarrative(f"element {tag!r} is outside the XHTML namespace")
        local = tag[len(XHTML_NS) :]
        if local not in _ALLOWED_ELEMENTS:
            raise UnsafeNarrative(f"element <{local}> is not allowed")
        for attribute, value in element.attrib.items():
            name = attribute if attribute == _XML_LANG else attribute.rsplit("}", 1)[-1]
            if name != _XML_LANG and (name not in _ALLOWED_ATTRIBUTES or name.lower().startswith("on")):
                raise UnsafeNarrative(f"attribute {name!r} is not allowed on <{local}>")
            if _DANGEROUS_VALUE.search(value):
                raise UnsafeNarrative(f"attribute {name!r} holds script")
        if (element.text and element.text.strip()) or (element.tail and element.tail.strip()):
            has_text = True
        if local == "img":
            has_text = True
    if not has_text:
        raise UnsafeNarrative("the narrative has no content")
