"""The API's messages: JSON-RPC 2.0 envelopes, error codes, and the params/result model of every method
and notification. Field names are camelCase on the wire (as in the Language Server Protocol).

These models are the contract with every client (tray, browser overlays, scripts); `maid api schema`
exports them as JSON Schema. They must never carry a token, and never hold daemon state.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

JSONRPC_VERSION = "2.0"
SUBPROTOCOL = "maid.jsonrpc"  # the protocol name the server answers with
TOKEN_SUBPROTOCOL_PREFIX = "maid.token."  # browsers offer [SUBPROTOCOL, "maid.token.<token>"]


class ErrorCode(IntEnum):
    """JSON-RPC 2.0 / LSP codes, then maid's own in the server range (-32099..-32000)."""

    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    CONFLICT = -32001  # the file changed where an edit applies; the result was kept as a pending edit
    MODEL_NOT_INSTALLED = -32002
    NOT_AVAILABLE = -32003  # the method exists but this build cannot serve it (see initialize's capabilities.unavailable)
    NOT_FOUND = -32004  # an unknown job, file or backup
    WRITE_FAILED = -32005  # disk full, read-only, permission denied: the file is untouched
    RATE_LIMITED = -32006
    PAUSED = -32007  # the daemon is paused (daemon/pause): editor actions do nothing until it resumes
    ACTION_FAILED = -32008  # an editor action stopped at a step (data.step says which; the message says why and what to do)
    REQUEST_CANCELLED = -32800  # LSP's RequestCancelled


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


Id = StrictInt | StrictStr  # strict: true and 1.0 are not ids


# ---- envelopes ----------------------------------------------------------------------------


class Request(Model):
    """A request (with `id`) or a notification (without)."""

    jsonrpc: Literal["2.0"]
    method: str
    params: dict[str, Any] | list[Any] | None = None
    id: Id | None = None


class ErrorObject(Model):
    code: int
    message: str
    data: Any = None


class Response(Model):
    jsonrpc: Literal["2.0"] = JSONRPC_VERSION
    id: Id | None
    result: Any = None
    error: ErrorObject | None = None


class Notification(Model):
    jsonrpc: Literal["2.0"] = JSONRPC_VERSION
    method: str
    params: dict[str, Any]


class NoParams(Model):
    pass


class Empty(Model):
    pass


# ---- lifecycle ----------------------------------------------------------------------------


class ClientInfo(Model):
    name: str
    version: str | None = None


class InitializeParams(Model):
    client_info: ClientInfo | None = None
    capabilities: dict[str, Any] = Field(default_factory=dict)


class ServerInfo(Model):
    name: str
    version: str


class ServerCapabilities(Model):
    methods: list[str]
    notifications: list[str]
    unavailable: dict[str, str] = Field(description="method -> what it still needs before it answers")


class InitializeResult(Model):
    server_info: ServerInfo
    capabilities: ServerCapabilities


HoldName = Literal["user", "play"]  # daemon.jobs.Hold
HOLDS = ("why queued model jobs wait now (jobs/holds tells each change): 'user' = daemon/pause; 'play' = osu! is in "
         "play mode, model work waits until the player leaves gameplay (editor actions still run); empty = they run")


class JobCounts(Model):
    queued: int
    running: int


class ModelStatus(Model):
    """The loaded model; when none is loaded, `source` and `device` are what `model/load` would use."""

    loaded: bool
    source: str
    device: str
    installed: bool | None = Field(None, description="false: the weights are not on this computer (see `missing`)")
    missing: str | None = Field(None, description="how to get the weights: `maid model pull ID`")
    dtype: str | None = None
    version: str | None = Field(None, description="checkpoint family: v30, v31, v32, v32-mini")
    parameters: int | None = None
    memory_bytes: int | None = Field(None, description="the model's parameters and buffers")
    device_memory_bytes: int | None = Field(None, description="what the GPU's allocator holds now; none on the CPU")
    load_s: float | None = None
    warmup_s: float | None = Field(None, description="the first tiny forward pass after loading")
    idle_s: float | None = Field(None, description="since a job last used the model")
    unload_in_s: float | None = Field(None, description="until the idle unload; none = kept loaded")


class StatusResult(Model):
    version: str
    pid: int
    uptime_s: float
    port: int
    clients: int
    jobs: JobCounts
    model: ModelStatus
    config_file: str
    backup_folder: str
    songs_folder: str | None
    songs_folder_source: Literal["config", "osu! install", "demo", "none"] = Field(
        description="where the Songs folder came from: the setting, the osu! install found, or maid's demo mapset copy")
    watched_folders: int = Field(description="mapset folders watched for saves (auto-mod)")
    paused: bool = Field(description="the user's pause (daemon/pause) is on: no auto-mod on save, no editor actions, queued model jobs wait")
    holds: list[HoldName] = Field(description=HOLDS)


