"""Keep the ordering one entry's events reached across Home Assistant restarts."""

from __future__ import annotations

import time
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .freshness import MAX_AHEAD_MS
from .presence import PresenceTracker, Stamps
from .session import SessionMonitor

STORAGE_VERSION = 1
# Seconds: a busy account writes twice a minute at most; a clean stop writes at once.
SAVE_DELAY = 30


def now_ms() -> int:
    """Return the time in ms (frozen time in tests included: freezegun fakes it)."""
    return time.time_ns() // 1_000_000


def _stamp(value: object, limit: int) -> tuple[int, str] | None:
    """Return a stored (timestamp, event id), or None when it is none or too new."""
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and value[0] <= limit
        and isinstance(value[1], str)
    ):
        return value[0], value[1]
    return None


def parse_chats(data: object, limit: int) -> dict[str, Stamps]:
    """Read stored per-chat stamps, skipping what is malformed or after `limit`."""
    if not isinstance(data, dict):
        return {}
    return {
        chat_id: {
            participant: stamp
            for participant, value in stamps.items()
            if (stamp := _stamp(value, limit)) is not None
        }
        for chat_id, stamps in data.items()
        if isinstance(stamps, dict)
    }


class OrderingStore:
    """The tracker's and the monitor's ordering, loaded at setup, saved after changes."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        tracker: PresenceTracker,
        monitor: SessionMonitor,
    ) -> None:
        """Bind the entry's store to what it keeps."""
        self._store: Store[dict[str, Any]] = store_for(hass, entry_id)
        self._tracker = tracker
        self._monitor = monitor
        self._pending = False

    async def async_restore(self) -> None:
        """Give the tracker and the monitor what they reached before the restart."""
        data = await self._store.async_load()
        if not isinstance(data, dict):
            return
        # A clock that was ahead when they were saved must not block today's events.
        limit = now_ms() + MAX_AHEAD_MS
        self._tracker.restore(parse_chats(data.get("chats"), limit))
        if (status := _stamp(data.get("status"), limit)) is not None:
            self._monitor.status_stamp = status

    @callback
    def async_schedule_save(self) -> None:
        """Save within SAVE_DELAY; calls meanwhile add nothing."""
        # Once per delay: async_delay_save alone would push a busy stream's save back.
        if not self._pending:
            self._pending = True
            self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        self._pending = False
        return {
            "chats": self._tracker.snapshot(),
            "status": self._monitor.status_stamp,
        }

    async def async_flush(self) -> None:
        """Save at once what a pending save would (when the entry unloads)."""
        if self._pending:
            await self._store.async_save(self._data())


def store_for(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store of one config entry."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")
