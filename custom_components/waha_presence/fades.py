"""Fade timers (Home Assistant-free): typing nobody refreshed ends, as in WhatsApp."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .presence import PresenceChange

# WhatsApp clients hide a typing indicator that is not refreshed within ~25 s.
CHAT_STATE_TIMEOUT_SECONDS = 30

type FadeDue = Callable[[str, int, set[str]], None]


class FadeTimers:
    """One timer per chat and event: the members one event set typing fade together."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_due: FadeDue) -> None:
        """Call `on_due(chat_id, stamp, participants)` when a batch is due."""
        self._loop = loop
        self._on_due = on_due
        # Each waiting participant's stamp, and the participants of each batch.
        self._stamps: dict[tuple[str, str], int] = {}
        self._batches: dict[tuple[str, int], set[str]] = {}
        self._timers: dict[tuple[str, int], Callable[[], None]] = {}

    def schedule(self, changes: tuple[PresenceChange, ...]) -> None:
        """Restart the fades these changes call for; any other change ends a fade."""
        # A lost `paused` would otherwise leave the contact typing for good.
        touched: set[tuple[str, int]] = set()
        for change in changes:
            key = (change.chat_id, change.participant)
            if (stamp := self._stamps.pop(key, None)) is not None:
                self._batches[(change.chat_id, stamp)].discard(change.participant)
            if change.presence.is_chat_state:
                batch = (change.chat_id, change.timestamp)
                self._stamps[key] = change.timestamp
                self._batches.setdefault(batch, set()).add(change.participant)
                touched.add(batch)
        for batch in touched:
            if cancel := self._timers.pop(batch, None):
                cancel()
            # A plain loop timer: this runs on every typing event, HassJob is not needed.
            self._timers[batch] = self._loop.call_later(
                CHAT_STATE_TIMEOUT_SECONDS, self._due, batch
            ).cancel

    def cancel(self, chat_id: str | None = None) -> None:
        """Cancel the fades of one chat, or of all."""
        for batch in [b for b in self._timers if chat_id in (None, b[0])]:
            self._timers.pop(batch)()
            self._forget(batch)

    def _forget(self, batch: tuple[str, int]) -> set[str]:
        participants = self._batches.pop(batch, set())
        for participant in participants:
            del self._stamps[(batch[0], participant)]
        return participants

    def _due(self, batch: tuple[str, int]) -> None:
        self._timers.pop(batch, None)
        if participants := self._forget(batch):
            self._on_due(batch[0], batch[1], participants)
