"""[Metadata] checks over a mapset: inconsistent fields, genre/language/guest-mapper tags, the spelling and
spacing of artist markers (CV:, vs., feat.), title version markers, Unicode in romanised fields.

Each finding is reported once for the mapset (naming the first difficulty that shows it), not once per
difficulty. Word lists and rules are Mapset Verifier's (checks.md §1 "Metadata").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from engine.checks.context import DifficultyContext, MapsetContext
from engine.checks.levels import owner_prefix
from engine.checks.registry import Scope, check
from engine.findings import Finding, Severity

METADATA = "Metadata"
FIELDS = ("title", "title_unicode", "artist", "artist_unicode", "creator", "source")
GENRES = ("video game", "anime", "rock", "pop", "novelty", "hip hop", "electronic", "metal", "classical", "folk",
          "jazz")
LANGUAGES = ("english", "chinese", "french", "german", "italian", "japanese", "korean", "spanish", "swedish",
             "russian", "polish", "instrumental", "conlang", "hindi", "arabic", "portugese", "portuguese",
             "turkish", "vietnamese", "persian", "indonesian")


def distinct(ctx: MapsetContext, *fields: str) -> Iterator[DifficultyContext]:
    """One difficulty per distinct combination of these metadata fields (so a set reports each issue once)."""
    seen: set[tuple[str, ...]] = set()
    for difficulty in ctx.difficulties:
        key = tuple(getattr(difficulty.beatmap.metadata, name) for name in fields)
        if key not in seen:
            seen.add(key)
            yield difficulty


@check("metadata.inconsistent", "Inconsistent metadata", category=METADATA, severity=Severity.PROBLEM,
       scope=Scope.MAPSET)
def inconsistent(ctx: MapsetContext) -> Iterator[Finding]:
    """A metadata field, the tags (order and duplicates ignored) or the beatmap set id differing between
    difficulties (Problem). Compared against the first difficulty."""
    if len(ctx.difficulties) < 2:
        return
    reference = ctx.difficulties[0]
    ref = reference.beatmap.metadata
    for difficulty in ctx.difficulties[1:]:
        meta = difficulty.beatmap.metadata
        for name in FIELDS:
            if getattr(meta, name) != getattr(ref, name):
                yield ctx.flag(f"{name.replace('_', ' ').title()} is '{getattr(meta, name)}' here but "
                               f"'{getattr(ref, name)}' in [{reference.version}].", difficulty=difficulty,
                               suggestion="Make the metadata the same in every difficulty.")
        if set(meta.tag_list) != set(ref.tag_list):
            missing = sorted(set(ref.tag_list) - set(meta.tag_list))
            extra = sorted(set(meta.tag_list) - set(ref.tag_list))
            yield ctx.flag(f"Tags differ from [{reference.version}]: missing {missing}, extra {extra}.",
                           difficulty=difficulty, suggestion="Use the same tags in every difficulty.")
        if meta.beatmap_set_id != ref.beatmap_set_id:
            yield ctx.flag(f"BeatmapSetID {meta.beatmap_set_id} differs from [{reference.version}]'s "
                           f"{ref.beatmap_set_id}.", difficulty=difficulty,
                           suggestion="All difficulties must belong to one set; re-submit or fix the ids.")


def _has_phrase(tags: str, phrase: str) -> bool:
    return f" {phrase} " in f" {tags.lower()} "


@check("metadata.genre-language-tags", "Missing genre or language in tags", category=METADATA,
       severity=Severity.WARNING, scope=Scope.MAPSET)
def genre_language_tags(ctx: MapsetContext) -> Iterator[Finding]:
    """Tags without a genre word or without a language word (Warning each; lazer rates it a Problem — MV's
    level chosen)."""
    for difficulty in distinct(ctx, "tags"):
        tags = difficulty.beatmap.metadata.tags
        for what, words in (("genre", GENRES), ("language", LANGUAGES)):
            if not any(_has_phrase(tags, word) for word in words):
                yield ctx.flag(f"The tags name no {what}.", difficulty=difficulty,
                               suggestion=f"Add the song's {what} to the tags (e.g. {', '.join(words[:4])}).")


@check("metadata.guest-mapper-tags", "Missing guest mappers in tags", category=METADATA, severity=Severity.WARNING,
       scope=Scope.MAPSET)
def guest_mapper_tags(ctx: MapsetContext) -> Iterator[Finding]:
    """A difficulty named after someone (`X's Insane`) whose name is not in the tags (Warning)."""
    for difficulty in ctx.difficulties:
        meta = difficulty.beatmap.metadata
        owner = owner_prefix(meta.version)
        if owner is None or owner.lower() == meta.creator.lower():
            continue
        tags = {tag.lower() for tag in meta.tag_list}
        if owner.lower().replace(" ", "_") not in tags and not all(part in tags for part in owner.lower().split()):
            yield ctx.flag(f"'{owner}' mapped this difficulty but is not in the tags.", difficulty=difficulty,
                           suggestion=f"Add {owner.replace(' ', '_')} to the tags of every difficulty.")


# (wrong form, right form): the right form is the only one Mapset Verifier accepts.
MARKERS = (
    (re.compile(r"\bcv\b[.:]?", re.IGNORECASE), "CV:"),
    (re.compile(r"\b(?:vs|v\.s)\b\.?", re.IGNORECASE), "vs."),
    (re.compile(r"\b(?:feat|ft|featuring)\b\.?", re.IGNORECASE), "feat."),
)


def _romanised_and_unicode(difficulty: DifficultyContext) -> list[tuple[str, str]]:
    meta = difficulty.beatmap.metadata
    return [("Artist", meta.artist), ("Artist unicode", meta.artist_unicode), ("Title", meta.title),
            ("Title unicode", meta.title_unicode)]


@check("metadata.marker-format", "Incorrect marker format", category=METADATA, severity=Severity.PROBLEM,
       scope=Scope.MAPSET)
def marker_format(ctx: MapsetContext) -> Iterator[Finding]:
    """`CV:`, `vs.` and `feat.` spelled any other way (`cv.`, `VS`, `ft.`, `Feat.`…) in artist or title (Problem)."""
    for difficulty in distinct(ctx, "artist", "artist_unicode", "title", "title_unicode"):
        for name, value in _romanised_and_unicode(difficulty):
            for pattern, right in MARKERS:
                for match in pattern.finditer(value):
                    if match.group(0) != right:
                        yield ctx.flag(f"{name} '{value}' writes '{match.group(0)}'; the ranking criteria want "
                                       f"'{right}'.", difficulty=difficulty, suggestion=f"Write '{right}'.")


SPACING = re.compile(r"(?P<before>\S)?(?P<marker>CV:|vs\.|feat\.)(?P<after>\S)?")


@check("metadata.marker-spacing", "Incorrect marker spacing", category=METADATA, severity=Severity.PROBLEM,
       scope=Scope.MAPSET)
def marker_spacing(ctx: MapsetContext) -> Iterator[Finding]:
    """A marker glued to a letter or digit (`ArtistCV:`; Problem) or to another character (Warning); an
    opening parenthesis before it is fine."""
    for difficulty in distinct(ctx, "artist", "artist_unicode", "title", "title_unicode"):
        for name, value in _romanised_and_unicode(difficulty):
            for match in SPACING.finditer(value):
                neighbours = [c for c in (match.group("before"), match.group("after")) if c and c not in "()（）"]
                if neighbours:
                    alnum = any(c.isalnum() for c in neighbours)
                    yield ctx.flag(f"{name} '{value}': '{match.group('marker')}' needs a space around it.",
                                   difficulty=difficulty, severity=Severity.PROBLEM if alnum else Severity.WARNING,
                                   suggestion="Put a space before and after the marker.")


TITLE_MARKERS = {  # words that identify a marker → its only accepted spelling
    ("tv",): "(TV Size)", ("game", "ver"): "(Game Ver.)", ("short", "ver"): "(Short Ver.)",
    ("movie", "ver"): "(Movie Ver.)", ("cut", "ver"): "(Cut Ver.)", ("extended",): "(Extended Edit)",
    ("sped", "up", "cut"): "(Sped Up & Cut Ver.)", ("nightcore", "cut"): "(Nightcore & Cut Ver.)",
    ("sped", "up"): "(Sped Up Ver.)", ("nightcore",): "(Nightcore Mix)",
}
GROUP = re.compile(r"[(\[]([^()\[\]]{1,40})[)\]]")


def _title_marker(group: str) -> str | None:
    words = re.findall(r"[a-z]+", group.lower())
    for keys, marker in TITLE_MARKERS.items():
        if all(key in words for key in keys):
            return marker
    return None


@check("metadata.title-markers", "Incorrect title version markers", category=METADATA, severity=Severity.PROBLEM,
       scope=Scope.MAPSET)
def title_markers(ctx: MapsetContext) -> Iterator[Finding]:
    """A version marker spelled otherwise than the standard forms (`(TV Size)`, `(Game Ver.)`, `(Short Ver.)`,
    `(Cut Ver.)`, `(Sped Up Ver.)`, `(Nightcore Mix)`, …; Problem), present in only one of the romanised
    and Unicode title (Problem), or `(TV Size)` not at the end (Warning)."""
    for difficulty in distinct(ctx, "title", "title_unicode"):
        meta = difficulty.beatmap.metadata
        found: dict[str, set[str]] = {}
        for name, value in (("Title", meta.title), ("Title unicode", meta.title_unicode)):
            for match in GROUP.finditer(value):
                marker = _title_marker(match.group(1))
                if marker is None:
                    continue
                found.setdefault(marker, set()).add(name)
                if match.group(0) != marker:
                    yield ctx.flag(f"{name} '{value}' writes '{match.group(0)}'; the standard form is '{marker}'.",
                                   difficulty=difficulty, suggestion=f"Write '{marker}'.")
                elif marker == "(TV Size)" and not value.rstrip().endswith(marker):
                    yield ctx.flag(f"{name} '{value}': '(TV Size)' should come last.", difficulty=difficulty,
                                   severity=Severity.WARNING, suggestion="Move '(TV Size)' to the end.")
        for marker, names in found.items():
            if len(names) == 1 and meta.title_unicode and meta.title_unicode != meta.title:
                yield ctx.flag(f"'{marker}' is only in the {next(iter(names)).lower()}.", difficulty=difficulty,
                               suggestion="Use the marker in both the romanised and the Unicode title.")


@check("metadata.unicode-in-romanised", "Unicode in romanised fields", category=METADATA, severity=Severity.PROBLEM,
       scope=Scope.MAPSET)
def unicode_in_romanised(ctx: MapsetContext) -> Iterator[Finding]:
    """A character above code 127 in the romanised title, artist or creator (Problem) or in a difficulty name
    (Warning)."""
    for difficulty in distinct(ctx, "title", "artist", "creator"):
        meta = difficulty.beatmap.metadata
        for name, value in (("Title", meta.title), ("Artist", meta.artist), ("Creator", meta.creator)):
            if not value.isascii():
                yield ctx.flag(f"{name} '{value}' has non-ASCII characters.", difficulty=difficulty,
                               suggestion="Romanise it; keep the original in the Unicode field.")
    for difficulty in ctx.difficulties:
        if not difficulty.version.isascii():
            yield ctx.flag(f"Difficulty name '{difficulty.version}' has non-ASCII characters.", difficulty=difficulty,
                           severity=Severity.WARNING, suggestion="Use ASCII characters in the difficulty name.")


MPG = ("mpg", "mappers guild", "mappers' guild")


@check("metadata.mappers-guild", "Mappers' Guild tag present", category=METADATA, severity=Severity.INFO,
       scope=Scope.MAPSET)
def mappers_guild(ctx: MapsetContext) -> Iterator[Finding]:
    """The tags mention the Mappers' Guild: check the background's permission (Info)."""
    for difficulty in distinct(ctx, "tags"):
        if any(_has_phrase(difficulty.beatmap.metadata.tags, word) for word in MPG):
            yield ctx.flag("The tags mention the Mappers' Guild; make sure the background may be used.",
                           difficulty=difficulty)
