"""maid's bookmarks in a mapper's file: the findings' times written into `[Editor] Bookmarks` through the
write-back (backup, journal, and the watcher ignores the write), and taken out again.

What engine.bookmarks needs to restore the mapper's own bookmarks exactly (`BookmarkState`) is kept in a
JSON sidecar in maid's data folder, keyed by the file's resolved path: never in the .osu. This module never
writes a .osu other than through `WriteBack.write`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from daemon.writeback import Edit, Provenance, Region, WriteBack, WriteResult
from engine.bookmarks import BookmarkState, add_bookmarks
from engine.findings import Finding
from engine.osu import parse_beatmap

SIDECAR_NAME = "bookmarks.json"


class BookmarkStore:
    """The `BookmarkState` of each file that holds maid's bookmarks, in one JSON file."""

    def __init__(self, sidecar: Path) -> None:
        self.sidecar = Path(sidecar)

    def _all(self) -> dict[str, dict[str, object]]:
        try:
            return json.loads(self.sidecar.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise OSError(f"{self.sidecar}: cannot read maid's bookmark record ({error}); "
                          "move it away to start afresh (maid's bookmarks then count as the mapper's)") from error

    def get(self, path: Path) -> BookmarkState | None:
        entry = self._all().get(str(Path(path).resolve()))
        return BookmarkState.from_json(entry) if entry is not None else None

    def put(self, path: Path, state: BookmarkState | None) -> None:
        """Remember `state` for `path`; None or a state with nothing of maid's added forgets the file."""
        entries = self._all()
        key = str(Path(path).resolve())
        if state is None or not state.added:
            entries.pop(key, None)
        else:
            entries[key] = state.to_json()
        self.sidecar.parent.mkdir(parents=True, exist_ok=True)
        temp = self.sidecar.with_name(f".{self.sidecar.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(entries, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temp, self.sidecar)


def write_bookmarks(writeback: WriteBack, store: BookmarkStore, path: Path, findings: Sequence[Finding],
                    job: str = "bookmarks") -> WriteResult:
    """Make `path`'s bookmarks the mapper's own plus the findings' start times (no findings: the mapper's
    own only, as they were). Raises daemon.writeback.WriteBackError when the write does not happen."""
    snapshot = writeback.read(path)
    previous = store.get(path)
    states: list[BookmarkState] = []

    def apply(data: bytes) -> bytes:
        edited, state = add_bookmarks(parse_beatmap(data, str(path)), findings, previous)
        states.append(state)
        return edited.to_bytes()

    editor = parse_beatmap(snapshot.data, str(path)).sections_named("Editor")
    region = Region(lines=frozenset(range(editor[0].header, editor[0].end))) if editor and editor[0].header is not None else Region()
    summary = f"{len(findings)} findings as bookmarks" if findings else "maid's bookmarks removed"
    result = writeback.write(snapshot, Edit(apply, region, Provenance(ai=False, task="bookmarks", summary=summary), job))
    store.put(path, states[-1])
    return result
