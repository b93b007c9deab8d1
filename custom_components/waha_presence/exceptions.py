"""Errors raised by the WAHA client."""

from __future__ import annotations


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
