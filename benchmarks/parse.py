"""Parse + typed views + serialise of the whole .osu corpus: maid's engine.osu beside fosu (native code)
and slider (pure Python, PyPI) in the same run, printing CPU seconds and ratios.

What each library does eagerly (measured): fosu.Parser.parse builds every hit object, timing point and
slider control point as a Python object inside parse (reading `len(beatmap.hit_objects)` or a slider's
`control_points` afterwards costs nothing more: the lists are the same objects on every access);
slider.Beatmap.parse parses every hit object line, curves included. maid reads the header when a file is
opened and each typed view on first access; its hit objects view builds every object, but a slider whose
curve is one letter and integer points (nearly all) keeps the curve's text, checked by the reading regex,
and builds its `segments`/`control_points` the first time they are read.

Rows:
- "maid open": parse, the header views (general, editor, metadata, difficulty, colours, events), every
  timing point and to_bytes(); hit objects are not read (what the daemon does to look at a map's header
  or timing). Shown against fosu for scale only: fosu builds the hit objects anyway.
- "maid full": the same plus every hit object as a typed object and its time/x/y/type read (what most
  checks and the tokenizer's timing read); sliders' control points are not read, so most are not built.
  This is the row issue #2's targets are for.
- "maid full + curves": "maid full" plus every slider's control points read, so every point tuple is built:
  the row that does all that fosu's parse does.
- "fosu": fosu.Parser.parse (all sections, control points included, no slider paths), every timing point,
  and time/x/y/type of every hit object.
- "slider": slider.Beatmap.parse + hit_objects(stacking=False) with time/position of every object +
  timing_points, on the files slider can parse (it fails on about a third); maid and fosu are timed again
  on that same subset for the slider ratio.

Targets (issue #2): "maid full" within 3x of fosu and at least 10x faster than slider.
Times are CPU seconds (time.process_time) of the best of --repeat runs, the collector's time included for
every library: the machine is shared, so read the ratios. Usage:
.venv/bin/python benchmarks/parse.py [--repeat 3] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

import fosu
import slider

from engine.osu import Slider, parse_beatmap

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "osu"


def maid_open(data: bytes) -> int:
    beatmap = parse_beatmap(data)
    beatmap.general, beatmap.editor, beatmap.metadata, beatmap.difficulty, beatmap.colours, beatmap.events
    return len(beatmap.timing_points) + len(beatmap.to_bytes())


def maid_full(data: bytes, curves: bool = False) -> int:
    beatmap = parse_beatmap(data)
    beatmap.general, beatmap.editor, beatmap.metadata, beatmap.difficulty, beatmap.colours, beatmap.events
    for obj in beatmap.hit_objects:
        obj.time, obj.x, obj.y, obj.type
    points = sum(len(obj.control_points) for obj in beatmap.hit_objects if isinstance(obj, Slider)) if curves else 0
    return len(beatmap.timing_points) + len(beatmap.hit_objects) + points + len(beatmap.to_bytes())


maid_full_curves = partial(maid_full, curves=True)


def fosu_parse(parser: fosu.Parser) -> Callable[[bytes], int]:
    def run(data: bytes) -> int:
        beatmap = parser.parse(data, client="lazer")
        for obj in beatmap.hit_objects:
            obj.time, obj.x, obj.y, obj.type
        return len(beatmap.hit_objects) + len(beatmap.timing_points)
    return run


def slider_parse(data: bytes) -> int:
    beatmap = slider.Beatmap.parse(data.decode("utf-8-sig"))
    objects = beatmap.hit_objects(stacking=False)
    for obj in objects:
        obj.time, obj.position
    return len(objects) + len(beatmap.timing_points)


def best_time(run: Callable[[bytes], int], files: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for data in files:
            run(data)
        best = min(best, time.process_time() - start)
    return best


def loadable(run: Callable[[bytes], int], files: list[bytes]) -> list[bytes]:
    kept = []
    for data in files:
        try:
            run(data)
        except Exception:  # noqa: BLE001 (each library fails in its own ways; OsuFormatError for maid)
            continue
        kept.append(data)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    corpus = [path.read_bytes() for path in sorted(args.corpus.glob("*.osu"))]
    fosu_run = fosu_parse(fosu.Parser())
    files = loadable(fosu_run, loadable(maid_full, corpus))
    size = sum(map(len, files)) / 1e6
    print(f"{len(files)} of {len(corpus)} corpus files that maid and fosu load, {size:.1f} MB")
    fosu_s = best_time(fosu_run, files, args.repeat)
    rows = {"maid open": best_time(maid_open, files, args.repeat),
            "maid full": best_time(maid_full, files, args.repeat),
            "maid full + curves": best_time(maid_full_curves, files, args.repeat), "fosu": fosu_s}
    for name, seconds in rows.items():
        print(f"  {name:18s} {seconds:7.3f} s   {seconds / fosu_s:5.2f}x fosu's time")
    subset = loadable(slider_parse, files)
    print(f"{len(subset)} files slider also loads, {sum(map(len, subset)) / 1e6:.1f} MB")
    slider_s = best_time(slider_parse, subset, 1)
    for name, run in (("maid open", maid_open), ("maid full", maid_full), ("maid full + curves", maid_full_curves),
                      ("fosu", fosu_run)):
        seconds = best_time(run, subset, args.repeat)
        print(f"  {name:18s} {seconds:7.3f} s   {slider_s / seconds:6.1f}x faster than slider")
    print(f"  {'slider':18s} {slider_s:7.3f} s")
    print("targets for 'maid full': within 3x fosu's time, at least 10x faster than slider")


if __name__ == "__main__":
    main()
