"""Diagnostics: the entry, the session and the tracked chats, secrets redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_ACCOUNT_ID, CONF_HMAC_KEY, CONF_WEBHOOK_URL
from .coordinator import WahaConfigEntry
from .presence import ChatState

TO_REDACT = {
    CONF_API_KEY,
    CONF_HMAC_KEY,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_URL,
    CONF_ACCOUNT_ID,
    CONF_URL,
}


def _chat(chat: ChatState, label: str) -> dict[str, Any]:
    """Describe a chat without its phone numbers: members become numbered."""
    members = {
        participant: f"{label}_member_{index}"
        for index, participant in enumerate(sorted(chat.participants), 1)
    }
    members[chat.chat_id] = label
    return {
        "kind": "group" if chat.is_group else "contact",
        "other_id_known": chat.alias is not None,
        "participants": {
            members[participant]: {
                "presence": state.presence,
                "last_seen": state.last_seen.isoformat() if state.last_seen else None,
                "timestamp": state.timestamp,
            }
            for participant, state in sorted(chat.participants.items())
        },
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: WahaConfigEntry
) -> dict[str, Any]:
    """Return a picture of one WAHA session, without secrets or phone numbers."""
    coordinator = entry.runtime_data.coordinator
    session = coordinator.monitor.session
    config = session.config if session else {}
    chats = sorted(coordinator.chats.values(), key=lambda chat: chat.chat_id)
    watch = coordinator.monitor.delivery
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
            "tracked_chats": len(chats),
        },
        "session": {
            "name": coordinator.session_name,
            "status": coordinator.monitor.raw_status,
            "engine": coordinator.monitor.engine,
            "reachable": coordinator.monitor.reachable,
            "available": coordinator.available,
            "account_presence": coordinator.monitor.account_presence,
            "delivery": coordinator.delivery,
            "last_event": (
                dt_util.utc_from_timestamp(watch.last_event).isoformat()
                if watch.last_event
                else None
            ),
            "delivery_in_doubt": watch.in_doubt,
            "webhooks_configured": len(config.get("webhooks") or []),
            "config_keys": sorted(config),
            "me": REDACTED if session and session.me else None,
        },
        "chats": [_chat(chat, f"chat_{index}") for index, chat in enumerate(chats, 1)],
    }
