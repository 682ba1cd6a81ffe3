"""maid's settings: a commented TOML file in the user config dir, `MAID_*` environment variables and
command-line flags (highest first: flags, environment, file, defaults), validated by pydantic.

Every bad value is reported with its key, the value, what is allowed and where it came from (the TOML
line, the environment variable or the flag). `MAID_HOME` moves every user dir of maid under one folder
(tests and portable installs), so nothing touches the real user dirs.

This module must never write anything but the config file, and never leave it half-written.
"""

from __future__ import annotations

import contextvars
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import annotated_types
import platformdirs
import tomlkit
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from integrations.tosu import DEFAULT_PORT as TOSU_PORT

APP_NAME = "maid"
ENV_PREFIX = "MAID_"
DEFAULT_PORT = 28757
TAKEN_PORTS = {TOSU_PORT: "tosu and gosumemory", 49727: "osu!lazer's websocket", 5005: "osu!'s debugger"}
HOTKEY_KEYS = "<ctrl>, <alt>, <shift>, <cmd> and one key, joined by '+', e.g. <ctrl>+<alt>+r"


@dataclass(frozen=True)
class Paths:
    """Where maid keeps its files. `MAID_HOME` puts them all under one folder."""

    config_dir: Path
    state_dir: Path
    log_dir: Path
    data_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def discovery_file(self) -> Path:
        return self.state_dir / "daemon.json"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "daemon.lock"


def user_paths() -> Paths:
    home = os.environ.get("MAID_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "state", root / "log", root / "data")
    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
    )


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class BackupSettings(Section):
    folder: Path | None = Field(None, description="Where backups and the write journal go; unset = <data dir>/backups.")
    keep_count: int = Field(100, ge=1, le=100_000, description="Backups kept per .osu file (the newest).")
    keep_days: float = Field(30.0, ge=1, le=3650, description="Backups older than this many days are deleted (the newest is always kept).")


class HotkeySettings(Section):
    remap_selection: str = Field("<ctrl>+<alt>+r", description="Regenerate the objects selected in the editor (copy them with Ctrl+C first).")
    hitsound_selection: str = Field("<ctrl>+<alt>+h", description="Hitsound the selected objects.")
    check_now: str = Field("<ctrl>+<alt>+c", description="Run the checks on the open map now.")
    undo_last_write: str = Field("<ctrl>+<alt>+z", description="Restore the map as it was before maid's last write.")

    @field_validator("*")
    @classmethod
    def _hotkey(cls, value: str) -> str:
        parts = value.split("+")
        modifiers = {"<ctrl>", "<alt>", "<shift>", "<cmd>"}
        if not value or any(not p for p in parts) or not all(p in modifiers for p in parts[:-1]) or parts[-1] in modifiers:
            raise ValueError(f"not a hotkey; allowed: {HOTKEY_KEYS}")
        return value


