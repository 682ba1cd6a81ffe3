"""Hit-sound and [Events] checks: each flags a map made with the issue and not the same map without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.maps import assert_flags_issue_only, BREAK, base_map, flagged, objects, with_objects

BASE = base_map()
RED = "1000,500,4,2,0,60,1,0"
EVENTS = ['0,0,"bg.jpg",0,0', f"2,{BREAK[0]},{BREAK[1]}"]


def silent(lines: list[str]) -> list[str]:
    """The same objects without any hit sound additions."""
    out = []
    for line in lines:
        parts = line.split(",")
        parts[4] = "0"
        if len(parts) > 8:
            parts[8] = "0|0"
        out.append(",".join(parts))
    return out


def mania(notes: list[str]) -> str:
    return base_map(mode=3, hit_objects=notes, difficulty="HPDrainRate:7\nCircleSize:4\nOverallDifficulty:7\n"
                                                        "ApproachRate:5")


CASES: dict[str, tuple[str, str]] = {
    "hitsounds.low-volume": (base_map(timing=[RED, "9000,-100,4,2,0,8,0,0", "17000,-100,4,2,0,60,0,1",
                                              "25000,-100,4,2,0,60,0,0"]), BASE),
    "hitsounds.long-without-hitsounds": (base_map(hit_objects=silent(objects())), BASE),
    "hitsounds.storyboarded-samples": (base_map(events=EVENTS + ['Sample,5000,0,"soft-hitclap.wav",70']), BASE),
    "hitsounds.stacked-samples": (mania(["64,192,1000,1,2,0:0:0:0:", "192,192,1000,1,2,0:0:0:0:"]),
                                  mania(["64,192,1000,1,2,0:0:0:0:", "192,192,1000,1,0,0:0:0:0:"])),
    "events.break-placement": (base_map(events=['0,0,"bg.jpg",0,0', f"2,{BREAK[0] - 100},{BREAK[1]}"]), BASE),
    "events.short-breaks": (base_map(events=EVENTS + ["2,20000,20300"]), BASE),
    "events.unsnapped-kiai": (base_map(timing=[RED, "17006,-100,4,2,0,60,0,1", "25000,-100,4,2,0,60,0,0"]), BASE),
    "events.preview-time": (BASE.replace("PreviewTime: 17000", "PreviewTime: -1"), BASE),
    "events.background": (base_map(events=[f"2,{BREAK[0]},{BREAK[1]}"]), BASE),
    "events.video": (base_map(events=EVENTS + ['Video,0,"../video.mp4"']), base_map(events=EVENTS + ['Video,0,"video.mp4"'])),
    "events.overlay-layer": (base_map(events=EVENTS + ['Sprite,Overlay,Centre,"sb/x.png",320,240']),
                             base_map(events=EVENTS + ['Sprite,Foreground,Centre,"sb/x.png",320,240'])),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_flags_the_issue_and_not_the_clean_map(check_id: str) -> None:
    assert_flags_issue_only(check_id, *CASES[check_id])


def test_long_stretch_without_hitsounds_is_found_between_hitsounds() -> None:
    lines = objects()
    quiet = silent(lines[4:60])
    [finding] = flagged(base_map(hit_objects=lines[:4] + quiet + lines[60:]), "hitsounds.long-without-hitsounds")
    assert finding.start_ms == 2000 and "objects without a hit sound change" in finding.message


def test_missing_sample_files_need_the_folder(tmp_path: Path) -> None:
    text = with_objects({5: "128,288,3500,1,0,0:0:0:0:kick.wav"})
    assert not flagged(text, "hitsounds.missing-samples")
    findings = flagged(text, "hitsounds.missing-samples", folder=tmp_path)
    assert [f.message for f in findings] == ["The sample file 'kick.wav' is not in the mapset folder."]
    (tmp_path / "kick.wav").write_bytes(b"RIFF")
    assert not flagged(text, "hitsounds.missing-samples", folder=tmp_path)


def test_custom_index_without_samples_warns_once(tmp_path: Path) -> None:
    text = base_map(timing=["1000,500,4,2,2,60,1,0", "17000,-100,4,2,2,60,0,1", "25000,-100,4,2,2,60,0,0"])
    [finding] = flagged(text, "hitsounds.missing-samples", folder=tmp_path)
    assert "index 2" in finding.message and finding.severity.name == "WARNING"
    (tmp_path / "soft-hitwhistle2.wav").write_bytes(b"RIFF")
    assert not flagged(text, "hitsounds.missing-samples", folder=tmp_path)


def test_missing_background_file_needs_the_folder(tmp_path: Path) -> None:
    assert not flagged(BASE, "events.background")
    [finding] = flagged(BASE, "events.background", folder=tmp_path)
    assert finding.message == "The background file 'bg.jpg' is missing." and finding.line is not None
    (tmp_path / "bg.jpg").write_bytes(b"\xff\xd8")
    assert not flagged(BASE, "events.background", folder=tmp_path)
