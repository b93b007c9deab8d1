"""The demo world: chats left to track, and every tracked contact kept moving."""

from __future__ import annotations

from simulator import WahaSimulator
from simulator.demo import (
    ALICE,
    BOB,
    BOB_LID,
    BOOK_CLUB,
    DAN,
    EVE,
    FAMILY,
    FRANK,
    moving_chats,
    seed_demo,
    start_demo,
)
from tests.helpers import wait_for

from .conftest import API_KEY


def test_chats_left_to_track() -> None:
    """Beside the chats the demo tracks, two contacts and a group are there to pick."""
    sim = WahaSimulator(API_KEY)
    seed_demo(sim)
    session = sim.session("default")
    assert {EVE, FRANK} <= set(session.contacts)
    assert session.groups[BOOK_CLUB].name == "Book club"
    # Until Home Assistant subscribes, everyone moves.
    assert moving_chats(session) == (list(session.contacts), [FAMILY, BOOK_CLUB])
    session.subscriptions.update({BOB_LID, FAMILY})
    assert moving_chats(session) == ([BOB], [FAMILY])


async def test_every_tracked_contact_moves(socket_enabled: None) -> None:
    """Each subscribed contact keeps changing, also one subscribed later; no other."""
    sim = WahaSimulator(API_KEY)
    seed_demo(sim)
    session = sim.session("default")
    session.subscriptions.update({ALICE, BOB, BOB_LID, FAMILY})
    await sim.start()
    try:
        start_demo(sim, interval=0.002, seed=3)
        await wait_for(None, lambda: {ALICE, BOB_LID} <= set(session.presences))
        # Tracked later, from "Track a contact or group".
        session.subscriptions.add(EVE)
        await wait_for(None, lambda: EVE in session.presences)
        session.presences.clear()
        await wait_for(
            None, lambda: {ALICE, BOB_LID, EVE, FAMILY} <= set(session.presences)
        )
        assert not {DAN, FRANK, BOOK_CLUB} & set(session.presences)
    finally:
        await sim.stop()
