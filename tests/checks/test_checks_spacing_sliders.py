"""osu! spacing and slider-shape checks: each flags a map made with the issue and not the same map without it."""

from __future__ import annotations

import pytest

from tests.checks.maps import assert_flags_issue_only, base_map, flagged

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
