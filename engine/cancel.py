"""Stopping long engine work from another thread: one token protocol and one exception for every task.

Generation, super timing, hitsounding and MaiMod check the caller's token between windows (never inside a
forward pass), so a cancel takes effect within one window. A `threading.Event` is a token; so is
daemon.jobs' `CancelToken`. This module imports nothing heavy: the daemon imports it at start-up.
"""

from __future__ import annotations

from typing import Protocol


class CancelToken(Protocol):
    def is_set(self) -> bool: ...


class Cancelled(Exception):
    """The caller's cancel token was set; the work stopped between two windows and returned nothing."""


def raise_if_cancelled(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled
