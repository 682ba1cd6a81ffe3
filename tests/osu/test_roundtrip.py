"""Every corpus file comes back byte for byte, or fails with the clear error the table below expects."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.osu import OsuFormatError, parse_beatmap, read_beatmap
from engine.osu.document import _header_name, find_spans, sections_of
from engine.osu.lines import text as line_text
from tests.conftest import corpus_files
from tests.osu.corpus import EXPECTED_FAILURES, beatmap_of, golden_files, readable


@pytest.mark.parametrize("path", corpus_files() + golden_files(), ids=lambda p: p.name)
def test_corpus_file_round_trips_or_fails_clearly(path: Path) -> None:
    data = path.read_bytes()
    if path.name in EXPECTED_FAILURES:
        with pytest.raises(OsuFormatError) as raised:
            parse_beatmap(data, str(path))
        assert raised.value.path == str(path) and path.name in str(raised.value)
        return
    beatmap = parse_beatmap(data, str(path))
    assert beatmap.to_bytes() == data
    assert beatmap.bom == data.startswith(b"\xef\xbb\xbf")


def test_expected_failures_are_in_the_corpus(corpus_dir: Path) -> None:
    assert all((corpus_dir / name).exists() for name in EXPECTED_FAILURES)


def test_every_typed_view_reads_on_every_corpus_file(corpus_dir: Path) -> None:
    modes = set()
    for path in readable():
        beatmap = beatmap_of(path)
        beatmap.problems  # reads every view; raises nothing
        modes.add(beatmap.mode)
        assert beatmap.to_bytes() == path.read_bytes()
    assert modes == {0, 1, 2, 3}


# Corpus files osu! loads although some of their lines are skipped: name → (problems, a phrase of the first).
LOADABLE_WITH_PROBLEMS = {
    # no `osu file format` line (or a corrupted one): read as v14
    "486c-rosu-game__slider_two_ticks__df3807b9.osu": (1, "no 'osu file format vN' header"),
    "asherlr23-eternity-beatmap-database__beatmap__99596aff.osu": (1, "no 'osu file format vN' header"),
    "ppy-osu__adjacent-catmull-segments__24cd9c97.osu": (1, "no 'osu file format vN' header"),
    "ppy-osu__corrupted-header__2b5bafc3.osu": (1, "no 'osu file format vN' header"),
    "ppy-osu__missing-header__c103f8c2.osu": (1, "no 'osu file format vN' header"),
    "ppy-osu__out-of-range-difficulties-mania__214460f2.osu": (1, "no 'osu file format vN' header"),
    # slider control points beyond lazer's ±131072 coordinate limit (stable would read them)
    "Eddio0141-osu-file-parser__acid_rain__33ab5a64.osu": (5, "outside ±131072"),
    "Eddio0141-osu-file-parser__aspire23__87b7dca9.osu": (1, "outside ±131072"),
    "Eddio0141-osu-file-parser__aspire24__5708c759.osu": (1, "outside ±131072"),
    "Eddio0141-osu-file-parser__aspire7__75aaafb1.osu": (4, "outside ±131072"),
    "asherlr23-eternity-beatmap-database__DJ_Noriken_-_Stargazer_feat._YUC_e_PSYQUI_Remix_Hishiro_Chizuru_"
    "Starg-Azer_isn_t__a0b6e1ce.osu": (3, "outside ±131072"),
    # timing points at absurd times (1E+66, 1E+90 ms)
    "Eddio0141-osu-file-parser__aspire2__978bd385.osu": (112, "'1E+66' is outside ±2147483647"),
    "Eddio0141-osu-file-parser__aspire3__22f7dc1d.osu": (112, "'1E+66' is outside ±2147483647"),
    "asherlr23-eternity-beatmap-database__LeaF_-_Aleph-0_Pikaquim_Omega_1__0cb9ad79.osu": (3, "'1E+90'"),
    "asherlr23-eternity-beatmap-database__LeaF_-_Aleph-0_Pikaquim_Omega__f5c7a147.osu": (3, "'1E+90'"),
    # template placeholders and a hand-broken test file
    "OliBomby-Mapperatorinator__template__0b0120ab.osu": (7, "'$hp_drain_rate'"),
    "OliBomby-Mapperatorinator__template__0d105cbd.osu": (11, "'$preview_time'"),
    "OliBomby-Mapperatorinator__template__b12d110f.osu": (7, "'$hp_drain_rate'"),
    "Thetan-ILW-osu-parser-rs__broken__9d16c4dd.osu": (12, "HPDrainRate: not a number: 'five'"),
}


def test_exactly_the_known_broken_files_have_skipped_lines(corpus_dir: Path) -> None:
    found = {path.name: beatmap_of(path).problems for path in readable() if beatmap_of(path).problems}
    assert set(found) == set(LOADABLE_WITH_PROBLEMS)
    for name, (count, phrase) in LOADABLE_WITH_PROBLEMS.items():
        assert len(found[name]) == count and phrase in found[name][0].message, name


def test_missing_and_corrupted_headers_read_as_v14_with_a_problem(corpus_dir: Path) -> None:
    for name in ("ppy-osu__missing-header__c103f8c2.osu", "ppy-osu__corrupted-header__2b5bafc3.osu",
                 "asherlr23-eternity-beatmap-database__beatmap__99596aff.osu"):
        beatmap = read_beatmap(corpus_dir / name)
        assert beatmap.version == 14
        assert any("header" in problem.message for problem in beatmap.problems)


def test_template_placeholders_are_problems_not_errors(corpus_dir: Path) -> None:
    path = corpus_dir / "OliBomby-Mapperatorinator__template__0b0120ab.osu"
    beatmap = read_beatmap(path)
    placeholders = [p for p in beatmap.problems if "$" in p.line_text]
    assert placeholders and all(p.line_number >= 1 for p in placeholders)
    assert beatmap.difficulty.hp_drain_rate == 5.0  # the default stays where the value is a placeholder
    assert beatmap.to_bytes() == path.read_bytes()


def test_decimal_comma_reads_as_dotnet_does(corpus_dir: Path) -> None:
    beatmap = read_beatmap(corpus_dir / "Thetan-ILW-osu-parser-rs__broken__9d16c4dd.osu")
    assert beatmap.value("Difficulty", "SliderTickRate") == "1,337"
    assert beatmap.difficulty.slider_tick_rate == 1337.0


@pytest.mark.parametrize("data", [
    b"osu file format v14\r\n\r\n[General]\r\nMode: 1\r\n",
    b"osu file format v14\n[General]\nMode: 3",
    b"osu file format v14\r[General]\rMode: 2\r\r",
    b"osu file format v14\r\n[General]\nMode: 2\r[Metadata]\r\nTitle:\xff\xfe broken \xc3(\r\n",
    b"\xef\xbb\xbfosu file format v128\n[Metadata]\nTitle:\xe2\x80\xa8odd\x0bbreaks\x1c\x85\n",
    b"osu file format v9\n[Junk]\nwhatever: 1\n[HitObjects]\n  // comment\n1,2,3\nfoo\n",
    b"\n\n   \nosu file format v5\n",
])
def test_synthetic_files_round_trip(data: bytes) -> None:
    beatmap = parse_beatmap(data)
    assert beatmap.to_bytes() == data


def test_line_ends_are_exactly_crlf_lf_and_lone_cr() -> None:
    beatmap = parse_beatmap(b"osu file format v14\r\n[General]\nA: 1\rB: 2\x0bC: 3\xe2\x80\xa8")
    assert [line[-2:] for line in beatmap.lines[:3]] == [b"\r\n", b"]\n", b"1\r"]
    assert len(beatmap.lines) == 4  # \x0b and U+2028 are not line ends for osu!


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"[", b"]", b"\r", b"\n", b"\r\n", b"x", b" ", b"//", b"[General]", b"[A]"]),
                max_size=24))
def test_sections_start_at_each_header_line_whatever_the_line_ends(parts: list[bytes]) -> None:
    body = b"".join(parts)
    lines = body.splitlines(keepends=True)
    headers = [index for index, line in enumerate(lines)
               if line.startswith(b"[") and _header_name(line_text(line)) is not None]
    sections = sections_of(find_spans(body), len(lines))  # what a Beatmap of `body` holds
    assert [section.header for section in sections[1:]] == headers
    assert [(section.start, section.end) for section in sections] == \
        list(zip([0] + [index + 1 for index in headers], headers + [len(lines)], strict=True))


def test_unknown_sections_and_keys_are_kept_but_not_read() -> None:
    beatmap = parse_beatmap(b"osu file format v14\n[General]\nMode: 1\nFancy: yes\n[Junk]\nMode: 3\n")
    assert beatmap.mode == 1
    assert [section.name for section in beatmap.sections] == ["", "General", "Junk"]
    assert beatmap.value("General", "Fancy") == "yes"


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b" \r\n\t\n", "empty"),
    (b"osu file format vX\n[General]\n", "not an integer"),
    (b"osu file format v99999999999\n", "not an integer"),
    (b"\xff\xfeo\x00s\x00u\x00", "UTF-16"),
])
def test_unloadable_input_raises_osu_format_error(data: bytes, message: str) -> None:
    with pytest.raises(OsuFormatError, match=message) as raised:
        parse_beatmap(data, "some/map.osu")
    assert raised.value.path == "some/map.osu"
    assert "some/map.osu" in str(raised.value)


def test_error_names_line_number_and_text() -> None:
    with pytest.raises(OsuFormatError) as raised:
        parse_beatmap(b"\n\nosu file format v1x4\n", "a.osu")
    assert raised.value.line_number == 3
    assert raised.value.line_text == "osu file format v1x4"
    assert "a.osu:3" in str(raised.value)
