"""Contact, chat, group and LID routes: what names entities and maps ids."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import api_pictures, engines
from .delivery import split_query
from .httputil import (
    ApiError,
    nest_error,
    reply,
    validation_error,
    working_session,
)
from .ids import normalize_chat_id, normalize_lid, phone_digits
from .state import SimContact, SimSession

DEFAULT_SESSION = "default"


def register(router: web.UrlDispatcher) -> None:
    """Add the contact, chat, group and LID routes."""
    router.add_get("/api/contacts", get_contact)
    router.add_get("/api/contacts/all", all_contacts)
    router.add_get("/api/contacts/check-exists", check_exists)
    router.add_get("/api/{session}/contacts/{contact_id}", get_session_contact)
    router.add_get("/api/{session}/profile", profile)
    router.add_get("/api/{session}/chats/overview", chats_overview)
    router.add_get("/api/{session}/lids", list_lids)
    router.add_get("/api/{session}/lids/count", count_lids)
    router.add_get("/api/{session}/lids/pn/{phone}", lid_for_phone)
    router.add_get("/api/{session}/lids/{lid}", phone_for_lid)
    router.add_get("/api/{session}/groups/{group_id}/participants/v2", participants)


NOWEB_STORE_REQUIRED = (
    'Enable NOWEB store "config.noweb.store.enabled=True" and '
    '"config.noweb.store.full_sync=True" when starting a new session. '
    "Read more: https://waha.devlike.pro/docs/engines/noweb#store"
)


def _query_session(request: web.Request) -> SimSession:
    """Return the WORKING session named by the `session` query parameter."""
    return working_session(request, request.query.get("session", DEFAULT_SESSION))


def _path_session(request: web.Request) -> SimSession:
    """Return the WORKING session named in the path."""
    return working_session(request, request.match_info["session"])


def _stored(session: SimSession) -> SimSession:
    """Return the session, or answer 400 as NOWEB's store does when it is off."""
    if not engines.has_store(session.engine, session.config):
        raise ApiError(400, nest_error(400, NOWEB_STORE_REQUIRED))
    return session


def _known(session: SimSession, chat_id: str) -> SimContact | None:
    """Return a contact that is on WhatsApp, by `@c.us` id or LID."""
    contact = session.find_contact(chat_id)
    return contact if contact and contact.on_whatsapp else None


def _int_param(request: web.Request, name: str, default: int | None) -> int | None:
    """Return a non-negative integer query parameter (400 if malformed)."""
    value = request.query.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit():
        raise validation_error(
            [f"{name} must be a number conforming to the specified constraints"]
        )
    return int(value)


def _page[T](
    request: web.Request, items: list[T], default_limit: int | None
) -> list[T]:
    """Apply `limit`/`offset` query parameters."""
    offset = _int_param(request, "offset", 0) or 0
    limit = _int_param(request, "limit", default_limit)
    return items[offset:] if limit is None else items[offset : offset + limit]


def _contact_reply(session: SimSession, raw_id: str) -> web.Response:
    """Return one contact in the session engine's shape."""
    chat_id = normalize_chat_id(raw_id)
    contact = _known(session, chat_id)
    return reply(
        engines.contact_json(
            session.engine, contact.id if contact else chat_id, contact
        )
    )


async def get_contact(request: web.Request) -> web.Response:
    """Answer `GET /api/contacts?contactId=&session=` (NOWEB: null if unknown)."""
    session = _stored(_query_session(request))
    contact_id = request.query.get("contactId")
    if not contact_id:
        raise validation_error(["contactId should not be empty"])
    return _contact_reply(session, contact_id)


