"""
Benchmark: setup, reload, requests, memory and latency at 10 to 2,000 tracked chats.

The WAHA simulator runs in a process of its own (`python -m simulator`) and counts
requests on its side. Each size runs in a fresh process: a real Home Assistant
(in-process, its HTTP server on 127.0.0.1 and a free port) with the integration,
one NOWEB session and an entry tracking that many contacts. Per size one line:

    scale: chats=<n> setup_s=<x> reload_s=<x> max_block_ms=<x>
        setup_requests_per_chat=<x> renewal_requests_per_chat=<x> kib_per_chat=<x>
        latency_p99_ms=<x>

- setup_s, reload_s: `async_setup` (`async_reload`) until settled: available, every
  chat subscribed, and then nothing moving for 0.5 s (requests, webhook attempts,
  state writes); the time taken is when the last thing moved.
- max_block_ms: the largest lateness of a 50 ms repeating timer during setup and reload,
  each window begun after a full collection.
- setup_requests_per_chat: simulator-side requests from setup until settled (the
  session restart after our config PUT and the WORKING event after it included);
  renewal_requests_per_chat: the same for one renewal, started as its timer does.
- kib_per_chat: resident memory (RSS, /proc/self/statm) after setup minus before,
  garbage collected and free heap trimmed both times. Not tracemalloc: it slows the
  loop several times over and would distort the timings taken in the same run, and
  RSS is what the user pays. A 1-chat entry is set up and removed first, so that
  imports and first-use caches are not counted.
- latency_p99_ms: a signed `presence.update` for one contact every 10 ms, 500 times:
  POST sent to its presence sensor's state written.

After it, the garbage collector's share of max_block_ms (bench/gc_passes.py):

    gc: chats=<n> full_passes=<k> longest_full_pass_ms=<x> max_block_without_gc_ms=<x>

- full_passes, longest_full_pass_ms: the collector's full (generation 2) passes
  during setup and reload, and the longest of them.
- max_block_without_gc_ms: the largest lateness of the same timer's ticks that no full
  pass ran within (from when a tick was due to when it ran).

Then the floor, a figure and no target: the same measurement, in a fresh process
warmed up with a 1-chat entry of its own, of Home Assistant's own entities and none of
our code (bench/floor.py:
per chat a subentry, a device and entities of our four kinds, added as ours are):

    floor: chats=<n> max_block_ms=<x> full_passes=<k> longest_full_pass_ms=<x>
        max_block_without_gc_ms=<x>

Then a group of 1,024 members whose names WAHA has told: one event listing all of
them changed to typing (`group:` line: the longest loop iteration meanwhile, group
sensor writes, activity entity events, presence-changed events), and their fade 30 s
later, the loop clock moved on (`fade:` line). A figure beside them, `group_floor:`:
Home Assistant's own part of that event, with none of our code: an event entity's
1,024 events and states, 1,024 presence-changed events and one sensor write, in one
callback.

    .venv/bin/python bench/scale.py [--sizes 10,100,1000,2000] [--members 1024]
        [--events 500] [--lid-share 0.0] [--detail]

`--lid-share` gives that share of contacts a LID WAHA knows; `--detail` prints the
requests by route, the collector's passes by generation, and `heap` lines for ours and
the floor, before setup and after setup and reload: the garbage the next full pass frees
and how long it takes, then the objects that live and a pass over them. Exit 1 when a
target is missed; `missed:` lines say which, and a `note:` line when a full pass made a
block miss.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
import contextlib
import ctypes
import gc
import hashlib
import hmac
import json
import logging
import math
import os
from pathlib import Path
import re
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import floor, gc_passes  # noqa: E402
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
    EVENT_PRESENCE_CHANGED,
    SUBENTRY_CHAT,
)
from homeassistant import loader  # noqa: E402
from homeassistant.components.event import EventEntity  # noqa: E402
from homeassistant.components.sensor import SensorEntity  # noqa: E402
from homeassistant.config_entries import ConfigEntry  # noqa: E402
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID  # noqa: E402
from homeassistant.core import Context, Event, HomeAssistant, callback  # noqa: E402
from homeassistant.helpers import entity_registry as er, frame  # noqa: E402
from homeassistant.helpers.event import async_track_state_change_event  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402

API_KEY = "bench-api-key"
HMAC_KEY = "bench-hmac-key-0123456789abcdef0123456789abcdef"
ACCOUNT = "31600000000@c.us"
WARMUP_ACCOUNT = "31600000001@c.us"
GROUP = "120363000000000099@g.us"
STORE = {"noweb": {"store": {"enabled": True, "fullSync": False}}}
PROBE_S = 0.05
QUIET_S = 0.5
EVENT_GAP_S = 0.01
CYCLE = ("online", "typing", "paused", "offline")
FADE_S = 31
# Targets: the loop blocks at most this long at these sizes (2,000: twice 1,000's).
BLOCK_MS = {1000: 100.0, 2000: 200.0}
# Requests per chat from 100 chats on, where the few per entry no longer weigh.
REQUEST_TARGETS_FROM = 100
SETUP_REQUESTS = 2.0
RENEWAL_REQUESTS = 1.0
# Memory per chat from 1,000 chats on: today 43-48 KiB (RSS noise), and no more.
KIB_TARGETS_FROM = 1000
KIB_PER_CHAT = 52.0
# One group event, and its fade: one group sensor write, the loop free within this.
EVENT_BLOCK_MS = 50.0


def contact_id(n: int) -> str:
    """Return the n-th tracked contact's id."""
    return f"317{n:08d}@c.us"


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_bytes() -> int:
    """Return this process's resident memory, garbage and free heap given back first."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def simulator_process() -> Iterator[str]:
    """Run the WAHA simulator in its own process on loopback; yield its URL."""
    url = f"http://127.0.0.1:{free_port()}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(  # noqa: S603 - the simulator, fixed arguments
            [
                *(sys.executable, "-m", "simulator", "--host", "127.0.0.1"),
                *("--port", url.rsplit(":", 1)[1], "--api-key", API_KEY),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            if url not in process.stdout.readline():
                log.seek(0)
                raise RuntimeError(f"no simulator: {log.read()[-2000:]!r}")
            yield url
        finally:
            process.terminate()
            process.wait(10)


class Simulator:
    """The simulator's control API, as one measuring process drives it."""

    def __init__(self, url: str) -> None:
        """Open a client for the simulator at `url`."""
        self.url = url
        self._http = ClientSession(url, headers={"X-Api-Key": API_KEY})

    async def close(self) -> None:
        """Close the client."""
        await self._http.close()

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator; return its JSON answer."""
        async with self._http.request(method, path, json=body) as response:
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: {await response.text()}")
            return await response.json()

    async def add_session(
        self, name: str, account: str, contacts: list[str], lid_share: float = 0.0
    ) -> None:
        """Add a WORKING NOWEB session and its contacts, a share with a known LID."""
        me = {"id": account, "pushName": name}
        await self.call(
            "POST", "/_sim/sessions", {"name": name, "me": me, "config": STORE}
        )
        with_lid = round(len(contacts) * lid_share)
        for n, chat in enumerate(contacts):
            body = {"chatId": chat, "name": f"Contact {n}"}
            if n < with_lid:
                body["lid"] = f"88{n:010d}@lid"
            await self.call("POST", f"/_sim/sessions/{name}/contacts", body)

    async def stats(self) -> dict[str, Any]:
        """Return the simulator's counts."""
        return dict(await self.call("GET", "/_sim/stats"))

    async def breakdown(self, since: int) -> str:
        """Return the requests from `since` on, counted by method and route."""
        kinds = Counter(
            f"{r['method']} {re.sub(r'/[^/]*\d{5}[^/]*', '/{id}', r['path'])}"
            for r in await self.call("GET", f"/_sim/requests?since={since}")
        )
        return " ".join(f"{kind}={count}" for kind, count in kinds.most_common())


