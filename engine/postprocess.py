"""Generated events → a playable .osu: hit objects, slider paths and lengths, SV, volumes, timing lines.

The model's event stream (absolute-ms TIME_SHIFTs, see `engine.prompts.events_from_ids`) goes through
the reference implementation's post-generation steps (pipeline.md §2.3.3, §3):

    times  = event_times(events, end_time)                       # anchors get interpolated times
    events, times = rescale_positions(events, times, profile)    # tokens → osu! pixels
    events, times = columns_to_positions(events, times, keys)    # mania only
    timing = timing_from_events(timing_events)                   # engine.timing, §4.1
    events, times = merge_events(map_events, sv_events)          # time-ordered
    events = resnap_events(events, timing)                       # engine.timing, §3.2
    beatmap = events_to_beatmap(events, timing, config, profile)

`events_to_osu_text(..., reference_output=True)` reproduces the reference's text byte for byte (its
template with the quirks pipeline.md §3.8 lists, positions as generated); the default writes a clean
template that says the content is AI-made and keeps every object inside the playfield.

This module never runs the model and never writes files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from string import Template

import numpy as np

from engine.events import ANCHOR_TYPES, TIMING_TYPES, ContextType, Event, EventType, VersionProfile
from engine.osu import Beatmap, parse_beatmap
from engine.sliders import OsuPath, position_to_progress
from engine.timing import (
    TimingLine,
    copy_lines,
    line_at,
    median_beat_length,
    red_line,
    resnap_events,
    set_kiai,
    set_slider_velocity,
    set_volume,
    timing_from_events,
)

PLAYFIELD = (512, 384)
AI_DISCLOSURE = "AI-generated (maid, Mapperatorinator model): not human-made, not rankable"
_SUSTAINS = {EventType.SLIDER_SUSTAIN, EventType.SLIDER_REPEAT_SUSTAIN, EventType.SPINNER_SUSTAIN,
             EventType.HOLD_NOTE_SUSTAIN, EventType.DRUMROLL_SUSTAIN, EventType.DENDEN_SUSTAIN}
# Types that close a group (types last) or open one (types first).
GROUP_TYPES = frozenset({
    EventType.CIRCLE, EventType.SPINNER, EventType.SPINNER_END, EventType.SLIDER_HEAD, EventType.BEZIER_ANCHOR,
    EventType.PERFECT_ANCHOR, EventType.CATMULL_ANCHOR, EventType.RED_ANCHOR, EventType.LAST_ANCHOR,
    EventType.SLIDER_END, EventType.BEAT, EventType.MEASURE, EventType.TIMING_POINT, EventType.KIAI,
    EventType.HOLD_NOTE, EventType.HOLD_NOTE_END, EventType.DRUMROLL, EventType.DRUMROLL_END, EventType.DENDEN,
    EventType.DENDEN_END, EventType.SCROLL_SPEED_CHANGE,
}) | _SUSTAINS
# Types whose time is their own TIME_SHIFT; anchors (ANCHOR_TYPES) have none and are interpolated.
_TIMED_TYPES = GROUP_TYPES - ANCHOR_TYPES
_POSITIONED = {EventType.CIRCLE, EventType.SLIDER_HEAD, EventType.LAST_ANCHOR, EventType.SLIDER_END} | ANCHOR_TYPES
_CURVE_LETTER = {EventType.BEZIER_ANCHOR: "B", EventType.PERFECT_ANCHOR: "P", EventType.CATMULL_ANCHOR: "C",
                 EventType.RED_ANCHOR: "B", EventType.LAST_ANCHOR: "B"}


# --- decoded events: times, positions, merging -----------------------------------------------------


def event_times(events: Sequence[Event], end_time: float | None = None, types_first: bool = False) -> list[int]:
    """Each event's time: its group's TIME_SHIFT; anchors interpolated between the timed events around them.

    The k-th of n anchors between t_prev and t_next gets int(t_prev + k·(t_next − t_prev)/(n+1)).
    `end_time` stands in for a missing next time (the reference uses the window's end or the song length).
    """
    times: list[int] = []
    current = 0
    for i, event in enumerate(events):
        if types_first:
            if i + 1 < len(events) and events[i + 1].type == EventType.TIME_SHIFT:
                current = events[i + 1].value
        elif event.type == EventType.TIME_SHIFT:
            current = event.value
        times.append(current)
    if not times:
        return times

    step = 1 if types_first else -1
    order = range(len(events)) if types_first else range(len(events) - 1, -1, -1)
    current = times[0] if types_first else (end_time if end_time is not None else times[-1])
    interpolate = False
    for i in order:
        kind = events[i].type
        if kind in _TIMED_TYPES:
            interpolate = False
        if kind in ANCHOR_TYPES:
            interpolate = True
        if not interpolate:
            current = times[i]
            continue
        if kind not in ANCHOR_TYPES:
            times[i] = current
            continue
        j, count, other = i, 0, current
        while 0 <= j < len(events):
            if events[j].type == EventType.TIME_SHIFT:
                other = times[j]
                break
            if events[j].type in ANCHOR_TYPES:
                count += 1
            j += step
        if j < 0:
            other = 0
        if j >= len(events):
            other = end_time if end_time is not None else times[-1]
        current = int((current - other) / (count + 1) * count + other)
        times[i] = current
    return times


def rescale_positions(events: Sequence[Event], times: Sequence[int],
                      profile: VersionProfile) -> tuple[list[Event], list[int]]:
    """Position tokens → osu! pixels: POS_X/POS_Y × precision; POS (+ POS_REFINE) → POS_X, POS_Y.

    A POS followed by POS_REFINE r lands on `cell·P + 2·(r mod 16), … + 2·⌊r/16⌋`; a bare POS on the cell
    centre. POS_REFINE stays in the stream (post-processing ignores it).
    """
    p = profile.position_precision
    x_min, y_min, x_max = -256 // p, -256 // p, 768 // p
    x_count = x_max - x_min + 1
    refine = profile.position_refinement
    per_row = p // refine if refine else 1
    out, out_times = [], []
    for i, event in enumerate(events):
        if event.type in (EventType.POS_X, EventType.POS_Y):
            out.append(Event(event.type, event.value * p))
            out_times.append(times[i])
        elif event.type == EventType.POS:
            x = (event.value % x_count + x_min) * p
            y = (event.value // x_count + y_min) * p
            nxt = events[i + 1] if i + 1 < len(events) else None
            if refine and nxt is not None and nxt.type == EventType.POS_REFINE:
                x += refine * (nxt.value % per_row)
                y += refine * (nxt.value // per_row)
            else:
                x += p // 2
                y += p // 2
            out += [Event(EventType.POS_X, x), Event(EventType.POS_Y, y)]
            out_times += [times[i], times[i]]
        else:
            out.append(event)
            out_times.append(times[i])
    return out, out_times


def columns_to_positions(events: Sequence[Event], times: Sequence[int],
                         keycount: int) -> tuple[list[Event], list[int]]:
    """Mania: column c → POS_X int((c + 0.5)·512/keycount), POS_Y 192."""
    out, out_times = [], []
    for event, time in zip(events, times, strict=True):
        if event.type == EventType.MANIA_COLUMN:
            out += [Event(EventType.POS_X, int((event.value + 0.5) * 512 / keycount)), Event(EventType.POS_Y, 192)]
            out_times += [time, time]
        else:
            out.append(event)
            out_times.append(time)
    return out, out_times


def merge_events(first: tuple[Sequence[Event], Sequence[int]],
                 second: tuple[Sequence[Event], Sequence[int]]) -> tuple[list[Event], list[int]]:
    """Merge two time-sorted lists; at equal times the first list's events come first."""
    (ev1, t1), (ev2, t2) = first, second
    events, times, i, j = [], [], 0, 0
    while i < len(ev1) and j < len(ev2):
        if t1[i] <= t2[j]:
            events.append(ev1[i])
            times.append(t1[i])
            i += 1
        else:
            events.append(ev2[j])
            times.append(t2[j])
            j += 1
    return events + list(ev1[i:]) + list(ev2[j:]), times + list(t1[i:]) + list(t2[j:])


def assemble_contexts(contexts: Sequence[tuple[ContextType, Sequence[Event]]], profile: VersionProfile,
                      gamemode: int = 0, keycount: int = 4, timing: Sequence[TimingLine] | None = None,
                      end_time: float | None = None) -> tuple[list[Event], list[TimingLine]]:
    """Generated contexts (absolute-ms events, in template order) → (merged, resnapped events, timing).

    MAP gets pixel positions (and mania x positions); the timing comes from the TIMING context, or from
    MAP's interleaved beats (v30), unless `timing` is given; the other contexts are merged by time and
    resnapped onto that timing. These are the reference's steps after `Processor.generate`.
    """
    timed: dict[ContextType, tuple[list[Event], list[int]]] = {}
    for kind, events in contexts:
        events = list(events)
        times = event_times(events, end_time, profile.types_first)
        if kind == ContextType.MAP:
            events, times = rescale_positions(events, times, profile)
            if gamemode == 3:
                events, times = columns_to_positions(events, times, keycount)
        timed[kind] = (events, times)
    if timing is None:
        if ContextType.TIMING in timed:
            source = [e for e in timed[ContextType.TIMING][0]
                      if e.type in TIMING_TYPES or e.type == EventType.TIME_SHIFT]
        else:
            source = timed[ContextType.MAP][0] if ContextType.MAP in timed else []
        timing = timing_from_events(source, profile.types_first)
    merged: tuple[list[Event], list[int]] = ([], [])
    for kind, pair in timed.items():
        if kind != ContextType.TIMING:
            merged = merge_events(merged, pair)
    return resnap_events(merged[0], timing), list(timing)


# --- groups ------------------------------------------------------------------------------------------


@dataclass
class Group:
    """The events of one object node / beat / change folded together (the reference's `Group`)."""

    type: EventType | None = None
    value: int = 0
    time: int = 0
    distance: int | None = None
    x: float | None = None
    y: float | None = None
    new_combo: bool = False
    hitsounds: list[int] = field(default_factory=list)  # osu! bits (whistle 2, finish 4, clap 8)
    samplesets: list[int] = field(default_factory=list)
    additions: list[int] = field(default_factory=list)
    volumes: list[int] = field(default_factory=list)
    scroll_speed: float | None = None


def group_events(events: Sequence[Event], types_first: bool = False,
                 times: Sequence[int] | None = None) -> tuple[list[Group], list[list[int]]]:
    """Fold events into groups; also returns each group's event indices (trailing events join the last)."""
    groups: list[Group] = []
    members: list[list[int]] = []
    group, indices = Group(), []
    for i, event in enumerate(events):
        indices.append(i)
        kind = event.type
        if kind == EventType.TIME_SHIFT:
            group.time = event.value
        elif kind == EventType.DISTANCE:
            group.distance = event.value
        elif kind == EventType.POS_X:
            group.x = event.value
        elif kind == EventType.POS_Y:
            group.y = event.value
        elif kind == EventType.NEW_COMBO:
            group.new_combo = True
        elif kind == EventType.HITSOUND:
            group.hitsounds.append((event.value % 8) * 2)
            group.samplesets.append((event.value // 8) % 3 + 1)
            group.additions.append((event.value // 24) % 3 + 1)
        elif kind == EventType.VOLUME:
            group.volumes.append(event.value)
        elif kind == EventType.SCROLL_SPEED:
            group.scroll_speed = event.value / 100
        elif kind in GROUP_TYPES:
            if types_first and group.type is not None:
                groups.append(group)
                members.append(indices[:-1])
                group, indices = Group(), [i]
            group.type, group.value = kind, event.value
            if times is not None:
                group.time = times[i]
            if not types_first:
                groups.append(group)
                members.append(indices)
                group, indices = Group(), []
    if group.type is not None:
        groups.append(group)
        members.append(indices)
    elif indices and members:
        members[-1].extend(indices)
    return groups, members


# --- the beatmap ---------------------------------------------------------------------------------------


@dataclass
class BeatmapConfig:
    """What the written beatmap says about itself (the reference's BeatmapConfig)."""

    audio_filename: str = "audio.mp3"
    preview_time: int = -1
    mode: int = 0
    title: str = ""
    title_unicode: str = ""
    artist: str = ""
    artist_unicode: str = ""
    creator: str = ""
    version: str = ""
    source: str = ""
    tags: str = ""
    hp_drain_rate: float = 5.0
    circle_size: float = 4.0
    overall_difficulty: float = 8.0
    approach_rate: float = 9.0
    slider_multiplier: float = 1.4
    slider_tick_rate: float = 1.0
    bpm: float = 120.0  # the red line used when no timing is given
    offset: int = 0
    background: str = ""  # background image file name, if any


def beatmap_config_from_beatmap(beatmap: Beatmap) -> BeatmapConfig:
    """Metadata, difficulty settings, BPM and offset taken from an existing difficulty."""
    reds = [p for p in beatmap.timing_points if p.uninherited and p.beat_length > 0]
    meta, diff = beatmap.metadata, beatmap.difficulty
    background = beatmap.events.background
    return BeatmapConfig(
        audio_filename=beatmap.general.audio_filename,
        preview_time=int(beatmap.general.preview_time + 1e-5),
        mode=beatmap.mode,
        title=meta.title, title_unicode=meta.title_unicode, artist=meta.artist, artist_unicode=meta.artist_unicode,
        creator=meta.creator, version=meta.version, source=meta.source, tags=" ".join(meta.tags.split()),
        hp_drain_rate=float(diff.hp_drain_rate), circle_size=float(diff.circle_size),
        overall_difficulty=float(diff.overall_difficulty), approach_rate=float(diff.approach_rate),
        slider_multiplier=float(diff.slider_multiplier), slider_tick_rate=float(diff.slider_tick_rate),
        bpm=max((60000 / p.beat_length for p in reds), default=120.0),
        offset=int(round(min((p.time for p in beatmap.timing_points), default=0))),
        background=background.filename if background is not None else "",
    )


@dataclass
class _Writer:
    """State of one post-processing run: the hit-object lines and the timing lines they edit."""

    config: BeatmapConfig
    profile: VersionProfile
    timing: list[TimingLine]
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def volume(self, time: float, volume: int) -> None:
        self.timing = set_volume(self.timing, time, volume)

    def sv(self, time: float, sv: float) -> None:
        self.timing = set_slider_velocity(self.timing, time, sv)

    def length(self, sv: float, span: float, red: TimingLine) -> float:
        return sv * span * 100 / red.beat_length * self.config.slider_multiplier

    def human_sv(self, required: float, span: float, last_sv: float, red: TimingLine, new_combo: bool) -> float:
        """The SV a human would pick: keep the last one within 5 % (new combo) / 15 %, else round to 0.05."""
        sv = required / 100 / span * red.beat_length / self.config.slider_multiplier
        if abs(sv - last_sv) / last_sv <= (0.05 if new_combo else 0.15):
            return last_sv
        rounded = round(sv * 20) / 20
        if rounded < 0.1:
            rounded = round(sv * 100) / 100
        return rounded if rounded > 1e-5 else sv

    def circle(self, g: Group) -> None:
        mania = self.config.mode == 3
        volume = g.volumes[0] if g.volumes and mania else 0
        t = int(round(g.time))
        self.lines.append(f"{int(round(g.x))},{int(round(g.y))},{t},{5 if g.new_combo else 1},"
                          f"{_first(g.hitsounds)},{_first(g.samplesets)}:{_first(g.additions)}:-1:{volume}:")
        if g.volumes and not mania:
            self.volume(t, g.volumes[0])
        if self.config.mode == 1 and g.scroll_speed is not None:
            self.sv(t, g.scroll_speed)

    def hold_note(self, start: Group, end: Group) -> None:
        mania = self.config.mode == 3
        volume = start.volumes[0] if start.volumes and mania else 0
        t = int(round(start.time))
        self.lines.append(f"{int(round(start.x))},192,{t},128,{_first(start.hitsounds)},{int(round(end.time))}:"
                          f"{_first(start.samplesets)}:{_first(start.additions)}:-1:{volume}:")
        if start.volumes and not mania:
            self.volume(t, start.volumes[0])

    def drumroll(self, start: Group, end: Group) -> None:
        t = int(round(start.time))
        duration = int(round(end.time)) - t
        if duration < 1:
            return
        if start.volumes:
            self.volume(t, start.volumes[0])
        if self.config.mode == 1 and start.scroll_speed is not None:
            self.sv(t, start.scroll_speed)
        tp = line_at(t, self.timing)
        sv = 1 if tp.uninherited else -100 / tp.beat_length
        length = self.length(sv, duration, tp.red)
        zigzag = "|".join(f"{512 if i % 2 == 0 else 0}:192" for i in range(math.ceil(length / 512)))
        self.lines.append(f"0,192,{t},2,{_first(start.hitsounds)},L|{zigzag},1,{length},0|0,0:0|0:0,"
                          f"{_first(start.samplesets)}:{_first(start.additions)}:-1:0:")

    def spinner(self, start: Group, end: Group, sounds: Group) -> None:
        """A spinner or a denden; hit sounds come from `sounds` (the end group for spinners)."""
        self.lines.append(f"256,192,{int(round(start.time))},12,{_first(sounds.hitsounds)},{int(round(end.time))},"
                          f"{_first(sounds.samplesets)}:{_first(sounds.additions)}:-1:0:")

    def slider(self, head: Group, anchors: list[tuple[str, float, float]], last: Group, end: Group) -> bool:
        """Write one slider; False when its end lies on its head (the reference then keeps the slider open)."""
        t = int(round(head.time))
        span = last.time - head.time
        total = end.time - head.time
        if total <= 0 or span <= 0:
            self.warnings.append(f"invalid slider duration at {t} ms: dropped")
            return True
        slides = max(int(round(total / span)), 1)
        span = total / slides
        curve = anchors[0][0]
        path = OsuPath(curve, np.array([(head.x, head.y)] + [(x, y) for _, x, y in anchors], dtype=float))
        max_length = path.length
        tp = line_at(t, self.timing)
        red = tp.red
        last_sv = 1 if tp.uninherited else -100 / tp.beat_length
        if not self.profile.add_sv or head.scroll_speed is None:
            required = max_length * position_to_progress(path, np.array((end.x, end.y)))
            if required < 1e-4:
                return False
            sv = self.human_sv(required, span, last_sv, red, head.new_combo)
        else:
            sv = head.scroll_speed
        length = self.length(sv, span, red)
        if length > max_length * 1.5:
            sv = round(max_length / 100 / span * red.beat_length / self.config.slider_multiplier * 20) / 20
            length = self.length(sv, span, red)
        if length > max_length + 1e-4:
            scale = length / max_length
            anchors = [(c, (x - head.x) * scale + head.x, (y - head.y) * scale + head.y) for c, x, y in anchors]
        if sv != last_sv:
            self.sv(t, sv)

        node_sounds = head.hitsounds + last.hitsounds[1:] + end.hitsounds
        node_sets = head.samplesets + last.samplesets[1:] + end.samplesets
        node_additions = head.additions + last.additions[1:] + end.additions
        node_volumes = head.volumes + last.volumes[1:] + end.volumes
        points = "|".join(f"{int(round(x))}:{int(round(y))}" for _, x, y in anchors)
        sets = "|".join(f"{s}:{a}" for s, a in zip(node_sets, node_additions))
        self.lines.append(
            f"{int(round(head.x))},{int(round(head.y))},{t},{6 if head.new_combo else 2},{_first(last.hitsounds)},"
            f"{curve}|{points},{slides},{length},{'|'.join(map(str, node_sounds))},{sets},"
            f"{_first(last.samplesets)}:{_first(last.additions)}:-1:0:")
        for i in range(min(slides + 1, len(node_volumes))):
            node_t = int(round(head.time + span * i))
            self.volume(node_t, node_volumes[i])
            if last.volumes and last.volumes[0] != node_volumes[i] and i < slides and span > 6:
                self.volume(node_t + 6, last.volumes[0])
        return True


def _first(values: list[int]) -> int:
    return values[0] if values else 0


def _place(groups: list[Group], mode: int, rng: np.random.Generator, clamp: bool) -> None:
    """Fill missing positions (distance-only groups, then the last position); force taiko/mania lanes."""
    last_x, last_y = 256.0, 192.0
    for g in groups:
        if g.distance is not None and g.x is None and g.y is None:
            angles = np.linspace(0, 2 * np.pi, 500)
            xs, ys = last_x + g.distance * np.cos(angles), last_y + g.distance * np.sin(angles)
            inside = [(x, y) for x, y in zip(xs, ys) if 0 <= x <= PLAYFIELD[0] and 0 <= y <= PLAYFIELD[1]]
            if not inside:
                inside = [PLAYFIELD] if last_x + last_y > sum(PLAYFIELD) / 2 else [(0, 0)]
            g.x, g.y = inside[rng.integers(len(inside))]
        if g.x is None or g.y is None:
            g.x, g.y = last_x, last_y
        if clamp:
            g.x, g.y = min(max(g.x, 0), PLAYFIELD[0]), min(max(g.y, 0), PLAYFIELD[1])
        if g.type in _POSITIONED:
            last_x, last_y = g.x, g.y
        if mode == 1:
            g.x, g.y = 256, 192
        if mode == 3:
            g.y = 192
        if g.type == EventType.SPINNER_END:
            last_x, last_y = 256.0, 192.0


def hit_objects_and_timing(events: Sequence[Event], timing: Sequence[TimingLine] | None, config: BeatmapConfig,
                           profile: VersionProfile, clamp_to_playfield: bool = True,
                           seed: int = 0) -> tuple[list[str], list[TimingLine], list[str]]:
    """[HitObjects] lines, the final timing lines and warnings (pipeline.md §3.4–3.7).

    `timing` is not modified. None (or empty) gives one red line at `config.offset` with `config.bpm`.
    """
    lines = copy_lines(timing) if timing else [red_line(config.offset, 60000 / config.bpm)]
    w = _Writer(config, profile, lines)
    groups, _ = group_events(events, profile.types_first)
    _place(groups, config.mode, np.random.default_rng(seed), clamp_to_playfield)
    median = median_beat_length(w.timing, max((g.time for g in groups), default=0))

    starts: dict[EventType, Group] = {}
    holds: dict[float | None, Group] = {}
    head: Group | None = None
    last: Group | None = None
    anchors: list[tuple[str, float, float]] = []
    for g in groups:
        kind = g.type
        if kind == EventType.CIRCLE:
            w.circle(g)
        elif kind == EventType.HOLD_NOTE:
            holds[g.x] = g  # one open hold note per column (the reference kept one in all)
        elif kind == EventType.HOLD_NOTE_END and holds:
            w.hold_note(holds.pop(g.x) if g.x in holds else holds.popitem()[1], g)
        elif kind in (EventType.DRUMROLL, EventType.DENDEN, EventType.SPINNER):
            starts[kind] = g
        elif kind == EventType.DRUMROLL_END and starts.get(EventType.DRUMROLL):
            w.drumroll(starts.pop(EventType.DRUMROLL), g)
        elif kind == EventType.DENDEN_END and starts.get(EventType.DENDEN):
            start = starts.pop(EventType.DENDEN)
            w.spinner(start, g, start)
            t = int(round(start.time))
            if start.volumes:
                w.volume(t, start.volumes[0])
            if config.mode == 1 and start.scroll_speed is not None:
                w.sv(t, start.scroll_speed)
        elif kind == EventType.SPINNER_END and starts.get(EventType.SPINNER):
            w.spinner(starts.pop(EventType.SPINNER), g, g)
            if g.volumes:
                w.volume(int(round(g.time)), g.volumes[0])
        elif kind == EventType.SLIDER_HEAD:
            if head is not None:
                w.warnings.append(f"incomplete slider at {int(round(head.time))} ms: dropped")
            head, last, anchors = g, None, []
        elif kind in ANCHOR_TYPES:
            anchors.append((_CURVE_LETTER[kind], g.x, g.y))
            if kind == EventType.RED_ANCHOR:
                anchors.append(("B", g.x, g.y))
        elif kind == EventType.LAST_ANCHOR:
            if last is None:  # the first one gives the position, the last one the span and hit sounds
                anchors.append(("B", g.x, g.y))
            last = g
        elif kind == EventType.SLIDER_END and head is not None and last is not None:
            if w.slider(head, anchors, last, g):
                head, last, anchors = None, None, []
        elif kind == EventType.KIAI:
            w.timing = set_kiai(w.timing, g.time, bool(g.value))
        elif kind == EventType.SCROLL_SPEED_CHANGE and g.scroll_speed is not None:
            speed = g.scroll_speed
            if median:  # scroll speeds are BPM-normalised: undo that with the red line in effect
                speed = speed * line_at(g.time, w.timing).red.beat_length / median
            w.sv(g.time, speed)

    timing_out = w.timing
    first_red = next((line for line in timing_out if line.uninherited), None)
    if first_red is not None:
        timing_out = [line for line in timing_out if line.offset >= first_red.offset]
    return w.lines, timing_out, w.warnings


def events_to_osu_text(events: Sequence[Event], timing: Sequence[TimingLine] | None, config: BeatmapConfig,
                       profile: VersionProfile, reference_output: bool = False) -> str:
    """The .osu text of the generated map.

    `reference_output=True` gives exactly what the reference implementation writes (its template and
    unclamped positions); otherwise a clean template with the AI disclosure and objects in the playfield.
    """
    objects, timing_lines, _ = hit_objects_and_timing(events, timing, config, profile,
                                                      clamp_to_playfield=not reference_output)
    values = {name: str(value) for name, value in vars(config).items()}
    values["background_line"] = f'0,0,"{config.background}",0,0\n' if config.background else ""
    values["timing_points"] = "\n".join(line.pack() for line in timing_lines)
    values["events_comment"] = "" if reference_output else f"// {AI_DISCLOSURE}\n"
    values["hit_objects"] = "\n".join(objects)
    if reference_output:
        return REFERENCE_TEMPLATE.safe_substitute(values)
    values["tags"] = " ".join(filter(None, [config.tags, "ai-generated", "maid"]))
    return MAID_TEMPLATE.safe_substitute(values)


def events_to_beatmap(events: Sequence[Event], timing: Sequence[TimingLine] | None, config: BeatmapConfig,
                      profile: VersionProfile) -> Beatmap:
    """The generated map as an `engine.osu` document (clean template, AI disclosure, objects in the playfield)."""
    return parse_beatmap(events_to_osu_text(events, timing, config, profile).encode("utf-8"))


_METADATA_TO_EVENTS = """[Metadata]
Title:$title
TitleUnicode:$title_unicode
Artist:$artist
ArtistUnicode:$artist_unicode
Creator:$creator
Version:$version
Source:$source
Tags:$tags

[Difficulty]
HPDrainRate:$hp_drain_rate
CircleSize:$circle_size
OverallDifficulty:$overall_difficulty
ApproachRate:$approach_rate
SliderMultiplier:$slider_multiplier
SliderTickRate:$slider_tick_rate

[Events]
$events_comment//Background and Video events
$background_line//Break Periods
//Storyboard Layer 0 (Background)
//Storyboard Layer 1 (Fail)
//Storyboard Layer 2 (Pass)
//Storyboard Layer 3 (Foreground)
//Storyboard Layer 4 (Overlay)
//Storyboard Sound Samples
"""

# The reference's template.osu, quirks included (pipeline.md §3.8); only for byte-exact comparisons.
REFERENCE_TEMPLATE = Template("""osu file format v14

[General]
AudioFilename: $audio_filename
AudioLeadIn: 0
PreviewTime: $preview_time
Countdown: 0
SampleSet: All
StackLeniency: 0.7
Mode: $mode
LetterboxInBreaks: 0
WidescreenStoryboard: 1
OverlayPosition: Above

[Editor]
Bookmarks:-330001
DistanceSpacing: 1.0
BeatDivisor: 4
GridSize: 8
TimelineZoom: 2.20004

""" + _METADATA_TO_EVENTS + """
[TimingPoints]
$timing_points

[Colours]
Combo0 : 255,192,0
Combo1 : 255,192,0
Combo2 : 0,202,0
\u034fCombo3 : 242,24,57
Combo4 : 18,124,255
Combo5 : 242,24,57

[HitObjects]
$hit_objects""")

# maid's template: valid values only, and the [Events] section says the content is AI-made.
MAID_TEMPLATE = Template("""osu file format v14

[General]
AudioFilename: $audio_filename
AudioLeadIn: 0
PreviewTime: $preview_time
Countdown: 0
SampleSet: Soft
StackLeniency: 0.7
Mode: $mode
LetterboxInBreaks: 0
WidescreenStoryboard: 1

[Editor]
DistanceSpacing: 1.0
BeatDivisor: 4
GridSize: 8
TimelineZoom: 2

""" + _METADATA_TO_EVENTS + """
[TimingPoints]
$timing_points


[Colours]
Combo1 : 255,192,0
Combo2 : 0,202,0
Combo3 : 242,24,57
Combo4 : 18,124,255

[HitObjects]
$hit_objects
""")
