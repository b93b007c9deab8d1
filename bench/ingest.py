"""
Benchmark: webhook ingest rate with 10 vs 1,000 tracked chats, and a bare floor.

Runs a real Home Assistant (in-process, its real HTTP server on loopback) with the
integration set up against the WAHA simulator, then POSTs the same stream of signed
`presence.update` webhooks to an entry tracking 10 chats, one tracking 1,000 chats,
and a bare webhook handler that only parses the body and writes as many states as
our integration wrote per event. Rounds are interleaved; medians are reported.

    .venv/bin/python bench/ingest.py [--events 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import gc
import json
import logging
from pathlib import Path
import statistics
import sys
import tempfile
import time
from typing import Any

from aiohttp import ClientSession, TCPConnector, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.waha_presence.const import (  # noqa: E402
    CONF_ACCOUNT_ID,
    CONF_CHAT_ID,
    CONF_CHAT_NAME,
    CONF_DELIVERY,
    CONF_HMAC_KEY,
    CONF_SESSION,
    CONF_WEBHOOK_URL,
    DELIVERY_WEBHOOK,
    DOMAIN,
    SUBENTRY_CHAT,
)
import homeassistant  # noqa: E402, F401  # before the harness imports voluptuous
from homeassistant import loader  # noqa: E402
from homeassistant.components import webhook  # noqa: E402
from homeassistant.config_entries import ConfigSubentryData  # noqa: E402
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID  # noqa: E402
from homeassistant.core import Event, HomeAssistant  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from simulator import WahaSimulator  # noqa: E402

API_KEY = "bench-api-key"
HMAC_KEY = "bench-hmac-key-0123456789abcdef0123456789abcdef"
PRESENCES = ("online", "typing", "paused", "offline")
HOT_CHATS = 10
CONCURRENCY = 8


def chat_id(session_index: int, index: int) -> str:
    """Return a distinct phone-number chat id."""
    return f"31{session_index}{index:08d}@c.us"


def build_stream(
    sim: WahaSimulator, session: str, session_index: int, events: int, start_ts: int
) -> list[tuple[bytes, str]]:
    """Return signed bodies: presence changes cycling over the first chats."""
    stream: list[tuple[bytes, str]] = []
    for n in range(events):
        target = chat_id(session_index, n % HOT_CHATS)
        presence = PRESENCES[(n // HOT_CHATS) % len(PRESENCES)]
        payload = {
            "id": target,
            "presences": [
                {
                    "participant": target,
                    "lastKnownPresence": presence,
                    "lastSeen": 1_800_000_000 + n if presence == "offline" else None,
                }
            ],
        }
        envelope = sim.build_envelope(
            session, "presence.update", payload, timestamp=start_ts + n * 1000
        )
        body = json.dumps(envelope).encode()
        stream.append((body, sim.sign(body, HMAC_KEY)))
    return stream


async def drive(
    http: ClientSession, url: str, stream: list[tuple[bytes, str]]
) -> float:
    """POST the stream with a few requests in flight; return events per second."""
    queue = iter(stream)

    async def worker() -> None:
        for body, signature in queue:
            async with http.post(
                url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Webhook-Hmac": signature,
                },
            ) as response:
                if response.status != 200:
                    raise RuntimeError(f"webhook answered {response.status}")
                await response.read()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return len(stream) / (time.perf_counter() - began)


def baseline_handler(writes_per_event: float) -> Callable[..., Any]:
    """Return a bare webhook handler: parse the body, change N states on average."""
    counter = 0
    owed = 0.0

    async def handle(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        nonlocal counter, owed
        data = json.loads(await request.read())
        presence = data["payload"]["presences"][0]["lastKnownPresence"]
        counter += 1
        owed += writes_per_event
        writes = int(owed)
        owed -= writes
        for i in range(writes):
            hass.states.async_set(f"sensor.baseline_{i}", f"{presence}-{counter}")
        return web.Response(status=200)

    return handle


async def add_entry(
    hass: HomeAssistant,
    sim: WahaSimulator,
    base: str,
    session: str,
    index: int,
    chats: int,
) -> MockConfigEntry:
    """Create the session and an entry tracking `chats` chats, and set it up."""
    account = f"3160000000{index}@c.us"
    sim.add_session(
        session,
        engine="NOWEB",
        status="WORKING",
        me={"id": account, "pushName": session},
    )
    for n in range(chats):
        sim.add_contact(session, chat_id(index, n), name=f"{session} {n}")
    webhook_id = f"bench{index:059d}"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=session,
        unique_id=account,
        data={
            CONF_URL: sim.url,
            CONF_API_KEY: API_KEY,
            CONF_SESSION: session,
            CONF_ACCOUNT_ID: account,
            CONF_DELIVERY: DELIVERY_WEBHOOK,
            CONF_WEBHOOK_ID: webhook_id,
            CONF_WEBHOOK_URL: f"{base}/api/webhook/{webhook_id}",
            CONF_HMAC_KEY: HMAC_KEY,
        },
        subentries_data=[
            ConfigSubentryData(
                data={
                    CONF_CHAT_ID: chat_id(index, n),
                    CONF_CHAT_NAME: f"{session} {n}",
                },
                subentry_type=SUBENTRY_CHAT,
                title=f"{session} {n}",
                unique_id=chat_id(index, n),
            )
            for n in range(chats)
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    coordinator = entry.runtime_data.coordinator
    async with asyncio.timeout(120):
        while (
            not coordinator.available or len(sim.session(session).subscriptions) < chats
        ):
            await hass.async_block_till_done()
            await asyncio.sleep(0.05)
    await hass.async_block_till_done()
    return entry


async def run(events: int, rounds: int) -> dict[str, float]:
    """Run the benchmark and return the median figures."""
    sim = WahaSimulator(API_KEY, retry_delay_scale=0.0)
    await sim.start()
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            # Views are registered before the server starts and freezes its router.
            for component in ("http", "webhook"):
                assert await async_setup_component(hass, component, {})
            runner = web.AppRunner(hass.http.app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            base = f"http://127.0.0.1:{port}"
            print(f"Home Assistant on {base}, simulator on {sim.url}")

            began = time.perf_counter()
            small = await add_entry(hass, sim, base, "small", 1, HOT_CHATS)
            large = await add_entry(hass, sim, base, "large", 2, 1000)
            print(
                f"set up 10 + 1,000 tracked chats in {time.perf_counter() - began:.1f} s"
            )

            # Count the states our integration writes per event, to size the floor.
            writes = 0

            def count(event: Event[Any]) -> None:
                nonlocal writes
                writes += 1

            unsub = hass.bus.async_listen("state_changed", count)
            connector = TCPConnector(limit=CONCURRENCY)
            async with ClientSession(connector=connector) as http:
                warmup = build_stream(sim, "small", 1, 400, 1_000_000)
                await drive(
                    http, f"{base}/api/webhook/{small.data[CONF_WEBHOOK_ID]}", warmup
                )
                await hass.async_block_till_done()
                unsub()
                per_event = writes / len(warmup)
                gc.collect()
                gc.freeze()
                webhook.async_register(
                    hass, "bench", "baseline", "baseline", baseline_handler(per_event)
                )
                results: dict[str, list[float]] = {"10": [], "1000": [], "floor": []}
                ts = 10_000_000_000
                cases = [
                    ("10", small, "small", 1),
                    ("1000", large, "large", 2),
                    ("floor", small, "small", 1),
                ]
                for round_ in range(rounds):
                    # Rotate the order so no case always runs first or last.
                    shift = round_ % len(cases)
                    for name, entry, session, index in cases[shift:] + cases[:shift]:
                        stream = build_stream(sim, session, index, events, ts)
                        ts += events * 1000
                        hook = (
                            "baseline"
                            if name == "floor"
                            else entry.data[CONF_WEBHOOK_ID]
                        )
                        results[name].append(
                            await drive(http, f"{base}/api/webhook/{hook}", stream)
                        )
                        await hass.async_block_till_done()
            await runner.cleanup()
            for entry in (small, large):
                await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            await hass.async_stop(force=True)
    await sim.stop()
    medians = {name: statistics.median(values) for name, values in results.items()}
    medians["writes_per_event"] = per_event
    return medians


def main() -> None:
    """Parse arguments, run, print the figures and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(run(args.events, args.rounds))
    scale = figures["1000"] / figures["10"]
    floor = figures["10"] / figures["floor"]
    print(f"states changed per event:      {figures['writes_per_event']:.2f}")
    print(f"10 tracked chats:              {figures['10']:8.0f} events/s")
    print(f"1,000 tracked chats:           {figures['1000']:8.0f} events/s")
    print(f"bare webhook + same writes:    {figures['floor']:8.0f} events/s")
    print(f"ratio 1,000 / 10 chats:        {scale:.3f}  (target >= 0.9)")
    print(f"ratio ours / bare floor:       {floor:.3f}  (target >= 0.8)")
    sys.exit(0 if scale >= 0.9 and floor >= 0.8 else 1)


if __name__ == "__main__":
    main()
