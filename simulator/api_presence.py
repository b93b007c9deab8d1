"""Presence routes: set, read, subscribe, and start/stopTyping."""

from __future__ import annotations

from aiohttp import web

from . import engines
from .const import CHAT_STATES, GOWS, OFFLINE, ONLINE, WEBJS
from .httputil import (
    ApiError,
    internal_error,
    not_implemented,
    read_object,
    reply,
    sim_of,
    validation_error,
    working_session,
)
from .ids import normalize_chat_id
from .state import SimSession


def register(router: web.UrlDispatcher) -> None:
    """Add the presence routes."""
    router.add_post("/api/{session}/presence", set_presence)
    router.add_get("/api/{session}/presence", get_all_presences)
    router.add_get("/api/{session}/presence/{chat_id}", get_presence)
    router.add_post("/api/{session}/presence/{chat_id}/subscribe", subscribe)
    router.add_post("/api/startTyping", typing)
    router.add_post("/api/stopTyping", typing)


def _js_str(value: object) -> str:
    """Return a value as a JavaScript template literal would print it."""
    return "undefined" if value is None else str(value)


async def set_presence(request: web.Request) -> web.Response:
    """Answer `POST /api/{session}/presence` (201, empty body)."""
    sim = sim_of(request)
    session = working_session(request, request.match_info["session"])
    body = await read_object(request)
    presence = body.get("presence")
    chat_id = body.get("chatId")
    if presence in {ONLINE, OFFLINE}:
        if chat_id:
            raise _detail(
                f"'{presence}' presence works on the global scope and doesn't "
                "require 'chatId' field."
            )
        sim.set_own_presence(session, str(presence))
        return reply(None, 201)
    if not chat_id:
        raise _detail(f"'{_js_str(presence)}' presence requires 'chatId' field.")
    if presence not in CHAT_STATES:
        if session.engine == GOWS:
            raise internal_error(request, "Invalid presence status")
        raise not_implemented(session.engine)
    sim.mark_activity(session)
    return reply(None, 201)


def _detail(message: str) -> ApiError:
    """Return the presence route's 400 `{"detail": ...}`."""
    return ApiError(400, {"detail": message})


async def get_all_presences(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/presence` (WEBJS 501, GOWS's index bug)."""
    session = working_session(request, request.match_info["session"])
    if session.engine == WEBJS:
        raise not_implemented(WEBJS)
    return reply(engines.all_presences(session.engine, session.presences))


def _cached(session: SimSession, chat_id: str) -> list[dict[str, object]]:
    """Return the cached presences of a chat, under exactly the id asked for."""
    # Engines key their cache by the jid WhatsApp sent: a LID is not translated.
    entries = session.presences.get(chat_id) or {}
    return [engines.read_presence(session.engine, e) for e in entries.values()]


async def get_presence(request: web.Request) -> web.Response:
    """Answer `GET /api/{session}/presence/{chatId}`; it subscribes too."""
    sim = sim_of(request)
    session = working_session(request, request.match_info["session"])
    chat_id = normalize_chat_id(request.match_info["chat_id"])
    session.subscriptions.add(chat_id)
    sim.mark_activity(session)
    await sim.pause(sim.presence_read_delay)
    return reply({"id": chat_id, "presences": _cached(session, chat_id)})


async def subscribe(request: web.Request) -> web.Response:
    """Answer `POST /api/{session}/presence/{chatId}/subscribe` (201)."""
    sim = sim_of(request)
    session = working_session(request, request.match_info["session"])
    session.subscriptions.add(normalize_chat_id(request.match_info["chat_id"]))
    sim.mark_activity(session)
    return reply({} if session.engine == GOWS else None, 201)


async def typing(request: web.Request) -> web.Response:
    """Answer `POST /api/startTyping` and `/api/stopTyping` (chat states)."""
    body = await read_object(request)
    chat_id = body.get("chatId")
    if not isinstance(chat_id, str) or not chat_id:
        raise validation_error(
            ["chatId should not be empty", "chatId must be a string"]
        )
    session = working_session(request, str(body.get("session", "default")))
    sim_of(request).mark_activity(session)
    return reply({"result": True}, 201)
