"""Storyboard checks: files a storyboard uses but the folder lacks, images too large to load, hit sounds played
by the .osb, and storyboard settings that differ between difficulties (Mapset Verifier's "Too high sprite
resolution", "Storyboarded hit sounds" and the storyboard rows of "Inconsistent settings").

The elements come from each difficulty's [Events] and each .osb in the folder (`engine.checks.storyboard_lines`),
read once per run. Image sizes are read from headers with Pillow. Storyboard samples written in a .osu are
`hitsounds.storyboarded-samples`'s business; the Overlay layer is `events.overlay-layer`'s.
"""

from __future__ import annotations

from collections.abc import Iterator

from PIL import Image

from engine.checks.context import DifficultyContext, MapsetContext
from engine.checks.files import is_skin_or_sample
from engine.checks.registry import MANIA, Scope, check
from engine.checks.storyboard_lines import SAMPLE, Element
from engine.findings import Finding, Severity

STORYBOARD = "Storyboard"
MAX_SPRITE_PIXELS = 17_000_000


def all_elements(ctx: MapsetContext) -> Iterator[tuple[str | None, Element]]:
    """(file the element is written in, element) for every difficulty's and every .osb's storyboard."""
    for difficulty in ctx.difficulties:
        for element in difficulty.storyboard:
            yield difficulty.file, element
    for name, found in ctx.osb_storyboards.items():
        for element in found:
            yield name, element


@check("storyboard.missing-files", "Storyboard files missing from the folder", category=STORYBOARD,
       severity=Severity.WARNING, scope=Scope.FILES)
def missing_files(ctx: MapsetContext) -> Iterator[Finding]:
    """A storyboard image, animation frame or sample that is not in the folder (Warning: osu! shows or plays
    nothing), or a path leaving the mapset folder (Problem). With UseSkinSprites, skin element names are taken
    from the player's skin and are not missing. Each missing path is reported once, where it is first used."""
    present = {name.lower() for name in ctx.files}
    skin_sprites = any(d.beatmap.general.use_skin_sprites for d in ctx.difficulties)
    reported: set[str] = set()
    for source, element in all_elements(ctx):
        if element.path.lower() in reported:
            continue
        if element.leaves_folder:
            reported.add(element.path.lower())
            yield ctx.flag(f"The storyboard {element.name} '{element.path}' is outside the mapset folder.",
                           file=source, line=element.line, severity=Severity.PROBLEM,
                           suggestion="Copy the file into the mapset folder and refer to it there.")
            continue
        missing = [name for name in element.files() if name not in present
                   and not (skin_sprites and is_skin_or_sample(name))]
        if not missing:
            continue
        reported.add(element.path.lower())
        what = (f"frames {', '.join(missing[:3])}{' …' if len(missing) > 3 else ''} of the animation"
                if len(element.files()) > 1 else f"{element.name}")
        yield ctx.flag(f"The storyboard uses {what} '{element.path}', which is not in the folder.", file=source,
                       line=element.line, time=element.time,
                       suggestion="Add the file, or fix the path (names are matched without case).")


@check("storyboard.sprite-resolution", "Too high storyboard image resolution", category=STORYBOARD,
       severity=Severity.PROBLEM, scope=Scope.FILES)
def sprite_resolution(ctx: MapsetContext) -> Iterator[Finding]:
    """A storyboard image (or animation frame) of more than 17,000,000 pixels (width × height) (Problem)."""
    present = {name.lower(): name for name in ctx.files}
    seen: set[str] = set()
    for source, element in all_elements(ctx):
        if element.kind == SAMPLE:
            continue
        for name in element.files():
            found = present.get(name)
            if found is None or name in seen:
                continue
            seen.add(name)
            try:
                with Image.open(ctx.folder / found) as image:  # type: ignore[operator]
                    width, height = image.size
            except (OSError, ValueError):
                continue  # not an image osu! can load either; `files.unused`-style checks cover junk
            if width * height > MAX_SPRITE_PIXELS:
                yield ctx.flag(f"The storyboard image '{found}' is {width}×{height} "
                               f"({width * height / 1e6:.1f} million pixels; at most 17).", file=source,
                               line=element.line, suggestion="Scale it down.")


@check("storyboard.osb-samples", "Storyboarded hit sounds in the .osb", category=STORYBOARD,
       severity=Severity.WARNING, scope=Scope.FILES)
def osb_samples(ctx: MapsetContext) -> Iterator[Finding]:
    """A Sample event in a .osb of a set with an osu!, taiko or catch difficulty: it plays whether or not the
    player hits (Warning; mania keysounds may use them)."""
    if all(d.mode == MANIA for d in ctx.difficulties):
        return
    for name, found in ctx.osb_storyboards.items():
        for element in found:
            if element.kind == SAMPLE:
                yield ctx.flag(f"The storyboard plays the sample '{element.path}'.", file=name, line=element.line,
                               time=element.time, suggestion="Use hit sounds on objects instead.")


STORYBOARD_SETTINGS = (  # (attribute of General, label)
    ("widescreen_storyboard", "Widescreen support"),
    ("story_fire_in_front", "Storyboard in front of combo fire"),
    ("use_skin_sprites", "Skin sprites in the storyboard"),
)


def _visual(found: list[Element]) -> bool:
    """Whether the elements show anything (samples alone are keysounds or hit sounds, not a storyboard to see)."""
    return any(element.kind != SAMPLE for element in found)


def _has_storyboard(ctx: MapsetContext, difficulty: DifficultyContext) -> bool:
    return _visual(difficulty.storyboard) or any(_visual(found) for found in ctx.osb_storyboards.values())


@check("storyboard.inconsistent-settings", "Storyboard settings inconsistent between difficulties",
       category=STORYBOARD, severity=Severity.WARNING, scope=Scope.MAPSET)
def inconsistent_settings(ctx: MapsetContext) -> Iterator[Finding]:
    """Difficulties of one mode disagreeing, where both show a storyboard, on widescreen support, storyboard in
    front of combo fire or skin sprites in the storyboard; or one showing a difficulty-specific storyboard
    (sprites or animations; samples alone do not count) and another none (Warning). Compared with the first
    difficulty of the same mode."""
    for diffs in ctx.by_mode.values():
        if len(diffs) < 2:
            continue
        reference = diffs[0]
        for difficulty in diffs[1:]:
            if _has_storyboard(ctx, difficulty) and _has_storyboard(ctx, reference):
                for attribute, label in STORYBOARD_SETTINGS:
                    mine = getattr(difficulty.beatmap.general, attribute)
                    theirs = getattr(reference.beatmap.general, attribute)
                    if mine != theirs:
                        yield ctx.flag(f"{label} is {'on' if mine else 'off'} here but {'on' if theirs else 'off'} "
                                       f"in [{reference.version}].", difficulty=difficulty,
                                       suggestion="Use the same storyboard settings in every difficulty.")
            if _visual(difficulty.storyboard) != _visual(reference.storyboard):
                having = difficulty if _visual(difficulty.storyboard) else reference
                yield ctx.flag(f"[{having.version}] has a difficulty-specific storyboard and "
                               f"[{(reference if having is difficulty else difficulty).version}] has none.",
                               difficulty=difficulty,
                               suggestion="Give every difficulty the storyboard, or move it into the .osb.")
