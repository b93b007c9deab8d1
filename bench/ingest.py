"""
Benchmark: webhook ingest rate with 10 vs 1,000 tracked chats, and a bare floor.

Runs a real Home Assistant (in-process, its real HTTP server on loopback) with the
integration set up against the WAHA simulator, then POSTs the same stream of signed
`presence.update` webhooks to an entry tracking 10 chats, one tracking 1,000 chats,
and bare webhook handlers that only parse the body and change as many states as
our integration changed per event: through the state machine directly, through
minimal Home Assistant entities, through Home Assistant entities of our four kinds,
or not at all. Rounds are interleaved; ratios are taken within each round and their
median is reported.

    .venv/bin/python bench/ingest.py [--events 250] [--rounds 60]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
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
    MockEntityPlatform,
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
from homeassistant.components.binary_sensor import BinarySensorEntity  # noqa: E402
from homeassistant.components.event import EventEntity  # noqa: E402
from homeassistant.components.sensor import (  # noqa: E402
    SensorDeviceClass,
    SensorEntity,
)
from homeassistant.config_entries import ConfigSubentryData  # noqa: E402
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID  # noqa: E402
from homeassistant.core import Event, HomeAssistant, callback  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from homeassistant.util.json import json_loads  # noqa: E402
from simulator import WahaSimulator  # noqa: E402

API_KEY = "bench-api-key"
HMAC_KEY = "bench-hmac-key-0123456789abcdef0123456789abcdef"
PRESENCES = ("online", "typing", "paused", "offline")
ALL_PRESENCES = ["online", "offline", "typing", "recording", "paused"]
HOT_CHATS = 10
# Offline reports carry a lastSeen of their own, in the past as WhatsApp's are.
BASE_LAST_SEEN = 1_700_000_000
CONCURRENCY = 8
WARMUP_EVENTS = 400


def chat_id(session_index: int, index: int) -> str:
    """Return a distinct phone-number chat id."""
    return f"31{session_index}{index:08d}@c.us"


class Clock:
    """Envelope times as WAHA stamps live events: now, and never the same twice."""

    last = 0

    @classmethod
    def stamp(cls) -> int:
        """Return the current time in ms, after every stamp handed out before."""
        cls.last = max(time.time_ns() // 1_000_000, cls.last + 1)
        return cls.last


def build_stream(
    sim: WahaSimulator, session: str, session_index: int, first: int, events: int
) -> list[tuple[bytes, str]]:
    """Return signed events `first` to `first + events` of one endless stream."""
    # Presence cycles over the first chats: a stream taken in pieces changes as
    # many states per event as one taken whole. Events are stamped when built, just
    # before they are sent: the integration takes only events of the last minutes.
    stream: list[tuple[bytes, str]] = []
    for n in range(first, first + events):
        target = chat_id(session_index, n % HOT_CHATS)
        presence = PRESENCES[(n // HOT_CHATS) % len(PRESENCES)]
        payload = {
            "id": target,
            "presences": [
                {
                    "participant": target,
                    "lastKnownPresence": presence,
                    "lastSeen": BASE_LAST_SEEN + n if presence == "offline" else None,
                }
            ],
        }
        envelope = sim.build_envelope(
            session, "presence.update", payload, timestamp=Clock.stamp()
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


async def changes_per_event(
    hass: HomeAssistant,
    http: ClientSession,
    url: str,
    stream: list[tuple[bytes, str]],
) -> float:
    """POST `stream` to `url`; return how many states changed per event."""
    changed = 0

    @callback
    def count(event: Event[Any]) -> None:
        nonlocal changed
        changed += 1

    unsub = hass.bus.async_listen("state_changed", count)
    await drive(http, url, stream)
    await hass.async_block_till_done()
    unsub()
    return changed / len(stream)


class FloorSensor(SensorEntity):
    """The least an integration's entity can be: a sensor with a string state."""

    _attr_should_poll = False

    def __init__(self, index: int) -> None:
        """Name the sensor."""
        self._attr_unique_id = f"bench_floor_{index}"
        self._attr_name = f"Floor {index}"


type Apply = Callable[[dict[str, Any]], None]


