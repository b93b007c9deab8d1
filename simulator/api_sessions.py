"""`/api/sessions` routes: list, create, replace config (restart), lifecycle, me."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from yarl import URL

from . import engines
from .const import CORE, DEFAULT_SESSION, EVENTS, STOPPED, WILDCARD
from .httputil import (
    ApiError,
    nest_error,
    only_default,
    read_object,
    reply,
    session_or_404,
    sim_of,
    validation_error,
)
from .ids import ulid
from .state import SimSession

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]*$")
NAME_MAX = 54
RETRY_POLICIES = ("linear", "exponential", "constant")
ALLOWED_EVENTS = (*EVENTS, WILDCARD)


def register(router: web.UrlDispatcher) -> None:
    """Add the session routes."""
    router.add_get("/api/sessions", list_sessions)
    router.add_post("/api/sessions", create_session)
    router.add_get("/api/sessions/{name}", get_session)
    router.add_put("/api/sessions/{name}", update_session)
    router.add_delete("/api/sessions/{name}", delete_session)
    router.add_post("/api/sessions/{name}/start", start_session)
    router.add_post("/api/sessions/{name}/stop", stop_session)
    router.add_post("/api/sessions/{name}/restart", restart_session)
    router.add_post("/api/sessions/{name}/logout", logout_session)
    router.add_get("/api/sessions/{name}/me", get_me)


def session_info(session: SimSession, *, detailed: bool = False) -> dict[str, Any]:
    """Return SessionInfo (SessionDetailedInfo when detailed)."""
    info: dict[str, Any] = {
        "name": session.name,
        "status": session.status,
        "config": session.config,
        "me": session.me if session.running else None,
        "presence": session.presence,
        "timestamps": {"activity": session.activity_ts},
    }
    if detailed:
        # WAHA names a session's engine once it runs: a STOPPED one has `engine: {}`.
        info["engine"] = engines.engine_info(session.engine) if session.running else {}
    return info


def _is_http_url(value: Any) -> bool:
    """Return whether a value is an http(s) URL with a host (no TLD needed)."""
    if not isinstance(value, str):
        return False
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in {"http", "https"} and bool(url.host)


def validate_config(config: Any) -> list[str]:
    """Return class-validator messages for a session config (empty if valid)."""
    if config is None:
        return []
    if not isinstance(config, dict):
        return ["config must be an object"]
    hooks = config.get("webhooks")
    if hooks is None:
        return []
    if not isinstance(hooks, list):
        return ["config.webhooks must be an array"]
    messages: list[str] = []
    for index, hook in enumerate(hooks):
        messages.extend(_validate_webhook(f"config.webhooks.{index}", hook))
    return messages


def _validate_webhook(prefix: str, hook: Any) -> list[str]:
    """Return the messages for one WebhookConfig."""
    if not isinstance(hook, dict):
        return [f"nested property {prefix} must be either object or array"]
    messages: list[str] = []
    if not _is_http_url(hook.get("url")):
        messages.append(f"{prefix}.url must be a URL address")
    events = hook.get("events")
    if not isinstance(events, list):
        messages.append(f"{prefix}.events must be an array")
    elif not events:
        messages.append(f"{prefix}.events should not be empty")
    elif any(event not in ALLOWED_EVENTS for event in events):
        messages.append(
            f"each value in {prefix}.events must be one of the following values: "
            + ", ".join(ALLOWED_EVENTS)
        )
    retries = hook.get("retries")
    if retries is not None:
        if not isinstance(retries, dict):
            messages.append(
                f"nested property {prefix}.retries must be either object or array"
            )
        elif retries.get("policy") not in (None, *RETRY_POLICIES):
            messages.append(
                f"{prefix}.retries.policy must be one of the following values: "
                + ", ".join(RETRY_POLICIES)
            )
    hmac = hook.get("hmac")
    if hmac is not None and not (
        isinstance(hmac, dict) and isinstance(hmac.get("key", ""), (str, type(None)))
    ):
        messages.append(f"{prefix}.hmac.key must be a string")
    return messages


async def list_sessions(request: web.Request) -> web.Response:
    """Answer `GET /api/sessions` (running only unless `all=true`)."""
    sim = sim_of(request)
    show_all = request.query.get("all") == "true"
    return reply(
        [
            session_info(session)
            for session in sim.sessions.values()
            if (show_all or session.running)
            and (sim.tier != CORE or session.name == DEFAULT_SESSION)
        ]
    )


async def get_session(request: web.Request) -> web.Response:
    """Answer `GET /api/sessions/{name}` (404 if unknown)."""
    session = session_or_404(request, request.match_info["name"])
    return reply(session_info(session, detailed=True))


async def create_session(request: web.Request) -> web.Response:
    """Answer `POST /api/sessions`: `start` defaults to false, like WAHA's code."""
    sim = sim_of(request)
    body = await read_object(request)
    name = body.get("name") or f"session_{ulid().upper()}"
    messages = []
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        messages.append(f"name must match {NAME_PATTERN.pattern} regular expression")
    elif len(name) > NAME_MAX:
        messages.append(f"name must be shorter than or equal to {NAME_MAX} characters")
    messages.extend(validate_config(body.get("config")))
    if messages:
        raise validation_error(messages)
    only_default(request, name)
    if name in sim.sessions:
        raise ApiError(
            422,
            nest_error(422, f"Session '{name}' already exists. Use PUT to update it."),
        )
    session = sim.add_session(
        name,
        engine=sim.default_engine,
        status=STOPPED,
        me=None,
        config=dict(body.get("config") or {}),
    )
    if body.get("start") is True:
        await sim.start_session(session, wait=False)
    return reply(session_info(session), 201)


