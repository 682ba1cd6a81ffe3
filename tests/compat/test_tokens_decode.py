"""Reverse direction: the fixture windows' token ids back to events (tokens/decode/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.events import Event, EventType
from engine.prompts import events_from_ids
from engine.tokenizer import EOS, Tokenizer
from tests.conftest import GOLDEN

CASES = sorted(GOLDEN.glob("tokens/decode/*.json")) if GOLDEN.exists() else []


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_events_after_decode(path: Path, golden_dir: Path) -> None:
    case = json.loads(path.read_text())
    source = json.loads((golden_dir / "tokens" / case["source"]).read_text())
    tok = Tokenizer.load(golden_dir / source["tokenizer"])
    window = next(w for w in source["windows"] if w["index"] == case["window_index"])
    assert window["frame_time_ms"] == case["frame_time_ms"]
    per_context = {c["context_type"]: c["token_ids"] for c in window["per_context"]}
    assert case["decoded"]
    for decoded in case["decoded"]:
        ids = per_context[decoded["context_type"]]
        expected = [Event(EventType(t), v) for t, v in decoded["events_after_decode"]]
        assert events_from_ids(tok, ids, case["frame_time_ms"]) == expected
        assert events_from_ids(tok, [*ids, EOS, *ids], case["frame_time_ms"]) == expected  # stops at EOS
