"""`in_context`: what a reference map gives a generation (pipeline.md §2.4–2.5), on the tiny checkpoints.

TIMING ("use my timing"): v32's timing context comes from the reference in every window's prompt and no
timing pass runs; in every version the reference's red lines are the result's. The reference here is a real
map timed for another song (224 BPM, two red lines), so neither the random model nor the audio's tempo
estimate could produce its red lines by chance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import engine.generate
from daemon.cli import app
from engine.audio import SAMPLE_RATE, plan_windows
from engine.contexts import beatmap_contexts, map_context
from engine.decoding import GenerateOptions, OptionsError
from engine.events import V31, ContextEvents, ContextType
from engine.osu import Beatmap, read_beatmap
from engine.prompts import Conditioning, window_prompt, window_slice, window_token_ids
from engine.tasks import generate_map, reference_contexts, tokenizer_of
from engine.tokenizer import Tokenizer
from tests.conftest import CORPUS, GOLDEN
from tests.tokenizer.test_token_v31 import v31  # noqa: F401 — the v31 vocabulary fixture (no v31 checkpoint)

QUICK = {"seed": 1, "max_new_tokens": 32}
REFERENCE = "Wieku-danser-go__Omoi_-_Snow_Drive_01.23_Kroytz_BHR_s_Easy__90bb3722.osu"
TIMING = ContextType.TIMING


@pytest.fixture(scope="module")
def reference(corpus_dir: Path) -> Beatmap:
    return read_beatmap(corpus_dir / REFERENCE)


def red_lines(beatmap: Beatmap) -> list[tuple[float, float, int]]:
    return [(p.time, round(p.beat_length, 6), p.meter) for p in beatmap.timing_points if p.uninherited]


def contains(haystack: list[int], needle: list[int]) -> bool:
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def test_v32_timing_comes_from_the_reference(tiny, demo_audio: np.ndarray, reference: Beatmap,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    model = tiny["v32"]
    tok = tokenizer_of(model)
    prompts: list[list[int]] = []
    real = engine.generate.generate_tokens

    def recording(model, tokenizer, features, batch, options, **kwargs):  # noqa: ANN001, ANN003, ANN202
        prompts.append(list(batch[0]))
        return real(model, tokenizer, features, batch, options, **kwargs)

    monkeypatch.setattr(engine.generate, "generate_tokens", recording)
    passes = []
    result = generate_map(model, demo_audio, GenerateOptions(in_context=(TIMING,), **QUICK), reference=reference,
                          progress=passes.append)  # fmt: skip

    assert passes and {p.context for p in passes} == {ContextType.MAP}  # no timing pass
    assert red_lines(result.beatmap) == red_lines(reference)
    song_length = len(demo_audio) / SAMPLE_RATE * 1000
    timing = beatmap_contexts(reference, tok.profile, [TIMING], song_length)[0]
    plan = plan_windows(len(demo_audio), tok.profile.src_seq_len, lookback=0.5, lookahead=0.4)
    assert len(prompts) == len(passes) == len(plan.frame_times_ms)
    for prompt, frame_time in zip(prompts, plan.frame_times_ms, strict=True):
        start, end = window_slice(timing, frame_time, tok.profile.window_ms)
        beats = window_token_ids(tok, timing.events[start:end], frame_time)
        assert beats, "the reference has beats in every window of the clip"
        assert contains(prompt, [tok.context_sos[TIMING], *beats, tok.context_eos[TIMING]])


def test_v32_without_in_context_runs_its_timing_pass(tiny, demo_audio: np.ndarray, reference: Beatmap) -> None:
    passes = []
    result = generate_map(tiny["v32"], demo_audio, GenerateOptions(**QUICK), reference=reference,
                          progress=passes.append)  # fmt: skip
    assert TIMING in {p.context for p in passes}
    assert red_lines(result.beatmap) != red_lines(reference)
    assert any("reference map is not used" in note for note in result.notes)


def test_v30_writes_the_reference_red_lines(tiny, clip: np.ndarray, reference: Beatmap) -> None:
    result = generate_map(tiny["v30"], clip, GenerateOptions(in_context=(TIMING,), **QUICK), reference=reference)
    assert red_lines(result.beatmap) == red_lines(reference)


@pytest.mark.parametrize(("version", "context"), [("v32", ContextType.KIAI), ("v32", ContextType.GD),
                                                  ("v30", ContextType.NO_HS)])  # fmt: skip
def test_a_reference_the_version_cannot_take_is_a_clear_error(tiny, clip: np.ndarray, reference: Beatmap,
                                                              version: str, context: ContextType) -> None:
    with pytest.raises(OptionsError, match=f"takes no {context.value} reference"):
        generate_map(tiny[version], clip, GenerateOptions(in_context=(context,), **QUICK), reference=reference)


def test_in_context_without_a_reference_says_to_give_one(tiny, clip: np.ndarray) -> None:
    with pytest.raises(OptionsError, match="--reference"):
        generate_map(tiny["v32"], clip, GenerateOptions(in_context=(TIMING,), **QUICK))


def test_cli_passes_the_reference_and_its_contexts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   reference: Beatmap) -> None:
    monkeypatch.setenv("MAID_HOME", str(tmp_path / "maid-home"))
    runner = CliRunner()
    base = ["generate", str(GOLDEN / "audio" / "clip_16k_mono.wav"), "--model", str(GOLDEN / "tiny-v32"),
            "--out", str(tmp_path / "out.osu"), "--seed", "1", "-o", "max_new_tokens=16", "--json"]
    ref = ["--reference", str(CORPUS / REFERENCE)]
    used = runner.invoke(app, [*base, *ref, "--in-context", "timing"])
    unused = runner.invoke(app, [*base, *ref])
    assert used.exit_code in (0, 1) and unused.exit_code in (0, 1)  # 1: the random model placed no objects
    assert "reference map is not used" not in used.stdout and "reference map is not used" in unused.stdout
    if used.exit_code == 0:
        assert red_lines(read_beatmap(tmp_path / "out.osu")) == red_lines(reference)
    missing = runner.invoke(app, [*base, "--in-context", "timing"])
    assert missing.exit_code == 2 and "--reference" in missing.output
    kiai = runner.invoke(app, [*base, *ref, "--in-context", "kiai"])
    assert kiai.exit_code == 2 and "takes no kiai reference" in kiai.output


def test_mania_scroll_speeds_are_copied_from_the_reference(tiny, clip: np.ndarray, corpus_dir: Path) -> None:
    """SV is a finished output: the reference's scroll speed changes are written (as green lines), not generated."""
    reference = read_beatmap(corpus_dir / "Eddio0141-osu-file-parser__aspire2__978bd385.osu")
    theirs = {p.time: p.beat_length for p in reference.timing_points if not p.uninherited}

    def green(in_context: tuple[ContextType, ...]) -> list[tuple[float, float]]:
        options = GenerateOptions(gamemode=3, in_context=in_context, **QUICK)
        result = generate_map(tiny["v32"], clip, options, reference=reference)
        return [(p.time, p.beat_length) for p in result.beatmap.timing_points if not p.uninherited]

    def theirs_near(t: float, beat_length: float) -> bool:  # resnapping (§3.2) moves a line onto the grid
        return any(abs(t - u) <= 2 and beat_length == pytest.approx(b) for u, b in theirs.items())

    copied = green((TIMING, ContextType.SV))
    assert len(copied) > 100
    assert sum(theirs_near(*line) for line in copied) >= 0.95 * len(copied)
    assert green((TIMING,)) == []