async def update_session(request: web.Request) -> web.Response:
    """Answer `PUT /api/sessions/{name}`: stop, replace the whole config, start again."""
    sim = sim_of(request)
    session = session_or_404(request, request.match_info["name"])
    body = await read_object(request)
    config = body.get("config")
    if messages := validate_config(config):
        raise validation_error(messages)
    was_running = session.running
    await sim.stop_session(session)
    session.config = dict(config) if isinstance(config, dict) else {}
    if was_running:
        await sim.start_session(session, wait=False)
    return reply(session_info(session))


async def delete_session(request: web.Request) -> web.Response:
    """Answer `DELETE /api/sessions/{name}` (idempotent)."""
    sim = sim_of(request)
    only_default(request, request.match_info["name"])
    session = sim.sessions.get(request.match_info["name"])
    if session is not None:
        await sim.stop_session(session)
        sim.sessions.pop(session.name, None)
    return reply(None)


async def start_session(request: web.Request) -> web.Response:
    """Answer `POST /api/sessions/{name}/start` (idempotent)."""
    sim = sim_of(request)
    session = session_or_404(request, request.match_info["name"])
    if not session.running:
        await sim.start_session(session, wait=False)
    return reply(session_info(session), 201)


async def stop_session(request: web.Request) -> web.Response:
    """Answer `POST /api/sessions/{name}/stop`."""
    session = session_or_404(request, request.match_info["name"])
    await sim_of(request).stop_session(session)
    return reply(session_info(session), 201)


async def restart_session(request: web.Request) -> web.Response:
    """Answer `POST /api/sessions/{name}/restart`: stop, then start."""
    sim = sim_of(request)
    session = session_or_404(request, request.match_info["name"])
    await sim.stop_session(session)
    await sim.start_session(session, wait=False)
    return reply(session_info(session), 201)


async def logout_session(request: web.Request) -> web.Response:
    """Answer `POST /api/sessions/{name}/logout`: forget the account, keep the config."""
    sim = sim_of(request)
    session = session_or_404(request, request.match_info["name"])
    was_running = session.running
    await sim.stop_session(session)
    session.me = None
    if was_running:
        await sim.start_session(session, wait=False)
    return reply(session_info(session), 201)


async def get_me(request: web.Request) -> web.Response:
    """Answer `GET /api/sessions/{name}/me` (null when not authenticated)."""
    name = request.match_info["name"]
    session = session_or_404(request, name)
    if not session.running:
        raise ApiError(
            404,
            nest_error(
                404,
                f"We didn't find a session with name '{name}'. Please start it "
                f"first by using POST /api/sessions/{name}/start request",
            ),
        )
    return reply(session.me)
