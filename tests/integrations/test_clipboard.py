"""Clipboard timestamps: the editor's formats parse, malformed ones say where they break, and selections
formatted from corpus maps (engine.findings' timestamp) resolve back to the same objects and time range."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.findings import Finding, Severity
from engine.osu import combos, end_time, mania_column, mania_key_count, read_beatmap
from engine.sliders import OsuPath, curve_kind
from integrations.clipboard import (
    MemoryClipboard,
    SelectionError,
    Timestamp,
    TimestampError,
    parse_timestamp,
    resolve_selection,
    selection_range,
)
from tests.conftest import corpus_files

VALID = [
    ("00:12:345 (1,2,3) - ", Timestamp(12345, (1, 2, 3))),  # stable/lazer Ctrl+C, osu!
    ("00:12:345 (1,2,3) - fix this", Timestamp(12345, (1, 2, 3))),  # with a modding comment
    ("01:00:000 (60000|0,60000|3,95000|6) - ", Timestamp(60000, (), ((60000, 0), (60000, 3), (95000, 6)))),  # mania (wiki)
    ("00:12:345 (12345|1,12400|2) - ", Timestamp(12345, (), ((12345, 1), (12400, 2)))),
    ("00:12:345 - ", Timestamp(12345)),  # nothing selected
    ("00:12:345", Timestamp(12345)),  # bare
    ("  00:12:345\n", Timestamp(12345)),
    ("00:12.345 (4)", Timestamp(12345, (4,))),  # '.' before the ms, as lazer's parser allows
    ("123:04:567 (1) - ", Timestamp(123 * 60000 + 4567, (1,))),  # minutes past 99
    ("-00:00:250 (1) - ", Timestamp(-250, (1,))),  # lazer writes negative times with '-'
    ("00:12:345 ( 1, 2 ) - ", Timestamp(12345, (1, 2))),
    ("osu://edit/00:12:345", Timestamp(12345)),
    ("osu://edit/00:12:345%20(1,2)", Timestamp(12345, (1, 2))),  # MaiMod's link
    ("osu://edit/01:02:003%20(62003|1,62100|0)", Timestamp(62003, (), ((62003, 1), (62100, 0)))),
]

MALFORMED = [
    ("", 1, "minutes"),
    ("hello", 1, "minutes"),
    ("00-12-345", 3, "':' after the minutes"),
    ("00:1:345", 4, "two-digit seconds"),
    ("00:123:456", 4, "two-digit seconds"),
    ("00:60:000", 4, "seconds from 00 to 59"),
    ("00:12:34", 7, "three-digit milliseconds"),
    ("00:12:3456", 7, "three-digit milliseconds"),
    ("00:12;345", 6, "':' (or '.')"),
    ("00:12:345 (1,2", 15, "',' or ')'"),
    ("00:12:345 (1,,2)", 14, "a combo number"),
    ("00:12:345 ()", 12, "a combo number"),
    ("00:12:345 (1,2|3)", 15, "do not mix"),
    ("00:12:345 (100|1,3)", 19, "do not mix"),
    ("00:12:345 (100|)", 16, "a column number"),
    ("00:12:345 x", 11, "' - ' or the end"),
    ("osu://edit/12:345", 4, "two-digit seconds"),  # the position counts in the link's timestamp
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_editor_timestamps_parse(text: str, expected: Timestamp) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(("text", "column", "expected"), MALFORMED)
def test_malformed_timestamps_say_what_was_expected_where(text: str, column: int, expected: str) -> None:
    with pytest.raises(TimestampError) as info:
        parse_timestamp(text)
    assert expected in info.value.expected
    assert info.value.position + 1 == column
    assert f"at character {column} of" in str(info.value) and "Ctrl+C" in str(info.value)


def _path_length(slider) -> float:  # noqa: ANN001
    points = [(slider.x, slider.y), *slider.control_points]
    return OsuPath(curve_kind(slider.curve_type, points), points).length


def _label(beatmap, obj, combo) -> str:  # noqa: ANN001
    """The editor's item for an object: its combo number, or `time|column` in mania."""
    if beatmap.mode == 3:
        return f"{int(round(obj.time))}|{mania_column(obj.x, mania_key_count(beatmap))}"
    return str(combo.number)


