"""`maid check` and `maid fix` on a made-up mapset: grouped output, JSON, exit status, fixes written safely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daemon.cli import app
from tests.checks.maps import base_map, with_objects, write_mapset

NAME = "Test Artist - Test Song (maid) [Hard].osu"
UNSNAPPED = with_objects({5: "128,288,3507,1,0,0:0:0:0:"})


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MAID_HOME", str(tmp_path / "maid-home"))
    return CliRunner()


def test_check_prints_pasteable_timestamps_and_exits_1_on_problems(runner: CliRunner, tmp_path: Path) -> None:
    folder = write_mapset(tmp_path / "set", {NAME: UNSNAPPED})
    result = runner.invoke(app, ["check", str(folder / NAME)])
    assert result.exit_code == 1
    assert "00:03:507 (6) - Circle is unsnapped by +7.00 ms." in result.output
    assert "Timing" in result.output


def test_check_json_lists_findings(runner: CliRunner, tmp_path: Path) -> None:
    folder = write_mapset(tmp_path / "set", {NAME: UNSNAPPED})
    result = runner.invoke(app, ["check", str(folder / NAME), "--json", "--min-severity", "problem"])
    findings = json.loads(result.output)
    unsnapped = [f for f in findings if f["check"] == "timing.unsnapped-objects"]
    assert unsnapped[0]["timestamp"] == "00:03:507 (6) - " and unsnapped[0]["fix"] is not None
    assert all(f["severity"] in ("problem", "error") for f in findings)


def test_clean_map_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    folder = write_mapset(tmp_path / "set", {NAME: base_map()}, {"bg.jpg": b"\xff\xd8", "audio.mp3": b"ID3"})
    result = runner.invoke(app, ["check", str(folder / NAME)])
    assert result.exit_code == 0, result.output


def test_broken_file_is_a_finding_not_a_crash(runner: CliRunner, tmp_path: Path) -> None:
    folder = write_mapset(tmp_path / "set", {NAME: "osu file format vX\n"})
    result = runner.invoke(app, ["check", str(folder), "--json"])
    [finding] = json.loads(result.output)
    assert result.exit_code == 1 and finding["check"] == "files.unloadable" and finding["line"] == 1


def test_fix_writes_a_copy_and_never_overwrites(runner: CliRunner, tmp_path: Path) -> None:
    folder = write_mapset(tmp_path / "set", {NAME: UNSNAPPED})
    result = runner.invoke(app, ["fix", str(folder / NAME), "--category", "Timing"])
    assert result.exit_code == 0, result.output
    copy = folder / (NAME + ".fixed")
    assert "128,288,3500,1,0,0:0:0:0:" in copy.read_text() and (folder / NAME).read_text() == UNSNAPPED
    second = runner.invoke(app, ["fix", str(folder / NAME)])
    assert second.exit_code == 0 and (folder / (NAME + ".fixed-2")).exists()
    refused = runner.invoke(app, ["fix", str(folder / NAME), "--out", str(copy)])
    assert refused.exit_code == 2 and "never overwrites" in " ".join(refused.output.split())


def test_fix_one_finding_by_id(runner: CliRunner, tmp_path: Path) -> None:
    text = with_objects({5: "128,288,3507,1,0,0:0:0:0:", 9: "128,96,5503,1,0,0:0:0:0:"})
    folder = write_mapset(tmp_path / "set", {NAME: text})
    findings = json.loads(runner.invoke(app, ["check", str(folder / NAME), "--json"]).output)
    first = next(f for f in findings if f["check"] == "timing.unsnapped-objects")
    result = runner.invoke(app, ["fix", str(folder / NAME), "--finding", first["id"], "--out", str(tmp_path / "out.osu")])
    assert result.exit_code == 0, result.output
    fixed = (tmp_path / "out.osu").read_text()
    assert "128,288,3500,1" in fixed and "128,96,5503,1" in fixed


def test_fix_in_place_keeps_a_backup(runner: CliRunner, tmp_path: Path) -> None:
    folder = write_mapset(tmp_path / "set", {NAME: UNSNAPPED})
    result = runner.invoke(app, ["fix", str(folder / NAME), "--in-place", "--category", "timing"])
    assert result.exit_code == 0, result.output
    assert "128,288,3500,1,0,0:0:0:0:" in (folder / NAME).read_text()
    backups = [p for p in (tmp_path / "maid-home").rglob("*") if p.is_file() and p.name.endswith(NAME)]
    assert [p.read_text() for p in backups] == [UNSNAPPED]


def test_ids_from_a_songs_folder_check_fix_the_file(runner: CliRunner, tmp_path: Path) -> None:
    folder = write_mapset(tmp_path / "Songs" / "1 Test Artist - Test Song", {NAME: UNSNAPPED})
    findings = json.loads(runner.invoke(app, ["check", str(tmp_path / "Songs"), "--json"]).output)
    unsnapped = next(f for f in findings if f["check"] == "timing.unsnapped-objects")
    assert unsnapped["file"] == f"1 Test Artist - Test Song/{NAME}"
    result = runner.invoke(app, ["fix", str(folder / NAME), "--finding", unsnapped["id"]])
    assert result.exit_code == 0, result.output


def test_checks_lists_every_registered_check(runner: CliRunner) -> None:
    from engine.checks import CHECKS

    rows = json.loads(runner.invoke(app, ["checks", "--json"]).output)
    assert [row["id"] for row in rows] == list(CHECKS)
    unsnapped = next(row for row in rows if row["id"] == "timing.unsnapped-objects")
    assert unsnapped["severity"] == "problem" and unsnapped["modes"] == ["osu", "taiko", "catch", "mania"]
    assert "2 ms" in unsnapped["description"]
