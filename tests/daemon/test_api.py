"""The JSON-RPC API over real websocket connections on 127.0.0.1 (an ephemeral port): auth, every
method, notifications, batches, cancellation, limits, and 1,000 malformed frames."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from daemon.api.methods import MODEL_METHODS, api_schema
from daemon.api.models import ErrorCode
from daemon.api.server import ServerOptions
from daemon.app import Daemon, build_daemon
from daemon.config import load_settings, user_paths
from daemon.jobs import JobContext, JobSpec, JobState
from tests.daemon.conftest import middle_range, nudge_objects


@asynccontextmanager
async def running(settings: dict[str, Any] | None = None, **options: Any) -> AsyncIterator[Daemon]:
    paths = user_paths()
    daemon = build_daemon(paths, load_settings(paths, settings), ServerOptions(port=0, **options), overrides=settings)
    await daemon.start()
    try:
        yield daemon
    finally:
        await daemon.stop()


def url(daemon: Daemon, query: str = "") -> str:
    return f"ws://127.0.0.1:{daemon.server.port}/{query}"


def auth(daemon: Daemon) -> dict[str, str]:
    return {"Authorization": f"Bearer {daemon.token.value}"}


class Rpc:
    """A test client: requests by id, notifications collected on the side."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_id = 0
        self.notifications: list[dict[str, Any]] = []

    async def call(self, method: str, params: Any = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        await self.ws.send(json.dumps(message))
        return await self.reply(self.next_id)

    async def reply(self, request_id: Any) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            if "method" in message and "id" not in message:
                self.notifications.append(message)
            elif message.get("id") == request_id:
                return message

    async def result(self, method: str, params: Any = None) -> Any:
        reply = await self.call(method, params)
        assert "error" not in reply, reply
        return reply["result"]

    async def notification(self, method: str) -> dict[str, Any]:
        while not any(n["method"] == method for n in self.notifications):
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            if "method" in message and "id" not in message:
                self.notifications.append(message)
        return next(n for n in self.notifications if n["method"] == method)


@asynccontextmanager
async def client(daemon: Daemon, initialize: bool = True) -> AsyncIterator[Rpc]:
    async with connect(url(daemon), additional_headers=auth(daemon)) as ws:
        rpc = Rpc(ws)
        if initialize:
            await rpc.result("initialize", {"clientInfo": {"name": "test"}})
        yield rpc


def test_connections_without_the_right_token_or_from_foreign_pages_are_refused(maid_home: Path) -> None:
    async def main() -> None:
        async with running() as daemon:
            refused = [
                ({}, None, 401),
                ({"Authorization": "Bearer wrong"}, None, 401),
                ({**auth(daemon), "Origin": "https://evil.example"}, None, 403),
                ({**auth(daemon), "Origin": "http://localhost.evil.example"}, None, 403),
                ({**auth(daemon), "Origin": "null"}, None, 403),
            ]
            for headers, query, status in refused:
                with pytest.raises(InvalidStatus) as info:
                    async with connect(url(daemon, query or ""), additional_headers=headers):
                        pass
                assert info.value.response.status_code == status
                assert b"token" in info.value.response.body or b"Origin" in info.value.response.body
            # Accepted: header, a local page with ?token=, a browser's token subprotocol (answered with the real name).
            async with connect(url(daemon), additional_headers={**auth(daemon), "Origin": "http://localhost:3000"}) as ws:
                assert (await Rpc(ws).result("status"))["pid"] > 0
            async with connect(url(daemon, f"?token={daemon.token.value}"), additional_headers={"Origin": "http://127.0.0.1:8080"}) as ws:
                assert (await Rpc(ws).result("status"))["port"] == daemon.server.port
            async with connect(url(daemon), subprotocols=["maid.jsonrpc", f"maid.token.{daemon.token.value}"]) as ws:  # type: ignore[list-item]
                assert ws.subprotocol == "maid.jsonrpc"
                assert (await Rpc(ws).result("status"))["version"]
            with pytest.raises(InvalidStatus):
                async with connect(url(daemon), subprotocols=["maid.jsonrpc", "maid.token.wrong"]):  # type: ignore[list-item]
                    pass

    asyncio.run(main())


def test_initialize_status_and_discovery(maid_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))  # no model installed

    async def main() -> None:
        async with running() as daemon:
            record = json.loads(daemon.services.paths.discovery_file.read_text())
            assert record["port"] == daemon.server.port and record["pid"] > 0
            assert daemon.token.value not in daemon.services.paths.discovery_file.read_text()
            async with client(daemon, initialize=False) as rpc:
                init = await rpc.result("initialize", {"clientInfo": {"name": "test", "version": "1"}})
                assert init["serverInfo"]["name"] == "maid"
                caps = init["capabilities"]
                assert {"status", "check", "backups/restore", "config/set", "jobs/cancel"} <= set(caps["methods"])
                assert set(caps["unavailable"]) == set(MODEL_METHODS) <= set(caps["methods"])  # they answer MODEL_NOT_INSTALLED
                assert set(caps["notifications"]) == {"job/progress", "job/done", "findings/publish", "file/written", "editor/state", "editor/action", "edit/dropped", "daemon/paused", "jobs/holds"}
                status = await rpc.result("status")
                assert status["clients"] == 1 and status["jobs"] == {"queued": 0, "running": 0}
                assert status["paused"] is False and status["holds"] == []
                missing = status["model"].pop("missing")
                assert "maid model pull OliBomby/Mapperatorinator-v30" in missing
                assert status["model"] == {"loaded": False, "source": "OliBomby/Mapperatorinator-v30", "device": "auto", "installed": False,
                                           "dtype": None, "version": None, "parameters": None, "memoryBytes": None, "deviceMemoryBytes": None,
                                           "loadS": None, "warmupS": None, "idleS": None, "unloadInS": None}
                assert status["configFile"] == str(daemon.services.paths.config_file)
        assert not daemon.services.paths.discovery_file.exists()

    asyncio.run(main())


