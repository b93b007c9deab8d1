"""The `/_sim/` control API: drive the simulated world over HTTP (demo, manual tests)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from .api_sessions import session_info
from .const import ENGINES, PRESENCES, WORKING
from .httputil import (
    ApiError,
    nest_error,
    read_object,
    reply,
    sim_of,
    validation_error,
)
from .ids import normalize_chat_id
from .outage import RECONNECT_ATTEMPTS, RECONNECT_SECONDS
from .state import RecordedRequest, SimSession


def register(router: web.UrlDispatcher) -> None:
    """Add the control routes."""
    router.add_post("/_sim/sessions", add_session)
    router.add_post("/_sim/sessions/{name}/status", set_status)
    router.add_post("/_sim/sessions/{name}/restart", restart)
    router.add_post("/_sim/sessions/{name}/whatsapp", whatsapp)
    router.add_post("/_sim/sessions/{name}/presence", set_presence)
    router.add_post("/_sim/sessions/{name}/contacts", add_contact)
    router.add_post("/_sim/sessions/{name}/groups", add_group)
    router.add_post("/_sim/sessions/{name}/pictures", set_picture)
    router.add_post("/_sim/sessions/{name}/events", emit_event)
    router.add_get("/_sim/requests", list_requests)
    router.add_get("/_sim/stats", stats)
    router.add_get("/_sim/deliveries", list_deliveries)
    router.add_get("/_sim/network", get_network)
    router.add_post("/_sim/network", set_network)
    router.add_post("/_sim/reset", reset)


def _session(request: web.Request) -> SimSession:
    """Return the session named in the path (404 if unknown; any tier)."""
    session = sim_of(request).sessions.get(request.match_info["name"])
    if session is None:
        raise ApiError(404, nest_error(404, "Session not found"))
    return session


def _required(body: dict[str, Any], key: str) -> str:
    """Return a string field of the body (400 if missing or empty)."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise validation_error([f"{key} must be a non-empty string"])
    return value


def _optional(body: dict[str, Any], key: str) -> str | None:
    """Return an optional string field of the body."""
    return None if body.get(key) is None else _required(body, key)


def _request_json(item: RecordedRequest) -> dict[str, Any]:
    """Return a recorded request as JSON."""
    return {
        "method": item.method,
        "path": item.path,
        "query": item.query,
        "headers": dict(item.headers),
        "json": item.json,
    }


async def add_session(request: web.Request) -> web.Response:
    """Add a session: `{"name", "engine"?, "status"?, "me"?, "config"?}`."""
    sim = sim_of(request)
    body = await read_object(request)
    name = _optional(body, "name") or "default"
    engine = body.get("engine", sim.default_engine)
    if engine not in ENGINES:
        raise validation_error([f"engine must be one of {', '.join(ENGINES)}"])
    session = sim.add_session(
        name,
        engine=engine,
        status=str(body.get("status", WORKING)),
        me=body.get("me"),
        config=body.get("config") or {},
    )
    return reply(session_info(session, detailed=True), 201)


async def set_status(request: web.Request) -> web.Response:
    """Emit a status: `{"status", "data"?, "me"?}` (me set first, if given)."""
    sim = sim_of(request)
    session = _session(request)
    body = await read_object(request)
    status = _required(body, "status")
    if "me" in body:
        session.me = body["me"]
    envelope = await sim.transition(session, status, body.get("data"))
    return reply({"emitted": envelope})


async def restart(request: web.Request) -> web.Response:
    """Restart a session (STOPPED → STARTING → WORKING, subscriptions dropped)."""
    sim = sim_of(request)
    session = _session(request)
    await sim.restart_session(session.name)
    return reply({"status": session.status})


async def whatsapp(request: web.Request) -> web.Response:
    """Cut or restore WhatsApp: `{"reachable", "every"?, "attempts"?}`."""
    sim = sim_of(request)
    session = _session(request)
    body = await read_object(request)
    if not isinstance(reachable := body.get("reachable"), bool):
        raise validation_error(["reachable must be a boolean"])
    if reachable:
        await sim.reach_whatsapp(session.name)
        return reply({"reachable": True, "status": session.status})
    every = body.get("every", RECONNECT_SECONDS)
    attempts = body.get("attempts", RECONNECT_ATTEMPTS)
    if isinstance(every, bool) or not isinstance(every, int | float) or every < 0:
        raise validation_error(["every must be a number of seconds"])
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise validation_error(["attempts must be a positive integer"])
    sim.lose_whatsapp(session.name, every=float(every), attempts=attempts)
    return reply({"reachable": False, "status": session.status})


async def set_presence(request: web.Request) -> web.Response:
    """Play a presence: `{"chatId", "presence", "lastSeen"?, "participant"?}`."""
    sim = sim_of(request)
    session = _session(request)
    body = await read_object(request)
    chat_id = _required(body, "chatId")
    presence = _required(body, "presence")
    if presence not in PRESENCES:
        raise validation_error(
            [f"presence must be one of {', '.join(sorted(PRESENCES))}"]
        )
    last_seen = body.get("lastSeen")
    if last_seen is not None and not isinstance(last_seen, int):
        raise validation_error(["lastSeen must be an integer (seconds)"])
    participant = _optional(body, "participant")
    if participant:
        envelope = await sim.set_group_presence(
            session.name, chat_id, participant, presence, last_seen=last_seen
        )
    else:
        envelope = await sim.set_contact_presence(
            session.name, chat_id, presence, last_seen=last_seen
        )
    return reply({"emitted": envelope})


