"""What a storyboard refers to: the sprites, animations (with their frame files) and samples of the [Events] of a
.osu or a .osb, with the [Variables] (`$name=value`) substituted as osu! does before reading a line.

Plain text in, elements out: nothing here opens a file or knows a mapset. Commands (lines starting with a
space or `_`) and backgrounds, videos and breaks are not elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from engine.osu.events import clean_filename, event_type
from engine.osu.numbers import parse_float

SPRITE, SAMPLE, ANIMATION = 4, 5, 6
KIND_NAMES = {SPRITE: "sprite", SAMPLE: "sample", ANIMATION: "animation"}
LAYERS = {"0": "Background", "1": "Fail", "2": "Pass", "3": "Foreground", "4": "Overlay"}
QUOTED = re.compile(r'"([^"]*)"')


@dataclass(frozen=True, slots=True)
class Element:
    """One storyboard element: `path` as written (quotes removed, `/` separators), `line` 1-based in its file,
    `layer` by name (`Background` … `Overlay`; a number osu! does not know is kept as written)."""

    kind: int
    path: str
    line: int
    layer: str = "Background"
    frames: int = 1
    time: float | None = None

    @property
    def name(self) -> str:
        return KIND_NAMES[self.kind]

    @property
    def leaves_folder(self) -> bool:
        return ".." in PurePosixPath(self.path).parts

    def files(self) -> list[str]:
        """Lower-cased relative paths osu! loads for it: an animation's frames are `name0.png`, `name1.png`, …"""
        path = self.path.lower()
        if self.kind != ANIMATION:
            return [path]
        stem, dot, extension = path.rpartition(".")
        if not dot:
            stem, extension = path, ""
        return [f"{stem}{frame}{dot}{extension}" for frame in range(max(self.frames, 1))]


def variables(entries: Iterable[tuple[int, str]]) -> dict[str, str]:
    """`$name` → value from the lines of a [Variables] section."""
    found: dict[str, str] = {}
    for _, text in entries:
        name, equals, value = text.partition("=")
        if equals and name.strip().startswith("$"):
            found[name.strip()] = value.strip()
    return found


def substitute(text: str, names: dict[str, str]) -> str:
    """The line with every variable replaced (longest names first, so `$ab` is not read as `$a` + `b`)."""
    if "$" not in text:
        return text
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, names[name])
    return text


def elements(entries: Iterable[tuple[int, str]], names: dict[str, str] | None = None) -> list[Element]:
    """The elements of (0-based line index, text) lines of an [Events] section."""
    found: list[Element] = []
    for index, text in entries:
        kind = event_type(text)
        if kind not in KIND_NAMES:
            continue
        text = substitute(text, names or {})
        parts = text.split(",")
        quoted = QUOTED.search(text)
        if quoted is None and len(parts) < 4:
            continue
        path = (quoted.group(1) if quoted else clean_filename(parts[3])).replace("\\", "/")
        if not path:
            continue
        frames = 1
        if kind == ANIMATION and len(parts) > 6 and parts[6].strip().isdigit():
            frames = int(parts[6])
        time = None
        if kind == SAMPLE:
            try:
                time = parse_float(parts[1])
            except ValueError:
                time = None
        layer = parts[2 if kind == SAMPLE else 1].strip() if len(parts) > 2 else ""
        found.append(Element(kind, path, index + 1, LAYERS.get(layer, layer), frames, time))
    return found


def osb_elements(text: str) -> list[Element]:
    """The elements of a .osb file's text (its [Variables] applied to its [Events])."""
    sections: dict[str, list[tuple[int, str]]] = {}
    current = None
    for index, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = sections.setdefault(stripped[1:-1], [])
        elif current is not None and line.rstrip() and not stripped.startswith("//"):
            current.append((index, line.rstrip()))
    return elements(sections.get("Events", []), variables(sections.get("Variables", [])))
