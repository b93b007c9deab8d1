"""Where WAHA's engines differ: presence mapping, event gating, JSON shapes."""

from __future__ import annotations

from typing import Any

from .const import GOWS, NOWEB, OFFLINE, ONLINE, PAUSED, WEBJS
from .state import SimContact


def engine_presence(engine: str, presence: str) -> str:
    """Return the state an engine reports for a WhatsApp presence/chat state."""
    if engine == NOWEB and presence == PAUSED:
        # Baileys turns the `paused` chat state into `available`.
        return ONLINE
    return presence


def emits_presence(
    engine: str, config: dict[str, Any], *, group: bool, chat_state: bool
) -> bool:
    """Return whether the engine turns this update into a `presence.update`."""
    if engine == WEBJS:
        webjs = config.get("webjs")
        return isinstance(webjs, dict) and webjs.get("tagsEventsOn") is True
    # GOWS drops Presence (not ChatPresence) events whose sender is a group.
    return not (engine == GOWS and group and not chat_state)


def store_config(engine: str) -> dict[str, Any]:
    """Return a session config with a contact store: NOWEB starts without one."""
    if engine != NOWEB:
        return {}
    return {"noweb": {"store": {"enabled": True, "fullSync": False}}}


def has_store(engine: str, config: dict[str, Any]) -> bool:
    """Return False for NOWEB without its store: no contacts, chats or LIDs then."""
    if engine != NOWEB:
        return True
    noweb = config.get("noweb")
    store = noweb.get("store") if isinstance(noweb, dict) else None
    return isinstance(store, dict) and store.get("enabled") is True


def read_presence(engine: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Return a cached presence as `GET …/presence/{chatId}` reads it."""
    if engine == WEBJS and entry.get("lastKnownPresence") == PAUSED:
        # WA-Web's PresenceCollection has no paused state; it reads as offline.
        return {**entry, "lastKnownPresence": OFFLINE}
    return dict(entry)


def all_presences(
    engine: str, cache: dict[str, dict[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Return `GET …/presence` for NOWEB/WPP, or GOWS's buggy index listing."""
    if engine == GOWS:
        # `for … in map.keys()` iterates array indices and presences is undefined.
        return [{"id": f"{index}@c.us"} for index in range(len(cache))]
    return [
        {"id": chat_id, "presences": [dict(p) for p in entries.values()]}
        for chat_id, entries in cache.items()
    ]


def engine_info(engine: str) -> dict[str, Any]:
    """Return the `engine` object of SessionDetailedInfo."""
    if engine == WEBJS:
        return {
            "engine": WEBJS,
            "WWebVersion": "2.3000.1025000000",
            "state": "CONNECTED",
        }
    if engine == GOWS:
        return {"engine": GOWS, "grpc": {"client": "READY", "stream": "READY"}}
    return {"engine": engine}


def contact_json(
    engine: str, chat_id: str, contact: SimContact | None
) -> dict[str, Any] | None:
    """Return one contact the way the engine's toWAContact shapes it."""
    if engine == WEBJS:
        return _webjs_contact(chat_id, contact)
    if engine == NOWEB:
        if contact is None:
            return None
        data: dict[str, Any] = {"id": contact.id}
        if contact.name is not None:
            data["name"] = contact.name
        if contact.pushname is not None:
            data["pushname"] = contact.pushname
        return data
    return {
        "id": chat_id,
        "name": contact.name if contact else None,
        "pushname": contact.pushname if contact else None,
    }


def _webjs_contact(chat_id: str, contact: SimContact | None) -> dict[str, Any]:
    """Return a whatsapp-web.js Contact object."""
    data: dict[str, Any] = {
        "id": chat_id,
        "number": chat_id.partition("@")[0],
        "isBusiness": False,
        "isEnterprise": False,
        "isGroup": chat_id.endswith("@g.us"),
        "isMe": False,
        "isMyContact": contact is not None and contact.name is not None,
        "isUser": chat_id.endswith("@c.us"),
        "isWAContact": contact is not None,
        "isBlocked": False,
    }
    if contact is not None:
        if contact.name is not None:
            data["name"] = contact.name
            data["shortName"] = contact.name.split()[0] if contact.name else ""
        if contact.pushname is not None:
            data["pushname"] = contact.pushname
    return data
