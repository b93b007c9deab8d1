"""Presence routes, engine differences, event rules and auto-online."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest

from simulator import WahaSimulator

from .conftest import ALICE, ALICE_LID, BOB, BOB_LID, CAROL, FAMILY, ME


def _not_implemented(engine: str) -> dict[str, Any]:
    return {
        "message": f"The method is not implemented by '{engine}' engine. Check the "
        "docs and try another engine: https://waha.devlike.pro/",
        "error": "Not Implemented",
        "statusCode": 501,
    }


async def _post(
    api: aiohttp.ClientSession, path: str, body: dict[str, Any] | None = None
) -> tuple[int, bytes]:
    async with api.post(path, json=body) as response:
        return response.status, await response.read()


async def test_set_presence_rules(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    async with api.post(
        "/api/default/presence", json={"presence": "online", "chatId": ALICE}
    ) as response:
        assert response.status == 400
        assert await response.json() == {
            "detail": "'online' presence works on the global scope and doesn't "
            "require 'chatId' field."
        }
    async with api.post(
        "/api/default/presence", json={"presence": "typing"}
    ) as response:
        assert response.status == 400
        assert await response.json() == {
            "detail": "'typing' presence requires 'chatId' field."
        }
    async with api.post(
        "/api/default/presence", json={"presence": "available"}
    ) as response:
        assert await response.json() == {
            "detail": "'available' presence requires 'chatId' field."
        }
    assert await _post(api, "/api/default/presence", {"presence": "offline"}) == (
        201,
        b"",
    )
    assert sim.session("default").presence == "offline"
    assert await _post(api, "/api/default/presence", {"presence": "online"}) == (
        201,
        b"",
    )
    assert sim.session("default").presence == "online"
    assert await _post(
        api, "/api/default/presence", {"presence": "typing", "chatId": ALICE}
    ) == (201, b"")


@pytest.mark.parametrize(
    ("session", "engine"), [("default", "NOWEB"), ("webjs", "WEBJS")]
)
async def test_unknown_presence_with_chat_is_501(
    api: aiohttp.ClientSession, session: str, engine: str
) -> None:
    async with api.post(
        f"/api/{session}/presence", json={"presence": "available", "chatId": ALICE}
    ) as response:
        assert response.status == 501
        assert await response.json() == _not_implemented(engine)


async def test_unknown_presence_with_chat_on_gows_is_500(
    api: aiohttp.ClientSession,
) -> None:
    async with api.post(
        "/api/gows/presence", json={"presence": "available", "chatId": ALICE}
    ) as response:
        assert response.status == 500
        body = await response.json()
    assert body["statusCode"] == 500
    assert body["exception"]["message"] == "Invalid presence status"
    assert body["request"]["path"] == "/api/gows/presence"


async def test_get_all_presences_per_engine(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    async with api.get("/api/webjs/presence") as response:
        assert response.status == 501
        assert await response.json() == _not_implemented("WEBJS")
    for session in ("default", "gows"):
        await sim.set_contact_presence(session, ALICE, "offline", last_seen=1717000000)
        await sim.set_contact_presence(session, CAROL, "typing")
    async with api.get("/api/default/presence") as response:
        assert await response.json() == [
            {
                "id": ALICE,
                "presences": [
                    {
                        "participant": ALICE,
                        "lastKnownPresence": "offline",
                        "lastSeen": 1717000000,
                    }
                ],
            },
            {
                "id": CAROL,
                "presences": [
                    {
                        "participant": CAROL,
                        "lastKnownPresence": "typing",
                        "lastSeen": None,
                    }
                ],
            },
        ]
    async with api.get("/api/gows/presence") as response:
        # WAHA's GOWS engine iterates array indices instead of chat ids.
        assert await response.json() == [{"id": "0@c.us"}, {"id": "1@c.us"}]


async def test_get_one_presence_subscribes(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    async with api.get("/api/default/presence/31611111111") as response:
        assert await response.json() == {"id": ALICE, "presences": []}
    assert sim.session("default").subscriptions == {ALICE}
    await sim.set_contact_presence("default", ALICE, "online")
    async with api.get("/api/default/presence/31611111111@s.whatsapp.net") as response:
        assert (await response.json())["presences"] == [
            {"participant": ALICE, "lastKnownPresence": "online", "lastSeen": None}
        ]
    await sim.set_contact_presence("webjs", ALICE, "paused")
    sim.presence_read_delay = 0.05
    started = asyncio.get_running_loop().time()
    async with api.get(f"/api/webjs/presence/{ALICE}") as response:
        # WA-Web has no paused state: it reads as offline.
        assert (await response.json())["presences"][0]["lastKnownPresence"] == "offline"
    assert asyncio.get_running_loop().time() - started >= 0.05


async def test_subscribe_normalises_ids(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    assert await _post(api, "/api/default/presence/31611111111/subscribe") == (201, b"")
    assert await _post(
        api, "/api/default/presence/31622222222@s.whatsapp.net/subscribe"
    ) == (201, b"")
    assert await _post(api, "/api/default/presence/111111111111%40lid/subscribe") == (
        201,
        b"",
    )
    assert await _post(api, f"/api/default/presence/{FAMILY}/subscribe") == (201, b"")
    assert sim.session("default").subscriptions == {ALICE, BOB, ALICE_LID, FAMILY}
    assert await _post(api, f"/api/gows/presence/{ALICE}/subscribe") == (201, b"{}")


async def test_typing_endpoints(api: aiohttp.ClientSession) -> None:
    for path in ("/api/startTyping", "/api/stopTyping"):
        async with api.post(
            path, json={"session": "default", "chatId": ALICE}
        ) as response:
            assert response.status == 201
            assert await response.json() == {"result": True}
    async with api.post("/api/startTyping", json={"session": "default"}) as response:
        assert response.status == 400


async def test_online_needs_subscription_chat_states_do_not(sim: WahaSimulator) -> None:
    assert await sim.set_contact_presence("default", ALICE, "online") is None
    typing = await sim.set_contact_presence("default", ALICE, "typing")
    assert typing is not None
    assert typing["payload"]["presences"][0]["lastKnownPresence"] == "typing"
    # A subscription under either id lets online/offline through.
    sim.session("default").subscriptions.add(ALICE_LID)
    online = await sim.set_contact_presence("default", ALICE, "online", last_seen=5)
    assert online is not None
    assert online["payload"] == {
        "id": ALICE,
        "presences": [
            {"participant": ALICE, "lastKnownPresence": "online", "lastSeen": None}
        ],
    }
    offline = await sim.set_contact_presence(
        "default", "31611111111", "offline", last_seen=5
    )
    assert offline is not None
    assert offline["payload"]["presences"][0]["lastSeen"] == 5


async def test_lid_reporting(sim: WahaSimulator) -> None:
    sim.session("default").subscriptions.add(BOB)
    event = await sim.set_contact_presence("default", BOB, "online")
    assert event is not None
    assert event["payload"] == {
        "id": BOB_LID,
        "presences": [
            {"participant": BOB_LID, "lastKnownPresence": "online", "lastSeen": None}
        ],
    }


@pytest.mark.parametrize(
    ("session", "reported"), [("default", "online"), ("gows", "paused")]
)
async def test_paused_per_engine(
    sim: WahaSimulator, session: str, reported: str
) -> None:
    event = await sim.set_contact_presence(session, CAROL, "paused")
    assert event is not None
    assert event["payload"]["presences"][0]["lastKnownPresence"] == reported
    assert event["engine"] == sim.session(session).engine


async def test_webjs_needs_tags_events_on(sim: WahaSimulator) -> None:
    sim.session("webjs").subscriptions.add(ALICE)
    assert await sim.set_contact_presence("webjs", ALICE, "typing") is None
    assert await sim.set_contact_presence("webjs", ALICE, "online") is None
    sim.session("webjs").config = {"webjs": {"tagsEventsOn": True}}
    event = await sim.set_contact_presence("webjs", ALICE, "paused")
    assert event is not None
    assert event["payload"]["presences"][0]["lastKnownPresence"] == "paused"


async def test_group_presence(sim: WahaSimulator) -> None:
    typing = await sim.set_group_presence("default", FAMILY, BOB, "typing")
    assert typing is not None
    assert typing["payload"] == {
        "id": FAMILY,
        "presences": [
            {"participant": BOB_LID, "lastKnownPresence": "typing", "lastSeen": None}
        ],
    }
    assert await sim.set_group_presence("default", FAMILY, CAROL, "online") is None
    sim.session("default").subscriptions.add(FAMILY)
    assert await sim.set_group_presence("default", FAMILY, CAROL, "online") is not None

    sim.session("gows").subscriptions.add(FAMILY)
    assert await sim.set_group_presence("gows", FAMILY, CAROL, "online") is None
    assert await sim.set_group_presence("gows", FAMILY, CAROL, "recording") is not None


async def test_no_presence_events_when_not_working(sim: WahaSimulator) -> None:
    await sim.set_status("default", "STARTING")
    assert await sim.set_contact_presence("default", ALICE, "typing") is None
    with pytest.raises(ValueError, match="unknown presence"):
        await sim.set_contact_presence("default", ALICE, "available")


async def test_envelope_shape(sim: WahaSimulator) -> None:
    envelope = sim.build_envelope("default", "presence.update", {"x": 1}, timestamp=123)
    assert list(envelope) == [
        "id",
        "timestamp",
        "event",
        "session",
        "me",
        "payload",
        "engine",
        "environment",
    ]
    assert re.fullmatch(r"evt_[0-9a-hjkmnp-tv-z]{26}", envelope["id"])
    assert envelope["timestamp"] == 123
    assert envelope["me"] == ME
    assert envelope["environment"]["version"] == "2026.7.1"
    sim.session("gows").config = {"metadata": {"ha": "1"}}
    gows = sim.build_envelope("gows", "session.status", {}, event_id="evt_fixed")
    assert list(gows)[4] == "metadata"
    assert gows["metadata"] == {"ha": "1"}
    assert gows["id"] == "evt_fixed"
    assert gows["engine"] == "GOWS"
    assert gows["environment"]["engine"] == "NOWEB"


async def test_session_status_events(sim: WahaSimulator) -> None:
    assert await sim.set_status("default", "WORKING") is None
    passkey = await sim.set_status(
        "default", "PASSKEY_REQUIRED", data={"challenge": "x"}
    )
    assert passkey is not None
    assert passkey["event"] == "session.status"
    assert passkey["payload"]["data"] == {"challenge": "x"}
    await sim.set_status("default", "SCAN_QR_CODE")
    await sim.set_status("default", "SCAN_QR_CODE")
    working = await sim.set_status("default", "WORKING")
    assert working is not None
    payload = working["payload"]
    assert payload["name"] == "default"
    assert payload["data"] is None
    assert [p["status"] for p in payload["statuses"]] == [
        "SCAN_QR_CODE",
        "SCAN_QR_CODE",
        "WORKING",
    ]
    assert payload["statuses"][-1]["timestamp"] == working["timestamp"]


async def test_restart_session_clears_subscriptions(sim: WahaSimulator) -> None:
    sim.session("default").subscriptions.add(ALICE)
    sim.restart_delay = 0.01
    await sim.restart_session("default")
    session = sim.session("default")
    assert session.status == "WORKING"
    assert session.subscriptions == set()
    assert [p["status"] for p in session.statuses] == ["STOPPED", "STARTING", "WORKING"]


async def test_auto_online(sim: WahaSimulator, api: aiohttp.ClientSession) -> None:
    assert await _post(api, f"/api/default/presence/{ALICE}/subscribe") == (201, b"")
    async with api.get("/api/sessions/default") as response:
        info = await response.json()
    assert info["presence"] == "online"
    assert isinstance(info["timestamps"]["activity"], int)
    await asyncio.sleep(0.1)
    # Activity restarts the timer.
    await _post(api, "/api/startTyping", {"session": "default", "chatId": ALICE})
    await asyncio.sleep(0.15)
    assert sim.session("default").presence == "online"
    await asyncio.sleep(0.15)
    assert sim.session("default").presence == "offline"

    # An explicit online is kept while no auto-online window is pending...
    await _post(api, "/api/default/presence", {"presence": "online"})
    await asyncio.sleep(0.3)
    assert sim.session("default").presence == "online"
    # ...but a pending one ends in offline: WAHA does not cancel it.
    sim.auto_online_seconds = 1.0  # room for the three calls on a slow machine
    await _post(api, "/api/default/presence", {"presence": "offline"})
    await _post(api, f"/api/default/presence/{ALICE}/subscribe")
    await _post(api, "/api/default/presence", {"presence": "online"})
    assert sim.session("default").offline_timer is not None
    await asyncio.sleep(1.2)
    assert sim.session("default").presence == "offline"


async def test_one_presence_read_takes_the_exact_id(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    """Engines cache a contact under the id WhatsApp used: no LID translation."""
    await sim.set_contact_presence("gows", BOB, "offline", last_seen=1_700_000_000)
    async with api.get(f"/api/gows/presence/{BOB}") as response:
        assert (await response.json())["presences"] == []
    async with api.get(f"/api/gows/presence/{BOB_LID}") as response:
        presences = (await response.json())["presences"]
    assert [p["lastKnownPresence"] for p in presences] == ["offline"]
