"""Mutated corpus files: nothing but OsuFormatError escapes, and whatever parses comes back byte for byte.

Mutations are byte/line level (delete, duplicate and swap lines, flip bytes, truncate, rewrite numbers,
insert junk), applied to small corpus files so that the suite stays fast; every typed view and derived
value is read, and one edit is applied to check that edited output parses again.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.osu import OsuFormatError, parse_beatmap
from engine.osu.derived import beat_snap, combos, end_time, mania_column, mania_key_count
from engine.osu.edits import set_value, update_hit_objects
from tests.conftest import corpus_files
from tests.osu.corpus import EXPECTED_FAILURES

SMALL = [path for path in corpus_files() if path.name not in EXPECTED_FAILURES and path.stat().st_size < 40_000]
NUMBER = re.compile(rb"-?\d+(?:\.\d+)?")
JUNK = st.binary(max_size=12) | st.sampled_from([b"\r", b"\n", b"\r\n", b"[", b"]", b"[HitObjects]\n", b":", b",",
                                                 b"|", b"//", b"\xff", b"\xef\xbb\xbf", b"NaN", b"1e400", b"\x00"])
NUMBERS = st.sampled_from([b"", b"-1", b"0", b"NaN", b"Infinity", b"1e400", b"99999999999", b"1,5", b"+3",
                           b"0.5", b"-0", b"1_0", b"\xd9\xa1", b"\xc2\xb2", b" 7 ", b"9" * 5000, b"1e-400",
                           b"0x10", b"1.", b".5", b"1e5"]) | st.integers(-10**12, 10**12).map(
    lambda n: str(n).encode())


def mutate(data: bytes, draw: st.DrawFn) -> bytes:
    lines = data.splitlines(keepends=True) or [b""]
    kind = draw(st.sampled_from(["delete", "duplicate", "swap", "flip", "truncate", "number", "junk"]))
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        blob = b"".join(lines)
        at = draw(st.integers(0, max(len(blob) - 1, 0)))
        if kind == "flip" and blob:
            blob = blob[:at] + bytes([blob[at] ^ draw(st.integers(1, 255))]) + blob[at + 1:]
        elif kind == "truncate":
            blob = blob[:at]
        elif kind == "number":
            found = list(NUMBER.finditer(blob))
            if found:
                match = found[draw(st.integers(0, len(found) - 1))]
                blob = blob[:match.start()] + draw(NUMBERS) + blob[match.end():]
        else:
            blob = blob[:at] + draw(JUNK) + blob[at:]
        return blob
    return b"".join(lines)


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SMALL)).read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        data = mutate(data, draw)
    return data


@pytest.mark.skipif(not SMALL, reason="the .osu corpus is not available")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_files())
def test_mutated_files_parse_losslessly_or_raise_osu_format_error(data: bytes) -> None:
    try:
        beatmap = parse_beatmap(data, "mutated.osu")
    except OsuFormatError as error:
        assert error.path == "mutated.osu" and error.message
        return
    assert beatmap.to_bytes() == data
    for problem in beatmap.problems:
        assert 1 <= problem.line_number <= len(beatmap.lines)
    keys = mania_key_count(beatmap)
    for obj in beatmap.hit_objects:
        end_time(beatmap, obj)
        beat_snap(beatmap.timing, obj.time)
        assert 0 <= mania_column(obj.x, keys) < keys
    combos(beatmap)
    edited = set_value(beatmap, "Metadata", "Version", "mutated")
    assert parse_beatmap(edited.to_bytes()).metadata.version == "mutated"
    if beatmap.hit_objects:
        moved = replace(beatmap.hit_objects[0], x=beatmap.hit_objects[0].x + 1)
        again = parse_beatmap(update_hit_objects(beatmap, [moved]).to_bytes())
        assert moved.x in [obj.x for obj in again.hit_objects]