def test_config_get_and_set(maid_home: Path) -> None:
    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            values = (await rpc.result("config/get"))["values"]
            assert values["backups.keep_count"] == 100 and values["device"] == "auto"
            assert await rpc.result("config/get", {"key": "device"}) == {"values": {"device": "auto"}}
            assert (await rpc.call("config/get", {"key": "nope"}))["error"]["code"] == ErrorCode.INVALID_PARAMS
            assert await rpc.result("config/set", {"key": "backups.keep_count", "value": 5}) == {
                "key": "backups.keep_count", "value": 5, "overriddenBy": None, "restartRequired": False}
            assert (await rpc.result("config/set", {"key": "device", "value": "cpu"}))["restartRequired"] is True
            assert daemon.services.writeback.retention.count == 5
            bad = await rpc.call("config/set", {"key": "port", "value": 24050})
            assert bad["error"]["code"] == ErrorCode.INVALID_PARAMS and "tosu" in bad["error"]["message"]
            bad = await rpc.call("config/set", {"key": "model_idle_unload_minutes", "value": 99999})
            assert "allowed: 0 to 1440" in bad["error"]["message"]
            assert "keep_count = 5" in daemon.services.paths.config_file.read_text()

    asyncio.run(main())


def blocking_job(started: asyncio.Event, loop: asyncio.AbstractEventLoop):  # type: ignore[no-untyped-def]
    """A job that holds its worker until it is cancelled."""

    def run(ctx: JobContext) -> None:
        loop.call_soon_threadsafe(started.set)
        while not ctx.cancel.is_set():
            time.sleep(0.005)
        ctx.cancel.raise_if_cancelled()

    return run


def test_jobs_list_cancel_and_cancel_request(maid_home: Path, mapset: list[Path]) -> None:
    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            loop = asyncio.get_running_loop()
            jobs = daemon.services.jobs
            blockers = []
            for _ in range(2):  # occupy both CPU workers so that a `check` request has to wait
                started = asyncio.Event()
                blockers.append(jobs.submit(JobSpec("test", blocking_job(started, loop), title="blocker")))
                await started.wait()
            listed = (await rpc.result("jobs/list"))["jobs"]
            assert [j["state"] for j in listed] == ["running", "running"] and listed[0]["title"] == "blocker"

            await rpc.ws.send(json.dumps({"jsonrpc": "2.0", "id": "slow", "method": "check", "params": {"path": str(mapset[0])}}))
            while jobs.counts()[0] == 0:
                await asyncio.sleep(0.01)
            await rpc.ws.send(json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "slow"}}))
            reply = await rpc.reply("slow")
            assert reply["error"]["code"] == ErrorCode.REQUEST_CANCELLED
            check_job = next(j for j in jobs.list() if j.spec.kind == "check")
            assert check_job.state is JobState.CANCELLED

            cancelled = await rpc.result("jobs/cancel", {"id": blockers[0].id})
            assert cancelled["id"] == blockers[0].id
            assert (await jobs.wait(blockers[0])).state is JobState.CANCELLED
            done = await rpc.notification("job/done")
            assert done["params"]["id"] in {check_job.id, blockers[0].id}
            assert (await rpc.call("jobs/cancel", {"id": "job-999"}))["error"]["code"] == ErrorCode.NOT_FOUND
            jobs.cancel(blockers[1].id)

    asyncio.run(main())


