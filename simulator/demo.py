"""Demo world: one account, four contacts, a family group, and a presence loop."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random

from . import engines
from .const import OFFLINE, ONLINE, PAUSED, RECORDING, TYPING
from .ids import now_s
from .world import SimWorld

_LOGGER = logging.getLogger(__name__)

DEMO_SESSION = "default"
ACCOUNT = {"id": "31600000000@c.us", "pushName": "Home", "lid": "99000000000@lid"}
ALICE = "31611111111@c.us"
BOB = "31622222222@c.us"
BOB_LID = "222222222222@lid"
CAROL = "31633333333@c.us"
DAN = "31644444444@c.us"
FAMILY = "120363000000000001@g.us"
FAMILY_MEMBERS = [ALICE, BOB_LID, CAROL]


def seed_demo(sim: SimWorld, *, engine: str = "NOWEB") -> None:
    """Create the demo session, its contacts and the Family group."""
    sim.add_session(
        DEMO_SESSION,
        engine=engine,
        status="WORKING",
        me=ACCOUNT,
        config=engines.store_config(engine),
    )
    sim.add_contact(DEMO_SESSION, ALICE, name="Alice", lid="111111111111@lid")
    sim.add_contact(DEMO_SESSION, BOB, name="Bob", lid=BOB_LID, reports_as_lid=True)
    sim.add_contact(DEMO_SESSION, CAROL, pushname="Carol", lid="333333333333@lid")
    sim.add_contact(DEMO_SESSION, DAN, name="Dan")
    sim.add_group(DEMO_SESSION, FAMILY, name="Family", participants=FAMILY_MEMBERS)


async def demo_loop(
    sim: SimWorld, *, interval: float = 3.0, rng: random.Random | None = None
) -> None:
    """Every `interval` seconds move a random contact a step through its day."""
    rng = rng or random.Random()  # noqa: S311 - demo randomness, not security
    contacts = [ALICE, BOB, CAROL, DAN]
    steps = dict.fromkeys(contacts, 0)
    group_typist: str | None = None
    for tick in itertools.count():
        await sim.pause(interval)
        if sim.closing:
            return
        if tick % 3 == 2:
            if group_typist is None:
                group_typist = rng.choice(FAMILY_MEMBERS)
                await sim.set_group_presence(DEMO_SESSION, FAMILY, group_typist, TYPING)
            else:
                await sim.set_group_presence(DEMO_SESSION, FAMILY, group_typist, PAUSED)
                group_typist = None
            continue
        chat_id = rng.choice(contacts)
        step = steps[chat_id]
        steps[chat_id] = (step + 1) % 4
        presence = (ONLINE, TYPING, rng.choice((PAUSED, RECORDING)), OFFLINE)[step]
        last_seen = now_s() if presence == OFFLINE else None
        _LOGGER.info("demo: %s is %s", chat_id, presence)
        await sim.set_contact_presence(
            DEMO_SESSION, chat_id, presence, last_seen=last_seen
        )


def start_demo(
    sim: SimWorld, *, interval: float = 3.0, seed: int | None = None
) -> asyncio.Task[None]:
    """Run the demo loop as a task that `sim.stop()` cancels."""
    rng = random.Random(seed)  # noqa: S311 - demo randomness, not security
    return sim.spawn(demo_loop(sim, interval=interval, rng=rng))
