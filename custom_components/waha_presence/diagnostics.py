"""Diagnostics: the entry, the session and the tracked chats, secrets redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from . import WahaConfigEntry
from .const import CONF_HMAC_KEY, CONF_WEBHOOK_URL

TO_REDACT = {CONF_API_KEY, CONF_HMAC_KEY, CONF_WEBHOOK_ID, CONF_WEBHOOK_URL}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: WahaConfigEntry
) -> dict[str, Any]:
    """Return a redacted picture of one WAHA session."""
    coordinator = entry.runtime_data.coordinator
    session = coordinator.session
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "session": {
            "name": coordinator.session_name,
            "status": coordinator.raw_status,
            "engine": coordinator.engine,
            "reachable": coordinator.reachable,
            "available": coordinator.available,
            "account_presence": coordinator.account_presence,
            "webhooks_configured": len(
                (session.config if session else {}).get("webhooks") or []
            ),
        },
        "chats": [
            {
                "chat_id": chat.chat_id,
                "lid": chat.lid,
                "participants": {
                    participant: {
                        "presence": state.presence,
                        "last_seen": state.last_seen.isoformat()
                        if state.last_seen
                        else None,
                        "timestamp": state.timestamp,
                    }
                    for participant, state in sorted(chat.participants.items())
                },
            }
            for chat in sorted(coordinator.chats.values(), key=lambda c: c.chat_id)
        ],
    }