def test_v31_guest_difficulty_reference_is_a_prompt_block(v31: Tokenizer, reference: Beatmap) -> None:  # noqa: F811
    """v31 (no tiny checkpoint): GD picks the GD template, its block opens every prompt with the reference's own
    class tokens; TIMING and KIAI are finished outputs; without GD the prompt opens with the empty NONE block."""
    outputs = [TIMING, ContextType.KIAI, ContextType.MAP]
    refs = reference_contexts(v31, reference, (ContextType.GD, TIMING, ContextType.KIAI), outputs, 60000.0)
    assert [c.type for c in refs.prompt] == [ContextType.GD]
    assert refs.prompt[0].events == map_context(reference, V31, 60000.0).events
    assert list(refs.finished) == [TIMING, ContextType.KIAI] and refs.conditioning is not None
    contexts = [*refs.finished.values(), ContextEvents(ContextType.MAP, (), ())]
    prompt = window_prompt(v31, Conditioning(), contexts, 0, 60000.0, in_contexts=refs.prompt,
                           reference=refs.conditioning)  # fmt: skip
    assert prompt[0] == v31.context_sos[ContextType.GD]
    plain = reference_contexts(v31, reference, (TIMING,), outputs, 60000.0)
    assert plain.prompt is None and plain.conditioning is None and list(plain.finished) == [TIMING]
    assert window_prompt(v31, Conditioning(), contexts, 0, 60000.0)[0] == v31.context_sos[ContextType.NONE]
