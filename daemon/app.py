"""Wiring and lifecycle of the daemon: settings, token, write-back, job queue and API server; the
single-instance lock, the discovery file and a clean shutdown on Ctrl+C, SIGTERM or `shutdown`.

The discovery file (user state dir) tells clients the port, the pid and how to get the token — never
the token itself — and exists only while the daemon serves. This module must never leave it behind
after a clean stop, and never start a second daemon beside a running one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import logging.handlers
import os
import signal
import sys
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from daemon.api.client import discover
from daemon.api.methods import RELOAD_HINT, RequestContext, Services, apply_live_settings, publish_findings, rpc, warn_if_dropped
from daemon.api.server import ApiServer, ServerOptions
from daemon.automod import AutoMod
from daemon.bookmarks import MIRROR_JOB, SIDECAR_NAME, BookmarkMirror, BookmarkStore, BookmarkWrite
from daemon.config import Paths, Settings, write_text_atomically
from daemon.editor import start_editor_link
from daemon.jobs import Hold, JobQueue
from daemon.models import ModelManager
from daemon.secrets import Token, ensure_api_token
from daemon.songs_folder import find_songs_folder
from daemon.watcher import SavedFile, WatchOptions, Watcher, in_loop
from daemon.writeback import Retention, WriteBack

log = logging.getLogger("maid")


def maid_version() -> str:
    try:
        return version("maid")
    except PackageNotFoundError:
        return "0+unknown"


class AlreadyRunning(Exception):
    """Another daemon holds the single-instance lock."""


@dataclass
class Daemon:
    services: Services
    server: ApiServer
    token: Token
    _idle_unloader: asyncio.Task[None] | None = None
    _warm_start: asyncio.Task[None] | None = None

    async def start(self) -> int:
        await self._clear_leftover_bookmarks()
        port = await self.server.start()
        try:
            removed = await asyncio.to_thread(self.services.writeback.prune_all)
            log.info("backups: %d expired copies removed from %s", removed, self.services.writeback.backup_root)
        except OSError as exc:  # housekeeping must never keep the daemon from starting
            log.warning("could not prune the backups in %s: %s", self.services.writeback.backup_root, exc)
        self._idle_unloader = asyncio.create_task(self.services.models.unload_when_idle(), name="maid-model-idle")
        songs = await asyncio.to_thread(find_songs_folder, self.services.settings, self.services.paths)
        self.services.songs_folder, self.services.songs_folder_source = songs.path, songs.source
        log.info("%s", songs.note)
        self.services.watcher = self._watcher()
        if self.services.watcher is not None:
            await asyncio.to_thread(self.services.watcher.start)
        start_editor_link(self.services, self.server.broadcast)
        _write_discovery(self.services.paths, port, self.token)
        log.info("maid %s listening on ws://127.0.0.1:%d/ (pid %d)", self.services.version, port, os.getpid())
        if self.services.settings.load_model_at_start:
            self._warm_start = asyncio.create_task(self._load_model(), name="maid-model-start")
        return port

    async def _clear_leftover_bookmarks(self) -> None:
        """`bookmark_findings` off while the sidecar still names files the mirror wrote (switched off while the
        daemon was not running): take maid's bookmarks out of them as switching off live does, before a save or
        a client can switch it on again. Failures are logged, never raised; their files stay in the sidecar,
        so the next start tries again."""
        mirror = self.services.automod.bookmarks
        if self.services.settings.bookmark_findings or mirror is None:
            return
        written = await asyncio.to_thread(mirror.clear_all)
        if written:
            failed = sum(w.error is not None for w in written)
            log.info("bookmark_findings is off: maid's bookmarks taken out of %d files it had marked while it was on%s",
                     len(written) - failed, f"; {failed} could not be (see above); the next start tries again" if failed else "")

    async def _load_model(self) -> None:
        """`load_model_at_start`: load and warm up the configured model now; a missing model is only logged."""
        from daemon.models import ModelError

        s = self.services.settings
        try:
            await self.services.models.ensure(s.model_source, s.device, s.dtype)
        except ModelError as exc:
            log.warning("the model was not loaded at start: %s", exc)

    async def stop(self) -> None:
        self.services.paths.discovery_file.unlink(missing_ok=True)
        if self.services.watcher is not None:
            await asyncio.to_thread(self.services.watcher.stop)
        await self.server.stop()
        for task in (self._idle_unloader, self._warm_start):
            if task is not None:
                task.cancel()
        self.services.automod.close()
        await self.services.jobs.close()
        log.info("maid stopped")

    def _watcher(self) -> Watcher | None:
        """Watch the Songs folder's recent mapsets (never the backup folder, never maid's own writes)."""
        s = self.services
        if s.songs_folder is None:
            return None
        return Watcher(
            in_loop(asyncio.get_running_loop(), self._on_saved),
            songs_dir=s.songs_folder,
            options=WatchOptions(ignored_folders=(s.writeback.backup_root,)),
            is_own_write=s.writeback.is_own_write,
        )

    def _on_saved(self, saved: SavedFile) -> None:
        """On the event loop, for each editor save: warn when it dropped maid's edit; auto-mod it when enabled and
        the user has not paused the daemon (daemon/pause: the queue's user hold)."""
        warn_if_dropped(self.server, self.services.writeback, saved)
        if self.services.settings.automod_on_save and Hold.USER not in self.services.jobs.holds:
            self.services.automod.submit(saved)


def user_writeback(paths: Paths, settings: Settings) -> WriteBack:
    """The write-back with the user's backups folder and retention: the daemon and the CLI's in-place writes
    share it, so `maid backups` and `backups/list` see the same backups and journal."""
    return WriteBack(settings.backups.folder or paths.data_dir / "backups",
                     Retention(settings.backups.keep_count, settings.backups.keep_days))


def build_daemon(paths: Paths, settings: Settings, options: ServerOptions | None = None,
                 overrides: dict[str, Any] | None = None) -> Daemon:
    """Everything the daemon owns, not started yet (call inside a running event loop). `overrides`: the
    command-line flags `settings` was loaded with; they stay in force when config/set reloads the file."""
    token = ensure_api_token(paths.config_dir)
    server: ApiServer | None = None
    writeback = user_writeback(paths, settings)
    jobs = JobQueue(lambda method, params: server.broadcast(method, params) if server else None)
    services = Services(
        version=maid_version(),
        paths=paths,
        settings=settings,
        writeback=writeback,
        jobs=jobs,
        models=ModelManager(jobs, lambda: services.settings.model_idle_unload_minutes),
        automod=AutoMod(lambda report: publish_findings(server, services, report) if server else None, jobs=jobs,
                        bookmarks=BookmarkMirror(writeback, BookmarkStore(paths.data_dir / SIDECAR_NAME)),
                        on_bookmarks=lambda written: announce_bookmarks(server, written) if server else None),
        watcher=None,
        shutdown=asyncio.Event(),
        started=time.time(),
        overrides={k: v for k, v in (overrides or {}).items() if v is not None},
    )
    services.models.on_change = lambda loaded: apply_live_settings(services)  # MaiMod on save while a model is loaded
    services.automod.mirror_bookmarks(settings.bookmark_findings)
    server = ApiServer(
        rpc,
        token.value,
        lambda srv, client: RequestContext(services, srv, client),
        options or ServerOptions(port=settings.port),
    )
    return Daemon(services, server, token)


def announce_bookmarks(server: ApiServer, written: BookmarkWrite) -> None:
    """Tell clients about one bookmark write: `file/written` when it changed the file (reload to see the
    bookmarks), `editor/action` with ok false when it failed."""
    if written.error is not None:
        server.broadcast("editor/action", {"action": "bookmark_findings", "ok": False, "step": "write", "message": written.error})
    elif written.result is not None and written.result.changed:
        server.broadcast("file/written", {"path": str(written.path), "backup": str(written.result.backup),
                                          "sha256After": written.result.sha256_after, "job": MIRROR_JOB, "ai": False,
                                          "reloadHint": RELOAD_HINT})


async def serve_until_shutdown(daemon: Daemon) -> None:
    """Start, wait for Ctrl+C / SIGTERM / the `shutdown` method, stop."""
    loop = asyncio.get_running_loop()
    if sys.platform != "win32":
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, daemon.services.shutdown.set)
    await daemon.start()
    try:
        await daemon.services.shutdown.wait()
    finally:
        await daemon.stop()


