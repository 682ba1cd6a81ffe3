"""Writing a mapper's .osu file back: backup, atomic replace, conflict detection and rebase, journal.

A beatmap is months of work; this module is the only code in maid that replaces one. The protocol
(ARCHITECTURE.md, "The write-back protocol"):

1. A job reads the file through `WriteBack.read` and remembers the `Snapshot` (bytes + sha256).
2. It hands back an `Edit`: a pure function `old bytes -> new bytes` plus the `Region` it touches.
3. `WriteBack.write` reads the file again under a per-file lock. Unchanged: the edit runs on the
   snapshot. Changed, but the region's content is byte-identical in both versions: the edit is re-run
   on the new bytes (rebase). Otherwise nothing is written, the result is kept as a pending edit and
   `WriteConflict` is raised.
4. The current file is copied into the backup folder (one folder per mapset, timestamped names) and
   fsynced; the new bytes go to a temp file in the file's own folder, fsynced, `os.replace`d over the
   original, and the folder is fsynced.
5. One JSONL journal line records time, file, backup, job, hashes, region and provenance (AI content is
   unrankable and must be disclosed).

It must never leave a file other than byte-equal to its old or its new version, never write without a
backup, never leave its temp file behind on an error, and never raise anything but `WriteBackError`
(or its subclass `WriteConflict`) for a failed write: the message names the file and what to do.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import re
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

BACKUP_TIME_FORMAT = "%Y-%m-%d %H-%M-%S.%f"
BACKUP_NAME = re.compile(r"^(?P<time>\d{4}-\d\d-\d\d \d\d-\d\d-\d\d\.\d{6})(?:-(?P<n>\d+))?_(?P<code>[a-z]+)__(?P<name>.+)$")
MAX_NAME_BYTES = 240  # file systems allow 255; leave room for the collision counter
OWN_WRITES_REMEMBERED = 256
# Backups taken before a derived write (the findings as bookmarks, after every save) kept per file, beside
# and not counted in the retention count: a day of saves must not push out the backup taken before a remap.
DERIVED_KEPT = 5
QUIET_S = 0.1  # a file modified more recently than this (not by us) may still be being saved
SETTLE_TIMEOUT_S = 3.0
CHANGED_RETRIES = 3
JOURNAL_ROTATE_BYTES = 16 << 20
PARTIAL_SUFFIX = ".partial"  # a backup being written: renamed to its timestamped name once complete and fsynced
TEMP_PREFIX = ".maid-"  # temp files are ".maid-<name hash>-<pid>-<random>.tmp": the watcher ignores them


class WriteBackError(Exception):
    """A write that did not happen; the original file is untouched. The message says what to do."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


class WriteConflict(WriteBackError):
    """The file changed where the edit applies; the edit's result was kept at `pending`."""

    def __init__(self, path: Path, message: str, pending: Path | None) -> None:
        super().__init__(path, message)
        self.pending = pending


class NoSuchBackup(WriteBackError):
    """Nothing to restore: the backup named is not one of this file, or no backup is left to undo to."""


@dataclass(frozen=True)
class Snapshot:
    """The bytes a job read, and their sha256."""

    path: Path
    data: bytes
    sha256: str


@dataclass(frozen=True)
class Region:
    """The part of a .osu document an edit reads and replaces.

    `lines`: 0-based line numbers. `time_range`: [start, end] in ms, inclusive; it covers the
    [HitObjects] and [TimingPoints] lines inside the range, what the edit's objects depend on just
    before it (the red and green line in effect at its start, the last object before it, which may
    extend into the range) and the [Difficulty] section (slider velocity, and what the model was
    conditioned on). Both may be given. Neither given means the whole file.
    """

    lines: frozenset[int] | None = None
    time_range: tuple[float, float] | None = None

    def content(self, data: bytes) -> bytes:
        """The bytes of this region in `data`; equal content in two versions means the edit rebases."""
        if self.lines is None and self.time_range is None:
            return data
        all_lines = data.splitlines(keepends=True)
        # A line set is positional: its line numbers are part of the content (a line that moved is not the
        # same region). A time range is not: the edit finds its objects by time, so lines shifted by an
        # object added elsewhere still rebase.
        numbered = [b"%d:%s" % (i, all_lines[i]) if i < len(all_lines) else b"%d:<missing>\n" % i for i in sorted(self.lines or ())]
        timed = [b"t:" + all_lines[i] for i in sorted(_lines_in_time_range(all_lines, *self.time_range))] if self.time_range else []
        return b"".join(numbered + timed)

    def to_json(self) -> dict[str, object]:
        return {
            "lines": sorted(self.lines) if self.lines is not None else None,
            "time_range": list(self.time_range) if self.time_range is not None else None,
        }


