"""`maid check`, `maid fix` and `maid checks`: the rule checks on a .osu, a mapset folder or a Songs folder, their
fixes, and the list of checks.

`check` never writes anything. `fix` writes a fixed copy next to the file under a name osu! does not load
(`<name>.osu.fixed`, numbered when taken) unless `--out` names another file, and never overwrites an
existing file; with `--in-place` it replaces the .osu through the daemon's write-back (backup first, atomic
replace, journal). Engine code is imported inside the commands to keep `maid --help` fast.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from daemon.cli.app import app, console, fail, print_json

if TYPE_CHECKING:
    from engine.findings import Finding

SEVERITY_STYLE = {"error": "bold magenta", "problem": "bold red", "warning": "yellow", "minor": "cyan", "info": "dim"}


def render(findings: list[Finding]) -> None:
    """Findings grouped by file and category, in time order, with pasteable editor timestamps."""
    by_file: dict[str, dict[str, list[Finding]]] = {}
    for finding in findings:
        by_file.setdefault(finding.file or "(mapset)", {}).setdefault(finding.category, []).append(finding)
    for file, categories in by_file.items():
        counts = Counter(f.severity.label for group in categories.values() for f in group)
        summary = ", ".join(f"{counts[label]} {label}" for label in SEVERITY_STYLE if counts[label])
        console.print(f"\n[bold]{file}[/]  [dim]{summary}[/]", highlight=False)
        for category in sorted(categories):
            console.print(f"  [bold]{category}[/]", highlight=False)
            ordered = sorted(categories[category], key=lambda f: (f.start_ms is not None, f.start_ms or 0.0))
            for f in ordered:
                style = SEVERITY_STYLE[f.severity.label]
                where = f.timestamp or (f"line {f.line} - " if f.line else "")
                link = f"[link={f.link}]{where}[/link]" if f.link else where
                fix = f" [green](fix {f.id})[/]" if f.fix else ""
                console.print(f"    [{style}]{f.severity.label:<7}[/] {link}{_escape(f.message)}{fix}", highlight=False)
                if f.suggestion:
                    console.print(f"            [dim]{_escape(f.suggestion)}[/]", highlight=False)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@app.command()
def check(path: Path = typer.Argument(..., help="A .osu file, a mapset folder, or a Songs folder."),
          as_json: bool = typer.Option(False, "--json", help="Machine-readable output: a list of findings."),
          min_severity: str = typer.Option("info", "--min-severity",
                                           help="Show only findings at least this severe: info, minor, warning, problem."),
          ) -> None:
    """Rule checks (ranking criteria, Mapset Verifier style). Exit status 1 if any problem is found."""
    from engine.checks import check_path
    from engine.findings import Severity

    if not path.exists():
        raise fail(f"{path} does not exist; give a .osu file, a mapset folder or a Songs folder")
    if path.is_dir() and not any(path.glob("*.osu")) and not any(path.glob("*/*.osu")):
        raise fail(f"{path} holds no .osu file, and neither do its subfolders")
    try:
        floor = Severity[min_severity.upper()]
    except KeyError:
        raise fail(f"--min-severity must be one of info, minor, warning, problem (got {min_severity!r})") from None
    findings = [f for f in check_path(path) if f.severity >= floor]
    if as_json:
        print_json([f.to_json() for f in findings])
    elif findings:
        render(findings)
        counts = Counter(f.severity.label for f in findings)
        fixable = sum(f.fix is not None for f in findings)
        console.print("\n" + ", ".join(f"{counts[label]} {label}" for label in SEVERITY_STYLE if counts[label])
                      + (f"; {fixable} with an automatic fix (maid fix FILE [--finding ID | --category NAME])"
                         if fixable else ""), highlight=False)
    else:
        console.print("no findings")
    if any(f.severity >= Severity.PROBLEM for f in findings):
        raise typer.Exit(1)


@app.command()
def checks(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List every rule check: id, severity, modes, scope and what it looks for."""
    from engine.checks import CHECKS

    modes = {0: "osu", 1: "taiko", 2: "catch", 3: "mania"}
    rows = [{"id": c.id, "title": c.title, "category": c.category, "severity": c.severity.label,
             "scope": c.scope.value, "modes": [modes[m] for m in sorted(c.modes)], "description": c.doc}
            for c in CHECKS.values()]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        where = "all modes" if len(row["modes"]) == 4 else "/".join(row["modes"])
        console.print(f"[bold]{row['id']}[/]  {_escape(row['title'])}  [dim]{row['severity']}, {row['scope']}, "
                      f"{where}[/]", highlight=False)