class LatenessProbe:
    """A repeating timer that keeps its largest lateness: how long the loop blocked."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        """Keep the loop; `start` begins."""
        self._loop = loop
        self._interval = interval
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None
        # Each tick's (due, ran), on the loop's clock: set beside the collector's passes.
        self.ticks: list[tuple[float, float]] = []

    def start(self) -> None:
        """Begin timing, forgetting what came before."""
        self.ticks = []
        self._schedule()

    def _schedule(self) -> None:
        self._due = self._loop.time() + self._interval
        self._handle = self._loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        self.ticks.append((self._due, self._loop.time()))
        self._schedule()

    def stop(self) -> float:
        """Stop; return the largest lateness in ms."""
        if self._handle is not None:
            self._handle.cancel()
        return max((ran - due for due, ran in self.ticks), default=0.0) * 1000


class BlockWatch:
    """The lateness probe and the collector's passes, over every window measured."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch `loop`; `start` and `stop` bound each window."""
        self._probe = LatenessProbe(loop, PROBE_S)
        self._passes = gc_passes.PassLog(loop.time)
        self._ticks: list[tuple[float, float]] = []
        self._collected: list[gc_passes.Pass] = []

    def start(self) -> None:
        """Begin a window."""
        self._passes.start()
        self._probe.start()

    def stop(self) -> float:
        """End the window; return its largest lateness in ms."""
        block = self._probe.stop()
        self._ticks += self._probe.ticks
        self._collected += self._passes.stop()
        return block

    def detail(self) -> str:
        """Return the last window's passes by generation, for `--detail`."""
        return gc_passes.detail(self._probe.ticks, self._passes.passes)

    def passes(self) -> str:
        """Return the collector's fields over all windows, as `gc:` and `floor:` say."""
        got = gc_passes.figures(self._ticks, self._collected)
        return (
            f"full_passes={got['full_passes']:.0f} "
            f"longest_full_pass_ms={got['longest_full_pass_ms']:.2f} "
            f"max_block_without_gc_ms={got['max_block_without_gc_ms']:.2f}"
        )


