"""`maid config [show|get|set|path]` on a real config.toml in an isolated MAID_HOME: values with their sources,
typed values written with the file's comments kept, bad values refused with the file unchanged byte for byte,
environment overrides, and `set` through a real daemon's websocket API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from daemon.cli import app
from daemon.config import all_keys, user_paths
from tests.daemon.test_api import running

HAND_WRITTEN = """# my own notes on maid
port = 30000  # away from another tool

[backups]
keep_count = 7  # few
"""


def maid(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def words(text: str) -> str:
    return " ".join(text.split())  # rich wraps long error lines


@pytest.fixture
def config_file(maid_home: Path) -> Path:
    path = user_paths().config_file
    path.parent.mkdir(parents=True)
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return path


def test_show_get_and_path_say_each_value_and_where_it_comes_from(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAID_BACKUPS__KEEP_DAYS", "7")
    shown = maid("config", "show", "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["configFile"] == str(config_file) and data["daemonRunning"] is False
    settings = data["settings"]
    assert list(settings) == all_keys()
    assert settings["port"] == {"value": 30000, "source": "config file", "environmentVariable": None, "default": 28757}
    assert settings["backups.keep_count"] == {"value": 7, "source": "config file", "environmentVariable": None, "default": 100}
    assert settings["backups.keep_days"] == {"value": 7.0, "source": "environment", "environmentVariable": "MAID_BACKUPS__KEEP_DAYS",
                                             "default": 30.0}
    assert settings["device"] == {"value": "auto", "source": "default", "environmentVariable": None, "default": "auto"}
    assert settings["songs_folder"]["value"] is None

    assert json.loads(maid("config", "get", "port", "--json").stdout) == {
        "key": "port", "value": 30000, "source": "config file", "environmentVariable": None, "default": 28757, "configFile": str(config_file)}
    assert words(maid("config", "get", "backups.keep_days").stdout).startswith("backups.keep_days = 7.0 (from MAID_BACKUPS__KEEP_DAYS)")

    table = maid("config")  # the group alone shows every setting
    assert table.exit_code == 0 and all(key in table.stdout for key in all_keys())
    assert f"config file: {config_file}" in table.stdout and "maid is not running" in table.stdout
    assert maid("config", "path").stdout == f"{config_file}\n"
    assert config_file.read_text(encoding="utf-8") == HAND_WRITTEN  # reading never rewrites the file


def test_path_writes_the_commented_default_file_when_there_is_none(maid_home: Path) -> None:
    result = maid("config", "path")
    written = Path(result.stdout.strip())
    assert result.exit_code == 0 and written == user_paths().config_file
    assert "# Port of the websocket API on 127.0.0.1." in written.read_text(encoding="utf-8")


def test_set_without_a_daemon_writes_typed_values_and_keeps_comments(config_file: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    result = maid("config", "set", "backups.keep_days", "2.5")
    assert result.exit_code == 0, result.output
    assert "written to" in result.stdout and "applies at the next `maid start`" in words(result.stdout)
    for key, value in [("auto_reload", "yes"), ("model_idle_unload_minutes", "0"), ("device", "cpu"), ("hotkeys.check_now", "<ctrl>+<shift>+c")]:
        assert maid("config", "set", key, value).exit_code == 0
    assert config_file.read_text(encoding="utf-8") == (  # the notes and the other keys as they were, typed values added
        '# my own notes on maid\nport = 30000  # away from another tool\n'
        'auto_reload = true\nmodel_idle_unload_minutes = 0\ndevice = "cpu"\n\n'
        '[backups]\nkeep_count = 7  # few\nkeep_days = 2.5\n\n'
        '[hotkeys]\ncheck_now = "<ctrl>+<shift>+c"\n')

    off = maid("config", "set", "bookmark_findings", "false")
    assert off.exit_code == 0 and tomllib.loads(config_file.read_text(encoding="utf-8"))["bookmark_findings"] is False
    assert "maid's bookmarks are taken out of the maps it marked at that start" in words(off.stdout)

    monkeypatch.chdir(tmp_path)
    songs = maid("config", "set", "songs_folder", "Songs", "--json")
    assert json.loads(songs.stdout) == {"key": "songs_folder", "value": str(tmp_path / "Songs"), "configFile": str(config_file),
                                        "daemonRunning": False, "restartRequired": None, "overriddenBy": None, "environmentVariable": None}
    assert tomllib.loads(config_file.read_text(encoding="utf-8"))["songs_folder"] == str(tmp_path / "Songs")
    assert maid("config", "set", "songs_folder", "").exit_code == 0  # "" unsets an optional setting
    assert "songs_folder" not in tomllib.loads(config_file.read_text(encoding="utf-8"))
    assert json.loads(maid("config", "get", "songs_folder", "--json").stdout)["source"] == "default"


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("backups.keep_count", "0", "backups.keep_count = '0': Input should be greater than or equal to 1 (allowed: 1 to 100000)"),
    ("port", "99999", "(allowed: 1024 to 65535)"),
    ("port", "24050", "port 24050 is used by tosu and gosumemory"),
    ("model_idle_unload_minutes", "1.5", "model_idle_unload_minutes = '1.5': Input should be a valid integer"),
    ("device", "gpu", "device = 'gpu': Input should be 'auto', 'cpu', 'cuda' or 'mps'"),
    ("bookmark_findings", "maybe", "bookmark_findings = 'maybe': Input should be a valid boolean"),
    ("hotkeys.check_now", "ctrl+c", "hotkeys.check_now = 'ctrl+c': not a hotkey; allowed: <ctrl>, <alt>"),
    ("backups.keep", "3", "unknown setting 'backups.keep'; did you mean backups.keep_days or backups.keep_count"),
    ("device", "", "device = '': Input should be 'auto'"),
])
def test_a_bad_value_is_refused_naming_the_key_and_what_is_allowed(config_file: Path, key: str, value: str, expected: str) -> None:
    before = config_file.read_bytes()
    result = maid("config", "set", key, value)
    assert result.exit_code == 2 and expected in words(result.stderr) and result.stdout == ""
    assert config_file.read_bytes() == before


def test_a_config_file_that_is_not_toml_is_reported_and_left_as_it_is(maid_home: Path) -> None:
    config_file = user_paths().config_file
    config_file.parent.mkdir(parents=True)
    config_file.write_bytes(b"# half edited\nport = \n")
    for args in (["set", "port", "30000"], ["get", "port"], ["show"]):
        result = maid("config", *args)
        assert result.exit_code == 2 and "config.toml: not valid TOML" in words(result.stderr), result.output
    assert config_file.read_bytes() == b"# half edited\nport = \n"


def test_a_bool_error_lists_the_words_allowed(config_file: Path) -> None:
    result = maid("config", "set", "maimod", "maybe")
    assert "(allowed: true, false, yes, no, on, off, 1 or 0); nothing was changed" in words(result.stderr)


def test_an_environment_variable_that_overrides_the_key_is_warned_about(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAID_PORT", "6000")
    result = maid("config", "set", "port", "7000", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["environmentVariable"] == "MAID_PORT"  # stdout stays one JSON document
    assert "warning: MAID_PORT is set in this environment and overrides config.toml" in words(result.stderr)
    assert tomllib.loads(config_file.read_text(encoding="utf-8"))["port"] == 7000
    got = json.loads(maid("config", "get", "port", "--json").stdout)
    assert (got["value"], got["source"], got["environmentVariable"]) == (6000, "environment", "MAID_PORT")
    monkeypatch.delenv("MAID_PORT")
    assert "warning" not in maid("config", "set", "port", "7001").stderr


def test_with_a_running_daemon_set_goes_through_the_api(config_file: Path) -> None:
    async def cli(*args: str) -> Result:
        return await asyncio.to_thread(maid, *args)  # the daemon's event loop keeps serving meanwhile

    async def main() -> None:
        async with running({"device": "cpu"}) as daemon:  # as `maid start --device cpu`
            shown = json.loads((await cli("config", "show", "--json")).stdout)
            assert shown["daemonRunning"] is True
            assert shown["settings"]["device"] == {"value": "auto", "source": "default", "environmentVariable": None,
                                                   "default": "auto", "daemonValue": "cpu"}
            assert shown["settings"]["backups.keep_count"]["daemonValue"] == 7
            table = (await cli("config")).stdout
            assert "running maid" in table.splitlines()[0] and 'the running maid uses device = "cpu": from a `maid start` flag' in table
            assert words((await cli("config", "get", "device")).stdout).startswith(
                'device = "auto" (from default) config file: {} the running maid uses device = "cpu"'.format(config_file))

            live = await cli("config", "set", "backups.keep_count", "5")
            assert live.exit_code == 0 and "maid applied it now" in words(live.stdout)
            assert daemon.services.writeback.retention.count == 5 and daemon.services.settings.backups.keep_count == 5

            restart = json.loads((await cli("config", "set", "port", "30001", "--json")).stdout)
            assert restart == {"key": "port", "value": 30001, "configFile": str(config_file), "daemonRunning": True,
                               "restartRequired": True, "overriddenBy": None, "environmentVariable": None}
            assert "maid uses it after a restart" in words((await cli("config", "set", "dtype", "float32")).stdout)

            flag = await cli("config", "set", "device", "cuda")
            assert flag.exit_code == 0 and daemon.services.settings.device == "cpu" and words(flag.stdout).endswith(f"saved in {config_file}.")
            assert 'warning: the running maid keeps device = "cpu": command-line flag --device overrides it' in words(flag.stderr)

            await cli("config", "set", "bookmark_findings", "on")
            assert daemon.services.settings.bookmark_findings is True
            off = await cli("config", "set", "bookmark_findings", "off")
            assert daemon.services.settings.bookmark_findings is False and "It takes its bookmarks out of the maps it marked" in words(off.stdout)

            before = config_file.read_bytes()
            bad = await cli("config", "set", "backups.keep_days", "0.5")
            assert bad.exit_code == 2 and "(allowed: 1 to 3650)" in words(bad.stderr) and config_file.read_bytes() == before

    asyncio.run(main())
    values: dict[str, Any] = tomllib.loads(config_file.read_text(encoding="utf-8"))
    assert (values["port"], values["device"], values["dtype"], values["bookmark_findings"]) == (30001, "cuda", "float32", False)
    assert values["backups"]["keep_count"] == 5 and config_file.read_text(encoding="utf-8").startswith("# my own notes on maid\n")