def fixed_copy_path(path: Path) -> Path:
    """`<name>.osu.fixed` beside the file (osu! does not load it), numbered when that name is taken."""
    candidate = path.with_name(path.name + ".fixed")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.fixed-{number}")
        number += 1
    return candidate


@app.command()
def fix(path: Path = typer.Argument(..., help="The .osu file to fix."),
        finding: Optional[list[str]] = typer.Option(None, "--finding", help="Apply only this finding's fix (repeatable)."),
        category: Optional[list[str]] = typer.Option(None, "--category", help="Apply only fixes of this category (repeatable)."),
        out: Optional[Path] = typer.Option(None, "--out", help="Write the fixed map here (must not exist)."),
        in_place: bool = typer.Option(False, "--in-place", help="Replace the file, after a backup (maid backups)."),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
        ) -> None:
    """Apply the concrete fixes of `maid check` (resnaps, moves into the playfield, new combos, ...)."""
    from engine.checks import FixConflict, apply_fixes
    from engine.checks.runner import check_path, load
    from engine.findings import Finding as FindingType

    if not path.is_file() or path.suffix.lower() != ".osu":
        raise fail(f"{path} is not a .osu file")
    if out is not None and in_place:
        raise fail("give either --out or --in-place, not both")
    if out is not None and out.exists():
        raise fail(f"{out} already exists; maid fix never overwrites a file (use --in-place to replace the map)")
    beatmap = load(path)
    if isinstance(beatmap, FindingType):
        raise fail(f"{path}: {beatmap.message}")
    fixable = [f for f in check_path(path) if f.fix is not None]
    wanted = {c.lower() for c in category or []}
    chosen = [f for f in fixable if (not finding or f.id in finding) and (not wanted or f.category.lower() in wanted)]
    unknown = sorted(set(finding or []) - {f.id for f in fixable})
    if unknown:
        raise fail(f"no fixable finding with id {', '.join(unknown)} in {path}; run `maid check {path}` for the ids")
    if not chosen:
        if as_json:
            print_json({"applied": [], "written": None})
        else:
            console.print("nothing to fix")
        return
    try:
        fixed = apply_fixes(beatmap, chosen)
    except FixConflict as error:
        raise fail(f"{path}: {error}") from error
    written = _write_in_place(path, chosen) if in_place else _write_copy(out or fixed_copy_path(path), fixed.to_bytes())
    if as_json:
        print_json({"applied": [f.to_json() for f in chosen], "written": str(written)})
        return
    for f in chosen:
        console.print(f"fixed {f.id}  {f.timestamp}{_escape(f.fix.description if f.fix else '')}", highlight=False)
    console.print(f"wrote {written}", highlight=False)


def _write_copy(target: Path, data: bytes) -> Path:
    try:
        with open(target, "xb") as handle:  # "x": never overwrite
            handle.write(data)
    except OSError as error:
        raise fail(f"cannot write {target}: {error.strerror or error}") from error
    return target


def _write_in_place(path: Path, chosen: list[Finding]) -> Path:
    """Replace the map through the write-back (backup, atomic replace, journal); the fixes are re-applied to
    the bytes it reads, so a save made meanwhile elsewhere in the file is kept."""
    from daemon.cli.app import user_writeback
    from daemon.writeback import Edit, Provenance, Region, WriteBackError
    from engine.checks import apply_fixes
    from engine.osu import parse_beatmap

    writeback = user_writeback()
    snapshot = writeback.read(path.resolve())
    lines = frozenset(edit.line - 1 for f in chosen if f.fix for edit in f.fix.edits)
    edit = Edit(apply=lambda current: apply_fixes(parse_beatmap(current, str(path)), chosen).to_bytes(),
                region=Region(lines=lines),
                provenance=Provenance(ai=False, task="fix", summary=f"{len(chosen)} rule-check fixes"), job="maid fix")
    try:
        result = writeback.write(snapshot, edit)
    except WriteBackError as error:
        raise fail(str(error)) from error
    console.print(f"backup: {result.backup}", highlight=False)
    return path
