"""Save → findings latency, and the watcher's start-up on a huge Songs folder, against baselines in the same run.

1. Latency: a generated 2,000-object osu!standard map is saved (in place, as stable does) `--saves` times,
   far enough apart that each save is checked on its own; the latency runs from just before the write to
   the findings callback, through the real watcher and rule checks, in the plain-callback mode (`maid
   watch`) and in the daemon's asyncio mode (hand-off to the loop, checks in a worker thread). Baseline:
   parse + rule checks called directly on the same bytes (no file system, no watcher). Target p95 ≤ 100 ms.
   Then once more with `bookmark_findings` on (findings published first, then written into the bookmarks
   through the write-back): save → findings again, and save → bookmarks written.
   A burst of 20 saves in 1 s shows the debounce: how many check runs, and whether the last saw the final bytes.
2. Start-up: a generated Songs folder of `--mapsets` mapset folders (a .osu, audio and hit sounds each) in a
   temp dir. Ours: look at folder and .osu mtimes, watch the most recent mapsets. Baseline: watchdog's
   recursive watch of the whole Songs folder. Printed: ready time, inotify watches, threads and process
   RSS (psutil). Target ≤ 2 s ready.

    .venv/bin/python benchmarks/automod.py [--saves 40] [--mapsets 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from daemon.automod import AutoMod, FindingsReport, rule_checks
from daemon.bookmarks import SIDECAR_NAME, BookmarkMirror, BookmarkStore, BookmarkWrite
from daemon.watcher import SavedFile, WatchOptions, Watcher, in_loop
from daemon.writeback import WriteBack
from engine.findings import Finding

Delivered = SavedFile | FindingsReport
BEAT_MS = 60_000 / 150  # 150 BPM: every 1/2 and 1/4 falls on a whole millisecond


def generated_map(objects: int, revision: int) -> bytes:
    """An osu!standard difficulty with `objects` hit objects on 1/2 beats: circles, sliders, a spinner per 500.

    `revision` moves one circle a pixel so that every save has new content.
    """
    head = (
        "osu file format v14\r\n\r\n[General]\r\nAudioFilename: audio.mp3\r\nAudioLeadIn: 0\r\nPreviewTime: 1000\r\n"
        "Countdown: 0\r\nSampleSet: Soft\r\nStackLeniency: 0.7\r\nMode: 0\r\n\r\n[Editor]\r\nBeatDivisor: 4\r\n\r\n"
        "[Metadata]\r\nTitle:Benchmark\r\nTitleUnicode:Benchmark\r\nArtist:maid\r\nArtistUnicode:maid\r\n"
        "Creator:bench\r\nVersion:Insane\r\nSource:\r\nTags:electronic english\r\nBeatmapID:0\r\nBeatmapSetID:-1\r\n\r\n"
        "[Difficulty]\r\nHPDrainRate:5\r\nCircleSize:4\r\nOverallDifficulty:8\r\nApproachRate:9\r\n"
        "SliderMultiplier:1.8\r\nSliderTickRate:1\r\n\r\n[Events]\r\n0,0,\"bg.jpg\",0,0\r\n\r\n"
        f"[TimingPoints]\r\n1000,{BEAT_MS!r},4,2,1,60,1,0\r\n"
    )
    greens = "".join(f"{1000 + k * 32 * BEAT_MS:.0f},-100,4,2,1,{50 + k % 4 * 10},0,0\r\n" for k in range(1, objects // 64))
    lines = []
    t = 1000.0
    for i in range(objects):
        x, y = 64 + (i * 37) % 384, 64 + (i * 53) % 256
        if i == 1:
            x = 64 + revision % 300
        combo = 4 if i % 8 == 0 else 0
        if i % 500 == 499:
            lines.append(f"256,192,{t:.0f},{8 | combo},0,{t + 2 * BEAT_MS:.0f},0:0:0:0:")
            t += 3 * BEAT_MS
        elif i % 4 == 3:
            lines.append(f"{x},{y},{t:.0f},{2 | combo},2,B|{x + 40}:{y + 30}|{x + 90}:{y},1,90,2|0,0:0|0:0,0:0:0:0:")
            t += BEAT_MS
        else:
            lines.append(f"{x},{y},{t:.0f},{1 | combo},{i % 3 * 2},0:0:0:0:")
            t += BEAT_MS / 2
    return (head + greens + "\r\n[HitObjects]\r\n" + "\r\n".join(lines) + "\r\n").encode()


def percentiles(samples_s: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples_s)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"p50 {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   (n={len(ms)})"


def save_in_place(path: Path, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


def timed_saves(path: Path, saves: int, start: Callable[[Callable[[Delivered], None]], Watcher],
                starts: list[float] | None = None) -> list[float]:
    """Latency of each save: write → callback. `start(callback)` starts the pipeline under test; `starts`
    receives the perf_counter time of each save."""
    done = threading.Event()
    reports: list[Delivered] = []

    def got(report: Delivered) -> None:
        reports.append(report)
        done.set()

    watcher = start(got)
    latencies = []
    try:
        for revision in range(1, saves + 1):
            data = generated_map(2000, revision)
            done.clear()
            t0 = time.perf_counter()
            save_in_place(path, data)
            if starts is not None:
                starts.append(t0)
            if not done.wait(5):
                raise SystemExit(f"no findings for save {revision} within 5 s")
            latencies.append(time.perf_counter() - t0)
            assert reports[-1].sha256 == hashlib.sha256(data).hexdigest()
            time.sleep(0.25)  # longer than the debounce: each save is checked on its own
    finally:
        watcher.stop()
    return latencies


def latency(saves: int, root: Path) -> None:
    folder = root / "1 maid - Benchmark"
    folder.mkdir()
    path = folder / "maid - Benchmark (bench) [Insane].osu"
    path.write_bytes(generated_map(2000, 0))
    options = WatchOptions(debounce_s=0.15)

    direct, direct_cpu = [], []
    for revision in range(saves):
        data = generated_map(2000, revision)
        t0, cpu0 = time.perf_counter(), time.thread_time()
        findings = rule_checks(path, data)
        direct.append(time.perf_counter() - t0)
        direct_cpu.append(time.thread_time() - cpu0)
    print(f"map: 2,000 objects, {len(generated_map(2000, 0)):,} bytes, {len(findings)} findings per check run")
    print(f"  baseline: parse + rule checks called directly   {percentiles(direct)}")
    # Wall-clock figures grow with other processes' load on a shared machine; CPU time of the thread does not.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"    of which CPU time (load {load} on {os.cpu_count()} cores)  {percentiles(direct_cpu)}")

    def watcher_only(callback: Callable[[SavedFile], None]) -> Watcher:
        watcher = Watcher(callback, options=options)
        watcher.start()
        watcher.focus(folder)
        return watcher

    samples = timed_saves(path, saves, watcher_only)
    print(f"  save → SavedFile, watcher alone (no checks)    {percentiles(samples)}")

    check_times: list[float] = []

    def timed_checks(path: Path, data: bytes) -> list[Finding]:
        t0 = time.perf_counter()
        findings = rule_checks(path, data)
        check_times.append(time.perf_counter() - t0)
        return findings

    def plain(callback: Callable[[FindingsReport], None]) -> Watcher:
        automod = AutoMod(publish=callback, checks=timed_checks)
        watcher = Watcher(lambda saved: callback(automod.check(saved)), options=options)
        watcher.start()
        watcher.focus(folder)
        return watcher

    samples = timed_saves(path, saves, plain)
    print(f"  save → findings, plain callback (maid watch)   {percentiles(samples)}")
    print(f"    of which not the checks (same saves)         {percentiles([a - b for a, b in zip(samples, check_times)])}")
    check_times.clear()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def in_daemon(callback: Callable[[FindingsReport], None]) -> Watcher:
        automod = AutoMod(publish=callback, checks=timed_checks)
        watcher = Watcher(in_loop(loop, automod.submit), options=options)
        watcher.start()
        watcher.focus(folder)
        return watcher

    samples = timed_saves(path, saves, in_daemon)
    print(f"  save → findings, asyncio hand-off (daemon)     {percentiles(samples)}")
    print(f"    of which not the checks (same saves)         {percentiles([a - b for a, b in zip(samples, check_times)])}")
    check_times.clear()

    # bookmark_findings on: the same, and each save's findings then written into the file's bookmarks.
    writeback = WriteBack(root / "backups")
    writes: list[tuple[float, BookmarkWrite]] = []

    def mirroring(callback: Callable[[FindingsReport], None]) -> Watcher:
        automod = AutoMod(publish=callback, checks=timed_checks, bookmarks=BookmarkMirror(writeback, BookmarkStore(root / SIDECAR_NAME)),
                          on_bookmarks=lambda written: writes.append((time.perf_counter(), written)))
        automod.mirror_bookmarks(True)
        watcher = Watcher(in_loop(loop, automod.submit), options=options, is_own_write=writeback.is_own_write)
        watcher.start()
        watcher.focus(folder)
        return watcher

    starts: list[float] = []
    samples = timed_saves(path, saves, mirroring, starts)
    time.sleep(0.5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    print(f"  save → findings, bookmark_findings on          {percentiles(samples)}")
    written = [at - max(t0 for t0 in starts if t0 < at) for at, w in writes if w.result is not None and w.result.changed]
    failed = sum(w.error is not None for _, w in writes)
    print(f"  save → bookmarks written (after the findings)  {percentiles(written)}   not written: {saves - len(written)}"
          f" ({failed} failed); checks run {len(check_times)} for {saves} saves")

    runs: list[SavedFile] = []
    with Watcher(runs.append, options=options) as watcher:
        watcher.focus(folder)
        t0 = time.perf_counter()
        for revision in range(100, 120):
            save_in_place(path, generated_map(2000, revision))
            time.sleep(max(0.0, t0 + (revision - 99) * 0.05 - time.perf_counter()))
        time.sleep(1.0)
    final = generated_map(2000, 119)
    print(f"  burst of 20 saves in 1 s: {len(runs)} check run(s); last run saw the final content: {runs[-1].data == final}")


def make_songs(songs: Path, count: int) -> None:
    content = generated_map(8, 0)
    for i in range(count):
        folder = songs / f"{100000 + i} Artist {i} - Title {i}"
        folder.mkdir(parents=True)
        (folder / f"Artist {i} - Title {i} (mapper) [Normal].osu").write_bytes(content)
        for name in ("audio.mp3", "bg.jpg", "soft-hitclap.wav", "soft-hitwhistle.wav", "normal-hitfinish.wav"):
            (folder / name).write_bytes(b"")


def inotify_watches() -> int:
    """inotify watches held by this process (from /proc/self/fdinfo); -1 where that cannot be read."""
    total = 0
    try:
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:inotify":
                    with open(f"/proc/self/fdinfo/{fd}") as info:
                        total += sum(line.startswith("inotify wd:") for line in info)
            except OSError:
                continue
    except OSError:
        return -1
    return total


def startup(mapsets: int, root: Path) -> None:
    songs = root / "Songs"
    t0 = time.perf_counter()
    make_songs(songs, mapsets)
    print(f"\nSongs folder: {mapsets:,} mapset folders generated in {time.perf_counter() - t0:.1f} s")
    process = psutil.Process()
    rss0, threads0 = process.memory_info().rss, threading.active_count()

    t0 = time.perf_counter()
    watcher = Watcher(lambda saved: None, songs_dir=songs, options=WatchOptions())
    watcher.start()
    ready = time.perf_counter() - t0
    ours = (ready, inotify_watches(), threading.active_count() - threads0, process.memory_info().rss - rss0)
    watched = len(watcher.watched_folders)
    watcher.stop()

    rss1, threads1 = process.memory_info().rss, threading.active_count()
    t0 = time.perf_counter()
    observer = Observer()
    observer.schedule(FileSystemEventHandler(), str(songs), recursive=True)
    observer.start()
    ready = time.perf_counter() - t0
    naive = (ready, inotify_watches(), threading.active_count() - threads1, process.memory_info().rss - rss1)
    observer.stop()
    observer.join()

    print(f"  ours:     active + {watched} recent mapsets   ready {ours[0] * 1000:7.1f} ms   inotify watches {ours[1]:6d}"
          f"   threads +{ours[2]:3d}   RSS +{ours[3] / 2**20:5.1f} MiB")
    print(f"  baseline: recursive watch of Songs   ready {naive[0] * 1000:7.1f} ms   inotify watches {naive[1]:6d}"
          f"   threads +{naive[2]:3d}   RSS +{naive[3] / 2**20:5.1f} MiB")
    print(f"  ready time baseline/ours: {naive[0] / ours[0]:.2f}x; {ours[1]} of the user's "
          f"{Path('/proc/sys/fs/inotify/max_user_watches').read_text().strip()} inotify watches used (baseline {naive[1]})")
    print(f"  process RSS after both: {process.memory_info().rss / 2**20:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--mapsets", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="maid-bench-") as tmp:
        root = Path(tmp)
        latency(args.saves, root)
        startup(args.mapsets, root)


if __name__ == "__main__":
    main()