async def add_contact(request: web.Request) -> web.Response:
    """Add a contact: `{"chatId", "name"?, "pushname"?, "lid"?, "onWhatsapp"?, "reportsAsLid"?, "picture"?}`."""
    sim = sim_of(request)
    session = _session(request)
    body = await read_object(request)
    chat_id = _required(body, "chatId")
    contact = sim.add_contact(
        session.name,
        chat_id,
        name=_optional(body, "name"),
        pushname=_optional(body, "pushname"),
        lid=_optional(body, "lid"),
        on_whatsapp=body.get("onWhatsapp", True) is not False,
        reports_as_lid=body.get("reportsAsLid") is True,
        picture=_optional(body, "picture"),
    )
    return reply(asdict(contact), 201)


async def add_group(request: web.Request) -> web.Response:
    """Add a group: `{"groupId", "name", "participants": [...], "picture"?}`."""
    sim = sim_of(request)
    session = _session(request)
    body = await read_object(request)
    group_id = _required(body, "groupId")
    name = _required(body, "name")
    members = body.get("participants")
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise validation_error(["participants must be a list of chat ids"])
    group = sim.add_group(
        session.name,
        group_id,
        name=name,
        participants=members,
        picture=_optional(body, "picture"),
    )
    return reply(asdict(group), 201)


async def set_picture(request: web.Request) -> web.Response:
    """Change a chat's picture: `{"chatId", "picture": name|null, "refused"?}`."""
    session = _session(request)
    body = await read_object(request)
    chat_id = normalize_chat_id(_required(body, "chatId"))
    picture = _optional(body, "picture")
    if group := session.groups.get(chat_id):
        group.picture = picture
    elif contact := session.find_contact(chat_id):
        contact.picture = picture
        contact.picture_refused = body.get("refused") is True
    else:
        raise ApiError(404, nest_error(404, "Chat not found"))
    return reply({"chatId": chat_id, "picture": picture})


async def emit_event(request: web.Request) -> web.Response:
    """Emit any event: `{"event", "payload"}`; returns the envelope."""
    sim = sim_of(request)
    session = _session(request)
    body = await read_object(request)
    event = _required(body, "event")
    if "payload" not in body:
        raise ApiError(400, nest_error(400, ["payload should not be empty"]))
    return reply(await sim.emit(session.name, event, body["payload"]))


async def list_requests(request: web.Request) -> web.Response:
    """Return the recorded API requests, all or from index `since` on."""
    since = request.query.get("since", "0")
    if not since.isdigit():
        raise validation_error(["since must be a non-negative integer"])
    recorded = sim_of(request).requests[int(since) :]
    return reply([_request_json(item) for item in recorded])


async def stats(request: web.Request) -> web.Response:
    """Return counts: requests, webhook attempts, busy tasks, subscriptions."""
    sim = sim_of(request)
    return reply(
        {
            "requests": len(sim.requests),
            "deliveries": len(sim.deliveries),
            "busy": sim.busy,
            "sessions": {
                name: {"status": s.status, "subscriptions": len(s.subscriptions)}
                for name, s in sim.sessions.items()
            },
        }
    )


async def list_deliveries(request: web.Request) -> web.Response:
    """Return every webhook attempt (body as text)."""
    return reply(
        [
            {
                "url": d.url,
                "event": d.event,
                "eventId": d.event_id,
                "attempt": d.attempt,
                "status": d.status,
                "error": d.error,
                "headers": d.headers,
                "body": d.body.decode(),
            }
            for d in sim_of(request).deliveries
        ]
    )


async def get_network(request: web.Request) -> web.Response:
    """Return WAHA's view of the network."""
    return reply(sim_of(request).network.describe())


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    """Return an optional object field of the body ({} if missing)."""
    value = body.get(key) or {}
    if not isinstance(value, dict):
        raise validation_error([f"{key} must be an object"])
    return value


async def set_network(request: web.Request) -> web.Response:
    """Change the network: `{"unreachable"?, "aliases"?, "wsUpgradeStatus"?}` (null undoes)."""
    network = sim_of(request).network
    body = await read_object(request)
    status = body.get("wsUpgradeStatus")
    if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
        raise validation_error(["wsUpgradeStatus must be an HTTP error status or null"])
    try:
        for host, failure in _object(body, "unreachable").items():
            if failure is None:
                network.make_reachable(host)
            else:
                network.make_unreachable(host, str(failure))
        for name, address in _object(body, "aliases").items():
            if address is None:
                network.aliases.pop(name, None)
            else:
                network.add_alias(name, str(address))
    except ValueError as err:
        raise validation_error([str(err)]) from err
    if "wsUpgradeStatus" in body:
        network.ws_upgrade_status = status
    return reply(network.describe())


async def reset(request: web.Request) -> web.Response:
    """Forget recorded traffic, pending fail/delay rules and network failures."""
    sim_of(request).reset()
    return reply({"reset": True})
