"""Taiko barline times as osu! places them, where floating-point rounding decides whether an object, a green
line or a red line is on a barline or 1 ms off it: on made-up maps (last note, green line, close barlines,
omitted barlines across difficulties) and on every corpus taiko map."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.checks.context import DifficultyContext
from engine.osu import Beatmap, read_beatmap
from engine.osu.edits import add_hit_objects, add_timing_points, remove_hit_objects
from engine.osu.hitobjects import Circle
from engine.osu.timing import TimingPoint
from tests.checks.maps import flagged, parse
from tests.checks.test_checks_modes import drums, taiko
from tests.conftest import corpus_files

# 105 BPM as the editor writes it: 571.428571428571 ms, a hair under 4000/7. Seven bars (16000 ms) after 1000 ms,
# 1000 + 7 × 4 × beat length comes to 16999.999999999985 ms (16999.99999999999 added bar by bar); osu! puts that
# barline on 17000.
SHORT_BEAT = "1000,571.428571428571,4,2,0,60,1,0"
ROUNDED_BAR = 17000


def short_beat_map(last_note: int, green_line: int | None = None) -> str:
    timing = [SHORT_BEAT] + ([] if green_line is None else [f"{green_line},-50,4,2,0,60,0,0"])
    return taiko(drums([1000 + i * 500 for i in range(31)] + [last_note]), timing=timing)


def test_a_bar_a_hair_short_of_a_whole_ms_lies_on_it() -> None:
    ctx = DifficultyContext(parse(short_beat_map(ROUNDED_BAR)))
    assert 1000 + 7 * 4 * 571.428571428571 < ROUNDED_BAR
    assert ROUNDED_BAR in ctx.barlines
    assert ctx.barlines[:2] == [1000, 1000 + 4 * 571.428571428571]


def test_last_note_one_ms_before_a_rounded_barline_hides_it() -> None:
    [finding] = flagged(short_beat_map(ROUNDED_BAR - 1), "taiko.last-note-hiding-barline")
    assert finding.message == "Last note in the map is hiding its barline, due to being unsnapped 1 ms early."
    assert finding.severity.name == "PROBLEM" and finding.start_ms == ROUNDED_BAR - 1
    assert not flagged(short_beat_map(ROUNDED_BAR), "taiko.last-note-hiding-barline")


def test_green_line_on_a_rounded_barline_changes_its_speed() -> None:
    [finding] = flagged(short_beat_map(20000, green_line=ROUNDED_BAR + 1), "taiko.barline-unaffected-by-sv")
    assert finding.message == "Barline is snapped 1 ms before a line which would modify its slider velocity."
    assert finding.start_ms == ROUNDED_BAR
    assert not flagged(short_beat_map(20000, green_line=ROUNDED_BAR), "taiko.barline-unaffected-by-sv")


def test_omitted_first_barline_and_the_next_red_line_end_a_section() -> None:
    # A red line at 9100 omitting its first barline: the first section's bars stop before it, the second's start a
    # bar after it, the last ones to a bar past the last note; a note 1 ms before 9100 hides nothing, one 1 ms
    # before 11100 hides that bar.
    timing = ["1000,500,4,2,0,60,1,0", "9100,500,4,2,0,60,1,8"]
    ctx = DifficultyContext(parse(taiko(drums([1000, 12000]), timing=timing)))
    assert ctx.barlines == [1000, 3000, 5000, 7000, 9000, 11100, 13100]
    assert not flagged(taiko(drums([1000, 9099]), timing=timing), "taiko.last-note-hiding-barline")
    assert flagged(taiko(drums([1000, 11099]), timing=timing), "taiko.last-note-hiding-barline")


# 90 BPM as the editor writes it: 666.666666666667 ms, a hair over 2000/3. Bars from 1000 ms add up to
# 9000.000000000004 after three; osu! puts that barline on 9000.
LONG_BEAT = "1000,666.666666666667,4,2,0,60,1,0"


def red_line_map(timing: list[str], version: str = "Muzukashii") -> str:
    return taiko(drums([1000 + i * 500 for i in range(50)]), version=version, timing=timing)


def test_red_line_1_ms_after_a_rounded_barline_is_close_to_it() -> None:
    # The old arithmetic, (9001 - 1000) mod one bar, came to 0.999999999996 ms: under 1 ms, "on the barline".
    assert (9001 - 1000) % (4 * 666.666666666667) < 1
    assert 9000 in DifficultyContext(parse(red_line_map([LONG_BEAT, "9001,500,4,2,0,60,1,0"]))).barlines
    [finding] = flagged(red_line_map([LONG_BEAT, "9001,500,4,2,0,60,1,0"]), "taiko.close-barlines")
    assert finding.message == "This red line's barline comes 1 ms after the previous barline."
    assert finding.severity.name == "PROBLEM" and finding.start_ms == 9001
    assert not flagged(red_line_map([LONG_BEAT, "9000,500,4,2,0,60,1,0"]), "taiko.close-barlines")


def test_barline_before_a_red_line_is_the_last_one_drawn() -> None:
    # A red line at 8500 omitting its first barline ends at 8700 before drawing any: the barline before 8700's
    # is 7000's, 1700 ms before it (the old arithmetic measured 200 ms from 8500 and flagged it).
    timing = ["1000,500,4,2,0,60,1,0", "8500,500,4,2,0,60,1,8", "8700,500,4,2,0,60,1,0"]
    assert DifficultyContext(parse(red_line_map(timing))).barlines[3:5] == [7000, 8700]
    assert not flagged(red_line_map(timing), "taiko.close-barlines")
    kept = [timing[0], "8500,500,4,2,0,60,1,0", timing[2]]
    [finding] = flagged(red_line_map(kept), "taiko.close-barlines")
    assert finding.message == "This red line's barline comes 200 ms after the previous barline."
    assert finding.severity.name == "PROBLEM" and finding.start_ms == 8700


def omitting_difficulties(timing: list[str]) -> list[Beatmap]:
    """Two difficulties: the reference with red lines at 1000 and 9100 ms keeping their barlines, then one with
    `timing` after its line at 1000."""
    reference = parse(red_line_map(["1000,500,4,2,0,60,1,0", "9100,500,4,2,0,60,1,0"]), "a.osu")
    return [reference, parse(red_line_map(["1000,500,4,2,0,60,1,0", *timing], "Oni"), "b.osu")]


def test_omitted_barline_osu_ignores_is_consistent() -> None:
    # Of two red lines at 9100 the first counts (lazer's decoder): a second one omitting its barline changes no
    # barline (the old comparison of the settings flagged it); a first one omitting it does.
    kept_then_omitted = ["9100,500,4,2,0,60,1,0", "9100,500,4,2,0,60,1,8"]
    assert DifficultyContext(omitting_difficulties(kept_then_omitted)[1]).barlines[4:6] == [9000, 9100]
    assert not flagged(omitting_difficulties(kept_then_omitted), "mapset.inconsistent-barlines")
    [finding] = flagged(omitting_difficulties(kept_then_omitted[::-1]), "mapset.inconsistent-barlines")
    assert finding.message == "The red line at 9100 ms omits its first barline, unlike [Muzukashii]."
    assert finding.file == "b.osu" and finding.start_ms == 9100


def whole_ms_barline(ctx: DifficultyContext) -> tuple[float, bool] | None:
    """The last barline on a whole ms well before the map's last object, preferring one that osu! moves onto the
    whole ms from just below it, and whether it is such a one (None when no barline is on a whole ms)."""
    end = max(o.end_time for o in ctx.objects)
    whole = [t for t in ctx.barlines if t < end - 10 and t == int(t)]
    for bar in reversed(whole):
        red = ctx.red_line_at(bar)
        assert red is not None
        measure = red.beat_length * red.meter
        if red.time + round((bar - red.time) / measure) * measure < bar:
            return bar, True
    return (whole[-1], False) if whole else None


def taiko_corpus() -> list[Path]:
    return [path for path in corpus_files() if b"Mode: 1" in path.read_bytes()[:2000]]


def last_note_at(beatmap: Beatmap, time: float) -> Beatmap:
    """The map with every object ending after `time` - 3 ms removed and a don at `time`."""
    late = [o.raw for o in DifficultyContext(beatmap).objects if o.end_time >= time - 3]
    return add_hit_objects(remove_hit_objects(beatmap, late), [Circle(x=256, y=192, time=time, type=1)])


def findings_at(beatmap: Beatmap, check_id: str, time: float) -> list[str]:
    return [f.severity.name for f in flagged(beatmap, check_id) if f.start_ms == int(time)]


@pytest.mark.parametrize("path", taiko_corpus(), ids=lambda path: path.name[:40])
def test_corpus_taiko_maps_last_note_and_green_line_on_a_barline(path: Path, corpus_dir: Path) -> None:
    beatmap = read_beatmap(path)
    ctx = DifficultyContext(beatmap)
    found = whole_ms_barline(ctx)
    if found is None:
        pytest.skip("no barline of this map is on a whole ms")
    bar = found[0]
    assert findings_at(last_note_at(beatmap, bar - 1), "taiko.last-note-hiding-barline", bar - 1) == ["PROBLEM"]
    assert findings_at(last_note_at(beatmap, bar), "taiko.last-note-hiding-barline", bar) == []
    speed = 100 / 37.5 if ctx.beatmap.timing.slider_velocity_at(bar, 1) != 100 / 37.5 else 100 / 40
    for time, expected in ((bar, []), (bar + 1, ["WARNING"])):
        changed = add_timing_points(beatmap, [TimingPoint(time=time, beat_length=-100 / speed, uninherited=False)])
        assert findings_at(changed, "taiko.barline-unaffected-by-sv", bar) == expected


def test_rounding_decides_on_some_corpus_taiko_maps(corpus_dir: Path) -> None:
    """The corpus test above meets barlines that only rounding puts on their whole ms."""
    found = [whole_ms_barline(DifficultyContext(read_beatmap(path))) for path in taiko_corpus()]
    assert any(item is not None and item[1] for item in found)