class PauseParams(Model):
    paused: bool = Field(description="true: pause everything maid does on its own; false: resume")


class PauseState(Model):
    """Whether the user paused the daemon (the `daemon/pause` result, and the `daemon/paused` notification sent to
    every client when it changes). While paused, saves are not auto-modded, hotkeys and `editor/run` do nothing, and
    queued model jobs wait; running jobs finish. A restarted daemon is never paused."""

    paused: bool
    holds: list[HoldName] = Field(description=HOLDS + "; after a resume, 'play' may still hold model work")


class HoldsParams(Model):
    """The holds on model work changed (a hold put on or taken off): while any is on, queued jobs on a model device
    wait (running ones finish; CPU jobs such as `check` and `model/unload` still run)."""

    holds: list[HoldName] = Field(description=HOLDS)


# ---- config -------------------------------------------------------------------------------


class ConfigGetParams(Model):
    key: str | None = Field(None, description="a dotted key such as 'backups.keep_count'; none = every setting")


class ConfigGetResult(Model):
    values: dict[str, Any] = Field(description="dotted key -> value")


class ConfigSetParams(Model):
    key: str
    value: Any


class ConfigSetResult(Model):
    key: str
    value: Any
    overridden_by: str | None = Field(None, description="a `maid start` flag or an environment variable that hides the file's value")
    restart_required: bool = Field(description="the running daemon keeps the old value until `maid stop` + `maid start`")


# ---- jobs ---------------------------------------------------------------------------------


class JobInfo(Model):
    id: str
    kind: str
    title: str
    file: str | None
    priority: Literal["interactive", "requested", "background"]
    state: Literal["queued", "running", "done", "failed", "cancelled", "superseded"]
    progress: float
    message: str
    created: float
    started: float | None
    finished: float | None
    error: str | None


class JobsListResult(Model):
    jobs: list[JobInfo]
    holds: list[HoldName] = Field(description=HOLDS)


class JobsCancelParams(Model):
    id: str


class JobsCancelResult(Model):
    id: str
    state: str


class CancelRequestParams(Model):
    id: Id


# ---- backups ------------------------------------------------------------------------------


class BackupsListParams(Model):
    path: str = Field(description="the .osu file")


class BackupInfo(Model):
    path: str
    created: str
    code: Literal["write", "derived", "restore", "undo"]
    size: int


class BackupsListResult(Model):
    file: str
    backups: list[BackupInfo]


class BackupsJournalParams(Model):
    path: str | None = Field(None, description="only this .osu file; none = every file")
    last: int | None = Field(None, ge=1, description="only the newest N entries (`aiFiles` still covers them all); none = every entry")


class BackupsJournalResult(Model):
    entries: list[dict[str, Any]] = Field(description="journal lines, oldest first: time, kind, file, backup, job, "
                                                      "sha256_before/after, rebased, region, provenance {ai, task, model, summary}")
    ai_files: list[str] = Field(description="files maid wrote AI-generated content into (to disclose: it is unrankable)")


class BackupsRestoreParams(Model):
    path: str = Field(description="the .osu file")
    backup: str | None = Field(None, description="the backup to restore; none = undo maid's last change")


class WriteResultInfo(Model):
    path: str
    changed: bool
    rebased: bool
    backup: str | None
    sha256_before: str
    sha256_after: str


# ---- engine methods ---------------------------------------------------------------------------


class FileParams(Model):
    path: str = Field(description="the .osu file")


Priority = Literal["interactive", "requested", "background"]
ContextName = Literal["none", "timing", "no_hs", "gd", "map", "kiai", "sv"]


