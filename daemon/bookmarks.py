"""maid's bookmarks in a mapper's file: the findings' times written into `[Editor] Bookmarks` through the
write-back (backup, journal, and the watcher ignores the write), and taken out again: by `maid bookmarks
FILE` and, while the `bookmark_findings` setting is on, by the daemon after every save (`BookmarkMirror`).

The editor keeps the map in memory and sees maid's write only when the mapper reloads; the mapper's next save
writes the editor's bookmarks, with maid's (reloaded) or without them. Either way that save is checked and its
findings mirrored again, and the sidecar tells maid's times from the mapper's, so maid's bookmarks that come
back through a reload are neither doubled nor taken for the mapper's. The writes are derived edits
(`Edit.derived`): a save that drops them is no dropped edit, and a write whose save was saved over meanwhile
is dropped, never written over the newer save.

What engine.bookmarks needs to restore the mapper's own bookmarks exactly (`BookmarkState`) is kept in a
JSON sidecar in maid's data folder, keyed by the file's resolved path: never in the .osu. This module never
writes a .osu other than through `WriteBack.write`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from daemon.config import write_text_atomically
from daemon.writeback import Edit, Provenance, Region, Snapshot, WriteBack, WriteBackError, WriteConflict, WriteResult
from engine.bookmarks import BookmarkState, add_bookmarks
from engine.findings import Finding
from engine.osu import parse_beatmap

log = logging.getLogger(__name__)

SIDECAR_NAME = "bookmarks.json"
MIRROR_JOB = "bookmark_findings"  # the journal's job for the daemon's writes (the setting's name)


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

    def paths(self) -> list[Path]:
        """The files that hold maid's bookmarks."""
        return [Path(key) for key in sorted(self._all())]

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
        write_text_atomically(self.sidecar, json.dumps(entries, indent=1, sort_keys=True))


def write_bookmarks(writeback: WriteBack, store: BookmarkStore, snapshot: Snapshot, findings: Sequence[Finding],
                    job: str = "bookmarks") -> WriteResult:
    """Make the bookmarks of the file `snapshot` was read from the mapper's own plus the findings' start times
    (no findings: the mapper's own only, as they were). The findings are those of `snapshot`'s content: a file
    saved since is a conflict, never overwritten. Raises daemon.writeback.WriteBackError (WriteConflict when
    the file changed) or OSError (the sidecar) when the write does not happen."""
    path = snapshot.path
    previous = store.get(path)
    states: list[BookmarkState] = []

    def apply(data: bytes) -> bytes:
        edited, state = add_bookmarks(parse_beatmap(data, str(path)), findings, previous)
        states.append(state)
        return edited.to_bytes()

    summary = f"{len(findings)} findings as bookmarks" if findings else "maid's bookmarks removed"
    edit = Edit(apply, Region(), Provenance(ai=False, task="bookmarks", summary=summary), job, derived=True)
    result = writeback.write(snapshot, edit)
    try:
        store.put(path, states[-1])
    except OSError as error:
        raise OSError(f"{path} WAS written, but maid's record of its bookmarks in {store.sidecar} could not be saved ({error}); "
                      "until it can, maid may take your bookmarks in it for its own or the other way round") from error
    return result


@dataclass(frozen=True)
class BookmarkWrite:
    """One file's bookmark write: `result` when it happened (or the file already was right), `error` (what
    failed and what to do) when it did not; neither when a newer save of the file superseded it."""

    path: Path
    result: WriteResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class BookmarkMirror:
    """The daemon's side of `bookmark_findings`: each save's rule findings mirrored into its bookmarks, and
    maid's bookmarks taken out of every file again. Blocking (it fsyncs): call from a worker thread. Never
    raises: failures are logged and returned."""

    writeback: WriteBack
    store: BookmarkStore

    def mirror(self, saved: Snapshot, findings: Sequence[Finding]) -> BookmarkWrite:
        """Write `findings` (of the content `saved`) as the bookmarks of `saved`'s file."""
        try:
            return BookmarkWrite(saved.path, write_bookmarks(self.writeback, self.store, saved, findings, MIRROR_JOB))
        except WriteConflict:
            log.debug("%s: saved again before its findings became bookmarks; the newer save's findings will", saved.path)
            return BookmarkWrite(saved.path)
        except (WriteBackError, OSError) as error:
            return _failed(saved.path, error)

    def clear_all(self) -> list[BookmarkWrite]:
        """Take maid's bookmarks out of every file that has them (the sidecar knows which), leaving the mapper's own."""
        try:
            paths = self.store.paths()
        except OSError as error:
            return [_failed(self.store.sidecar, error)]
        written = []
        for path in paths:
            try:
                if not path.is_file():  # deleted or renamed since: nothing left to restore
                    self.store.put(path, None)
                    continue
                written.append(BookmarkWrite(path, write_bookmarks(self.writeback, self.store, self.writeback.read(path), [], MIRROR_JOB)))
            except (WriteBackError, OSError) as error:
                written.append(_failed(path, error))
        return written


def _failed(path: Path, error: Exception) -> BookmarkWrite:
    log.warning("findings as bookmarks, %s: %s", path.name, error)
    return BookmarkWrite(path, error=f"findings as bookmarks: {error}")
