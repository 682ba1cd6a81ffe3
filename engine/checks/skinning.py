"""Beatmap skin checks: incomplete skin element sets (every mode), mixed or new-style spinners, geki/katu
hitbursts that look like the plain ones, the slider colours a skinned osu! set must define, catch elements
off their default size (Mapset Verifier's "Incomplete or incorrect skin element sets"; checks.md §3–5), and
skin element images too large (its "Too high skin element resolution").

A skin element is present when the folder's root holds it under its name with any image extension and an
optional @2x, or as the first frame of an animation (`hit0-0.png` for `hit0-{n}.png`, `sliderb0.png` for
`sliderb{n}.png`). Elements of a set count only where the set's objects occur (slider elements with sliders,
the reverse arrow with repeating sliders, spinner elements with spinners) in difficulties of the set's mode.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image

from engine.checks.context import MapsetContext, Obj
from engine.checks.files import is_skin_or_sample
from engine.checks.registry import CATCH, MANIA, STANDARD, TAIKO, Scope, check
from engine.findings import Finding, Severity
from engine.osu.hitobjects import Slider

SKINNING = "Skinning"
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg")
SIMILAR_COLOUR = 30.0  # RGB distance under which a slider body and its border cannot be told apart

Condition = Callable[[MapsetContext], bool]


def _having(mode: int, test: Callable[[Obj], bool]) -> Condition:
    """Whether a difficulty of `mode` has an object passing `test`."""
    return lambda ctx: any(test(o) for d in ctx.difficulties if d.mode == mode for o in d.objects)


def _always(ctx: MapsetContext) -> bool:
    return True


def _is_slider(o: Obj) -> bool:
    return o.is_slider


def _is_spinner(o: Obj) -> bool:
    return o.is_spinner


def _repeats(o: Obj) -> bool:
    return isinstance(o.raw, Slider) and o.raw.span_count > 1


def _no_standard(ctx: MapsetContext) -> bool:
    return all(d.mode != STANDARD for d in ctx.difficulties)


_with_sliders, _with_repeats = _having(STANDARD, _is_slider), _having(STANDARD, _repeats)
_with_drumrolls, _with_swells = _having(TAIKO, _is_slider), _having(TAIKO, _is_spinner)
_with_droplets, _with_bananas = _having(CATCH, _is_slider), _having(CATCH, _is_spinner)


@dataclass(frozen=True)
class SkinElement:
    """`pattern` is the file name with `{n}` where an animation's frame number may follow."""

    pattern: str
    required: bool = True
    relevant: Condition = _always


SkinSet = tuple[str, tuple[SkinElement, ...]]  # (name, elements)
STANDARD_SETS: tuple[SkinSet, ...] = (
    ("Cursor", (SkinElement("cursor"), SkinElement("cursortrail"), SkinElement("cursormiddle", False),
                SkinElement("cursor-smoke", False))),
    ("Hitburst", (*(SkinElement(f"{name}-{{n}}")
                    for name in ("hit0", "hit50", "hit100", "hit100k", "hit300", "hit300g", "hit300k")),
                  *(SkinElement(name, False)
                    for name in ("particle50", "particle100", "particle300", "sliderpoint10", "sliderpoint30")))),
    ("Hitcircle", (SkinElement("approachcircle"), SkinElement("followpoint-{n}"), SkinElement("hitcircle"),
                   SkinElement("hitcircleoverlay-{n}"), SkinElement("reversearrow", relevant=_with_repeats),
                   SkinElement("sliderendcircle", relevant=_with_sliders),
                   SkinElement("sliderendcircleoverlay-{n}", relevant=_with_sliders),
                   SkinElement("sliderstartcircle", relevant=_with_sliders),
                   SkinElement("sliderstartcircleoverlay-{n}", relevant=_with_sliders),
                   SkinElement("hitcircleselect", False))),
    ("Slidertrack", (SkinElement("sliderb{n}", relevant=_with_sliders),
                     SkinElement("sliderfollowcircle-{n}", relevant=_with_sliders),
                     SkinElement("sliderscorepoint", relevant=_with_sliders),
                     SkinElement("sliderb-nd", False, _with_sliders), SkinElement("sliderb-spec", False, _with_sliders))),
    ("Hitcircle numbers", tuple(SkinElement(f"default-{digit}") for digit in range(10))),
)
TAIKO_SETS: tuple[SkinSet, ...] = (
    ("Taiko hit object", (SkinElement("taikobigcircle"), SkinElement("taikobigcircleoverlay-{n}"),
                          SkinElement("taikohitcircle"), SkinElement("taikohitcircleoverlay-{n}"),
                          SkinElement("sliderscorepoint",  # osu!'s own element where the set has osu! difficulties
                                      relevant=lambda ctx: _with_drumrolls(ctx) and _no_standard(ctx)),
                          SkinElement("taiko-roll-middle", relevant=_with_drumrolls),
                          SkinElement("taiko-roll-end", relevant=_with_drumrolls),
                          SkinElement("spinner-warning", relevant=_with_swells))),
    ("Taiko hitburst", tuple(SkinElement(f"taiko-{name}-{{n}}") for name in ("hit0", "hit100", "hit100k", "hit300",
                                                                               "hit300k"))),
    ("Pippidon", (*(SkinElement(f"pippidon{name}{{n}}") for name in ("clear", "fail", "idle", "kiai")),
                  SkinElement("taiko-flower-group-{n}", False))),
)
FRUITS = tuple(SkinElement(f"fruit-{name}{overlay}", relevant=_with_bananas if name == "bananas" else _always)
               for name in ("apple", "grapes", "orange", "pear", "bananas") for overlay in ("", "-overlay"))