def test_check_runs_the_rule_checks_and_publishes_findings(maid_home: Path, mapset: list[Path]) -> None:
    from daemon.automod import rule_checks

    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            result = await rpc.result("check", {"path": str(mapset[0])})
            assert result["state"] == "done"
            report = result["report"]
            assert report["file"] == str(mapset[0]) and report["source"] == "rules" and report["fixed"] == []
            expected = [f.to_json() for f in rule_checks(mapset[0], mapset[0].read_bytes())]  # what auto-mod runs on a save
            assert [{k: v for k, v in f.items() if k != "new"} for f in report["findings"]] == expected
            assert report["findings"] and all(f["new"] for f in report["findings"])
            published = await rpc.notification("findings/publish")
            assert published["params"] == report
            again = await rpc.result("check", {"path": str(mapset[0])})
            assert not any(f["new"] for f in again["report"]["findings"])  # same content: nothing new
            progress = await rpc.notification("job/progress")
            assert progress["params"]["id"] == result["jobId"] and progress["params"]["seq"] == 1
            missing = await rpc.call("check", {"path": str(mapset[0].with_name("gone.osu"))})
            assert missing["error"]["code"] == ErrorCode.NOT_FOUND
            relative = await rpc.call("check", {"path": "x.osu"})
            assert relative["error"]["code"] == ErrorCode.INVALID_PARAMS and "absolute" in relative["error"]["message"]

    asyncio.run(main())


def test_a_save_in_the_songs_folder_is_auto_modded_but_maids_own_write_is_not(maid_home: Path, mapset: list[Path]) -> None:
    async def main() -> None:
        songs = mapset[0].parent.parent
        async with running({"songs_folder": songs}) as daemon, client(daemon) as rpc:
            assert (await rpc.result("status"))["watchedFolders"] == 1
            path = mapset[1]
            data = path.read_bytes()
            await asyncio.to_thread(path.write_bytes, data.replace(b"\nTitle:", b"\nTitle:saved ", 1))  # the editor saves
            published = await rpc.notification("findings/publish")
            assert published["params"]["file"] == str(path) and published["params"]["source"] == "rules"
            rpc.notifications.clear()
            wb = daemon.services.writeback
            await asyncio.to_thread(wb.write, wb.read(path), nudge_objects(*middle_range(data)))  # maid writes
            await asyncio.sleep(1.0)
            assert not [n for n in rpc.notifications if n["method"] == "findings/publish"], "maid's own write was auto-modded"

    asyncio.run(main())


def test_a_save_that_drops_maids_edit_is_announced_and_can_be_reapplied(maid_home: Path, mapset: list[Path]) -> None:
    async def main() -> None:
        songs = mapset[0].parent.parent
        async with running({"songs_folder": songs, "automod_on_save": False}) as daemon, client(daemon) as rpc:
            path = mapset[2]
            before = path.read_bytes()
            edit = nudge_objects(*middle_range(before))
            wb = daemon.services.writeback
            await asyncio.to_thread(wb.write, wb.read(path), edit)
            editor_save = before.replace(b"\nTitle:", b"\nTitle:mapper ", 1)  # saved without reloading
            await asyncio.to_thread(path.write_bytes, editor_save)
            dropped = await rpc.notification("edit/dropped")
            assert dropped["params"]["file"] == str(path) and dropped["params"]["ai"] is True and "edits/reapply" in dropped["params"]["hint"]
            result = await rpc.result("edits/reapply", {"path": str(path)})
            assert result["rebased"] and path.read_bytes() == edit.apply(editor_save)
            assert (await rpc.notification("file/written"))["params"]["ai"] is True
            assert not [n for n in rpc.notifications if n["method"] == "findings/publish"]  # auto-mod is off

    asyncio.run(main())