class BareHandler:
    """A bare webhook handler: parse the body, let `apply` write."""

    def __init__(self, apply: Apply) -> None:
        """Keep the writer; `handled` counts the events seen through."""
        self._apply = apply
        self.handled = 0

    async def handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Parse the body, then write; no signature check or validation."""
        data = json_loads(await request.read())
        self.handled += 1
        self._apply(data)
        return web.Response(status=200)


def quota(write: Callable[[int, str], None], per_event: float) -> Apply:
    """Write `per_event` states an event on average, each with a new value."""
    owed = 0.0
    serial = 0

    def apply(data: dict[str, Any]) -> None:
        nonlocal owed, serial
        presence = data["payload"]["presences"][0]["lastKnownPresence"]
        serial += 1
        owed += per_event
        writes = int(owed)
        owed -= writes
        for i in range(writes):
            write(i, f"{presence}-{serial}")

    return apply


class KindsChat:
    """A contact as bare Home Assistant entities of our four kinds."""

    def __init__(self, name: str) -> None:
        """Create the presence, online, last seen and activity entities."""
        self.presence = SensorEntity()
        self.presence._attr_device_class = SensorDeviceClass.ENUM  # noqa: SLF001
        self.presence._attr_options = ALL_PRESENCES  # noqa: SLF001
        self.online = BinarySensorEntity()
        self.last_seen = SensorEntity()
        self.last_seen._attr_device_class = SensorDeviceClass.TIMESTAMP  # noqa: SLF001
        self.activity = EventEntity()
        self.activity._attr_event_types = ALL_PRESENCES  # noqa: SLF001
        for key, entity in (
            ("presence", self.presence),
            ("online", self.online),
            ("last_seen", self.last_seen),
            ("activity", self.activity),
        ):
            entity._attr_should_poll = False  # noqa: SLF001
            entity._attr_unique_id = f"bench_{name}_{key}"  # noqa: SLF001
            entity._attr_name = f"{name} {key}"  # noqa: SLF001

    def write(self, presence: str, last_seen: int | None, timestamp: int) -> None:
        """Write what changed, decided as our integration does."""
        previous = self.presence.native_value
        self.presence._attr_native_value = presence  # noqa: SLF001
        self.presence.async_write_ha_state()
        self.activity._trigger_event(presence, {"previous": previous})  # noqa: SLF001
        self.activity.async_write_ha_state()
        active = presence != "offline"
        if active != self.online.is_on:
            self.online._attr_is_on = active  # noqa: SLF001
            self.online.async_write_ha_state()
        seen = self.last_seen.native_value
        if last_seen:
            seen = datetime.fromtimestamp(last_seen, tz=UTC)
        elif active:
            seen = datetime.fromtimestamp(timestamp // 60_000 * 60, tz=UTC)
        if seen != self.last_seen.native_value:
            self.last_seen._attr_native_value = seen  # noqa: SLF001
            self.last_seen.async_write_ha_state()


async def kinds_writer(hass: HomeAssistant, index: int) -> Apply:
    """Add entities for the hot chats of session `index`; return their writer."""
    chats = {chat_id(index, n): KindsChat(f"kinds {n}") for n in range(HOT_CHATS)}
    by_domain: dict[str, list[Any]] = {
        "sensor": [
            e for chat in chats.values() for e in (chat.presence, chat.last_seen)
        ],
        "binary_sensor": [chat.online for chat in chats.values()],
        "event": [chat.activity for chat in chats.values()],
    }
    for domain, entities in by_domain.items():
        platform = MockEntityPlatform(hass, domain=domain, platform_name="bench")
        await platform.async_add_entities(entities)

    def apply(data: dict[str, Any]) -> None:
        presence = data["payload"]["presences"][0]
        chats[presence["participant"]].write(
            presence["lastKnownPresence"], presence["lastSeen"], data["timestamp"]
        )

    return apply


async def entity_writer(hass: HomeAssistant) -> Callable[[int, str], None]:
    """Add a few floor sensors to a platform; return a writer of their states."""
    platform = MockEntityPlatform(hass, domain="sensor", platform_name="bench")
    sensors = [FloorSensor(i) for i in range(8)]
    await platform.async_add_entities(sensors)

    def write(index: int, value: str) -> None:
        sensor = sensors[index]
        sensor._attr_native_value = value  # noqa: SLF001
        sensor.async_write_ha_state()

    return write


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


async def run(events: int, rounds: int) -> tuple[dict[str, list[float]], float]:
    """Run the benchmark; return each case's events/s per round, and writes/event."""
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

            connector = TCPConnector(limit=CONCURRENCY)
            async with ClientSession(connector=connector) as http:
                # Each case takes its own stream on, piece by piece; the warmups
                # are the first piece of ours and of the same-kind floor's.
                warmup = build_stream(sim, "small", 1, 0, WARMUP_EVENTS)
                ours_url = f"{base}/api/webhook/{small.data[CONF_WEBHOOK_ID]}"
                per_event = await changes_per_event(hass, http, ours_url, warmup)
                floors = {
                    "floor": BareHandler(
                        quota(
                            lambda i, value: hass.states.async_set(
                                f"sensor.baseline_{i}", value
                            ),
                            per_event,
                        )
                    ),
                    "entities": BareHandler(
                        quota(await entity_writer(hass), per_event)
                    ),
                    "kinds": BareHandler(await kinds_writer(hass, 1)),
                    "http": BareHandler(quota(lambda i, value: None, 0.0)),
                }
                for name, handler in floors.items():
                    webhook.async_register(hass, "bench", name, name, handler.handle)
                # It decides its writes itself, as ours does: check they match.
                kinds_url = f"{base}/api/webhook/kinds"
                kinds = await changes_per_event(hass, http, kinds_url, warmup)
                if abs(kinds - per_event) > 0.02 * per_event:
                    raise RuntimeError(
                        f"the same-kind floor changed {kinds:.2f} states per event, "
                        f"ours {per_event:.2f}"
                    )
                gc.collect()
                gc.freeze()
                cases = [
                    ("10", small, "small", 1),
                    ("1000", large, "large", 2),
                    ("floor", small, "small", 1),
                    ("entities", small, "small", 1),
                    ("kinds", small, "small", 1),
                    ("http", small, "small", 1),
                ]
                results: dict[str, list[float]] = {name: [] for name, *_ in cases}
                sent = dict.fromkeys(results, 0)
                sent["10"] = sent["kinds"] = WARMUP_EVENTS
                for round_ in range(rounds):
                    # Rotate the order so no case always runs first or last.
                    shift = round_ % len(cases)
                    for name, entry, session, index in cases[shift:] + cases[:shift]:
                        stream = build_stream(sim, session, index, sent[name], events)
                        sent[name] += events
                        hook = name if name in floors else entry.data[CONF_WEBHOOK_ID]
                        results[name].append(
                            await drive(http, f"{base}/api/webhook/{hook}", stream)
                        )
                        await hass.async_block_till_done()
                # HA's webhook component answers 200 even when a handler raises.
                for name, handler in floors.items():
                    if handler.handled != sent[name]:
                        raise RuntimeError(f"the {name} handler dropped events")
            await runner.cleanup()
            for entry in (small, large):
                await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            await hass.async_stop(force=True)
    await sim.stop()
    return results, per_event