DROPS = (SkinElement("fruit-drop", relevant=_with_droplets), SkinElement("fruit-drop-overlay", relevant=_with_droplets))
CATCHER = tuple(SkinElement(f"fruit-catcher-{name}-{{n}}") for name in ("fail", "idle", "kiai"))
CATCH_SETS: tuple[SkinSet, ...] = (("Fruits", FRUITS + DROPS), ("Catcher", CATCHER + (SkinElement("lighting", False),)))
CATCH_SIZES = ((FRUITS, (128, 128)), (DROPS, (82, 103)), (CATCHER, (306, 320)))  # the hitbox: exactly the default
MANIA_SETS: tuple[SkinSet, ...] = (  # notes, keys and the stage come from the player's skin only
    ("Mania hitburst", tuple(SkinElement(f"mania-{name}-{{n}}") for name in ("hit0", "hit50", "hit100", "hit200", "hit300",
                                                                              "hit300g"))),
    ("Mania combo burst", (SkinElement("comboburst-mania-{n}", False),)),
)
SETS = {STANDARD: STANDARD_SETS, TAIKO: TAIKO_SETS, CATCH: CATCH_SETS, MANIA: MANIA_SETS}
SPINNER_SHARED = ("spinner-approachcircle", "spinner-clear", "spinner-spin")
SPINNER_OLD = ("spinner-background", "spinner-circle", "spinner-metre")
SPINNER_NEW = ("spinner-bottom", "spinner-glow", "spinner-middle", "spinner-middle2", "spinner-top")
HITBURSTS_THAT_MUST_DIFFER = (("hit100-{n}", "hit100k-{n}"), ("hit300-{n}", "hit300g-{n}"), ("hit300-{n}", "hit300k-{n}"))


def _names(pattern: str) -> list[str]:
    """File stems that provide an element: `hit0-{n}` is `hit0` or `hit0-0`; `sliderb{n}` is `sliderb` or `sliderb0`."""
    if "{n}" not in pattern:
        return [pattern]
    return [pattern.replace("-{n}", "").replace("{n}", ""), pattern.replace("{n}", "0")]


def present(root_files: dict[str, str], pattern: str) -> str | None:
    """The folder's file providing the element (as the folder spells it), None when none does."""
    for stem in _names(pattern):
        for scale in ("", "@2x"):
            for extension in IMAGE_EXTENSIONS:
                found = root_files.get(f"{stem}{scale}.{extension}")
                if found is not None:
                    return found
    return None


@check("skinning.skin-sets", "Incomplete or incorrect skin element sets", category=SKINNING,
       severity=Severity.PROBLEM, scope=Scope.FILES)
