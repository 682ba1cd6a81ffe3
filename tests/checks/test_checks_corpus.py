"""Every check runs on every corpus map without failing (no ERROR findings), and a broken file is a finding."""

from __future__ import annotations

from pathlib import Path

from engine.checks import CHECKS, check_path, run_checks
from engine.findings import Severity
from engine.osu import OsuFormatError, read_beatmap
from tests.conftest import corpus_files


def test_every_check_runs_on_every_corpus_map(corpus_dir: Path) -> None:
    failures: list[str] = []
    checked = 0
    for path in corpus_files():
        try:
            beatmap = read_beatmap(path)
        except OsuFormatError:
            continue
        checked += 1
        failures += [f"{path.name}: {f.check}: {f.message}" for f in run_checks(beatmap)
                     if f.severity is Severity.ERROR]
    assert checked > 400
    assert not failures, "\n".join(failures[:20])


def test_unloadable_corpus_files_become_findings_not_crashes(corpus_dir: Path) -> None:
    unloadable = []
    for path in corpus_files():
        try:
            read_beatmap(path)
        except OsuFormatError:
            unloadable.append(path)
    for path in unloadable:
        [finding] = check_path(path)
        assert finding.check == "files.unloadable" and finding.severity is Severity.PROBLEM
        assert finding.file == path.name



def test_every_registered_check_is_exercised_by_a_test_case() -> None:
    from tests.checks import (test_checks_compose, test_checks_hitsounds_events, test_checks_mapset_files,
                              test_checks_modes, test_checks_settings_metadata, test_checks_timing)

    covered = (set(test_checks_timing.CASES) | set(test_checks_compose.CASES) | set(test_checks_hitsounds_events.CASES)
               | set(test_checks_settings_metadata.CASES) | set(test_checks_modes.CASES)
               | set(test_checks_mapset_files.VARIANTS)
               | {"hitsounds.missing-samples", "metadata.inconsistent", "mapset.inconsistent-barlines"})
    assert len(CHECKS) >= 60
    assert sorted(set(CHECKS) - covered) == []
