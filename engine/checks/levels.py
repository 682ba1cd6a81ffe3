"""Which difficulty level a .osu is meant to be (Mapset Verifier's "interpreted difficulty"), from its name.

Mapset Verifier matches the cleaned difficulty name (owner prefix such as `X's` and collab text removed)
against per-mode name lists and falls back to star rating. maid's engine computes no star rating, so a
name that matches no list leaves the level unknown and level-specific checks do not run on it (they never
guess a level).
"""

from __future__ import annotations

import re
from enum import IntEnum


class Level(IntEnum):
    EASY = 0
    NORMAL = 1
    HARD = 2
    INSANE = 3
    EXPERT = 4
    ULTRA = 5


_NAMES: dict[int, dict[Level, tuple[str, ...]]] = {
    0: {Level.EASY: ("beginner", "easy", "novice"), Level.NORMAL: ("basic", "normal", "medium", "intermediate"),
        Level.HARD: ("advanced", "hard"), Level.INSANE: ("hyper", "insane"),
        Level.EXPERT: ("expert", "extra", "extreme")},
    1: {Level.EASY: ("kantan",), Level.NORMAL: ("futsuu",), Level.HARD: ("muzukashii",), Level.INSANE: ("oni",),
        Level.EXPERT: ("inner oni", "ura oni"), Level.ULTRA: ("hell oni",)},
    2: {Level.EASY: ("cup",), Level.NORMAL: ("salad",), Level.HARD: ("platter",), Level.INSANE: ("rain",),
        Level.EXPERT: ("overdose", "deluge")},
    3: {Level.EASY: ("ez", "beginner", "beginning", "basic", "easy"), Level.NORMAL: ("nm", "normal", "novice"),
        Level.HARD: ("hd", "hard", "advanced", "hyper"),
        Level.INSANE: ("mx", "sc", "another", "exhaust", "insane", "lunatic"),
        Level.EXPERT: ("shd", "ex", "black another", "infinite", "gravity", "heavenly", "maximum", "extra",
                       "white another", "vivid", "exceed")},
}
_OWNER = re.compile(r"^.+?'s?\s+", re.IGNORECASE)
_COLLAB = re.compile(r"\s*[(\[].*?[)\]]\s*|\s*(?:collab|&|x\s).*$", re.IGNORECASE)


def owner_prefix(version: str) -> str | None:
    """`Alice's Insane` → `Alice` (the guest difficulty owner), None without a possessive prefix."""
    match = re.match(r"^(.+?)'s?\s", version)
    return match.group(1).strip() if match else None


def interpret_level(version: str, mode: int) -> Level | None:
    """The level a difficulty name asks for, matching the longest name first; None when no list names it."""
    name = _COLLAB.sub("", _OWNER.sub("", version.strip())).strip().lower()
    candidates = [(len(word), level) for level, words in _NAMES.get(mode, {}).items() for word in words
                  if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", name)]
    return max(candidates)[1] if candidates else None