def skin_sets(ctx: MapsetContext) -> Iterator[Finding]:
    """A skin set of a mode the set has skinned in part (Problem): osu! cursor, hitbursts, hit circles, slider
    track, numbers, spinner; taiko hit objects, hitbursts, pippidon; catch fruits, catcher; mania hitbursts. osu!: old- and
    new-style spinner elements mixed (Problem: the old style wins); hit100/hit300 the same file as their
    katu/geki (Problem); hit circle or slider elements skinned without a SliderBorder colour, or a
    SliderTrackOverride within RGB distance 30 of SliderBorder (Problem); a new-style spinner or spinner-osu.png
    (Warning). catch: fruits, drops or catcher off their default size (Problem), a catcher without a v2+ skin.ini
    (Problem). Any mode: an element that is not PNG (Warning)."""
    if ctx.folder is None:
        return
    root = {name.lower(): name for name in ctx.files if "/" not in name}
    modes = {d.mode for d in ctx.difficulties}
    skinned: set[str] = set()
    for mode in sorted(modes & set(SETS)):
        for set_name, elements in SETS[mode]:
            relevant = [element for element in elements if element.relevant(ctx)]
            found = {element.pattern: present(root, element.pattern) for element in relevant}
            if not any(found.values()):
                continue
            skinned.add(set_name)
            missing = [_names(element.pattern)[0] for element in relevant if element.required
                       and found[element.pattern] is None]
            if missing:
                yield ctx.flag(f"The {set_name} skin set is only partly skinned; missing: {', '.join(missing)}.",
                               suggestion="Add the missing elements (a transparent image hides one) or remove the set.")
            for name in sorted(filter(None, found.values())):
                if not name.lower().endswith(".png"):
                    yield ctx.flag(f"The skin element '{name}' is not a PNG.", file=name, severity=Severity.WARNING,
                                   suggestion="Save it as PNG, which keeps transparency.")
    if STANDARD in modes:
        yield from _spinner_issues(ctx, root)
        yield from _same_hitbursts(ctx, root)
        if skinned & {"Hitcircle", "Slidertrack"}:
            yield from _slider_colours(ctx)
    if CATCH in modes:
        yield from _catch_sizes(ctx, root)
        if "Catcher" in skinned and not _skin_version_2(ctx, root):
            yield ctx.flag("A custom catcher needs a skin.ini declaring Version: 2 or higher.",
                           suggestion="Add skin.ini with [General] Version: 2.0 (or latest).")


def every_file(root: dict[str, str], pattern: str) -> list[str]:
    """All the folder's files of an element: each animation frame, with and without @2x, any image extension."""
    frames = r"(-?\d+)?" if "{n}" in pattern else ""
    stem = re.escape(_names(pattern)[0])
    wanted = re.compile(rf"{stem}{frames}(@2x)?\.({'|'.join(IMAGE_EXTENSIONS)})")
    return sorted(name for lower, name in root.items() if wanted.fullmatch(lower))


def _catch_sizes(ctx: MapsetContext, root: dict[str, str]) -> Iterator[Finding]:
    for elements, (width, height) in CATCH_SIZES:
        for name in (name for element in elements for name in every_file(root, element.pattern)):
            scale = 2 if "@2x." in name.lower() else 1
            try:
                with Image.open(ctx.folder / name) as image:  # type: ignore[operator]
                    size = image.size
            except (OSError, ValueError):
                continue
            if size != (width * scale, height * scale):
                yield ctx.flag(f"'{name}' is {size[0]}×{size[1]}; it must be exactly {width * scale}×{height * scale} "
                               "(its size is the hitbox).", file=name, suggestion="Resize it to the default size.")


def _skin_version_2(ctx: MapsetContext, root: dict[str, str]) -> bool:
    """Whether the folder's skin.ini declares Version 2 or higher (or latest)."""
    name = root.get("skin.ini")
    if name is None:
        return False
    text = (ctx.folder / name).read_text("utf-8", "replace")  # type: ignore[operator]
    match = re.search(r"^\s*Version\s*:\s*(\S+)", text, re.MULTILINE | re.IGNORECASE)
    if match is None:
        return False
    value = match.group(1)
    try:
        return value.lower() == "latest" or float(value) >= 2
    except ValueError:
        return False


