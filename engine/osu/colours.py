"""[Colours]: combo colours in file order (osu! ignores their numbers) and the custom slider colours."""

from __future__ import annotations

from dataclasses import dataclass

Colour = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Colours:
    """`combo` in file order (lazer keeps at most 8); other keys such as SliderBorder in `custom`."""

    combo: tuple[Colour, ...] = ()
    custom: tuple[tuple[str, Colour], ...] = ()


def parse_colour(text: str) -> Colour:
    """`255,128,0` (a 4th alpha component is accepted and ignored); ValueError where osu! skips the line."""
    split = text.split(",")
    if len(split) not in (3, 4):
        raise ValueError("a colour needs 3 or 4 comma-separated components")
    values = tuple(int(part.strip()) for part in split[:3])
    if any(not 0 <= value <= 255 or not part.strip().isdigit() for value, part in zip(values, split)):
        raise ValueError("colour components must be integers 0–255")
    return values[0], values[1], values[2]
