"""Constants of the simulated WAHA server (version, engines, statuses, events)."""

from __future__ import annotations

from collections.abc import Iterable

VERSION = "2026.7.1"
PLUS = "PLUS"
CORE = "CORE"
TIER = PLUS
# What a real WAHA Core 2024.10.8 was seen doing: see `SimRuntime.legacy`.
OLD_VERSION = "2024.10.8"
LEGACY_BEFORE = (2025,)
DEFAULT_SESSION = "default"
DOCS_URL = "https://waha.devlike.pro/"
# Old WAHA closes a `/ws` that names one session with this code.
WS_ONE_SESSION_REFUSED = 4001
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


def version_parts(version: str) -> tuple[int, ...]:
    """Return the numbers of a WAHA version (`2026.2.1-plus` → (2026, 2, 1))."""
    parts: list[int] = []
    for piece in version.split("-", 1)[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)
