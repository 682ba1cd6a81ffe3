"""`python -m tray`: maid's tray icon as its own process (what `maid start` spawns in a desktop session).

Logs to `tray.log` beside the daemon's log. One tray per user (a lock in the state dir). Without a
desktop session it logs one line and exits 0: the daemon keeps running without a tray. It must never
stop the daemon except through the menu's "Quit maid".
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
import threading

from filelock import FileLock, Timeout

from daemon.app import maid_version
from daemon.config import Paths, user_paths
from tray.app import NoDesktop, TrayApp, load_pystray

log = logging.getLogger("tray")

STOP_GRACE_S = 3.0


def setup_logging(paths: Paths, verbose: bool) -> None:
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(paths.log_dir / "tray.log", maxBytes=1 << 20, backupCount=3, encoding="utf-8"),
        logging.StreamHandler(),
    ]
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(formatter)
    root.handlers[:] = handlers
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("websockets").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tray", description="maid's tray icon (a client of the running daemon).")
    parser.add_argument("--give-up-after", type=float, default=60.0, metavar="SECONDS",
                        help="quit when the daemon stays unreachable this long (default 60)")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    paths = user_paths()
    setup_logging(paths, args.verbose)
    try:
        pystray = load_pystray()
    except NoDesktop as exc:
        log.warning("no tray icon: %s; maid keeps running without one", exc)
        return 0
    paths.state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(paths.state_dir / "tray.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("a maid tray icon is already running (%s); this one exits", paths.state_dir / "tray.lock")
        return 0
    app = TrayApp(paths, pystray, give_up_s=args.give_up_after, version=maid_version())
    finished = threading.Event()
    threading.Thread(target=_exit_if_stuck, args=(app, finished, lock), name="maid-tray-watchdog", daemon=True).start()
    try:
        app.run()
    except KeyboardInterrupt:
        pass
    finally:
        finished.set()
        lock.release()
    log.info("tray stopped")
    return 0


def _exit_if_stuck(app: TrayApp, finished: threading.Event, lock: FileLock) -> None:
    """pystray's xorg loop sometimes misses the end of its window after `stop()` from another thread (the
    DestroyNotify never arrives) and would keep the process alive; end the process then."""
    app.stopping.wait()
    if not finished.wait(STOP_GRACE_S):
        log.warning("the icon's event loop did not stop within %g s; the tray exits", STOP_GRACE_S)
        lock.release()
        logging.shutdown()
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
