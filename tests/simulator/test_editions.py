"""WAHA editions the simulator plays: Core (one session) and old WAHA (2024.10.8)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json

import aiohttp
import pytest

from simulator import WahaSimulator
from simulator.const import OLD_VERSION, version_parts
from tests.helpers import wait_for

from .conftest import ALICE, API_KEY, ME, Receiver, populate

CORE_REFUSAL = (
    "WAHA Core support only 'default' session. You tried to access 'work' session "
    "(base64: d29yaw==). If you want to run more then one WhatsApp account - please "
    "get WAHA PLUS version. Check this out: https://waha.devlike.pro/"
)


@pytest.fixture
async def core(socket_enabled: None) -> AsyncGenerator[WahaSimulator]:
    """Run a WAHA Core that also holds a session `work` (as if Plus had made it)."""
    sim = WahaSimulator(API_KEY, tier="CORE", retry_delay_scale=0.0)
    populate(sim, "default", "NOWEB")
    populate(sim, "work", "NOWEB")
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def old(socket_enabled: None) -> AsyncGenerator[WahaSimulator]:
    """Run an old WAHA Core (2024.10.8) with its one session."""
    sim = WahaSimulator(
        API_KEY, version=OLD_VERSION, tier="CORE", retry_delay_scale=0.0
    )
    populate(sim, "default", "NOWEB")
    await sim.start()
    yield sim
    await sim.stop()


@pytest.mark.parametrize(
    ("given", "parts"),
    [
        ("2026.2.1", (2026, 2, 1)),
        ("2025.8", (2025, 8)),
        ("2024.10.8-plus", (2024, 10, 8)),
        ("latest", ()),
    ],
)
def test_version_parts(given: str, parts: tuple[int, ...]) -> None:
    assert version_parts(given) == parts


async def test_core_refuses_other_sessions(core: WahaSimulator) -> None:
    async with aiohttp.ClientSession(
        base_url=core.url, headers={"X-Api-Key": API_KEY}
    ) as http:
        version = await (await http.get("/api/server/version")).json()
        assert version["tier"] == "CORE"
        for method, path, body in (
            ("GET", "/api/sessions/work", None),
            ("PUT", "/api/sessions/work", {"config": {}}),
            ("POST", "/api/sessions/work/restart", None),
            ("DELETE", "/api/sessions/work", None),
            ("POST", "/api/sessions", {"name": "work"}),
            ("GET", "/api/work/presence", None),
            ("POST", "/api/work/presence/31611111111@c.us/subscribe", None),
            ("POST", "/api/startTyping", {"session": "work", "chatId": ALICE}),
            ("GET", "/api/contacts/check-exists?phone=31611111111&session=work", None),
        ):
            response = await http.request(method, path, json=body)
            assert response.status == 422, path
            assert await response.json() == {
                "message": CORE_REFUSAL,
                "error": "Unprocessable Entity",
                "statusCode": 422,
            }, path
        listed = await (await http.get("/api/sessions?all=true")).json()
        assert [item["name"] for item in listed] == ["default"]
        assert (await http.get("/api/sessions/default")).status == 200
        # The control API is the simulator's, not WAHA's: any session.
        response = await http.post(
            "/_sim/sessions/work/status", json={"status": "FAILED"}
        )
        assert response.status == 200
    assert "work" in core.sessions


async def test_plus_turned_core_at_run_time(sim: WahaSimulator) -> None:
    """WAHA replaced by a Core edition under a client: the next call is refused."""
    sim.add_session("work", me=ME)
    async with aiohttp.ClientSession(
        base_url=sim.url, headers={"X-Api-Key": API_KEY}
    ) as http:
        assert (await http.get("/api/sessions/work")).status == 200
        sim.tier = "CORE"
        response = await http.get("/api/sessions/work")
        assert response.status == 422
        assert "only 'default' session" in (await response.json())["message"]


async def test_old_waha_server(old: WahaSimulator) -> None:
    """Its version, no API key needed, and its shorter Core refusal."""
    async with aiohttp.ClientSession(base_url=old.url) as http:
        version = await (await http.get("/api/server/version")).json()
        assert version["version"] == "2024.10.8"
        assert version["tier"] == "CORE"
        assert "worker" not in version
        assert (await http.get("/api/sessions/default")).status == 200
        response = await http.get("/api/sessions/work")
        assert (await response.json())["message"].startswith(
            "WAHA Core support only 'default' session. If you want to run more"
        )


async def test_old_waha_webhooks(old: WahaSimulator, receiver: Receiver) -> None:
    """Unsigned, sent once, and the envelope has no id or timestamp."""
    old.add_session(
        "default",
        me=ME,
        config={
            "webhooks": [
                {
                    "url": f"{receiver.url}/hook",
                    "events": ["presence.update"],
                    "hmac": {"key": "ignored-by-old-waha"},
                    "retries": {"attempts": 3, "delaySeconds": 0},
                }
            ]
        },
    )
    old.add_contact("default", ALICE, name="Alice")
    receiver.statuses = [401]
    await old.set_contact_presence("default", ALICE, "typing")
    [received] = await receiver.wait(1)
    await asyncio.sleep(0.2)  # a retry would follow at once (no delay)
    assert not any(name.lower().startswith("x-webhook") for name in received.headers)
    assert received.headers["User-Agent"] == "WAHA/2024.10.8"
    envelope = json.loads(received.body)
    assert "id" not in envelope
    assert "timestamp" not in envelope
    assert envelope["event"] == "presence.update"
    assert envelope["payload"]["id"] == ALICE
    assert old.deliveries[0].status == 401
    assert len(old.deliveries) == 1


async def test_old_waha_websocket(old: WahaSimulator) -> None:
    """A `/ws` naming a session is closed with 4001; `session=*` streams events."""
    old.add_contact("default", ALICE, name="Alice")
    old.session("default").subscriptions.add(ALICE)
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{old.url}/ws?session=default")
        message = await ws.receive(timeout=2)
        assert message.type is aiohttp.WSMsgType.CLOSE
        assert message.data == 4001
        await ws.close()
        ws = await http.ws_connect(f"{old.url}/ws?session=*&events=presence.update")
        await wait_for(None, lambda: bool(old.ws_clients))
        await old.set_contact_presence("default", ALICE, "online")
        envelope = (await ws.receive(timeout=2)).json()
        assert "id" not in envelope
        assert envelope["payload"]["id"] == ALICE
        await ws.close()
