"""Fixtures: a simulator with one session per engine, an API client, a webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
import pytest

from simulator import WahaSimulator, engines
from tests.const import (
    ACCOUNT_ID,
    ACCOUNT_LID,
    ALICE,
    ALICE_LID,
    BOB,
    BOB_LID,
    CAROL,
    FAMILY,
)

__all__ = ["ALICE", "ALICE_LID", "BOB", "BOB_LID", "CAROL", "FAMILY"]

API_KEY = "sim-test-key"
ME = {"id": ACCOUNT_ID, "pushName": "Home", "lid": ACCOUNT_LID}
ENGINE_SESSIONS = {"default": "NOWEB", "webjs": "WEBJS", "gows": "GOWS"}


def populate(sim: WahaSimulator, name: str, engine: str) -> None:
    """Add a WORKING session with Alice, Bob (reported by LID), Carol and Family."""
    sim.add_session(name, engine=engine, me=ME, config=engines.store_config(engine))
    sim.add_contact(name, ALICE, name="Alice", pushname="Ali", lid=ALICE_LID)
    sim.add_contact(name, BOB, name="Bob", lid=BOB_LID, reports_as_lid=True)
    sim.add_contact(name, CAROL, pushname="Carol")
    sim.add_group(name, FAMILY, name="Family", participants=[ALICE, BOB_LID, CAROL])


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncGenerator[WahaSimulator]:
    """Run a simulator on loopback with a NOWEB, a WEBJS and a GOWS session."""
    simulator = WahaSimulator(API_KEY, retry_delay_scale=0.0, auto_online_seconds=0.2)
    for name, engine in ENGINE_SESSIONS.items():
        populate(simulator, name, engine)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def api(sim: WahaSimulator) -> AsyncGenerator[aiohttp.ClientSession]:
    """Return an HTTP client for the simulator that sends the API key."""
    async with aiohttp.ClientSession(
        base_url=sim.url, headers={"X-Api-Key": API_KEY}
    ) as session:
        yield session


@dataclass
class Received:
    """One request the webhook receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local webhook endpoint that records requests and replies as scripted."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request; answer with the next scripted status (200 when none)."""
        self.received.append(
            Received(request.path, dict(request.headers), await request.read())
        )
        self.arrived.set()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def wait(self, n: int) -> list[Received]:
        """Wait (up to 5 s) until n requests arrived."""
        async with asyncio.timeout(5):
            while len(self.received) < n:
                self.arrived.clear()
                await self.arrived.wait()
        return self.received


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncGenerator[Receiver]:
    """Run a webhook receiver on loopback."""
    target = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", target.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    target.url = f"http://{host}:{port}"
    yield target
    await runner.cleanup()
