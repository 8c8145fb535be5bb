"""A small, dependency-free UCUM canonicaliser for FHIR quantity search.

`canonical(Decimal("1500"), "g")` and `canonical(Decimal("1.5"), "kg")` both give `(1500, "g")`, so a
search in one unit can be compared with values stored in another unit of the same dimension.

Supported: the UCUM case-sensitive syntax (metric prefixes, integer exponents, `.` products, `/` division
read left to right, a leading `/`, parentheses, integer factors, `{annotations}` as unity) over a table of
units common in clinical data. Celsius and Fahrenheit are affine, so they are only accepted as the whole
code. Unknown or malformed codes give None, never an exception.

Canonical units are built from the base units below. Unlike UCUM proper, `mol` is kept as a base unit
(so `mmol/L` becomes `mol.m-3` rather than a huge count per volume), and enzyme units `U` and arbitrary
international units `[iU]` each keep a dimension of their own.
"""

from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from fractions import Fraction
from functools import lru_cache

UCUM_SYSTEM = "http://unitsofmeasure.org"

# Order used when writing canonical unit strings; also the order of a dimension vector.
_BASES = ("g", "m", "s", "A", "K", "mol", "cd", "U", "[iU]")

_PREFIXES: dict[str, Fraction] = {
    "Y": Fraction(10) ** 24,
    "Z": Fraction(10) ** 21,
    "E": Fraction(10) ** 18,
    "P": Fraction(10) ** 15,
    "T": Fraction(10) ** 12,
    "G": Fraction(10) ** 9,
    "M": Fraction(10) ** 6,
    "k": Fraction(10) ** 3,
    "h": Fraction(10) ** 2,
    "da": Fraction(10),
    "d": Fraction(10) ** -1,
    "c": Fraction(10) ** -2,
    "m": Fraction(10) ** -3,
    "u": Fraction(10) ** -6,
    "n": Fraction(10) ** -9,
    "p": Fraction(10) ** -12,
    "f": Fraction(10) ** -15,
    "a": Fraction(10) ** -18,
    "z": Fraction(10) ** -21,
    "y": Fraction(10) ** -24,
}

# Derived units as (magnitude, definition in other UCUM codes, may take a metric prefix),
# written the way ucum-essence.xml defines them so each row can be checked against the spec.
_DERIVED: dict[str, tuple[str, str, bool]] = {
    "10*": ("10", "1", False),
    "10^": ("10", "1", False),
    "%": ("0.01", "1", False),
    "[ppth]": ("0.001", "1", False),
    "[ppm]": ("0.000001", "1", False),
    "L": ("1", "dm3", True),
    "l": ("1", "dm3", True),
    "t": ("1000", "kg", True),
    "min": ("60", "s", False),
    "h": ("60", "min", False),
    "d": ("24", "h", False),
    "wk": ("7", "d", False),
    "a": ("365.25", "d", False),  # Julian year, as UCUM's `a` (= a_j)
    "mo": ("1/12", "a", False),  # mean Julian month, as UCUM's `mo` (= mo_j)
    "[in_i]": ("2.54", "cm", False),
    "[ft_i]": ("12", "[in_i]", False),
    "[lb_av]": ("453.59237", "g", False),
    "[oz_av]": ("1/16", "[lb_av]", False),
    "Hz": ("1", "s-1", True),
    "N": ("1", "kg.m/s2", True),
    "Pa": ("1", "N/m2", True),
    "J": ("1", "N.m", True),
    "W": ("1", "J/s", True),
    "C": ("1", "A.s", True),
    "V": ("1", "J/C", True),
    "cal": ("4.184", "J", True),
    "bar": ("100000", "Pa", True),
    # Conventional mercury column (13595.1 kg/m3 x 9.80665 m/s2); ucum-essence rounds it to 133.3220 kPa.
    "m[Hg]": ("133322.387415", "Pa", True),
    "m[H2O]": ("9806.65", "Pa", True),
    "g%": ("1", "g/dL", True),
    # UCUM defines both as 1 mol, so mEq/L and mmol/L compare directly.
    "eq": ("1", "mol", True),
    "osm": ("1", "mol", True),
    "kat": ("1", "mol/s", True),
    "[IU]": ("1", "[iU]", True),
}

