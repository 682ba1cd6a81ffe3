"""`maid mod`: findings as JSON or grouped text, and clear errors for a missing song or checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daemon.cli import app

DEMO = Path(__file__).resolve().parents[2] / "engine" / "demo" / "mapset"
NORMAL = DEMO / "maid - Demo Song (maid) [Normal].osu"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MAID_HOME", str(tmp_path / "maid-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return CliRunner()


def test_mod_json_lists_maimod_findings(runner: CliRunner, golden_dir: Path) -> None:
    result = runner.invoke(app, ["mod", str(NORMAL), "--model", str(golden_dir / "tiny-v30"), "--json",
                                 "--threshold", "5", "--per-category", "2"])
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)
    assert findings and all(f["source"] == "maimod" and f["link"].startswith("osu://edit/") for f in findings)
    per_category: dict[str, int] = {}
    for f in findings:
        per_category[f["category"]] = per_category.get(f["category"], 0) + 1
    assert max(per_category.values()) <= 2
    assert [f["score"] for f in findings] == sorted((f["score"] for f in findings), reverse=True)


def test_mod_prints_grouped_findings(runner: CliRunner, golden_dir: Path) -> None:
    result = runner.invoke(app, ["mod", str(NORMAL), "--model", str(golden_dir / "tiny-v30"), "--threshold", "5"])
    assert result.exit_code == 0, result.output
    assert "Consider" in result.output and NORMAL.name[:20] in result.output


def test_mod_says_how_to_get_the_default_model(runner: CliRunner) -> None:
    result = runner.invoke(app, ["mod", str(NORMAL)])
    assert result.exit_code == 2
    assert "maid model pull" in result.output and "Mapperatorinator-v30" in result.output


def test_mod_names_a_missing_song(runner: CliRunner, tmp_path: Path) -> None:
    lonely = tmp_path / NORMAL.name
    lonely.write_bytes(NORMAL.read_bytes())
    result = runner.invoke(app, ["mod", str(lonely)])
    assert result.exit_code == 2
    assert "audio.ogg" in result.output and "--audio" in result.output