class IterationProbe:
    """A call_soon chain: runs once per loop iteration and keeps the longest."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Keep the loop; `start` begins."""
        self._loop = loop
        self._last = 0.0
        self._handle: asyncio.Handle | None = None
        self.worst = 0.0

    def start(self) -> None:
        """Begin timing."""
        self.worst = 0.0
        self._last = time.perf_counter()
        self._handle = self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self._last)
        self._last = now
        self._handle = self._loop.call_soon(self._tick)

    def stop(self) -> float:
        """Stop; return the longest iteration in ms."""
        if self._handle is not None:
            self._handle.cancel()
        return self.worst * 1000


@contextlib.asynccontextmanager
async def home_assistant() -> AsyncIterator[tuple[HomeAssistant, str]]:
    """Run Home Assistant with its HTTP app on loopback; yield it and its URL."""
    # Imported after Home Assistant, which puts its voluptuous in place first.
    from pytest_homeassistant_custom_component.common import (
        async_test_home_assistant,
    )

    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            frame.async_setup(hass)  # Home Assistant 2026.11 asks for it
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            http = {"server_host": ["127.0.0.1"], "server_port": free_port()}
            assert await async_setup_component(hass, "http", {"http": http})
            assert await async_setup_component(hass, "webhook", {})
            runner = web.AppRunner(hass.http.app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            try:
                yield hass, f"http://127.0.0.1:{runner.addresses[0][1]}"
            finally:
                await runner.cleanup()
                for entry in hass.config_entries.async_entries(DOMAIN):
                    await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_block_till_done()
                await hass.async_stop(force=True)


def add_entry(
    hass: HomeAssistant,
    sim: Simulator,
    ha_url: str,
    session: str,
    account: str,
    chats: list[str],
) -> ConfigEntry[Any]:
    """Add (not set up) an entry on `session` tracking `chats`, delivered by webhook."""
    webhook_id = hashlib.sha256(session.encode()).hexdigest()
    return floor.add_chat_entry(
        hass,
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
            CONF_WEBHOOK_URL: f"{ha_url}/api/webhook/{webhook_id}",
            CONF_HMAC_KEY: HMAC_KEY,
        },
        chats=chats,
        subentry_type=SUBENTRY_CHAT,
        chat_data=lambda n, chat: {CONF_CHAT_ID: chat, CONF_CHAT_NAME: f"Chat {n}"},
    )