# Affine temperatures: kelvin = (value + offset) * scale. Only valid as the whole code.
_AFFINE: dict[str, tuple[Decimal, Fraction]] = {
    "Cel": (Decimal("273.15"), Fraction(1)),
    "[degF]": (Decimal("459.67"), Fraction(5, 9)),
}

# Longer than any real unit code; bounds the work (and cache memory) an untrusted code can cause.
_MAX_CODE_LENGTH = 200
_MAX_EXPONENT = 99
# Fixed context so results do not depend on the caller's thread-local decimal context.
_CONTEXT = Context(prec=34, Emax=999_999, Emin=-999_999, traps=[InvalidOperation, DivisionByZero, Overflow])

_Dimension = tuple[int, ...]
_DIMENSIONLESS: _Dimension = (0,) * len(_BASES)


class _ParseError(Exception):
    """Raised inside the parser; turned into None at the public boundary."""


@dataclass(frozen=True, slots=True)
class _Term:
    """A parsed unit term: a magnitude times a product of base-unit powers."""

    factor: Fraction
    dimension: _Dimension

    def times(self, other: "_Term") -> "_Term":
        dimension = tuple(a + b for a, b in zip(self.dimension, other.dimension, strict=True))
        return _Term(self.factor * other.factor, dimension)

    def power(self, exponent: int) -> "_Term":
        return _Term(self.factor**exponent, tuple(e * exponent for e in self.dimension))


_UNITY = _Term(Fraction(1), _DIMENSIONLESS)


@dataclass(frozen=True, slots=True)
class _Conversion:
    """What `canonical` needs: canonical = (value + offset) * numerator / denominator."""

    offset: Decimal
    numerator: Decimal
    denominator: Decimal
    unit: str


def canonical(value: Decimal, code: str) -> tuple[Decimal, str] | None:
    """Value converted to canonical UCUM base units and the canonical unit string,
    or None when the code is not understood. Same dimension -> same canonical unit string."""
    conversion = _conversion(code)
    if conversion is None or not value.is_finite():
        return None
    try:
        shifted = _CONTEXT.add(value, conversion.offset) if conversion.offset else value
        scaled = _CONTEXT.multiply(shifted, conversion.numerator)
        if conversion.denominator != 1:
            scaled = _CONTEXT.divide(scaled, conversion.denominator)
    except ArithmeticError:
        return None
    return scaled, conversion.unit


def canonical_unit(code: str) -> str | None:
    """Just the canonical unit string for a code (None if not understood)."""
    conversion = _conversion(code)
    return None if conversion is None else conversion.unit


@lru_cache(maxsize=2048)
def _conversion(code: str) -> _Conversion | None:
    if code in _AFFINE:
        offset, scale = _AFFINE[code]
        kelvin = _Term(scale, _base_dimension("K"))
        return _make_conversion(kelvin, offset)
    if not code or len(code) > _MAX_CODE_LENGTH:
        return None
    try:
        return _make_conversion(_parse(code), Decimal(0))
    except (_ParseError, ArithmeticError):
        return None


def _make_conversion(term: _Term, offset: Decimal) -> _Conversion:
    numerator = Decimal(term.factor.numerator)
    denominator = Decimal(term.factor.denominator)
    return _Conversion(offset, numerator, denominator, _format(term.dimension))


def _format(dimension: _Dimension) -> str:
    # Positive powers first, then negative, each in _BASES order: deterministic and itself valid UCUM.
    powers = list(zip(_BASES, dimension, strict=True))
    ordered = [p for p in powers if p[1] > 0] + [p for p in powers if p[1] < 0]
    return ".".join(base if exp == 1 else f"{base}{exp}" for base, exp in ordered) or "1"


def _base_dimension(base: str) -> _Dimension:
    return tuple(int(b == base) for b in _BASES)


def _parse(code: str) -> _Term:
    parser = _Parser(code)
    term = parser.main_term()
    if not parser.at_end():
        raise _ParseError(code)
    return term


