"""The Finding type: editor timestamps, osu:// links, severity order, JSON round trip."""

from __future__ import annotations

import json

from engine.findings import Finding, Fix, LineEdit, Severity, format_time
from tests.checks.maps import flagged, with_objects


def test_times_are_written_as_the_editor_writes_them() -> None:
    assert format_time(12345) == "00:12:345"
    assert format_time(61_000) == "01:01:000"
    assert format_time(123 * 60_000 + 4567) == "123:04:567"
    assert format_time(-1500) == "-00:01:500"
    assert format_time(999.6) == "00:01:000"


def test_timestamp_and_link_with_and_without_a_selection() -> None:
    base = Finding(check="x", severity=Severity.WARNING, category="Timing", message="m", start_ms=12345)
    assert base.timestamp == "00:12:345 - " and base.link == "osu://edit/00:12:345"
    picked = Finding(check="x", severity=Severity.WARNING, category="Timing", message="m", start_ms=12345,
                     selection=("1", "2", "3"))
    assert picked.timestamp == "00:12:345 (1,2,3) - " and picked.link == "osu://edit/00:12:345%20(1,2,3)"
    mania = Finding(check="x", severity=Severity.WARNING, category="Timing", message="m", start_ms=60000,
                    selection=("60000|0", "60000|3"))
    assert mania.timestamp == "01:00:000 (60000|0,60000|3) - "
    timeless = Finding(check="x", severity=Severity.INFO, category="Metadata", message="m")
    assert timeless.timestamp == "" and timeless.link == ""


def test_severities_are_ordered_by_importance() -> None:
    assert Severity.INFO < Severity.MINOR < Severity.WARNING < Severity.PROBLEM < Severity.ERROR
    assert sorted([Severity.PROBLEM, Severity.INFO, Severity.WARNING]) == [Severity.INFO, Severity.WARNING,
                                                                           Severity.PROBLEM]


def test_json_round_trip_keeps_every_field_and_the_id() -> None:
    finding = Finding(check="timing.unsnapped-objects", severity=Severity.PROBLEM, category="Timing",
                      message="Circle is unsnapped by +7.00 ms.", file="a.osu", difficulty="Hard",
                      start_ms=3507.0, end_ms=3507.0, objects=(5,), selection=("6",), suggestion="Resnap it.",
                      fix=Fix("Move the circle to 3500 ms.", (LineEdit(40, "1,2,3507,1,0", "1,2,3500,1,0"),)),
                      line=40)
    data = json.loads(json.dumps(finding.to_json()))
    assert data["timestamp"] == "00:03:507 (6) - " and data["severity"] == "problem"
    back = Finding.from_json(data)
    assert back == finding and back.id == finding.id == data["id"]
    maimod = Finding(check="maimod.rhythm", severity=Severity.WARNING, category="Rhythm", message="Unexpected hit object.",
                     source="maimod", score=14.5, start_ms=1000.0)
    assert Finding.from_json(maimod.to_json()) == maimod


def test_ids_are_stable_and_distinguish_findings() -> None:
    text = with_objects({5: "128,288,3507,1,0,0:0:0:0:", 9: "128,96,5503,1,0,0:0:0:0:"})
    first = [f.id for f in flagged(text, "timing.unsnapped-objects")]
    again = [f.id for f in flagged(text, "timing.unsnapped-objects")]
    assert first == again and len(set(first)) == 2
