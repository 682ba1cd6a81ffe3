"""`maid tokens`: the events and the window prompt a user sees are the reference's."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from daemon.cli.app import app


def test_tokens_json_matches_fixture(golden_dir: Path) -> None:
    case = json.loads((golden_dir / "tokens" / "v32" / "kimi_no_bouken.json").read_text())
    result = CliRunner().invoke(app, ["tokens", str(golden_dir / "tokens" / case["source_osu"]),
                                      "--model", str(golden_dir / "tiny-v32"), "--window", "5", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["contexts"] == {c["context_type"]: len(c["events"]) for c in case["contexts"]}
    assert out["windows"] == len(case["frame_times_ms"])
    window = next(w for w in case["windows"] if w["index"] == 5)
    assert out["frame_time_ms"] == window["frame_time_ms"]
    # From SOS on the prompt is the reference's; before it, the star rating is unknown without rosu-pp.
    sos = window["prompt_tokens"].index("SOS")
    assert out["prompt_tokens"][out["prompt_tokens"].index("SOS"):] == window["prompt_tokens"][sos:]


def test_tokens_errors_are_clear(golden_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["tokens", str(tmp_path / "none.osu"), "--model", str(golden_dir / "tiny-v30")])
    assert missing.exit_code == 2 and "none.osu" in missing.output
    taiko = golden_dir / "tokens" / "maps" / "taiko_inferno_muzukashii.osu"
    wrong_mode = runner.invoke(app, ["tokens", str(taiko), "--model", str(golden_dir / "tiny-v30")])
    assert wrong_mode.exit_code == 2 and "use --model v32" in wrong_mode.output
    too_far = runner.invoke(app, ["tokens", str(taiko), "--model", str(golden_dir / "tiny-v32"), "--window", "999"])
    assert too_far.exit_code == 2 and "--window 999: this map has 47 windows" in too_far.output