class _Parser:
    """Recursive-descent parser for UCUM's case-sensitive grammar (a mainTerm)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos == len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def main_term(self) -> _Term:
        if self.peek() == "/":
            self.pos += 1
            return self.term().power(-1)
        return self.term()

    def term(self) -> _Term:
        result = self.component()
        while self.peek() in (".", "/"):
            operator = self.text[self.pos]
            self.pos += 1
            right = self.component()
            result = result.times(right if operator == "." else right.power(-1))
        return result

    def component(self) -> _Term:
        if self.peek() == "(":
            self.pos += 1
            inner = self.term()
            if self.peek() != ")":
                raise _ParseError(self.text)
            self.pos += 1
            return inner
        symbol = self.annotatable()
        annotated = self.annotation()
        if not symbol:
            if not annotated:
                raise _ParseError(self.text)
            return _UNITY
        return _simple_unit_with_exponent(symbol)

    def annotatable(self) -> str:
        """The atom (with prefix and exponent) up to the next operator, bracket or annotation."""
        start = self.pos
        while not self.at_end() and self.peek() not in "./(){}":
            if self.peek() == "[":
                close = self.text.find("]", self.pos)
                if close < 0:
                    raise _ParseError(self.text)
                self.pos = close
            self.pos += 1
        return self.text[start : self.pos]

    def annotation(self) -> bool:
        """Skip a `{...}` annotation (it means unity); report whether there was one."""
        if self.peek() != "{":
            return False
        close = self.text.find("}", self.pos)
        if close < 0 or "{" in self.text[self.pos + 1 : close]:
            raise _ParseError(self.text)
        self.pos = close + 1
        return True


def _simple_unit_with_exponent(text: str) -> _Term:
    if text.isdigit():
        # A bare integer is a numeric factor (UCUM's "factor"), e.g. the 1 in "1/min".
        if text.isascii() and int(text) > 0:
            return _Term(Fraction(int(text)), _DIMENSIONLESS)
        raise _ParseError(text)
    symbol, exponent = _split_exponent(text)
    return _simple_unit(symbol).power(exponent)


def _split_exponent(text: str) -> tuple[str, int]:
    """Split "cm3" into ("cm", 3) and "10*-3" into ("10*", -3); no trailing digits means power 1."""
    end = len(text)
    while end > 0 and "0" <= text[end - 1] <= "9":
        end -= 1
    if end == len(text):
        return text, 1
    if end > 0 and text[end - 1] in "+-":
        end -= 1
    symbol, exponent = text[:end], int(text[end:])
    if not symbol or exponent == 0 or abs(exponent) > _MAX_EXPONENT:
        raise _ParseError(text)
    return symbol, exponent


def _simple_unit(symbol: str) -> _Term:
    # An exact atom wins over a prefix reading, as UCUM requires ("cd" is candela, "Pa" is pascal).
    atom = _atom(symbol)
    if atom is not None:
        return atom[0]
    for length in (2, 1):
        prefix, rest = symbol[:length], symbol[length:]
        scale = _PREFIXES.get(prefix)
        atom = _atom(rest) if scale is not None and rest else None
        if scale is not None and atom is not None and atom[1]:
            return _Term(atom[0].factor * scale, atom[0].dimension)
    raise _ParseError(symbol)


def _atom(symbol: str) -> tuple[_Term, bool] | None:
    """The term for a unit atom and whether it accepts metric prefixes, or None if unknown."""
    return _ATOMS.get(symbol)


def _define_atoms() -> None:
    # Each definition only refers to bases and earlier rows, so one pass in table order suffices.
    for symbol, (magnitude, expression, metric) in _DERIVED.items():
        base = _parse(expression)
        _ATOMS[symbol] = _Term(Fraction(magnitude) * base.factor, base.dimension), metric


# Built once at import, so looking up arbitrary (untrusted) symbols never grows a cache.
_ATOMS: dict[str, tuple[_Term, bool]] = {base: (_Term(Fraction(1), _base_dimension(base)), True) for base in _BASES}
_define_atoms()
