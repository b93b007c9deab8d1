"""Demo world: one account, contacts and groups, and a presence loop."""

# Alice, Bob, Carol, Dan and Family are the chats the demo tracks; Eve, Frank and the
# Book club are there to be picked in "Track a contact or group". Every contact the
# session subscribed to (so every tracked one, also one tracked later) keeps moving.

from __future__ import annotations

import asyncio
import itertools
import logging
import random

from . import engines
from .const import OFFLINE, ONLINE, PAUSED, RECORDING, TYPING
from .ids import now_s
from .state import SimSession
from .world import SimWorld

_LOGGER = logging.getLogger(__name__)

DEMO_SESSION = "default"
ACCOUNT = {"id": "31600000000@c.us", "pushName": "Home", "lid": "99000000000@lid"}
ALICE = "31611111111@c.us"
BOB = "31622222222@c.us"
BOB_LID = "222222222222@lid"
CAROL = "31633333333@c.us"
DAN = "31644444444@c.us"
EVE = "31655555555@c.us"
FRANK = "31666666666@c.us"
FAMILY = "120363000000000001@g.us"
FAMILY_MEMBERS = [ALICE, BOB_LID, CAROL]
BOOK_CLUB = "120363000000000002@g.us"
BOOK_CLUB_MEMBERS = [ALICE, EVE, FRANK]


def seed_demo(sim: SimWorld, *, engine: str = "NOWEB") -> None:
    """Create the demo session, its contacts and the Family group."""
    sim.add_session(
        DEMO_SESSION,
        engine=engine,
        status="WORKING",
        me=ACCOUNT,
        config=engines.store_config(engine),
    )
    # Each has a profile picture (the simulator's CDN draws its first letter), except
    # Frank and the Book club, who show what a hidden picture looks like.
    sim.add_contact(
        DEMO_SESSION, ALICE, name="Alice", lid="111111111111@lid", picture="alice"
    )
    sim.add_contact(
        DEMO_SESSION,
        BOB,
        name="Bob",
        lid=BOB_LID,
        reports_as_lid=True,
        picture="bob",
    )
    sim.add_contact(
        DEMO_SESSION, CAROL, pushname="Carol", lid="333333333333@lid", picture="carol"
    )
    sim.add_contact(DEMO_SESSION, DAN, name="Dan", picture="dan")
    sim.add_contact(DEMO_SESSION, EVE, name="Eve", picture="eve")
    sim.add_contact(DEMO_SESSION, FRANK, pushname="Frank")
    sim.add_group(
        DEMO_SESSION,
        FAMILY,
        name="Family",
        participants=FAMILY_MEMBERS,
        picture="family",
    )
    sim.add_group(
        DEMO_SESSION, BOOK_CLUB, name="Book club", participants=BOOK_CLUB_MEMBERS
    )


def moving_chats(session: SimSession) -> tuple[list[str], list[str]]:
    """Return the contacts and groups the loop moves: those subscribed to, else all."""
    contacts = list(session.contacts.values())
    subscribed = [c.id for c in contacts if c.ids & session.subscriptions]
    groups = sorted(session.groups)
    return (
        subscribed or [c.id for c in contacts],
        [g for g in groups if g in session.subscriptions] or groups,
    )


async def demo_loop(
    sim: SimWorld, *, interval: float = 3.0, rng: random.Random | None = None
) -> None:
    """Every `interval` seconds move a contact a step through its day, in turns."""
    rng = rng or random.Random()  # noqa: S311 - demo randomness, not security
    session = sim.session(DEMO_SESSION)
    steps: dict[str, int] = {}
    turns: list[str] = []
    typists: dict[str, str] = {}
    for tick in itertools.count():
        await sim.pause(interval)
        if sim.closing:
            return
        contacts, groups = moving_chats(session)
        if tick % 3 == 2 and groups:
            await _group_step(sim, groups[tick // 3 % len(groups)], typists, rng)
            continue
        if not contacts:
            continue
        # In turns, so that none of them stands still for long.
        turns = [c for c in turns if c in contacts] or rng.sample(
            contacts, len(contacts)
        )
        chat_id = turns.pop()
        step = steps.get(chat_id, 0)
        steps[chat_id] = (step + 1) % 4
        presence = (ONLINE, TYPING, rng.choice((PAUSED, RECORDING)), OFFLINE)[step]
        last_seen = now_s() if presence == OFFLINE else None
        _LOGGER.info("demo: %s is %s", chat_id, presence)
        await sim.set_contact_presence(
            DEMO_SESSION, chat_id, presence, last_seen=last_seen
        )


async def _group_step(
    sim: SimWorld, group: str, typists: dict[str, str], rng: random.Random
) -> None:
    """Let a member of `group` start typing, or the one typing stop."""
    if (typist := typists.pop(group, None)) is not None:
        await sim.set_group_presence(DEMO_SESSION, group, typist, PAUSED)
        return
    members = sim.session(DEMO_SESSION).groups[group].participants
    typists[group] = rng.choice(members)
    await sim.set_group_presence(DEMO_SESSION, group, typists[group], TYPING)


def start_demo(
    sim: SimWorld, *, interval: float = 3.0, seed: int | None = None
) -> asyncio.Task[None]:
    """Run the demo loop as a task that `sim.stop()` cancels."""
    rng = random.Random(seed)  # noqa: S311 - demo randomness, not security
    return sim.spawn(demo_loop(sim, interval=interval, rng=rng))
