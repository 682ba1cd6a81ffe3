"""The hotkey flows (daemon.remap_flow) end to end, headless: keyboard and clipboard are the fakes, the rest
is real — the job queue, write-back (backup, journal), engine tasks on the tiny v30 checkpoint.

The tiny checkpoint is random: its hitsounding changes real hitsound fields (a full write), while its remap
places no objects in any range tried (seeds 1–4, 32–256 tokens, three maps), so the remap write path is
also shown with the engine step injected: the reference's own generated map merged by engine.tasks.merge_region.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from daemon.jobs import JobQueue
from daemon.remap_flow import LAZER_GUIDE, STABLE_RELOAD, FlowError, LoadedModel, SelectionFlows
from daemon.writeback import WriteBack
from engine.findings import Finding, Severity
from engine.osu import combos, parse_beatmap, read_beatmap
from engine.osu.hitobjects import parse_hit_object
from engine.tasks import TaskResult, merge_region
from integrations.clipboard import MemoryClipboard
from integrations.hotkeys import FakeKeyboard
from integrations.osu_install import OsuEnvironment
from integrations.tosu import EditorState, GameState, unavailable
from tests.generate.test_tasks import assert_only_inside, changed_lines

torch.set_num_threads(1)

DEMO = Path(__file__).resolve().parents[2] / "engine" / "demo" / "mapset"
NORMAL = "maid - Demo Song (maid) [Normal].osu"


class OsuKeyboard(FakeKeyboard):
    """The fake keyboard, plus what osu! does on Ctrl+C: the selection's timestamp goes to the clipboard."""

    def __init__(self, clipboard: MemoryClipboard, selection: str) -> None:
        super().__init__()
        self.clipboard, self.selection = clipboard, selection

    def send(self, combo: str) -> None:
        super().send(combo)
        if combo == "<ctrl>+c":
            self.clipboard.set(self.selection)


@pytest.fixture(scope="module")
def tiny_v30(golden_dir: Path) -> Any:
    from engine.checkpoint import load_model

    return load_model(golden_dir / "tiny-v30", device="cpu")


def mapset(tmp_path: Path, source: Path, audio_name: str) -> Path:
    folder = tmp_path / "Songs" / "1 maid - Demo Song"
    folder.mkdir(parents=True)
    shutil.copyfile(DEMO / "audio.ogg", folder / audio_name)
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


def timestamp(path: Path, first: int, last: int) -> str:
    """What osu! copies for the objects first..last (time order): `mm:ss:mmm (combo numbers) - `."""
    numbered = combos(read_beatmap(path))[first:last + 1]
    return Finding("sel", Severity.INFO, "x", "x", start_ms=numbered[0][0].time, selection=tuple(str(c.number) for _, c in numbered)).timestamp


def editing(path: Path, focused: bool = True, client: str = "stable", read_only: bool = False, version: str = "") -> EditorState:
    return EditorState(GameState.EDITOR, source="v2", client=client, state_number=1, beatmap_path=path, read_only=read_only,
                       time_ms=1000, mode=0, focused=focused, version=version)  # fmt: skip


def run_flow(tmp_path: Path, action: str, model: Any, state: EditorState | None, clipboard: MemoryClipboard,
             keyboard: FakeKeyboard, auto_reload: bool = True, task: Any = None, folders: list[Path] | None = None,
             environment: OsuEnvironment | None = None) -> tuple[Any, list[tuple[str, dict]], WriteBack]:  # fmt: skip
    from engine.decoding import GenerateOptions

    notices: list[tuple[str, dict]] = []
    writeback = WriteBack(tmp_path / "backups")

    async def main() -> Any:
        jobs = JobQueue(lambda method, params: notices.append((method, params)))

        async def loaded() -> LoadedModel:
            return LoadedModel(model, "tiny-v30", "cpu")

        flows = SelectionFlows(clipboard, keyboard, writeback, jobs, lambda m, p: notices.append((m, p)), loaded,
                               lambda: state, lambda: folders or [], lambda: auto_reload,
                               options=lambda: GenerateOptions(seed=1, max_new_tokens=32), environment=environment)  # fmt: skip
        try:
            return await getattr(flows, action)(task)
        finally:
            await jobs.close()

    return asyncio.run(main()), notices, writeback


