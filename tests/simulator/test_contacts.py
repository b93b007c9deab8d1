"""Contact, chat, group and LID routes, including per-engine contact shapes."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from simulator import WahaSimulator

from .conftest import ALICE, ALICE_LID, BOB, BOB_LID, CAROL, FAMILY, ME


async def _get(api: aiohttp.ClientSession, path: str, **params: str) -> tuple[int, Any]:
    async with api.get(path, params=params) as response:
        text = await response.text()
        return response.status, (await response.json() if text else None)


@pytest.mark.parametrize(
    ("session", "alice", "unknown"),
    [
        ("default", {"id": ALICE, "name": "Alice", "pushname": "Ali"}, None),
        (
            "gows",
            {"id": ALICE, "name": "Alice", "pushname": "Ali"},
            {"id": "31699999999@c.us", "name": None, "pushname": None},
        ),
    ],
)
async def test_contact_shapes(
    api: aiohttp.ClientSession,
    session: str,
    alice: dict[str, Any],
    unknown: dict[str, Any] | None,
) -> None:
    assert await _get(
        api, "/api/contacts", contactId="31611111111", session=session
    ) == (
        200,
        alice,
    )
    assert await _get(
        api, "/api/contacts", contactId="31699999999", session=session
    ) == (
        200,
        unknown,
    )


async def test_webjs_contact_and_missing_id(api: aiohttp.ClientSession) -> None:
    status, alice = await _get(api, "/api/contacts", contactId=ALICE, session="webjs")
    assert status == 200
    assert alice["number"] == "31611111111"
    assert (alice["name"], alice["pushname"], alice["shortName"]) == (
        "Alice",
        "Ali",
        "Alice",
    )
    assert alice["isGroup"] is False
    assert alice["isUser"] is True
    status, _ = await _get(api, "/api/webjs/contacts/31699999999")
    assert status == 200
    status, body = await _get(api, "/api/contacts", session="webjs")
    assert status == 400
    assert body["message"] == ["contactId should not be empty"]


async def test_all_contacts_sorted_and_paged(api: aiohttp.ClientSession) -> None:
    _, contacts = await _get(api, "/api/contacts/all", session="default")
    assert [c["id"] for c in contacts] == [ALICE, BOB, CAROL]
    assert contacts[2] == {"id": CAROL, "pushname": "Carol"}
    _, page = await _get(
        api,
        "/api/contacts/all",
        session="default",
        sortBy="id",
        sortOrder="desc",
        limit="1",
    )
    assert [c["id"] for c in page] == [CAROL]


async def test_check_exists(api: aiohttp.ClientSession) -> None:
    assert await _get(api, "/api/contacts/check-exists", phone="+31 6 33333333") == (
        200,
        {"numberExists": True, "chatId": CAROL},
    )
    assert await _get(api, "/api/contacts/check-exists", phone="31655555555") == (
        200,
        {"numberExists": False, "chatId": None},
    )


async def test_check_exists_not_on_whatsapp(
    sim: WahaSimulator, api: aiohttp.ClientSession
) -> None:
    sim.add_contact("default", "31644444444@c.us", name="Landline", on_whatsapp=False)
    _, body = await _get(api, "/api/contacts/check-exists", phone="31644444444")
    assert body == {"numberExists": False, "chatId": None}
    _, contacts = await _get(api, "/api/contacts/all")
    assert "31644444444@c.us" not in [c["id"] for c in contacts]


async def test_chats_overview(api: aiohttp.ClientSession) -> None:
    _, chats = await _get(api, "/api/default/chats/overview")
    assert [(c["id"], c["name"]) for c in chats] == [
        (ALICE, "Alice"),
        (BOB, "Bob"),
        (CAROL, "Carol"),
        (FAMILY, "Family"),
    ]
    assert set(chats[0]) == {"id", "name", "picture", "lastMessage", "_chat"}
    _, only = await _get(
        api, "/api/default/chats/overview", ids=f"{FAMILY},31633333333"
    )
    assert [c["id"] for c in only] == [CAROL, FAMILY]
    _, page = await _get(api, "/api/default/chats/overview", limit="1", offset="1")
    assert [c["id"] for c in page] == [BOB]


async def test_lids(api: aiohttp.ClientSession) -> None:
    _, pairs = await _get(api, "/api/default/lids")
    assert pairs == [
        {"lid": ME["lid"], "pn": ME["id"]},
        {"lid": ALICE_LID, "pn": ALICE},
        {"lid": BOB_LID, "pn": BOB},
    ]
    assert await _get(api, "/api/default/lids/count") == (200, {"count": 3})
    for lid in ("222222222222", "222222222222%40lid"):
        async with api.get(f"/api/default/lids/{lid}") as response:
            assert await response.json() == {"lid": BOB_LID, "pn": BOB}
    assert await _get(api, "/api/default/lids/123@lid") == (
        200,
        {"lid": "123@lid", "pn": None},
    )
    status, body = await _get(api, "/api/default/lids/31611111111@c.us")
    assert status == 422
    assert body["message"] == "Invalid LID - it must end with @lid"
    assert await _get(api, "/api/default/lids/pn/31611111111") == (
        200,
        {"lid": ALICE_LID, "pn": ALICE},
    )
    assert await _get(api, "/api/default/lids/pn/31633333333") == (
        200,
        {"lid": None, "pn": CAROL},
    )
    assert await _get(api, f"/api/default/lids/pn/{BOB_LID}") == (
        200,
        {"lid": BOB_LID, "pn": None},
    )


async def test_group_participants(api: aiohttp.ClientSession) -> None:
    _, members = await _get(api, f"/api/default/groups/{FAMILY}/participants/v2")
    assert members == [
        {"id": ALICE, "pn": ALICE, "role": "superadmin"},
        {"id": BOB_LID, "pn": BOB, "role": "participant"},
        {"id": CAROL, "pn": CAROL, "role": "participant"},
    ]
    status, _ = await _get(api, "/api/default/groups/1@g.us/participants/v2")
    assert status == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/api/contacts?contactId={ALICE}&session=default",
        "/api/contacts/all?session=default",
        f"/api/default/contacts/{ALICE}",
        "/api/default/chats/overview",
        "/api/default/lids",
        "/api/default/lids/count",
        f"/api/default/lids/{BOB_LID}",
        "/api/default/lids/pn/31611111111",
    ],
)
async def test_noweb_without_store_is_400(
    sim: WahaSimulator, api: aiohttp.ClientSession, path: str
) -> None:
    """NOWEB knows no contacts, chats or LIDs without its store, as WAHA's 400 says."""
    async with api.get(path) as response:
        assert response.status == 200
    sim.session("default").config = {"noweb": {"store": {"enabled": False}}}
    async with api.get(path) as response:
        assert response.status == 400
        body = await response.json()
    assert "config.noweb.store.enabled=True" in body["message"]
    # WEBJS has no such store: the same call still answers.
    webjs_path = path.replace("session=default", "session=webjs").replace(
        "/api/default/", "/api/webjs/"
    )
    async with api.get(webjs_path) as response:
        assert response.status == 200
