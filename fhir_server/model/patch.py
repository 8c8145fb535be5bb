"""JSON Patch (RFC 6902) on a resource's JSON, through the jsonpatch library."""

from __future__ import annotations

from typing import Any

import jsonpatch
import jsonpointer


class PatchInvalid(ValueError):
    """The patch document itself is malformed (400)."""


class PatchFailed(ValueError):
    """The patch is well formed but cannot be applied to this resource (422)."""


def compile_json_patch(document: Any) -> jsonpatch.JsonPatch:
    """A JsonPatch from a parsed body, checked for shape before any resource is touched."""
    if not isinstance(document, list) or not document:
        raise PatchInvalid("a JSON Patch is a non-empty array of operations")
    for index, operation in enumerate(document):
        if not isinstance(operation, dict) or not isinstance(operation.get("op"), str):
            raise PatchInvalid(f"operation {index} has no 'op'")
        if not isinstance(operation.get("path"), str):
            raise PatchInvalid(f"operation {index} has no 'path'")
    try:
        return jsonpatch.JsonPatch(document)
    except (jsonpatch.InvalidJsonPatch, jsonpointer.JsonPointerException) as exc:
        raise PatchInvalid(str(exc)) from None


def apply_json_patch(patch: jsonpatch.JsonPatch, resource: dict[str, Any]) -> Any:
    """The patched copy of the resource (the input is left untouched)."""
    try:
        return patch.apply(resource, in_place=False)
    except jsonpatch.InvalidJsonPatch as exc:
        raise PatchInvalid(str(exc)) from None
    except (
        jsonpatch.JsonPatchException,
        jsonpointer.JsonPointerException,
        TypeError,
        KeyError,
        IndexError,
    ) as exc:
        raise PatchFailed(str(exc) or type(exc).__name__) from None