class StateWrites:
    """Counts Home Assistant's state writes."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Count state writes from now on."""
        self.hass = hass
        self.writes = 0
        hass.bus.async_listen("state_changed", self._count)

    @callback
    def _count(self, _event: Event[Any]) -> None:
        self.writes += 1


class Settler(StateWrites):
    """Tells when an entry has settled: nothing moves any more, on either side."""

    def __init__(self, hass: HomeAssistant, sim: Simulator) -> None:
        """Count state writes from now on."""
        super().__init__(hass)
        self.sim = sim

    async def wait(
        self, entry: ConfigEntry[Any], subscribed: int, limit: float = 300
    ) -> tuple[float, int]:
        """Wait until settled; return when the last thing moved, and requests by then."""
        seen: tuple[Any, ...] = ()
        moved = time.perf_counter()
        async with asyncio.timeout(limit):
            while True:
                await self.hass.async_block_till_done(wait_background_tasks=True)
                stats = await self.sim.stats()
                now = time.perf_counter()
                coordinator = entry.runtime_data.coordinator
                session = stats["sessions"][entry.data[CONF_SESSION]]
                state = (
                    stats["requests"],
                    stats["deliveries"],
                    stats["busy"],
                    self.writes,
                    coordinator.available,
                    session["subscriptions"] >= subscribed,
                )
                if state != seen:
                    seen, moved = state, now
                elif not stats["busy"] and all(state[-2:]) and now - moved > QUIET_S:
                    return moved, int(stats["requests"])
                await asyncio.sleep(0.02)


async def warm_up(
    hass: HomeAssistant, sim: Simulator, settler: Settler, ha_url: str
) -> None:
    """Set up and remove a 1-chat entry: imports and caches are not the sizes' cost."""
    chat = contact_id(99_999_999)
    session = f"warmup{os.getpid()}"
    await sim.add_session(session, WARMUP_ACCOUNT, [chat])
    entry = add_entry(hass, sim, ha_url, session, WARMUP_ACCOUNT, [chat])
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settler.wait(entry, 1)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def envelope(session: str, account: str, payload: dict[str, Any], ts: int) -> bytes:
    """Return a `presence.update` envelope as WAHA sends it."""
    body = {
        "id": f"evt_bench{ts:020d}",
        "timestamp": ts,
        "event": "presence.update",
        "session": session,
        "me": {"id": account, "pushName": session},
        "payload": payload,
        "engine": "NOWEB",
    }
    return json.dumps(body, separators=(",", ":")).encode()


async def post(http: ClientSession, url: str, body: bytes) -> None:
    """POST one signed event to our webhook."""
    signature = hmac.new(HMAC_KEY.encode(), body, hashlib.sha512).hexdigest()
    headers = {"Content-Type": "application/json", "X-Webhook-Hmac": signature}
    async with http.post(url, data=body, headers=headers) as response:
        if response.status != 200:
            raise RuntimeError(f"webhook answered {response.status}")
        await response.read()


def entity_id(hass: HomeAssistant, domain: str, unique_id: str) -> str:
    """Return the entity id registered for one of our unique ids."""
    found = er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert found is not None, unique_id
    return found


async def latency(
    hass: HomeAssistant, url: str, session: str, chat: str, events: int
) -> float:
    """Return the p99 ms from POST sent to presence state written, one at a time."""
    sensor = entity_id(hass, "sensor", f"{ACCOUNT}_{chat}_presence")
    written: list[float] = []

    @callback
    def stamp(_event: Event[Any]) -> None:
        written.append(time.perf_counter())

    unsub = async_track_state_change_event(hass, [sensor], stamp)
    first = int(time.time() * 1000)
    bodies = []
    for n in range(events):
        presence = CYCLE[n % len(CYCLE)]
        seen = first // 1000 if presence == "offline" else None
        entry = {"participant": chat, "lastKnownPresence": presence, "lastSeen": seen}
        payload = {"id": chat, "presences": [entry]}
        bodies.append(envelope(session, ACCOUNT, payload, first + n))
    taken: list[float] = []
    async with ClientSession() as http:
        for body in bodies:
            sent = time.perf_counter()
            count = len(written)
            await post(http, url, body)
            # The handler writes before it answers.
            if len(written) != count + 1:
                raise RuntimeError("an event did not write the presence sensor")
            taken.append(written[-1] - sent)
            await asyncio.sleep(max(0.0, sent + EVENT_GAP_S - time.perf_counter()))
    unsub()
    taken.sort()
    return taken[math.ceil(0.99 * len(taken)) - 1] * 1000