async def get_session_contact(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/contacts/{id}` (WAHA ≥2026.3.1)."""
    return _contact_reply(
        _stored(_path_session(request)), request.match_info["contact_id"]
    )


async def all_contacts(request: web.Request) -> web.Response:
    """Answer `GET /api/contacts/all` with sorting and paging."""
    session = _stored(_query_session(request))
    contacts = [c for c in session.contacts.values() if c.on_whatsapp]
    sort_by = request.query.get("sortBy")
    if sort_by in {"id", "name"}:
        contacts.sort(
            key=lambda c: c.id if sort_by == "id" else c.name or "",
            reverse=request.query.get("sortOrder") == "desc",
        )
    shaped = [engines.contact_json(session.engine, c.id, c) for c in contacts]
    return reply(_page(request, [c for c in shaped if c is not None], None))


async def check_exists(request: web.Request) -> web.Response:
    """Answer `GET /api/contacts/check-exists?phone=&session=`."""
    session = _query_session(request)
    phone = request.query.get("phone")
    if not phone:
        raise validation_error(["phone should not be empty"])
    chat_id = f"{phone_digits(phone)}@c.us"
    exists = _known(session, chat_id) is not None
    return reply({"numberExists": exists, "chatId": chat_id if exists else None})


async def profile(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/profile`."""
    session = _path_session(request)
    me = session.me or {}
    return reply({"id": me.get("id"), "name": me.get("pushName"), "picture": None})


def _summary(chat_id: str, name: str | None) -> dict[str, Any]:
    """Return one ChatSummary, its picture still to be read."""
    return {
        "id": chat_id,
        "name": name,
        "picture": None,
        "lastMessage": None,
        "_chat": {"id": chat_id, "name": name},
    }


async def chats_overview(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/chats/overview?limit=&offset=&ids=`."""
    session = _stored(_path_session(request))
    # Only chats that exist: a contact never chatted with has none.
    chats = [
        _summary(c.id, c.name or c.pushname)
        for c in session.contacts.values()
        if c.on_whatsapp and c.has_chat
    ]
    chats += [_summary(g.id, g.name) for g in session.groups.values()]
    if wanted := [i for i in split_query(request.query.getall("ids", []), "") if i]:
        ids = {normalize_chat_id(i) for i in wanted}
        chats = [chat for chat in chats if chat["id"] in ids]
    page = _page(request, chats, 20)
    for chat in page:
        # WAHA reads it as the profile-picture endpoint does, from the same cache.
        chat["picture"] = api_pictures.picture_url(
            request, session, chat["id"], refresh=False
        )
    return reply(page)


def _lid_pairs(session: SimSession) -> list[dict[str, Any]]:
    """Return every known LID ↔ phone number pair, the account's own first."""
    pairs = []
    if session.me and session.me.get("lid"):
        pairs.append({"lid": session.me["lid"], "pn": session.me.get("id")})
    pairs += [{"lid": c.lid, "pn": c.id} for c in session.contacts.values() if c.lid]
    return pairs


async def list_lids(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/lids?limit=&offset=`."""
    session = _stored(_path_session(request))
    return reply(_page(request, _lid_pairs(session), 100))


async def count_lids(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/lids/count`."""
    return reply({"count": len(_lid_pairs(_stored(_path_session(request))))})


async def phone_for_lid(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/lids/{lid}` (422 unless it is a LID)."""
    session = _stored(_path_session(request))
    lid = normalize_lid(request.match_info["lid"])
    if not lid.endswith("@lid"):
        raise ApiError(422, nest_error(422, "Invalid LID - it must end with @lid"))
    pn = next((p["pn"] for p in _lid_pairs(session) if p["lid"] == lid), None)
    return reply({"lid": lid, "pn": pn})


async def lid_for_phone(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/lids/pn/{phoneNumber}`; a LID is echoed back."""
    session = _stored(_path_session(request))
    raw = request.match_info["phone"]
    if raw.endswith("@lid"):
        return reply({"lid": raw, "pn": None})
    pn = normalize_chat_id(raw)
    lid = next((p["lid"] for p in _lid_pairs(session) if p["pn"] == pn), None)
    return reply({"lid": lid, "pn": pn})


async def participants(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/groups/{id}/participants/v2`."""
    session = _path_session(request)
    group = session.groups.get(normalize_chat_id(request.match_info["group_id"]))
    if group is None:
        raise ApiError(404, nest_error(404, "Group not found"))
    members = []
    for index, member in enumerate(group.participants):
        contact = session.find_contact(member)
        item: dict[str, Any] = {"id": member}
        if member.endswith("@c.us"):
            item["pn"] = member
        elif contact is not None:
            item["pn"] = contact.id
        item["role"] = "superadmin" if index == 0 else "participant"
        members.append(item)
    return reply(members)
