"""Every check runs on every corpus map without failing (no ERROR findings), and a broken file is a finding."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from engine.checks import CHECKS, Scope, check_path, run_checks
from engine.findings import Severity
from engine.osu import Beatmap, OsuFormatError, read_beatmap
from tests.conftest import corpus_files


def test_every_check_runs_on_every_corpus_map(corpus_dir: Path) -> None:
    failures: list[str] = []
    loaded: list[Beatmap] = []
    for path in corpus_files():
        try:
            beatmap = read_beatmap(path)
        except OsuFormatError:
            continue
        loaded.append(beatmap)
        failures += [f"{path.name}: {f.check}: {f.message}" for f in run_checks(beatmap)
                     if f.severity is Severity.ERROR]
    assert len(loaded) > 400
    # The mapset checks on the corpus's multi-difficulty groups (same artist, title and creator).
    groups: dict[tuple[str, str, str], list[Beatmap]] = defaultdict(list)
    for beatmap in loaded:
        groups[(beatmap.metadata.artist, beatmap.metadata.title, beatmap.metadata.creator)].append(beatmap)
    set_checks = [check_id for check_id, info in CHECKS.items() if info.scope is Scope.MAPSET]
    for group in (g for g in groups.values() if len(g) > 1):
        failures += [f"{f.file}: {f.check}: {f.message}" for f in run_checks(group, only=set_checks)
                     if f.severity is Severity.ERROR]
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
                              test_checks_modes, test_checks_settings_metadata, test_checks_spacing_sliders,
                              test_checks_storyboard_video, test_checks_timing)

    covered = (set(test_checks_timing.CASES) | set(test_checks_compose.CASES) | set(test_checks_hitsounds_events.CASES)
               | set(test_checks_settings_metadata.CASES) | set(test_checks_modes.CASES)
               | set(test_checks_spacing_sliders.CASES) | test_checks_storyboard_video.CHECKED
               | set(test_checks_mapset_files.VARIANTS)
               | {"hitsounds.missing-samples", "metadata.inconsistent", "mapset.inconsistent-barlines",
                  "mania.custom-hitnormal"})
    assert len(CHECKS) >= 60
    assert sorted(set(CHECKS) - covered) == []
