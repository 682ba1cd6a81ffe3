"""Reading the tokens/ fixtures (tests/compat/test_tokens_*.py): cases, their conditioning and contexts."""

from __future__ import annotations

import json
from pathlib import Path

from engine.events import ContextEvents, ContextType, Event, EventType
from engine.prompts import Conditioning
from tests.conftest import GOLDEN

CASES = sorted(GOLDEN.glob("tokens/v3*/*.json")) if GOLDEN.exists() else []


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def load_case(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def conditioning_from_fixture(cfg: dict) -> Conditioning:
    """The fixture's generation_config; "unknown" marks a descriptor id with no name, which is skipped."""
    return Conditioning(
        gamemode=cfg["gamemode"], difficulty=cfg["difficulty"], mapper_id=cfg["mapper_id"], year=cfg["year"],
        hitsounded=cfg["hitsounded"], circle_size=cfg["circle_size"], slider_multiplier=cfg["slider_multiplier"],
        keycount=cfg["keycount"], hold_note_ratio=cfg["hold_note_ratio"],
        scroll_speed_ratio=cfg["scroll_speed_ratio"],
        descriptors=tuple(d for d in cfg["descriptors"] or () if d != "unknown"),
        negative_descriptors=tuple(cfg["negative_descriptors"] or ()),
    )


def contexts_from_fixture(case: dict) -> list[ContextEvents]:
    return [
        ContextEvents(ContextType(c["context_type"]),
                      tuple(Event(EventType(t), v) for t, v, _ in c["events"]),
                      tuple(time for _, _, time in c["events"]))
        for c in case["contexts"]
    ]
