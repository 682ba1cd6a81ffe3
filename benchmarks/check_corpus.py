"""How often each rule check fires on the shared .osu corpus, to spot false positives.

Prints one row per check: on how many corpus files it fires (any severity, and at Problem level), the
same on the "ranked-looking" subset (a BeatmapSetID > 0, format v12+, at least 30 s of drain and at least
100 objects), and on how many multi-difficulty sets (corpus files sharing artist, title and creator) the
mapset checks fire; plus the run time per file and each check's share of it (ms over the whole corpus; the
first check to need a shared value such as the objects or a slider path pays for building it). Checks firing
on most ranked-looking maps deserve a look.

    .venv/bin/python benchmarks/check_corpus.py [CORPUS_DIR] [--only CHECK_ID ...]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from pathlib import Path

from engine.checks import CHECKS, Scope, run_checks
from engine.checks.context import DifficultyContext
from engine.findings import Severity
from engine.osu import Beatmap, OsuFormatError, read_beatmap

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "osu"


def ranked_looking(ctx: DifficultyContext) -> bool:
    return (ctx.beatmap.metadata.beatmap_set_id > 0 and ctx.beatmap.version >= 12 and len(ctx.objects) >= 100
            and ctx.drain_time >= 30_000)


def mapsets(beatmaps: list[Beatmap]) -> list[list[Beatmap]]:
    """Corpus difficulties grouped into sets (same artist, title and creator), sets of two or more only."""
    groups: dict[tuple[str, str, str], list[Beatmap]] = defaultdict(list)
    for beatmap in beatmaps:
        meta = beatmap.metadata
        groups[(meta.artist, meta.title, meta.creator)].append(beatmap)
    return [group for group in groups.values() if len(group) > 1]


def main(corpus: Path, only: list[str] | None) -> None:
    fired, problems, fired_ranked, problems_ranked = Counter(), Counter(), Counter(), Counter()
    timings: dict[str, float] = {}
    files = ranked = errors = 0
    loaded: list[Beatmap] = []
    started = time.perf_counter()
    for path in sorted(corpus.glob("*.osu")):
        try:
            beatmap = read_beatmap(path)
        except (OsuFormatError, OSError):
            continue
        loaded.append(beatmap)
        files += 1
        is_ranked = ranked_looking(DifficultyContext(beatmap))
        ranked += is_ranked
        findings = run_checks(beatmap, only=only, timings=timings)
        errors += sum(f.severity is Severity.ERROR for f in findings)
        for check_id in {f.check for f in findings}:
            fired[check_id] += 1
            fired_ranked[check_id] += is_ranked
        for check_id in {f.check for f in findings if f.severity >= Severity.PROBLEM}:
            problems[check_id] += 1
            problems_ranked[check_id] += is_ranked
    elapsed = time.perf_counter() - started
    sets = mapsets(loaded)
    set_checks = [c for c, info in CHECKS.items() if info.scope is not Scope.DIFFICULTY and (only is None or c in only)]
    fired_sets: Counter[str] = Counter()
    for group in sets:
        findings = run_checks(group, only=set_checks)
        errors += sum(f.severity is Severity.ERROR for f in findings)
        fired_sets.update({f.check for f in findings})
    print(f"{files} corpus files ({ranked} ranked-looking) and {len(sets)} multi-difficulty sets, {len(CHECKS)} "
          f"checks, {elapsed:.1f} s for the files ({elapsed / max(files, 1) * 1000:.1f} ms per file), "
          f"{errors} check errors\n")
    print(f"| check | fires (all {files}) | problem (all) | fires (ranked {ranked}) | problem (ranked) | "
          f"fires (sets {len(sets)}) | ms (files) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for check_id in sorted(only or CHECKS, key=lambda c: (-fired[c] - fired_sets[c], c)):
        print(f"| {check_id} | {fired[check_id]} | {problems[check_id]} | {fired_ranked[check_id]} | "
              f"{problems_ranked[check_id]} | {fired_sets[check_id]} | {timings.get(check_id, 0.0) * 1000:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", nargs="+", metavar="CHECK_ID", help="run only these checks")
    arguments = parser.parse_args()
    main(arguments.corpus, arguments.only)
