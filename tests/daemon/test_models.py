"""The model manager over the API with the tiny v30 checkpoint of the golden fixtures: load, status,
unload, a missing model, and the idle unload."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import torch

from daemon.api.models import ErrorCode
from tests.daemon.test_api import client, running


def test_load_status_and_unload_over_the_api(maid_home: Path, golden_dir: Path) -> None:
    torch.set_num_threads(1)
    tiny = golden_dir / "tiny-v30"

    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            loaded = await rpc.result("model/load", {"source": str(tiny), "device": "cpu"})
            model = daemon.services.models.current
            assert model is not None and model.model.checkpoint.root == tiny
            timings = {key: loaded.pop(key) for key in ("loadS", "warmupS", "idleS", "unloadInS")}
            assert loaded == {
                "loaded": True, "source": str(tiny), "device": "cpu", "dtype": "float32", "version": "v30",
                "parameters": sum(p.numel() for p in model.model.parameters()),
                "memoryBytes": sum(t.numel() * t.element_size() for t in [*model.model.parameters(), *model.model.buffers()]),
                "deviceMemoryBytes": None, "installed": None, "missing": None,  # on the CPU the model's own bytes are the figure
            }
            assert timings["loadS"] > 0 and timings["warmupS"] > 0 and 0 < timings["unloadInS"] <= 15 * 60  # the default idle unload
            assert {k: v for k, v in (await rpc.result("status"))["model"].items() if k not in timings} == loaded
            job = next(j for j in (await rpc.result("jobs/list"))["jobs"] if j["kind"] == "model/load")
            assert job["state"] == "done" and job["file"] is None

            unloaded = await rpc.result("model/unload")
            assert unloaded["loaded"] is False and unloaded["source"] == "OliBomby/Mapperatorinator-v30"
            assert daemon.services.models.current is None

    asyncio.run(main())


def test_a_model_that_is_not_installed_is_reported_with_how_to_get_it(maid_home: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            error = (await rpc.call("model/load", {"device": "cpu"}))["error"]
            assert error["code"] == ErrorCode.MODEL_NOT_INSTALLED and "maid model pull" in error["message"]
            assert error["data"] == {"source": "OliBomby/Mapperatorinator-v30"}
            assert (await rpc.result("status"))["model"]["loaded"] is False

    asyncio.run(main())


def test_idle_unload_follows_the_setting(maid_home: Path, golden_dir: Path) -> None:
    torch.set_num_threads(1)

    async def main() -> None:
        async with running({"model_idle_unload_minutes": 2}) as daemon:
            models = daemon.services.models
            await models.load(str(golden_dir / "tiny-v30"), "cpu", "auto")
            assert not models.idle_expired(time.monotonic() + 60)
            assert models.idle_expired(time.monotonic() + 121)
            models.touch()
            assert not models.idle_expired(time.monotonic() + 100)
            daemon.services.settings.model_idle_unload_minutes = 0  # 0 = keep it loaded
            assert not models.idle_expired(time.monotonic() + 10**6)

    asyncio.run(main())


def test_first_need_loads_once_and_respects_the_model_loaded_by_hand(maid_home: Path, golden_dir: Path) -> None:
    torch.set_num_threads(1)
    v30, v32 = str(golden_dir / "tiny-v30"), str(golden_dir / "tiny-v32")

    async def main() -> None:
        async with running({"model_source": v30, "device": "cpu"}) as daemon:
            models, jobs = daemon.services.models, daemon.services.jobs
            first, second = await asyncio.gather(models.ensure(v30, "cpu", "auto"), models.ensure(v30, "cpu", "auto"))
            assert first is second and first.warmup_s > 0
            assert [j.spec.kind for j in jobs.list()] == ["model/load"]  # two needs, one load
            await models.load(v32, "cpu", "auto")
            assert (await models.ensure(v30, "cpu", "auto")).source == v32  # a model chosen with model/load is kept

    asyncio.run(main())


def test_load_model_at_start(maid_home: Path, golden_dir: Path) -> None:
    torch.set_num_threads(1)

    async def main() -> None:
        async with running({"model_source": str(golden_dir / "tiny-v30"), "device": "cpu", "load_model_at_start": True}) as daemon:
            for _ in range(600):
                if daemon.services.models.current is not None:
                    break
                await asyncio.sleep(0.05)
            loaded = daemon.services.models.current
            assert loaded is not None and loaded.version == "v30" and daemon.services.automod.maimod is not None

    asyncio.run(main())
