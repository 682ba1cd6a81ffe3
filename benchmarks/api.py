"""API throughput and latency: N concurrent clients each make M sequential `status` calls against a real
`maid start` process, and the same load against a bare websockets server that answers a canned reply
(the baseline: what the transport alone costs on this machine). Then the daemon's idle RSS and CPU.

With `--model CHECKPOINT`: a model method end to end. `hitsound` on the demo map over the API (job queue,
write-back with a backup, `file/written`) against engine.tasks.hitsound called directly on the same map in
this process (the baseline), both on one CPU thread; and the first call, which loads and warms up the model.

Both servers run as separate processes (pinned to no CPU; the machine has 2 cores shared with the
clients, so read the ratio, not the absolute numbers). Nothing touches the real user dirs (MAID_HOME is
a temp folder).

    .venv/bin/python benchmarks/api.py [--clients 50] [--calls 200] [--idle 5] [--model ../shared/fixtures/reference/tiny-v30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parents[1]

BASELINE_SERVER = """
import asyncio, json, sys
from websockets.asyncio.server import serve
async def handler(ws):
    async for frame in ws:
        request = json.loads(frame)
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {"pid": 1, "status": "ok"}}))
async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), compression=None):
        print("ready", flush=True)
        await asyncio.Future()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port} after {timeout} s")


async def one_client(url: str, headers: dict[str, str], calls: int, latencies: list[float]) -> None:
    async with connect(url, additional_headers=headers, compression=None) as ws:
        for i in range(calls):
            started = time.perf_counter()
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "status"}))
            reply = json.loads(await ws.recv())
            latencies.append(time.perf_counter() - started)
            if "result" not in reply:
                raise SystemExit(f"status failed: {reply}")


async def load(url: str, headers: dict[str, str], clients: int, calls: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(one_client(url, headers, calls, latencies) for _ in range(clients)))
    return time.perf_counter() - started, latencies


def report(name: str, elapsed: float, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    throughput = len(ordered) / elapsed
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name:<10} {len(ordered):>6} calls in {elapsed:6.2f} s: {throughput:8.0f} calls/s, p50 {p50:6.2f} ms, p99 {p99:6.2f} ms")
    return throughput


HITSOUND = {"startMs": 0, "endMs": 12000}


async def api_calls(url: str, headers: dict[str, str], path: Path, repeats: int) -> tuple[float, list[float], dict[str, object]]:
    """(first call s, later calls s, the model's status after them)"""
    async with connect(url, additional_headers=headers, compression=None, max_size=None) as ws:
        times = []
        for i in range(repeats + 1):
            started = time.perf_counter()
            params = {"path": str(path), **HITSOUND, "options": {"seed": i}}  # a new seed: new hitsounds, so each call writes
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "hitsound", "params": params}))
            while "id" not in (reply := json.loads(await ws.recv())):
                pass
            times.append(time.perf_counter() - started)
            if "result" not in reply or reply["result"]["state"] != "done":
                raise SystemExit(f"hitsound failed: {reply}")
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": "s", "method": "status"}))
        while (reply := json.loads(await ws.recv())).get("id") != "s":
            pass
        return times[0], times[1:], reply["result"]["model"]


def model_method(checkpoint: Path, repeats: int, env: dict[str, str]) -> None:
    import shutil

    import torch

    from engine.checkpoint import load_model
    from engine.decoding import GenerateOptions
    from engine.demo import demo_mapset_folder
    from engine.osu import read_beatmap
    from engine.tasks import hitsound

    torch.set_num_threads(1)
    songs = Path(env["MAID_HOME"]) / "Songs"
    mapset = Path(shutil.copytree(demo_mapset_folder(), songs / "1 maid - Demo Song"))
    path = mapset / "maid - Demo Song (maid) [Normal].osu"
    model = load_model(checkpoint, device="cpu")
    direct = []
    for seed in range(repeats + 1):
        started = time.perf_counter()
        hitsound(model, read_beatmap(path), mapset / "audio.ogg", GenerateOptions(seed=seed), time_range=(0, 12000))
        direct.append(time.perf_counter() - started)
    port = free_port()
    daemon_env = {**env, "MAID_PORT": str(port), "MAID_MODEL_SOURCE": str(checkpoint), "MAID_DEVICE": "cpu",
                  "MAID_SONGS_FOLDER": str(songs), "MAID_TRAY": "false", "OMP_NUM_THREADS": "1"}  # fmt: skip
    daemon = subprocess.Popen([sys.executable, "-c", "from daemon.cli import main; main()", "start"], cwd=REPO, env=daemon_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, daemon)
        token = subprocess.run([sys.executable, "-c", "from daemon.cli import main; main()", "token"], cwd=REPO, env=daemon_env,
                               capture_output=True, text=True, check=True).stdout.strip()
        first, warm, status = asyncio.run(api_calls(f"ws://127.0.0.1:{port}/", {"Authorization": f"Bearer {token}"}, path, repeats))
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    base, ours = statistics.median(direct[1:]), statistics.median(warm)
    print(f"hitsound 0-12 s of the demo map, {checkpoint.name}, 1 CPU thread, median of {repeats}:")
    print(f"engine.tasks.hitsound direct {base * 1000:7.1f} ms; over the API (job, write-back, notifications) {ours * 1000:7.1f} ms; "
          f"API / direct: {ours / base:.2f}")
    print(f"first API call (model load {status['loadS']} s + warm-up {status['warmupS']} s + the call): {first:.2f} s; "
          f"first direct call after load (no warm-up): {direct[0] * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle measurement")
    parser.add_argument("--model", type=Path, help="a checkpoint folder: also measure a model method (hitsound)")
    parser.add_argument("--repeats", type=int, default=5, help="model method calls per side")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="maid-bench-")
    env = {**os.environ, "MAID_HOME": home, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    maid_port, base_port = free_port(), free_port()
    env["MAID_PORT"] = str(maid_port)
    daemon = subprocess.Popen([sys.executable, "-c", "from daemon.cli import main; main()", "start"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    baseline = subprocess.Popen([sys.executable, "-c", BASELINE_SERVER, str(base_port)], stdout=subprocess.DEVNULL)
    try:
        wait_for_port(maid_port, daemon)
        wait_for_port(base_port, baseline)
        token = subprocess.run([sys.executable, "-c", "from daemon.cli import main; main()", "token"], cwd=REPO, env=env,
                               capture_output=True, text=True, check=True).stdout.strip()
        print(f"{args.clients} clients x {args.calls} sequential `status` calls; {os.cpu_count()} CPUs shared by clients and server")
        base = report("baseline", *asyncio.run(load(f"ws://127.0.0.1:{base_port}/", {}, args.clients, args.calls)))
        ours = report("maid", *asyncio.run(load(f"ws://127.0.0.1:{maid_port}/", {"Authorization": f"Bearer {token}"}, args.clients, args.calls)))
        print(f"maid / baseline throughput: {ours / base:.2f}")

        process = psutil.Process(daemon.pid)
        time.sleep(1.0)  # let the load's connections close
        process.cpu_percent(None)
        time.sleep(args.idle)
        cpu = process.cpu_percent(None)
        rss = process.memory_info().rss / 2**20
        print(f"maid idle: RSS {rss:.1f} MiB, CPU {cpu:.2f} % over {args.idle:g} s")
    finally:
        for process in (daemon, baseline):
            process.terminate()
            process.wait(timeout=10)
    if args.model is not None:
        model_method(args.model.resolve(), args.repeats, env)


if __name__ == "__main__":
    main()
