"""Hit-object (Compose) checks: each flags a map made with the issue and not the same map without it."""

from __future__ import annotations

import pytest

from engine.checks import apply_fixes
from tests.checks.maps import assert_flags_issue_only, evenly_spaced, base_map, flagged, objects, parse, with_objects

BASE = base_map()


def all_sliders(count: int) -> list[str]:
    return [f"{100 + (i % 3) * 100},100,{1000 + i * 1000},{6 if i == 0 else 2},0,L|{170 + (i % 3) * 100}:100,1,140"
            for i in range(count)]


# check id → (map with the issue, the same kind of map without it)
CASES: dict[str, tuple[str, str]] = {
    "compose.concurrent-objects": (with_objects(add=["256,192,3505,1,0,0:0:0:0:"]), BASE),
    "compose.offscreen": (with_objects({5: "600,288,3500,1,0,0:0:0:0:"}), BASE),
    "compose.out-of-playfield": (with_objects({5: "520,288,3500,1,0,0:0:0:0:"}), BASE),
    "compose.zero-length-objects": (with_objects({5: "256,192,3500,12,0,3500,0:0:0:0:"}),
                                    with_objects({5: "256,192,3500,12,0,3900,0:0:0:0:"})),
    "compose.invisible-sliders": (with_objects({6: "384,288,4000,2,0,L|384:288,1,70"}), BASE),
    "compose.broken-slider-path": (with_objects({6: "384,288,4000,2,0,P|400:300|420:288|440:288,1,70"}),
                                   with_objects({6: "384,288,4000,2,0,P|400:300|440:288,1,70"})),
    "compose.slider-nodes": (with_objects({6: "384,288,4000,2,0,B|" + "|".join(f"{385 + i % 2}:288" for i in range(30)) + ",1,4"}),
                             BASE),
    "compose.too-short-sliders": (with_objects({6: "384,288,4000,2,0,L|404:288,1,20"}, version="Easy"),
                                  base_map(version="Easy")),
    "compose.ninja-spinners": (with_objects({5: "256,192,3500,12,0,3800,0:0:0:0:"}),
                               with_objects({5: "256,192,3500,12,0,4400,0:0:0:0:"}, drop=(6,))),
    "compose.spinner-length-recovery": (with_objects({5: "256,192,3500,12,0,4100,0:0:0:0:"}, drop=(6,),
                                                     version="Normal"),
                                        with_objects({5: "256,192,3500,12,0,4400,0:0:0:0:"}, drop=(6, 7),
                                                     version="Normal")),
    "compose.stacks": (with_objects(add=["128,288,3625,1,0,0:0:0:0:"]), BASE),
    # AR 7 stacks objects up to 630 ms apart at stack leniency 0.7, AR 9.8 (Hard Rock) up to 336 ms.
    "compose.hard-rock-stacks": (with_objects(add=["128,96,1350,1,0,0:0:0:0:"]),
                                 with_objects(add=["128,96,1250,1,0,0:0:0:0:"])),
    "compose.drain-time": (base_map(hit_objects=objects(40), events=['0,0,"bg.jpg",0,0']), BASE),
    "compose.short-reverse-sliders": (with_objects({6: "384,288,4000,2,0,L|394:288,3,10"}, version="Normal"),
                                      base_map(version="Normal")),
    "compose.slider-only-sections": (base_map(hit_objects=all_sliders(40), version="Normal"),
                                     base_map(version="Normal")),
    "compose.obscured-reverses": (with_objects({6: "100,100,4000,2,0,L|170:100,2,70"},
                                               add=["185,100,3750,1,0,0:0:0:0:"]), BASE),
    "compose.distance-consistency": (base_map(hit_objects=evenly_spaced(shift={10: 100}), version="Normal"),
                                     base_map(hit_objects=evenly_spaced(), version="Normal")),
    "compose.close-not-overlapping": (with_objects(add=["400,300,3625,1,0,0:0:0:0:"], version="Easy"),
                                      with_objects(add=["140,290,3625,1,0,0:0:0:0:"], version="Easy")),
    "compose.forced-new-combo": (with_objects({5: "256,192,3500,8,0,3990,0:0:0:0:"}),
                                 with_objects({5: "256,192,3500,12,0,3990,0:0:0:0:",
                                               6: "384,288,4000,6,0,L|454:288,1,70"})),
    "compose.combo-skip-without-new-combo": (with_objects({5: "384,288,3500,17,0,0:0:0:0:"}), BASE),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_flags_the_issue_and_not_the_clean_map(check_id: str) -> None:
    assert_flags_issue_only(check_id, *CASES[check_id])


def test_offscreen_fix_moves_the_circle_back_onto_the_screen() -> None:
    beatmap = parse(CASES["compose.offscreen"][0])
    fixed = apply_fixes(beatmap, flagged(beatmap, "compose.offscreen"))
    moved = [o for o in fixed.hit_objects if o.time == 3500][0]
    assert 579 - 37 <= moved.x <= 579 - 36 and moved.y == 288
    assert not flagged(fixed, "compose.offscreen")


def test_offscreen_slider_fix_moves_the_whole_path() -> None:
    beatmap = parse(with_objects({6: "450,288,4000,2,0,L|560:288,1,110"}))
    [finding] = flagged(beatmap, "compose.offscreen")
    assert "slider body" in finding.message
    fixed = apply_fixes(beatmap, [finding])
    slider = [o for o in fixed.hit_objects if o.time == 4000][0]
    assert slider.control_points[0][0] - slider.x == 110
    assert not flagged(fixed, "compose.offscreen")


def test_forced_new_combo_fix_sets_only_the_bit() -> None:
    beatmap = parse(CASES["compose.forced-new-combo"][0])
    findings = flagged(beatmap, "compose.forced-new-combo")
    fixed = apply_fixes(beatmap, findings)
    assert {o.time for o in fixed.hit_objects if o.new_combo} >= {3500, 4000}
    assert not flagged(fixed, "compose.forced-new-combo")


def test_failed_stack_is_an_almost_stack_osu_does_not_stack() -> None:
    near = with_objects(add=["129,289,4250,1,0,0:0:0:0:"])  # 1.4 px from the circle at 3500, 750 ms later
    [finding] = flagged(near, "compose.stacks")
    assert "750 ms apart at stack leniency 0.7" in finding.message
    assert finding.suggestion == "Stack them exactly and raise the stack leniency to 0.9, or move them apart."
    assert not flagged(near.replace("StackLeniency: 0.7", "StackLeniency: 0.9"), "compose.stacks")
    assert not flagged(with_objects(add=["128,288,4250,1,0,0:0:0:0:"]), "compose.stacks")  # an exact overlap


def test_timestamps_use_combo_numbers() -> None:
    [finding] = flagged(CASES["compose.concurrent-objects"][0], "compose.concurrent-objects")
    assert finding.timestamp == "00:03:500 (6,7) - "
    assert finding.link == "osu://edit/00:03:500%20(6,7)"


def test_stacking_can_push_an_object_offscreen() -> None:
    # Five circles on one spot near the top-left corner, a quarter beat apart: osu! stacks them up and left.
    corner = [f"-20,-14,{9000 + i * 125},1,0,0:0:0:0:" for i in range(5)]
    stacked = with_objects(add=corner, version="Expert")
    findings = flagged(stacked, "compose.offscreen")
    assert [f.start_ms for f in findings] == [9000, 9125]
    single = with_objects(add=corner[:1], version="Expert")
    assert not flagged(single, "compose.offscreen")
