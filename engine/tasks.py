"""What mappers ask for: a new map, a remapped region, a guest difficulty, hitsounds, timing.

Each task takes a loaded model (engine.checkpoint.load_model), the audio (a path, or samples from
engine.audio.load_audio) and `GenerateOptions`, runs the windowed passes (engine.generate), turns the
events into objects (engine.postprocess) and returns an engine.osu document. Tasks read what they are
given but never write: the caller decides where the result goes (daemon/writeback.py for existing files).

Edits of an existing map are byte-exact outside what the task may touch: `remap_region` changes hit
objects inside the range and the timing points it needs there (the SV, volume and sample settings in
force at the end of the range are restored right after it), `hitsound` changes only hitsound fields.
A model that produces nothing usable gives a result with no objects and a note saying so, never an
exception and never a broken file.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from engine.audio import SAMPLE_RATE, load_audio
from engine.contexts import beatmap_contexts, conditioning_from_beatmap, hitsound_owners, map_context
from engine.cancel import CancelToken, raise_if_cancelled
from engine.decoding import GenerateOptions, OptionsError
from engine.events import ContextEvents, ContextType, Event, EventType
from engine.generate import Generation, GenerationStats, ProgressCallback, generate_contexts, output_order, within
from engine.model import Mapperatorinator
from engine.osu import (
    Beatmap,
    TimingPoint,
    add_timing_points,
    read_beatmap,
    remove_timing_points,
    replace_hit_objects,
)
from engine.postprocess import BeatmapConfig, assemble_contexts, beatmap_config_from_beatmap, events_to_beatmap
from engine.prompts import Conditioning
from engine.tempo import estimate_tempo
from engine.timing import TimingLine, red_line, timing_from_events
from engine.tokenizer import Tokenizer

NO_OBJECTS = "the model produced no objects; try another seed or other settings"
DEFAULT_BPM = 120.0
_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
AudioInput = np.ndarray | str | Path


@dataclass(frozen=True)
class TaskResult:
    """A task's document and what to tell the user about it."""

    beatmap: Beatmap
    file_name: str | None = None  # for a new difficulty: `Artist - Title (Creator) [Version].osu`
    objects: int = 0  # hit objects the model placed (in the region, for a remap)
    notes: tuple[str, ...] = ()
    stats: GenerationStats = field(default_factory=GenerationStats)

    @property
    def empty(self) -> bool:
        return self.objects == 0


# --- generate_map -------------------------------------------------------------------------------------


