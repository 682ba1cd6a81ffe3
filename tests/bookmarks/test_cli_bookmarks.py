"""`maid bookmarks FILE [--clear]` on a copy of a corpus map: the rule checks' findings become bookmarks
through the write-back (a backup of the original), and --clear gives back the original bytes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daemon.cli import app
from daemon.automod import rule_checks
from engine.bookmarks import finding_times, parse_bookmarks
from engine.osu import parse_beatmap
from tests.conftest import corpus_files


def a_map_with_findings_at_moments(tmp_path: Path) -> Path:
    for source in corpus_files():
        if source.stat().st_size > 100_000 or b"[Editor]" not in source.read_bytes() or b"\r\n" not in source.read_bytes():
            continue
        folder = tmp_path / "Songs" / "set"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / source.name
        shutil.copyfile(source, target)
        if finding_times(rule_checks(target, target.read_bytes())):
            return target
        target.unlink()
    pytest.skip("no CRLF corpus map with timed rule-check findings (../shared absent?)")


def test_bookmarks_written_with_a_backup_and_cleared_back_to_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAID_HOME", str(tmp_path / "maid-home"))
    path = a_map_with_findings_at_moments(tmp_path)
    original = path.read_bytes()
    own = parse_bookmarks(parse_beatmap(original).value("Editor", "Bookmarks"))
    expected = sorted(set(finding_times(rule_checks(path, original))) - set(own))

    runner = CliRunner()
    result = runner.invoke(app, ["bookmarks", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["bookmarks_added"] == expected and report["changed"]
    assert Path(report["backup"]).read_bytes() == original
    written = parse_beatmap(path.read_bytes())
    assert parse_bookmarks(written.value("Editor", "Bookmarks")) == sorted({*own, *expected})
    assert b"Bookmarks: " in path.read_bytes() and path.read_bytes().count(b"\n") - original.count(b"\n") in (0, 1)
    assert path.read_bytes().count(b"\r\n") == path.read_bytes().count(b"\n")  # CRLF kept

    result = runner.invoke(app, ["bookmarks", str(path), "--clear", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["bookmarks_added"] == []
    assert path.read_bytes() == original
