"""The other maid process of tests/bookmarks/test_bookmark_lock.py: writes bookmarks into real maps through
the same sidecar as the test process, or holds the sidecar's lock until it is killed. Run as a script;
the test's own threads run `hammer` too.

    bookmarks_child.py hammer <sidecar> <backups> <rounds> <file>...   print "ready", wait for a line on stdin, then `hammer`
    bookmarks_child.py hold <sidecar>                                   take the sidecar's lock, print "held", sleep until killed
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from daemon.automod import rule_checks  # noqa: E402
from daemon.bookmarks import BookmarkStore, write_bookmarks  # noqa: E402
from daemon.writeback import Retention, WriteBack  # noqa: E402
from engine.findings import Finding  # noqa: E402


def findings_of(files: list[Path]) -> dict[Path, list[Finding]]:
    return {path: rule_checks(path, path.read_bytes()) for path in files}


def hammer(store: BookmarkStore, backups: Path, rounds: int, findings: dict[Path, list[Finding]]) -> None:
    """`rounds` times, for every file of `findings`: its findings as bookmarks, then maid's bookmarks out again
    (each a read-modify-write of the shared sidecar). The files must be this worker's alone."""
    writeback = WriteBack(backups, Retention(count=2, days=1))
    for _ in range(rounds):
        for path in findings:
            write_bookmarks(writeback, store, writeback.read(path), findings[path], job="maid bookmarks")
            write_bookmarks(writeback, store, writeback.read(path), [], job="maid bookmarks")


def hold(store: BookmarkStore) -> None:
    with store.locked():
        print("held", flush=True)
        time.sleep(600)


if __name__ == "__main__":
    command, sidecar = sys.argv[1], BookmarkStore(Path(sys.argv[2]))
    if command == "hammer":
        findings = findings_of([Path(p) for p in sys.argv[5:]])
        print("ready", flush=True)
        sys.stdin.readline()
        hammer(sidecar, Path(sys.argv[3]), int(sys.argv[4]), findings)
    else:
        hold(sidecar)
