"""The demo world: chats left to track, and every tracked contact kept moving."""

from __future__ import annotations

import aiohttp

from simulator import WahaSimulator
from simulator.demo import (
    ALICE,
    BOB,
    BOB_LID,
    BOOK_CLUB,
    CAROL,
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


async def test_demo_chats_have_pictures_a_browser_loads(socket_enabled: None) -> None:
    """Tracked contacts and Family have a picture link that loads without a key."""
    sim = WahaSimulator(API_KEY)
    seed_demo(sim)
    await sim.start()
    headers = {"X-Api-Key": API_KEY}
    try:
        async with aiohttp.ClientSession() as client:
            for chat_id in (ALICE, BOB, CAROL, DAN, EVE, FAMILY):
                async with client.get(
                    f"{sim.url}/api/contacts/profile-picture",
                    params={"contactId": chat_id, "session": "default"},
                    headers=headers,
                ) as response:
                    url = (await response.json())["profilePictureURL"]
                assert "oe=" in url, chat_id
                # As a browser: no API key.
                async with client.get(url) as response:
                    assert response.status == 200, chat_id
                    assert response.content_type == "image/svg+xml"
            # A picture hidden by privacy: none, as WAHA answers.
            async with client.get(
                f"{sim.url}/api/contacts/profile-picture",
                params={"contactId": FRANK, "session": "default"},
                headers=headers,
            ) as response:
                assert await response.json() == {"profilePictureURL": None}
    finally:
        await sim.stop()