def _lines_in_time_range(lines: list[bytes], start: float, end: float) -> set[int]:
    """Hit objects and timing points inside [start, end]; the red and green line in effect and the last
    object before start; the [Difficulty] lines."""
    picked: set[int] = set()
    section = b""
    last_red: int | None = None
    last_green: int | None = None
    last_object: int | None = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if line.startswith(b"[") and line.endswith(b"]"):
            section = line[1:-1]
            continue
        if line and section == b"Difficulty":
            picked.add(i)
        if not line or line.startswith(b"//") or section not in (b"HitObjects", b"TimingPoints"):
            continue
        fields = line.split(b",")
        try:
            t = float(fields[2] if section == b"HitObjects" else fields[0])
        except (IndexError, ValueError):
            continue  # a malformed line: not part of any time range
        if start <= t <= end:
            picked.add(i)
        elif section == b"HitObjects" and t < start:
            last_object = i
        elif section == b"TimingPoints" and t < start:
            if len(fields) > 6 and fields[6].strip() == b"0":
                last_green = i
            else:
                last_red = i
    picked |= {i for i in (last_red, last_green, last_object) if i is not None}
    return picked


@dataclass(frozen=True)
class Provenance:
    """What produced an edit. `ai` content is unrankable and must be disclosed to the mapper."""

    ai: bool
    task: str  # e.g. "remap", "hitsound", "restore"
    model: str | None = None  # model source (hub id or folder) for AI edits
    summary: str = ""  # what was produced, e.g. "12 hit objects in 01:02:345-01:10:000"


@dataclass(frozen=True)
class Edit:
    """A change to one file: `apply` maps old bytes to new bytes (deterministic; raise to refuse).

    `derived`: the edit is derived from the content it applies to and redone on the next save (the findings
    as bookmarks), so it is not kept as the edit to re-apply (`dropped_edit`, `reapply` keep pointing at
    maid's last real edit) and a conflict keeps no pending copy (a newer save brings a newer edit)."""

    apply: Callable[[bytes], bytes]
    region: Region
    provenance: Provenance
    job: str = "user"
    derived: bool = False


@dataclass(frozen=True)
class Retention:
    """Backups kept per file: the newest `count`, none older than `days` (the newest always stays)."""

    count: int = 100
    days: float = 30.0


@dataclass(frozen=True)
class Backup:
    path: Path
    original_name: str
    created: datetime
    code: str  # why it was taken: "write", "derived" (before a derived edit), "restore" or "undo"
    size: int


