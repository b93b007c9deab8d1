"""Constants of the simulated WAHA server (version, engines, statuses, events)."""

from __future__ import annotations

from collections.abc import Iterable

VERSION = "2026.7.1"
TIER = "PLUS"
PLATFORM = "linux/x64"
WEBJS_BROWSER = "/usr/bin/google-chrome-stable"

WEBJS = "WEBJS"
WPP = "WPP"
NOWEB = "NOWEB"
GOWS = "GOWS"
ENGINES = (WEBJS, WPP, NOWEB, GOWS)

STOPPED = "STOPPED"
STARTING = "STARTING"
SCAN_QR_CODE = "SCAN_QR_CODE"
WORKING = "WORKING"
FAILED = "FAILED"

ONLINE = "online"
OFFLINE = "offline"
TYPING = "typing"
RECORDING = "recording"
PAUSED = "paused"
CHAT_STATES = frozenset({TYPING, RECORDING, PAUSED})
PRESENCES = frozenset({ONLINE, OFFLINE, *CHAT_STATES})

# WAHA's `profilePictures` NodeCache (src/core/abc/session.abc.ts): stdTTL 24 h.
PICTURE_CACHE_SECONDS = 24 * 3600
# How long a WhatsApp CDN link stays valid: days, told by its `oe` parameter.
PICTURE_LINK_SECONDS = 7 * 24 * 3600

EVENT_SESSION_STATUS = "session.status"
EVENT_PRESENCE_UPDATE = "presence.update"

EVENTS = (
    "session.status",
    "message",
    "message.reaction",
    "message.any",
    "message.ack",
    "message.ack.group",
    "message.waiting",
    "message.revoked",
    "message.edited",
    "state.change",
    "group.join",
    "group.leave",
    "group.v2.join",
    "group.v2.leave",
    "group.v2.update",
    "group.v2.participants",
    "presence.update",
    "poll.vote",
    "poll.vote.failed",
    "chat.archive",
    "call.received",
    "call.accepted",
    "call.rejected",
    "label.upsert",
    "label.deleted",
    "label.chat.added",
    "label.chat.deleted",
    "event.response",
    "event.response.failed",
    "engine.event",
)
WILDCARD = "*"
WILDCARD_EXCLUDED = frozenset({"state.change", "engine.event"})
WILDCARD_EVENTS = frozenset(EVENTS) - WILDCARD_EXCLUDED


def expand_events(names: Iterable[str]) -> frozenset[str]:
    """Return the known event names a list selects; `*` skips state.change/engine.event."""
    selected: set[str] = set()
    for name in names:
        if name == WILDCARD:
            selected |= WILDCARD_EVENTS
        elif name in EVENTS:
            selected.add(name)
    return frozenset(selected)
