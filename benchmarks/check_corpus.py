"""How often each rule check fires on the shared .osu corpus, to spot false positives.

Prints one row per check: on how many corpus files it fires (any severity, and at Problem level), and the
same on the "ranked-looking" subset (a BeatmapSetID > 0, format v12+, at least 30 s of drain and at least
100 objects), plus the run time per file. Checks firing on most ranked-looking maps deserve a look.

    .venv/bin/python benchmarks/check_corpus.py [CORPUS_DIR]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from engine.checks import CHECKS, run_checks
from engine.checks.context import DifficultyContext
from engine.findings import Severity
from engine.osu import OsuFormatError, read_beatmap

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "osu"


def ranked_looking(ctx: DifficultyContext) -> bool:
    return (ctx.beatmap.metadata.beatmap_set_id > 0 and ctx.beatmap.version >= 12 and len(ctx.objects) >= 100
            and ctx.drain_time >= 30_000)


def main(corpus: Path) -> None:
    fired, problems, fired_ranked, problems_ranked = Counter(), Counter(), Counter(), Counter()
    files = ranked = errors = 0
    started = time.perf_counter()
    for path in sorted(corpus.glob("*.osu")):
        try:
            beatmap = read_beatmap(path)
        except (OsuFormatError, OSError):
            continue
        files += 1
        is_ranked = ranked_looking(DifficultyContext(beatmap))
        ranked += is_ranked
        findings = run_checks(beatmap)
        errors += sum(f.severity is Severity.ERROR for f in findings)
        for check_id in {f.check for f in findings}:
            fired[check_id] += 1
            fired_ranked[check_id] += is_ranked
        for check_id in {f.check for f in findings if f.severity >= Severity.PROBLEM}:
            problems[check_id] += 1
            problems_ranked[check_id] += is_ranked
    elapsed = time.perf_counter() - started
    print(f"{files} corpus files ({ranked} ranked-looking), {len(CHECKS)} checks, {elapsed:.1f} s "
          f"({elapsed / max(files, 1) * 1000:.1f} ms per file), {errors} check errors\n")
    print(f"| check | fires (all {files}) | problem (all) | fires (ranked {ranked}) | problem (ranked) |")
    print("|---|---:|---:|---:|---:|")
    for check_id in sorted(CHECKS, key=lambda c: (-fired[c], c)):
        print(f"| {check_id} | {fired[check_id]} | {problems[check_id]} | {fired_ranked[check_id]} | "
              f"{problems_ranked[check_id]} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS)
