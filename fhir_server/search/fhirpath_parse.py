"""The subset of FHIRPath the R4 search parameters use, parsed into paths of steps.

Paths, unions, ``as``/``ofType``/``is``, ``where(resolve() is T)``, ``where(field='literal')``,
``[n]``, ``first()`` and ``extension(url)``; anything else raises ``Unsupported``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fhir_server.model.elements import primitive_type_name

Step = tuple[str, ...]
_TOKEN = re.compile(r"\s*(\(|\)|\||\[\d+\]|\.|'[^']*'|[A-Za-z_][\w-]*|=|!=|\s)")


class Unsupported(ValueError):
    """An expression outside the compiled subset."""


@dataclass(frozen=True, slots=True)
class Path:
    root: str | None  # the resource type, or None for a path relative to a node
    steps: tuple[Step, ...]


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise Unsupported(text)
        token = match.group(1)
        if not token.isspace():
            tokens.append(token)
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, relative: bool) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.relative = relative

    def peek(self, offset: int = 0) -> str | None:
        position = self.index + offset
        return self.tokens[position] if position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise Unsupported(f"expected {expected!r}, got {token!r}")
        self.index += 1
        return token

    def union(self) -> list[Path]:
        paths = self.term()
        while self.peek() == "|":
            self.take("|")
            paths += self.term()
        return paths

    def term(self) -> list[Path]:
        if self.peek() == "(":
            self.take("(")
            paths = self.union()
            self.take(")")
        else:
            paths = [self.path()]
        suffix = self.steps()
        if self.peek() in ("as", "is"):
            operator = self.take()
            type_name = self.take()
            type_name = primitive_type_name(type_name)
            suffix = (*suffix, ("as", type_name)) if operator == "as" else (*suffix, ("is", type_name))
            suffix = (*suffix, *self.steps())
        return [Path(p.root, p.steps + suffix) for p in paths]

    def path(self) -> Path:
        if self.relative:  # every branch of a relative union starts with an element of the node
            return Path(None, (self.segment(),))
        return Path(self.take(), ())

    def steps(self) -> tuple[Step, ...]:
        steps: list[Step] = []
        while True:
            token = self.peek()
            if token == ".":
                self.take(".")
                steps.append(self.segment())
            elif token is not None and token.startswith("["):
                self.take()
                steps.append(("index", token[1:-1]))
            else:
                return tuple(steps)

    def segment(self) -> Step:
        name = self.take()
        if self.peek() != "(":
            return ("field", name)
        self.take("(")
        args: list[str] = []
        depth = 0
        while depth or self.peek() != ")":
            token = self.take()
            depth += {"(": 1, ")": -1}.get(token, 0)
            args.append(token)
        self.take(")")
        return _function(name, args)


def _function(name: str, args: list[str]) -> Step:
    if name in ("as", "ofType") and len(args) == 1:
        return ("as", primitive_type_name(args[0]))
    if name == "where" and args[:4] == ["resolve", "(", ")", "is"] and len(args) == 5:
        return ("resolves", args[4])
    if name == "where" and len(args) == 3 and args[1] == "=" and args[2].startswith("'"):
        return ("equals", args[0], args[2][1:-1])
    if name == "extension" and len(args) == 1 and args[0].startswith("'"):
        return ("extension", args[0][1:-1])
    if name == "first" and not args:
        return ("index", "0")
    raise Unsupported(f"{name}({' '.join(args)})")


def parse(expression: str, relative: bool = False) -> list[Path]:
    """The union's paths (relative: each starts at a node, as composite components do)."""
    parser = _Parser(expression, relative)
    paths = parser.union()
    if parser.peek() is not None:
        raise Unsupported(expression)
    return paths
