"""engine.generate on the tiny checkpoints: windows, passes, prompts from earlier output, region, seeds, cancel."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engine.audio import plan_windows
from engine.cancel import Cancelled
from engine.decoding import GenerateOptions
from engine.events import ContextEvents, ContextType, Event, EventType
from engine.generate import WindowProgress, generate_contexts, monotonic_times, output_order, region_windows
from engine.model import Mapperatorinator

T, MAP, SV = ContextType.TIMING, ContextType.MAP, ContextType.SV
E = EventType


def run(model: Mapperatorinator, audio: np.ndarray, options: GenerateOptions, outputs, **kwargs):
    tok = model.checkpoint.tokenizer
    return generate_contexts(model, tok, audio, options, conditioning=options.conditioning(), outputs=outputs,
                             **kwargs)  # fmt: skip


def test_output_order_follows_the_version(golden_dir) -> None:
    from engine.tokenizer import Tokenizer

    v30, v32 = Tokenizer.load(golden_dir / "tiny-v30"), Tokenizer.load(golden_dir / "tiny-v32")
    assert output_order(v30, [MAP], 0) == [MAP]
    assert output_order(v32, [MAP], 0) == [T, MAP]
    assert output_order(v32, [T], 1) == [T]
    assert output_order(v32, [MAP, SV], 3) == [T, MAP, SV]
    assert output_order(v32, [MAP, SV], 0) == [T, MAP]  # scroll speeds are a mania context
    with pytest.raises(ValueError, match="generates"):
        output_order(v30, [T], 0)


def test_times_interpolate_anchors_start_at_the_floor_and_never_go_back() -> None:
    events = [Event(E.POS, 9), Event(E.CIRCLE),  # no time shift: placed at the floor
              Event(E.TIME_SHIFT, 1000), Event(E.POS, 3), Event(E.SLIDER_HEAD),
              Event(E.POS, 4), Event(E.BEZIER_ANCHOR), Event(E.POS, 5), Event(E.BEZIER_ANCHOR),
              Event(E.TIME_SHIFT, 1300), Event(E.POS, 6), Event(E.LAST_ANCHOR),
              Event(E.TIME_SHIFT, 1200), Event(E.CIRCLE), Event(E.POS, 7), Event(E.RED_ANCHOR)]  # fmt: skip
    times = monotonic_times(events, types_first=False, start_ms=500, end_ms=2000)
    assert times == [500] * 2 + [1000] * 3 + [1100] * 2 + [1200] * 2 + [1300] * 3 + [1300] * 2 + [1600] * 2


def test_region_windows_follow_the_reference_trim() -> None:
    plan = plan_windows(16000 * 60, 2048)  # v32, one minute
    times, window = plan.frame_times_ms, 16376.0
    assert region_windows(times, window, None) == list(range(plan.count))
    kept = region_windows(times, window, (30000, 40000))
    assert times[kept[0]] > 30000 - 0.6 * window >= times[kept[0] - 1]
    assert times[kept[-1]] < 40000 - 0.5 * window <= times[kept[-1] + 1]
    assert region_windows(times, window, (59000, 60000)) == [plan.count - 1]  # never empty


def test_every_pass_walks_every_window_with_the_encoder_run_once_per_window(tiny, demo_audio) -> None:
    model = tiny["v32"]
    seen: list[WindowProgress] = []
    options = GenerateOptions(gamemode=3, seed=3, max_new_tokens=12)
    result = run(model, demo_audio, options, [T, MAP, SV], progress=seen.append)
    n = plan_windows(len(demo_audio), 2048).count
    assert n > 6
    for i, context in enumerate((T, MAP, SV)):
        mine = [p for p in seen if p.context == context]
        assert [p.window for p in mine] == list(range(1, n + 1)) and {p.windows for p in mine} == {n}
        assert {p.pass_index for p in mine} == {i} and {p.passes for p in mine} == {3}
    assert result.stats.windows == 3 * n and result.stats.encoder_runs == n
    assert result.stats.new_tokens == sum(p.new_tokens for p in seen) > 0
    for context in result.contexts.values():
        assert list(context.times) == sorted(context.times)
        assert all(0 <= t <= plan_windows(len(demo_audio), 2048).frame_times_ms[-1] + 16376 for t in context.times)
        shifts = [e.value for e in context.events if e.type == E.TIME_SHIFT]
        assert shifts == sorted(shifts)


def test_interleaved_passes_decode_what_whole_passes_decode(tiny, demo_audio) -> None:
    """The map pass starts while the timing pass is still going; each map window must still see the
    final timing: the timing pass alone, then the map pass with that timing given, decode the same."""
    model = tiny["v32"]
    options = GenerateOptions(seed=3, max_new_tokens=16)
    order: list[ContextType] = []
    interleaved = run(model, demo_audio, options, [T, MAP], progress=lambda p: order.append(p.context))
    assert order.index(MAP) < len(order) - 1 - order[::-1].index(T)  # a map window ran before the last timing one
    timing = run(model, demo_audio, options, [T])
    whole = run(model, demo_audio, options, [T, MAP], finished={T: timing.contexts[T]})
    assert timing.stats.encoder_runs + whole.stats.encoder_runs == 2 * interleaved.stats.encoder_runs
    assert len(timing.contexts[T].events) > 0 and len(whole.contexts[MAP].events) > 0
    assert interleaved.contexts == {T: timing.contexts[T], MAP: whole.contexts[MAP]}


def test_same_seed_same_output_and_another_seed_differs(tiny, demo_audio) -> None:
    model = tiny["v32"]
    first, again, other = (run(model, demo_audio, GenerateOptions(seed=s, max_new_tokens=12), [T, MAP])
                           for s in (7, 7, 8))  # fmt: skip
    assert len(first.contexts[MAP].events) > 0
    assert first.contexts == again.contexts
    assert first.contexts != other.contexts


def test_cancel_stops_within_one_window(tiny, demo_audio) -> None:
    model = tiny["v32"]
    cancel = threading.Event()
    seen: list[WindowProgress] = []

    def progress(p: WindowProgress) -> None:
        seen.append(p)
        if len(seen) == 2:
            cancel.set()

    with pytest.raises(Cancelled):
        run(model, demo_audio, GenerateOptions(seed=1, max_new_tokens=8), [T, MAP], progress=progress,
            cancel=cancel)  # fmt: skip
    assert len(seen) == 2


def test_a_region_runs_only_its_windows_and_returns_only_its_events(tiny, demo_audio) -> None:
    model = tiny["v32"]
    tok = model.checkpoint.tokenizer
    seen: list[WindowProgress] = []
    prefill = ContextEvents(MAP, (Event(E.TIME_SHIFT, 15000), Event(E.POS, 300), Event(E.CIRCLE)), (15000,) * 3)
    options = GenerateOptions(seed=5, max_new_tokens=64, timeshift_bias=3.0)
    result = generate_contexts(model, tok, demo_audio, options, conditioning=options.conditioning(),
                               outputs=[T, MAP], prefill={MAP: prefill}, region=(18000, 22000),
                               progress=seen.append)  # fmt: skip
    plan = plan_windows(len(demo_audio), 2048)
    expected = region_windows(plan.frame_times_ms, tok.profile.window_ms, (18000, 22000))
    assert 0 < len(expected) < plan.count
    assert [p.window for p in seen if p.context == MAP] == list(range(1, len(expected) + 1))
    for context in result.contexts.values():
        assert all(18000 - 10 <= t <= 22000 + 10 for t in context.times)
    assert Event(E.TIME_SHIFT, 15000) not in result.contexts[MAP].events  # the prefill is not returned


def test_guidance_runs_the_negative_prompt_and_changes_the_output(tiny, demo_audio) -> None:
    model = tiny["v32"]
    audio = demo_audio[: 20 * 16000]
    style = {"seed": 3, "max_new_tokens": 16, "descriptors": ("style/clean",), "negative_descriptors": ("style/messy",)}
    plain = run(model, audio, GenerateOptions(**style), [T, MAP])
    guided = run(model, audio, GenerateOptions(cfg_scale=3.0, **style), [T, MAP])
    assert plain.stats.windows == guided.stats.windows
    assert plain.contexts != guided.contexts
