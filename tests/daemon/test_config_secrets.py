"""Settings from TOML, environment and flags with clear errors; tokens from env, keyring or a 0600 file."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from daemon.config import DEFAULT_PORT, ConfigError, load_settings, set_value, user_paths
from daemon.secrets import ensure_api_token, get_token, set_token, token_file


def test_first_start_writes_a_commented_config_under_maid_home(maid_home: Path) -> None:
    paths = user_paths()
    assert paths.config_file.is_relative_to(maid_home) and paths.state_dir.is_relative_to(maid_home)
    settings = load_settings(paths)
    assert settings.port == DEFAULT_PORT and settings.port not in (24050, 49727, 5005)
    assert settings.model_source == "OliBomby/Mapperatorinator-v30"
    text = paths.config_file.read_text()
    assert "# Port of the websocket API" in text and "[backups]" in text and "[hotkeys]" in text
    assert tomllib.loads(text)["port"] == DEFAULT_PORT


def test_flags_beat_environment_beat_file(maid_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = user_paths()
    load_settings(paths)
    paths.config_file.write_text(paths.config_file.read_text().replace(f"port = {DEFAULT_PORT}", "port = 30001"))
    assert load_settings(paths).port == 30001
    monkeypatch.setenv("MAID_PORT", "30002")
    monkeypatch.setenv("MAID_BACKUPS__KEEP_COUNT", "7")
    assert load_settings(paths).port == 30002 and load_settings(paths).backups.keep_count == 7
    assert load_settings(paths, {"port": 30003, "device": None}).port == 30003


def test_every_bad_value_is_reported_with_key_value_range_and_line(maid_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = user_paths()
    load_settings(paths)
    text = paths.config_file.read_text()
    text = text.replace(f"port = {DEFAULT_PORT}", "port = 99999").replace('device = "auto"', 'device = "tpu"')
    text = text.replace("keep_count = 100", "keep_count = 0") + "\nprot = 3\n"
    paths.config_file.write_text(text)
    monkeypatch.setenv("MAID_DTYPE", "int8")
    with pytest.raises(ConfigError) as info:
        load_settings(paths, {"model_idle_unload_minutes": -1})
    message = str(info.value)
    lines = text.splitlines()
    port_line = lines.index("port = 99999") + 1
    assert f"port = 99999: Input should be less than or equal to 65535 (allowed: 1024 to 65535) [{paths.config_file}, line {port_line}]" in message
    assert "device = 'tpu'" in message and "'cuda'" in message
    assert "backups.keep_count = 0" in message and "allowed: 1 to 100000" in message
    assert "environment variable MAID_DTYPE" in message
    assert "command-line flag --model-idle-unload-minutes" in message
    assert "hotkeys.prot: unknown setting" in message


def test_ports_of_other_osu_tools_are_refused(maid_home: Path) -> None:
    with pytest.raises(ConfigError, match="24050 is used by tosu"):
        load_settings(user_paths(), {"port": 24050})


def test_broken_toml_names_the_file(maid_home: Path) -> None:
    paths = user_paths()
    paths.config_file.parent.mkdir(parents=True)
    paths.config_file.write_text("port = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(paths)


def test_set_value_keeps_comments_and_refuses_bad_values(maid_home: Path) -> None:
    paths = user_paths()
    load_settings(paths)
    assert set_value(paths, "backups.keep_days", 5).backups.keep_days == 5
    assert set_value(paths, "device", "cpu").device == "cpu"
    text = paths.config_file.read_text()
    assert "# Where the model runs." in text and 'device = "cpu"' in text
    with pytest.raises(ConfigError, match="port = 80"):
        set_value(paths, "port", 80)
    with pytest.raises(ConfigError, match="unknown setting"):
        set_value(paths, "backups", 3)
    assert paths.config_file.read_text() == text


def test_tokens_fall_back_to_a_private_file_without_keyring(maid_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = user_paths().config_dir
    assert get_token(config_dir, "api") is None
    token = ensure_api_token(config_dir)
    path = token_file(config_dir, "api")
    assert token.source == str(path) and len(token.value) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_api_token(config_dir) == token  # stable across starts
    monkeypatch.setenv("MAID_API_TOKEN", "from-env")
    assert get_token(config_dir, "api").value == "from-env"  # type: ignore[union-attr]
    assert set_token(config_dir, "hub", "hf_x").value == get_token(config_dir, "hub").value == "hf_x"  # type: ignore[union-attr]
