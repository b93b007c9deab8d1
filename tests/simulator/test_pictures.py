"""Profile pictures: WAHA's answer, its 24-hour cache, and links that expire."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from simulator import WahaSimulator

from .conftest import ALICE, BOB, BOB_LID, CAROL, FAMILY


async def _picture(
    api: aiohttp.ClientSession, contact_id: str, **params: str
) -> tuple[int, Any]:
    async with api.get(
        "/api/contacts/profile-picture",
        params={"contactId": contact_id, "session": "default", **params},
    ) as response:
        return response.status, await response.json()


def _expires(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["oe"][0], 16)


async def test_url_hidden_and_unknown(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    sim.session("default").contacts[ALICE].picture = "alice"
    status, body = await _picture(api, ALICE)
    assert status == 200
    url = body["profilePictureURL"]
    assert url.startswith(f"{sim.url}/pps/v/t61.24694-24/")
    assert time.time() + 6 * 86400 < _expires(url) <= time.time() + 7 * 86400
    # No picture, or privacy hides it: null, as WAHA documents.
    assert await _picture(api, CAROL) == (200, {"profilePictureURL": None})
    assert await _picture(api, "31699999999@c.us") == (
        200,
        {"profilePictureURL": None},
    )


async def test_group_and_chat_routes(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    sim.session("default").groups[FAMILY].picture = "family"
    _, body = await _picture(api, FAMILY)
    assert body["profilePictureURL"]
    for kind in ("chats", "groups"):
        async with api.get(f"/api/default/{kind}/{FAMILY}/picture") as response:
            assert await response.json() == {"url": body["profilePictureURL"]}


async def test_cache_and_refresh(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    contact = sim.session("default").contacts[ALICE]
    contact.picture = "alice"
    _, first = await _picture(api, ALICE)
    # WAHA answers from its cache: a new picture shows only after a refresh.
    contact.picture = None
    assert await _picture(api, ALICE) == (200, first)
    assert await _picture(api, ALICE, refresh="true") == (
        200,
        {"profilePictureURL": None},
    )
    # The cache is keyed by the id as given; an expired entry is fetched anew.
    contact.picture = "alice-2"
    sim.picture_cache_s = 0
    _, second = await _picture(api, ALICE)
    assert second["profilePictureURL"] not in (None, first["profilePictureURL"])


async def test_refused_lookup_is_cached_as_null(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    bob = sim.session("default").contacts[BOB]
    bob.picture, bob.picture_refused = "bob", True
    assert await _picture(api, BOB_LID) == (200, {"profilePictureURL": None})
    bob.picture_refused = False
    assert await _picture(api, BOB_LID) == (200, {"profilePictureURL": None})
    _, body = await _picture(api, BOB_LID, refresh="true")
    assert body["profilePictureURL"]


async def test_errors(sim: WahaSimulator, api: aiohttp.ClientSession) -> None:
    async with api.get(
        "/api/contacts/profile-picture", params={"session": "default"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["message"] == ["contactId should not be empty"]
    await sim.set_status("default", "SCAN_QR_CODE")
    status, body = await _picture(api, ALICE)
    assert status == 422
    assert body["status"] == "SCAN_QR_CODE"


async def test_cdn_serves_until_the_link_expires(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    sim.session("default").contacts[ALICE].picture = "alice"
    _, body = await _picture(api, ALICE)
    url = body["profilePictureURL"]
    async with aiohttp.ClientSession() as browser:  # no API key, as a browser
        async with browser.get(url) as response:
            assert response.status == 200
            assert response.content_type == "image/svg+xml"
            assert "<svg" in await response.text()
        tampered = url.replace("&oe=", "&oe=F")
        async with browser.get(tampered) as response:
            assert (response.status, await response.text()) == (
                403,
                "URL signature mismatch",
            )
        sim.picture_link_s = -1
        _, stale = await _picture(api, ALICE, refresh="true")
        async with browser.get(stale["profilePictureURL"]) as response:
            assert (response.status, await response.text()) == (
                403,
                "URL signature expired",
            )


async def test_control_sets_pictures(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    async def post(body: dict[str, Any]) -> int:
        async with api.post("/_sim/sessions/default/pictures", json=body) as response:
            return response.status

    assert await post({"chatId": "31633333333", "picture": "carol"}) == 200
    assert sim.session("default").contacts[CAROL].picture == "carol"
    assert await post({"chatId": FAMILY, "picture": "family"}) == 200
    assert await post({"chatId": ALICE, "picture": "a", "refused": True}) == 200
    assert sim.session("default").contacts[ALICE].picture_refused
    assert await post({"chatId": "31699999999@c.us", "picture": None}) == 404
    async with api.post(
        "/_sim/sessions/default/contacts",
        json={"chatId": "31644444444", "picture": "dave"},
    ) as response:
        assert (await response.json())["picture"] == "dave"


async def _overview(api: aiohttp.ClientSession, *ids: str) -> dict[str, str | None]:
    async with api.get(
        "/api/default/chats/overview", params=[("ids", i) for i in ids]
    ) as response:
        assert response.status == 200
        return {chat["id"]: chat["picture"] for chat in await response.json()}


async def test_overview_answers_the_profile_picture_link(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    """The overview's `picture` is the link the profile-picture endpoint gives."""
    session = sim.session("default")
    session.contacts[ALICE].picture = "alice"
    session.contacts[BOB].picture, session.contacts[BOB].picture_refused = "b", True
    session.groups[FAMILY].picture = "family"
    pictures = await _overview(api, ALICE, BOB, CAROL, FAMILY)
    assert pictures[ALICE] is not None
    assert pictures[ALICE].startswith(f"{sim.url}/pps/")
    # Hidden (Carol) or refused (Bob): null in both, as WAHA caches a failure.
    assert pictures[BOB] is None
    assert pictures[CAROL] is None
    for chat_id in (ALICE, BOB, CAROL, FAMILY):
        assert await _picture(api, chat_id) == (
            200,
            {"profilePictureURL": pictures[chat_id]},
        )


async def test_overview_shares_the_picture_cache(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    """One cache: a link read singly is the overview's, a refresh shows in both."""
    contact = sim.session("default").contacts[ALICE]
    contact.picture = "alice"
    _, first = await _picture(api, ALICE)
    contact.picture = "alice-2"
    assert await _overview(api, ALICE) == {ALICE: first["profilePictureURL"]}
    _, second = await _picture(api, ALICE, refresh="true")
    assert second["profilePictureURL"] != first["profilePictureURL"]
    assert await _overview(api, ALICE) == {ALICE: second["profilePictureURL"]}


async def test_overview_lists_only_existing_chats(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    """A contact never chatted with is not in the overview; its picture still reads."""
    contact = sim.session("default").contacts[CAROL]
    contact.picture, contact.has_chat = "carol", False
    assert set(await _overview(api, ALICE, CAROL)) == {ALICE}
    _, body = await _picture(api, CAROL)
    assert body["profilePictureURL"] is not None
