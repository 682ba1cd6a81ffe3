"""A child process for tests/daemon/test_writeback_faults.py: does write-backs, optionally with an
injected OS fault, and reports each completed write on stdout. Run as a script, never imported by tests.

    writeback_child.py loop <backups> <start> <stop> <file>...   write step i into file i % n
    writeback_child.py fault <mode> <backups> <file>              one write with a fault injected
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import daemon.writeback  # noqa: E402
from daemon.writeback import Edit, Provenance, Region, Retention, WriteBack, WriteBackError  # noqa: E402

MARK = b"// maid test step "
PROVENANCE = Provenance(ai=True, task="test", summary="fault test")


def step_version(data: bytes, step: int) -> bytes:
    """The file with its step marker (the last line, when present) replaced by `step`'s."""
    cut = data.rfind(MARK)
    return (data if cut < 0 else data[:cut]) + MARK + b"%d\r\n" % step


def loop(backups: Path, start: int, stop: int, files: list[Path]) -> None:
    # The previous child was killed a moment ago: its last writes look like saves in progress to a new
    # WriteBack, which would wait QUIET_S before each file's first write. This loop tests atomicity, not
    # that wait (test_editor_saving_while_jobs_write_is_never_overwritten does), so it skips it.
    daemon.writeback.QUIET_S = 0.0
    if os.environ.get("MAID_TEST_KILL_P"):
        kill_inside_syscalls(float(os.environ["MAID_TEST_KILL_P"]))
    wb = WriteBack(backups, Retention(count=10_000, days=365))
    for step in range(start, stop):
        path = files[step % len(files)]
        snapshot = wb.read(path)
        result = wb.write(snapshot, Edit(lambda b, s=step: step_version(b, s), Region(), PROVENANCE, job=f"step-{step}"))
        print(json.dumps({"step": step, "backup": str(result.backup) if result.backup else None, "before": result.sha256_before}), flush=True)


def kill_inside_syscalls(probability: float) -> None:
    """SIGKILL this process, with `probability`, right before or after any file system call the write-back
    makes: kills land inside each step of the protocol, not only between writes."""
    rng = random.Random(os.getpid())

    def wrap(name: str):  # type: ignore[no-untyped-def]
        real = getattr(os, name)

        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            if rng.random() < probability:
                os.kill(os.getpid(), signal.SIGKILL)
            result = real(*args, **kwargs)
            if rng.random() < probability:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return call

    for name in ("open", "write", "fsync", "replace", "unlink", "chmod"):
        setattr(os, name, wrap(name))


def inject(mode: str, songs: Path, backups: Path) -> None:
    """Make one kind of OS call fail the way a full disk or a read-only folder does."""
    real_open, real_write, real_fsync, real_replace = os.open, os.write, os.fsync, os.replace
    watched: dict[int, int] = {}  # fd -> bytes written so far

    def target(path: object) -> bool:
        where = backups if mode.endswith("backup") else songs
        return str(path).startswith(str(where)) and (mode.endswith("backup") or Path(str(path)).name.startswith(".maid-"))

    def fake_open(path, flags, mode_=0o777, *args, **kwargs):  # type: ignore[no-untyped-def]
        if mode in ("erofs", "eacces") and target(path) and flags & os.O_CREAT:
            raise OSError(errno.EROFS if mode == "erofs" else errno.EACCES, os.strerror(errno.EROFS if mode == "erofs" else errno.EACCES), str(path))
        fd = real_open(path, flags, mode_, *args, **kwargs)
        if target(path) and flags & os.O_CREAT:
            watched[fd] = 0
        return fd

    def fake_write(fd, data):  # type: ignore[no-untyped-def]
        if fd in watched and mode.startswith("enospc-write"):
            if watched[fd] > 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            n = real_write(fd, bytes(data)[:4096])  # a short write first, like a filling disk
            watched[fd] += n
            return n
        return real_write(fd, data)

    def fake_fsync(fd):  # type: ignore[no-untyped-def]
        if fd in watched and mode.startswith("enospc-fsync"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    def fake_replace(src, dst):  # type: ignore[no-untyped-def]
        if mode == "eacces-replace":
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(dst))
        return real_replace(src, dst)

    os.open, os.write, os.fsync, os.replace = fake_open, fake_write, fake_fsync, fake_replace  # type: ignore[assignment]


def fault(mode: str, backups: Path, path: Path) -> None:
    wb = WriteBack(backups)
    snapshot = wb.read(path)
    inject(mode, path.parent, backups)
    try:
        wb.write(snapshot, Edit(lambda b: step_version(b, 1), Region(), PROVENANCE))
    except WriteBackError as exc:
        print(json.dumps({"error": str(exc), "path": str(exc.path)}), flush=True)
    else:
        print(json.dumps({"error": None}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "loop":
        loop(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), [Path(p) for p in sys.argv[5:]])
    else:
        fault(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
