"""The /_sim/ control API, the demo world and the standalone entry point."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from typing import Any

import aiohttp

from simulator import WahaSimulator
from simulator.__main__ import parse_args
from simulator.demo import ALICE, BOB_LID, FAMILY, seed_demo, start_demo
from tests.helpers import wait_for

from .conftest import (
    ALICE as TEST_ALICE,
    API_KEY,
    BOB_LID as TEST_BOB_LID,
    FAMILY as TEST_FAMILY,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


async def _post(
    api: aiohttp.ClientSession, path: str, body: dict[str, Any]
) -> tuple[int, Any]:
    async with api.post(path, json=body) as response:
        return response.status, await response.json()


async def test_control_needs_key(sim: WahaSimulator) -> None:
    async with aiohttp.ClientSession(base_url=sim.url) as http:
        async with http.post("/_sim/reset") as response:
            assert response.status == 401
        async with http.post(f"/_sim/reset?x-api-key={API_KEY}") as response:
            assert response.status == 200


async def test_control_status_presence_and_world(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    status, body = await _post(
        api,
        "/_sim/sessions/default/status",
        {"status": "PASSKEY_REQUIRED", "data": {"c": 1}},
    )
    assert status == 200
    assert body["emitted"]["payload"]["status"] == "PASSKEY_REQUIRED"
    assert sim.session("default").status == "PASSKEY_REQUIRED"
    status, body = await _post(api, "/_sim/sessions/default/restart", {})
    assert body == {"status": "WORKING"}

    sim.session("default").subscriptions.add(TEST_ALICE)
    _, body = await _post(
        api,
        "/_sim/sessions/default/presence",
        {"chatId": TEST_ALICE, "presence": "offline", "lastSeen": 1700000000},
    )
    assert body["emitted"]["payload"]["presences"][0]["lastSeen"] == 1700000000
    _, body = await _post(
        api,
        "/_sim/sessions/default/presence",
        {"chatId": TEST_FAMILY, "participant": TEST_BOB_LID, "presence": "recording"},
    )
    assert body["emitted"]["payload"]["id"] == TEST_FAMILY
    status, body = await _post(
        api,
        "/_sim/sessions/default/presence",
        {"chatId": TEST_ALICE, "presence": "away"},
    )
    assert status == 400

    status, body = await _post(
        api,
        "/_sim/sessions/default/contacts",
        {"chatId": "31655555555", "name": "Eve", "lid": "555", "reportsAsLid": True},
    )
    assert status == 201
    assert body["id"] == "31655555555@c.us"
    assert sim.session("default").find_contact("555@lid") is not None
    status, body = await _post(
        api,
        "/_sim/sessions/default/groups",
        {"groupId": "1203@g.us", "name": "Club", "participants": ["555@lid"]},
    )
    assert status == 201
    assert sim.session("default").groups["1203@g.us"].name == "Club"
    status, body = await _post(
        api, "/_sim/sessions", {"name": "other", "engine": "GOWS"}
    )
    assert status == 201
    assert body["engine"] == {
        "engine": "GOWS",
        "grpc": {"client": "READY", "stream": "READY"},
    }
    status, body = await _post(
        api,
        "/_sim/sessions/other/events",
        {"event": "message", "payload": {"body": "hi"}},
    )
    assert body["event"] == "message"
    status, _ = await _post(api, "/_sim/sessions/nope/restart", {})
    assert status == 404


async def test_control_requests_and_reset(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    async with api.get("/api/server/version"):
        pass
    async with api.get("/_sim/requests") as response:
        requests = await response.json()
    assert [r["path"] for r in requests] == ["/api/server/version"]
    assert requests[0]["headers"]["X-Api-Key"] == API_KEY
    sim.fail_next("GET", "/api/server/version", 500)
    await _post(api, "/_sim/reset", {})
    assert sim.requests == []
    async with api.get("/api/server/version") as response:
        assert response.status == 200
    async with api.get("/_sim/deliveries") as response:
        assert await response.json() == []


async def test_control_stats_and_requests_since(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    """Benchmarks count traffic and subscriptions without fetching every request."""
    async with api.get("/api/server/version"):
        pass
    async with api.post(f"/api/default/presence/{TEST_ALICE}/subscribe") as response:
        assert response.status == 201
    async with api.get("/_sim/stats") as response:
        body = await response.json()
    # Control calls are not recorded: counting does not change the count.
    assert body["requests"] == 2
    assert body["deliveries"] == 0
    assert body["busy"] == 0
    assert body["sessions"]["default"] == {"status": "WORKING", "subscriptions": 1}
    assert body["sessions"]["gows"]["subscriptions"] == 0
    async with api.get("/_sim/requests?since=1") as response:
        assert [r["path"] for r in await response.json()] == [
            f"/api/default/presence/{TEST_ALICE}/subscribe"
        ]
    async with api.get("/_sim/requests?since=5") as response:
        assert await response.json() == []
    async with api.get("/_sim/requests?since=-1") as response:
        assert response.status == 400


async def test_demo_world_and_loop(socket_enabled: None) -> None:
    sim = WahaSimulator(API_KEY)
    seed_demo(sim)
    session = sim.session("default")
    assert [c.name or c.pushname for c in session.contacts.values()] == [
        "Alice",
        "Bob",
        "Carol",
        "Dan",
        "Eve",
        "Frank",
    ]
    assert session.groups[FAMILY].participants[1] == BOB_LID
    session.subscriptions.update(c.id for c in session.contacts.values())
    await sim.start()
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(
            f"{sim.url}/ws?x-api-key={API_KEY}&events=presence.update"
        )
        await wait_for(None, lambda: bool(sim.ws_clients))
        task = start_demo(sim, interval=0.01, seed=7)
        ids = set()
        for _ in range(12):
            message = await ws.receive(timeout=2)
            ids.add(message.json()["payload"]["id"])
        assert FAMILY in ids
        assert len(ids) >= 3
        await sim.stop()
        assert task.done()
        await ws.close()
    assert not sim._tasks
    assert ALICE in session.contacts


def test_parse_args() -> None:
    args = parse_args(["--api-key", "k", "--engine", "GOWS", "--demo", "--port", "0"])
    assert (args.api_key, args.engine, args.demo, args.port, args.host) == (
        "k",
        "GOWS",
        True,
        0,
        "127.0.0.1",
    )


async def test_standalone_runs_until_sigterm(socket_enabled: None) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--port",
        str(port),
        "--api-key",
        "k",
        "--demo",
        "--interval",
        "0.05",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        assert f"http://127.0.0.1:{port}" in line.decode()
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"http://127.0.0.1:{port}/api/default/lids/count",
                headers={"X-Api-Key": "k"},
            ) as response,
        ):
            assert await response.json() == {"count": 4}
        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stdout.read(), 10)
        assert await process.wait() == 0
        assert b"WAHA simulator stopped" in rest
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
