"""mania, taiko and catch checks: each flags a map made with the issue and not the same map without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.checks import apply_fixes
from engine.checks.catch import juice_stream
from engine.checks.context import DifficultyContext
from tests.checks.maps import assert_flags_issue_only, base_map, flagged, parse

RED = "1000,500,4,2,0,60,1,0"
BEAT = 500


def mania(notes: list[str], version: str = "Hard", keys: float = 4, hp: float = 7, od: float = 7,
          timing: list[str] | None = None) -> str:
    settings = f"HPDrainRate:{hp}\nCircleSize:{keys:g}\nOverallDifficulty:{od}\nApproachRate:5"
    return base_map(mode=3, version=version, hit_objects=notes, difficulty=settings, timing=timing, colours="")


def stairs(count: int = 200, keys: int = 4) -> list[str]:
    """One note per half beat cycling through the columns (x as the editor writes it)."""
    xs = [int((column + 0.5) * 512 / keys) for column in range(keys)]
    return [f"{xs[i % keys]},192,{1000 + i * 250},1,0,0:0:0:0:" for i in range(count)]


def taiko(notes: list[str], version: str = "Muzukashii", od: float = 5, hp: float = 7,
          timing: list[str] | None = None) -> str:
    settings = f"HPDrainRate:{hp}\nCircleSize:5\nOverallDifficulty:{od}\nApproachRate:5"
    return base_map(mode=1, version=version, hit_objects=notes, difficulty=settings, timing=timing, colours="")


def drums(times: list[int], finishers: tuple[int, ...] = ()) -> list[str]:
    return [f"256,192,{t},1,{4 if t in finishers else 0},0:0:0:0:" for t in times]


REGULAR = [1000 + i * BEAT for i in range(80)]


def catch(fruits: list[str], version: str = "Platter", cs: float = 4, timing: list[str] | None = None) -> str:
    settings = f"HPDrainRate:5\nCircleSize:{cs:g}\nOverallDifficulty:8\nApproachRate:8"
    return base_map(mode=2, version=version, hit_objects=fruits, difficulty=settings, timing=timing)


FAST = [RED, "1000,-16.6666666666667,4,2,0,60,0,0", "2000,-100,4,2,0,60,0,0"]  # SV ×6 for a second: 1.68 px/ms


def juice(length: int) -> list[str]:
    """A fast juice stream there and back from x = 50 (`length` px each way) at 1000 ms, then `zigzag(80)`."""
    return [f"50,192,1000,6,0,L|{50 + length}:192,2,{length}"] + zigzag(80)[4:]


def zigzag(width: int, gap: int = BEAT, count: int = 80, spinner: bool = True) -> list[str]:
    """Fruits alternating between two x positions `width` apart, a new combo every 8, optionally a spinner."""
    lines = [f"{256 + (width // 2 if i % 2 else -width // 2)},192,{1000 + i * gap},{5 if i % 8 == 0 else 1},0,0:0:0:0:"
             for i in range(count)]
    if spinner:
        end = 1000 + count * gap
        lines.append(f"256,192,{end + 500},12,0,{end + 2500},0:0:0:0:")
    return lines


CASES: dict[str, tuple[str, str]] = {
    "mania.key-count": (mania(stairs(keys=3), keys=3), mania(stairs())),
    "mania.column-overlap": (mania(stairs() + ["64,192,1010,1,0,0:0:0:0:"]), mania(stairs())),
    "mania.short-long-notes": (mania(stairs()[1:] + ["64,192,1000,128,0,1015:0:0:0:0:"]),
                               mania(stairs()[1:] + ["64,192,1000,128,0,1200:0:0:0:0:"])),
    "mania.column-usage": (mania([n for n in stairs() if not n.startswith("448,")]), mania(stairs())),
    "mania.chord-size": (mania(stairs() + ["192,192,1000,1,0,0:0:0:0:", "320,192,1000,1,0,0:0:0:0:",
                                           "448,192,1000,1,0,0:0:0:0:"]), mania(stairs())),
    "mania.hp-od": (mania(stairs(), version="Normal", od=8.5), mania(stairs(), version="Normal")),
    "mania.column-position": (mania(stairs()[1:] + ["100,192,1000,1,0,0:0:0:0:"]), mania(stairs())),
    "mania.unnormalised-sv": (mania(stairs(), timing=[RED, "30000,400,4,2,0,60,1,0"]),
                              mania(stairs(), timing=[RED, "30000,400,4,2,0,60,1,0", "30000,-125,4,2,0,60,0,0"])),
    "taiko.finishers": (taiko(drums(sorted(REGULAR + [6125]), finishers=(6125,))),
                        taiko(drums(REGULAR, finishers=(6000,)))),
    "taiko.smallest-snap": (taiko(drums(sorted(REGULAR + [1125])), version="Kantan", od=3, hp=9),
                            taiko(drums(REGULAR), version="Kantan", od=3, hp=9)),
    "taiko.spinner-readability": (taiko(drums(REGULAR[:20]) + ["256,192,10600,12,0,12000,0:0:0:0:"] + drums(REGULAR[24:])),
                                  taiko(drums(REGULAR[:20]) + ["256,192,11000,12,0,12000,0:0:0:0:"] + drums(REGULAR[24:]))),
    "taiko.pattern-lengths": (taiko(drums(sorted(REGULAR + [t + 125 for t in REGULAR[4:6]] + [t + 250 for t in REGULAR[4:6]]
                                                 + [t + 375 for t in REGULAR[4:5]]))),
                              taiko(drums(sorted(REGULAR + [t + 250 for t in REGULAR[::2]])))),
    "taiko.rest-moments": (taiko(drums(REGULAR)), taiko(drums([t for t in REGULAR if (t - 1000) % 8000 < 6000]))),
    "taiko.od-hp": (taiko(drums(REGULAR), od=8), taiko(drums(REGULAR))),
    "taiko.sv-changes": (taiko(drums(REGULAR), version="Futsuu", od=4, hp=8,
                               timing=[RED, "35000,-50,4,2,0,60,0,0"]),
                         taiko(drums(REGULAR), version="Futsuu", od=4, hp=8, timing=[RED])),
    "taiko.kiai-flashes": (taiko(drums(REGULAR), timing=[RED, "9000,-100,4,2,0,60,0,1", "9125,-100,4,2,0,60,0,0"]),
                           taiko(drums(REGULAR), timing=[RED, "9000,-100,4,2,0,60,0,1", "13000,-100,4,2,0,60,0,0"])),
    "taiko.close-barlines": (taiko(drums(REGULAR), timing=[RED, "9100,500,4,2,0,60,1,0"]),
                             taiko(drums(REGULAR), timing=[RED, "9100,500,4,2,0,60,1,8"])),
    "taiko.last-note-hiding-barline": (taiko(drums(REGULAR[:-1] + [40999])), taiko(drums(REGULAR[:-1] + [41000]))),
    "taiko.barline-unaffected-by-sv": (taiko(drums(REGULAR), timing=[RED, "9001,-50,4,2,0,60,0,0"]),
                                       taiko(drums(REGULAR), timing=[RED, "9000,-50,4,2,0,60,0,0"])),
    "catch.hyperdashes-on-lower-difficulties": (catch(zigzag(450, gap=250), version="Salad"),
                                                catch(zigzag(100), version="Salad")),
    "catch.hyperdash-snap": (catch(zigzag(300, gap=100, count=6) + zigzag(100)[6:]),
                             catch(zigzag(300, gap=250, count=6) + zigzag(100)[6:])),
    "catch.consecutive-hyperdashes": (catch(zigzag(450, gap=250)),
                                      catch(zigzag(450, gap=250, count=3) + zigzag(80)[6:])),
    "catch.edge-dashes": (catch(["30,192,1000,5,0,0:0:0:0:", "480,192,1400,1,0,0:0:0:0:"] + zigzag(80)[4:]),
                          catch(["100,192,1000,5,0,0:0:0:0:", "480,192,1400,1,0,0:0:0:0:"] + zigzag(80)[4:])),
    "catch.juice-stream-hyperdash": (catch(juice(300), timing=FAST), catch(juice(100), timing=FAST)),
    "catch.antiflow-after-hyperdash": (catch(["50,192,1000,5,0,0:0:0:0:", "400,192,1200,1,0,0:0:0:0:",
                                              "300,192,1600,1,0,0:0:0:0:"] + zigzag(80)[4:]),
                                       catch(["50,192,1000,5,0,0:0:0:0:", "400,192,1200,1,0,0:0:0:0:",
                                              "480,192,1600,1,0,0:0:0:0:"] + zigzag(80)[4:])),
    # Rain: two hyperdashes in a row, 250 and 375 ms long, against 250 ms each.
    "catch.mixed-hyperdash-snaps": (catch(zigzag(80)[:1] + ["480,192,1250,1,0,0:0:0:0:", "30,192,1500,1,0,0:0:0:0:",
                                                            "480,192,1875,1,0,0:0:0:0:"] + zigzag(80)[6:], version="Rain"),
                                    catch(zigzag(80)[:1] + ["480,192,1250,1,0,0:0:0:0:", "30,192,1500,1,0,0:0:0:0:",
                                                            "480,192,1750,1,0,0:0:0:0:"] + zigzag(80)[6:], version="Rain")),
    "catch.missing-spinner": (catch(zigzag(80, spinner=False)), catch(zigzag(80))),
    "catch.combo-length": (catch([line.replace(",5,0,", ",1,0,") for line in zigzag(80)]), catch(zigzag(80))),
    "catch.spinner-gap": (catch(zigzag(80)[:-1] + ["256,192,40550,12,0,43000,0:0:0:0:"]), catch(zigzag(80))),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_flags_the_issue_and_not_the_clean_map(check_id: str) -> None:
    assert_flags_issue_only(check_id, *CASES[check_id])


def test_mania_timestamps_use_time_and_column() -> None:
    [finding] = flagged(CASES["mania.column-overlap"][0], "mania.column-overlap")
    assert finding.timestamp == "00:01:000 (1000|0,1010|0) - "


def test_mania_column_position_fix_writes_the_editor_x() -> None:
    beatmap = parse(CASES["mania.column-position"][0])
    fixed = apply_fixes(beatmap, flagged(beatmap, "mania.column-position"))
    assert [o.x for o in fixed.hit_objects if o.time == 1000] == [64]
    assert not flagged(fixed, "mania.column-position")


def test_omitted_barlines_must_match_between_taiko_difficulties() -> None:
    plain = parse(taiko(drums(REGULAR), timing=[RED, "9000,500,4,2,0,60,1,0"]), "a.osu")
    omitted = parse(taiko(drums(REGULAR), version="Oni", timing=[RED, "9000,500,4,2,0,60,1,8"]), "b.osu")
    [finding] = flagged([plain, omitted], "mapset.inconsistent-barlines")
    assert finding.file == "b.osu" and finding.start_ms == 9000
    assert not flagged([plain, parse(taiko(drums(REGULAR), version="Oni", timing=[RED, "9000,500,4,2,0,60,1,0"]))],
                       "mapset.inconsistent-barlines")


def test_unsnapped_hold_note_end_is_resnapped_keeping_its_sample() -> None:
    beatmap = parse(mania(stairs()[1:] + ["64,192,1000,128,0,1254:0:0:0:0:"]))
    [finding] = [f for f in flagged(beatmap, "timing.unsnapped-objects") if "end" in f.message]
    assert finding.message == "Hold note end is unsnapped by +4.00 ms."
    fixed = apply_fixes(beatmap, [finding])
    assert "64,192,1000,128,0,1250:0:0:0:0:" in fixed.to_bytes().decode()


@pytest.mark.parametrize("timing, samples, expected", [
    (["1000,500,4,2,1,60,1,0"], ["soft-hitnormal.wav"], []),
    (["1000,500,4,2,1,60,1,0", "9000,-100,4,2,2,60,0,0"], ["soft-hitnormal.wav", "soft-hitnormal2.ogg"], []),
    (["1000,500,4,2,0,60,1,0"], ["soft-hitnormal.wav"], ["PROBLEM"]),  # index 0 plays the skin's
    (["1000,500,4,2,1,60,1,0", "9000,-100,4,1,1,60,0,0"], ["soft-hitnormal.wav"], ["PROBLEM"]),  # normal bank
    (["1000,500,4,2,1,60,1,0"], [], ["WARNING"]),
])
def test_mania_custom_hitnormal(tmp_path: Path, timing: list[str], samples: list[str], expected: list[str]) -> None:
    for name in ["bg.jpg", *samples]:
        (tmp_path / name).write_bytes(b"x")
    found = flagged(mania(stairs(), timing=timing), "mania.custom-hitnormal", folder=tmp_path)
    assert [f.severity.name for f in found] == expected


def test_juice_stream_parts_follow_lazer_placement() -> None:
    # 140 px per beat and tick rate 1: one droplet per span, half way, on the way there and back.
    ctx = DifficultyContext(parse(catch(["100,192,1000,6,0,L|380:192,2,280"])))
    parts = [(f.time, round(f.x), f.edge) for f in juice_stream(ctx, ctx.objects[0])]
    assert parts == [(1000, 100, "head"), (1500, 240, "droplet"), (2000, 380, "repeat"), (2500, 240, "droplet"),
                     (3000, 100, "tail")]


def test_hyperdash_from_a_droplet() -> None:
    # SV ×10 (2.8 px/ms) and tick rate 8: a droplet 175 px into each span; the 125 px on to the repeat is a hyperdash.
    text = catch(juice(300), timing=[RED, "1000,-10,4,2,0,60,0,0", "2000,-100,4,2,0,60,0,0"])
    found = flagged(text.replace("SliderTickRate:1", "SliderTickRate:8"), "catch.juice-stream-hyperdash")
    assert {f.message for f in found} == {"Hyperdash from a droplet.", "Hyperdash from a repeat."}


def bouncing_juice(spans: int) -> str:
    """Rain: a juice stream bouncing `spans` times across 350 px at SV ×10 (2.8 px/ms): 125 ms per span, no droplets,
    a basic-snapped hyperdash from the head and every repeat; then `zigzag(80)`."""
    return catch([f"50,192,1000,6,0,L|400:192,{spans},350"] + zigzag(80)[4:], version="Rain",
                 timing=[RED, "1000,-10,4,2,0,60,0,0", "2000,-100,4,2,0,60,0,0"])


def test_rain_allows_two_basic_snapped_hyperdashes_within_a_slider() -> None:
    [finding] = flagged(bouncing_juice(3), "catch.consecutive-hyperdashes")
    assert finding.message == ("Too many consecutive basic-snapped hyperdashes were used within a slider and should "
                               "be at most 2, currently 3.")
    assert finding.severity.name == "PROBLEM" and finding.start_ms == 1000
    assert not flagged(bouncing_juice(2), "catch.consecutive-hyperdashes")


def test_rain_chain_ending_on_a_juice_stream_is_not_within_the_slider() -> None:
    # Three 250 ms hyperdashes between fruits, the last landing on a slow juice stream's head: the Rain limit of 4.
    fruits = ["30,192,1000,5,0,0:0:0:0:", "480,192,1250,1,0,0:0:0:0:", "30,192,1500,1,0,0:0:0:0:",
              "480,192,1750,6,0,L|400:192,1,80"]
    assert not flagged(catch(fruits + zigzag(80)[6:], version="Rain"), "catch.consecutive-hyperdashes")
    # The same three hyperdashes on a Platter break its limit of 2.
    [finding] = flagged(catch(fruits + zigzag(80)[6:]), "catch.consecutive-hyperdashes")
    assert finding.message.endswith("should be at most 2, currently 3.")
