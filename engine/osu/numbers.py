"""Numbers as osu! reads and writes them: .NET invariant-culture parsing and stable's spelling.

Parsing follows lazer's `Parsing` helpers (which copy .NET `int.Parse` / `double.Parse` with the
`Float | AllowThousands` style): `,` group separators in the integer part are accepted (`1,5` is 15),
exponents are accepted, NaN only where the caller allows it, infinities and values beyond the limit are
rejected. Formatting writes what stable writes: integers as integers, other doubles with 15
significant digits. This module must never round a number it was not asked to write.
"""

from __future__ import annotations

import math
import re

MAX_PARSE_VALUE = 2_147_483_647
MAX_COORDINATE_VALUE = 131_072

_DOTNET_WHITE = " \t\n\v\f\r"
_FLOAT_RE = re.compile(r"([+-]?)([0-9,]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_INT_RE = re.compile(r"[+-]?[0-9]+")
_NAN_NAMES = frozenset({"nan", "+nan", "-nan"})


def parse_float(text: str, limit: float = MAX_PARSE_VALUE, allow_nan: bool = False) -> float:
    """Parse like lazer's `Parsing.ParseDouble`; raise ValueError with the reason when osu! would reject it."""
    try:
        value = float(text)
    except ValueError:
        value = _parse_float_slow(text)
    else:
        if "_" in text or not text.isascii():
            value = _parse_float_slow(text)
    if value != value:
        if not allow_nan:
            raise ValueError(f"NaN is not allowed here: {text!r}")
        return value
    if value < -limit or value > limit:
        raise ValueError(f"{text!r} is outside ±{limit:.0f}")
    return value


def _parse_float_slow(text: str) -> float:
    stripped = text.strip(_DOTNET_WHITE)
    if stripped.lower() in _NAN_NAMES:
        return math.nan
    match = _FLOAT_RE.fullmatch(stripped)
    if match is None:
        raise ValueError(f"not a number: {text!r}")
    sign, integer, fraction, exponent = match.groups()
    if integer.startswith(","):
        raise ValueError(f"not a number: {text!r}")
    digits = integer.replace(",", "")
    if not digits and not fraction:
        raise ValueError(f"not a number: {text!r}")
    return float(f"{sign}{digits or '0'}.{fraction or '0'}e{exponent or '0'}")


def parse_int(text: str, limit: int = MAX_PARSE_VALUE) -> int:
    """Parse like lazer's `Parsing.ParseInt` (.NET `int.Parse`, integer style): no decimals, no separators."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"not an integer: {text!r}") from None
    if ("_" in text or not text.isascii()) and _INT_RE.fullmatch(text.strip(_DOTNET_WHITE)) is None:
        raise ValueError(f"not an integer: {text!r}")
    if value < -limit or value > limit:
        raise ValueError(f"{text!r} is outside ±{limit}")
    return value


def format_number(value: float) -> str:
    """Stable's spelling: `100`, `-100`, `352.941176470588` (15 significant digits, no trailing zeros)."""
    if value != value:
        return "NaN"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}E{int(exponent):+03d}"
    return text
