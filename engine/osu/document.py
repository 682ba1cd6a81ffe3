"""The lossless .osu document: every physical line kept, sections located, typed views computed on demand.

A `Beatmap` is immutable. Parsing only finds section headers (in the file's bytes); the typed views (general,
metadata, timing points, hit objects, …) are read lazily and cached, so opening a file to look at one
value stays cheap. A view reads its sections' bytes, not the list of lines (`lines` is split on first
use: the views of a parsed map never need it, and splitting 19 MB of corpus took 20 ms). `to_bytes()` of an unchanged document is the input, byte for byte. Edits
(`engine.osu.edits`) build a new Beatmap from changed lines. This module must never normalise, re-order or
drop a line, and never raise for a line osu! would skip (that is a `Problem`).

What counts as unloadable (raises OsuFormatError): a file with no non-blank line (lazer fails with
"Unknown file format"), a header `osu file format v…` whose version is not an int32 (both clients fail), and
UTF-16/32 text. Everything else parses; osu!-skipped lines are listed in `problems`.

Section rules: a header is a line starting with `[` whose end (after a trailing `//` comment and
whitespace) is `]`, as in lazer. Unlike either client, an unknown section is kept as its own section and
ignored by the typed views (lazer would read its keys as [General], stable as the section before it).
Lines before the first header belong to a section named "" (the format line lives there).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple, TypeVar

from engine.osu import keyvalues
from engine.osu.colours import Colours, parse_colour
from engine.osu.errors import OsuFormatError, Problem
from engine.osu.events import NOT_GAMEPLAY_EVENT_STARTS, Background, Break, Events, Video, event_type, parse_event
from engine.osu.hitobjects import HitObject, parse_hit_object, plain_object_rows, read_object_rows
from engine.osu.keyvalues import Difficulty, Editor, General, Metadata
from engine.osu.lines import file_bytes, split_bom, text as line_text
from engine.osu.numbers import parse_int
from engine.osu.timing import TimingIndex, TimingPoint, parse_timing_point, plain_point_rows, read_point_rows

FORMAT_PREFIX = "osu file format v"
DEFAULT_VERSION = 14
SECTION_NAMES = ("General", "Editor", "Metadata", "Difficulty", "Events", "TimingPoints", "Colours", "HitObjects")
MODES = {0: "osu", 1: "taiko", 2: "catch", 3: "mania"}

T = TypeVar("T")
Row = tuple[bytes, ...]
# (rows, first line, read_other, skipped) → items: `hitobjects.read_object_rows`, `timing.read_point_rows`
RowReader = Callable[[list[Row], int, Callable[[int], T | None], list[tuple[int, Exception]]], list[T]]


@dataclass(frozen=True, slots=True)
class Section:
    """A run of lines: `header` is the index of its `[Name]` line (None for the lines before the first
    header); the body is lines[start:end]."""

    name: str
    header: int | None
    start: int
    end: int


def _header_name(line: str) -> str | None:
    text = line.rstrip()
    cut = text.find("//")
    if cut > 0:
        text = text[:cut].rstrip()
    return text[1:-1] if text.endswith("]") and len(text) >= 2 else None


class _Span(NamedTuple):
    """A section as found in the body: its body's first line is `start` and its lines are the bytes
    body[first_byte:end_byte] (the end is the next header's first byte, so the last line is not known).
    A named tuple: every parse builds one per section, at a quarter of a frozen dataclass's cost."""

    name: str
    header: int | None
    start: int
    first_byte: int
    end_byte: int


_LINE = re.compile(rb"[^\r\n]*+(?:\r\n|\r|\n)?")


def find_spans(body: bytes) -> list[_Span]:
    """The sections of `body` (the lines joined), located without splitting it into lines."""
    spans: list[_Span] = []
    name, header, start, first = "", None, 0, 0
    for index, position in _bracket_lines(body):
        line = _LINE.match(body, position).group()  # type: ignore[union-attr] (the pattern matches anywhere)
        found = _header_name(line_text(line))
        if found is not None:
            spans.append(_Span(name, header, start, first, position))
            name, header, start, first = found, index, index + 1, position + len(line)
    spans.append(_Span(name, header, start, first, len(body)))
    return spans


def sections_of(spans: list[_Span], line_count: int) -> tuple[Section, ...]:
    ends = [span.header for span in spans[1:]] + [line_count]
    return tuple(Section(span.name, span.header, span.start, end)  # type: ignore[arg-type]
                 for span, end in zip(spans, ends, strict=True))


def _bracket_lines(data: bytes) -> list[tuple[int, int]]:
    """(index, first byte) of the lines of `data` that start with `[`, found by searching for `[` and counting
    the terminators before each (a line ends at `\r\n`, `\n` or `\r`), with no Python step per line."""
    found: list[tuple[int, int]] = []
    index = counted = 0  # `counted` is the start of line `index`
    position = data.find(b"[")
    while position >= 0:
        if position == 0 or data[position - 1] in b"\r\n":
            index += (data.count(b"\n", counted, position) + data.count(b"\r", counted, position)
                      - data.count(b"\r\n", counted, position))
            counted = position
            found.append((index, position))
        position = data.find(b"[", position + 1)
    return found


def _first_text(lines: list[bytes]) -> tuple[int, str] | None:
    """(index, stripped text) of the first line that is not blank."""
    return next(((index, text) for index, line in enumerate(lines) if (text := line_text(line).strip())), None)


def section_entries(chunk: bytes, start: int, strip_comments: bool,
                    skip: tuple[bytes, ...] = ()) -> list[tuple[int, str]]:
    """(line index, text) of every line osu! reads among a section's lines (`chunk`, the first being line
    `start`): not blank or `//` lines, a trailing `// comment` cut (unless `strip_comments` is false, as in
    [Metadata]) and trailing whitespace trimmed; lines whose bytes start with one of `skip` are left out
    before decoding. One loop per section, not a call per line: a map has thousands of such lines."""
    found = []
    for index, line in enumerate(chunk.splitlines(), start):
        if skip and line.startswith(skip):
            continue
        text = line.decode("utf-8", "surrogateescape").rstrip()
        if not text:
            continue
        if "//" in text:
            if text.lstrip().startswith("//"):
                continue
            if strip_comments:
                text = text[:text.index("//")].rstrip()
        found.append((index, text))
    return found


def section_rows(chunk: bytes, plain_rows: Callable[[bytes], list[Row]]) -> list[Row]:
    """`plain_rows` of a section's lines (`chunk`: whole lines of a body), one row per line. The chunk is read
    as it is: the patterns take a `\r\n` end and leave a line with trailing whitespace to the line-by-line
    reader. A lone `\r` ends a line too, and the patterns give no row for a "line" that holds one, so a row
    count that is not the count of "\n"-lines means the lines must be split and joined by "\n" first."""
    rows = plain_rows(chunk)
    if len(rows) == chunk.count(b"\n") + 1:
        if chunk.endswith(b"\n"):
            rows.pop()  # the empty text after the last terminator is no line
        return rows
    return plain_rows(b"\n".join(map(bytes.rstrip, chunk.splitlines(keepends=True))))


def _line_reader(chunk: bytes, start: int, parse_line: Callable[[str, int], T]) -> Callable[[int], T | None]:
    """`parse_line` of line `index` of a section whose lines are `chunk`, the first being line `start`
    (the chunk is split into lines on the first call: most sections never need it)."""
    lines: list[bytes] = []

    def read(index: int) -> T | None:
        if not lines:
            lines.extend(chunk.splitlines())
        entry = section_entries(lines[index - start], index, True)
        return parse_line(entry[0][1], index) if entry else None

    return read


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a view builds its objects. Every object built stays
    alive, yet every 700 allocations start a collection that walks them again, and the older generations
    too when many maps are held: reading the corpus's hit objects with all maps kept took 1.7 s with the
    collector running, 1.15 s paused (one map at a time, as benchmarks/parse.py does: 5-10%). Pausing
    changes no result (nothing built here forms a cycle) and leaves the collector as it was (a caller that
    disabled it keeps it disabled)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Beatmap:
    """One .osu file. Build it with `parse_beatmap` / `read_beatmap`; never mutated afterwards."""

    def __init__(self, lines: list[bytes] | None, bom: bool, path: str | None = None,
                 body: bytes | None = None) -> None:
        """`body` is the lines joined, where the caller has it already (`parse_beatmap`: the file after its
        BOM, with `lines` None: they are split from it on first use)."""
        if lines is not None:
            self.lines = lines
        self.bom = bom
        self.path = path
        self._body = b"".join(lines) if body is None else body  # type: ignore[arg-type]
        self._spans = find_spans(self._body)
        self._header_problems: list[Problem] = []
        self.version = self._read_version()

    # -- physical document ------------------------------------------------------------------------------------

    @cached_property
    def lines(self) -> list[bytes]:
        """Every physical line with its terminator."""
        return self._body.splitlines(keepends=True)

    @cached_property
    def sections(self) -> tuple[Section, ...]:
        return sections_of(self._spans, len(self.lines))

    def to_bytes(self) -> bytes:
        """The file's bytes; identical to the input for an unedited document."""
        return file_bytes(self.bom, self._body)

    def line_text(self, index: int) -> str:
        """Line `index` (0-based) without its terminator."""
        return line_text(self.lines[index])

    def sections_named(self, name: str) -> list[Section]:
        return [section for section in self.sections if section.name == name]

    def entries(self, name: str, skip: tuple[bytes, ...] = ()) -> Iterator[tuple[int, str]]:
        """(line index, text) of every line osu! reads in the sections called `name` (see `section_entries`),
        but for the lines whose bytes start with one of `skip`."""
        strip_comments = name != "Metadata"
        for span in self._spans:
            if span.name == name:
                yield from section_entries(self._body[span.first_byte:span.end_byte], span.start, strip_comments,
                                           skip)

    def key_values(self, section: str) -> Iterator[tuple[int, str, str]]:
        """(line index, key, value) of a key/value section, in file order (duplicates included)."""
        for index, text in self.entries(section):
            pair = keyvalues.split_key_value(text)
            if pair is not None:
                yield index, pair[0], pair[1]

    def value(self, section: str, key: str) -> str | None:
        """The raw (trimmed) value of the last `key` line in `section`, None when absent."""
        found = None
        for _, name, raw in self.key_values(section):
            if name == key:
                found = raw
        return found

    # -- header ---------------------------------------------------------------------------------------------

    def _read_version(self) -> int:
        # The first non-blank line is nearly always the first: look among the first lines before splitting all.
        found = _first_text(self._body[:1024].splitlines(keepends=True)[:-1]) or _first_text(self.lines)
        if found is None:
            raise OsuFormatError("the file is empty: osu! cannot load a beatmap without any line", self.path)
        index, text = found
        if not text.startswith(FORMAT_PREFIX):
            message = f"no 'osu file format vN' header; osu! reads it as v{DEFAULT_VERSION}"
            self._header_problems.append(Problem(index + 1, self.line_text(index), message))
            return DEFAULT_VERSION
        try:
            return parse_int(text[text.rindex("v") + 1:])
        except ValueError:
            raise OsuFormatError("the format version is not an integer; osu! refuses to load the file",
                                 self.path, index + 1, self.line_text(index)) from None

    # -- typed views ----------------------------------------------------------------------------------------

    def _key_value_view(self, section: str, cls: type, problems: list[Problem]) -> object:
        values = keyvalues.read_values(section, self.key_values(section), problems, self.line_text)
        return keyvalues.build(cls, values)

    @cached_property
    def _view_problems(self) -> dict[str, list[Problem]]:
        return {}

    def _skipped(self, index: int, section: str, error: Exception) -> Problem:
        return Problem(index + 1, self.line_text(index), f"[{section}] osu! skips this line: {error}")

    def _problems_of(self, view: str) -> list[Problem]:
        return self._view_problems.setdefault(view, [])

    @cached_property
    def general(self) -> General:
        return self._key_value_view("General", General, self._problems_of("general"))  # type: ignore[return-value]

    @cached_property
    def editor(self) -> Editor:
        return self._key_value_view("Editor", Editor, self._problems_of("editor"))  # type: ignore[return-value]

    @cached_property
    def metadata(self) -> Metadata:
        return self._key_value_view("Metadata", Metadata, self._problems_of("metadata"))  # type: ignore[return-value]

    @cached_property
    def difficulty(self) -> Difficulty:
        return self._key_value_view("Difficulty", Difficulty,  # type: ignore[return-value]
                                    self._problems_of("difficulty"))

    @property
    def mode(self) -> int:
        """0 osu!, 1 taiko, 2 catch, 3 mania."""
        return self.general.mode

    @property
    def mode_name(self) -> str:
        return MODES[self.mode]

    @cached_property
    def events(self) -> Events:
        problems = self._problems_of("events")
        background: Background | None = None
        video: Video | None = None
        breaks: list[Break] = []
        for index, text in self.entries("Events", skip=NOT_GAMEPLAY_EVENT_STARTS):
            kind = event_type(text)
            if kind is None or kind > 2:
                continue
            try:
                event = parse_event(text, kind, index)
            except (ValueError, IndexError) as error:
                problems.append(self._skipped(index, "Events", error))
                continue
            if isinstance(event, Break):
                breaks.append(event)
            elif isinstance(event, Video):
                video = event
            elif isinstance(event, Background) and event.filename:  # `0,0,""` names no background
                background = event
        return Events(background, video, tuple(breaks))

    @cached_property
    def timing_points(self) -> tuple[TimingPoint, ...]:
        """Every readable timing line in file order (not sorted: the file's order is kept)."""
        sample_set = keyvalues.SAMPLE_SETS[self.general.sample_set]
        volume = self.general.sample_volume
        return self._read_rows("TimingPoints", "timing_points", plain_point_rows, read_point_rows,
                               lambda text, index: parse_timing_point(text, sample_set, volume, index))

    @cached_property
    def timing(self) -> TimingIndex:
        """Lookups: red line and SV in effect at a time."""
        return TimingIndex.build(self.timing_points)

    @cached_property
    def hit_objects(self) -> tuple[HitObject, ...]:
        """Every readable object line in file order (osu! sorts by time; `derived.sorted_objects` does too)."""
        return self._read_rows("HitObjects", "hit_objects", plain_object_rows, read_object_rows, parse_hit_object)

    def _read_rows(self, name: str, view: str, plain_rows: Callable[[bytes], list[Row]], read_rows: RowReader[T],
                   parse_line: Callable[[str, int], T]) -> tuple[T, ...]:
        """The items of every `name` section: its plain lines read in one regex pass per section (`plain_rows`
        and `read_rows`, e.g. `hitobjects.plain_object_rows`), the others one by one (`parse_line`); the lines
        osu! skips become problems of `view`."""
        items: list[T] = []
        skipped: list[tuple[int, Exception]] = []
        with collector_paused():  # the rows are gone before it runs again: it would walk every one
            for span in self._spans:
                if span.name == name and span.end_byte > span.first_byte:  # an empty text would still give one row
                    chunk = self._body[span.first_byte:span.end_byte]
                    items += read_rows(section_rows(chunk, plain_rows), span.start,
                                       _line_reader(chunk, span.start, parse_line), skipped)
        self._problems_of(view).extend(self._skipped(index, name, error) for index, error in skipped)
        return tuple(items)

    @cached_property
    def colours(self) -> Colours:
        problems = self._problems_of("colours")
        combo: list[tuple[int, int, int]] = []
        custom: list[tuple[str, tuple[int, int, int]]] = []
        for index, key, raw in self.key_values("Colours"):
            try:
                colour = parse_colour(raw)
            except ValueError as error:
                problems.append(self._skipped(index, "Colours", error))
                continue
            if key.startswith("Combo"):
                combo.append(colour)
            else:
                custom.append((key, colour))
        return Colours(tuple(combo), tuple(custom))

    @property
    def problems(self) -> list[Problem]:
        """Lines osu! skips or reads only partly, by line number (reads every typed view)."""
        for view in ("general", "editor", "metadata", "difficulty", "events", "timing_points", "hit_objects",
                     "colours"):
            getattr(self, view)
        found = self._header_problems + [p for view in self._view_problems.values() for p in view]
        return sorted(found, key=lambda problem: problem.line_number)

    def __repr__(self) -> str:
        return f"Beatmap({self.path or '<data>'!s}, v{self.version}, {len(self.lines)} lines)"


def parse_beatmap(data: bytes, path: str | None = None) -> Beatmap:
    """Parse a .osu file's bytes. Raises OsuFormatError only for files osu! cannot load (see module doc)."""
    bom, body = split_bom(data, path)
    return Beatmap(None, bom, path, body)


def read_beatmap(path: str | Path) -> Beatmap:
    """Read and parse a .osu file (OSError for I/O problems, OsuFormatError for unloadable content)."""
    return parse_beatmap(Path(path).read_bytes(), str(path))
