"""`maid doctor` on a fake home: it reports the osu! install found there and its Songs folder, the
songs_folder setting when set, and a line for every other check, in text and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daemon.cli import app

CHECKS = {"config", "osu! stable", "Songs folder", "osu!lazer", "tosu", "model", "keyring", "GPU", "display (tray, hotkeys)",
          "inotify watch limit"}  # fmt: skip


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    for name, value in {"HOME": str(home), "MAID_HOME": str(tmp_path / "maid"), "USER": "me",
                        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "HF_HUB_CACHE": str(tmp_path / "hub")}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "WINEPREFIX", "XDG_DATA_HOME", "MAID_SONGS_FOLDER"):
        monkeypatch.delenv(name, raising=False)
    return home


def doctor_json() -> dict[str, dict]:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    return {c["name"]: c for c in json.loads(result.output)["checks"]}


def test_doctor_finds_a_wine_install_and_says_what_is_missing(fake_home: Path) -> None:
    install = fake_home / ".wine" / "drive_c" / "users" / "me" / "AppData" / "Local" / "osu!"
    (install / "Songs").mkdir(parents=True)
    checks = doctor_json()
    assert set(checks) == CHECKS
    assert checks["osu! stable"]["ok"] is True and str(install) in checks["osu! stable"]["detail"]
    assert checks["Songs folder"] == {"name": "Songs folder", "ok": True, "detail": str(install / "Songs")}
    assert checks["display (tray, hotkeys)"] == {"name": "display (tray, hotkeys)", "ok": False,
                                                 "detail": "hotkeys unavailable: no display (DISPLAY is not set)"}  # fmt: skip
    assert checks["model"]["ok"] is False and "maid model pull" in checks["model"]["detail"]
    assert checks["keyring"]["ok"] is None and "0600" in checks["keyring"]["detail"]
    assert isinstance(checks["tosu"]["ok"], bool)


def test_doctor_without_osu_lists_where_it_looked_and_honours_songs_folder(fake_home: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    checks = doctor_json()
    assert checks["osu! stable"]["ok"] is False and "osu-winello" in checks["osu! stable"]["detail"]
    assert checks["Songs folder"]["ok"] is False and "songs_folder" in checks["Songs folder"]["detail"]
    monkeypatch.setenv("MAID_SONGS_FOLDER", str(tmp_path / "MySongs"))
    (tmp_path / "MySongs").mkdir()
    assert doctor_json()["Songs folder"] == {"name": "Songs folder", "ok": True, "detail": f"{tmp_path / 'MySongs'} (songs_folder setting)"}
    text = CliRunner().invoke(app, ["doctor"]).output
    assert "Songs folder" in text and "missing" in text
