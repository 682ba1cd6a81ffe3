"""engine.bookmarks on the corpus: adding findings' times changes only the Bookmarks line (and a missing
[Editor] it creates), restoring gives the original bytes back, the mapper's own bookmarks survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bookmarks import BookmarkState, add_bookmarks, parse_bookmarks, remove_bookmarks
from engine.findings import Finding, Severity
from engine.osu import OsuFormatError, parse_beatmap, set_value
from engine.osu.lines import dominant_terminator, terminator
from tests.conftest import corpus_files

FILES = corpus_files()


def findings_at(*times: float | None) -> list[Finding]:
    return [Finding(check="test", severity=Severity.WARNING, category="Test", message=f"at {t}", start_ms=t)
            for t in times]


def changed_lines(a: list[bytes], b: list[bytes]) -> list[bytes]:
    """The lines between the common first and last lines of two versions (with their terminators): all that
    differs when one run of lines changed."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return a[head:len(a) - tail] + b[head:len(b) - tail]


@pytest.mark.skipif(not FILES, reason="the .osu corpus (../shared) is absent")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_add_changes_only_the_bookmarks_line_and_restore_is_byte_identical(path: Path) -> None:
    data = path.read_bytes()
    try:
        beatmap = parse_beatmap(data, str(path))
    except OsuFormatError:
        pytest.skip("osu! cannot load this file either; maid never bookmarks it")
    own = parse_bookmarks(beatmap.value("Editor", "Bookmarks"))
    had_editor = bool(beatmap.sections_named("Editor"))

    edited, state = add_bookmarks(beatmap, findings_at(1000.4, 2500, 1000, None, *own[:1]))
    expected = sorted(set(own) | {1000, 2500})
    assert parse_bookmarks(edited.value("Editor", "Bookmarks")) == expected
    assert edited.line_text(next(i for i, k, _ in edited.key_values("Editor") if k == "Bookmarks")) \
        .endswith(",".join(map(str, expected)))
    assert state.added == tuple(sorted({1000, 2500} - set(own)))
    changes = changed_lines(beatmap.lines, edited.lines)
    allowed = {b"[Editor]", b""} if not had_editor else set()
    assert all(line.strip().startswith(b"Bookmarks:") or line.strip() in allowed for line in changes), changes
    # The file's line terminator is kept on the new or changed line.
    end = dominant_terminator(beatmap.lines)
    assert all(terminator(line) in (end, b"") for line in changes)

    assert remove_bookmarks(edited, state).to_bytes() == data
    # A state that went through the JSON sidecar restores the same.
    assert remove_bookmarks(edited, BookmarkState.from_json(state.to_json())).to_bytes() == data


def corpus_map(kind: str) -> Path:
    for path in FILES:
        try:
            beatmap = parse_beatmap(path.read_bytes(), str(path))
        except OsuFormatError:
            continue
        editor = bool(beatmap.sections_named("Editor"))
        marks = beatmap.value("Editor", "Bookmarks") is not None
        if (kind == "no editor" and not editor and beatmap.sections_named("Metadata")) \
                or (kind == "editor without bookmarks" and editor and not marks) or (kind == "bookmarks" and marks):
            return path
    pytest.skip(f"no corpus map with {kind} (../shared absent?)")


def test_a_new_bookmarks_line_goes_first_in_editor_as_stable_writes_it() -> None:
    path = corpus_map("editor without bookmarks")
    beatmap = parse_beatmap(path.read_bytes(), str(path))
    edited, _ = add_bookmarks(beatmap, findings_at(500))
    header = edited.sections_named("Editor")[0].header
    assert header is not None
    assert edited.line_text(header + 1) == "Bookmarks: 500"


def test_a_missing_editor_section_is_created_before_metadata_and_removed_again() -> None:
    path = corpus_map("no editor")
    data = path.read_bytes()
    edited, state = add_bookmarks(parse_beatmap(data, str(path)), findings_at(750, 250))
    names = [section.name for section in edited.sections if section.header is not None]
    assert names.index("Editor") + 1 == names.index("Metadata") or names.index("Editor") < names.index("Metadata")
    assert edited.value("Editor", "Bookmarks") == "250,750"
    assert not state.had_editor and state.original is None
    assert remove_bookmarks(edited, state).to_bytes() == data


@pytest.mark.parametrize("cut", ["after [General]", "after the [Editor] header"])
def test_restore_keeps_a_file_ending_without_a_final_newline(cut: str) -> None:
    path = corpus_map("editor without bookmarks")
    beatmap = parse_beatmap(path.read_bytes(), str(path))
    section = beatmap.sections_named("General" if cut == "after [General]" else "Editor")[0]
    end = section.end if cut == "after [General]" else section.header + 1  # type: ignore[operator]
    data = b"".join(beatmap.lines[:end]).rstrip(b"\r\n")  # the map, cut there, without a final newline
    edited, state = add_bookmarks(parse_beatmap(data, str(path)), findings_at(500))
    assert edited.to_bytes().endswith(b"\nBookmarks: 500")
    assert remove_bookmarks(edited, state).to_bytes() == data


def test_new_findings_replace_maids_old_bookmarks_and_keep_the_mappers() -> None:
    path = corpus_map("bookmarks")
    data = path.read_bytes()
    beatmap = parse_beatmap(data, str(path))
    own = parse_bookmarks(beatmap.value("Editor", "Bookmarks"))
    first, state = add_bookmarks(beatmap, findings_at(11, 22))
    second, state = add_bookmarks(first, findings_at(33), state)
    assert parse_bookmarks(second.value("Editor", "Bookmarks")) == sorted(set(own) | {33})
    assert remove_bookmarks(second, state).to_bytes() == data
    # No findings left: the mapper's bookmarks only, exactly as written.
    cleared, state = add_bookmarks(second, [], state)
    assert cleared.to_bytes() == data and state.added == ()


def test_bookmarks_the_mapper_added_meanwhile_are_kept_on_restore() -> None:
    path = corpus_map("bookmarks")
    beatmap = parse_beatmap(path.read_bytes(), str(path))
    own = parse_bookmarks(beatmap.value("Editor", "Bookmarks"))
    edited, state = add_bookmarks(beatmap, findings_at(11))
    # The mapper bookmarks 77 in the editor and saves: stable writes every bookmark it shows.
    saved = set_value(edited, "Editor", "Bookmarks", ",".join(map(str, sorted({*own, 11, 77}))))
    restored = remove_bookmarks(saved, state)
    assert parse_bookmarks(restored.value("Editor", "Bookmarks")) == sorted({*own, 77})