class Settings(BaseSettings):
    """Everything a user can set. Field descriptions become the comments of the config file."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_assignment=True)

    songs_folder: Path | None = Field(None, description="osu!'s Songs folder; unset = found from the osu! install.")
    port: int = Field(DEFAULT_PORT, ge=1024, le=65535, description="Port of the websocket API on 127.0.0.1.")
    model_source: str = Field("OliBomby/Mapperatorinator-v30", min_length=1, description="Hugging Face hub id or local folder of the model.")
    device: Literal["auto", "cpu", "cuda", "mps"] = Field("auto", description="Where the model runs.")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field("auto", description="Model precision; auto = float16/bfloat16 on a GPU, float32 on the CPU.")
    model_idle_unload_minutes: int = Field(15, ge=0, le=1440, description="Unload the model after this many idle minutes; 0 = keep it loaded.")
    load_model_at_start: bool = Field(False, description="Load (and warm up) the model when maid starts instead of on its first use.")
    automod_on_save: bool = Field(True, description="Run the rule checks every time the map is saved.")
    maimod: bool = Field(True, description="Also run MaiMod (the model's surprisal analysis) after a save, in the background.")
    bookmark_findings: bool = Field(False, description="After each save, mark the rule checks' findings as editor bookmarks (reload the map to "
                                    "see them); your own bookmarks stay. Turning it off takes maid's out again (at the next start if "
                                    "maid is not running).")
    auto_reload: bool = Field(False, description="After a write, press Ctrl+L in osu! for you when the editor is focused.")
    tray: bool = Field(True, description="Show the tray icon.")
    tosu_port: int = Field(TOSU_PORT, ge=1, le=65535, description="Port of tosu (or gosumemory) on 127.0.0.1, where maid reads what the "
                           "osu! editor shows; change it only if you moved tosu's port.")
    backups: BackupSettings = Field(default_factory=BackupSettings)
    hotkeys: HotkeySettings = Field(default_factory=HotkeySettings)

    @field_validator("port")
    @classmethod
    def _free_port(cls, value: int) -> int:
        if value in TAKEN_PORTS:
            raise ValueError(f"port {value} is used by {TAKEN_PORTS[value]}; choose another (default {DEFAULT_PORT})")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=_toml_file.get())


_toml_file: contextvars.ContextVar[Path | None] = contextvars.ContextVar("maid_toml_file", default=None)


class ConfigError(Exception):
    """Bad settings; the message lists every bad value with its key, what is allowed and its source."""


def load_settings(paths: Paths, overrides: dict[str, Any] | None = None) -> Settings:
    """Settings from `paths.config_file` (created with comments when missing), the environment and
    `overrides` (command-line flags, by field name; None values are ignored)."""
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    _config_text(paths.config_file)
    token = _toml_file.set(paths.config_file)
    try:
        return Settings(**flags)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, paths.config_file, flags)) from exc
    finally:
        _toml_file.reset(token)


def _config_text(config_file: Path) -> str:
    """The config file's text (written with the defaults when missing); refused when it is not valid TOML."""
    ensure_config_file(config_file)
    try:
        text = config_file.read_text(encoding="utf-8")
        tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_file}: not valid TOML ({exc}); fix it or delete it to get the defaults back") from exc
    return text


def describe_errors(exc: ValidationError, config_file: Path, flags: dict[str, Any]) -> str:
    lines = []
    text = config_file.read_text(encoding="utf-8") if config_file.exists() else ""
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        key = ".".join(loc)
        if error["type"] == "extra_forbidden":
            lines.append(f"{key}: unknown setting ({_source(loc, config_file, text, flags)}); known settings: {', '.join(_known_keys(loc[:-1]))}")
            continue
        allowed = allowed_range(loc)
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{key} = {error.get('input')!r}: {message}{f' (allowed: {allowed})' if allowed else ''} [{_source(loc, config_file, text, flags)}]")
    return "invalid settings:\n  " + "\n  ".join(lines)


def _source(loc: tuple[str, ...], config_file: Path, text: str, flags: dict[str, Any]) -> str:
    if loc[0] in flags:
        return f"command-line flag --{loc[0].replace('_', '-')}"
    env = ENV_PREFIX + "__".join(loc).upper()
    if env in os.environ:
        return f"environment variable {env}"
    line = _toml_line(text, loc)
    return f"{config_file}, line {line}" if line else str(config_file)


def _toml_line(text: str, loc: tuple[str, ...]) -> int | None:
    """The 1-based line of `loc` (e.g. ("backups", "keep_count")) in a TOML text, tables or dotted keys."""
    table: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and not line.startswith("[["):
            table = tuple(part.strip().strip('"') for part in line.strip("[]").split("."))
            continue
        if "=" in line and not line.startswith("#"):
            key = tuple(part.strip().strip('"') for part in line.split("=", 1)[0].split("."))
            if table + key == loc:
                return number
    return None


