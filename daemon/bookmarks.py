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
JSON sidecar in maid's data folder, keyed by the file's resolved path: never in the .osu. Each entry also
names the job that wrote it, so that switching `bookmark_findings` off (live, or at the daemon's next start
when it was switched off while the daemon was not running) takes out the mirror's bookmarks and leaves
those the mapper asked for with `maid bookmarks FILE`.

The daemon and `maid bookmarks` are separate processes writing the same sidecar: every read-modify-write of
it, and every bookmark write from reading the file's entry to saving the new one, holds a lock on the file
`bookmarks.json.lock` beside it (`BookmarkStore.locked`). It is the operating system's lock (flock on
Linux and macOS, a byte-range lock on Windows, through filelock, which maid already uses for its
single-instance lock): the system drops it when the process holding it dies, so a crashed maid never leaves
a stale lock to detect and break, and no guess from a pid (reused) or an age (a slow disk) can take a live
holder's lock.

This module never writes a .osu other than through `WriteBack.write`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from daemon.config import write_text_atomically
from daemon.writeback import Edit, Provenance, Region, Snapshot, WriteBack, WriteBackError, WriteConflict, WriteResult
from engine.bookmarks import BookmarkState, add_bookmarks
from engine.findings import Finding
from engine.osu import parse_beatmap

log = logging.getLogger(__name__)

SIDECAR_NAME = "bookmarks.json"
MIRROR_JOB = "bookmark_findings"  # the journal's job for the daemon's writes (the setting's name)
LOCK_TIMEOUT_S = 15.0  # far above one write (a read, a parse and two fsyncs), below a mapper's patience


class BookmarkRecordLocked(OSError):
    """Another process held the sidecar's lock for longer than the store's timeout."""


class BookmarkStore:
    """The `BookmarkState` of each file that holds maid's bookmarks, and the job that wrote it, in one JSON
    file shared by the daemon and the CLI (see the module doc for its lock)."""

    def __init__(self, sidecar: Path, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.sidecar = Path(sidecar)
        self.lock_file = self.sidecar.with_name(self.sidecar.name + ".lock")
        self.lock_timeout = lock_timeout
        self._lock = FileLock(self.lock_file)  # one per thread (thread_local), reentrant within a thread

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the sidecar's lock against every other maid process and thread (reentrant within a thread).
        Raises BookmarkRecordLocked (an OSError naming the lock file) when it is not free within the timeout."""
        self.sidecar.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=self.lock_timeout)
        except Timeout:
            raise BookmarkRecordLocked(
                f"{self.lock_file}: another maid process (the daemon or a `maid bookmarks` command) has held the lock on "
                f"maid's bookmark record for over {self.lock_timeout:g} s; try again, or stop that process if it hangs "
                "(the lock goes with it: never delete the file)") from None
        try:
            yield
        finally:
            self._lock.release()

    def _all(self) -> dict[str, dict[str, object]]:
        try:
            return json.loads(self.sidecar.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise OSError(f"{self.sidecar}: cannot read maid's bookmark record ({error}); "
                          "move it away to start afresh (maid's bookmarks then count as the mapper's)") from error

    def paths(self, job: str) -> list[Path]:
        """The files that hold bookmarks `job` wrote (entries from before jobs were recorded count as the mirror's:
        only the daemon wrote bookmarks then that anyone expected to go again)."""
        return [Path(key) for key, entry in sorted(self._all().items()) if entry.get("job", MIRROR_JOB) == job]

    def get(self, path: Path) -> BookmarkState | None:
        entry = self._all().get(str(Path(path).resolve()))
        return BookmarkState.from_json(entry) if entry is not None else None

    def put(self, path: Path, state: BookmarkState | None, job: str) -> None:
        """Remember `state` for `path`, written by `job`; None or a state with nothing of maid's added forgets the file."""
        key = str(Path(path).resolve())
        with self.locked():
            entries = self._all()
            if state is None or not state.added:
                entries.pop(key, None)
            else:
                entries[key] = {**state.to_json(), "job": job}
            write_text_atomically(self.sidecar, json.dumps(entries, indent=1, sort_keys=True))


def write_bookmarks(writeback: WriteBack, store: BookmarkStore, snapshot: Snapshot, findings: Sequence[Finding],
                    job: str = "bookmarks") -> WriteResult:
    """Make the bookmarks of the file `snapshot` was read from the mapper's own plus the findings' start times
    (no findings: the mapper's own only, as they were). The findings are those of `snapshot`'s content: a file
    saved since is a conflict, never overwritten. Raises daemon.writeback.WriteBackError (WriteConflict when
    the file changed) or OSError (the sidecar) when the write does not happen."""
    path = snapshot.path
    states: list[BookmarkState] = []
    # Locked from reading the entry to saving the new one: another process's write of this file in between
    # would leave its bookmarks out of `previous`, and they would count as the mapper's from then on.
    with store.locked():
        previous = store.get(path)

        def apply(data: bytes) -> bytes:
            edited, state = add_bookmarks(parse_beatmap(data, str(path)), findings, previous)
            states.append(state)
            return edited.to_bytes()

        summary = f"{len(findings)} findings as bookmarks" if findings else "maid's bookmarks removed"
        edit = Edit(apply, Region(), Provenance(ai=False, task="bookmarks", summary=summary), job, derived=True)
        result = writeback.write(snapshot, edit)
        try:
            store.put(path, states[-1], job)
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
        """Take the mirror's bookmarks out of every file that has them (the sidecar knows which), leaving the
        mapper's own and those `maid bookmarks FILE` wrote: `bookmark_findings` switched off, live or while the
        daemon was not running (then at its start). Each file as it is now: what the mapper changed since stays."""
        try:
            paths = self.store.paths(MIRROR_JOB)
        except OSError as error:
            return [_failed(self.store.sidecar, error)]
        written = []
        for path in paths:
            try:
                if not path.is_file():  # deleted or renamed since: nothing left to restore
                    self.store.put(path, None, MIRROR_JOB)
                    continue
                written.append(BookmarkWrite(path, write_bookmarks(self.writeback, self.store, self.writeback.read(path), [], MIRROR_JOB)))
            except (WriteBackError, OSError) as error:
                written.append(_failed(path, error))
        return written


def _failed(path: Path, error: Exception) -> BookmarkWrite:
    log.warning("findings as bookmarks, %s: %s", path.name, error)
    return BookmarkWrite(path, error=f"findings as bookmarks: {error}")