def test_hitsound_selection_with_the_tiny_checkpoint_rewrites_the_selection_and_reloads(tmp_path: Path, tiny_v30: Any) -> None:
    path = mapset(tmp_path, DEMO / NORMAL, "audio.ogg")
    before = path.read_bytes()
    clipboard = MemoryClipboard("stale text")
    keyboard = OsuKeyboard(clipboard, timestamp(path, 8, 20))
    result, notices, writeback = run_flow(tmp_path, "hitsound_selection", tiny_v30, editing(path), clipboard, keyboard)

    after = path.read_bytes()
    assert after != before and result.objects > 0 and result.write.changed
    start, end = result.selection.start_ms, result.selection.end_ms
    document = read_beatmap(path)
    assert (start, end) == (combos(document)[8][0].time, combos(document)[20][0].time)  # circles: the last one's start
    for section, line in changed_lines(before, after):  # only hitsound fields of objects inside the selection
        assert section == "[HitObjects]", line
        obj = parse_hit_object(line)
        assert start <= obj.time <= end
    old = {(o.time, o.x, o.y, type(o).__name__) for o in parse_beatmap(before).hit_objects}
    assert {(o.time, o.x, o.y, type(o).__name__) for o in document.hit_objects} == old
    assert result.write.backup is not None and result.write.backup.read_bytes() == before
    [entry] = [json.loads(line) for line in (tmp_path / "backups" / "journal.jsonl").read_text().splitlines()]
    assert entry["file"] == str(path) and entry["backup"] == str(result.write.backup)
    assert entry["provenance"]["ai"] and entry["provenance"]["task"] == "hitsound" and entry["provenance"]["model"] == "tiny-v30"
    assert entry["region"]["time_range"] == [start, end]
    assert keyboard.sent == ["<ctrl>+c", "<ctrl>+l", "<enter>"] and result.reload_sent
    written = [p for m, p in notices if m == "file/written"]
    assert written and written[0]["path"] == str(path) and written[0]["ai"] is True
    assert any(m == "job/done" for m, _ in notices)


def test_remap_selection_with_the_tiny_checkpoint_writes_nothing_when_it_places_nothing(tmp_path: Path, tiny_v30: Any) -> None:
    path = mapset(tmp_path, DEMO / NORMAL, "audio.ogg")
    before = path.read_bytes()
    clipboard = MemoryClipboard(timestamp(path, 8, 30))
    with pytest.raises(FlowError) as info:
        run_flow(tmp_path, "remap_selection", tiny_v30, editing(path), clipboard, FakeKeyboard(), auto_reload=False)
    assert info.value.step == "generate" and "produced no objects" in str(info.value)
    assert path.read_bytes() == before and not (tmp_path / "backups" / "journal.jsonl").exists()


def reference_remap(golden_dir: Path) -> Any:
    """An engine step that makes a deterministic edit: the reference's generated map merged into the range."""
    generated = read_beatmap(golden_dir / "tokens" / "decode" / "v30_kimi_no_bouken_w0.osu")

    def task(model: Any, document: Any, audio: Path, start: float, end: float, options: Any, **kw: Any) -> TaskResult:
        assert audio.is_file()
        edited, placed = merge_region(document, generated, start, end)
        return TaskResult(edited, None, placed)

    return task


