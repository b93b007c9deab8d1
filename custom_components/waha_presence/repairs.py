"""Repair issues of one WAHA session, and the fix flow of "WAHA cannot reach us"."""

from __future__ import annotations

from typing import Any

from homeassistant.components import webhook
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import (
    CONF_DELIVERY,
    CONF_HMAC_KEY,
    CONF_SESSION,
    CONF_WEBHOOK_URL,
    DELIVERY_WEBHOOK,
    DOMAIN,
    LOGGER,
    MIN_WAHA_VERSION,
)
from .delivery_check import DeliveryTarget, delivery_issue_id
from .delivery_flow import DeliveryCheck, delivery_schema, webhook_url_error
from .models import SessionStatus
from .session_config import masked_webhook_url

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
        self.entry_id = entry_id
        self.session_name = session_name
        self.url = url
        self.account = account
        self.login_issue_id = f"session_login_{entry_id}"
        self.store_issue_id = f"noweb_store_{entry_id}"
        self.websocket_issue_id = f"websocket_refused_{entry_id}"
        # These two say why setup failed, so they outlive the failed attempt.
        self.version_issue_id = version_issue_id(entry_id)
        self.core_issue_id = core_issue_id(entry_id)
        self.delivery_issue_id = delivery_issue_id(entry_id)
        self._core_refused = False

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

    @property
    def delivery_raised(self) -> bool:
        """Return True while the "WAHA cannot reach Home Assistant" issue is up."""
        registry = ir.async_get(self.hass)
        return registry.async_get_issue(DOMAIN, self.delivery_issue_id) is not None

    @callback
    def update_delivery(self, broken: bool, webhook_url: str = "") -> None:
        """Raise the fixable delivery issue (`webhook_url` without its id), or clear it."""
        if not broken:
            ir.async_delete_issue(self.hass, DOMAIN, self.delivery_issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.delivery_issue_id,
            data={"entry_id": self.entry_id},
            is_fixable=True,
            # It outlives restarts: only an event (or a passed check) proves it over.
            is_persistent=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key="delivery_broken",
            translation_placeholders={
                "session": self.session_name,
                "url": webhook_url,
            },
        )

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
        if refused and not self._core_refused:
            LOGGER.warning(
                "WAHA at %s is WAHA Core, which serves only session `default`, "
                "not %s; see the repair",
                self.url,
                self.session_name,
            )
        self._core_refused = refused
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


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Return the fix flow of a delivery issue."""
    return DeliveryRepairFlow(str((data or {}).get("entry_id", "")))


class DeliveryRepairFlow(RepairsFlow):
    """Another webhook URL, or WebSocket delivery; checked, then applied to the entry."""

    def __init__(self, entry_id: str) -> None:
        """Fix the delivery of one entry."""
        self._entry_id = entry_id
        self._check = DeliveryCheck()

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Start with the choice (HA passes the issue id in, not a choice)."""
        return await self.async_step_delivery()

    async def async_step_delivery(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Offer the two ways out; after a failed check, say what it found."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        webhook_id = entry.data[CONF_WEBHOOK_ID]
        errors: dict[str, str] = {}
        placeholders = {
            "session": entry.data[CONF_SESSION],
            "current_url": masked_webhook_url(entry.data[CONF_WEBHOOK_URL], webhook_id),
            "webhook_path": webhook.async_generate_path(webhook_id),
            "url": "",
            "seconds": "",
            "status": "",
            "error": "",
        }
        suggested = {
            CONF_DELIVERY: DELIVERY_WEBHOOK,
            CONF_WEBHOOK_URL: entry.data[CONF_WEBHOOK_URL],
        }
        if user_input is not None:
            suggested = user_input
            delivery = user_input[CONF_DELIVERY]
            url = user_input.get(CONF_WEBHOOK_URL, "").strip()
            if delivery == DELIVERY_WEBHOOK and (
                error := webhook_url_error(url, webhook_id)
            ):
                errors[CONF_WEBHOOK_URL] = error
            else:
                target = DeliveryTarget(
                    url=entry.data[CONF_URL],
                    api_key=entry.data[CONF_API_KEY],
                    session=entry.data[CONF_SESSION],
                    webhook_id=webhook_id,
                    hmac_key=entry.data[CONF_HMAC_KEY],
                    delivery=delivery,
                    webhook_url=url,
                )
                self._check.start(self.hass, target, entry)
                return await self.async_step_check()
        elif (tried := self._check.target) is not None:
            outcome = self._check.outcome
            assert outcome.error is not None
            errors["base"] = outcome.error
            placeholders |= outcome.placeholders
            suggested = {
                CONF_DELIVERY: tried.delivery,
                CONF_WEBHOOK_URL: tried.webhook_url,
            }
        return self.async_show_form(
            step_id="delivery",
            data_schema=self.add_suggested_values_to_schema(
                delivery_schema(), suggested
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_check(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Show progress until WAHA's first event arrives through the choice."""
        check = self._check
        if not check.task.done():
            assert check.target is not None
            return self.async_show_progress(
                step_id="check",
                progress_action=check.progress_action,
                progress_task=check.task,
                description_placeholders={"session": check.target.session},
            )
        next_step = "apply" if check.outcome.error is None else "delivery"
        return self.async_show_progress_done(next_step_id=next_step)

    async def async_step_apply(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Store the delivery that works; the entry reloads with it."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        target = self._check.target
        if entry is None or target is None:
            return self.async_abort(reason="entry_removed")
        self.hass.config_entries.async_update_entry(
            entry,
            data={
                **entry.data,
                CONF_DELIVERY: target.delivery,
                CONF_WEBHOOK_URL: target.webhook_url,
            },
        )
        if entry.state is not ConfigEntryState.LOADED:
            # No update listener to reload it: try the new delivery now.
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data={})
