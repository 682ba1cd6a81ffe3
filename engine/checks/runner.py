"""Run the registered checks on a difficulty, a mapset or a folder; never raise because of a bad map.

A check that raises becomes an ERROR finding naming the check (the other checks still run); a file osu!
cannot load becomes a PROBLEM finding naming the file and line. Findings come back sorted for reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from time import perf_counter

from engine.checks.context import DifficultyContext, MapsetContext
from engine.checks.fixes import attach_fixes
from engine.checks.registry import CHECKS, CheckInfo, Scope
from engine.findings import Finding, Severity, sort_key
from engine.osu.document import Beatmap, collector_paused, read_beatmap
from engine.osu.errors import OsuFormatError

UNLOADABLE = "files.unloadable"
IGNORED_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


def run_checks(target: Beatmap | Sequence[Beatmap], *, folder: Path | None = None,
               only: Iterable[str] | None = None, whole_set: bool | None = None,
               timings: dict[str, float] | None = None) -> list[Finding]:
    """All checks that apply to `target` (one difficulty, or the difficulties of one mapset).

    With `folder` (the mapset folder) checks can see which files exist. `whole_set` says that `target` holds
    every difficulty of the set (default: when a folder is given); only then do the folder's file checks and
    the set-spread checks run. `only` restricts the run to those check ids. `timings`, when given, gets the
    seconds each check took added to its id (benchmarks/check_corpus.py).
    """
    whole_set = folder is not None if whole_set is None else whole_set
    beatmaps = [target] if isinstance(target, Beatmap) else list(target)
    files = list_folder(folder) if folder is not None else None
    folder_files = frozenset(name.lower() for name in files) if files is not None else None
    difficulties = [DifficultyContext(beatmap, folder_files=folder_files) for beatmap in beatmaps]
    mapset = MapsetContext(difficulties, folder, files or [], whole_set)
    selected = [info for info in CHECKS.values() if only is None or info.id in set(only)]
    findings: list[Finding] = []
    with collector_paused():  # the contexts build thousands of objects that live until the run ends
        for info in selected:
            started = perf_counter()
            if info.scope is Scope.DIFFICULTY:
                for difficulty in difficulties:
                    if difficulty.mode in info.modes:
                        findings += _run_one(info, difficulty)
            elif info.scope is Scope.MAPSET and difficulties:
                findings += _run_one(info, mapset)
            elif info.scope is Scope.FILES and folder is not None and whole_set:
                findings += _run_one(info, mapset)
            if timings is not None:
                timings[info.id] = timings.get(info.id, 0.0) + perf_counter() - started
    return sorted(findings, key=sort_key)


def _run_one(info: CheckInfo, context: DifficultyContext | MapsetContext) -> list[Finding]:
    context.check = info
    try:
        findings = list(info.run(context))
        if isinstance(context, DifficultyContext) and context.changes:
            findings = attach_fixes(context.beatmap, [(f, context.changes.pop(f, None)) for f in findings])
            context.changes.clear()
        return findings
    except Exception as error:  # a check must never take the run down with it
        file = context.file if isinstance(context, DifficultyContext) else None
        return [Finding(check=info.id, severity=Severity.ERROR, category=info.category, file=file,
                        message=f"The check '{info.title}' failed and could not finish: "
                                f"{type(error).__name__}: {error}",
                        suggestion="Please report this with the .osu file; the other checks still ran.")]


def list_folder(folder: Path) -> list[str]:
    """Relative paths (with `/`) of every file under the mapset folder, skipping OS junk files."""
    return sorted(str(path.relative_to(folder)).replace("\\", "/") for path in folder.rglob("*")
                  if path.is_file() and path.name.lower() not in IGNORED_FILES)


def load(path: Path) -> Beatmap | Finding:
    """Read one .osu; a file osu! cannot load comes back as a PROBLEM finding that names it (and the line)."""
    try:
        return read_beatmap(path)
    except OsuFormatError as error:
        return Finding(check=UNLOADABLE, severity=Severity.PROBLEM, category="Files", file=path.name,
                       message=f"osu! cannot load this file: {error.message}", line=error.line_number,
                       suggestion="Open it in a text editor and fix or re-save it (UTF-8, 'osu file format vN' header).")
    except OSError as error:
        return Finding(check=UNLOADABLE, severity=Severity.PROBLEM, category="Files", file=path.name,
                       message=f"The file cannot be read: {error.strerror or error}",
                       suggestion="Check that the file exists and is readable.")


def check_path(path: Path) -> list[Finding]:
    """Check a .osu file, a mapset folder, or a Songs folder (each mapset folder below it)."""
    if path.is_file():
        loaded = load(path)
        if isinstance(loaded, Finding):
            return [loaded]
        return run_checks(loaded, folder=path.parent, whole_set=False)
    osu_files = sorted(path.glob("*.osu"))
    if osu_files:
        return check_mapset(path)
    findings: list[Finding] = []
    for folder in sorted(p for p in path.iterdir() if p.is_dir() and any(p.glob("*.osu"))):
        findings += [finding_in(folder.name, f) for f in check_mapset(folder)]
    return findings


def check_mapset(folder: Path) -> list[Finding]:
    loaded = [load(path) for path in sorted(folder.glob("*.osu"))]
    beatmaps = [item for item in loaded if isinstance(item, Beatmap)]
    return [item for item in loaded if isinstance(item, Finding)] + run_checks(beatmaps, folder=folder)


def finding_in(folder: str, finding: Finding) -> Finding:
    """The same finding with its file named relative to a Songs folder."""
    return replace(finding, file=f"{folder}/{finding.file}" if finding.file else folder)
