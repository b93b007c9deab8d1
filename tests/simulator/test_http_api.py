"""Server, auth, session and error routes match WAHA's contract."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from simulator import WahaSimulator
from tests.helpers import wait_for

from .conftest import ALICE, API_KEY, ME, Receiver

UNAUTHORIZED = {"message": "Unauthorized", "statusCode": 401}
NOT_READY = {
    "error": "Session status is not as expected. Try again later or restart the session",
    "session": "default",
    "status": "STOPPED",
    "expected": ["WORKING"],
}


async def _json(response: aiohttp.ClientResponse) -> Any:
    """Return the parsed body (None when empty)."""
    text = await response.text()
    return None if not text else await response.json(content_type=None)


async def test_ping_open_and_api_key_required(sim: WahaSimulator) -> None:
    async with aiohttp.ClientSession(base_url=sim.url) as http:
        async with http.get("/ping") as response:
            assert response.status == 200
            assert await response.json() == {"message": "pong"}
        for headers in ({}, {"X-Api-Key": "wrong"}):
            async with http.get("/api/server/version", headers=headers) as response:
                assert response.status == 401
                assert await response.json() == UNAUTHORIZED
        async with http.get("/api/sessions", params={"x-api-key": API_KEY}) as response:
            assert response.status == 200
        async with http.get("/_sim/requests") as response:
            assert response.status == 401
    wrong = sim.requests[2]
    assert wrong.path == "/api/server/version"
    assert wrong.headers["x-api-key"] == "wrong"
    assert sim.requests[-1].query == {"x-api-key": API_KEY}


async def test_server_version_and_status(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    expected = {
        "version": "2026.7.1",
        "engine": "NOWEB",
        "tier": "PLUS",
        "browser": None,
        "platform": "linux/x64",
        "worker": {"id": None},
    }
    for path in ("/api/server/version", "/api/version"):
        async with api.get(path) as response:
            assert await response.json() == expected
    async with api.get("/api/server/status") as response:
        status = await response.json()
    assert status["startTimestamp"] == sim.started_at
    assert status["uptime"] >= 0
    assert status["worker"] == {"id": None}


async def test_unknown_session_and_route(api: aiohttp.ClientSession) -> None:
    async with api.get("/api/sessions/nope") as response:
        assert response.status == 404
        assert await response.json() == {
            "message": "Session not found",
            "error": "Not Found",
            "statusCode": 404,
        }
    async with api.post("/api/nope/presence/1/subscribe") as response:
        assert response.status == 422
        assert await response.json() == {
            "error": 'Session "nope" does not exist',
            "session": "nope",
        }
    async with api.get("/api/contacts/all", params={"session": "nope"}) as response:
        assert response.status == 422
    async with api.get("/api/default/nothing/here") as response:
        assert response.status == 404
        assert (await response.json())[
            "message"
        ] == "Cannot GET /api/default/nothing/here"


async def test_stopped_session_is_not_ready(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    async with api.post("/api/sessions/default/stop") as response:
        assert response.status == 201
        assert (await response.json())["status"] == "STOPPED"
    for method, path in (
        ("POST", f"/api/default/presence/{ALICE}/subscribe"),
        ("GET", f"/api/default/presence/{ALICE}"),
        ("GET", "/api/default/lids"),
    ):
        async with api.request(method, path) as response:
            assert response.status == 422
            assert await response.json() == NOT_READY
    async with api.post(
        "/api/startTyping", json={"session": "default", "chatId": ALICE}
    ) as response:
        assert await response.json() == NOT_READY
    async with api.get("/api/sessions/default/me") as response:
        assert response.status == 404
        assert "Please start it first" in (await response.json())["message"]
    async with api.post("/api/sessions/default/start") as response:
        assert (await response.json())["status"] == "WORKING"
    assert sim.session("default").status == "WORKING"


async def test_list_and_detail(sim: WahaSimulator, api: aiohttp.ClientSession) -> None:
    await sim.set_status("gows", "STOPPED")
    async with api.get("/api/sessions") as response:
        running = await response.json()
    assert [s["name"] for s in running] == ["default", "webjs"]
    assert set(running[0]) == {
        "name",
        "status",
        "config",
        "me",
        "presence",
        "timestamps",
    }
    assert running[0]["me"] == ME
    assert running[0]["timestamps"] == {"activity": None}
    async with api.get("/api/sessions", params={"all": "true"}) as response:
        everything = await response.json()
    assert [s["name"] for s in everything] == ["default", "webjs", "gows"]
    assert everything[2]["me"] is None
    async with api.get("/api/sessions/webjs") as response:
        detail = await response.json()
    assert detail["engine"]["engine"] == "WEBJS"
    assert "WWebVersion" in detail["engine"]


async def test_stopped_session_names_no_engine(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    """WAHA 2026.2.1: `engine: {}` while STOPPED, the engine object once it runs."""
    async with api.post("/api/sessions/webjs/stop"):
        pass
    async with api.get("/api/sessions/webjs") as response:
        assert (await response.json())["engine"] == {}
    async with api.post("/api/sessions/webjs/start"):
        pass
    async with api.get("/api/sessions/webjs") as response:
        assert (await response.json())["engine"]["engine"] == "WEBJS"


async def test_server_version_names_the_default_engine(socket_enabled: None) -> None:
    """`/api/server/version` gives the server's default engine, not a session's."""
    sim = WahaSimulator(API_KEY, engine="WEBJS")
    sim.add_session("default", engine="WEBJS", status="STOPPED")
    await sim.start()
    try:
        async with aiohttp.ClientSession(
            base_url=sim.url, headers={"X-Api-Key": API_KEY}
        ) as api:
            async with api.get("/api/server/version") as response:
                version = await response.json()
            async with api.get("/api/sessions/default") as response:
                detail = await response.json()
    finally:
        await sim.stop()
    assert (version["engine"], version["browser"]) == (
        "WEBJS",
        "/usr/bin/google-chrome-stable",
    )
    assert detail["engine"] == {}


async def test_create_start_logout_delete(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    async with api.post("/api/sessions", json={"name": "extra"}) as response:
        assert response.status == 201
        assert (await response.json())["status"] == "STOPPED"
    async with api.post("/api/sessions", json={"name": "extra"}) as response:
        assert response.status == 422
        assert await response.json() == {
            "message": "Session 'extra' already exists. Use PUT to update it.",
            "error": "Unprocessable Entity",
            "statusCode": 422,
        }
    async with api.post("/api/sessions", json={"name": "bad name!"}) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "Bad Request"
    async with api.post("/api/sessions/extra/start") as response:
        # Nobody scanned a QR code for the new session.
        assert (await response.json())["status"] == "SCAN_QR_CODE"
    async with api.get("/api/sessions/extra/me") as response:
        assert response.status == 200
        assert await _json(response) is None

    async with api.post("/api/sessions/default/logout") as response:
        assert (await response.json())["status"] == "SCAN_QR_CODE"
    assert sim.session("default").me is None

    for _ in range(2):
        async with api.delete("/api/sessions/extra") as response:
            assert response.status == 200
    async with api.get("/api/sessions/extra") as response:
        assert response.status == 404


async def test_put_replaces_config_and_restarts(
    sim: WahaSimulator, api: aiohttp.ClientSession, receiver: Receiver
) -> None:
    old = {"url": f"{receiver.url}/old", "events": ["session.status"]}
    new = {"url": f"{receiver.url}/new", "events": ["*"]}
    sim.add_session(
        "hooked",
        me=ME,
        config={"webhooks": [old], "metadata": {"k": "v"}, "debug": True},
    )
    async with api.post(f"/api/hooked/presence/{ALICE}/subscribe") as response:
        assert response.status == 201
    assert sim.session("hooked").subscriptions == {ALICE}

    async with api.put(
        "/api/sessions/hooked", json={"config": {"webhooks": [new]}}
    ) as response:
        assert response.status == 200
        info = await response.json()
    assert info["config"] == {"webhooks": [new]}
    assert info["status"] == "WORKING"
    assert sim.session("hooked").subscriptions == set()

    # Each event is its own delivery task, so arrival order is not guaranteed.
    bodies = {
        (r.path, (body := json.loads(r.body))["payload"]["status"]): body
        for r in await receiver.wait(3)
    }
    assert set(bodies) == {
        ("/old", "STOPPED"),
        ("/new", "STARTING"),
        ("/new", "WORKING"),
    }
    assert bodies["/old", "STOPPED"]["metadata"] == {"k": "v"}
    working = bodies["/new", "WORKING"]
    assert "metadata" not in working
    assert [p["status"] for p in working["payload"]["statuses"]] == [
        "STOPPED",
        "STARTING",
        "WORKING",
    ]


async def test_put_with_restart_delay_answers_starting(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    sim.restart_delay = 0.05
    async with api.put("/api/sessions/default", json={}) as response:
        info = await response.json()
    assert info["status"] == "STARTING"
    assert info["config"] == {}
    await wait_for(None, lambda: sim.session("default").status == "WORKING")


@pytest.mark.parametrize(
    ("webhook", "message"),
    [
        (
            {"url": "ftp://x/y", "events": ["message"]},
            "config.webhooks.0.url must be a URL address",
        ),
        (
            {"url": "http://homeassistant:8123/x", "events": []},
            "config.webhooks.0.events should not be empty",
        ),
        (
            {"url": "http://ha/x", "events": ["presence"]},
            "each value in config.webhooks.0.events must be one of",
        ),
        (
            {"url": "http://ha/x", "events": ["*"], "retries": {"policy": "random"}},
            "config.webhooks.0.retries.policy must be one of",
        ),
    ],
)
async def test_put_validates_webhooks(
    sim: WahaSimulator,
    api: aiohttp.ClientSession,
    webhook: dict[str, Any],
    message: str,
) -> None:
    before = dict(sim.session("default").config)
    async with api.put(
        "/api/sessions/default", json={"config": {"webhooks": [webhook]}}
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert body["error"] == "Bad Request"
    assert body["statusCode"] == 400
    assert body["message"][0].startswith(message)
    assert sim.session("default").config == before
    assert sim.session("default").status == "WORKING"


async def test_fail_and_delay_next(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    sim.fail_next("GET", "/api/sessions/default", 503, {"boom": True}, count=2)
    sim.fail_next("GET", "/api/server/version", 500)
    for _ in range(2):
        async with api.get("/api/sessions/default") as response:
            assert response.status == 503
            assert await response.json() == {"boom": True}
    async with api.get("/api/sessions/default") as response:
        assert response.status == 200
    async with api.get("/api/server/version") as response:
        assert response.status == 500
        assert await response.read() == b""

    sim.delay_next("GET", "/api/server/version", 1.0)
    with pytest.raises(TimeoutError):
        await api.get("/api/server/version", timeout=aiohttp.ClientTimeout(total=0.1))
    async with api.get("/api/server/version") as response:
        assert response.status == 200
    assert [r.path for r in sim.requests[-2:]] == ["/api/server/version"] * 2


async def test_drop_next(sim: WahaSimulator, api: aiohttp.ClientSession) -> None:
    """A dropped request gets no answer at all: its connection is closed."""
    # Two: aiohttp sends an idempotent request again when a reused connection drops.
    sim.drop_next("GET", "/api/sessions/default", count=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.get("/api/sessions/default")
    sim.reset()
    async with api.get("/api/sessions/default") as response:
        assert response.status == 200