def test_remap_selection_rewrites_only_the_range_and_asks_for_ctrl_l(tmp_path: Path, golden_dir: Path) -> None:
    path = mapset(tmp_path, golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu", "audio.mp3")  # the song is not read here
    before = path.read_bytes()
    keyboard = FakeKeyboard()
    text = timestamp(path, 20, 45)
    result, notices, _ = run_flow(tmp_path, "remap_selection", None, editing(path), MemoryClipboard(text), keyboard,
                                  auto_reload=False, task=reference_remap(golden_dir))  # fmt: skip
    start, end = result.selection.start_ms, result.selection.end_ms
    assert assert_only_inside(before, path.read_bytes(), start, end) > 0
    assert result.write.backup.read_bytes() == before and not result.reload_sent
    assert keyboard.sent == ["<ctrl>+c"]  # copied, but no reload: auto_reload is off
    [written] = [p for m, p in notices if m == "file/written"]
    assert written["reloadHint"] == STABLE_RELOAD and "Ctrl+L" in written["reloadHint"]


def test_without_editor_state_the_last_saved_map_is_used_and_no_keys_are_sent(tmp_path: Path, golden_dir: Path) -> None:
    path = mapset(tmp_path, golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu", "audio.mp3")
    keyboard = FakeKeyboard()
    result, _, _ = run_flow(tmp_path, "remap_selection", None, unavailable("tosu not reachable"), MemoryClipboard(timestamp(path, 20, 30)),
                            keyboard, task=reference_remap(golden_dir), folders=[path.parent, tmp_path / "gone"])  # fmt: skip
    assert result.path == path and result.write.changed
    assert keyboard.sent == [] and not result.reload_sent  # osu! is not known to be in the editor


def test_a_lazer_map_is_never_written_in_the_store_but_in_its_external_edit_copy(tmp_path: Path, golden_dir: Path) -> None:
    store = tmp_path / "lazer" / "files" / "7" / "70" / ("70b3" * 16)
    store.parent.mkdir(parents=True)
    shutil.copyfile(golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu", store)
    state = editing(store, client="lazer", read_only=True, version=read_beatmap(store).version)
    text = timestamp(store, 20, 30)
    environment = OsuEnvironment(tmp_path, {}, "linux", temp=tmp_path / "temp")
    with pytest.raises(FlowError) as info:
        run_flow(tmp_path, "remap_selection", None, state, MemoryClipboard(text), FakeKeyboard(), task=reference_remap(golden_dir),
                 environment=environment)  # fmt: skip
    assert info.value.step == "map" and info.value.why == LAZER_GUIDE
    mount = tmp_path / "temp" / ("ab" * 32)
    mount.mkdir(parents=True)
    copy = mount / f"artist - title (mapper) [{state.version}].osu"
    shutil.copyfile(store, copy)
    (mount / read_beatmap(store).general.audio_filename).write_bytes(b"song")
    keyboard = FakeKeyboard()
    result, notices, _ = run_flow(tmp_path, "remap_selection", None, state, MemoryClipboard(text), keyboard,
                                  task=reference_remap(golden_dir), environment=environment)  # fmt: skip
    assert result.path == copy and copy.read_bytes() != store.read_bytes()
    assert store.read_bytes() == (golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu").read_bytes()
    assert "<ctrl>+l" not in keyboard.sent and "Finish editing" in [p for m, p in notices if m == "file/written"][0]["reloadHint"]


@pytest.mark.parametrize(("text", "why"), [("hello", "at character 1"), ("00:00:001 (1,2) - ", "no object with combo number 1 at 1 ms"),
                                           ("00:05:000 - ", "selects no objects")])  # fmt: skip
def test_a_bad_selection_names_the_step(tmp_path: Path, golden_dir: Path, text: str, why: str) -> None:
    path = mapset(tmp_path, golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu", "audio.mp3")
    with pytest.raises(FlowError) as info:
        run_flow(tmp_path, "remap_selection", None, editing(path), MemoryClipboard(text), FakeKeyboard(), task=reference_remap(golden_dir))
    assert info.value.step == "selection" and why in str(info.value) and "remap selection: step 'selection' failed" in str(info.value)
