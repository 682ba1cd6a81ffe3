"""`maid config [show|get|set|path]`: maid's settings from the command line, each with where its value comes from.

A value comes from the default, config.toml or a `MAID_*` environment variable (highest last); a running maid
may also hold another one (a `maid start` flag, its own environment, or a hand edit of config.toml that it reads
at its next start), shown beside it. `set` validates the value with the settings model before anything is
written; with maid running it goes through the API's `config/set` so that maid applies it (or says it needs a
restart), otherwise it writes config.toml itself (comments and other keys kept). It must never write anything
but config.toml, and never a value the settings model refuses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from daemon.cli.app import app, console, err_console, fail, print_json, user_settings

config_app = typer.Typer(help="maid's settings: show them with where each comes from, get or set one, the config file's path.",
                         invoke_without_command=True)
app.add_typer(config_app, name="config")

JSON_OPTION = typer.Option(False, "--json", help="Machine-readable output.")
BOOL_WORDS = "true, false, yes, no, on, off, 1 or 0"


@config_app.callback()
def _config(ctx: typer.Context) -> None:
    """maid's settings (`maid config` alone shows them all)."""
    if ctx.invoked_subcommand is None:
        show(as_json=False)


@config_app.command()
def show(as_json: bool = JSON_OPTION) -> None:
    """Every setting: its value, where it comes from (default, config file, environment) and the running maid's where it differs."""
    from rich.table import Column, Table

    from daemon.config import all_keys, user_paths

    paths = user_paths()
    entries = dict(zip(all_keys(), _entries(paths, all_keys())))
    if as_json:
        print_json({"configFile": str(paths.config_file), "daemonRunning": _daemon_answered(entries), "settings": entries})
        return
    differs = {key for key, entry in entries.items() if "daemonValue" in entry and entry["daemonValue"] != entry["value"]}
    columns = [Column("setting", no_wrap=True), Column("value", overflow="fold"), Column("from"), *([Column("running maid")] if differs else [])]
    table = Table(*columns, box=None, header_style="bold")
    for key, entry in entries.items():
        live = [_shown(entry["daemonValue"]) if key in differs else ""] if differs else []
        table.add_row(key, _shown(entry["value"]), _origin(entry), *live)
    console.print(table)
    _print_notes(paths.config_file, entries)


@config_app.command()
def get(key: str = typer.Argument(..., help="A setting, dotted inside a table: e.g. port, backups.keep_count."),
        as_json: bool = JSON_OPTION) -> None:
    """One setting's value and where it comes from."""
    from daemon.config import user_paths

    paths = user_paths()
    entry = _entries(paths, [_known(key)])[0]
    if as_json:
        print_json({"key": key, **entry, "configFile": str(paths.config_file)})
        return
    _say(f"{key} = {_shown(entry['value'])} (from {_origin(entry)})")
    _print_notes(paths.config_file, {key: entry})


@config_app.command(name="set")
def set_(key: str = typer.Argument(..., help="A setting, dotted inside a table: e.g. port, backups.keep_count."),
         value: str = typer.Argument(..., help="The new value: true/false, a number, a word, a path; \"\" unsets an optional setting."),
         as_json: bool = JSON_OPTION) -> None:
    """Change one setting: through the running maid (applied now or after a restart), or in config.toml when maid is not running."""
    from daemon.config import env_overridden, user_paths

    paths = user_paths()
    parsed = _json_value(parse_value(_known(key), value))
    answer = _set_through_daemon(paths, key, parsed)
    if answer is None:
        _set_in_file(paths, key, parsed)
    variable = env_overridden(key)
    if as_json:
        print_json({"key": key, "value": answer["value"] if answer else parsed, "configFile": str(paths.config_file),
                    "daemonRunning": answer is not None, "restartRequired": answer["restartRequired"] if answer else None,
                    "overriddenBy": answer["overriddenBy"] if answer else None, "environmentVariable": variable})
    else:
        _say(_set_outcome(key, parsed, answer, paths.config_file))
    if answer and answer["overriddenBy"]:
        _say(f"the running maid keeps {key} = {_shown(answer['value'])}: {answer['overriddenBy']} overrides it until maid "
             "is restarted without it.", warning=True)
    if variable and variable != (answer or {}).get("overriddenBy"):
        _say(f"{variable} is set in this environment and overrides config.toml: a maid started from here does not use "
             f"the new value while it is set (unset {variable} for it to take effect).", warning=True)


def _set_outcome(key: str, value: Any, answer: dict[str, Any] | None, config_file: Path) -> str:
    """What `maid config set` did, in words: written for the next start, or applied by the running maid now or
    after a restart (`answer` is its `config/set` result)."""
    bookmarks_off = key == "bookmark_findings" and value is False
    if answer is None:
        return (f"{key} = {_shown(value)} written to {config_file}; maid is not running: it applies at the next `maid start`."
                + (" maid's bookmarks are taken out of the maps it marked at that start (those added with `maid bookmarks FILE` "
                   "stay until you clear them)." if bookmarks_off else ""))
    if answer["overriddenBy"]:
        return f"{key} = {_shown(value)} saved in {config_file}."
    if answer["restartRequired"]:
        return f"{key} = {_shown(value)} saved in {config_file}; maid uses it after a restart (`maid stop`, then `maid start`)."
    return (f"{key} = {_shown(value)} saved in {config_file}; maid applied it now."
            + (" It takes its bookmarks out of the maps it marked, if any (reload a map in osu! to see it)." if bookmarks_off else ""))


@config_app.command()
def path() -> None:
    """Print the config file's path (the file is written, every setting commented, when it does not exist yet)."""
    from daemon.config import ensure_config_file, user_paths

    config_file = user_paths().config_file
    ensure_config_file(config_file)
    _say(str(config_file))


