"""`maid generate|remap|gd|hitsound|timing` on the tiny checkpoints and a copy of the demo mapset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daemon.cli import app
from daemon.cli.generate import parse_time
from engine.osu import parse_beatmap, read_beatmap
from tests.generate.conftest import DEMO_AUDIO

NORMAL = "maid - Demo Song (maid) [Normal].osu"
QUICK = ["--seed", "1", "-o", "max_new_tokens=16"]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MAID_HOME", str(tmp_path / "maid-home"))
    return CliRunner()


@pytest.fixture
def mapset(tmp_path: Path) -> Path:
    folder = tmp_path / "Demo"
    shutil.copytree(DEMO_AUDIO.parent, folder)
    return folder


def invoke(runner: CliRunner, *args: str) -> tuple[int, dict]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}


def test_times_read_like_the_editor_writes_them() -> None:
    assert parse_time("00:12:345") == 12345
    assert parse_time("01:02:003") == 62003
    assert parse_time("1:00:00:000") == 3600000
    assert parse_time("20000") == 20000


def test_a_missing_model_says_how_to_get_it(runner: CliRunner, mapset: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    result = runner.invoke(app, ["timing", str(mapset / "audio.ogg")])
    assert result.exit_code == 2
    assert "maid model pull OliBomby/Mapperatorinator-v30" in result.output


def test_remap_writes_beside_and_never_overwrites(runner: CliRunner, mapset: Path, golden_dir: Path) -> None:
    source = mapset / NORMAL
    before = source.read_bytes()
    code, out = invoke(runner, "remap", str(source), "--from", "00:04:000", "--to", "12000",
                       "--model", str(golden_dir / "tiny-v30"), *QUICK)  # fmt: skip
    assert code == 0 and out["task"] == "remap"
    assert source.read_bytes() == before
    if out["objects"]:
        assert out["file"].endswith("[Normal] (maid remap).osu") and Path(out["file"]).is_file()
    else:
        assert out["file"] is None and any("no objects" in n for n in out["notes"])


def test_hitsound_in_place_keeps_a_backup(runner: CliRunner, mapset: Path, golden_dir: Path, tmp_path) -> None:
    source = mapset / NORMAL
    before = source.read_bytes()
    code, out = invoke(runner, "hitsound", str(source), "--to", "00:08:000", "--in-place",
                       "--model", str(golden_dir / "tiny-v30"), *QUICK)  # fmt: skip
    assert code == 0 and out["objects"] > 0 and out["file"] == str(source.resolve())
    after = source.read_bytes()
    assert after != before and len(after.splitlines()) == len(before.splitlines())
    backups = [p for p in (tmp_path / "maid-home").rglob("*.osu")]
    assert any(p.read_bytes() == before for p in backups)
    assert [(o.time, o.x, o.y, o.type) for o in read_beatmap(source).hit_objects] == \
        [(o.time, o.x, o.y, o.type) for o in parse_beatmap(before).hit_objects]  # fmt: skip


def test_gd_and_timing_write_new_files_only(runner: CliRunner, mapset: Path, golden_dir: Path) -> None:
    existing = {p.name: p.read_bytes() for p in mapset.iterdir()}
    code, out = invoke(runner, "gd", str(mapset), "--model", str(golden_dir / "tiny-v30"), "-d", "3", *QUICK)
    if code == 0:
        assert Path(out["file"]).name not in existing and Path(out["file"]).is_file()
    else:  # the random model placed nothing: exit 1, nothing written
        assert code == 1 and out["file"] is None and any("no objects" in n for n in out["notes"])
    code, out = invoke(runner, "timing", str(mapset / "audio.ogg"), "--model", str(golden_dir / "tiny-v32"), *QUICK)
    assert code == 0 and Path(out["file"]).name == "Unknown Artist - audio (maid) [timing].osu"
    code, again = invoke(runner, "timing", str(mapset / "audio.ogg"), "--model", str(golden_dir / "tiny-v32"),
                         *QUICK)  # fmt: skip
    assert Path(again["file"]).name == "Unknown Artist - audio (maid) [timing] (2).osu"
    assert {name: (mapset / name).read_bytes() for name in existing} == existing


def test_bad_options_are_clear_errors(runner: CliRunner, mapset: Path, golden_dir: Path) -> None:
    result = runner.invoke(app, ["generate", str(mapset / "audio.ogg"), "--model", str(golden_dir / "tiny-v30"),
                                 "--mode", "3"])  # fmt: skip
    assert result.exit_code == 2 and "maps only gamemode 0" in result.output
    result = runner.invoke(app, ["generate", str(mapset / "audio.ogg"), "-o", "lookback=0.8"])
    assert result.exit_code == 2 and "lookback" in result.output
    result = runner.invoke(app, ["generate", str(mapset / "audio.ogg"), "-o", "nonsense=1"])
    assert result.exit_code == 2 and "GenerateOptions field" in result.output


def test_plain_output_names_the_file_exactly(runner: CliRunner, mapset: Path, golden_dir: Path) -> None:
    result = runner.invoke(app, ["timing", str(mapset / "audio.ogg"), "--model", str(golden_dir / "tiny-v32"),
                                 *QUICK])  # fmt: skip
    assert result.exit_code == 0
    assert "[timing].osu" in result.stdout.replace("\n", "") and "AI-generated" in result.stdout
