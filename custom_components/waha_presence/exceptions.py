"""Errors raised by the WAHA client."""

from __future__ import annotations

import re
from typing import Any


class WahaError(Exception):
    """Base class for WAHA errors."""


class WahaConnectionError(WahaError):
    """WAHA could not be reached or did not answer in time."""


class WahaAuthError(WahaError):
    """WAHA rejected the API key (401) or its scope (403)."""


class WahaNotFoundError(WahaError):
    """WAHA answered 404 (e.g. the session does not exist)."""


class WahaSessionNotReadyError(WahaError):
    """WAHA answered 422: the session is missing or not WORKING."""

    def __init__(self, session: str, status: str | None, message: str) -> None:
        """Keep the session and its status for translated errors."""
        super().__init__(message)
        self.session = session
        self.status = status


class WahaCoreSessionError(WahaError):
    """WAHA Core refused (422) a session other than `default`."""

    def __init__(self, session: str, message: str) -> None:
        """Keep the session WAHA Core refused."""
        super().__init__(message)
        self.session = session


class WahaVersionError(WahaError):
    """WAHA is older than the oldest version this integration works with."""

    def __init__(self, version: str, minimum: str) -> None:
        """Keep both versions for translated errors."""
        super().__init__(f"WAHA {version} is older than {minimum}")
        self.version = version
        self.minimum = minimum


class WahaNotSupportedError(WahaError):
    """WAHA answered 501: the session's engine cannot do this."""

    def __init__(self, engine: str | None, message: str) -> None:
        """Keep the engine that refused."""
        super().__init__(message)
        self.engine = engine


class WahaBadRequestError(WahaError):
    """WAHA answered 400; `detail` is its explanation."""

    def __init__(self, detail: str) -> None:
        """Keep WAHA's explanation."""
        super().__init__(detail)
        self.detail = detail


class WahaConfigRejectedError(WahaBadRequestError):
    """WAHA refused (400) the session config we sent it."""


class WahaResponseError(WahaError):
    """WAHA answered with something we did not expect."""


_ENGINE_RE = re.compile(r"by '([A-Z]+)' engine")
_CORE_ONLY_DEFAULT = "WAHA Core support only 'default' session"
MAX_MESSAGE = 300


def _message(data: Any) -> str:
    """Return WAHA's explanation, never the whole body."""
    # WAHA's 500 bodies echo the request, which may carry our HMAC key.
    if isinstance(data, dict):
        for key in ("detail", "message", "error"):
            value = data.get(key)
            if isinstance(value, str):
                return value[:MAX_MESSAGE]
            if isinstance(value, list) and value:
                return "; ".join(str(item) for item in value)[:MAX_MESSAGE]
        exception = data.get("exception")
        if isinstance(exception, dict) and isinstance(exception.get("message"), str):
            return str(exception["message"])[:MAX_MESSAGE]
    if isinstance(data, str) and data and not data.lstrip().startswith(("{", "[")):
        return data[:MAX_MESSAGE]
    return "no details"


def error_for_status(status: int, data: Any, session_name: str) -> WahaError:
    """Return the error that stands for WAHA's answer `status` with body `data`."""
    message = _message(data)
    if status in (401, 403):
        return WahaAuthError(message)
    if status == 404:
        return WahaNotFoundError(message)
    if status == 422 and message.startswith(_CORE_ONLY_DEFAULT):
        return WahaCoreSessionError(session_name, message)
    if status == 422 and isinstance(data, dict) and "session" in data:
        raw_status = data.get("status")
        return WahaSessionNotReadyError(
            str(data.get("session") or session_name),
            raw_status if isinstance(raw_status, str) else None,
            message,
        )
    if status == 501:
        match = _ENGINE_RE.search(message)
        return WahaNotSupportedError(match.group(1) if match else None, message)
    if status == 400:
        return WahaBadRequestError(message)
    return WahaResponseError(f"WAHA answered {status}: {message}")
