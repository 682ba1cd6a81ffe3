"""edit_lines, the line edit the other edits are made of: only the named lines change, each keeps its own
terminator, new lines take the file's, and indices that are not the document's are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.osu import Beatmap, OsuFormatError, parse_beatmap
from engine.osu.edits import edit_lines
from engine.osu.lines import terminator

CRLF_BOM = "Eddio0141-osu-file-parser__combo_blue__2902a73c.osu"
LF = "ppy-osu__1597806__31d399d7.osu"
CRLF_NO_FINAL_NEWLINE = "ppy-osu__241526_Soleily_-_Renatus_virtual--Soleily_-_Renatus_MMzz_Futsuu__a52da1bf.osu"
LF_NO_FINAL_NEWLINE = "ppy-osu__spinner-between-objects__2d0461ee.osu"
FILES = [CRLF_BOM, LF, CRLF_NO_FINAL_NEWLINE, LF_NO_FINAL_NEWLINE]


def load(corpus_dir: Path, name: str) -> Beatmap:
    return parse_beatmap((corpus_dir / name).read_bytes(), name)


def object_lines(beatmap: Beatmap) -> list[int]:
    return [obj.line for obj in beatmap.hit_objects if obj.line is not None]


@pytest.mark.parametrize("name", FILES)
def test_replaced_lines_keep_their_terminators_and_nothing_else_changes(corpus_dir: Path, name: str) -> None:
    beatmap = load(corpus_dir, name)
    chosen = object_lines(beatmap)[::7] + [len(beatmap.lines) - 1]  # the last line too (terminator or none)
    edited = edit_lines(beatmap, replaced={index: f"edited {index}" for index in chosen})
    assert len(edited.lines) == len(beatmap.lines) and edited.bom == beatmap.bom
    for index, (old, new) in enumerate(zip(beatmap.lines, edited.lines)):
        if index in chosen:
            assert new == f"edited {index}".encode() + terminator(old)
        else:
            assert new == old
    assert edited.to_bytes().endswith(b"\n") == beatmap.to_bytes().endswith(b"\n")


@pytest.mark.parametrize("name", FILES)
def test_removing_and_inserting_touch_no_neighbour(corpus_dir: Path, name: str) -> None:
    beatmap = load(corpus_dir, name)
    first, *_, last = object_lines(beatmap)
    end = b"\n" if terminator(beatmap.lines[0]) == b"\n" else b"\r\n"
    edited = edit_lines(beatmap, removed=[first], inserted={last: ["new a", "new b"]})
    assert edited.lines == [*beatmap.lines[:first], *beatmap.lines[first + 1:last], b"new a" + end, b"new b" + end,
                            *beatmap.lines[last:]]
    assert edit_lines(edited, removed=[last - 1, last]).to_bytes() == edit_lines(beatmap, removed=[first]).to_bytes()


@pytest.mark.parametrize("name", [CRLF_NO_FINAL_NEWLINE, LF_NO_FINAL_NEWLINE])
def test_a_file_without_a_final_newline_still_ends_without_one(corpus_dir: Path, name: str) -> None:
    beatmap = load(corpus_dir, name)
    count = len(beatmap.lines)
    appended = edit_lines(beatmap, inserted={count: ["256,192,999999,1,0,0:0:0:0:"]})
    assert appended.to_bytes().endswith(b"\n256,192,999999,1,0,0:0:0:0:")
    assert appended.lines[:count - 1] == beatmap.lines[:count - 1]
    assert edit_lines(appended, removed=[count]).to_bytes() == beatmap.to_bytes()


@pytest.mark.parametrize("edit, message", [
    ({"replaced": {"past": "x"}}, "cannot replace line index {count}: the document has {count} lines"),
    ({"replaced": {-1: "x"}}, "cannot replace line index -1"),
    ({"removed": ["past"]}, "cannot remove line index {count}"),
    ({"inserted": {"beyond": ["x"]}}, "cannot insert before line index {beyond}"),
    ({"replaced": {3: "x"}, "removed": [3]}, "line 4 is both replaced and removed"),
    ({"replaced": {3: "a\r\nb"}}, "a new text at line 4 contains a line break"),
    ({"inserted": {0: ["a\nb"]}}, "a new text at line 1 contains a line break"),
])
def test_bad_edits_are_refused_naming_the_file_and_line(corpus_dir: Path, edit: dict, message: str) -> None:
    beatmap = load(corpus_dir, LF)
    count = len(beatmap.lines)
    numbers = {"past": count, "beyond": count + 1}
    edit = {kind: ({numbers.get(k, k): v for k, v in value.items()} if isinstance(value, dict)
                   else [numbers.get(v, v) for v in value]) for kind, value in edit.items()}
    with pytest.raises(OsuFormatError, match=LF) as raised:
        edit_lines(beatmap, **edit)
    assert message.format(count=count, beyond=count + 1) in str(raised.value)
