"""API throughput and latency: N concurrent clients each make M sequential `status` calls against a real
`maid start` process, and the same load against a bare websockets server that answers a canned reply
(the baseline: what the transport alone costs on this machine). Then the daemon's idle RSS and CPU.

Both servers run as separate processes (pinned to no CPU; the machine has 2 cores shared with the
clients, so read the ratio, not the absolute numbers). Nothing touches the real user dirs (MAID_HOME is
a temp folder).

    .venv/bin/python benchmarks/api.py [--clients 50] [--calls 200] [--idle 5]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle measurement")
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


if __name__ == "__main__":
    main()
