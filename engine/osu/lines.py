"""Physical lines of a .osu file: bytes in, raw byte lines with their terminators out, and back.

Each line is kept as the exact bytes of the file *including* its terminator (`\\r\\n`, `\\n`, a lone `\\r`,
or nothing at the end of the file) — exactly the three line ends osu! accepts (`bytes.splitlines` splits at
precisely these). A UTF-8 byte-order mark is remembered as a flag and is never part of a line. Text is
decoded per line, UTF-8 with `surrogateescape`, so bytes that are not UTF-8 survive an edit of the same
line. This module must never normalise anything: `file_bytes(bom, body) == data` for
`bom, body = split_bom(data)`, and `body.splitlines(keepends=True)` are the lines.
"""

from __future__ import annotations

from engine.osu.errors import OsuFormatError

BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def split_bom(data: bytes, path: str | None = None) -> tuple[bool, bytes]:
    """Return (had a UTF-8 BOM, the bytes after it: the lines joined). Raise OsuFormatError for UTF-16/32
    text, which osu! editors never write and which we could not keep lossless through an edit."""
    if data.startswith(_UTF16_BOMS) or b"\x00" in data[:2]:
        raise OsuFormatError("the file is UTF-16/32 encoded (or starts with NUL bytes); osu! editors write "
                             "UTF-8 — re-save it as UTF-8", path)
    bom = data.startswith(BOM)
    return bom, data[3:] if bom else data


def file_bytes(bom: bool, body: bytes) -> bytes:
    """The file of a body (its lines joined): the inverse of `split_bom`."""
    return BOM + body if bom else body


def text(line: bytes) -> str:
    """The line's text without its terminator."""
    return line.rstrip(b"\r\n").decode("utf-8", "surrogateescape")


def terminator(line: bytes) -> bytes:
    """The line's terminator (b'' for a last line without one)."""
    return line[len(line.rstrip(b"\r\n")):]


def encode_line(line_text: str, end: bytes) -> bytes:
    """A new physical line from text and a terminator."""
    return line_text.encode("utf-8", "surrogateescape") + end


def dominant_terminator(lines: list[bytes]) -> bytes:
    """The file's most common terminator (CRLF, as stable writes, when the file has none)."""
    counts = {b"\r\n": 0, b"\n": 0, b"\r": 0}
    for line in lines:
        end = terminator(line)
        if end:
            counts[end] += 1
    best = max(counts, key=lambda key: counts[key])
    return best if counts[best] else b"\r\n"
