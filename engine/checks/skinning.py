"""osu! beatmap skin checks: incomplete skin element sets, mixed or new-style spinners, geki/katu hitbursts that
look like the plain ones, and the slider colours a skinned set must define (Mapset Verifier's "Incomplete or
incorrect skin element sets", osu! mode; checks.md §3).

A skin element is present when the folder's root holds it under its name with any image extension and an
optional @2x, or as the first frame of an animation (`hit0-0.png` for `hit0-{n}.png`, `sliderb0.png` for
`sliderb{n}.png`). Elements of a set count only where the set's objects occur (slider elements with sliders,
the reverse arrow with repeating sliders, spinner elements with spinners). Taiko, catch and mania skin sets
are not checked yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from engine.checks.context import MapsetContext
from engine.checks.registry import STANDARD, Scope, check
from engine.findings import Finding, Severity
from engine.osu.hitobjects import Slider

SKINNING = "Skinning"
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg")
SIMILAR_COLOUR = 30.0  # RGB distance under which a slider body and its border cannot be told apart

Condition = Callable[[MapsetContext], bool]


def _with_sliders(ctx: MapsetContext) -> bool:
    return any(o.is_slider for d in ctx.difficulties if d.mode == STANDARD for o in d.objects)


def _with_repeats(ctx: MapsetContext) -> bool:
    return any(isinstance(o.raw, Slider) and o.raw.span_count > 1
               for d in ctx.difficulties if d.mode == STANDARD for o in d.objects)


def _always(ctx: MapsetContext) -> bool:
    return True


@dataclass(frozen=True)
class SkinElement:
    """`pattern` is the file name with `{n}` where an animation's frame number may follow."""

    pattern: str
    required: bool = True
    relevant: Condition = _always


SETS: tuple[tuple[str, tuple[SkinElement, ...]], ...] = (
    ("Cursor", (SkinElement("cursor"), SkinElement("cursortrail"), SkinElement("cursormiddle", False),
                SkinElement("cursor-smoke", False))),
    ("Hitburst", (*(SkinElement(f"{name}-{{n}}") for name in ("hit0", "hit50", "hit100", "hit100k", "hit300", "hit300g",
                                                          "hit300k")),
                  *(SkinElement(name, False) for name in ("particle50", "particle100", "particle300", "sliderpoint10",
                                                      "sliderpoint30")))),
    ("Hitcircle", (SkinElement("approachcircle"), SkinElement("followpoint-{n}"), SkinElement("hitcircle"),
                   SkinElement("hitcircleoverlay-{n}"), SkinElement("reversearrow", relevant=_with_repeats),
                   SkinElement("sliderendcircle", relevant=_with_sliders),
                   SkinElement("sliderendcircleoverlay-{n}", relevant=_with_sliders),
                   SkinElement("sliderstartcircle", relevant=_with_sliders),
                   SkinElement("sliderstartcircleoverlay-{n}", relevant=_with_sliders), SkinElement("hitcircleselect", False))),
    ("Slidertrack", (SkinElement("sliderb{n}", relevant=_with_sliders), SkinElement("sliderfollowcircle-{n}", relevant=_with_sliders),
                     SkinElement("sliderscorepoint", relevant=_with_sliders),
                     SkinElement("sliderb-nd", False, _with_sliders), SkinElement("sliderb-spec", False, _with_sliders))),
    ("Hitcircle numbers", tuple(SkinElement(f"default-{digit}") for digit in range(10))),
)
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


def _has_spinners(ctx: MapsetContext) -> bool:
    return any(o.is_spinner for d in ctx.difficulties if d.mode == STANDARD for o in d.objects)


@check("skinning.skin-sets", "Incomplete or incorrect skin element sets", category=SKINNING,
       severity=Severity.PROBLEM, scope=Scope.FILES)
def skin_sets(ctx: MapsetContext) -> Iterator[Finding]:
    """For sets with osu! difficulties: a skin set (cursor, hitbursts, hit circles, slider track, numbers,
    spinner) skinned in part (Problem); old- and new-style spinner elements mixed (Problem: the old style wins);
    hit100/hit300 the same file as their katu/geki (Problem); hit circle or slider elements skinned without a
    SliderBorder colour, or SliderTrackOverride within RGB distance 30 of SliderBorder (Problem); a new-style
    spinner, spinner-osu.png, or an element that is not PNG (Warning)."""
    standard = [d for d in ctx.difficulties if d.mode == STANDARD]
    if not standard or ctx.folder is None:
        return
    root = {name.lower(): name for name in ctx.files if "/" not in name}
    skinned_circles = False
    for set_name, elements in SETS:
        relevant = [element for element in elements if element.relevant(ctx)]
        found = {element.pattern: present(root, element.pattern) for element in relevant}
        if not any(found.values()):
            continue
        skinned_circles |= set_name in ("Hitcircle", "Slidertrack")
        missing = [element.pattern.replace("{n}", "") for element in relevant if element.required
                   and found[element.pattern] is None]
        if missing:
            yield ctx.flag(f"The {set_name} skin set is only partly skinned; missing: {', '.join(missing)}.",
                           suggestion="Add the missing elements (a transparent image hides one) or remove the set.")
        for name in sorted(filter(None, found.values())):
            if not name.lower().endswith(".png"):
                yield ctx.flag(f"The skin element '{name}' is not a PNG.", file=name, severity=Severity.WARNING,
                               suggestion="Save it as PNG, which keeps transparency.")
    yield from _spinner_issues(ctx, root)
    yield from _same_hitbursts(ctx, root)
    if skinned_circles:
        yield from _slider_colours(ctx)


def _spinner_issues(ctx: MapsetContext, root: dict[str, str]) -> Iterator[Finding]:
    if not _has_spinners(ctx):
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
