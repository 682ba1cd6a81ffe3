"""Test maps for the checks: a small valid osu! difficulty that no check flags, and helpers to break it one way at a time.

`base_map()` builds the text: 120 BPM from 1000 ms, a circle or slider on every beat for 40 s around a break with a
whistle on every other object, a kiai section, combo colours, full metadata. Tests derive a map with one
issue from it (`replace`, `with_objects`, …) and check that the one check flags it and not the base.
"""

from __future__ import annotations

from pathlib import Path

from engine.checks import run_checks
from engine.findings import Finding
from engine.osu.document import Beatmap, parse_beatmap

BEAT = 500.0
OFFSET = 1000
BREAK = (30700, 34200)


def objects(count: int = 80, start: int = OFFSET) -> list[str]:
    """A circle or slider on every beat: sliders on every 4th beat (half a beat long), whistles alternating."""
    lines = []
    positions = [(128, 96), (256, 96), (384, 96), (384, 288), (256, 288), (128, 288)]
    for i in range(count):
        time = start + i * int(BEAT)
        if BREAK[0] - 200 < time < BREAK[1] + 1000:
            continue
        x, y = positions[i % len(positions)]
        kind = 1 | (4 if i % 8 == 0 else 0)
        sound = 2 if i % 2 == 0 else 0
        if i % 4 == 2:
            # 70 px at SV 1.4 ×100 px/beat = half a beat
            lines.append(f"{x},{y},{time},{kind + 1},{sound},L|{x + 70}:{y},1,70,{sound}|0,0:0|0:0,0:0:0:0:")
        else:
            lines.append(f"{x},{y},{time},{kind},{sound},0:0:0:0:")
    return lines


def evenly_spaced(count: int = 80, shift: dict[int, int] | None = None) -> list[str]:
    """Circles on the beats of `objects()` (same whistles, same break) going back and forth 100 px apart; the
    circle at index i moved `shift[i]` px down."""
    lines = []
    for i in range(count):
        time = OFFSET + i * int(BEAT)
        if BREAK[0] - 200 < time < BREAK[1] + 1000:
            continue
        y = 192 + (shift or {}).get(i, 0)
        lines.append(f"{206 if i % 2 else 306},{y},{time},{5 if i % 8 == 0 else 1},{0 if i % 2 else 2},0:0:0:0:")
    return lines


def base_map(*, mode: int = 0, version: str = "Hard", hit_objects: list[str] | None = None,
             timing: list[str] | None = None, events: list[str] | None = None, extra_general: str = "",
             difficulty: str = "HPDrainRate:5\nCircleSize:4\nOverallDifficulty:6\nApproachRate:7",
             metadata: str = "", colours: str | None = None) -> str:
    timing = timing if timing is not None else [f"{OFFSET},500,4,2,0,60,1,0", "17000,-100,4,2,0,60,0,1",
                                                "25000,-100,4,2,0,60,0,0"]
    events = events if events is not None else ['0,0,"bg.jpg",0,0', f"2,{BREAK[0]},{BREAK[1]}"]
    hit_objects = hit_objects if hit_objects is not None else objects()
    colours = colours if colours is not None else "Combo1 : 255,128,64\nCombo2 : 64,160,255\nCombo3 : 120,220,120"
    meta = metadata or ("Title:Test Song\nTitleUnicode:Test Song\nArtist:Test Artist\nArtistUnicode:Test Artist\n"
                        "Creator:maid\nSource:\nTags:electronic english instrumental\nBeatmapID:0\nBeatmapSetID:-1")
    return (
        "osu file format v14\n\n[General]\nAudioFilename: audio.mp3\nAudioLeadIn: 0\nPreviewTime: 17000\n"
        f"Countdown: 0\nSampleSet: Soft\nStackLeniency: 0.7\nMode: {mode}\nLetterboxInBreaks: 0\n{extra_general}"
        "WidescreenStoryboard: 1\n\n[Editor]\nDistanceSpacing: 1\nBeatDivisor: 4\nGridSize: 8\n\n"
        f"[Metadata]\n{meta}\nVersion:{version}\n\n"
        f"[Difficulty]\n{difficulty}\nSliderMultiplier:1.4\nSliderTickRate:1\n\n"
        "[Events]\n//Background and Video events\n" + "\n".join(events) + "\n\n"
        "[TimingPoints]\n" + "\n".join(timing) + "\n\n"
        f"[Colours]\n{colours}\n\n"
        "[HitObjects]\n" + "\n".join(hit_objects) + "\n"
    )


def parse(text: str, name: str = "Test Artist - Test Song (maid) [Hard].osu") -> Beatmap:
    return parse_beatmap(text.encode("utf-8"), name)


def flagged(target: str | Beatmap | list[Beatmap], check_id: str, folder: Path | None = None) -> list[Finding]:
    """Findings of one check on a map text, a Beatmap, or the difficulties of a mapset."""
    beatmap = parse(target) if isinstance(target, str) else target
    findings = run_checks(beatmap, folder=folder, only=[check_id])
    errors = [f for f in findings if f.severity.name == "ERROR"]
    assert not errors, errors
    return findings


def write_mapset(folder: Path, texts: dict[str, str], files: dict[str, bytes] | None = None) -> Path:
    """Write difficulties (name → text) and other files into a mapset folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def with_objects(replace: dict[int, str] | None = None, add: list[str] | None = None, count: int = 80,
                 drop: tuple[int, ...] = (), **kwargs: object) -> str:
    """The base map with some object lines replaced (by index), some dropped and others added."""
    lines = objects(count)
    for index, line in (replace or {}).items():
        lines[index] = line
    lines = [line for index, line in enumerate(lines) if index not in drop]
    lines += add or []
    lines.sort(key=lambda line: int(line.split(",")[2]))
    return base_map(hit_objects=lines, **kwargs)  # type: ignore[arg-type]


def assert_flags_issue_only(check_id: str, bad: str, good: str) -> None:
    """The check flags the map with the issue and not the same kind of map without it."""
    assert flagged(bad, check_id), f"{check_id} missed its issue"
    assert not flagged(good, check_id), f"{check_id} flags the clean map"