def test_findings_apply_writes_the_fixes_through_write_back(maid_home: Path, mapset: list[Path]) -> None:
    from daemon.automod import rule_checks
    from engine.checks import apply_fixes
    from engine.osu import parse_beatmap

    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            path = mapset[0]
            original = path.read_bytes()
            findings = (await rpc.result("check", {"path": str(path)}))["report"]["findings"]
            fixable = [f for f in findings if f["fix"]]
            unfixable = next(f for f in findings if not f["fix"])
            assert len(fixable) >= 3
            chosen = [fixable[0]["id"], fixable[1]["id"]]
            wb = daemon.services.writeback
            result = await rpc.result("findings/apply", {"path": str(path), "findingIds": chosen})
            by_id = {f.id: f for f in rule_checks(path, original)}
            expected = apply_fixes(parse_beatmap(original, str(path)), [by_id[i] for i in chosen]).to_bytes()
            assert result["changed"] and path.read_bytes() == expected != original
            assert Path(result["backup"]).read_bytes() == original
            entry = wb.journal()[-1]
            assert entry["provenance"]["task"] == "fix" and entry["provenance"]["ai"] is False
            assert sorted(entry["region"]["lines"]) == sorted(e["line"] - 1 for f in fixable[:2] for e in f["fix"]["edits"])
            assert (await rpc.notification("file/written"))["params"]["ai"] is False

            again = (await rpc.call("findings/apply", {"path": str(path), "findingIds": chosen}))["error"]
            assert again["code"] == ErrorCode.NOT_FOUND  # applied fixes are consumed
            bad = (await rpc.call("findings/apply", {"path": str(path), "findingIds": [unfixable["id"]]}))["error"]
            assert bad["code"] == ErrorCode.INVALID_PARAMS and "no automatic fix" in bad["message"]

            edit = fixable[2]["fix"]["edits"][0]  # the mapper changes the field this fix changes
            old, new = edit["old"].split(","), edit["new"].split(",")
            field = next(i for i, (a, b) in enumerate(zip(old, new)) if a != b)
            moved = old[:field] + [str(int(float(old[field])) + 7)] + old[field + 1 :]
            data = path.read_bytes()
            assert edit["old"].encode() in data
            await asyncio.to_thread(path.write_bytes, data.replace(edit["old"].encode(), ",".join(moved).encode(), 1))
            saved = path.read_bytes()
            conflict = (await rpc.call("findings/apply", {"path": str(path), "findingIds": [fixable[2]["id"]]}))["error"]
            assert conflict["code"] == ErrorCode.CONFLICT and path.read_bytes() == saved

    asyncio.run(main())


def test_backups_list_and_restore_announce_the_write(maid_home: Path, mapset: list[Path]) -> None:
    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            path = mapset[0]
            original = path.read_bytes()
            wb = daemon.services.writeback
            first = await asyncio.to_thread(wb.write, wb.read(path), nudge_objects(*middle_range(original)))
            journal = await rpc.result("backups/journal", {"path": str(path)})
            assert [e["kind"] for e in journal["entries"]] == ["write"] and journal["aiFiles"] == [str(path)]
            assert (await rpc.result("backups/journal", {"path": str(mapset[1])})) == {"entries": [], "aiFiles": []}
            listed = await rpc.result("backups/list", {"path": str(path)})
            assert [b["path"] for b in listed["backups"]] == [str(first.backup)] and listed["backups"][0]["code"] == "write"

            undo = await rpc.result("backups/restore", {"path": str(path)})
            assert path.read_bytes() == original and undo["changed"] and undo["sha256Before"] == first.sha256_after
            written = await rpc.notification("file/written")
            assert written["params"]["path"] == str(path) and written["params"]["ai"] is False and "Ctrl+L" in written["params"]["reloadHint"]
            assert wb.is_own_write(path, undo["sha256After"])

            restored = await rpc.result("backups/restore", {"path": str(path), "backup": undo["backup"]})
            assert restored["sha256After"] == first.sha256_after
            wrong = await rpc.call("backups/restore", {"path": str(path), "backup": str(mapset[1])})
            assert wrong["error"]["code"] == ErrorCode.NOT_FOUND
            path.chmod(0o444)
            before = path.read_bytes()
            refused = (await rpc.call("backups/restore", {"path": str(path)}))["error"]
            assert refused["code"] == ErrorCode.WRITE_FAILED and refused["data"] == {"path": str(path)} and "read-only" in refused["message"]
            assert path.read_bytes() == before
            assert (await rpc.call("backups/list", {"path": "notes.txt"}))["error"]["code"] == ErrorCode.INVALID_PARAMS

    asyncio.run(main())