async def measure_size(
    sim_url: str, size: int, events: int, lid_share: float, detail: bool
) -> None:
    """Measure one size and print its `scale:` line."""
    chats = [contact_id(n) for n in range(size)]
    session = f"scale{size}"
    sim = Simulator(sim_url)
    try:
        await sim.add_session(session, ACCOUNT, chats, lid_share)
        async with home_assistant() as (hass, ha_url):
            settler = Settler(hass, sim)
            await warm_up(hass, sim, settler, ha_url)
            entry = add_entry(hass, sim, ha_url, session, ACCOUNT, chats)
            watch = BlockWatch(hass.loop)
            subscribed = size + round(size * lid_share)

            if detail:
                print(f"heap before setup: {gc_passes.heap()}")
            rss_before = rss_bytes()
            before = (await sim.stats())["requests"]
            watch.start()
            began = time.perf_counter()
            assert await hass.config_entries.async_setup(entry.entry_id)
            settled, after = await settler.wait(entry, subscribed)
            setup_block = watch.stop()
            setup_s = settled - began
            setup_requests = after - before
            if detail:
                print(f"requests setup: {await sim.breakdown(before)}")
                print(f"gc setup: {watch.detail()}")
                print(f"heap after setup: {gc_passes.heap()}")
            kib = (rss_bytes() - rss_before) / 1024

            before = (await sim.stats())["requests"]
            # What the renewal timer runs.
            entry.runtime_data.coordinator.async_schedule_sync(read_state=False)
            _, after = await settler.wait(entry, subscribed)
            renewal_requests = after - before
            if detail:
                print(f"requests renewal: {await sim.breakdown(before)}")

            before = (await sim.stats())["requests"]
            # Called for its full collection: the window begins after one, as setup's
            # and the floor's do.
            rss_bytes()
            watch.start()
            began = time.perf_counter()
            assert await hass.config_entries.async_reload(entry.entry_id)
            settled, _ = await settler.wait(entry, subscribed)
            reload_block = watch.stop()
            reload_s = settled - began
            if detail:
                print(f"requests reload: {await sim.breakdown(before)}")
                print(f"gc reload: {watch.detail()}")
                print(f"heap after reload: {gc_passes.heap()}")

            url = f"{ha_url}/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
            p99 = await latency(hass, url, session, chats[0], events)
    finally:
        await sim.close()
    print(
        f"scale: chats={size} setup_s={setup_s:.2f} reload_s={reload_s:.2f} "
        f"max_block_ms={max(setup_block, reload_block):.2f} "
        f"setup_requests_per_chat={setup_requests / size:.2f} "
        f"renewal_requests_per_chat={renewal_requests / size:.2f} "
        f"kib_per_chat={kib / size:.2f} latency_p99_ms={p99:.2f}",
        flush=True,
    )
    print(f"gc: chats={size} {watch.passes()}", flush=True)


async def floor_settled(writes: StateWrites, shown: int, limit: float = 300) -> None:
    """Wait until the floor shows `shown` entities, then no state moved for a while."""
    seen = -1
    moved = time.perf_counter()
    async with asyncio.timeout(limit):
        while True:
            await writes.hass.async_block_till_done(wait_background_tasks=True)
            now = time.perf_counter()
            if writes.writes != seen:
                seen, moved = writes.writes, now
            elif floor.shown(writes.hass) == shown and now - moved > QUIET_S:
                return
            await asyncio.sleep(0.02)


