"""Shared HTTP pieces: the app key, WAHA's error bodies and session guards."""

from __future__ import annotations

import base64
from http import HTTPStatus
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .const import CORE, DEFAULT_SESSION, DOCS_URL, WORKING
from .delivery import dumps
from .ids import now_ms

if TYPE_CHECKING:
    from .state import SimSession
    from .world import SimWorld

SIM_KEY: web.AppKey[SimWorld] = web.AppKey("waha_simulator")
# NestJS keeps the older reason phrases (Python 3.13+ says "Unprocessable Content").
_NEST_PHRASES = {413: "Payload Too Large", 422: "Unprocessable Entity"}


def reply(data: Any, status: int = 200) -> web.Response:
    """Return a JSON response; None is an empty body, as NestJS sends it."""
    if data is None:
        return web.Response(status=status)
    return web.Response(
        status=status, text=dumps(data), content_type="application/json"
    )


def nest_error(status: int, message: str | list[str]) -> dict[str, Any]:
    """Return NestJS's `{message, error, statusCode}` body."""
    return {
        "message": message,
        "error": _NEST_PHRASES.get(status) or HTTPStatus(status).phrase,
        "statusCode": status,
    }


class ApiError(Exception):
    """An HTTP error answered with WAHA's exact body."""

    def __init__(self, status: int, body: Any) -> None:
        """Keep the status and the JSON body (None: empty body)."""
        super().__init__(status)
        self.status = status
        self.body = body

    def response(self) -> web.Response:
        """Return the HTTP response for this error."""
        return reply(self.body, self.status)


def not_implemented(engine: str) -> ApiError:
    """Return the 501 an engine gives for a feature it lacks."""
    return ApiError(
        501,
        nest_error(
            501,
            f"The method is not implemented by '{engine}' engine. Check the docs "
            f"and try another engine: {DOCS_URL}",
        ),
    )


def validation_error(messages: list[str]) -> ApiError:
    """Return WAHAValidationPipe's 400."""
    return ApiError(400, nest_error(400, messages))


def internal_error(request: web.Request, message: str) -> ApiError:
    """Return the 500 AllExceptionsFilter makes of a plain exception."""
    return ApiError(
        500,
        {
            "statusCode": 500,
            "timestamp": now_ms(),
            "exception": {"message": message, "name": "Error"},
            "request": {
                "path": request.path,
                "method": request.method,
                "query": dict(request.query),
            },
            "version": {
                "version": sim_of(request).version,
                "tier": sim_of(request).tier,
            },
        },
    )


async def read_json(request: web.Request) -> Any:
    """Return the parsed body (None if empty); invalid JSON is a 400."""
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as err:
        raise ApiError(400, nest_error(400, str(err))) from err


async def read_object(request: web.Request) -> dict[str, Any]:
    """Return the body as a JSON object ({} if empty)."""
    data = await read_json(request)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise validation_error(["body must be an object"])
    return data


def sim_of(request: web.Request) -> SimWorld:
    """Return the simulated world serving this request."""
    return request.app[SIM_KEY]


def only_default(request: web.Request, name: str) -> None:
    """Refuse any session but `default` as WAHA Core does (422, before any lookup)."""
    sim = sim_of(request)
    if sim.tier != CORE or name == DEFAULT_SESSION:
        return
    if sim.legacy:  # 2024 releases did not name the session
        message = "WAHA Core support only 'default' session. "
    else:
        encoded = base64.b64encode(name.encode()).decode()
        message = (
            "WAHA Core support only 'default' session. You tried to access "
            f"'{name}' session (base64: {encoded}). "
        )
    message += (
        "If you want to run more then one WhatsApp account - please get WAHA PLUS "
        f"version. Check this out: {DOCS_URL}"
    )
    raise ApiError(422, nest_error(422, message))


def session_or_404(request: web.Request, name: str) -> SimSession:
    """Return a session for the `/api/sessions` routes (404 if unknown)."""
    only_default(request, name)
    session = sim_of(request).sessions.get(name)
    if session is None:
        raise ApiError(404, nest_error(404, "Session not found"))
    return session


def working_session(request: web.Request, name: str) -> SimSession:
    """Return a WORKING session, or WAHA's 422 from waitUntilStatus."""
    if not name:
        raise ApiError(422, {"error": "Session name is required", "session": ""})
    only_default(request, name)
    session = sim_of(request).sessions.get(name)
    if session is None:
        raise ApiError(
            422, {"error": f'Session "{name}" does not exist', "session": name}
        )
    if session.status != WORKING:
        raise ApiError(
            422,
            {
                "error": "Session status is not as expected. Try again later or "
                "restart the session",
                "session": name,
                "status": session.status,
                "expected": [WORKING],
            },
        )
    return session
