"""Webhook delivery (headers, HMAC, retries) and the /ws event stream."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from typing import Any

import aiohttp
import pytest

from simulator import WahaSimulator
from simulator.delivery import retry_plan
from tests.helpers import wait_for

from .conftest import ALICE, API_KEY, ME, Receiver

HMAC_KEY = "a-long-hmac-key"


def _hook(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "events": ["presence.update", "session.status"], **extra}


def test_waha_documented_hmac_vector() -> None:
    body = b'{"event":"message","session":"default","engine":"WEBJS"}'
    assert WahaSimulator.sign(body, "my-secret-key") == (
        "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8"
        "097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89"
    )


@pytest.mark.parametrize(
    ("retries", "total", "delays"),
    [
        (None, 16, [2.0, 2.0, 2.0]),
        ({"policy": "constant", "delaySeconds": 1, "attempts": 2}, 3, [1.0, 1.0, 1.0]),
        ({"policy": "linear", "delaySeconds": 2, "attempts": 3}, 4, [2.0, 4.0, 6.0]),
        ({"policy": "constant", "delaySeconds": 0, "attempts": 0}, 1, [0.0, 0.0, 0.0]),
    ],
)
def test_retry_plan(
    retries: dict[str, Any] | None, total: int, delays: list[float]
) -> None:
    attempts, delay_for = retry_plan(retries)
    assert attempts == total
    assert [delay_for(n) for n in (1, 2, 3)] == delays


def test_exponential_retry_plan() -> None:
    _, delay_for = retry_plan({"policy": "exponential", "delaySeconds": 2})
    for retry, base in ((1, 4.0), (2, 8.0), (3, 16.0)):
        assert base <= delay_for(retry) <= base * 1.2


async def test_webhook_headers_and_hmac(sim: WahaSimulator, receiver: Receiver) -> None:
    sim.add_session(
        "hooked",
        me=ME,
        config={
            "webhooks": [
                _hook(
                    f"{receiver.url}/hook",
                    hmac={"key": HMAC_KEY},
                    customHeaders=[{"name": "X-HA-Token", "value": "t0k"}],
                ),
                {"url": f"{receiver.url}/plain", "events": ["message"]},
            ]
        },
    )
    sim.add_contact("hooked", ALICE, name="Alice")
    envelope = await sim.set_contact_presence("hooked", ALICE, "typing")
    assert envelope is not None
    [received] = await receiver.wait(1)
    assert received.path == "/hook"
    headers = received.headers
    expected = hmac.new(HMAC_KEY.encode(), received.body, hashlib.sha512).hexdigest()
    assert headers["X-Webhook-Hmac"] == expected
    assert headers["X-Webhook-Hmac-Algorithm"] == "sha512"
    assert headers["X-Webhook-Timestamp"] == str(envelope["timestamp"])
    assert headers["User-Agent"] == "WAHA/2026.7.1"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-HA-Token"] == "t0k"
    assert len(headers["X-Webhook-Request-Id"]) == 26
    assert json.loads(received.body) == envelope
    [delivery] = await sim.wait_deliveries(1)
    assert (delivery.status, delivery.attempt, delivery.error) == (200, 1, None)
    assert delivery.body == received.body
    assert delivery.event == "presence.update"
    # The `message`-only hook got nothing.
    await asyncio.sleep(0.05)
    assert len(receiver.received) == 1


async def test_wildcard_skips_engine_events(
    sim: WahaSimulator, receiver: Receiver
) -> None:
    sim.add_session(
        "hooked", me=ME, config={"webhooks": [{"url": receiver.url, "events": ["*"]}]}
    )
    await sim.emit("hooked", "engine.event", {"x": 1})
    await sim.emit("hooked", "state.change", {"x": 1})
    await sim.emit("hooked", "not.an.event", {"x": 1})
    await sim.emit("hooked", "message", {"body": "hi"})
    [received] = await receiver.wait(1)
    await asyncio.sleep(0.05)
    assert len(receiver.received) == 1
    assert json.loads(received.body)["event"] == "message"


async def test_retries_until_success(sim: WahaSimulator, receiver: Receiver) -> None:
    receiver.statuses = [500, 404]
    sim.add_session("hooked", me=ME, config={"webhooks": [_hook(receiver.url)]})
    await sim.set_status("hooked", "FAILED")
    deliveries = await sim.wait_deliveries(3)
    assert [(d.attempt, d.status) for d in deliveries] == [(1, 500), (2, 404), (3, 200)]
    # As a real WAHA 2026.2.1: a new request id on every attempt, one event id.
    assert len({d.headers["X-Webhook-Request-Id"] for d in deliveries}) == 3
    assert len({r.headers["X-Webhook-Request-Id"] for r in receiver.received}) == 3
    assert len({d.event_id for d in deliveries}) == 1
    assert len({r.body for r in receiver.received}) == 1


async def test_retries_network_errors_then_gives_up(sim: WahaSimulator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = _hook(
        f"http://127.0.0.1:{port}/", retries={"attempts": 2, "delaySeconds": 1}
    )
    sim.add_session("hooked", me=ME, config={"webhooks": [hook]})
    await sim.set_status("hooked", "FAILED")
    deliveries = await sim.wait_deliveries(3)
    assert [d.attempt for d in deliveries] == [1, 2, 3]
    assert all(d.status is None and d.error for d in deliveries)
    await asyncio.sleep(0.05)
    assert len(sim.deliveries) == 3


async def test_stop_cancels_pending_retries(
    socket_enabled: None, receiver: Receiver
) -> None:
    sim = WahaSimulator(API_KEY)
    receiver.statuses = [500]
    sim.add_session("s", me=ME, config={"webhooks": [_hook(receiver.url)]})
    await sim.start()
    await sim.set_status("s", "FAILED")
    await sim.wait_deliveries(1)
    await sim.stop()
    await sim.stop()
    assert [d.status for d in sim.deliveries] == [500]


async def _ws(
    sim: WahaSimulator, http: aiohttp.ClientSession, query: str
) -> aiohttp.ClientWebSocketResponse:
    return await http.ws_connect(f"{sim.url}/ws?{query}")


async def test_ws_rejects_bad_key(sim: WahaSimulator) -> None:
    async with aiohttp.ClientSession() as http:
        for query in ("session=default", "x-api-key=wrong"):
            ws = await _ws(sim, http, query)
            message = await ws.receive(timeout=2)
            assert message.type is aiohttp.WSMsgType.CLOSE
            assert message.data == aiohttp.WSCloseCode.POLICY_VIOLATION
            assert message.extra == "Unauthorized"
            await ws.close()


async def test_ws_filters(sim: WahaSimulator) -> None:
    async with aiohttp.ClientSession() as http:
        presence_only = await _ws(
            sim, http, f"x-api-key={API_KEY}&session=default&events=presence.update"
        )
        both = await _ws(
            sim, http, f"X-API-KEY={API_KEY}&events=presence.update,session.status"
        )
        everything = await _ws(sim, http, f"x-api-key={API_KEY}")
        await wait_for(None, lambda: len(sim.ws_clients) == 3)
        await sim.set_status("gows", "STARTING")
        typing = await sim.set_contact_presence("default", ALICE, "typing")
        await sim.emit("default", "engine.event", {})

        assert json.loads((await presence_only.receive(timeout=2)).data) == typing
        status = json.loads((await both.receive(timeout=2)).data)
        assert (status["event"], status["session"]) == ("session.status", "gows")
        assert json.loads((await both.receive(timeout=2)).data)["id"] == typing["id"]  # type: ignore[index]
        events = [
            json.loads((await everything.receive(timeout=2)).data)["event"]
            for _ in range(2)
        ]
        assert events == ["session.status", "presence.update"]

        await sim.stop()
        for ws in (presence_only, both, everything):
            message = await ws.receive(timeout=2)
            assert message.type is aiohttp.WSMsgType.CLOSE
            assert message.data == aiohttp.WSCloseCode.GOING_AWAY
            await ws.close()
    assert not sim.ws_clients
    assert sim.requests[0].path == "/ws"


async def test_ws_heartbeat_drops_silent_clients(sim: WahaSimulator) -> None:
    sim.ws_heartbeat_seconds = 0.05
    async with aiohttp.ClientSession() as http:
        polite = await _ws(sim, http, f"x-api-key={API_KEY}")
        # aiohttp answers pings while someone reads, as a real client does.
        reader = asyncio.create_task(polite.receive())
        silent = await http.ws_connect(
            f"{sim.url}/ws?x-api-key={API_KEY}", autoping=False
        )
        assert (await silent.receive(timeout=2)).type is aiohttp.WSMsgType.PING
        message = await silent.receive(timeout=2)
        assert message.type is aiohttp.WSMsgType.CLOSE
        assert message.extra == "Heartbeat timeout"
        await silent.close()
        assert len(sim.ws_clients) == 1
        assert not polite.closed
        await polite.close()
        await reader