def generate_map(model: Mapperatorinator, audio: AudioInput, options: GenerateOptions, *,
                 reference: Beatmap | None = None, audio_filename: str | None = None,
                 progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> TaskResult:
    """A new difficulty for a song: timing and objects from the model, metadata from the options.

    `reference`: the user's map, source of the contexts named in `options.in_context` (TIMING: its red
    lines are the timing context and the result's grid, and no timing pass runs; pipeline.md §2.5).
    """
    tok = tokenizer_of(model)
    notes = list(options.validate(tok))
    samples, audio_filename = _audio(audio, audio_filename)
    wanted = list(options.output_types) or [ContextType.MAP, ContextType.SV]
    outputs = output_order(tok, wanted, options.gamemode)
    refs = reference_contexts(tok, reference, options.in_context, outputs, len(samples) / SAMPLE_RATE * 1000)
    notes += refs.notes
    if refs.timing is None:
        finished, timing, timing_notes = _timing_context(model, tok, samples, options, outputs, progress, cancel)
        notes += timing_notes
    else:
        finished, timing = {}, refs.timing
        if options.super_timing:
            notes.append("super timing is not used: the timing comes from the reference map")
    generation = generate_contexts(model, tok, samples, options, conditioning=options.conditioning(),
                                   outputs=outputs, finished={**finished, **refs.finished},
                                   in_contexts=refs.prompt, reference=refs.conditioning,
                                   progress=progress, cancel=cancel)  # fmt: skip
    config = _new_config(options, tok, audio_filename)
    beatmap, objects, more = _to_beatmap(tok, generation, outputs, config, timing, samples, refs.finished)
    return TaskResult(beatmap, _file_name(beatmap), objects, tuple(notes + more), generation.stats)


# --- remap_region -------------------------------------------------------------------------------------


def remap_region(model: Mapperatorinator, document: Beatmap, audio: AudioInput, start_ms: float, end_ms: float,
                 options: GenerateOptions, *, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> TaskResult:
    """New hit objects for start_ms ≤ time ≤ end_ms of an existing map, continuing the map before it.

    The map's own timing is the model's context and the result's grid. Lines outside the range are
    returned byte for byte; inside it only hit objects and green lines change, and the SV, volume,
    sample set and kiai in force at `end_ms` are written back at `end_ms` when the new part changed them.
    """
    if not end_ms > start_ms:
        raise OptionsError(f"remap range {start_ms}–{end_ms} ms is empty; --to must come after --from")
    tok = tokenizer_of(model)
    options = replace(options, gamemode=document.mode)
    notes = list(options.validate(tok))
    samples, _ = _audio(audio, None)
    profile = tok.profile
    user_timing = timing_lines_of(document)
    if not any(line.uninherited for line in user_timing):
        raise OptionsError(f"{document.path or 'the beatmap'}: no red line; time the song first (maid timing)")
    song_length = len(samples) / SAMPLE_RATE * 1000
    outputs = output_order(tok, [ContextType.MAP], document.mode)
    finished = {c: ctx for c, ctx in zip(outputs, beatmap_contexts(document, profile, outputs, song_length),
                                         strict=True) if c != ContextType.MAP}  # fmt: skip
    whole_map = map_context(document, profile, song_length)
    before = sum(1 for t in whole_map.times if t < start_ms - 1)
    prefill = ContextEvents(ContextType.MAP, whole_map.events[:before], whole_map.times[:before])
    conditioning = options.conditioning(_reference_conditioning(document, tok, options))
    generation = generate_contexts(model, tok, samples, options, conditioning=conditioning, outputs=outputs,
                                   finished=finished, prefill={ContextType.MAP: prefill},
                                   region=(start_ms, end_ms), progress=progress, cancel=cancel)  # fmt: skip
    config = beatmap_config_from_beatmap(document)
    generated, _, more = _to_beatmap(tok, generation, outputs, config, user_timing, samples)
    notes += [n for n in more if n != NO_OBJECTS]
    edited, objects = merge_region(document, generated, start_ms, end_ms)
    if not objects:
        notes.append(NO_OBJECTS)
    return TaskResult(edited, None, objects, tuple(notes), generation.stats)


def merge_region(document: Beatmap, generated: Beatmap, start_ms: float, end_ms: float) -> tuple[Beatmap, int]:
    """`document` with its hit objects in [start_ms, end_ms] replaced by `generated`'s, and the green lines
    those need; returns the edit and how many objects it placed. No generated object in the range → the
    document unchanged (the user's objects are never deleted for nothing)."""
    objects = [o for o in generated.hit_objects if start_ms <= o.time <= end_ms]
    if not objects:
        return document, 0
    stop = math.nextafter(end_ms, math.inf)  # replace_* take [start, stop)
    edited = replace_hit_objects(document, start_ms, stop, [replace(o, line=None) for o in objects])
    return _splice_green_lines(edited, document, generated, start_ms, end_ms), len(objects)


def _splice_green_lines(edited: Beatmap, original: Beatmap, generated: Beatmap, start: float, end: float) -> Beatmap:
    """The generated map's green lines inside [start, end) replace the user's; the user's state in force at
    `end` is restored there when the new lines changed it. Red lines are never touched."""
    inside = [p for p in original.timing_points if start <= p.time < end and not p.uninherited]
    new = [p for p in generated.timing_points if start <= p.time < end and not p.uninherited]
    if not new and not inside:
        return edited
    edited = remove_timing_points(edited, inside)
    edited = add_timing_points(edited, [replace(p, line=None) for p in new])
    if any(p.time == end for p in original.timing_points):
        return edited
    before, after = original.timing.point_at(end), edited.timing.point_at(end)
    if before is None or after is None or _same_state(before, after, original.mode):
        return edited
    beat_length = before.beat_length if not before.uninherited else -100.0
    restore = TimingPoint(time=end, beat_length=beat_length, meter=before.meter, sample_set=before.sample_set,
                          sample_index=before.sample_index, volume=before.volume, uninherited=False,
                          effects=before.effects)  # fmt: skip
    return add_timing_points(edited, [restore])


def _same_state(a: TimingPoint, b: TimingPoint, mode: int) -> bool:
    return (a.slider_velocity(mode) == b.slider_velocity(mode) and a.volume == b.volume
            and a.sample_set == b.sample_set and a.sample_index == b.sample_index and a.kiai == b.kiai)


# --- guest_difficulty ---------------------------------------------------------------------------------


def guest_difficulty(model: Mapperatorinator, mapset_folder: str | Path, options: GenerateOptions, *,
                     progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> TaskResult:
    """A new difficulty beside the existing ones: their timing, song and settings, the options' difficulty.

    The reference difficulty is the mapset's difficulty of the requested mode closest to the requested star
    rating (any difficulty when the mapset has none of that mode: its timing still holds). Its red lines are
    the timing context and the result's grid; the other contexts named in `options.in_context` come from it
    too (v31: GD shows it in every window's prompt). The new file name never collides with an existing one.
    """
    folder = Path(mapset_folder)
    maps = sorted(folder.glob("*.osu"))
    if not maps:
        raise OptionsError(f"{folder}: no .osu files; guest difficulties need an existing difficulty")
    tok = tokenizer_of(model)
    documents = [read_beatmap(p) for p in maps]
    same_mode = [d for d in documents if d.mode == options.gamemode] or documents
    stars = {id(d): star_rating(d) or 0.0 for d in same_mode}
    target = options.difficulty
    reference = min(same_mode, key=lambda d: abs(stars[id(d)] - target) if target is not None else -stars[id(d)])
    notes = list(options.validate(tok))
    if ContextType.GD not in {c for ins, _ in tok.profile.context_templates for c in ins}:
        notes.append(f"this model ({tok.profile.name}) has no guest-difficulty context: the new difficulty follows "
                     f"{reference.version!r}'s timing and settings")
    audio_path = folder / reference.general.audio_filename
    samples, audio_filename = _audio(audio_path, reference.general.audio_filename)
    song_length = len(samples) / SAMPLE_RATE * 1000
    outputs = output_order(tok, [ContextType.MAP, ContextType.SV], options.gamemode)
    refs = reference_contexts(tok, reference, (ContextType.TIMING, *options.in_context), outputs, song_length)
    notes += refs.notes
    ref_cond = _reference_conditioning(reference, tok, replace(options, difficulty=None))
    conditioning = options.conditioning(replace(ref_cond, difficulty=None))
    generation = generate_contexts(model, tok, samples, options, conditioning=conditioning, outputs=outputs,
                                   finished=refs.finished, in_contexts=refs.prompt, reference=refs.conditioning,
                                   progress=progress, cancel=cancel)  # fmt: skip
    config = beatmap_config_from_beatmap(reference)
    taken = {p.name.lower() for p in maps}
    config = _with_options(config, options, tok, fallback_version=_gd_version(options, stars[id(reference)]))
    config.creator = reference.metadata.creator  # a mapset has one creator
    while difficulty_file_name(config.artist, config.title, config.creator, config.version).lower() in taken:
        config.version += "+"
    beatmap, objects, more = _to_beatmap(tok, generation, outputs, config, refs.timing, samples, refs.finished)
    return TaskResult(beatmap, _file_name(beatmap), objects, tuple(notes + more), generation.stats)


def _gd_version(options: GenerateOptions, reference_stars: float) -> str:
    stars = options.difficulty if options.difficulty is not None else reference_stars
    return f"maid {stars:.1f}"


# --- reference contexts (in_context) --------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceContexts:
    """What a reference map gives a generation (pipeline.md §2.4–2.5)."""

    finished: dict[ContextType, ContextEvents]  # outputs taken from the map instead of generated (no pass)
    prompt: list[ContextEvents] | None  # v31's GD / NO_HS block before the class tokens; None: no reference
    conditioning: Conditioning | None  # the map's own class tokens (the GD block opens with them)
    timing: list[TimingLine] | None  # the map's red lines (TIMING): resnapping and the result's red lines
    notes: tuple[str, ...] = ()


def reference_contexts(tok: Tokenizer, reference: Beatmap | None, in_context: Sequence[ContextType],
                       outputs: Sequence[ContextType], song_length_ms: float) -> ReferenceContexts:
    """The contexts of `in_context` taken from `reference` (pipeline.md §2.4 steps 1–7).

    Outputs of the version's template that are named (v32: TIMING; mania: SV; v31 also KIAI, MAP) are
    finished; GD / NO_HS are prompt blocks of the v31 template with the most of them. TIMING also gives the
    red lines, in every version (v30 has no timing context: only the grid and the written red lines change).
    """
    wanted = [c for c in dict.fromkeys(in_context) if c != ContextType.NONE]
    if not wanted:
        notes = ("the reference map is not used: name what to take from it in in_context (e.g. timing)",)
        return ReferenceContexts({}, None, None, None, notes if reference is not None else ())
    if reference is None:
        raise OptionsError(f"in_context {', '.join(c.value for c in wanted)}: give the reference map to take "
                           f"them from (maid generate --reference FILE)")
    where = reference.path or "the reference map"
    timing = None
    if ContextType.TIMING in wanted:
        timing = [line for line in timing_lines_of(reference) if line.uninherited]
        if not timing:
            raise OptionsError(f"{where}: no red line to take the timing from; time the song first or drop timing "
                               f"from in_context")
    templates = [ins for ins, _ in tok.profile.context_templates
                 if all(c == ContextType.NONE or c in wanted for c in ins)]  # fmt: skip
    chosen = max(templates, key=lambda ins: sum(c != ContextType.NONE for c in ins), default=())
    prompt_types = [c for c in chosen if c != ContextType.NONE]
    finished_types = [c for c in outputs if c in wanted]
    built = beatmap_contexts(reference, tok.profile, finished_types + prompt_types, song_length_ms)
    unused = [c.value for c in wanted if c not in finished_types + prompt_types and c != ContextType.TIMING]
    notes = (f"in_context {', '.join(unused)}: not used by this model ({tok.profile.name}) for these outputs",) \
        if unused else ()
    conditioning = None
    if ContextType.GD in prompt_types:
        conditioning = conditioning_from_beatmap(reference, tok, difficulty=star_rating(reference))
    return ReferenceContexts(dict(zip(finished_types, built[: len(finished_types)], strict=True)),
                             built[len(finished_types):] or None, conditioning, timing, notes)  # fmt: skip


# --- generate_timing ----------------------------------------------------------------------------------


def generate_timing(model: Mapperatorinator, audio: AudioInput, options: GenerateOptions, *,
                    audio_filename: str | None = None, progress: ProgressCallback | None = None,
                    cancel: CancelToken | None = None) -> TaskResult:
    """Red lines for a song (no objects): the model's beats fitted to BPM, offset and meter (pipeline.md
    §4.1); with `options.super_timing`, the multi-pass estimate (§4.2)."""
    tok = tokenizer_of(model)
    notes = list(options.validate(tok))
    samples, audio_filename = _audio(audio, audio_filename)
    if options.super_timing:
        from engine.supertiming import super_timing

        started = time.perf_counter()
        lines = super_timing(model, tok, samples, options, progress=progress, cancel=cancel)
        stats = GenerationStats(wall_seconds=time.perf_counter() - started)
    else:
        beats, generation = _beat_events(model, tok, samples, options, progress, cancel)
        lines = timing_from_events(beats, tok.profile.types_first)
        stats = generation.stats
    if not lines:
        lines, note = fallback_timing(samples)
        notes.append(note)
    config = _new_config(replace(options, version=options.version or "timing"), tok, audio_filename)
    beatmap = events_to_beatmap([], lines, config, tok.profile)
    return TaskResult(beatmap, _file_name(beatmap), 0, tuple(notes), stats)


def _beat_events(model: Mapperatorinator, tok: Tokenizer, samples: np.ndarray, options: GenerateOptions,
                 progress: ProgressCallback | None, cancel: CancelToken | None) -> tuple[list[Event], Generation]:
    """BEAT / MEASURE / TIMING_POINT events with their time shifts (v30: from the map pass)."""
    context = ContextType.TIMING if ContextType.TIMING in tok.profile.context_types else ContextType.MAP
    outputs = output_order(tok, [context], options.gamemode)
    generation = generate_contexts(model, tok, samples, options, conditioning=options.conditioning(),
                                   outputs=outputs, progress=progress, cancel=cancel)
    beats = [e for e in generation.events(context)
             if e.type in (EventType.TIME_SHIFT, EventType.BEAT, EventType.MEASURE, EventType.TIMING_POINT)]
    return beats, generation


# --- shared -------------------------------------------------------------------------------------------


def tokenizer_of(model: Mapperatorinator) -> Tokenizer:
    info = getattr(model, "checkpoint", None)
    if info is None:
        raise OptionsError("this model was not loaded from a checkpoint (engine.checkpoint.load_model); "
                           "it has no vocabulary to decode with")
    return info.tokenizer


def star_rating(beatmap: Beatmap) -> float | None:
    """rosu-pp's star rating; None when rosu-pp is not installed or cannot rate the file (difficulty unknown)."""
    try:
        import rosu_pp_py
    except ImportError:
        return None
    try:
        return float(rosu_pp_py.Difficulty().calculate(rosu_pp_py.Beatmap(bytes=beatmap.to_bytes())).stars)
    except Exception:  # noqa: BLE001 — rosu-pp raises its own types for files it cannot convert
        return None


def timing_lines_of(beatmap: Beatmap) -> list[TimingLine]:
    """A document's timing points as post-processing lines (a green line's parent: the red line above it)."""
    lines: list[TimingLine] = []
    red: TimingLine | None = None
    for p in beatmap.timing_points:
        line = TimingLine(p.time, p.beat_length, p.meter, p.sample_set, p.sample_index, p.volume,
                          None if p.uninherited else red, p.kiai)  # fmt: skip
        if p.uninherited:
            red = line
        elif red is None:  # a green line before any red line has nothing to inherit; osu! ignores it
            continue
        lines.append(line)
    return lines


def difficulty_file_name(artist: str, title: str, creator: str, version: str) -> str:
    """osu!'s name for a difficulty file: `Artist - Title (Creator) [Version].osu`, unsafe characters removed."""
    return _UNSAFE_FILE_CHARS.sub("", f"{artist} - {title} ({creator}) [{version}].osu")


def _file_name(beatmap: Beatmap) -> str:
    meta = beatmap.metadata
    return difficulty_file_name(meta.artist, meta.title, meta.creator, meta.version)


def _audio(audio: AudioInput, audio_filename: str | None) -> tuple[np.ndarray, str]:
    if isinstance(audio, np.ndarray):
        return audio, audio_filename or "audio.mp3"
    path = Path(audio)
    return load_audio(path), audio_filename or path.name


def _reference_conditioning(document: Beatmap, tok: Tokenizer, options: GenerateOptions):  # noqa: ANN202
    difficulty = options.difficulty if options.difficulty is not None else star_rating(document)
    return conditioning_from_beatmap(document, tok, difficulty=difficulty)


def _new_config(options: GenerateOptions, tok: Tokenizer, audio_filename: str) -> BeatmapConfig:
    config = BeatmapConfig(audio_filename=audio_filename, title=Path(audio_filename).stem, artist="Unknown Artist",
                           creator="maid")  # fmt: skip
    stars = f" {options.difficulty:.1f}" if options.difficulty is not None else ""
    return _with_options(config, options, tok, fallback_version=f"maid {tok.profile.name}{stars}")


def _with_options(config: BeatmapConfig, options: GenerateOptions, tok: Tokenizer,
                  fallback_version: str) -> BeatmapConfig:
    """The options' metadata and settings over `config`, and tags that disclose how the map was made."""
    conditioning = options.conditioning(None)
    keys = options.keycount if options.keycount is not None else (int(config.circle_size) if config.mode == 3 else 4)
    config = replace(
        config, mode=options.gamemode,
        title=options.title or config.title, artist=options.artist or config.artist,
        creator=options.creator or config.creator, version=options.version or fallback_version,
        hp_drain_rate=_pick(options.hp_drain_rate, config.hp_drain_rate),
        overall_difficulty=_pick(options.overall_difficulty, config.overall_difficulty),
        approach_rate=_pick(options.approach_rate, config.approach_rate),
        slider_tick_rate=_pick(options.slider_tick_rate, config.slider_tick_rate),
        slider_multiplier=_pick(options.slider_multiplier, config.slider_multiplier),
        circle_size=float(keys) if options.gamemode == 3 else _pick(options.circle_size, config.circle_size),
    )  # fmt: skip
    config.title_unicode = config.title_unicode or config.title
    config.artist_unicode = config.artist_unicode or config.artist
    made = [f"model={tok.profile.name}", f"seed={options.seed}" if options.seed is not None else "",
            f"difficulty={conditioning.difficulty}" if conditioning.difficulty is not None else ""]
    config.tags = " ".join(filter(None, [config.tags, *made]))
    return config


def _pick(mine: float | None, theirs: float) -> float:
    return theirs if mine is None else float(mine)


def _timing_context(model: Mapperatorinator, tok: Tokenizer, samples: np.ndarray, options: GenerateOptions,
                    outputs: Sequence[ContextType], progress: ProgressCallback | None,
                    cancel: CancelToken | None) -> tuple[dict[ContextType, ContextEvents], list[TimingLine] | None,
                                                         list[str]]:
    """Nothing to prepare unless super timing is asked for (its red lines then become the timing context)."""
    if not options.super_timing:
        return {}, None, []
    from engine.supertiming import super_timing

    lines = super_timing(model, tok, samples, options, progress=progress, cancel=cancel)
    if not lines:
        return {}, None, ["super timing found no beats; the model's own timing pass is used"]
    finished = {}
    if ContextType.TIMING in outputs:
        song_length = len(samples) / SAMPLE_RATE * 1000
        skeleton = events_to_beatmap([], lines, BeatmapConfig(), tok.profile)
        finished[ContextType.TIMING] = beatmap_contexts(skeleton, tok.profile, [ContextType.TIMING], song_length)[0]
    return finished, lines, []


def _to_beatmap(tok: Tokenizer, generation: Generation, outputs: Sequence[ContextType], config: BeatmapConfig,
                timing: Sequence[TimingLine] | None, samples: np.ndarray,
                finished: dict[ContextType, ContextEvents] | None = None) -> tuple[Beatmap, int, list[str]]:
    """Generated contexts and `finished` ones (a reference's, written as they are) → (document, number of hit
    objects, notes). No usable timing → one red line estimated from the audio (the reference crashes there,
    pipeline.md appendix B.14)."""
    song = (0, generation.song_length_ms)  # the last window reaches past the song: nothing is placed there
    available = {**(finished or {}), **generation.contexts}
    contexts = [(c, within(available[c], *song, tok.profile.types_first).events) for c in outputs if c in available]
    keys = int(config.circle_size) if config.mode == 3 else 4
    events, lines = assemble_contexts(contexts, tok.profile, config.mode, keys, timing=timing,
                                      end_time=generation.song_length_ms)  # fmt: skip
    notes = []
    if not lines:
        fallback, note = fallback_timing(samples)
        notes.append(note)
        events, lines = assemble_contexts(contexts, tok.profile, config.mode, keys, timing=fallback,
                                          end_time=generation.song_length_ms)  # fmt: skip
    beatmap = events_to_beatmap(events, lines, config, tok.profile)
    objects = len(beatmap.hit_objects)
    if objects == 0:
        notes.append(NO_OBJECTS)
    return beatmap, objects, notes


def fallback_timing(samples: np.ndarray) -> tuple[list[TimingLine], str]:
    """One red line from the audio's tempo (engine.tempo) when the model gave no beats, and a note saying so."""
    estimate = estimate_tempo(samples)
    if estimate is None:
        return [red_line(0, 60000 / DEFAULT_BPM)], (f"the model produced no beats and the audio has no clear "
                                                    f"tempo; a {DEFAULT_BPM:g} BPM placeholder red line was written")
    beat_length, offset = estimate
    bpm = round(60000 / beat_length, 2)
    return [red_line(round(offset), 60000 / bpm)], (f"the model produced no beats; one red line at {bpm:g} BPM "
                                                    f"estimated from the audio was written: check it")


# --- hitsound -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """One HITSOUND slot of the map context: which object and which of its nodes (slider: 0 head, 1 body,
    2.. repeats, last tail)."""

    event: int  # index of the HITSOUND event in the map context (its VOLUME follows)
    obj: int  # index into beatmap.hit_objects
    node: int


def hitsound(model: Mapperatorinator, document: Beatmap, audio: AudioInput, options: GenerateOptions, *,
             time_range: tuple[float, float] | None = None, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None) -> TaskResult:
    """New hitsounds (additions, sample sets, volumes, slider edge sounds) for the objects of a map, or of
    those starting in `time_range`. The map is given to the model as it is; at every hitsound slot the
    model chooses among hitsound (then volume) tokens only, so times, positions and shapes cannot change.
    Only hitsound fields of object lines differ in the result; nodes whose tokens come out as they were
    keep their original spelling (e.g. sample sets inherited from the timing point)."""
    tok = tokenizer_of(model)
    options = replace(options, gamemode=document.mode, hitsounded=True)
    notes = list(options.validate(tok))
    if options.cfg_scale > 1:
        notes.append("classifier-free guidance is not used for hitsounding")
    samples, _ = _audio(audio, None)
    profile = tok.profile
    song_length = len(samples) / SAMPLE_RATE * 1000
    context = map_context(document, profile, song_length)
    nodes = [n for n in _hitsound_nodes(document, profile, context)
             if time_range is None or time_range[0] <= document.hit_objects[n.obj].time <= time_range[1]]
    if not nodes:
        return TaskResult(document, None, 0, tuple([*notes, "no objects to hitsound in the range"]))
    finished = []
    if ContextType.TIMING in profile.context_types:
        finished = beatmap_contexts(document, profile, [ContextType.TIMING], song_length)
    conditioning = options.conditioning(_reference_conditioning(document, tok, options))
    filled, stats = fill_hitsound_slots(model, tok, samples, options, conditioning, finished, context,
                                        [n.event for n in nodes], progress=progress, cancel=cancel)  # fmt: skip
    edited, changed = _write_hitsounds(document, context, filled, nodes)
    return TaskResult(edited, None, changed, tuple(notes), stats)


def _hitsound_nodes(document: Beatmap, profile, context: ContextEvents) -> list[_Node]:  # noqa: ANN001
    """Which object node each HITSOUND event of the map context belongs to."""
    owners = hitsound_owners(document, profile)
    slots = [i for i, e in enumerate(context.events) if e.type == EventType.HITSOUND]
    if len(owners) != len(slots):
        raise OptionsError(f"{document.path or 'beatmap'}: its hitsound events could not be matched to its objects")
    return [_Node(slot, obj, nth) for slot, (obj, nth) in zip(slots, owners, strict=True)]


def fill_hitsound_slots(model: Mapperatorinator, tok: Tokenizer, samples: np.ndarray, options: GenerateOptions,
                        conditioning, finished: Sequence[ContextEvents], context: ContextEvents,  # noqa: ANN001
                        slot_events: Sequence[int], *, progress: ProgressCallback | None = None,
                        cancel: CancelToken | None = None) -> tuple[list[Event], GenerationStats]:
    """The map context with new HITSOUND and VOLUME events at the given HITSOUND indices, window by window:
    each slot is decided in the window where it lies in the part that window generates (after its lookback)."""
    import torch

    from engine.audio import plan_windows, split_windows
    from engine.generate import WindowProgress, encode_window, fill_slots
    from engine.prompts import window_prompt, window_token_ids

    profile = tok.profile
    window_ms = profile.window_ms
    song_length = len(samples) / SAMPLE_RATE * 1000
    plan = plan_windows(len(samples), profile.src_seq_len, lookback=options.lookback, lookahead=options.lookahead)
    windows = split_windows(samples, plan)
    starts = [t + options.lookback * window_ms for t in plan.frame_times_ms]
    by_window: dict[int, list[int]] = {}
    for index in sorted(slot_events):
        t = context.times[index]
        k = max((w for w, s in enumerate(starts) if s <= t), default=0)
        by_window.setdefault(k, []).append(index)
    kinds = (EventType.HITSOUND, EventType.VOLUME)
    allowed = {kind: range(tok.event_start[kind], tok.event_end[kind]) for kind in kinds}
    started = time.perf_counter()
    events = list(context.events)
    stats = GenerationStats()
    generator = torch.Generator(device=model.device)
    seed = options.seed if options.seed is not None else int(torch.randint(0, 2**31, ()).item())
    limit = model.dims.n_text_ctx
    for position, (k, indices) in enumerate(sorted(by_window.items())):
        raise_if_cancelled(cancel)
        tic = time.perf_counter()
        frame_time = plan.frame_times_ms[k]
        features = encode_window(model, tok, windows[k], conditioning, frame_time, song_length)
        stats.encoder_runs += 1
        generator.manual_seed((seed * 1_000_003 + k) % 2**63)
        filled = 0
        while indices:
            first = indices[0]
            known = ContextEvents(ContextType.MAP, tuple(events[:first]), context.times[:first])
            prompt = window_prompt(tok, conditioning, [*finished, known], frame_time, song_length)
            batch = [i for i in indices if len(prompt) + i + 2 - first <= limit] or indices[:1]
            last = batch[-1] + 1  # the VOLUME after the last HITSOUND
            if last >= len(events) or events[last].type != EventType.VOLUME:
                last -= 1
            continuation = window_token_ids(tok, events[first : last + 1], frame_time)
            slots = []
            for i in batch:
                slots.append((i - first, allowed[EventType.HITSOUND]))
                if i + 1 <= last and events[i + 1].type == EventType.VOLUME:
                    slots.append((i + 1 - first, allowed[EventType.VOLUME]))
            ids = fill_slots(model, features, prompt, continuation, slots, options, generator)
            for offset, _ in slots:
                events[first + offset] = tok.decode(ids[offset])
            filled += len(slots)
            indices = indices[len(batch):]
        seconds = time.perf_counter() - tic
        stats.windows += 1
        stats.new_tokens += filled
        stats.decode_seconds += seconds
        if progress is not None:
            progress(WindowProgress(ContextType.MAP, 0, 1, position + 1, len(by_window), filled,
                                    filled / seconds if seconds else 0.0))
    stats.wall_seconds = time.perf_counter() - started
    return events, stats


def _write_hitsounds(document: Beatmap, context: ContextEvents, events: Sequence[Event],
                     nodes: Sequence[_Node]) -> tuple[Beatmap, int]:
    """Object lines with the new hitsound fields; nodes whose tokens did not change are left alone."""
    from engine.osu import HitSample, Slider, update_hit_objects

    objects = list(document.hit_objects)
    changed: set[int] = set()
    for n in nodes:
        old = (context.events[n.event], context.events[n.event + 1])
        new = (events[n.event], events[n.event + 1])
        if old == new:
            continue
        value = new[0].value
        bits, normal, addition = (value % 8) * 2, (value // 8) % 3 + 1, (value // 24) % 3 + 1
        volume = new[1].value if new[1].type == EventType.VOLUME else None
        obj = objects[n.obj]
        is_slider = isinstance(obj, Slider) and document.mode != 1
        if is_slider and n.node != 1:
            edge = 0 if n.node == 0 else (obj.span_count if n.node == obj.span_count + 1 else n.node - 1)
            sounds = list(obj.edge_sounds or (0,) * (obj.span_count + 1))
            sets = list(obj.edge_sets or ((0, 0),) * (obj.span_count + 1))
            sounds[edge] = (sounds[edge] & 1) | bits
            sets[edge] = (normal, addition)
            obj = replace(obj, edge_sounds=tuple(sounds), edge_sets=tuple(sets))
        else:
            sample = obj.hit_sample or HitSample()
            sample = replace(sample, normal_set=normal, addition_set=addition,
                             volume=volume if volume is not None else sample.volume)
            obj = replace(obj, hit_sound=(obj.hit_sound & 1) | bits, hit_sample=sample)
        objects[n.obj] = obj
        changed.add(n.obj)
    if not changed:
        return document, 0
    return update_hit_objects(document, [objects[i] for i in sorted(changed)]), len(changed)