def test_batches_notifications_and_shutdown(maid_home: Path) -> None:
    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc, client(daemon, initialize=False) as quiet:
            batch = [
                {"jsonrpc": "2.0", "id": 1, "method": "status"},
                {"jsonrpc": "2.0", "method": "status"},  # a notification: no reply
                {"jsonrpc": "2.0", "id": 2, "method": "nope"},
                {"jsonrpc": "2.0", "id": 3, "method": "jobs/list", "params": [1]},
                5,
            ]
            await rpc.ws.send(json.dumps(batch))
            replies = json.loads(await rpc.ws.recv())
            assert [r.get("id") for r in replies] == [1, 2, 3, None]
            assert "result" in replies[0]
            assert [r["error"]["code"] for r in replies[1:]] == [ErrorCode.METHOD_NOT_FOUND, ErrorCode.INVALID_PARAMS, ErrorCode.INVALID_REQUEST]
            await rpc.ws.send("[]")
            assert json.loads(await rpc.ws.recv())["error"]["code"] == ErrorCode.INVALID_REQUEST
            await rpc.ws.send(json.dumps([{"jsonrpc": "2.0", "id": i, "method": "status"} for i in range(101)]))
            assert "limit is 100" in json.loads(await rpc.ws.recv())["error"]["message"]
            await rpc.ws.send(json.dumps([{"jsonrpc": "2.0", "method": "status"}]))  # only notifications: no reply at all

            daemon.server.broadcast("editor/state", {"state": {"mode": "edit"}})
            assert (await rpc.notification("editor/state"))["params"] == {"state": {"mode": "edit"}}
            assert (await quiet.result("status"))["clients"] == 2
            assert quiet.notifications == []  # not initialized: no notifications

            await rpc.result("shutdown")
            await asyncio.wait_for(daemon.services.shutdown.wait(), 5)

    asyncio.run(main())


def malformed_frames(rng: random.Random, count: int) -> list[tuple[str, int]]:
    """(frame, expected error code) of many kinds of bad input."""
    kinds = [
        lambda: ("{" + "x" * rng.randint(0, 50), ErrorCode.PARSE_ERROR),
        lambda: ("not json at all " + str(rng.random()), ErrorCode.PARSE_ERROR),
        lambda: (json.dumps({"jsonrpc": "2.0", "id": rng.randint(1, 9999), "method": "no/such/" + str(rng.random())}), ErrorCode.METHOD_NOT_FOUND),
        lambda: (json.dumps({"jsonrpc": "1.0", "id": 1, "method": "status"}), ErrorCode.INVALID_REQUEST),
        lambda: (json.dumps({"jsonrpc": "2.0", "id": 1, "method": 42}), ErrorCode.INVALID_REQUEST),
        lambda: (json.dumps({"jsonrpc": "2.0", "id": rng.choice([{"a": 1}, True, 1.5]), "method": "status"}), ErrorCode.INVALID_REQUEST),
        lambda: (json.dumps({"jsonrpc": "2.0", "id": 7, "method": "status", "extra": 1}), ErrorCode.INVALID_REQUEST),
        lambda: (json.dumps(rng.choice([1, "s", None, True, 3.5])), ErrorCode.INVALID_REQUEST),
        lambda: (json.dumps({"jsonrpc": "2.0", "id": 8, "method": "backups/list", "params": {"path": rng.randint(0, 9)}}), ErrorCode.INVALID_PARAMS),
        lambda: (json.dumps({"jsonrpc": "2.0", "id": 9, "method": "jobs/cancel", "params": {}}), ErrorCode.INVALID_PARAMS),
        lambda: (json.dumps({"jsonrpc": "2.0", "id": 10, "method": "config/get", "params": "x"}), ErrorCode.INVALID_REQUEST),
        lambda: (json.dumps({"jsonrpc": "2.0", "id": 11, "method": "status", "params": {"unexpected": True}}), ErrorCode.INVALID_PARAMS),
        lambda: (json.dumps({"jsonrpc": "2.0", "id": 12, "method": "status", "pad": "x" * 70_000}), ErrorCode.INVALID_REQUEST),  # oversized
        lambda: ("\ud800".encode("utf-8", "surrogatepass").decode("latin-1"), ErrorCode.PARSE_ERROR),
    ]
    return [rng.choice(kinds)() for _ in range(count)]


