"""Physical lines of a .osu file: bytes in, text lines with their terminators out, and back.

Each line is kept as decoded text *including* its terminator (`\\r\\n`, `\\n`, a lone `\\r`, or nothing at the
end of the file), exactly the three line ends osu! accepts. Text is UTF-8 decoded with `surrogateescape`,
so bytes that are not UTF-8 come back unchanged. A UTF-8 byte-order mark is remembered as a flag and never
part of a line. This module must never normalise anything: `join_lines(split_lines(data))` is `data`.
"""

from __future__ import annotations

import re

from engine.osu.errors import OsuFormatError

BOM = b"\xef\xbb\xbf"
TERMINATORS = ("\r\n", "\n", "\r")

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Characters str.splitlines() treats as line breaks although osu! does not.
_EXTRA_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def decode(data: bytes, path: str | None = None) -> tuple[bool, str]:
    """Return (had a UTF-8 BOM, text). Raise OsuFormatError for UTF-16/32 text, which we cannot keep lossless."""
    if data.startswith(_UTF16_BOMS) or (len(data) >= 2 and b"\x00" in data[:2]):
        raise OsuFormatError("the file is UTF-16/32 encoded; osu! editors write UTF-8 — re-save it as UTF-8", path)
    bom = data.startswith(BOM)
    return bom, (data[3:] if bom else data).decode("utf-8", "surrogateescape")


def encode(bom: bool, text: str) -> bytes:
    """Inverse of `decode`."""
    body = text.encode("utf-8", "surrogateescape")
    return BOM + body if bom else body


def split_lines(text: str) -> list[str]:
    """Split into lines that keep their terminators; only CRLF, LF and lone CR end a line."""
    if _EXTRA_BREAKS.search(text) is None:
        return text.splitlines(keepends=True)
    return _LINE.findall(text)


def content(line: str) -> str:
    """The line without its terminator."""
    return line.rstrip("\r\n")


def terminator(line: str) -> str:
    """The line's terminator ('' for a last line without one)."""
    return line[len(line.rstrip("\r\n")):]


def dominant_terminator(lines: list[str]) -> str:
    """The most common terminator of the file (CRLF when there is none, as stable writes)."""
    counts = {"\r\n": 0, "\n": 0, "\r": 0}
    for line in lines:
        end = terminator(line)
        if end:
            counts[end] += 1
    best = max(counts, key=lambda key: counts[key])
    return best if counts[best] else "\r\n"