def paired(results: dict[str, list[float]], ours: str, other: str) -> list[float]:
    """Return the ratio of two cases round by round, as they ran side by side."""
    return [a / b for a, b in zip(results[ours], results[other], strict=True)]


def main() -> None:
    """Parse arguments, run, print the figures and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results, per_event = asyncio.run(run(args.events, args.rounds))
    print(f"states changed per event: {per_event:.2f}")
    print("median events/s:")
    for name, label in (
        ("10", "10 tracked chats"),
        ("1000", "1,000 tracked chats"),
        ("floor", "bare webhook, same number of state writes"),
        ("entities", "bare webhook, as many minimal entity writes"),
        ("kinds", "bare webhook, writes to entities of our kinds"),
        ("http", "bare webhook, no writes"),
    ):
        print(f"  {label:45s} {statistics.median(results[name]):8.0f}")
    http = 1e6 / statistics.median(results["http"])
    print(f"per event, beyond the {http:.0f} µs of HTTP and JSON (from the medians):")
    for name, label in (
        ("floor", "state writes"),
        ("entities", "minimal entity writes"),
        ("kinds", "writes to entities of our kinds"),
        ("10", "our integration"),
    ):
        cost = 1e6 / statistics.median(results[name]) - http
        print(f"  {label:45s} {cost:6.0f} µs")
    # Machine speed drifts over a run: compare the cases of each round, then
    # take the median over rounds.
    print("ratios (median over rounds; middle half of rounds in brackets):")
    verdict = True
    for ours, other, label, target in (
        ("1000", "10", "1,000 / 10 chats", 0.9),
        ("10", "floor", "ours / bare floor", 0.8),
        ("entities", "floor", "entity floor / bare floor", None),
        ("kinds", "floor", "same-kind floor / bare floor", None),
        ("10", "kinds", "ours / same-kind floor", None),
    ):
        low, median, high = statistics.quantiles(
            paired(results, ours, other), n=4, method="inclusive"
        )
        line = f"  {label:29s} {median:.3f}  [{low:.2f}, {high:.2f}]"
        if target is not None:
            met = median >= target
            verdict = verdict and met
            line += f"  target >= {target}: {'met' if met else 'NOT met'}"
        print(line)
    sys.exit(0 if verdict else 1)


if __name__ == "__main__":
    main()
