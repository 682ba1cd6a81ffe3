"""Auto-modding on save: real rule checks on real saves, the new/fixed diff, MaiMod superseded by newer saves."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

from daemon.automod import AutoMod, FindingsReport, rule_checks
from daemon.jobs import JobContext
from daemon.watcher import SavedFile, WatchOptions, Watcher, in_loop
from engine.checks import check_path
from engine.findings import Finding, Severity
from tests.conftest import corpus_files
from tests.watcher.conftest import Notes, Recorder, osu_bytes, run_automod, save_atomic, save_in_place

UNSNAPPED = b"100,100,1107,1,0,0:0:0:0:\r\n"  # 4 ms off the 1/16 grid of the 120 BPM red line at 1000
UNSNAPPED_CHECK = "timing.unsnapped-objects"  # other checks may fire on these small maps too: tests look at this one


def unsnapped(findings: Iterable[Finding]) -> list[tuple[float | None, tuple[int, ...]]]:
    """(time, objects) of the unsnapped-object findings among `findings`."""
    return [(f.start_ms, f.objects) for f in findings if f.check == UNSNAPPED_CHECK]


def with_object(data: bytes, line: bytes, after: int) -> bytes:
    """`data` with hit object `line` inserted after the `after`-th hit object."""
    head, objects = data.split(b"[HitObjects]\r\n")
    lines = objects.splitlines(keepends=True)
    return head + b"[HitObjects]\r\n" + b"".join(lines[: after + 1]) + line + b"".join(lines[after + 1 :])


def saved(path: Path, data: bytes) -> SavedFile:
    return SavedFile(path, data, hashlib.sha256(data).hexdigest(), time.monotonic())


def recorder_wait(items: list, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while len(items) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(items) >= count


def test_each_save_is_checked_and_new_and_fixed_findings_are_told_apart(mapset: Path) -> None:
    path = next(mapset.glob("*.osu"))
    automod = AutoMod(publish=lambda report: None)
    reports: list[FindingsReport] = []
    with Watcher(lambda s: reports.append(automod.check(s)), options=WatchOptions(debounce_s=0.15)) as watcher:
        watcher.focus(mapset)
        broken = with_object(osu_bytes(1), UNSNAPPED, after=0)
        save_in_place(path, broken)
        recorder_wait(reports, 1)
        time.sleep(0.3)
        save_atomic(path, osu_bytes(1))  # the mapper fixes it
        recorder_wait(reports, 2)
    first, second = reports
    assert list(first.findings) == rule_checks(path, broken)
    assert list(second.findings) == rule_checks(path, osu_bytes(1))
    assert unsnapped(first.findings) == [(1107, (1,))]
    assert first.new == first.findings and first.fixed == ()
    assert unsnapped(second.findings) == unsnapped(second.new) == []
    assert unsnapped(second.fixed) == [(1107, (1,))]
    assert first.source == second.source == "rules"


def test_a_finding_stays_old_when_objects_are_inserted_before_it(tmp_path: Path) -> None:
    path = tmp_path / "map.osu"
    automod = AutoMod(publish=lambda report: None)
    base = with_object(osu_bytes(0), b"100,100,1607,1,0,0:0:0:0:\r\n", after=2)  # ~4 ms off every grid
    before = automod.check(saved(path, base))
    after = automod.check(saved(path, with_object(base, b"300,200,1125,1,0,0:0:0:0:\r\n", after=0)))  # a 1/4
    assert unsnapped(before.findings) == [(1607, (3,))]
    assert unsnapped(after.findings) == [(1607, (4,))]  # its index shifted...
    assert unsnapped(after.new) == unsnapped(after.fixed) == []  # ...but it is the same issue


def test_a_file_osu_cannot_load_is_one_problem_finding(tmp_path: Path) -> None:
    report = AutoMod(publish=lambda report: None).check(saved(tmp_path / "half.osu", b"\x00\x01 not a beatmap"))
    assert len(report.findings) == 1
    assert report.findings[0].severity >= Severity.PROBLEM
    assert report.findings[0].file == "half.osu"


@pytest.mark.parametrize("source", corpus_files()[:3], ids=lambda p: p.name[:40])
def test_findings_of_a_saved_corpus_map_equal_maid_checks(tmp_path: Path, source: Path, recorder: Recorder) -> None:
    folder = tmp_path / "mapset"
    folder.mkdir()
    path = folder / source.name
    shutil.copyfile(source, path)
    automod = AutoMod(publish=lambda report: None)
    reports: list[FindingsReport] = []
    with Watcher(lambda s: reports.append(automod.check(s)), options=WatchOptions(debounce_s=0.15)) as watcher:
        watcher.focus(folder)
        save_in_place(path, source.read_bytes() + b"\r\n")
        recorder_wait(reports, 1)
    (report,) = reports
    assert list(report.findings) == check_path(path)  # what `maid check FILE` says about the saved file
    assert Counter(f.id for f in report.new) == Counter(f.id for f in report.findings)


def test_on_the_event_loop_checks_run_in_a_worker_thread_and_publish_on_the_loop(mapset: Path) -> None:
    path = next(mapset.glob("*.osu"))
    check_threads: list[str] = []

    def checks(p: Path, data: bytes) -> list[Finding]:
        check_threads.append(threading.current_thread().name)
        return rule_checks(p, data)

    async def main() -> tuple[FindingsReport, threading.Thread]:
        loop = asyncio.get_running_loop()
        got: asyncio.Future[tuple[FindingsReport, threading.Thread]] = loop.create_future()
        automod = AutoMod(lambda report: got.set_result((report, threading.current_thread())), checks=checks)
        with Watcher(in_loop(loop, automod.submit), options=WatchOptions(debounce_s=0.15)) as watcher:
            watcher.focus(mapset)
            save_in_place(path, with_object(osu_bytes(3), UNSNAPPED, after=0))
            result = await asyncio.wait_for(got, 5)
        automod.close()
        return result

    report, thread = asyncio.run(main())
    assert thread is threading.main_thread()
    assert check_threads and all(name.startswith("maid-checks") for name in check_threads)
    assert unsnapped(report.findings) == [(1107, (1,))]
    assert 0 <= report.latency_s < 5


def slow_analysis(saved: SavedFile, ctx: JobContext) -> list[Finding]:
    """A background analysis shaped like MaiMod: window by window, checking the cancel token in between."""
    for window in range(10):
        ctx.cancel.raise_if_cancelled()
        ctx.progress(window / 10, "analysing")
        time.sleep(0.03)
    return [Finding(check="maimod.surprise", severity=Severity.MINOR, category="Rhythm", source="maimod",
                    file=saved.path.name, message=f"{len(saved.data)} bytes analysed")]


def test_maimod_runs_as_a_background_job_and_a_newer_save_supersedes_it(tmp_path: Path) -> None:
    path = tmp_path / "map.osu"

    async def scenario(automod: AutoMod, notes: Notes) -> None:
        await automod.on_saved(saved(path, osu_bytes(1)))
        await asyncio.sleep(0.1)  # MaiMod on the first content is running
        await automod.on_saved(saved(path, osu_bytes(2, objects=12)))

    published, notes = run_automod(slow_analysis, scenario)
    assert [r.source for r in published] == ["rules", "rules", "maimod"]
    assert published[2].findings[0].message == f"{len(osu_bytes(2, objects=12))} bytes analysed"
    assert published[2].sha256 == published[1].sha256
    assert published[2].new == published[2].findings
    done = [params for method, params in notes if method == "job/done"]
    assert [(d["kind"], d["state"]) for d in done] == [("maimod", "superseded"), ("maimod", "done")]


def test_without_a_model_no_maimod_job_is_queued(tmp_path: Path) -> None:
    async def scenario(automod: AutoMod, notes: Notes) -> None:
        await automod.on_saved(saved(tmp_path / "map.osu", osu_bytes(1)))

    published, notes = run_automod(None, scenario)
    assert [r.source for r in published] == ["rules"]
    assert notes == []  # no job at all


def test_a_superseded_maimod_run_that_finished_anyway_is_not_published(tmp_path: Path) -> None:
    def deaf_analysis(saved_file: SavedFile, ctx: JobContext) -> list[Finding]:  # never looks at the cancel token
        time.sleep(0.3)
        return [Finding(check="maimod.surprise", severity=Severity.MINOR, category="Rhythm", source="maimod",
                        file=saved_file.path.name, message=saved_file.sha256)]

    async def scenario(automod: AutoMod, notes: Notes) -> None:
        await automod.on_saved(saved(tmp_path / "map.osu", osu_bytes(1)))
        await asyncio.sleep(0.1)
        await automod.on_saved(saved(tmp_path / "map.osu", osu_bytes(2)))

    published, notes = run_automod(deaf_analysis, scenario, settle=0.4)
    assert [r.source for r in published] == ["rules", "rules", "maimod"]
    assert published[2].findings[0].message == hashlib.sha256(osu_bytes(2)).hexdigest()
    assert len([method for method, _ in notes if method == "job/done"]) == 2  # both ran to the end