@dataclass(frozen=True)
class WriteResult:
    path: Path
    changed: bool  # False when the edit produced the bytes already on disk (nothing written)
    rebased: bool
    backup: Path | None
    sha256_before: str
    sha256_after: str
    journal: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class LastWrite:
    """maid's last edit of a file, kept (in memory) so that it can be re-applied when a save drops it."""

    edit: Edit
    before: Snapshot  # the file as the edit found it
    result: WriteResult
    region_after: bytes  # the edit's region as written


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class WriteBack:
    """Backups, atomic writes, undo and the journal for every file maid writes.

    Thread-safe: writes to one file are serialised by a per-file lock; call from worker threads (it
    fsyncs, so keep it off the event loop).
    """

    def __init__(self, backup_root: Path, retention: Retention = Retention()) -> None:
        self.backup_root = Path(backup_root)
        self.pending_root = self.backup_root / "pending"
        self.journal_path = self.backup_root / "journal.jsonl"
        self.retention = retention
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._own: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._own_stats: OrderedDict[tuple[int, ...], None] = OrderedDict()
        self._last_writes: dict[str, LastWrite] = {}  # per file: maid's last edit, to re-apply when a save drops it

    # ---- reading ---------------------------------------------------------------------------

    def read(self, path: Path) -> Snapshot:
        """The file as a job should see it: once nobody is writing it (see `_read_settled`)."""
        path = Path(path)
        data, _ = self._read_settled(path)
        return Snapshot(path, data, sha256(data))

    def is_own_write(self, path: Path, sha: str) -> bool:
        """True when `path` with content hash `sha` was written by maid (the watcher ignores those)."""
        with self._locks_guard:
            return (_key(Path(path)), sha) in self._own

    # ---- writing ---------------------------------------------------------------------------

    def write(self, snapshot: Snapshot, edit: Edit) -> WriteResult:
        """Apply `edit` to the file `snapshot` was read from, rebasing onto a newer save if it can."""
        path = snapshot.path
        with self._file_lock(path):
            for _ in range(CHANGED_RETRIES):
                current, seen = self._read_settled(path)
                rebased = False
                if sha256(current) == snapshot.sha256:
                    new = _apply(edit, snapshot.data, path)
                elif edit.region.content(current) == edit.region.content(snapshot.data):
                    try:
                        new = _apply(edit, current, path)
                    except WriteBackError as exc:  # the edit refused the newer version: a conflict
                        self._conflict(snapshot, edit, f"the edit could not be re-applied onto the newer save ({exc.__cause__})")
                    rebased = True
                else:
                    self._conflict(snapshot, edit, "the part this edit changes was edited meanwhile")
                try:
                    result = self._replace(path, current, seen, new, "derived" if edit.derived else "write", edit.job,
                                           edit.region, edit.provenance, rebased)
                except _ChangedMeanwhile:
                    continue  # saved again between our read and the rename: start over from the new save
                if result.changed and not edit.derived:
                    with self._locks_guard:
                        self._last_writes[_key(path)] = LastWrite(edit, Snapshot(path, current, result.sha256_before), result, edit.region.content(new))
                return result
            raise _keeps_changing(path)

    def create(self, path: Path, data: bytes, job: str, provenance: Provenance) -> WriteResult:
        """Write a NEW file (a guest difficulty, say) at `path`, or at `name (2).osu`, `name (3).osu`, ... when
        that is taken: never over an existing file. Complete before it appears under its name; journaled."""
        path = Path(path)
        with self._file_lock(path.parent / ".maid-create"):
            tmp = path.parent / f"{TEMP_PREFIX}new-{os.getpid()}-{os.urandom(4).hex()}.tmp"
            try:
                _write_new_file(tmp, data)
            except OSError as exc:
                raise _explain(exc, path, f"writing {path}") from exc
            try:
                target = self._link_free_name(tmp, path)
            finally:
                _unlink_quietly(tmp)
        _fsync_folder(target.parent)
        after = sha256(data)
        with self._locks_guard:
            self._own[(_key(target), after)] = None
        entry = {
            "time": datetime.now(timezone.utc).isoformat(), "kind": "create", "file": str(target), "backup": None, "job": job,
            "sha256_before": None, "sha256_after": after, "rebased": False, "region": Region().to_json(),
            "provenance": dataclasses.asdict(provenance),
        }  # fmt: skip
        try:
            self.journal_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _explain(exc, target, f"creating the journal's folder {self.journal_path.parent}", written=True) from exc
        self._append_journal(entry, target)
        return WriteResult(target, True, False, None, "", after, entry)

    @staticmethod
    def _link_free_name(tmp: Path, wanted: Path) -> Path:
        """Give the complete `tmp` the first free name of `wanted`, `wanted (2)`, ... (a hard link fails on a taken name)."""
        for n in range(1, 1000):
            target = wanted if n == 1 else wanted.with_name(f"{wanted.stem} ({n}){wanted.suffix}")
            try:
                os.link(tmp, target)
                return target
            except FileExistsError:
                continue
            except OSError as exc:
                raise _explain(exc, wanted, f"creating {target}") from exc
        raise WriteBackError(wanted, f"no free name for {wanted} (999 taken); nothing was written")

    def dropped_edit(self, path: Path, saved: bytes) -> LastWrite | None:
        """maid's last write to `path` when `saved` (a later save) dropped it: the editor saved its older
        in-memory map without reloading, so the edit's region is back to what it was before the write."""
        with self._locks_guard:
            last = self._last_writes.get(_key(Path(path)))
        if last is None or sha256(saved) == last.result.sha256_after:
            return None
        region = last.edit.region.content(saved)
        return last if region == last.edit.region.content(last.before.data) != last.region_after else None

    def reapply(self, path: Path) -> WriteResult:
        """Write maid's last edit of `path` again onto the file as it is now (after a save dropped it)."""
        path = Path(path)
        with self._locks_guard:
            last = self._last_writes.get(_key(path))
        if last is None:
            raise NoSuchBackup(path, f"nothing to re-apply to {path}: maid has not written it since it started")
        return self.write(last.before, last.edit)  # the region is unchanged since `before`: this rebases

    def restore(self, path: Path, backup: Path, job: str = "user") -> WriteResult:
        """Put the bytes of `backup` back into `path`; the current file is backed up first."""
        return self._restore(Path(path), Path(backup), "restore", job)

    def undo(self, path: Path, job: str = "user") -> WriteResult:
        """Restore the newest backup not yet undone to (skipping backups taken by undo itself and those
        equal to the file now), so that repeated undos step further back. The current file is backed
        up first."""
        path = Path(path)
        current = sha256(_read(path))
        undone = {e.get("restored") for e in self.journal() if e.get("kind") == "undo" and e.get("file") == str(path)}
        for backup in self.list_backups(path):
            if backup.code != "undo" and str(backup.path) not in undone and sha256(_read(backup.path)) != current:
                return self._restore(path, backup.path, "undo", job)
        raise NoSuchBackup(path, f"nothing to undo for {path}: no backup differs from the file as it is now")

    def list_backups(self, path: Path) -> list[Backup]:
        """Backups of `path`, newest first."""
        path = Path(path)
        folder = self._mapset_folder(path)
        suffix = "__" + _backup_file_name(path.name)
        found = []
        for entry in folder.glob("*") if folder.is_dir() else ():
            m = BACKUP_NAME.match(entry.name)
            if m and entry.name.endswith(suffix) and entry.is_file():
                created = datetime.strptime(m["time"], BACKUP_TIME_FORMAT).replace(tzinfo=timezone.utc)
                found.append(Backup(entry, path.name, created, m["code"], entry.stat().st_size))
        return sorted(found, key=lambda b: (b.created, b.path.name), reverse=True)

    def journal(self) -> list[dict[str, object]]:
        """The entries of the current journal, oldest first (a torn last line from a crash is skipped).
        Past JOURNAL_ROTATE_BYTES it is renamed to "journal <time>.jsonl" beside it and a new one begins."""
        if not self.journal_path.exists():
            return []
        entries = []
        for line in self.journal_path.read_bytes().splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
        return entries

    # ---- internals -------------------------------------------------------------------------

    def _restore(self, path: Path, backup: Path, code: str, job: str) -> WriteResult:
        if not backup.is_file() or backup.parent.resolve() != self._mapset_folder(path).resolve():
            raise NoSuchBackup(path, f"{backup} is not a backup of {path}; see `maid backups list {path}`")
        with self._file_lock(path):
            with self._locks_guard:
                self._last_writes.pop(_key(path), None)  # a restore is not an edit to re-apply
            new = _read(backup)
            provenance = Provenance(ai=False, task=code, summary=f"restored {backup.name}")
            for _ in range(CHANGED_RETRIES):
                current, seen = self._read_settled(path)
                try:
                    return self._replace(path, current, seen, new, code, job, Region(), provenance, False, restored=backup)
                except _ChangedMeanwhile:
                    continue
            raise _keeps_changing(path)

    def _read_settled(self, path: Path) -> tuple[bytes, tuple[int, ...]]:
        """The file's bytes once nobody is writing it: unchanged while we read it, and not modified in
        the last QUIET_S unless that modification was our own write. osu! saves in place, so a read
        during its save would see a truncated file."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            before = _stat_signature(path)
            with self._locks_guard:
                ours = before in self._own_stats
            age = time.time() - before[3] / 1e9
            if ours or not 0 <= age < QUIET_S:  # a future mtime (clock skew, unpacked archives) is not a save in progress
                data = _read(path)
                if _stat_signature(path) == before and len(data) == before[2]:
                    return data, before
            time.sleep(QUIET_S / 5)
        raise _keeps_changing(path)

    def _conflict(self, snapshot: Snapshot, edit: Edit, why: str) -> NoReturn:
        pending: Path | None = None
        try:
            if not edit.derived:  # a derived edit is redone on the next save: no pending copy
                result = edit.apply(snapshot.data)
                pending = self._store_copy(self.pending_root / self._mapset_folder(snapshot.path).name, snapshot.path, result, "pending")
        except Exception:  # keeping the pending copy is best effort; the conflict is the news
            pending = None
        kept = f" The edit's result was kept at {pending}." if pending else ""
        raise WriteConflict(
            snapshot.path,
            f"{snapshot.path} changed since the job read it and {why}; nothing was written.{kept} "
            "Run the job again on the saved file.",
            pending,
        )

    def _replace(
        self,
        path: Path,
        current: bytes,
        seen: tuple[int, ...],
        new: bytes,
        code: str,
        job: str,
        region: Region,
        provenance: Provenance,
        rebased: bool,
        restored: Path | None = None,
    ) -> WriteResult:
        before, after = sha256(current), sha256(new)
        if new == current:
            return WriteResult(path, False, rebased, None, before, after)
        _refuse_read_only(path)
        backup = self._store_copy(self._mapset_folder(path), path, current, code)
        own = (_key(path), after)
        with self._locks_guard:  # before the rename: the watcher may see the new file at once
            self._own[own] = None
        try:
            _atomic_replace(path, new, seen)
        except BaseException:
            _unlink_quietly(backup)  # no write happened: the backup would only confuse undo
            with self._locks_guard:
                self._own.pop(own, None)
            raise
        with self._locks_guard:
            self._own_stats[_stat_signature(path)] = None
            for remembered in (self._own, self._own_stats):
                while len(remembered) > OWN_WRITES_REMEMBERED:
                    remembered.popitem(last=False)
        entry = {
            "time": datetime.now(timezone.utc).isoformat(),
            "kind": code,
            "file": str(path),
            "backup": str(backup),
            "job": job,
            "sha256_before": before,
            "sha256_after": after,
            "rebased": rebased,
            "region": region.to_json(),
            "provenance": dataclasses.asdict(provenance),
        }
        if restored is not None:
            entry["restored"] = str(restored)
        self._append_journal(entry, path)
        self._prune(path)
        return WriteResult(path, True, rebased, backup, before, after, entry)

    def _store_copy(self, folder: Path, original: Path, data: bytes, code: str) -> Path:
        """Write `data` durably as a timestamped copy of `original` inside `folder`. The copy appears
        under its name only once complete (a crash leaves a ".partial" file, never a truncated backup)."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _explain(exc, original, f"creating the backup folder {folder}") from exc
        stamp = datetime.now(timezone.utc).strftime(BACKUP_TIME_FORMAT)
        name = _backup_file_name(original.name)
        partial = folder / f".{os.getpid()}-{os.urandom(4).hex()}{PARTIAL_SUFFIX}"
        try:
            _write_new_file(partial, data)
        except OSError as exc:
            raise _explain(exc, original, f"writing a backup into {folder}") from exc
        for n in range(1000):
            target = folder / (f"{stamp}{'' if n == 0 else f'-{n}'}_{code}__{name}")
            if target.exists():
                continue  # copies are named under the per-file lock, so the name stays free until the rename
            try:
                os.replace(partial, target)
            except OSError as exc:
                _unlink_quietly(partial)
                raise _explain(exc, original, f"naming the backup {target}") from exc
            _fsync_folder(folder)
            return target
        _unlink_quietly(partial)
        raise WriteBackError(original, f"could not name a backup of {original} in {folder}; the original is untouched")

    def _append_journal(self, entry: dict[str, object], path: Path) -> None:
        """The write already happened; a journal failure is reported but cannot undo it."""
        # Undecodable file names (lone surrogates) become \udcXX escapes: still valid JSON, still UTF-8.
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")
        try:
            if self.journal_path.exists() and self.journal_path.stat().st_size > JOURNAL_ROTATE_BYTES:
                stamp = datetime.now(timezone.utc).strftime(BACKUP_TIME_FORMAT)
                os.replace(self.journal_path, self.journal_path.with_name(f"journal {stamp}.jsonl"))
            fd = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o644)
            try:
                _write_all(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise _explain(exc, path, f"appending to the journal {self.journal_path}", written=True) from exc

    def prune_all(self) -> int:
        """Apply the retention to the backups and pending edits of every file, also of maps deleted or
        renamed since, and remove copies a crash interrupted (the daemon runs it at start, as the only
        writer); returns how many files were removed."""
        if not self.backup_root.is_dir():
            return 0
        pending = [d for d in self.pending_root.iterdir() if d.is_dir()] if self.pending_root.is_dir() else []
        groups: dict[tuple[Path, str, bool], list[tuple[datetime, Path]]] = {}
        stale = 0
        for folder in [d for d in self.backup_root.iterdir() if d.is_dir() and d != self.pending_root] + pending:
            for entry in folder.iterdir():
                if entry.name.endswith(PARTIAL_SUFFIX):  # a copy a crash interrupted (one daemon at a time: none is live)
                    _unlink_quietly(entry)
                    stale += 1
                    continue
                m = BACKUP_NAME.match(entry.name)
                if m and entry.is_file():
                    created = datetime.strptime(m["time"], BACKUP_TIME_FORMAT).replace(tzinfo=timezone.utc)
                    groups.setdefault((folder, m["name"], m["code"] == "derived"), []).append((created, entry))
        return stale + sum(self._apply_retention(sorted(copies, reverse=True), derived)
                           for (_, _, derived), copies in groups.items())

    def _prune(self, path: Path) -> None:
        backups = self.list_backups(path)
        for derived in (False, True):
            self._apply_retention([(b.created, b.path) for b in backups if (b.code == "derived") == derived], derived)

    def _apply_retention(self, newest_first: list[tuple[datetime, Path]], derived: bool) -> int:
        """Delete the copies past the retention (derived: past DERIVED_KEPT) of one file; the newest stays."""
        cutoff = datetime.now(timezone.utc).timestamp() - self.retention.days * 86400
        count = min(DERIVED_KEPT, self.retention.count) if derived else self.retention.count
        expired = [path for i, (created, path) in enumerate(newest_first) if i > 0 and (i >= count or created.timestamp() < cutoff)]
        for path in expired:
            _unlink_quietly(path)
        return len(expired)

    def _mapset_folder(self, path: Path) -> Path:
        parent = path.resolve().parent
        digest = hashlib.sha1(str(parent).encode("utf-8", "surrogateescape")).hexdigest()[:8]
        return self.backup_root / f"{parent.name[:100]}-{digest}"

    @contextmanager
    def _file_lock(self, path: Path) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(_key(path), threading.Lock())
        with lock:
            yield


class _ChangedMeanwhile(Exception):
    """The file was saved again between our read and our rename; nothing was replaced."""


def _keeps_changing(path: Path) -> WriteBackError:
    return WriteBackError(path, f"{path} keeps changing (is the editor saving it right now?); nothing was written. Try again in a moment.")


def _stat_signature(path: Path) -> tuple[int, ...]:
    """(inode, device, size, mtime ns, ctime ns): changes whenever the file is written or replaced."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _explain(exc, path, f"reading {path}") from exc
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _key(path: Path) -> str:
    return os.path.normcase(str(path.resolve()))


def _apply(edit: Edit, data: bytes, path: Path) -> bytes:
    try:
        new = edit.apply(data)
    except Exception as exc:
        raise WriteBackError(path, f"the edit for {path} failed before anything was written: {exc}") from exc
    if not isinstance(new, bytes):
        raise WriteBackError(path, f"the edit for {path} returned {type(new).__name__}, not bytes; nothing was written")
    return new


def _backup_file_name(name: str) -> str:
    """`name`, shortened with a hash when the timestamped backup name would be too long."""
    if len(name.encode("utf-8", "surrogateescape")) <= MAX_NAME_BYTES - 40:
        return name
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    stem = name.encode("utf-8", "surrogateescape")[: MAX_NAME_BYTES - 60].decode("utf-8", "ignore")
    return f"{stem}~{digest}{Path(name).suffix}"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _explain(exc, path, f"reading {path}") from exc


def _refuse_read_only(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise _explain(exc, path, f"reading {path}") from exc
    if not mode & stat.S_IWUSR:
        raise WriteBackError(path, f"{path} is marked read-only; nothing was written. Clear the read-only flag to let maid edit it.")


def _atomic_replace(path: Path, data: bytes, seen: tuple[int, ...]) -> None:
    """Temp file in the same folder, fsync, os.replace, fsync the folder; the temp never outlives an
    error. Raises _ChangedMeanwhile (nothing replaced) when `path` no longer has the stat `seen`. A
    symlinked .osu keeps its link: the file it points to is replaced."""
    path = Path(os.path.realpath(path))
    folder = path.parent
    prefix = f"{TEMP_PREFIX}{hashlib.sha1(path.name.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}-"
    for stale in folder.glob(f"{prefix}*.tmp"):
        _unlink_quietly(stale)  # left by a crash; writes to one file are serialised, so none is live
    tmp = folder / f"{prefix}{os.getpid()}-{os.urandom(4).hex()}.tmp"
    try:
        _write_new_file(tmp, data)
        try:
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        except OSError:
            pass  # keeping the mode is a courtesy; the content is what matters
        if _stat_signature(path) != seen:
            raise _ChangedMeanwhile
        os.replace(tmp, path)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise _explain(exc, path, f"writing {path}") from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_folder(folder)


def _write_new_file(path: Path, data: bytes) -> None:
    """Create `path` (it must not exist), write all of `data` and fsync; remove it again on any error."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(path)
        raise
    os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_folder(folder: Path) -> None:
    """Make a rename or a new entry durable. Best effort: Windows cannot open a folder, and some file
    systems refuse fsync on one; the rename itself has already happened atomically."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _explain(exc: OSError, path: Path, doing: str, written: bool = False) -> WriteBackError:
    """A WriteBackError naming the file, what failed and what to do."""
    hints = {
        errno.ENOSPC: "the disk is full; free some space and run it again",
        errno.EDQUOT: "the disk quota is exhausted; free some space and run it again",
        errno.EROFS: "the folder is on a read-only file system; copy the mapset somewhere writable",
        errno.EACCES: "permission denied; check the file's and folder's permissions",
        errno.EPERM: "permission denied; check the file's and folder's permissions",
        errno.ENOENT: "the file or folder does not exist (moved or deleted?)",
    }
    hint = hints.get(exc.errno or 0, exc.strerror or str(exc))
    state = f"{path} WAS written; only its journal line is missing" if written else f"{path} is untouched"
    return WriteBackError(path, f"failed {doing}: {hint} [{errno.errorcode.get(exc.errno or 0, exc.errno)}]. {state}.")