def field_info(loc: tuple[str, ...]) -> Any:
    """The pydantic FieldInfo of a setting (e.g. ("backups", "keep_count")), or None for an unknown one."""
    model: Any = Settings
    info = None
    for part in loc:
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return None
        info = fields[part]
        model = info.annotation
    return info


def allowed_range(loc: tuple[str, ...]) -> str:
    """A numeric setting's range in words ("1 to 100000"); "" for the others."""
    info = field_info(loc)
    if info is None:
        return ""  # choices (Literal) are already listed in pydantic's message
    low = next((m.ge for m in info.metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in info.metadata if isinstance(m, annotated_types.Le)), None)
    if low is not None and high is not None:
        return f"{low} to {high}"
    return ""


def _known_keys(table: tuple[str, ...]) -> list[str]:
    model: Any = Settings
    for part in table:
        model = model.model_fields[part].annotation
    return list(model.model_fields)


def ensure_config_file(path: Path) -> None:
    """Write the default config, every setting commented, when there is none yet."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, default_config_text())


def default_config_text() -> str:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("maid settings. Environment variables MAID_<KEY> (MAID_<TABLE>__<KEY> inside a table)"))
    doc.add(tomlkit.comment("and command-line flags override this file. Unset keys use the defaults shown."))
    _add_fields(doc, Settings, Settings())
    return tomlkit.dumps(doc)


def _add_fields(container: Any, model: type[BaseModel], values: BaseModel) -> None:
    for name, info in model.model_fields.items():
        value = getattr(values, name)
        if isinstance(value, BaseModel):
            table = tomlkit.table()
            _add_fields(table, type(value), value)
            container.add(tomlkit.nl())
            container.add(name, table)
            continue
        container.add(tomlkit.nl())
        container.add(tomlkit.comment(info.description or name))
        if value is None:
            container.add(tomlkit.comment(f'{name} = ""'))
        else:
            container.add(name, str(value) if isinstance(value, Path) else value)


def set_value(paths: Paths, key: str, value: Any) -> Settings:
    """Set `key` (dotted for tables, e.g. "backups.keep_count") in the config file, keeping its comments.
    The file is only changed when the new settings validate."""
    loc = tuple(key.split("."))
    if key not in all_keys():
        raise ConfigError(f"{key}: unknown setting; known settings: {', '.join(all_keys())}")
    doc = tomlkit.parse(_config_text(paths.config_file))
    table: Any = doc
    for part in loc[:-1]:
        if part not in table:
            table[part] = tomlkit.table()
        table = table[part]
    if value is None:
        table.pop(loc[-1], None)
    else:
        table[loc[-1]] = str(value) if isinstance(value, Path) else value
    text = tomlkit.dumps(doc)
    try:
        Settings(**tomllib.loads(text))  # as keyword arguments the file's values win over the environment
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, paths.config_file, {})) from exc
    write_text_atomically(paths.config_file, text)
    return load_settings(paths)


def all_keys() -> list[str]:
    """Every setting's key, dotted inside a table ("backups.keep_count"), in the model's order."""
    keys = []
    for name, info in Settings.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            keys += [f"{name}.{child}" for child in sub.model_fields]
        else:
            keys.append(name)
    return keys


def flat_values(settings: BaseModel) -> dict[str, Any]:
    """Every setting as JSON by its dotted key ("backups.keep_count"): what the API's config/get answers."""
    return _flatten(settings.model_dump(mode="json"))


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def env_overridden(key: str) -> str | None:
    """The environment variable that overrides `key`, when one is set."""
    name = ENV_PREFIX + key.replace(".", "__").upper()
    return name if name in os.environ else None


def write_text_atomically(path: Path, text: str) -> None:
    """Replace one of maid's own small files (config, sidecar, discovery record, report) whole or not at all:
    a reader never sees it half written, and a failed write leaves no temp file behind."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
