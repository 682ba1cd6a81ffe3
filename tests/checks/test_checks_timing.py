"""Timing checks: each flags a map made with the issue and not the same map without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.checks import apply_fixes, run_checks
from engine.findings import Severity
from engine.osu import OsuFormatError, read_beatmap
from tests.checks.maps import assert_flags_issue_only, base_map, flagged, objects, parse, with_objects
from tests.conftest import corpus_files

BASE = base_map()
RED = "1000,500,4,2,0,60,1,0"


def with_object_line(index: int, line: str) -> str:
    return with_objects({index: line})


def with_timing(*extra: str) -> str:
    return base_map(timing=[RED, "17000,-100,4,2,0,60,0,1", "25000,-100,4,2,0,60,0,0", *extra])


CASES = {
    "timing.unsnapped-objects": with_object_line(5, "384,288,3507,1,0,0:0:0:0:"),
    "timing.unsnapped-green-lines": with_timing("5007,-100,4,2,0,60,0,0"),
    "timing.first-line": base_map(timing=["500,-100,4,2,0,60,0,0", RED]),
    "timing.objects-before-first-line": base_map(timing=["3000,500,4,2,0,60,1,0", "17000,-100,4,2,0,60,0,1",
                                                         "25000,-100,4,2,0,60,0,0"]),
    "timing.concurrent-lines": with_timing("9000,-100,4,2,0,60,0,0", "9000,-50,4,2,0,60,0,0"),
    "timing.redundant-red-line": with_timing("9000,500,4,2,0,60,1,0"),
    "timing.redundant-green-line": with_timing("9000,-100,4,2,0,60,0,0"),
    "timing.line-volume": with_timing("9000,-100,4,2,0,3,0,0"),
    "timing.object-before-line": with_object_line(
        2, "384,96,2000,2,0,L|454:96,1,70,0|0,0:0|0:0,0:0:0:0:").replace(
        "17000,-100,4,2,0,60,0,1", "2003,-50,4,2,0,60,0,0\n17000,-100,4,2,0,60,0,1"),
    "timing.wrong-red-line": base_map(timing=[RED, "9040,400,4,2,0,60,1,0"],
                                      hit_objects=objects(16) + ["256,192,9000,1,0,0:0:0:0:",
                                                                 "256,192,9440,1,0,0:0:0:0:"]),
    "timing.offset-drift": base_map(timing=["1006,500,4,2,0,60,1,0", "17000,-100,4,2,0,60,0,1",
                                            "25000,-100,4,2,0,60,0,0"]),
    "timing.rare-divisor": with_object_line(5, "384,288,3583,1,0,0:0:0:0:"),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_flags_the_issue_and_not_the_base_map(check_id: str) -> None:
    assert_flags_issue_only(check_id, CASES[check_id], BASE)


def test_base_map_has_no_findings_at_all() -> None:
    assert run_checks(parse(BASE)) == []


def test_unsnap_levels_follow_the_two_thresholds() -> None:
    problem = flagged(with_object_line(5, "384,288,3503,1,0,0:0:0:0:"), "timing.unsnapped-objects")
    minor = flagged(with_object_line(5, "384,288,3501,1,0,0:0:0:0:"), "timing.unsnapped-objects")
    assert [f.severity for f in problem] == [Severity.PROBLEM]
    assert [f.severity for f in minor] == [Severity.MINOR]
    assert problem[0].message == "Circle is unsnapped by +3.00 ms."


def test_unsnapped_object_fix_resnaps_only_that_line() -> None:
    text = CASES["timing.unsnapped-objects"]
    beatmap = parse(text)
    [finding] = flagged(beatmap, "timing.unsnapped-objects")
    fixed = apply_fixes(beatmap, [finding])
    before, after = beatmap.to_bytes().decode().splitlines(), fixed.to_bytes().decode().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [("384,288,3507,1,0,0:0:0:0:", "384,288,3500,1,0,0:0:0:0:")]
    assert not flagged(fixed, "timing.unsnapped-objects")


def test_offset_drift_fix_moves_the_red_line_onto_the_objects() -> None:
    beatmap = parse(CASES["timing.offset-drift"])
    [finding] = flagged(beatmap, "timing.offset-drift")
    assert "-6 ms" in finding.message
    fixed = apply_fixes(beatmap, [finding])
    assert fixed.timing_points[0].time == 1000
    assert not flagged(fixed, "timing.unsnapped-objects")


def test_green_line_fix_resnaps_the_line() -> None:
    beatmap = parse(CASES["timing.unsnapped-green-lines"])
    fixed = apply_fixes(beatmap, flagged(beatmap, "timing.unsnapped-green-lines"))
    assert 5000 in [p.time for p in fixed.timing_points]


@pytest.mark.parametrize("slides, length, fixed", [(1, 73, 70), (3, 73, 70), (2, 72, 70)])
def test_unsnapped_slider_repeats_and_tail_are_fixed_by_a_length_change(slides: int, length: float, fixed: float) -> None:
    # 140 px per beat: 70 px is 1/2 beat; 73 px puts each repeat and the tail 10.7 ms later per span; the nearest ticks give 70 px back.
    beatmap = parse(with_object_line(6, f"384,288,4000,2,0,L|454:288,{slides},{length:g}"))
    findings = [f for f in flagged(beatmap, "timing.unsnapped-objects") if f.start_ms is not None and f.start_ms > 4000]
    assert len(findings) == slides and [f.fix is not None for f in findings] == [True] + [False] * (slides - 1)
    assert findings[0].fix.description == (f"Change the slider's length to {fixed:g} px so that its repeats and tail "
                                           "land on the grid.")
    repaired = apply_fixes(beatmap, findings)
    assert f"384,288,4000,2,0,L|454:288,{slides},{fixed:g}" in repaired.to_bytes().decode()
    assert not flagged(repaired, "timing.unsnapped-objects")


@pytest.mark.parametrize("length, fixed, description", [
    (73, "384,288,4000,2,0,L|454:288,1,70",
     "Move the slider head to 4000 ms and change the slider's length to 70 px so that its repeats and tail land on "
     "the grid."),
    (70, "384,288,4000,2,0,L|454:288,1,70",
     "Move the slider head to 4000 ms; its repeats and tail then land on the grid."),
])
def test_unsnapped_head_moves_onto_the_grid_with_the_length_fix(length: int, fixed: str, description: str) -> None:
    beatmap = parse(with_object_line(6, f"384,288,4005,2,0,L|454:288,1,{length}"))
    head, tail = flagged(beatmap, "timing.unsnapped-objects")
    assert head.message.startswith("Slider head") and tail.message.startswith("Slider tail")
    assert tail.fix is not None and tail.fix.description == description and head.fix == tail.fix
    for chosen in ([tail], [head, tail], [tail, head]):  # alone, or with the head's own resnap in either order
        repaired = apply_fixes(beatmap, chosen)
        assert fixed in repaired.to_bytes().decode()
        assert not flagged(repaired, "timing.unsnapped-objects")


def test_resnapping_a_head_keeps_a_snapped_tail_where_it_is() -> None:
    # 68.6 px is 245 ms: the tail at 4250 is on the grid; moving the head alone to 4000 would put it at 4245.
    beatmap = parse(with_object_line(6, "384,288,4005,2,0,L|454:288,1,68.6"))
    [head] = flagged(beatmap, "timing.unsnapped-objects")
    assert head.fix is not None and head.fix.description == (
        "Move the slider head to 4000 ms and change the slider's length to 70 px so that its repeats and tail land "
        "on the grid.")
    repaired = apply_fixes(beatmap, [head])
    assert "384,288,4000,2,0,L|454:288,1,70" in repaired.to_bytes().decode()
    assert not flagged(repaired, "timing.unsnapped-objects")


def with_speed_line(*lines: str) -> str:
    """The slider at 4005 (73 px) timed by green lines near its head (SV ×2 from `lines`, back to ×1 at 4500)."""
    return with_object_line(6, "384,288,4005,2,0,L|454:288,1,73").replace(
        "17000,-100,4,2,0,60,0,1", "\n".join([*lines, "4500,-100,4,2,0,60,0,0", "17000,-100,4,2,0,60,0,1"]))


def test_the_green_line_setting_the_speed_moves_with_the_head() -> None:
    # SV ×2 from 4003: 73 px is 130.4 ms. On the grid at 4000 the slider would run at ×1 unless the line moves too.
    beatmap = parse(with_speed_line("4003,-50,4,2,0,60,0,0"))
    head, tail = flagged(beatmap, "timing.unsnapped-objects")
    assert tail.fix is not None and head.fix == tail.fix
    assert tail.fix.description == ("Move the slider head and its inherited line at 4003 ms to 4000 ms and change "
                                    "the slider's length to 70 px so that its repeats and tail land on the grid.")
    [line] = flagged(beatmap, "timing.unsnapped-green-lines")
    for chosen in ([tail], [head, tail, line], [line, tail]):  # with the line's own resnap in any order
        repaired = apply_fixes(beatmap, chosen).to_bytes().decode()
        assert "384,288,4000,2,0,L|454:288,1,70" in repaired and "\n4000,-50,4,2,0,60,0,0" in repaired
        assert not flagged(repaired, "timing.unsnapped-objects") + flagged(repaired, "timing.unsnapped-green-lines")


def test_no_fix_where_moving_the_head_would_change_the_slider_speed() -> None:
    # Two lines between the tick and the head: the head alone on the tick would run at ×1 instead of ×2.5.
    findings = flagged(with_speed_line("4003,-50,4,2,0,60,0,0", "4004,-40,4,2,0,60,0,0"), "timing.unsnapped-objects")
    assert [(f.message.split(" is")[0], f.fix) for f in findings] == [("Slider head", None), ("Slider tail", None)]


def test_corpus_slider_fixes_snap_their_sliders_also_with_the_moved_lines_own_fixes(corpus_dir: Path) -> None:
    """On every corpus map, all unsnapped-object fixes applied together, with the green-line fixes of the lines
    they move (a slider fix moving a line and that line's own resnap agree), leave every slider with a combined
    fix on the grid."""
    combined = moved = 0
    for path in corpus_files():
        try:
            beatmap = read_beatmap(path)
        except OsuFormatError:
            continue
        objects = [(f, f.fix) for f in run_checks(beatmap, only=["timing.unsnapped-objects"]) if f.fix is not None]
        sliders = {f.objects for f, fix in objects
                   if fix.description.startswith("Move the slider head") and not f.message.startswith("Slider head")}
        edited = {edit.line for _, fix in objects for edit in fix.edits}
        lines = [f for f in run_checks(beatmap, only=["timing.unsnapped-green-lines"])
                 if f.fix is not None and f.fix.edits[0].line in edited]
        combined, moved = combined + len(sliders), moved + len(lines)
        fixed = apply_fixes(beatmap, [f for f, _ in objects] + lines)
        left = {f.objects for f in run_checks(fixed, only=["timing.unsnapped-objects"])}
        assert not sliders & left, path.name
    assert combined > 0 and moved > 0
