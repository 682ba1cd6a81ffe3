"""The model manager: load a checkpoint onto its device, keep it resident, unload it on request or after
the idle time set in `model_idle_unload_minutes`, and report what is loaded.

Loading runs as a job on the device's model lane (daemon.jobs), so it never overlaps a generation on the
same device. torch and the engine are imported only when a model is loaded: the daemon starts in well
under a second without them.

It must never hold two models at once, never unload a model while a job on its lane runs (unloading is
a job on that lane too), and never download weights (engine.hub resolves hub ids from the cache only;
`maid model pull` downloads).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from daemon.jobs import Job, JobContext, JobQueue, JobSpec, JobState, Priority

log = logging.getLogger(__name__)

IDLE_CHECK_S = 30.0


class ModelError(Exception):
    """Loading failed. `installed` is False when the weights are simply not there (`maid model pull`)."""

    def __init__(self, message: str, installed: bool) -> None:
        super().__init__(message)
        self.installed = installed


@dataclass(frozen=True)
class LoadedModel:
    model: Any  # engine.model.Mapperatorinator, with `.checkpoint` (engine.checkpoint.CheckpointInfo)
    source: str
    device: str
    dtype: str
    version: str
    parameters: int
    memory_bytes: int  # the parameters and buffers
    loaded_at: float


class ModelManager:
    def __init__(self, jobs: JobQueue, idle_unload_minutes: Callable[[], float]) -> None:
        self.jobs = jobs
        self.idle_unload_minutes = idle_unload_minutes  # read at each check: config/set applies at once
        self.current: LoadedModel | None = None
        self.last_used = time.monotonic()

    async def load(self, source: str, device: str, dtype: str) -> LoadedModel:
        """Load `source` (a local folder or a cached hub id) onto `device` ("auto", "cpu", "cuda", "mps"),
        replacing the model loaded now. Raises ModelError."""
        lane = resolve_device(device)
        precision = resolve_dtype(dtype, lane)

        def run(ctx: JobContext) -> LoadedModel:
            from engine.checkpoint import load_model

            ctx.progress(0.0, f"loading {source} onto {lane} ({precision})")
            self._drop()  # never two models in memory at once
            model = load_model(source, device=lane, dtype=precision)
            tensors = [*model.parameters(), *model.buffers()]
            return LoadedModel(
                model, source, lane, precision, model.checkpoint.version,
                sum(p.numel() for p in model.parameters()), sum(t.numel() * t.element_size() for t in tensors), time.time(),
            )  # fmt: skip

        job = await self._run(JobSpec("model/load", run, Priority.REQUESTED, device=lane, title=f"load model {source}"))
        if job.state is not JobState.DONE:
            raise _model_error(job, source)
        self.current = job.result
        self.last_used = time.monotonic()
        log.info("model %s (%s) loaded on %s as %s", source, self.current.version, lane, precision)
        return self.current

    async def unload(self) -> bool:
        """Free the model (on its lane, after the jobs queued before); False when none was loaded."""
        if self.current is None:
            return False

        def run(ctx: JobContext) -> None:
            self._drop()

        await self._run(JobSpec("model/unload", run, Priority.REQUESTED, device=self.current.device, title="unload model"))
        return True

    def touch(self) -> None:
        """A job used the model: the idle time starts again."""
        self.last_used = time.monotonic()

    def idle_expired(self, now: float | None = None) -> bool:
        minutes = self.idle_unload_minutes()
        return self.current is not None and minutes > 0 and (now or time.monotonic()) - self.last_used >= minutes * 60

    async def unload_when_idle(self) -> None:
        """Runs for the daemon's life: unloads the model once it has been idle long enough."""
        while True:
            await asyncio.sleep(IDLE_CHECK_S)
            if self.idle_expired():
                log.info("model idle for %g minutes: unloading it", self.idle_unload_minutes())
                await self.unload()

    def status(self) -> dict[str, Any]:
        """The API's ModelStatus fields for what is loaded now."""
        if self.current is None:
            return {"loaded": False}
        m = self.current
        return {"loaded": True, "source": m.source, "device": m.device, "dtype": m.dtype, "version": m.version,
                "parameters": m.parameters, "memory_bytes": m.memory_bytes}  # fmt: skip

    async def _run(self, spec: JobSpec) -> Job:
        job = self.jobs.submit(spec)
        try:
            return await self.jobs.wait(job)
        except asyncio.CancelledError:
            self.jobs.cancel(job.id)
            raise

    def _drop(self) -> None:
        loaded, self.current = self.current, None
        if loaded is None:
            return
        del loaded
        gc.collect()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def resolve_device(device: str) -> str:
    """"auto" -> cuda, then mps, else cpu; the name of the job lane the model runs on."""
    if device != "auto":
        return device
    from engine.checkpoint import pick_device

    return pick_device(None).type


def resolve_dtype(dtype: str, device: str) -> str:
    """"auto" -> float32 on the CPU, bfloat16 on a GPU that has it, else float16."""
    if dtype != "auto":
        return dtype
    if device == "cpu":
        return "float32"
    import torch

    return "bfloat16" if device.startswith("cuda") and torch.cuda.is_bf16_supported() else "float16"


def _model_error(job: Job, source: str) -> ModelError:
    from engine.hub import WeightsNotFoundError

    if job.state is JobState.CANCELLED:
        return ModelError(f"loading {source} was cancelled", installed=True)
    if isinstance(job.exception, WeightsNotFoundError):
        return ModelError(str(job.exception), installed=False)
    return ModelError(f"could not load {source}: {job.error}", installed=True)
