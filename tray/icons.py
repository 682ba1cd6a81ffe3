"""The tray icon's images, drawn with Pillow at run time (no binary assets): one look per state, so the
mapper sees at a glance whether maid is idle, working, has findings waiting, hit an error, is paused or
cannot reach the daemon.

`python -m tray.icons --sheet docs/tray-icons.png` composes every state, large and at tray size, with
labels into one PNG for the docs. This module draws pictures only: it never talks to the daemon.
"""

from __future__ import annotations

import argparse
from enum import Enum
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZE = 64  # drawn at this size; the platform scales it down to the tray's


class IconKind(Enum):
    IDLE = "idle"
    WORKING = "working"
    FINDINGS = "findings"
    ERROR = "error"
    PAUSED = "paused"
    DISCONNECTED = "disconnected"


COLOURS: dict[IconKind, tuple[int, int, int]] = {
    IconKind.IDLE: (72, 160, 120),
    IconKind.WORKING: (58, 120, 220),
    IconKind.FINDINGS: (232, 160, 32),
    IconKind.ERROR: (210, 56, 56),
    IconKind.PAUSED: (128, 128, 136),
    IconKind.DISCONNECTED: (90, 90, 96),
}
WHITE = (255, 255, 255, 255)
INK = (40, 40, 48, 255)


def draw_icon(kind: IconKind, progress: float | None = None, size: int = SIZE) -> Image.Image:
    """The icon for `kind` as an RGBA image; WORKING shows `progress` (0..1) as a ring when given."""
    scale = 4  # drawn large and scaled down: smooth edges without anti-aliasing support in ImageDraw
    big = SIZE * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    colour = COLOURS[kind]
    pad = 2 * scale
    if kind is IconKind.DISCONNECTED:
        draw.ellipse((pad, pad, big - pad, big - pad), outline=colour + (255,), width=7 * scale, fill=(220, 220, 224, 255))
    else:
        draw.ellipse((pad, pad, big - pad, big - pad), fill=colour + (255,))
    _GLYPHS[kind](draw, big, scale, progress)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _maid_m(draw: ImageDraw.ImageDraw, big: int, scale: int, fill: tuple[int, int, int, int] = WHITE) -> None:
    """The 'm' of maid: three strokes over a bar, drawn with lines (no font needed)."""
    w = 6 * scale
    left, right, top, bottom = 18 * scale, 46 * scale, 22 * scale, 44 * scale
    middle = (left + right) // 2
    draw.line((left, bottom, left, top + 4 * scale), fill=fill, width=w)
    draw.arc((left, top, middle, top + 14 * scale), 180, 360, fill=fill, width=w)
    draw.arc((middle, top, right, top + 14 * scale), 180, 360, fill=fill, width=w)
    draw.line((middle, top + 6 * scale, middle, bottom), fill=fill, width=w)
    draw.line((right, top + 6 * scale, right, bottom), fill=fill, width=w)


def _idle(draw: ImageDraw.ImageDraw, big: int, scale: int, progress: float | None) -> None:
    _maid_m(draw, big, scale)


def _working(draw: ImageDraw.ImageDraw, big: int, scale: int, progress: float | None) -> None:
    _maid_m(draw, big, scale)
    ring = 7 * scale
    box = (ring, ring, big - ring, big - ring)
    draw.arc(box, 0, 360, fill=(28, 64, 140, 255), width=4 * scale)
    sweep = 360 * (progress if progress is not None else 0.3)
    draw.arc(box, -90, -90 + max(sweep, 12), fill=WHITE, width=4 * scale)


def _findings(draw: ImageDraw.ImageDraw, big: int, scale: int, progress: float | None) -> None:
    _maid_m(draw, big, scale)
    r = 11 * scale
    cx, cy = big - r - scale, r + scale
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(200, 40, 40, 255), outline=WHITE, width=2 * scale)
    draw.line((cx, cy - 6 * scale, cx, cy + 2 * scale), fill=WHITE, width=3 * scale)
    draw.ellipse((cx - 2 * scale, cy + 4 * scale, cx + 2 * scale, cy + 8 * scale), fill=WHITE)


def _error(draw: ImageDraw.ImageDraw, big: int, scale: int, progress: float | None) -> None:
    c = big // 2
    draw.line((c, 14 * scale, c, 38 * scale), fill=WHITE, width=8 * scale)
    draw.ellipse((c - 5 * scale, 43 * scale, c + 5 * scale, 53 * scale), fill=WHITE)


def _paused(draw: ImageDraw.ImageDraw, big: int, scale: int, progress: float | None) -> None:
    for x in (24, 40):
        draw.rounded_rectangle((x * scale - 4 * scale, 18 * scale, x * scale + 4 * scale, 46 * scale), radius=2 * scale, fill=WHITE)


def _disconnected(draw: ImageDraw.ImageDraw, big: int, scale: int, progress: float | None) -> None:
    _maid_m(draw, big, scale, fill=(150, 150, 156, 255))
    draw.line((14 * scale, 14 * scale, 50 * scale, 50 * scale), fill=(90, 90, 96, 255), width=6 * scale)


_GLYPHS = {
    IconKind.IDLE: _idle,
    IconKind.WORKING: _working,
    IconKind.FINDINGS: _findings,
    IconKind.ERROR: _error,
    IconKind.PAUSED: _paused,
    IconKind.DISCONNECTED: _disconnected,
}

SHEET_SIZES = (64, 22)  # as drawn, and as a 22 px Linux/Windows tray shows it
SHEET_CAPTIONS = {
    IconKind.IDLE: "idle",
    IconKind.WORKING: "working (40 %)",
    IconKind.FINDINGS: "findings waiting",
    IconKind.ERROR: "error / conflict",
    IconKind.PAUSED: "paused",
    IconKind.DISCONNECTED: "daemon unreachable",
}


def icon_sheet() -> Image.Image:
    """Every state side by side, at each size in SHEET_SIZES, captioned."""
    cell_w, cell_h = 150, 130
    sheet = Image.new("RGBA", (cell_w * len(IconKind), cell_h), (246, 246, 248, 255))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=14)
    for column, kind in enumerate(IconKind):
        x = column * cell_w
        large = draw_icon(kind, progress=0.4, size=SHEET_SIZES[0])
        small = draw_icon(kind, progress=0.4, size=SHEET_SIZES[1])
        sheet.alpha_composite(large, (x + 20, 16))
        sheet.alpha_composite(small, (x + 20 + 64 + 18, 16 + 64 - 22))
        caption = SHEET_CAPTIONS[kind]
        width = draw.textlength(caption, font=font)
        draw.text((x + (cell_w - width) / 2, 96), caption, fill=INK, font=font)
    return sheet


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tray.icons", description="Draw maid's tray icons.")
    parser.add_argument("--sheet", type=Path, help="write a labelled sheet of every icon state to this PNG")
    parser.add_argument("--out", type=Path, help="write one PNG per state into this folder")
    args = parser.parse_args(argv)
    if args.sheet is None and args.out is None:
        parser.error("give --sheet FILE.png and/or --out FOLDER")
    if args.sheet is not None:
        args.sheet.parent.mkdir(parents=True, exist_ok=True)
        icon_sheet().save(args.sheet)
        print(f"wrote {args.sheet}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for kind in IconKind:
            draw_icon(kind, progress=0.4).save(args.out / f"{kind.value}.png")
        print(f"wrote {len(IconKind)} icons into {args.out}")


if __name__ == "__main__":
    main()