def _spinner_issues(ctx: MapsetContext, root: dict[str, str]) -> Iterator[Finding]:
    if not _having(STANDARD, _is_spinner)(ctx):
        return
    if "spinner-osu.png" in root:
        yield ctx.flag("spinner-osu.png shows only with skin version 1.0, which almost no player uses.",
                       file=root["spinner-osu.png"], severity=Severity.WARNING, suggestion="Remove it.")
    old = next((name for name in SPINNER_OLD if present(root, name)), None)
    new = next((name for name in SPINNER_NEW if present(root, name)), None)
    if old and new:
        yield ctx.flag(f"Old-style ({old}) and new-style ({new}) spinner elements are both present; the old style "
                       "wins.", suggestion="Keep the elements of one spinner style only.")
        return
    if new:
        yield ctx.flag(f"{new} makes a new-style spinner, which shows correctly only with the default skin forced.",
                       severity=Severity.WARNING, suggestion="Use an old-style spinner, or force the default skin.")
    style = SPINNER_OLD if old else SPINNER_NEW if new else ()
    missing = [name for name in (*style, *SPINNER_SHARED) if style and not present(root, name)]
    if missing:
        yield ctx.flag(f"The Spinner skin set is only partly skinned; missing: {', '.join(missing)}.",
                       suggestion="Add the missing spinner elements or remove the skinned ones.")


def _same_hitbursts(ctx: MapsetContext, root: dict[str, str]) -> Iterator[Finding]:
    for plain, special in HITBURSTS_THAT_MUST_DIFFER:
        first, second = present(root, plain), present(root, special)
        if first and second and (ctx.folder / first).read_bytes() == (ctx.folder / second).read_bytes():  # type: ignore[operator]
            yield ctx.flag(f"'{first}' and '{second}' are the same image; players cannot tell a geki/katu from a "
                           "plain hit.", file=second, suggestion="Make the geki/katu hitburst look different.")


def _slider_colours(ctx: MapsetContext) -> Iterator[Finding]:
    for difficulty in ctx.difficulties:
        if difficulty.mode != STANDARD:
            continue
        custom = dict(difficulty.beatmap.colours.custom)
        border, track = custom.get("SliderBorder"), custom.get("SliderTrackOverride")
        if border is None:
            yield ctx.flag("Hit circles or sliders are skinned but the difficulty sets no SliderBorder colour.",
                           difficulty=difficulty, suggestion="Choose a slider border colour in [Colours].")
        elif track is not None and math.dist(border, track) < SIMILAR_COLOUR:
            yield ctx.flag("The slider body colour (SliderTrackOverride) is too close to the border colour "
                           "(SliderBorder).", difficulty=difficulty, suggestion="Make the body and border differ.")


MAX_ELEMENT_SIZE = (2560, 1440)
MAX_ELEMENT_BYTES = int(2.5 * 1024 * 1024)


@check("skinning.element-resolution", "Too high skin element resolution", category=SKINNING,
       severity=Severity.WARNING, scope=Scope.FILES)
def element_resolution(ctx: MapsetContext) -> Iterator[Finding]:
    """A skin element image (by its name, in the folder's root) larger than 2560×1440 (Warning) or over 2.5 MB
    (Problem)."""
    if ctx.folder is None:
        return
    for name in ctx.files:
        if "/" in name or not name.lower().endswith(tuple(f".{e}" for e in IMAGE_EXTENSIONS)) \
                or not is_skin_or_sample(name):
            continue
        path = ctx.folder / name
        if path.stat().st_size > MAX_ELEMENT_BYTES:
            yield ctx.flag(f"The skin element '{name}' is {path.stat().st_size / 2**20:.1f} MB; at most 2.5 MB.",
                           file=name, severity=Severity.PROBLEM, suggestion="Compress or scale it down.")
        try:
            with Image.open(path) as image:
                width, height = image.size
        except (OSError, ValueError):
            continue
        if width > MAX_ELEMENT_SIZE[0] or height > MAX_ELEMENT_SIZE[1]:
            yield ctx.flag(f"The skin element '{name}' is {width}×{height}; at most 2560×1440.", file=name,
                           suggestion="Scale it down.")
