"""osu! spacing and slider-shape checks: each flags a map made with the issue and not the same map without it."""

from __future__ import annotations

import pytest

from tests.checks.maps import assert_flags_issue_only, base_map, flagged, with_objects

QUARTER = 125  # ms: 1/4 beat at the test maps' 120 BPM


def stream(count: int = 96, jump_at: int | None = None, jump_px: int = 300) -> list[str]:
    """Circles every 1/4 beat going back and forth 40 px apart; the one at `jump_at` and those after it `jump_px`
    further right."""
    lines = []
    for i in range(count):
        x = 100 + (40 if i % 2 else 0) + (jump_px if jump_at is not None and i >= jump_at else 0)
        lines.append(f"{x},192,{1000 + i * QUARTER},{5 if i % 8 == 0 else 1},0,0:0:0:0:")
    return lines


CASES: dict[str, tuple[str, str]] = {
    "compose.abnormal-spacing": (base_map(hit_objects=stream(jump_at=40), version="Insane"),
                                 base_map(hit_objects=stream(), version="Insane")),
    # 200 px out to a red anchor and back 2 px beside the way out, against a turn of 90°.
    "compose.burai-sliders": (with_objects({6: "100,100,4000,2,0,B|300:100|300:100|100:102,1,400"}),
                              with_objects({6: "100,100,4000,2,0,B|300:100|300:100|300:300,1,400"})),
    # Three sides of a square and back to 3 px from the head, against three sides only.
    "compose.ambiguous-sliders": (with_objects({6: "100,100,4000,2,0,L|250:100|250:250|100:250|100:103,1,597"}),
                                  with_objects({6: "100,100,4000,2,0,L|250:100|250:250|100:250,1,450"})),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_flags_the_issue_and_not_the_clean_map(check_id: str) -> None:
    assert_flags_issue_only(check_id, *CASES[check_id])


def test_abnormal_spacing_grades_the_ratio() -> None:
    [finding] = flagged(base_map(hit_objects=stream(jump_at=40), version="Insane"), "compose.abnormal-spacing")
    # 40 px at 1/4 before, then a 260 px jump (300 − 40): 6.5 times the ratio → Warning.
    assert finding.severity.name == "WARNING" and "6.5 times" in finding.message
    assert finding.start_ms == 1000 + 39 * QUARTER
    [minor] = flagged(base_map(hit_objects=stream(jump_at=40, jump_px=190), version="Insane"), "compose.abnormal-spacing")
    assert minor.severity.name == "MINOR"


@pytest.mark.parametrize("spike, apart, expected", [
    (200, 1, "The slider runs back over itself (burai score 7.6)"),
    (200, 2, "The slider runs back over itself (burai score 5.8)"),
    (200, 4, "The slider may run back over itself (burai score 3.2)"),
    (120, 2, "The slider may run back over itself (burai score 4.0)"),
    (60, 2, None),  # a short spike out and back reads as a small structure
])
def test_burai_score_grades_how_long_and_close_the_parts_run(spike: int, apart: int, expected: str | None) -> None:
    slider = f"100,100,4000,2,0,B|{100 + spike}:100|{100 + spike}:100|100:{100 + apart},1,{2 * spike}"
    found = flagged(with_objects({6: slider}), "compose.burai-sliders")
    assert [f.message.split(":")[0] for f in found] == ([expected] if expected else [])


def test_ambiguous_slider_names_the_head_on_a_red_anchor() -> None:
    found = flagged(with_objects({6: "100,100,4000,2,0,B|250:100|250:100|250:250|250:250|100:250|100:250|102:100|"
                                    "102:100|102:180,1,700"}), "compose.ambiguous-sliders")
    assert [f.message for f in found] == ["The slider's head lies on one of its red anchors: which way it goes is a guess."]
