"""docs/api.md stays in step with the API: every registered method and notification has its section, each
section names every top-level field of its params, and every error code is in the table."""

from __future__ import annotations

import re
from pathlib import Path

from daemon.api.methods import rpc
from daemon.api.models import NOTIFICATIONS, ErrorCode, GenerationOptions

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `([^`]+)`\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_method_and_notification_is_documented_with_its_params() -> None:
    documented = sections()
    missing = [name for name in [*rpc.methods, *NOTIFICATIONS] if name not in documented]
    assert not missing, f"docs/api.md lacks sections for {missing} (regenerate the tables from `maid api schema`)"
    stale = [name for name in documented if name not in rpc.methods and name not in NOTIFICATIONS]
    assert not stale, f"docs/api.md documents {stale}, which the API no longer has"
    for name, method in rpc.methods.items():
        fields = method.params.model_json_schema(by_alias=True).get("properties", {})
        undocumented = [f for f in fields if f"`{f}`" not in documented[name]]
        assert not undocumented, f"docs/api.md's {name} section does not name its params {undocumented}"
        if method.result is not None:
            assert "**Result**" in documented[name] and "→ " in documented[name], f"{name}: result table or example missing"
    for name, model in NOTIFICATIONS.items():
        assert all(f"`{f}`" in documented[name] for f in model.model_json_schema(by_alias=True)["properties"]), name


def test_error_codes_and_generation_options_are_listed() -> None:
    text = DOC.read_text(encoding="utf-8")
    for code in ErrorCode:
        assert f"| {int(code)} | `{code.name}` |" in text, code.name
    for field in GenerationOptions.model_json_schema(by_alias=True)["properties"]:
        assert f"| `{field}` |" in text, field