class GenerationOptions(Model):
    """engine.decoding.GenerateOptions as API params: every field optional (unset = the engine's default or the
    value taken from the map). Ranges are checked field by field with the engine's own messages; what depends on
    the loaded checkpoint (modes, years, descriptor names) is checked when the job starts. `lora` is not here:
    adapters are merged when a model is loaded."""

    gamemode: int | None = Field(None, description="0 osu!, 1 taiko, 2 catch, 3 mania; remap and hitsound use the map's")
    difficulty: float | None = Field(None, description="star rating")
    year: int | None = None
    mapper_id: int | None = Field(None, description="osu! user id whose style to follow")
    descriptors: list[str] | None = Field(None, description="style tags, e.g. style/clean (v32 names)")
    negative_descriptors: list[str] | None = Field(None, description="styles to steer away from (cfg_scale > 1)")
    circle_size: float | None = None
    slider_multiplier: float | None = None
    keycount: int | None = Field(None, description="mania keys")
    hold_note_ratio: float | None = None
    scroll_speed_ratio: float | None = None
    hitsounded: bool | None = None
    in_context: list[ContextName] | None = None
    output_types: list[ContextName] | None = None
    super_timing: bool | None = Field(None, description="multi-pass timing estimate (slower)")
    timer_iterations: int | None = None
    title: str | None = None
    artist: str | None = None
    creator: str | None = None
    version: str | None = Field(None, description="the difficulty name")
    hp_drain_rate: float | None = None
    overall_difficulty: float | None = None
    approach_rate: float | None = None
    slider_tick_rate: float | None = None
    temperature: float | None = None
    timing_temperature: float | None = None
    mania_column_temperature: float | None = None
    taiko_hit_temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    do_sample: bool | None = None
    seed: int | None = Field(None, description="same seed, same output")
    cfg_scale: float | None = None
    cfg_mode: Literal["textbook", "reference"] | None = None
    timeshift_bias: float | None = None
    lookback: float | None = None
    lookahead: float | None = None
    max_new_tokens: int | None = Field(None, description="per window; unset = up to the decoder context")

    @field_validator("*")
    @classmethod
    def _engine_range(cls, value: Any, info: ValidationInfo) -> Any:
        """The engine's own check of this one field (imported on the first request: torch stays out of start-up)."""
        if value is None or info.field_name is None:
            return value
        from engine.decoding import GenerateOptions, OptionsError

        try:
            GenerateOptions(**engine_values({info.field_name: value}))
        except OptionsError as exc:
            raise ValueError(str(exc)) from None
        return value

    def engine_options(self, **fixed: Any) -> Any:
        """The engine.decoding.GenerateOptions these params ask for, with `fixed` values (e.g. the map's mode) on
        top. Raises engine.decoding.OptionsError for combinations (lookback + lookahead)."""
        from engine.decoding import GenerateOptions

        chosen = {k: v for k, v in self.model_dump().items() if v is not None} | fixed
        return GenerateOptions(**engine_values(chosen))


def engine_values(values: dict[str, Any]) -> dict[str, Any]:
    """API values as GenerateOptions takes them: lists as tuples, context names as ContextType."""
    from engine.events import ContextType

    out = dict(values)
    for name in ("descriptors", "negative_descriptors"):
        if name in out:
            out[name] = tuple(out[name])
    for name in ("in_context", "output_types"):
        if name in out:
            out[name] = tuple(ContextType(c) for c in out[name])
    return out


class JobParams(Model):
    options: GenerationOptions = Field(default_factory=GenerationOptions)
    priority: Priority = Field("requested", description="interactive (a mapper is waiting) > requested > background")


class ModParams(FileParams):
    threshold: float | None = Field(None, gt=0, description="minimum relative surprisal; unset = engine.maimod's default")
    per_category: int | None = Field(None, ge=1, description="findings kept per category; unset = the default")
    priority: Priority = "requested"


class RemapParams(FileParams, JobParams):
    """The range: `startMs` and `endMs`, or `timestamp`, the editor's selection as osu! copies it
    (e.g. "00:12:345 (1,2,3) - "), which selects those objects."""

    start_ms: float | None = None
    end_ms: float | None = None
    timestamp: str | None = None

    @model_validator(mode="after")
    def _one_range(self) -> RemapParams:
        if self.timestamp is None and (self.start_ms is None or self.end_ms is None):
            raise ValueError("give startMs and endMs, or timestamp (the editor's selection, e.g. '00:12:345 (1,2,3) - ')")
        if self.timestamp is not None and (self.start_ms is not None or self.end_ms is not None):
            raise ValueError("give startMs/endMs or timestamp, not both")
        if self.start_ms is not None and self.end_ms is not None and not self.end_ms > self.start_ms:
            raise ValueError(f"endMs {self.end_ms:g} must come after startMs {self.start_ms:g}")
        return self


class HitsoundParams(FileParams, JobParams):
    start_ms: float | None = Field(None, description="only objects from here; unset = from the start")
    end_ms: float | None = Field(None, description="only objects up to here; unset = to the end")


class GuestDifficultyParams(JobParams):
    path: str = Field(description="the mapset folder, or any .osu in it")


