"""apply_fixes on real maps: the fixed lines change, every other byte stays, each line keeps its own
terminator (CRLF and LF files, with and without a final newline or a BOM), and a fix whose line is gone or
reads otherwise is refused without writing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.checks import FixConflict, apply_fixes, run_checks
from engine.findings import Finding
from engine.osu import Beatmap, parse_beatmap
from engine.osu.edits import edit_lines
from engine.osu.lines import terminator

FIXABLE = {  # corpus map → what makes it worth fixing
    "menvae-RGC-Chart__Reol_-_Danshi_lZenxl_IMT_s_Oni__7dcdcbf6.osu": "CRLF with a BOM",
    "ppy-osu__241526_Soleily_-_Renatus_virtual--Soleily_-_Renatus_MMzz_Futsuu__a52da1bf.osu":
        "CRLF with a BOM and no final newline",
    "ppy-osu__1597806__31d399d7.osu": "LF",
    "ppy-osu__spinner-between-objects__2d0461ee.osu": "LF, no final newline, several fixes on one line",
}


def fixable(corpus_dir: Path, name: str) -> tuple[Beatmap, list[Finding]]:
    beatmap = parse_beatmap((corpus_dir / name).read_bytes(), name)
    findings = [finding for finding in run_checks(beatmap) if finding.fix is not None]
    assert findings, f"{name} no longer has fixable findings; pick another map"
    return beatmap, findings


@pytest.mark.parametrize("name", FIXABLE)
def test_fixes_change_only_their_lines_and_keep_every_terminator(corpus_dir: Path, name: str) -> None:
    beatmap, findings = fixable(corpus_dir, name)
    fixed = apply_fixes(beatmap, findings)
    edited = {edit.line - 1 for finding in findings for edit in finding.fix.edits}  # type: ignore[union-attr]
    assert len(fixed.lines) == len(beatmap.lines) and fixed.bom == beatmap.bom
    changed = {index for index, (old, new) in enumerate(zip(beatmap.lines, fixed.lines)) if old != new}
    assert changed == edited
    assert all(terminator(fixed.lines[i]) == terminator(beatmap.lines[i]) for i in changed)
    assert [fixed.lines[i] for i in range(len(fixed.lines)) if i not in changed] == \
           [beatmap.lines[i] for i in range(len(beatmap.lines)) if i not in changed]
    assert fixed.to_bytes().startswith(b"\xef\xbb\xbf") == beatmap.to_bytes().startswith(b"\xef\xbb\xbf")
    refixed = {edit.line - 1 for finding in run_checks(fixed) if finding.fix for edit in finding.fix.edits}
    assert not refixed & edited  # the fixed lines need no fix any more


def test_several_fixes_of_one_line_are_applied_field_by_field(corpus_dir: Path) -> None:
    beatmap, findings = fixable(corpus_dir, "ppy-osu__spinner-between-objects__2d0461ee.osu")
    by_line: dict[int, list[Finding]] = {}
    for finding in findings:
        for edit in finding.fix.edits:  # type: ignore[union-attr]
            by_line.setdefault(edit.line, []).append(finding)
    line, shared = next((line, found) for line, found in by_line.items() if len(found) > 1)
    fixed = apply_fixes(beatmap, shared)
    one_by_one = beatmap
    for finding in shared:
        one_by_one = apply_fixes(one_by_one, [finding])
    assert fixed.to_bytes() == one_by_one.to_bytes()
    assert all(fixed.line_text(line - 1) != finding.fix.edits[0].new for finding in shared)  # type: ignore[union-attr]


def test_a_fix_whose_line_changed_or_is_gone_is_refused(corpus_dir: Path) -> None:
    name = "ppy-osu__1597806__31d399d7.osu"
    beatmap, findings = fixable(corpus_dir, name)
    line = findings[0].fix.edits[0].line  # type: ignore[union-attr]
    saved_meanwhile = edit_lines(beatmap, replaced={line - 1: "64,64,1,1,0,0:0:0:0:"})
    with pytest.raises(FixConflict, match=f"line {line} changed since it was checked"):
        apply_fixes(saved_meanwhile, findings)
    truncated = edit_lines(beatmap, removed=range(line - 1, len(beatmap.lines)))
    with pytest.raises(FixConflict, match=f"line {line} changed since it was checked.*found None"):
        apply_fixes(truncated, findings)