async def measure_floor(size: int, detail: bool) -> None:
    """Measure Home Assistant's own entities of one size; print its `floor:` line."""
    chats = [contact_id(n) for n in range(size)]
    async with home_assistant() as (hass, _):
        floor.install(hass)
        writes = StateWrites(hass)
        # The size's warm-up, with the floor's entry: a chat set up and removed.
        warm = floor.add_entry(hass, WARMUP_ACCOUNT, [contact_id(99_999_999)])
        assert await hass.config_entries.async_setup(warm.entry_id)
        await floor_settled(writes, floor.STATES_PER_CHAT)
        await hass.config_entries.async_remove(warm.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        entry = floor.add_entry(hass, ACCOUNT, chats)
        watch = BlockWatch(hass.loop)
        blocks = []
        if detail:
            print(f"heap floor before setup: {gc_passes.heap()}")
        # Setup and reload each begin after a full collection, as the size's do.
        steps = {
            "setup": hass.config_entries.async_setup,
            "reload": hass.config_entries.async_reload,
        }
        for name, step in steps.items():
            rss_bytes()
            watch.start()
            assert await step(entry.entry_id)
            await floor_settled(writes, floor.STATES_PER_CHAT * size)
            blocks.append(watch.stop())
            if detail:
                print(f"gc floor: {watch.detail()}")
                print(f"heap floor after {name}: {gc_passes.heap()}")
    print(
        f"floor: chats={size} max_block_ms={max(blocks):.2f} {watch.passes()}",
        flush=True,
    )


def track_writes(hass: HomeAssistant, entity_ids: list[str]) -> Counter[str]:
    """Return a count of the state writes of `entity_ids`, by entity id, from now on."""
    writes: Counter[str] = Counter()

    @callback
    def count(event: Event[Any]) -> None:
        writes[event.data["entity_id"]] += 1

    async_track_state_change_event(hass, entity_ids, count)
    return writes


async def group_floor(
    hass: HomeAssistant, ids: list[str], probe: IterationProbe
) -> float:
    """Time Home Assistant's own part of the group event: its writes and events alone."""
    # Imported after Home Assistant, which puts its voluptuous in place first.
    from pytest_homeassistant_custom_component.common import MockEntityPlatform

    activity = EventEntity()
    activity._attr_event_types = floor.PRESENCES  # noqa: SLF001
    activity._attr_name = "Floor group activity"  # noqa: SLF001
    members = SensorEntity()
    members._attr_name = "Floor group active members"  # noqa: SLF001
    for domain, entity in (("event", activity), ("sensor", members)):
        entity._attr_should_poll = False  # noqa: SLF001
        platform = MockEntityPlatform(hass, domain=domain, platform_name="bench_floor")
        await platform.async_add_entities([entity])
    writes = track_writes(hass, [activity.entity_id, members.entity_id])

    # What ours does per member of the event, with none of our code: the activity
    # entity's event and state, the per-change event; then the group sensor, once.
    @callback
    def write_all() -> None:
        # One context for the event's writes, as ours shares its WAHA event's.
        context = Context()
        for member in ids:
            name = member.split("@", 1)[0]
            data = {"previous": "online", "participant": member, "name": name}
            activity._trigger_event("typing", data)  # noqa: SLF001
            activity.async_set_context(context)
            activity.async_write_ha_state()
            hass.bus.async_fire(
                EVENT_PRESENCE_CHANGED,
                {
                    "device_id": None,
                    "chat_id": GROUP,
                    "participant": member,
                    "name": name,
                    "presence": "typing",
                    "previous": "online",
                    "activity": "started_typing",
                    "group": "Big group",
                },
                context=context,
            )
        members._attr_native_value = len(ids)  # noqa: SLF001
        members.async_set_context(context)
        members.async_write_ha_state()

    probe.start()
    hass.loop.call_soon(write_all)
    await asyncio.sleep(0)
    await hass.async_block_till_done()
    block = probe.stop()
    if writes[activity.entity_id] != len(ids):
        raise RuntimeError(f"the group floor wrote {writes} for {len(ids)} members")
    return block


def advance(loop: asyncio.AbstractEventLoop, seconds: float) -> None:
    """Move the loop's clock on: timers due within `seconds` run at its next turn."""
    clock = loop.time
    loop.time = lambda: clock() + seconds  # type: ignore[method-assign]


async def measure_group(sim_url: str, members: int) -> None:
    """Time one event listing every member of a group typing, then their fade."""
    ids = [f"77{n:010d}@lid" for n in range(members)]
    session = "group"
    sim = Simulator(sim_url)
    try:
        await sim.add_session(session, ACCOUNT, [])
        group = {"groupId": GROUP, "name": "Big group", "participants": ids}
        await sim.call("POST", f"/_sim/sessions/{session}/groups", group)
        async with home_assistant() as (hass, ha_url):
            settler = Settler(hass, sim)
            entry = add_entry(hass, sim, ha_url, session, ACCOUNT, [GROUP])
            # The activity entity starts disabled: enabled, its 1,024 events count.
            er.async_get(hass).async_get_or_create(
                "event",
                DOMAIN,
                f"{ACCOUNT}_{GROUP}_activity",
                config_entry=entry,
                config_subentry_id=next(iter(entry.subentries)),
            )
            assert await hass.config_entries.async_setup(entry.entry_id)
            await settler.wait(entry, 1)
            sensor = entity_id(hass, "sensor", f"{ACCOUNT}_{GROUP}_active_members")
            activity = entity_id(hass, "event", f"{ACCOUNT}_{GROUP}_activity")
            writes = track_writes(hass, [sensor, activity])

            @callback
            def announced(_event: Event[Any]) -> None:
                writes[EVENT_PRESENCE_CHANGED] += 1

            hass.bus.async_listen(EVENT_PRESENCE_CHANGED, announced)
            url = f"{ha_url}/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
            first = int(time.time() * 1000)

            def event(presence: str, ts: int) -> bytes:
                listed = [
                    {"participant": m, "lastKnownPresence": presence, "lastSeen": None}
                    for m in ids
                ]
                payload = {"id": GROUP, "presences": listed}
                return envelope(session, ACCOUNT, payload, ts)

            probe = IterationProbe(hass.loop)
            async with ClientSession() as http:
                # Everyone known online first: the measured event changes them all.
                await post(http, url, event("online", first))
                # Their names asked and answered: each change is announced at once.
                await hass.async_block_till_done(wait_background_tasks=True)
                body = event("typing", first + 1000)
                writes.clear()
                probe.start()
                await post(http, url, body)
                await hass.async_block_till_done()
                block = probe.stop()
            print(
                f"group: members={members} block_ms={block:.2f} "
                f"group_sensor_writes={writes[sensor]} "
                f"activity_events={writes[activity]} "
                f"presence_events={writes[EVENT_PRESENCE_CHANGED]}",
                flush=True,
            )
            writes.clear()
            probe.start()
            advance(hass.loop, FADE_S)
            await asyncio.sleep(0.05)
            await hass.async_block_till_done()
            block = probe.stop()
            print(
                f"fade: members={members} block_ms={block:.2f} "
                f"group_sensor_writes={writes[sensor]}",
                flush=True,
            )
            block = await group_floor(hass, ids, probe)
            print(f"group_floor: members={members} block_ms={block:.2f}", flush=True)
    finally:
        await sim.close()


def fields(line: str) -> dict[str, float]:
    """Return the `name=value` figures of an output line."""
    return {
        key: float(value)
        for key, value in (item.split("=") for item in line.split(": ", 1)[1].split())
    }


def ceilings(kind: str, got: dict[str, float]) -> dict[str, float]:
    """Return the ceilings the figures of one output line must stay under."""
    if kind != "scale":
        return {"block_ms": EVENT_BLOCK_MS, "group_sensor_writes": 1}
    limits = {}
    chats = int(got["chats"])
    if chats in BLOCK_MS:
        limits["max_block_ms"] = BLOCK_MS[chats]
    if chats >= REQUEST_TARGETS_FROM:
        limits["setup_requests_per_chat"] = SETUP_REQUESTS
        limits["renewal_requests_per_chat"] = RENEWAL_REQUESTS
    if chats >= KIB_TARGETS_FROM:
        limits["kib_per_chat"] = KIB_PER_CHAT
    return limits


def missed(lines: list[str]) -> list[str]:
    """Return the targets the output lines miss."""
    misses = []
    for line in lines:
        kind = line.split(": ", 1)[0]
        if kind not in {"scale", "group", "fade"}:
            continue
        got = fields(line)
        size = (
            f"chats={got['chats']:g}"
            if kind == "scale"
            else f"members={got['members']:g}"
        )
        for key, ceiling in ceilings(kind, got).items():
            if got[key] > ceiling:
                misses.append(f"{kind} {size}: {key}={got[key]:g} > {ceiling:g}")
        # Every member changed: one activity event each, no more, no fewer, and
        # one presence-changed event each, fired within the event.
        if kind == "group":
            misses += [
                f"group {size}: {key}={got[key]:g}"
                for key in ("activity_events", "presence_events")
                if got[key] != got["members"]
            ]
    return misses


def explain(lines: list[str]) -> list[str]:
    """Return, for each missed block target, whether a full collector pass made it."""
    blocks = {
        got["chats"]: got["max_block_ms"]
        for got in (fields(line) for line in lines if line.startswith("scale: "))
    }
    floors = {
        got["chats"]: got
        for got in (fields(line) for line in lines if line.startswith("floor: "))
    }
    notes = []
    for got in (fields(line) for line in lines if line.startswith("gc: ")):
        chats, without = got["chats"], got["max_block_without_gc_ms"]
        ceiling = BLOCK_MS.get(int(chats))
        block = blocks.get(chats, 0.0)
        # Outside full passes the loop blocked less: the worst tick waited on one.
        if ceiling is None or block <= ceiling or block <= without:
            continue
        verdict = "within" if without <= ceiling else "still over"
        note = (
            f"max_block_ms at {chats:g} chats ({block:g} ms) is a full "
            f"garbage-collector pass (longest {got['longest_full_pass_ms']:g} ms); "
            f"without one: {without:g} ms, {verdict} the {ceiling:g} ms target"
        )
        if (bare := floors.get(chats)) is not None:
            note += (
                f"; Home Assistant's own entities of as many chats, none of ours: "
                f"{bare['max_block_ms']:g} ms (longest full pass "
                f"{bare['longest_full_pass_ms']:g} ms)"
            )
        notes.append(note)
    return notes


def run_child(args: list[str]) -> list[str]:
    """Run one measurement in a fresh process; echo and return its lines."""
    child = subprocess.Popen(  # noqa: S603 - this script, our own arguments
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        print(line, end="", flush=True)
        lines.append(line.strip())
    if child.wait() != 0:
        raise SystemExit(f"measuring {' '.join(args)} failed ({child.returncode})")
    return lines


def main() -> None:
    """Parse arguments; measure each size and the group in its own process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--sizes", default="10,100,1000,2000")
    parser.add_argument("--members", type=int, default=1024)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--lid-share", type=float, default=0.0)
    parser.add_argument(
        "--detail",
        action="store_true",
        help="requests by route, collector passes by generation, heap before and after",
    )
    parser.add_argument(
        "--child", choices=["scale", "floor", "group"], help=argparse.SUPPRESS
    )
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sim", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # Said once per process, about the test harness: not what is measured.
    for name in ("homeassistant.loader", "aiohttp_fast_zlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if args.child:
        if args.child == "scale":
            measure = measure_size(
                args.sim, args.size, args.events, args.lid_share, args.detail
            )
        elif args.child == "floor":
            measure = measure_floor(args.size, args.detail)
        else:
            measure = measure_group(args.sim, args.members)
        asyncio.run(measure)
        # All is closed; tearing down Home Assistant's objects one by one takes seconds.
        sys.stdout.flush()
        os._exit(0)
    began = time.perf_counter()
    lines: list[str] = []
    with simulator_process() as sim_url:
        common = ["--sim", sim_url, "--events", str(args.events)]
        common += ["--lid-share", str(args.lid_share), "--members", str(args.members)]
        if args.detail:
            common.append("--detail")
        for size in (int(size) for size in args.sizes.split(",") if size):
            lines += run_child(["--child", "scale", "--size", str(size), *common])
            floor_args = ["--child", "floor", "--size", str(size)]
            lines += run_child(floor_args + ["--detail"] * args.detail)
        lines += run_child(["--child", "group", *common])
    misses = missed(lines)
    print(f"total_s={time.perf_counter() - began:.1f}")
    for miss in misses:
        print(f"missed: {miss}")
    for note in explain(lines):
        print(f"note: {note}")
    sys.exit(1 if misses else 0)


if __name__ == "__main__":
    main()
