"""The API's messages: JSON-RPC 2.0 envelopes, error codes, and the params/result model of every method
and notification. Field names are camelCase on the wire (as in the Language Server Protocol).

These models are the contract with every client (tray, browser overlays, scripts); `maid api schema`
exports them as JSON Schema. They must never carry a token, and never hold daemon state.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
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
    NOT_AVAILABLE = -32003  # the method exists but the engine part it needs has not landed yet
    NOT_FOUND = -32004  # an unknown job, file or backup
    WRITE_FAILED = -32005  # disk full, read-only, permission denied: the file is untouched
    RATE_LIMITED = -32006
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


class JobCounts(Model):
    queued: int
    running: int


class ModelStatus(Model):
    """The loaded model; when none is loaded, `source` and `device` are what `model/load` would use."""

    loaded: bool
    source: str
    device: str
    dtype: str | None = None
    version: str | None = Field(None, description="checkpoint family: v30, v31, v32, v32-mini")
    parameters: int | None = None
    memory_bytes: int | None = None


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
    watched_folders: int = Field(description="mapset folders watched for saves (auto-mod)")


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
    overridden_by: str | None = Field(None, description="an environment variable that hides the file's value")
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
    code: Literal["write", "restore", "undo"]
    size: int


class BackupsListResult(Model):
    file: str
    backups: list[BackupInfo]


class BackupsJournalParams(Model):
    path: str | None = Field(None, description="only this .osu file; none = every file")


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


# ---- engine methods (answer NOT_AVAILABLE until the engine lands) ----------------------------


class FileParams(Model):
    path: str = Field(description="the .osu file")


class RangeParams(FileParams):
    start_ms: float
    end_ms: float


class RemapParams(RangeParams):
    seed: int | None = None


class GuestDifficultyParams(FileParams):
    difficulty_name: str
    star_rating: float | None = None
    mapper: str | None = None


class HitsoundParams(FileParams):
    start_ms: float | None = None
    end_ms: float | None = None


class TimingParams(Model):
    audio_path: str


class ModelLoadParams(Model):
    source: str | None = Field(None, description="a local checkpoint folder or a cached hub id; none = the model_source setting")
    device: Literal["auto", "cpu", "cuda", "mps"] | None = Field(None, description="none = the device setting")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] | None = Field(None, description="none = the dtype setting")


class FindingsApplyParams(FileParams):
    finding_ids: list[str]


# ---- notifications ------------------------------------------------------------------------


class JobProgressParams(Model):
    id: str
    kind: str
    file: str | None
    seq: int = Field(description="increases by one per notification of this job")
    progress: float = Field(ge=0, le=1)
    message: str


class JobDoneParams(Model):
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
    state: dict[str, Any]


NOTIFICATIONS: dict[str, type[Model]] = {
    "job/progress": JobProgressParams,
    "job/done": JobDoneParams,
    "findings/publish": FindingsPublishParams,
    "file/written": FileWrittenParams,
    "editor/state": EditorStateParams,
    "edit/dropped": EditDroppedParams,
}