def parse_value(key: str, text: str) -> Any:
    """`text` (from the command line) as the value of setting `key`, validated by the settings model: a bool
    word, a number in range, one of the allowed words, an absolute path; "" unsets an optional setting.
    A bad value is a clear error naming the key and what is allowed."""
    from typing import get_args

    from pydantic import ValidationError

    from daemon.config import Settings, allowed_range, field_info

    loc = tuple(key.split("."))
    info = field_info(loc)
    if text == "" and info.default is None:
        return None
    owner: Any = Settings.model_construct()  # defaults only: neither the file nor the environment is read
    for part in loc[:-1]:
        owner = getattr(owner, part)
    if Path in (info.annotation, *get_args(info.annotation)):
        text = str(Path(text).expanduser().absolute())
    try:
        setattr(owner, loc[-1], text)  # validate_assignment: the field's type, range and validators
    except ValidationError as exc:
        error = exc.errors()[0]
        allowed = BOOL_WORDS if error["type"].startswith("bool") else allowed_range(loc)
        message = error["msg"].removeprefix("Value error, ")
        raise fail(f"{key} = {text!r}: {message}{f' (allowed: {allowed})' if allowed else ''}; nothing was changed") from exc
    return getattr(owner, loc[-1])


def _known(key: str) -> str:
    from difflib import get_close_matches

    from daemon.config import all_keys

    if key not in all_keys():
        close = get_close_matches(key, all_keys(), n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise fail(f"unknown setting {key!r}; {hint}known settings: {', '.join(all_keys())}")
    return key


def _entries(paths: Any, keys: list[str]) -> list[dict[str, Any]]:
    """Per key: the value maid started from here would use, its source, the environment variable that sets it,
    the default and, when maid runs, the running maid's value (`daemonValue`)."""
    import tomllib
    from functools import reduce

    from daemon.config import Settings, env_overridden, flat_values

    # user_settings writes the commented default file when there is none; a bad file is an error
    values, defaults = flat_values(user_settings(paths)), flat_values(Settings.model_construct())
    in_file = tomllib.loads(paths.config_file.read_text(encoding="utf-8"))
    live = _daemon_values(paths)
    entries = []
    for key in keys:
        loc = key.split(".")
        variable = env_overridden(key)
        present = reduce(lambda table, part: table.get(part, {}) if isinstance(table, dict) else {}, loc[:-1], in_file)
        source = "environment" if variable else "config file" if loc[-1] in present else "default"
        entry = {"value": values[key], "source": source, "environmentVariable": variable, "default": defaults[key]}
        if live is not None:
            entry["daemonValue"] = live.get(key)
        entries.append(entry)
    return entries


def _daemon_values(paths: Any) -> dict[str, Any] | None:
    """The running maid's settings (`config/get`), or None when it is not running or does not answer."""
    from websockets.exceptions import WebSocketException

    from daemon.api.client import ApiError, NotRunning, call

    try:
        return dict(call(paths, "config/get", timeout=5)["values"])
    except NotRunning:
        return None
    except (ApiError, OSError, TimeoutError, WebSocketException) as exc:
        _say(f"the running maid did not answer config/get ({exc}); its live values are not shown", warning=True)
        return None


def _set_through_daemon(paths: Any, key: str, value: Any) -> dict[str, Any] | None:
    """The API's `config/set` answer from the running maid, or None when it is not running."""
    from websockets.exceptions import WebSocketException

    from daemon.api.client import ApiError, NotRunning, call

    try:
        return dict(call(paths, "config/set", {"key": key, "value": value}, timeout=10))
    except NotRunning:
        return None
    except ApiError as exc:
        raise fail(f"maid refused {key} = {_shown(value)}: {exc.message}") from exc
    except (OSError, TimeoutError, WebSocketException) as exc:
        raise fail(f"maid is running but did not answer config/set ({exc}); {paths.config_file} is unchanged: "
                    "try again, or stop maid and set it then", 1) from exc


def _set_in_file(paths: Any, key: str, value: Any) -> None:
    from daemon.config import ConfigError, set_value

    try:
        set_value(paths, key, value)
    except ConfigError as exc:
        raise fail(f"{exc}\n{paths.config_file} is unchanged") from exc


def _print_notes(config_file: Path, entries: dict[str, dict[str, Any]]) -> None:
    _say(f"config file: {config_file}")
    if not _daemon_answered(entries):
        _say("maid is not running: these are the values it starts with.")
    else:
        differs = [f"{key} = {_shown(e['daemonValue'])}" for key, e in entries.items() if e["daemonValue"] != e["value"]]
        if differs:
            _say(f"the running maid uses {', '.join(differs)}: from a `maid start` flag, its own environment, or a change in "
                 "config.toml that it takes at its next start.")


def _daemon_answered(entries: dict[str, dict[str, Any]]) -> bool:
    return any("daemonValue" in entry for entry in entries.values())


def _origin(entry: dict[str, Any]) -> str:
    return str(entry["environmentVariable"] or entry["source"])


def _json_value(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def _shown(value: Any) -> str:
    return "unset" if value is None else json.dumps(value, ensure_ascii=False)


def _say(text: str, warning: bool = False) -> None:
    """One line for people, printed literally (paths and values may hold brackets) and never wrapped; warnings
    go to stderr, so that `--json` output stays one JSON document."""
    from rich.markup import escape

    if warning:
        err_console.print("[bold yellow]warning:[/] " + escape(text), highlight=False, soft_wrap=True)
    else:
        console.print(escape(text), highlight=False, soft_wrap=True)
