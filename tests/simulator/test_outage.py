"""WhatsApp out of reach: NOWEB's STARTING every few seconds, then FAILED."""

from __future__ import annotations

import asyncio

import aiohttp

from simulator import WahaSimulator
from tests.helpers import wait_for

from .conftest import ALICE, API_KEY


async def _statuses(sim: WahaSimulator, n: int) -> list[str]:
    """Return the session statuses of the next n `/ws` events of `default`."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{sim.url}/ws?x-api-key={API_KEY}&session=default&events=session.status"
        ) as ws,
    ):
        await wait_for(None, lambda: bool(sim.ws_clients))
        sim.lose_whatsapp("default", every=0.01, attempts=n - 1)
        return [
            (await ws.receive_json(timeout=2))["payload"]["status"] for _ in range(n)
        ]


async def test_repeats_starting_then_fails(sim: WahaSimulator) -> None:
    session = sim.session("default")
    session.subscriptions.add(ALICE)
    assert await _statuses(sim, 11) == ["STARTING"] * 10 + ["FAILED"]
    assert session.status == "FAILED"
    assert session.outage is None
    # The new connection is a new engine client: it subscribed nothing yet.
    assert session.subscriptions == set()
    assert [point["status"] for point in session.statuses] == ["STARTING"] * 2 + [
        "FAILED"
    ]


async def test_whatsapp_back_ends_the_loop(sim: WahaSimulator) -> None:
    session = sim.session("default")
    sim.lose_whatsapp("default", every=0.01, attempts=1000)
    await wait_for(None, lambda: len(session.statuses) == 3)
    await sim.reach_whatsapp("default")
    assert session.status == "WORKING"
    assert session.outage is None
    await asyncio.sleep(0.05)
    assert session.status == "WORKING"


async def test_stop_ends_the_loop(sim: WahaSimulator) -> None:
    session = sim.session("default")
    sim.lose_whatsapp("default", every=0.01)
    await wait_for(None, lambda: session.status == "STARTING")
    await sim.stop_session(session)
    await asyncio.sleep(0.05)
    assert session.status == "STOPPED"
    assert session.outage is None


async def test_control_route(sim: WahaSimulator, api: aiohttp.ClientSession) -> None:
    session = sim.session("default")
    path = "/_sim/sessions/default/whatsapp"
    for bad in (
        {},
        {"reachable": False, "every": "2"},
        {"reachable": False, "attempts": 0},
    ):
        async with api.post(path, json=bad) as response:
            assert response.status == 400
    body = {"reachable": False, "every": 0.01, "attempts": 500}
    async with api.post(path, json=body) as response:
        assert response.status == 200
        assert (await response.json())["reachable"] is False
    await wait_for(None, lambda: len(session.statuses) == 3)
    assert session.status == "STARTING"
    async with api.post(path, json={"reachable": True}) as response:
        assert await response.json() == {"reachable": True, "status": "WORKING"}
    assert session.outage is None
