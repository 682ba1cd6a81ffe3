"""`maid info` and `maid roundtrip` on real corpus files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import rosu_pp_py
from typer.testing import CliRunner

from daemon.cli import app
from tests.osu.corpus import EXPECTED_FAILURES

runner = CliRunner()
MAP = "Eddio0141-osu-file-parser__combo_blue__2902a73c.osu"


def test_info_json_reports_what_rosu_reads(corpus_dir: Path) -> None:
    result = runner.invoke(app, ["info", "--json", str(corpus_dir / MAP)])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    theirs = rosu_pp_py.Beatmap(path=str(corpus_dir / MAP))
    assert facts["objects"]["total"] == theirs.n_objects
    assert (facts["objects"]["circles"], facts["objects"]["sliders"]) == (theirs.n_circles, theirs.n_sliders)
    assert facts["difficulty"]["OD"] == theirs.od and facts["difficulty"]["AR"] == theirs.ar
    assert facts["breaks"] == theirs.n_breaks
    assert facts["mode"] == "osu" and facts["version"] == 14
    assert facts["timing"]["bpm_min"] == facts["timing"]["bpm_max"]
    assert abs(facts["timing"]["bpm_max"] - theirs.bpm) < 1e-3  # rosu holds beat lengths less precisely
    assert 0 < facts["drain_ms"] < facts["length_ms"]


def test_info_table_and_errors(corpus_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", str(corpus_dir / MAP)])
    assert result.exit_code == 0 and "395" in result.stdout and "Sukisuki" in result.stdout
    empty = tmp_path / "empty.osu"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["info", str(empty)])
    assert result.exit_code == 2 and "empty" in result.output


def test_roundtrip_over_the_corpus_names_only_the_expected_failures(corpus_dir: Path) -> None:
    result = runner.invoke(app, ["roundtrip", str(corpus_dir)])
    lines = result.stdout.strip().splitlines()
    total = len(list(corpus_dir.glob("*.osu")))
    assert lines[-1] == f"{total} files, {total - len(EXPECTED_FAILURES)} identical, {len(EXPECTED_FAILURES)} failed"
    assert all(any(name in line for name in EXPECTED_FAILURES) for line in lines[:-1])
    assert result.exit_code == 1


def test_roundtrip_of_good_files_exits_zero(corpus_dir: Path, tmp_path: Path) -> None:
    nested = tmp_path / "set" / "deeper"
    nested.mkdir(parents=True)
    shutil.copy(corpus_dir / MAP, nested / "a.osu")
    result = runner.invoke(app, ["roundtrip", str(tmp_path), str(corpus_dir / MAP)])
    assert result.exit_code == 0 and result.stdout.strip().splitlines()[-1] == "2 files, 2 identical, 0 failed"


def test_info_prints_metadata_verbatim_even_when_it_looks_like_markup(tmp_path: Path) -> None:
    path = tmp_path / "markup.osu"
    path.write_bytes(b"osu file format v14\r\n[Metadata]\r\nTitle:[red]T\r\nVersion:[bold]x[/bold]\r\n")
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code == 0 and "[red]T [[bold]x[/bold]]" in result.stdout


def test_an_error_names_a_path_with_brackets_verbatim(tmp_path: Path) -> None:
    """Difficulty file names hold brackets: an error prints them as they are, not as rich markup (`[blue]`
    would otherwise colour the rest and vanish)."""
    path = tmp_path / "Artist - Title (Mapper) [blue].osu"
    path.write_bytes(b"")
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code == 2 and "(Mapper) [blue].osu" in result.output