class TimingParams(JobParams):
    audio_path: str = Field(description="the song (.mp3, .ogg, .wav, .flac)")
    write: bool = Field(False, description="also write the red lines as a new .osu beside the song (never overwriting)")


class TaskResultInfo(Model):
    """What a generation job did. `objects`: placed (remap, guestDifficulty) or re-hitsounded (hitsound)."""

    job_id: str
    state: Literal["done", "cancelled", "superseded"]
    objects: int = 0
    notes: list[str] = Field(default_factory=list, description="what the mapper should know, e.g. 'the model produced no objects'")
    written: WriteResultInfo | None = Field(None, description="the write-back of the edited file (remap, hitsound); none when nothing changed")
    created: str | None = Field(None, description="the new .osu file (guestDifficulty, timing with write)")
    seconds: float = 0.0
    tokens_per_second: float = 0.0


class TimingLineInfo(Model):
    time_ms: float
    bpm: float
    meter: int


class TimingResult(TaskResultInfo):
    lines: list[TimingLineInfo] = Field(default_factory=list, description="the red lines found")


class ModelLoadParams(Model):
    source: str | None = Field(None, description="a local checkpoint folder or a cached hub id; none = the model_source setting")
    device: Literal["auto", "cpu", "cuda", "mps"] | None = Field(None, description="none = the device setting")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] | None = Field(None, description="none = the dtype setting")


class FindingsApplyParams(FileParams):
    finding_ids: list[str]


EditorActionName = Literal["remap_selection", "hitsound_selection", "check_now", "undo_last_write"]


class EditorRunParams(Model):
    action: EditorActionName = Field(description="what a hotkey of the config's [hotkeys] table runs")


class EditorRunResult(Model):
    action: str
    job_id: str | None = Field(description="the job the action queued (job/progress and job/done follow); none when it ended without one")
    message: str = Field(description="what happened so far; the outcome comes as editor/action")


# ---- notifications ------------------------------------------------------------------------


class JobProgressParams(Model):
    """A running job's progress: `seq` counts 1, 2, 3, … per job, `progress` never goes back, and none follows the job's `job/done`."""

    id: str
    kind: str
    file: str | None
    seq: int = Field(description="increases by one per notification of this job")
    progress: float = Field(ge=0, le=1)
    message: str


class JobDoneParams(Model):
    """A job ended: `state` is done, failed, cancelled or superseded; `result` is the job's JSON result when it has one, `error` why it failed. Always the job's last notification."""

    id: str
    kind: str
    file: str | None
    state: str
    result: Any = None
    error: str | None = None


class FindingsPublishParams(Model):
    """daemon.automod.FindingsReport.to_json: one source's findings for one saved content of a file."""

    file: str
    sha256: str
    source: Literal["rules", "maimod"]
    findings: list[dict[str, Any]] = Field(description="engine.findings.Finding.to_json plus `new`: not in the previous report")
    fixed: list[dict[str, Any]] = Field(description="findings of the previous report that are gone")
    latency_ms: float = Field(description="from the save (file system event) to these findings")


class FileWrittenParams(Model):
    """maid wrote a file (an edit through write-back, a restore, or a new difficulty): reload it in osu! as `reloadHint` says. `ai`: the content came from the model."""

    path: str
    backup: str | None
    sha256_after: str
    job: str
    ai: bool = Field(description="AI-generated content: unrankable, must be disclosed")
    reload_hint: str


class EditDroppedParams(Model):
    """A save dropped maid's last edit of the file (the editor saved without reloading); `edits/reapply` writes it again."""

    file: str
    job: str
    backup: str | None
    ai: bool
    summary: str
    hint: str


class EditorStateParams(Model):
    """The osu! editor as tosu sees it (integrations.tosu EditorState.to_json): client, the open map, playhead, selection, or why it is unavailable. Sent on every change; the playhead at most once a second."""

    state: dict[str, Any]


class EditorActionParams(Model):
    """The outcome of a hotkey or an `editor/run` (daemon.editor): what ran, whether it worked, and if not, the step that failed and why."""

    action: str
    ok: bool
    step: str | None
    message: str


NOTIFICATIONS: dict[str, type[Model]] = {
    "job/progress": JobProgressParams,
    "job/done": JobDoneParams,
    "findings/publish": FindingsPublishParams,
    "file/written": FileWrittenParams,
    "editor/state": EditorStateParams,
    "editor/action": EditorActionParams,
    "edit/dropped": EditDroppedParams,
    "daemon/paused": PauseState,
    "jobs/holds": HoldsParams,
}
