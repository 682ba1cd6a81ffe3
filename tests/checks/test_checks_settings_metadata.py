"""Colour, settings and metadata checks: each flags a map made with the issue and not the map without it."""

from __future__ import annotations

import pytest

from tests.checks.maps import assert_flags_issue_only, base_map, flagged, parse

BASE = base_map()
META = ("Title:{title}\nTitleUnicode:{title_unicode}\nArtist:{artist}\nArtistUnicode:{artist}\nCreator:maid\n"
        "Source:\nTags:{tags}\nBeatmapID:0\nBeatmapSetID:-1")


def meta(title: str = "Test Song", artist: str = "Test Artist", tags: str = "electronic english",
         title_unicode: str | None = None, **kwargs: object) -> str:
    text = META.format(title=title, artist=artist, tags=tags, title_unicode=title if title_unicode is None else title_unicode)
    return base_map(metadata=text, **kwargs)  # type: ignore[arg-type]


def difficulty(**values: float) -> str:
    settings = {"HPDrainRate": 5, "CircleSize": 4, "OverallDifficulty": 6, "ApproachRate": 7} | values
    return "\n".join(f"{key}:{value}" for key, value in settings.items())


CASES: dict[str, tuple[str, str]] = {
    "colours.default-without-skin": (base_map(colours=""), base_map(colours="", extra_general="SkinPreference:Default\n")),
    "colours.luminosity": (base_map(colours="Combo1 : 20,20,20\nCombo2 : 64,160,255"), BASE),
    "colours.too-many": (base_map(colours="\n".join(f"Combo{i} : {100 + i},{120 + i},200" for i in range(1, 10))), BASE),
    "settings.abnormal-values": (base_map(difficulty=difficulty(OverallDifficulty=6.25)), BASE),
    "settings.tick-rate": (BASE.replace("SliderTickRate:1", "SliderTickRate:1.7"),
                           BASE.replace("SliderTickRate:1", "SliderTickRate:1.5")),
    "settings.slider-multiplier": (BASE.replace("SliderMultiplier:1.4", "SliderMultiplier:4"), BASE),
    "settings.stack-leniency": (BASE.replace("StackLeniency: 0.7", "StackLeniency: 1.5"), BASE),
    "settings.guidelines": (base_map(difficulty=difficulty(ApproachRate=9.5)), BASE),
    "metadata.genre-language-tags": (meta(tags="mapper_name"), BASE),
    "metadata.guest-mapper-tags": (meta(version="Alice's Insane"), meta(version="Alice's Insane",
                                                                          tags="electronic english alice")),
    "metadata.marker-format": (meta(artist="Singer ft. Rapper"), meta(artist="Singer feat. Rapper")),
    "metadata.marker-spacing": (meta(artist="Singerfeat. Rapper"), meta(artist="Singer (feat. Rapper)")),
    "metadata.title-markers": (meta(title="Song (TV Ver.)"), meta(title="Song (TV Size)")),
    "metadata.unicode-in-romanised": (meta(title="Sóng"), meta(title="Song", title_unicode="Sóng")),
    "metadata.mappers-guild": (meta(tags="electronic english mappers' guild"), BASE),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_flags_the_issue_and_not_the_clean_map(check_id: str) -> None:
    assert_flags_issue_only(check_id, *CASES[check_id])


def test_settings_decimals_name_the_key() -> None:
    [finding] = flagged(CASES["settings.abnormal-values"][0], "settings.abnormal-values")
    assert finding.message == "OverallDifficulty is 6.25; osu! shows one decimal."


def test_inconsistent_metadata_names_field_and_reference() -> None:
    easy = parse(meta(version="Normal"), "a.osu")
    hard = parse(meta(title="Test Song (Cut Ver.)", tags="english electronic extra"), "b.osu")
    findings = flagged([easy, hard], "metadata.inconsistent")
    messages = sorted(f.message for f in findings)
    assert messages == ["Tags differ from [Normal]: missing [], extra ['extra'].",
                        "Title Unicode is 'Test Song (Cut Ver.)' here but 'Test Song' in [Normal].",
                        "Title is 'Test Song (Cut Ver.)' here but 'Test Song' in [Normal]."]
    assert {f.file for f in findings} == {"b.osu"}
    assert not flagged([easy, parse(meta(tags="english electronic"), "c.osu")], "metadata.inconsistent")


def test_title_marker_only_in_one_title() -> None:
    findings = flagged(meta(title="Song (TV Size)", title_unicode="歌"), "metadata.title-markers")
    assert [f.message for f in findings] == ["'(TV Size)' is only in the title."]