def _picks(count: int) -> list[list[int]]:
    """Selections (positions in time order): single objects, runs, gaps, at the start, middle and end."""
    picks = [[0], [count - 1], [count // 2, count // 2 + 1, count // 2 + 2], [count // 3, count // 3 + 2],
             list(range(max(0, count - 4), count))]  # fmt: skip
    return [kept for pick in picks if (kept := sorted({p for p in pick if p < count}))]


FILES = corpus_files()[::3]  # a third of the corpus, every mode


@pytest.mark.parametrize("path", FILES, ids=[p.name[:60] for p in FILES])
def test_a_formatted_selection_resolves_to_its_objects_and_range(corpus_dir: Path, path: Path) -> None:
    beatmap = read_beatmap(path)
    numbered = combos(beatmap)
    if not numbered:
        pytest.skip(f"{path.name}: no hit objects")
    index = {id(obj): i for i, obj in enumerate(beatmap.hit_objects)}
    checked = 0
    for pick in _picks(len(numbered)):
        chosen = [numbered[p] for p in pick]
        first = chosen[0][0]
        labels = [_label(beatmap, o, c) for o, c in numbered]
        if sum(1 for (o, _), label in zip(numbered, labels) if abs(o.time - first.time) <= 1 and label == labels[pick[0]]) > 1 or \
                any(labels[q] in labels[p + 1:q] for p, q in zip(pick, pick[1:])):  # fmt: skip
            continue  # the editor would label a skipped or a stacked object alike: the timestamp cannot tell them apart
        finding = Finding("test", Severity.INFO, "test", "x", start_ms=first.time,
                          selection=tuple(_label(beatmap, o, c) for o, c in chosen))  # fmt: skip
        for text in (finding.timestamp, finding.link):
            got = selection_range(beatmap, text)
            ends = [end_time(beatmap, o, _path_length) for o, _ in chosen]
            assert got.start_ms == pytest.approx(first.time)
            assert got.end_ms == pytest.approx(max(e if e is not None else o.time for e, (o, _) in zip(ends, chosen)))
            assert [beatmap.hit_objects[i].time for i in got.objects] == [o.time for o, _ in chosen]
            if len({o.time for o, _ in numbered}) == len(numbered):  # no stacked times: the very objects
                assert list(got.objects) == [index[id(o)] for o, _ in chosen]
            checked += 1
    assert checked


def test_a_selection_of_another_map_is_a_clear_error(corpus_dir: Path) -> None:
    osu_map = next(p for p in corpus_files() if read_beatmap(p).mode == 0 and len(read_beatmap(p).hit_objects) > 10)
    beatmap = read_beatmap(osu_map)
    numbered = combos(beatmap)
    obj, combo = numbered[5]
    with pytest.raises(SelectionError, match=f"no object with combo number {combo.number + 40}"):
        selection_range(beatmap, f"{Finding('t', Severity.INFO, 't', 'x', start_ms=obj.time).timestamp[:9]} ({combo.number + 40})")
    with pytest.raises(SelectionError, match="not an osu!mania map"):
        resolve_selection(beatmap, Timestamp(int(obj.time), (), ((int(obj.time), 0),)))
    with pytest.raises(SelectionError, match="at 1 ms"):
        resolve_selection(beatmap, Timestamp(1, (1,)))  # no object starts there


def test_a_bare_time_selects_nothing(corpus_dir: Path) -> None:
    beatmap = read_beatmap(corpus_files()[0])
    got = selection_range(beatmap, "00:01:000 - ")
    assert (got.start_ms, got.end_ms, got.objects) == (1000.0, 1000.0, ())


def test_memory_clipboard_round_trips() -> None:
    board = MemoryClipboard()
    board.set("00:12:345 (1) - ")
    assert board.get() == "00:12:345 (1) - "
