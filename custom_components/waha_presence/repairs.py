"""Repair issues of one WAHA session: a login is needed, NOWEB's store is off."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .models import SessionStatus


class SessionRepairs:
    """Raises and clears the repair issues of one config entry."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, session_name: str, url: str
    ) -> None:
        """Keep what the issues name; `url` must hold no password."""
        self.hass = hass
        self.session_name = session_name
        self.url = url
        self.login_issue_id = f"session_login_{entry_id}"
        self.store_issue_id = f"noweb_store_{entry_id}"

    @callback
    def update_login(self, status: SessionStatus, raw_status: str) -> None:
        """Ask for a login while WAHA waits for one; clear it once WORKING."""
        if status.needs_login:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.login_issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="session_needs_login",
                translation_placeholders={
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
                    "session": self.session_name,
                    "url": self.url,
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, self.store_issue_id)

    @callback
    def clear(self) -> None:
        """Drop every issue of the entry (it unloads, or its setup failed)."""
        ir.async_delete_issue(self.hass, DOMAIN, self.login_issue_id)
        ir.async_delete_issue(self.hass, DOMAIN, self.store_issue_id)