def test_a_thousand_malformed_frames_each_get_an_error_and_the_server_stays_up(maid_home: Path) -> None:
    frames = malformed_frames(random.Random(6), 1000)

    async def main() -> None:
        async with running(max_message_bytes=64 * 1024, hard_max_bytes=1 << 20, rate_per_s=1e6, rate_burst=10**6) as daemon:
            async with client(daemon) as rpc:
                for frame, code in frames:
                    await rpc.ws.send(frame)
                    reply = json.loads(await asyncio.wait_for(rpc.ws.recv(), 10))
                    assert reply["jsonrpc"] == "2.0" and reply["error"]["code"] == code, (frame[:80], reply)
                assert (await rpc.result("status"))["clients"] == 1
            # A frame above the hard limit closes that connection (1009); the server and others stay up.
            async with client(daemon) as rpc, client(daemon) as other:
                await rpc.ws.send("x" * (2 << 20))
                with pytest.raises(ConnectionClosed) as info:
                    await asyncio.wait_for(rpc.ws.recv(), 10)
                assert info.value.rcvd is not None and info.value.rcvd.code == 1009
                assert (await other.result("status"))["pid"] > 0

    asyncio.run(main())


def test_a_client_that_does_not_read_is_dropped_and_the_others_go_on(maid_home: Path) -> None:
    async def main() -> None:
        async with running(max_outbox=50) as daemon, client(daemon, initialize=False) as reader:
            async with connect(url(daemon), additional_headers=auth(daemon), max_queue=1) as lazy:
                await Rpc(lazy).result("initialize")
                for i in range(2000):  # notifications pile up: the lazy client never reads them
                    daemon.server.broadcast("editor/state", {"state": {"n": i, "pad": "x" * 2000}})
                    if i % 100 == 0:
                        await asyncio.sleep(0)
                for _ in range(100):
                    if len(daemon.server.clients) == 1:
                        break
                    await asyncio.sleep(0.05)
                assert len(daemon.server.clients) == 1, "the lazy client was not dropped"
            assert (await reader.result("status"))["clients"] == 1

    asyncio.run(main())


def test_rate_limit_answers_with_an_error(maid_home: Path) -> None:
    async def main() -> None:
        async with running(rate_per_s=1, rate_burst=5) as daemon, client(daemon, initialize=False) as rpc:
            codes = []
            for i in range(20):
                codes.append((await rpc.call("status")).get("error", {}).get("code"))
            assert codes[:5] == [None] * 5 and codes.count(ErrorCode.RATE_LIMITED) >= 14

    asyncio.run(main())


def test_api_schema_covers_every_method_and_notification() -> None:
    schema = api_schema()
    assert {"initialize", "status", "check", "remap", "$/cancelRequest", "backups/restore"} <= set(schema["methods"])
    assert schema["methods"]["remap"]["params"]["required"] == ["path"]
    assert "GenerationOptions" in schema["methods"]["remap"]["params"]["$defs"]
    assert schema["methods"]["$/cancelRequest"]["notification"] is True
    assert set(schema["notifications"]) == {"job/progress", "job/done", "findings/publish", "file/written", "editor/state", "editor/action", "edit/dropped", "daemon/paused", "jobs/holds"}
    assert schema["notifications"]["jobs/holds"]["properties"]["holds"]["items"]["enum"] == ["user", "play"]
    assert schema["errors"]["CONFLICT"] == -32001 and schema["errors"]["REQUEST_CANCELLED"] == -32800
