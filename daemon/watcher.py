"""Watch beatmap folders and report each editor save of a .osu file once, with its content.

A mapper saves hundreds of times per map, and inotify says far more than "saved": an in-place save
fires `modified` while the file is still empty or half-written, an atomic replace fires events on a
temp file, and every read (ours included) fires open/close. This module turns that into one `SavedFile`
(path, bytes, sha256) per save:

- it reacts to `closed` (after a write) and `moved` (atomic replace: the destination path) at once, and
  to `created` (delete and re-create) after the debounce; bare `modified` only postpones a pending
  read (it is the only event on platforms without close events, where it triggers after the debounce);
- a save after `debounce_s` of quiet on that file is read at once; saves that follow within
  `debounce_s` of the previous one are coalesced into one read of the last content when they stop
  (leading and trailing edge);
- it reads the file only when it is stable (same size and mtime before and after the read), retries a
  file that is half-written or briefly missing, and logs one clear line when it gives up;
- it skips content equal to the content last seen at that path (maid's own reads, touch, a save
  without changes), maid's own writes (`is_own_write(path, sha256)`, from daemon.writeback; their
  content is remembered, so an editor saving its older content over maid's edit is reported, and they
  open no debounce window: the save after one is read at once), temp files, ignored folders (the backup
  folder) and anything that is not a .osu file.

Big Songs folders (tens of thousands of mapsets) are never watched recursively: the watcher watches
the active mapset (`focus`), folders where saves or new folders appeared, and the most recently changed
mapset folders (by folder and .osu mtimes: a save in place changes only the .osu's), re-evaluated every
`rescan_s` and when a folder is created, one watch per folder, far below the OS inotify watch limit. A
folder that becomes watched has its .osu files saved since the last look read at once, so the save that
made a mapset recent is checked too.

Hand-off: `on_saved` is called on the watcher's own timer thread; `in_loop` wraps a callback so the
daemon receives saves on its asyncio loop (`loop.call_soon_threadsafe`).

This module must never raise out of a watchdog or timer thread, never block the event loop and never
write anything.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import heapq
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

log = logging.getLogger(__name__)

INOTIFY_WATCHES = Path("/proc/sys/fs/inotify/max_user_watches")
WATCH_LIMIT_SHARE = 16  # use at most 1/16 of the user's inotify watches: other programs need them too
MAPSET_EVENTS: list[type[FileSystemEvent]] = [FileClosedEvent, FileMovedEvent, FileCreatedEvent, FileModifiedEvent]
SONGS_EVENTS: list[type[FileSystemEvent]] = [DirCreatedEvent, DirMovedEvent]
# Only inotify reports "closed after write"; elsewhere `modified` is the save signal.
CLOSE_EVENTS = Observer.__name__ == "InotifyObserver"
_RESCAN = "rescan"
_REFRESH = "refresh"


def _not_a_stop_race(record: logging.LogRecord) -> bool:
    """watchdog 7 logs an ERROR when an emitter thread reads once more while `stop` is tearing it down:
    a harmless race that would otherwise print an error line on every Ctrl+C of `maid watch`."""
    return "called when the thread is inactive" not in record.getMessage()


logging.getLogger("watchdog.observers.inotify").addFilter(_not_a_stop_race)


@dataclass(frozen=True)
class WatchOptions:
    """Every watcher knob in one place."""

    debounce_s: float = 0.15  # a save this soon after the previous one of that file waits for the saves to stop
    read_attempts: int = 5  # tries for a file that is missing or still changing
    read_retry_s: float = 0.05  # wait between those tries
    recent_mapsets: int = 32  # mapset folders watched besides the active one
    rescan_s: float = 30.0  # how often the most recently modified mapsets are looked up again
    ignored_folders: tuple[Path, ...] = ()  # e.g. the backup root: nothing below them is reported
    # temp files: editors' and daemon.writeback's (".maid-<name hash>-<pid>-<random>.tmp")
    ignored_names: tuple[str, ...] = ("*.tmp", ".maid-*")


@dataclass(frozen=True)
class SavedFile:
    """One save of a .osu file: its content as read once it was stable."""

    path: Path
    data: bytes
    sha256: str
    event_at: float  # time.monotonic() of the file system event that triggered the read


def in_loop(loop: asyncio.AbstractEventLoop, callback: Callable[[SavedFile], object]) -> Callable[[SavedFile], None]:
    """Wrap `callback` so that the watcher thread hands each save to `loop`, where `callback` runs."""

    def hand_off(saved: SavedFile) -> None:
        try:
            loop.call_soon_threadsafe(callback, saved)
        except RuntimeError:  # the loop is closed: the daemon is shutting down
            log.debug("dropped a save of %s: the event loop is closed", saved.path)

    return hand_off


def inotify_watch_limit() -> int | None:
    """The user's inotify watch limit on Linux; None where there is no such limit to read."""
    try:
        return int(INOTIFY_WATCHES.read_text())
    except (OSError, ValueError):
        return None