def run(paths: Paths, settings: Settings, overrides: dict[str, Any] | None = None) -> None:
    """`maid start`: hold the single-instance lock and serve in the foreground."""
    paths.state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(paths.lock_file)
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        holder = discover(paths)
        who = f"pid {holder.get('pid')}, port {holder.get('port')}" if holder else f"the lock {paths.lock_file}"
        raise AlreadyRunning(f"maid is already running ({who}); stop it with `maid stop`") from exc
    try:
        asyncio.run(serve_until_shutdown(build_daemon(paths, settings, overrides=overrides)))
    finally:
        lock.release()


def setup_logging(paths: Paths, verbose: bool = False) -> Path:
    """Console plus a rotating file in the user log dir; returns the log file."""
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    log_file = paths.log_dir / "maid.log"
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=1 << 20, backupCount=5, encoding="utf-8")
    console = logging.StreamHandler()
    for handler in (file_handler, console):
        handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [file_handler, console]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("websockets").setLevel(logging.WARNING)
    return log_file


def _write_discovery(paths: Paths, port: int, token: Token) -> None:
    record = {
        "pid": os.getpid(),
        "port": port,
        "url": f"ws://127.0.0.1:{port}/",
        "version": maid_version(),
        "started": time.time(),
        "token": f"not stored here: run `maid token` (kept in {token.source})",
        "subprotocol": "maid.jsonrpc",
    }
    paths.state_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomically(paths.discovery_file, json.dumps(record, indent=2))
