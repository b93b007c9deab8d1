"""The aiohttp application: auth, recording, scripted failures, server routes, /ws."""

from __future__ import annotations

import asyncio
from http import HTTPStatus
import json
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict

from . import api_contacts, api_pictures, api_presence, api_sessions, control
from .const import WILDCARD, WS_ONE_SESSION_REFUSED, expand_events
from .delivery import WsClient, split_query
from .httputil import SIM_KEY, ApiError, nest_error, reply, sim_of
from .ids import now_ms
from .state import DROP, RecordedRequest

if TYPE_CHECKING:
    from .world import SimWorld

UNAUTHORIZED = {"message": "Unauthorized", "statusCode": 401}
_KEYED_PREFIXES = ("/api/", "/_sim/")
_KEYED_PATHS = frozenset({"/api", "/health", "/_sim"})


def build_app(sim: SimWorld) -> web.Application:
    """Return the WAHA application serving a simulated world."""
    app = web.Application(middlewares=[waha_middleware])
    app[SIM_KEY] = sim
    app.router.add_get("/ping", ping)
    app.router.add_get("/health", health)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/api/server/version", server_version)
    app.router.add_get("/api/version", server_version)
    app.router.add_get("/api/server/status", server_status)
    api_sessions.register(app.router)
    api_presence.register(app.router)
    api_contacts.register(app.router)
    api_pictures.register(app.router)
    control.register(app.router)
    return app


def request_key(request: web.Request) -> str | None:
    """Return the API key from `X-Api-Key` or the `x-api-key` query parameter."""
    if (key := request.headers.get("X-Api-Key")) is not None:
        return key
    return query_key(request)


def query_key(request: web.Request) -> str | None:
    """Return the `x-api-key` query parameter (name matched case-insensitively)."""
    return next((v for k, v in request.query.items() if k.lower() == "x-api-key"), None)


async def _record(sim: SimWorld, request: web.Request) -> None:
    """Append the request to `sim.requests`."""
    body = await request.read() if request.can_read_body else b""
    try:
        data = json.loads(body) if body.strip() else None
    except ValueError:
        data = None
    sim.requests.append(
        RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDict(request.headers),
            json=data,
            body=body,
        )
    )


@web.middleware
async def waha_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record, apply scripted delays/failures, check the key, map errors to WAHA's."""
    sim = sim_of(request)
    path = request.path
    if not path.startswith("/_sim/"):
        await _record(sim, request)
        if delay := sim.take_delay(request.method, path):
            await sim.pause(delay.seconds)
        if failure := sim.take_failure(request.method, path):
            if failure.status == DROP:
                if request.transport is not None:
                    request.transport.close()
                return web.Response()
            return reply(failure.body, failure.status)
    keyed = path.startswith(_KEYED_PREFIXES) or path in _KEYED_PATHS
    if keyed and not sim.key_ok(request_key(request)):
        return reply(UNAUTHORIZED, 401)
    try:
        return await handler(request)
    except ApiError as err:
        return err.response()
    except web.HTTPNotFound, web.HTTPMethodNotAllowed:
        return reply(nest_error(404, f"Cannot {request.method} {path}"), 404)


async def ping(_request: web.Request) -> web.Response:
    """Answer `GET /ping` (no key needed)."""
    return reply({"message": "pong"})


async def health(_request: web.Request) -> web.Response:
    """Answer `GET /health` the way the terminus check of WAHA ≥2026.6 does."""
    return reply({"status": "ok", "info": {}, "error": {}, "details": {}})


async def server_version(request: web.Request) -> web.Response:
    """Answer `GET /api/server/version` (and the deprecated `/api/version`)."""
    return reply(sim_of(request).environment())


async def server_status(request: web.Request) -> web.Response:
    """Answer `GET /api/server/status` (times in ms)."""
    sim = sim_of(request)
    return reply(
        {
            "startTimestamp": sim.started_at,
            "uptime": now_ms() - sim.started_at,
            "worker": {"id": None},
        }
    )


async def websocket(request: web.Request) -> web.StreamResponse:
    """Serve `/ws`: upgrade, check the query key (1008 if bad), stream envelopes."""
    sim = sim_of(request)
    if (status := sim.network.ws_upgrade_status) is not None:
        # A reverse proxy in front of WAHA that does not pass WebSocket upgrades on.
        return web.Response(status=status, text=HTTPStatus(status).phrase)
    # Pings are answered here rather than by aiohttp so the heartbeat sees pongs.
    ws = web.WebSocketResponse(autoping=False)
    await ws.prepare(request)
    if not sim.key_ok(query_key(request)):
        await ws.close(
            code=aiohttp.WSCloseCode.POLICY_VIOLATION, message=b"Unauthorized"
        )
        return ws
    sessions = frozenset(split_query(request.query.getall("session", []), WILDCARD))
    if sim.legacy and sessions != {WILDCARD}:
        # 2024 WAHA streams all sessions or none.
        await ws.close(code=WS_ONE_SESSION_REFUSED)
        return ws
    client = WsClient(
        ws=ws,
        sessions=sessions,
        events=expand_events(split_query(request.query.getall("events", []), "*")),
    )
    sim.ws_clients.add(client)
    heartbeat = sim.spawn(_heartbeat(client, sim.ws_heartbeat_seconds))
    try:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.PING:
                await ws.pong(message.data)
            elif message.type is aiohttp.WSMsgType.PONG:
                client.ponged = True
    finally:
        heartbeat.cancel()
        sim.ws_clients.discard(client)
    return ws


async def _heartbeat(client: WsClient, interval: float) -> None:
    """Ping every interval; drop a client that did not pong since the last ping."""
    while not client.ws.closed:
        await asyncio.sleep(interval)
        if not client.ponged:
            await client.ws.close(
                code=aiohttp.WSCloseCode.GOING_AWAY, message=b"Heartbeat timeout"
            )
            return
        client.ponged = False
        await client.ws.ping()