def watch_budget(requested: int, limit: int | None = None) -> int:
    """How many mapset folders to watch: `requested`, but never more than a small share of the OS limit."""
    limit = inotify_watch_limit() if limit is None else limit
    if limit is None:
        return max(1, requested)
    return max(1, min(requested, limit // WATCH_LIMIT_SHARE))


def mapset_times(songs_dir: Path) -> dict[Path, float]:
    """Each folder directly inside `songs_dir` and when it last changed: its mtime or its newest .osu's.

    A folder's own mtime changes when files are added, renamed or removed, not when stable saves a .osu in
    place, so each folder is looked into too (one scandir per folder: ~0.4 s for 10,000 mapsets).
    """
    times: dict[Path, float] = {}
    try:
        with os.scandir(songs_dir) as entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        mtime = entry.stat(follow_symlinks=False).st_mtime
                        times[Path(entry.path)] = max(mtime, newest_beatmap(entry.path))
                except OSError:  # vanished or unreadable meanwhile: not a candidate
                    continue
    except OSError as exc:
        log.warning("cannot list the Songs folder %s (%s); watching only the active mapset", songs_dir, exc)
    return times


def newest_folders(times: dict[Path, float], count: int) -> list[Path]:
    """The `count` folders of `times` that changed last, newest first."""
    return heapq.nlargest(count, times, key=times.__getitem__)


def newest_beatmap(folder: str | Path) -> float:
    """The newest mtime of a .osu file directly in `folder`; 0.0 when there is none."""
    newest = 0.0
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.lower().endswith(".osu") and entry.is_file(follow_symlinks=False):
                newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return newest


def is_beatmap_path(path: Path, options: WatchOptions) -> bool:
    """True for a .osu file that is not a temp file and not inside an ignored folder."""
    if path.suffix.lower() != ".osu":
        return False
    if any(fnmatch.fnmatch(path.name, pattern) for pattern in options.ignored_names):
        return False
    return not any(path.is_relative_to(folder) for folder in options.ignored_folders)


class _Timers:
    """One thread that runs keyed callbacks at given monotonic times; a new call for a key replaces the old."""

    def __init__(self) -> None:
        self._due: dict[object, tuple[float, Callable[[], None]]] = {}
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="maid-watcher-timers", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def call_at(self, key: object, when: float, fn: Callable[[], None]) -> None:
        with self._wake:
            self._due[key] = (when, fn)
            self._wake.notify()

    def pending(self, key: object) -> bool:
        with self._wake:
            return key in self._due

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped:
                    now = time.monotonic()
                    ready = [key for key, (when, _) in self._due.items() if when <= now]
                    if ready:
                        break
                    next_due = min((when for when, _ in self._due.values()), default=None)
                    self._wake.wait(None if next_due is None else next_due - now)
                if self._stopped:
                    return
                calls = [self._due.pop(key)[1] for key in ready]
            for fn in calls:
                try:
                    fn()
                except Exception:  # a bug in one callback must not stop the watcher
                    log.exception("watcher callback failed")


class Watcher(FileSystemEventHandler):
    """Reports each save of a .osu file under the watched mapset folders to `on_saved` (see module doc).

    `songs_dir`: a Songs folder whose most recently modified mapsets are watched; None to watch only the
    folders given to `focus`. Use as a context manager, or call `start` and `stop`.
    """

    def __init__(
        self,
        on_saved: Callable[[SavedFile], object],
        *,
        songs_dir: Path | None = None,
        options: WatchOptions = WatchOptions(),
        is_own_write: Callable[[Path, str], bool] = lambda path, sha: False,
    ) -> None:
        self.on_saved = on_saved
        self.songs_dir = None if songs_dir is None else Path(songs_dir).resolve()
        self.options = replace(options, ignored_folders=tuple(Path(p).resolve() for p in options.ignored_folders))
        self.is_own_write = is_own_write
        self._observer = Observer()
        self._timers = _Timers()
        self._lock = threading.Lock()
        self._watches: dict[Path, ObservedWatch] = {}
        self._active: Path | None = None
        self._touched: dict[Path, float] = {}  # folder -> wall time of a focus, save or creation there
        self._recent: list[Path] = []  # from the last scan of the Songs folder
        self._seen: dict[Path, float] = {}  # mapset folder -> its time in the last look inside (mapset_times)
        self._started_at = 0.0  # wall time of `start`: the time seen of folders not scanned
        self._quiet_until: dict[Path, float] = {}
        self._attempts: dict[Path, int] = {}
        self._last_sha: dict[Path, str] = {}
        self._budget = watch_budget(options.recent_mapsets)

    # lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start watching; returns once every watch is in place (events from then on are seen).

        With a Songs folder this includes one look into every mapset folder (`mapset_times`): call it
        from a worker thread, not from the event loop.
        """
        self._started_at = time.time()
        self._observer.start()
        self._timers.start()
        if self.songs_dir is not None:
            self._schedule(self.songs_dir, SONGS_EVENTS)
            self._rescan(catch_up=False)
        else:
            self._refresh(catch_up=False)

    def stop(self) -> None:
        """Stop the observer and the timers; pending saves are dropped. Safe to call twice."""
        self._timers.stop()
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join()

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def focus(self, mapset_folder: Path) -> None:
        """Make `mapset_folder` the active mapset (the editor opened a map there): watch it from now on."""
        folder = Path(mapset_folder).resolve()
        with self._lock:
            self._active = folder
            self._touched[folder] = time.time()
        self._refresh()

    @property
    def watched_folders(self) -> list[Path]:
        """The mapset folders watched right now (the Songs folder itself is not listed)."""
        with self._lock:
            return sorted(folder for folder in self._watches if folder != self.songs_dir)

    # which folders ----------------------------------------------------------------------------

    def _rescan(self, catch_up: bool = True) -> None:
        assert self.songs_dir is not None
        try:
            times = mapset_times(self.songs_dir)
            with self._lock:
                self._recent = newest_folders(times, self._budget)
            self._refresh(catch_up)
            self._seen = times
        finally:
            self._timers.call_at(_RESCAN, time.monotonic() + self.options.rescan_s, self._rescan_in_background)

    def _rescan_in_background(self) -> None:
        """On a big or cold Songs folder a scan takes a while: keep it off the timer thread that reads saves."""

        def scan() -> None:
            try:
                self._rescan()
            except Exception:  # the next rescan is scheduled anyway
                log.exception("looking for recently changed mapsets in %s failed", self.songs_dir)

        threading.Thread(target=scan, name="maid-watcher-scan", daemon=True).start()

    def _wanted(self) -> list[Path]:
        """Active first, then folders touched while watching, then the scan's newest; cut to the budget."""
        touched = sorted(self._touched, key=self._touched.__getitem__, reverse=True)
        ordered = ([self._active] if self._active else []) + touched + self._recent
        return list(dict.fromkeys(ordered))[: self._budget + (1 if self._active else 0)]

    def _refresh(self, catch_up: bool = True) -> None:
        """Watch the wanted folders. `catch_up`: a newly watched folder's .osu files saved since the last look
        at that folder are read now (the save that made a mapset recent happened before it was watched)."""
        with self._lock:
            for folder in [f for f in self._touched if not f.is_dir()]:  # deleted or moved away
                del self._touched[folder]
            wanted = set(self._wanted())
            gone = [folder for folder in self._watches if folder not in wanted and folder != self.songs_dir]
            new = [folder for folder in wanted if folder not in self._watches]
        for folder in gone:
            self._unschedule(folder)
        for folder in new:
            self._schedule(folder, MAPSET_EVENTS)
            if catch_up:
                self._catch_up(folder)

    def _schedule(self, folder: Path, events: list[type[FileSystemEvent]]) -> None:
        try:
            watch = self._observer.schedule(self, str(folder), recursive=False, event_filter=events)
        except OSError as exc:  # vanished meanwhile, or the OS watch limit was reached
            log.warning("cannot watch %s (%s); saves there will not be checked", folder, exc)
            return
        with self._lock:
            self._watches[folder] = watch

    def _catch_up(self, folder: Path) -> None:
        now, seen = time.monotonic(), self._seen.get(folder, self._started_at)
        try:
            with os.scandir(folder) as entries:
                changed = [Path(e.path) for e in entries if e.is_file() and e.stat().st_mtime > seen]
        except OSError:
            return
        for path in changed:
            if is_beatmap_path(path, self.options):
                self._timers.call_at(path, now, lambda path=path: self._read(path, now))

    def _unschedule(self, folder: Path) -> None:
        with self._lock:
            watch = self._watches.pop(folder, None)
        if watch is not None:
            try:
                self._observer.unschedule(watch)
            except (KeyError, OSError):  # the folder is already gone
                pass

    # events (observer thread) -----------------------------------------------------------------

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("watcher failed on %r", event)

    def _on_event(self, event: FileSystemEvent) -> None:
        now = time.monotonic()
        if event.is_directory:
            if isinstance(event, (DirCreatedEvent, DirMovedEvent)):  # a new mapset in the Songs folder
                folder = Path(os.fsdecode(event.dest_path or event.src_path))
                with self._lock:
                    self._touched[folder] = time.time()
                self._timers.call_at(_REFRESH, now, self._refresh)
            return
        moved = isinstance(event, FileMovedEvent)
        path = Path(os.fsdecode(event.dest_path if moved else event.src_path))
        if not is_beatmap_path(path, self.options):
            return
        debounce = self.options.debounce_s
        if moved or isinstance(event, FileClosedEvent):
            quiet = now >= self._quiet_until.get(path, 0.0)
            self._quiet_until[path] = now + debounce  # every save extends the window
            self._timers.call_at(path, now if quiet else now + debounce, lambda: self._read(path, now))
        elif isinstance(event, FileCreatedEvent) or not CLOSE_EVENTS or self._timers.pending(path):
            self._timers.call_at(path, now + debounce, lambda: self._read(path, now))

    # reading (timer thread) -------------------------------------------------------------------

    def _read(self, path: Path, event_at: float) -> None:
        """Read a saved file and deliver it, unless its content is what was last seen there or maid wrote it.

        Maid's own writes are remembered as the content last seen, so that an editor that saves its older
        content over maid's edit (saved without reloading) is reported as a save.
        """
        try:
            before = os.stat(path)
            data = path.read_bytes()
            after = os.stat(path)
        except OSError as exc:
            self._retry(path, event_at, f"{type(exc).__name__}: {exc.strerror or exc}")
            return
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or after.st_size != len(data):
            self._retry(path, event_at, "it was still being written")
            return
        self._attempts.pop(path, None)
        self._quiet_until[path] = time.monotonic() + self.options.debounce_s
        sha = hashlib.sha256(data).hexdigest()
        if self._last_sha.get(path) == sha:
            log.debug("%s: content unchanged since it was last seen; skipped", path)
            return
        self._last_sha[path] = sha
        if self.is_own_write(path, sha):
            self._quiet_until.pop(path, None)  # maid's write is no editor save: the mapper's next save is read at once
            log.debug("%s: written by maid; skipped", path)
            return
        with self._lock:
            self._touched[path.parent] = time.time()
        self.on_saved(SavedFile(path, data, sha, event_at))

    def _retry(self, path: Path, event_at: float, why: str) -> None:
        attempt = self._attempts.get(path, 0) + 1
        if attempt < self.options.read_attempts:
            self._attempts[path] = attempt
            self._timers.call_at(path, time.monotonic() + self.options.read_retry_s, lambda: self._read(path, event_at))
            return
        self._attempts.pop(path, None)
        log.warning(
            "could not read %s after %d attempts (%s); this save was not checked, save again to check it",
            path,
            attempt,
            why,
        )

