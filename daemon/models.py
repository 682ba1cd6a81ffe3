"""The model manager: load a checkpoint onto its device (on first need or at start), warm it up with one
tiny forward pass, keep it resident, unload it on request or after the idle time set in
`model_idle_unload_minutes`, and report what is loaded, on which device, and the memory it holds.

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
INSTALLED_TTL_S = 10.0  # `status` is polled: look in the hub cache at most this often per source


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
    load_s: float  # reading the weights onto the device
    warmup_s: float  # the first (tiny) forward pass, which sets up the device's kernels


class ModelManager:
    def __init__(self, jobs: JobQueue, idle_unload_minutes: Callable[[], float]) -> None:
        self.jobs = jobs
        self.idle_unload_minutes = idle_unload_minutes  # read at each check: config/set applies at once
        self.current: LoadedModel | None = None
        self.last_used = time.monotonic()
        self.on_change: Callable[[LoadedModel | None], None] = lambda loaded: None  # after each load and unload
        self._loading = asyncio.Lock()
        self._installed: dict[str, tuple[float, str | None]] = {}

    async def ensure(self, source: str, device: str, dtype: str) -> LoadedModel:
        """The loaded model (whichever `model/load` chose), else load `source` (a method's first need of a
        model). Concurrent callers share one load."""
        async with self._loading:
            if self.current is not None:
                self.touch()
                return self.current
            return await self.load(source, device, dtype)

    def missing(self, source: str) -> str | None:
        """None when `source` is installed, else how to get it (`installed`), remembered for INSTALLED_TTL_S. Blocking."""
        checked = self._installed.get(source)
        if checked is None or time.monotonic() - checked[0] > INSTALLED_TTL_S:
            checked = (time.monotonic(), installed(source))
            self._installed[source] = checked
        return checked[1]

    async def load(self, source: str, device: str, dtype: str) -> LoadedModel:
        """Load `source` (a local folder or a cached hub id) onto `device` ("auto", "cpu", "cuda", "mps"),
        replacing the model loaded now. Raises ModelError."""
        lane = resolve_device(device)
        precision = resolve_dtype(dtype, lane)

        def run(ctx: JobContext) -> LoadedModel:
            from engine.checkpoint import load_model

            ctx.progress(0.0, f"loading {source} onto {lane} ({precision})")
            self._drop()  # never two models in memory at once
            started = time.perf_counter()
            model = load_model(source, device=lane, dtype=precision)
            loaded = time.perf_counter()
            ctx.progress(0.9, "warming up")
            warm_up(model)
            tensors = [*model.parameters(), *model.buffers()]
            return LoadedModel(
                model, source, lane, precision, model.checkpoint.version,
                sum(p.numel() for p in model.parameters()), sum(t.numel() * t.element_size() for t in tensors), time.time(),
                loaded - started, time.perf_counter() - loaded,
            )  # fmt: skip

        job = await self._run(JobSpec("model/load", run, Priority.REQUESTED, device=lane, title=f"load model {source}"))
        if job.state is not JobState.DONE:
            raise _model_error(job, source)
        self.current = job.result
        self.last_used = time.monotonic()
        log.info("model %s (%s) loaded on %s as %s in %.1f s, warm-up %.2f s", source, self.current.version, lane, precision,
                 self.current.load_s, self.current.warmup_s)
        self.on_change(self.current)
        return self.current

    async def unload(self) -> bool:
        """Free the model (on its lane, after the jobs queued before); False when none was loaded."""
        if self.current is None:
            return False

        def run(ctx: JobContext) -> None:
            self._drop()

        await self._run(JobSpec("model/unload", run, Priority.REQUESTED, device=self.current.device, title="unload model"))
        self.on_change(None)
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
        minutes = self.idle_unload_minutes()
        idle = time.monotonic() - self.last_used
        return {"loaded": True, "source": m.source, "device": m.device, "dtype": m.dtype, "version": m.version,
                "parameters": m.parameters, "memory_bytes": m.memory_bytes, "device_memory_bytes": device_memory(m.device),
                "load_s": round(m.load_s, 3), "warmup_s": round(m.warmup_s, 3), "idle_s": round(idle, 1),
                "unload_in_s": round(max(0.0, minutes * 60 - idle), 1) if minutes > 0 else None}  # fmt: skip

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


def warm_up(model: Any) -> None:
    """One window of silence through the encoder and one decoder step: the device's kernels are chosen and
    its memory pools set up here, not in the mapper's first request."""
    import torch

    from engine.model import AudioConditioning

    with torch.inference_mode():
        silence = torch.zeros(1, model.dims.window_samples)
        features = model.encode_audio(silence, AudioConditioning(song_position=(0.0, 1.0)))
        cache = model.new_cache(features, batch=1, capacity=1)
        model.logits(torch.zeros(1, 1, dtype=torch.long, device=model.device), cache=cache)


def device_memory(device: str) -> int | None:
    """Bytes the device's allocator holds now (CUDA, MPS); None on the CPU, where the model's own bytes are the figure."""
    if device == "cpu":
        return None
    import torch

    if device.startswith("cuda"):
        return int(torch.cuda.memory_allocated(device))
    if device == "mps":
        return int(torch.mps.current_allocated_memory())
    return None


def installed(source: str) -> str | None:
    """None when `source` can be loaded without a download, else what to do about it (`maid model pull`)."""
    from engine.hub import WeightsNotFoundError, resolve_checkpoint

    try:
        resolve_checkpoint(source)
    except WeightsNotFoundError as exc:
        return str(exc)
    return None


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
