"""Turn WAHA client errors into translated Home Assistant errors."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .exceptions import (
    WahaAuthError,
    WahaBadRequestError,
    WahaConnectionError,
    WahaCoreSessionError,
    WahaError,
    WahaNotFoundError,
    WahaNotSupportedError,
    WahaSessionNotReadyError,
)


def translate_error(err: WahaError) -> HomeAssistantError:
    """Return a translated error that names what WAHA said went wrong."""
    key: str
    placeholders: dict[str, str] = {}
    match err:
        case WahaCoreSessionError():
            key = "core_only_default"
            placeholders = {"session": err.session}
        case WahaSessionNotReadyError():
            key = "session_not_ready"
            placeholders = {"session": err.session, "status": err.status or "missing"}
        case WahaNotSupportedError():
            key = "not_supported"
            placeholders = {"engine": err.engine or "this"}
        case WahaBadRequestError():
            key = "bad_request"
            placeholders = {"detail": err.detail}
        case WahaConnectionError():
            key = "cannot_connect"
            placeholders = {"error": str(err)}
        case WahaAuthError():
            key = "invalid_auth"
        case WahaNotFoundError():
            key = "not_found"
            placeholders = {"detail": str(err)}
        case _:
            key = "unexpected_response"
            placeholders = {"error": str(err)}
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
