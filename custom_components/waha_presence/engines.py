"""Every difference between WAHA's engines that the integration acts on."""

from __future__ import annotations

from .models import PresenceStatus

NOWEB = "NOWEB"
WEBJS = "WEBJS"
WPP = "WPP"
GOWS = "GOWS"

# `GET /presence` lists every cached presence in one call; WEBJS cannot and
# GOWS lists garbage, so those are read chat by chat.
_LISTS_ALL = frozenset({NOWEB, WPP})


def lists_all_presences(engine: str | None) -> bool:
    """Return True when one call reads every subscribed presence."""
    return engine in _LISTS_ALL


def fade_target(engine: str | None) -> PresenceStatus:
    """Return what a typing or recording contact shows once it stops."""
    # NOWEB reports a stop as online; the other engines as paused.
    return PresenceStatus.ONLINE if engine == NOWEB else PresenceStatus.PAUSED


def needs_tags_events(engine: str | None) -> bool:
    """Return True when presence events need `webjs.tagsEventsOn` (WEBJS)."""
    return engine == WEBJS


def needs_store(engine: str | None) -> bool:
    """Return True when the engine needs its store to list contacts and map LIDs."""
    return engine == NOWEB
