"""The check registry: every rule check is a small function registered here with its id and metadata.

A check is a generator over one difficulty (`Scope.DIFFICULTY`), the difficulties of one mapset
(`Scope.MAPSET`) or the mapset folder's files (`Scope.FILES`); it yields `Finding`s made with its
context's `flag(...)`, which fills in the check id, category, file and default severity. This module
holds no checks itself and never runs them (that is `engine.checks.runner`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from engine.findings import Finding, Severity

STANDARD, TAIKO, CATCH, MANIA = 0, 1, 2, 3
ALL_MODES = frozenset({STANDARD, TAIKO, CATCH, MANIA})


class Scope(str, Enum):
    DIFFICULTY = "difficulty"
    MAPSET = "mapset"
    FILES = "files"


CheckFunction = Callable[[Any], Iterator[Finding]]


@dataclass(frozen=True)
class CheckInfo:
    """What a check is: `severity` is the level its findings get unless a finding says otherwise."""

    id: str
    title: str
    modes: frozenset[int]
    scope: Scope
    severity: Severity
    category: str
    run: CheckFunction

    @property
    def doc(self) -> str:
        return (self.run.__doc__ or "").strip()


CHECKS: dict[str, CheckInfo] = {}


def check(id: str, title: str, *, category: str, severity: Severity, modes: frozenset[int] = ALL_MODES,
          scope: Scope = Scope.DIFFICULTY) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated generator as check `id` (ids are `<module>.<what>`, unique)."""

    def register(run: CheckFunction) -> CheckFunction:
        if id in CHECKS:
            raise ValueError(f"check id {id!r} is registered twice")
        CHECKS[id] = CheckInfo(id, title, frozenset(modes), scope, severity, category, run)
        return run

    return register
