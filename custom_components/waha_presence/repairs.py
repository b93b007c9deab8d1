"""Repair issues of one WAHA session: login, NOWEB's store, and a WAHA that cannot serve."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, MIN_WAHA_VERSION
from .models import SessionStatus

# What fixes each status that needs a person: its own text says so.
LOGIN_KEYS = {
    SessionStatus.FAILED: "session_failed",
    SessionStatus.SCAN_QR_CODE: "session_scan_qr_code",
    SessionStatus.PASSKEY_REQUIRED: "session_passkey",
    SessionStatus.PASSKEY_CONFIRMATION_REQUIRED: "session_passkey_confirmation",
}


def account_label(title: str, account_id: str) -> str:
    """Return how repairs name the account: its push name and its number."""
    number = "+" + account_id.split("@", 1)[0]
    return number if title in (number, number[1:]) else f"{title} ({number})"


class SessionRepairs:
    """Raises and clears the repair issues of one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        session_name: str,
        url: str,
        *,
        account: str,
    ) -> None:
        """Keep what the issues name; `url` must hold no password."""
        self.hass = hass
        self.session_name = session_name
        self.url = url
        self.account = account
        self.login_issue_id = f"session_login_{entry_id}"
        self.store_issue_id = f"noweb_store_{entry_id}"
        self.websocket_issue_id = f"websocket_refused_{entry_id}"
        # These two say why setup failed, so they outlive the failed attempt.
        self.version_issue_id = version_issue_id(entry_id)
        self.core_issue_id = core_issue_id(entry_id)

    @callback
    def update_login(self, status: SessionStatus, raw_status: str) -> None:
        """Say what fixes the status WAHA waits in; clear it once WORKING."""
        # The same issue changes its text as the status moves on (FAILED, then
        # SCAN_QR_CODE after a restart); in between (STARTING) it stays as it is.
        if status.needs_login:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.login_issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=LOGIN_KEYS[status],
                translation_placeholders={
                    "account": self.account,
                    "session": self.session_name,
                    "status": raw_status,
                    "url": self.url,
                },
            )
        elif status is SessionStatus.WORKING:
            ir.async_delete_issue(self.hass, DOMAIN, self.login_issue_id)

    @callback
    def update_store(self, missing: bool) -> None:
        """Ask for NOWEB's store while it is off: without it WAHA maps no LIDs."""
        if missing:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.store_issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="noweb_store_disabled",
                translation_placeholders={
                    "account": self.account,
                    "session": self.session_name,
                    "url": self.url,
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, self.store_issue_id)

    @callback
    def update_version(self, version: str | None) -> None:
        """Ask for a newer WAHA while it is older than the minimum (None: it is not)."""
        if version is None:
            ir.async_delete_issue(self.hass, DOMAIN, self.version_issue_id)
            return
        self._create(
            self.version_issue_id,
            "waha_too_old",
            {"version": version, "minimum": MIN_WAHA_VERSION},
        )

    @callback
    def update_core_refusal(self, refused: bool) -> None:
        """Say so while WAHA Core refuses the session for not being `default`."""
        if refused:
            self._create(self.core_issue_id, "core_only_default", {})
        else:
            ir.async_delete_issue(self.hass, DOMAIN, self.core_issue_id)

    @callback
    def websocket_refused(self) -> None:
        """Say that this WAHA cannot stream one session's events (4001)."""
        self._create(
            self.websocket_issue_id, "websocket_refused", {"minimum": MIN_WAHA_VERSION}
        )

    def _create(self, issue_id: str, key: str, placeholders: dict[str, str]) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders={
                "session": self.session_name,
                "url": self.url,
                **placeholders,
            },
        )

    @callback
    def clear(self) -> None:
        """Drop the issues of a running entry (it unloads, or its setup failed)."""
        ir.async_delete_issue(self.hass, DOMAIN, self.login_issue_id)
        ir.async_delete_issue(self.hass, DOMAIN, self.store_issue_id)
        ir.async_delete_issue(self.hass, DOMAIN, self.websocket_issue_id)


def version_issue_id(entry_id: str) -> str:
    """Return the id of the entry's "WAHA too old" issue."""
    return f"waha_too_old_{entry_id}"


def core_issue_id(entry_id: str) -> str:
    """Return the id of the entry's "WAHA Core: only `default`" issue."""
    return f"core_only_default_{entry_id}"


@callback
def async_delete_setup_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Drop the issues that outlive a failed setup: the entry is removed."""
    ir.async_delete_issue(hass, DOMAIN, version_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, core_issue_id(entry_id))
