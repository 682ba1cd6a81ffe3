"""The `tosu_port` setting: the daemon follows the editor through tosu on the port the mapper configured (a
fake tosu on an ephemeral port of 127.0.0.1), and an impossible port is refused naming the setting."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from daemon.config import ConfigError, load_settings, user_paths
from tests.daemon.test_api import running
from tests.integrations.frames import FakeTosu, v2


def test_the_daemon_reads_the_editor_from_tosu_on_the_configured_port(maid_home: Path, tmp_path: Path) -> None:
    tosu = FakeTosu({"/websocket/v2": [[v2(1, "edit", str(tmp_path))]]})

    async def main() -> None:
        async with tosu.running(), running({"tosu_port": tosu.port}) as daemon:
            async def in_editor() -> None:
                while not (daemon.services.editor and daemon.services.editor.state and daemon.services.editor.state.in_editor):
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(in_editor(), 10)
            assert tosu.connections and tosu.connections[0] == "/websocket/v2"

    asyncio.run(main())


def test_a_port_out_of_range_is_refused(maid_home: Path) -> None:
    with pytest.raises(ConfigError, match="tosu_port"):
        load_settings(user_paths(), {"tosu_port": 70000})
