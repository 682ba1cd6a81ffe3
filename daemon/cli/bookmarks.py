"""`maid bookmarks FILE [--clear]`: the rule checks' findings as editor bookmarks, written through the
write-back (with a backup); `--clear` gives the mapper back exactly their own bookmarks."""

from __future__ import annotations

from pathlib import Path

import typer

from daemon.cli.app import app, console, fail, print_json


@app.command("bookmarks")
def bookmarks(path: Path = typer.Argument(..., help="The .osu file."),
              clear: bool = typer.Option(False, "--clear", help="Remove maid's bookmarks; keep the mapper's own."),
              as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Mirror the rule checks' findings into the map's editor bookmarks (reload the map in the editor to see them)."""
    from daemon.automod import rule_checks
    from daemon.bookmarks import SIDECAR_NAME, BookmarkStore, write_bookmarks
    from daemon.cli.app import user_writeback
    from daemon.config import user_paths
    from daemon.writeback import WriteBackError

    path = path.resolve()
    if not path.is_file():
        raise fail(f"{path}: no such file; give the path of a .osu difficulty")
    store = BookmarkStore(user_paths().data_dir / SIDECAR_NAME)
    writeback = user_writeback()
    try:
        snapshot = writeback.read(path)
        findings = [] if clear else rule_checks(path, snapshot.data)
        result = write_bookmarks(writeback, store, snapshot, findings, job="maid bookmarks")
    except (WriteBackError, OSError) as error:
        raise fail(str(error)) from error
    state = store.get(path)
    added = list(state.added) if state else []
    if as_json:
        print_json({"file": str(path), "bookmarks_added": added, "changed": result.changed,
                    "backup": str(result.backup) if result.backup else None})
        return
    console.print(f"{len(added)} bookmarks of maid's in {path.name}" + (f"; backup: {result.backup}" if result.backup else ""),
                  highlight=False)
