"""`maid audio` and `maid demo` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from daemon.cli import app
from engine.audio import load_audio
from engine.demo import demo_mapset_folder

runner = CliRunner()


def test_audio_json_matches_the_golden_front_end(golden_dir: Path) -> None:
    frontend = json.loads((golden_dir / "audio" / "frontend.json").read_text())
    clip = golden_dir / "audio" / "clip_22k05_stereo.wav"
    result = runner.invoke(app, ["audio", "--json", str(clip)])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    expected = frontend["files"]["clip_22k05_stereo.wav"]
    assert (facts["sample_rate"], facts["channels"], facts["bits"], facts["decoder"]) == (22050, 2, 16, "soundfile")
    assert facts["model_samples"] == expected["loaded_waveform"]["shape"][0]
    assert facts["song_length_ms"] == expected["windows"]["v32"]["song_length_ms"]
    assert facts["windows"]["v32"]["frame_times_ms"] == expected["windows"]["v32"]["frame_times_ms"]
    assert facts["windows"]["v30/v31"]["stride_ms"] == expected["windows"]["v30"]["stride_samples"] / 16
    assert abs(facts["rms"] - float((load_audio(clip).astype("float64") ** 2).mean() ** 0.5)) < 1e-12


def test_audio_text_and_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audio", str(demo_mapset_folder() / "audio.ogg")])
    assert result.exit_code == 0, result.output
    assert "44100 Hz" in result.stdout and "v32: 14 windows" in result.stdout
    missing = tmp_path / "gone.mp3"
    result = runner.invoke(app, ["audio", str(missing)])
    assert result.exit_code == 2 and "not found" in result.output


def test_demo_copies_the_mapset_and_never_replaces_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--json", str(tmp_path)])
    assert result.exit_code == 0, result.output
    copied = Path(json.loads(result.stdout)["folder"])
    assert copied.parent == tmp_path
    originals = sorted(demo_mapset_folder().iterdir())
    assert [path.name for path in sorted(copied.iterdir())] == [path.name for path in originals]
    assert all((copied / path.name).read_bytes() == path.read_bytes() for path in originals)

    (copied / "notes.txt").write_text("mine")
    again = runner.invoke(app, ["demo", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert (copied / "notes.txt").read_text() == "mine"
    not_a_folder = runner.invoke(app, ["demo", str(tmp_path / "nowhere")])
    assert not_a_folder.exit_code == 2 and "not a folder" in not_a_folder.output
