"""Fade timers (Home Assistant-free): typing nobody refreshed ends, as in WhatsApp."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .presence import PresenceChange

# WhatsApp clients hide a typing indicator that is not refreshed within ~25 s.
CHAT_STATE_TIMEOUT_SECONDS = 30

type FadeDue = Callable[[str, int, set[str]], None]
type Batch = tuple[str, int]


class FadeTimers:
    """The members one event set typing fade together; one loop timer serves all."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_due: FadeDue) -> None:
        """Call `on_due(chat_id, stamp, participants)` when a batch is due."""
        self._loop = loop
        self._on_due = on_due
        # Each waiting participant's stamp, and the participants of each batch.
        self._stamps: dict[tuple[str, str], int] = {}
        self._batches: dict[Batch, set[str]] = {}
        # When each batch is due, earliest first: every deadline is the same time
        # from now, so a batch (re)started goes last. A timer per typing event
        # would leave thousands waiting in the loop on a busy account.
        self._deadlines: dict[Batch, float] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = 0.0

    def schedule(self, changes: tuple[PresenceChange, ...]) -> None:
        """Restart the fades these changes call for; any other change ends a fade."""
        # A lost `paused` would otherwise leave the contact typing for good.
        deadline: float | None = None
        for change in changes:
            key = (change.chat_id, change.participant)
            if (stamp := self._stamps.pop(key, None)) is not None:
                self._leave((change.chat_id, stamp), change.participant)
            if change.presence.is_chat_state:
                batch = (change.chat_id, change.timestamp)
                self._stamps[key] = change.timestamp
                self._batches.setdefault(batch, set()).add(change.participant)
                if deadline is None:
                    deadline = self._loop.time() + CHAT_STATE_TIMEOUT_SECONDS
                self._deadlines.pop(batch, None)
                self._deadlines[batch] = deadline
        if self._timer is None and self._deadlines:
            self._arm()

    def cancel(self, chat_id: str | None = None) -> None:
        """Cancel the fades of one chat, or of all."""
        for batch in [b for b in self._deadlines if chat_id in (None, b[0])]:
            del self._deadlines[batch]
            self._forget(batch)
        if not self._deadlines and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _leave(self, batch: Batch, participant: str) -> None:
        """Take a participant out of its batch; an emptied batch is never due."""
        members = self._batches[batch]
        members.discard(participant)
        if not members:
            del self._batches[batch]
            del self._deadlines[batch]

    def _forget(self, batch: Batch) -> set[str]:
        participants = self._batches.pop(batch)
        for participant in participants:
            del self._stamps[(batch[0], participant)]
        return participants

    def _arm(self) -> None:
        """Wake up when the earliest batch is due."""
        self._armed_for = next(iter(self._deadlines.values()))
        self._timer = self._loop.call_at(self._armed_for, self._due)

    def _due(self) -> None:
        """End every batch due by now, then wait for the next one."""
        self._timer = None
        # A late wake-up ends all that fell due meanwhile, not just what it was for.
        cutoff = max(self._armed_for, self._loop.time())
        due: list[Batch] = []
        for batch, deadline in self._deadlines.items():
            if deadline > cutoff:
                break
            due.append(batch)
        try:
            for batch in due:
                # Cancelled or restarted meanwhile by an earlier batch's writes.
                due_at = self._deadlines.get(batch)
                if due_at is None or due_at > cutoff:
                    continue
                del self._deadlines[batch]
                self._on_due(batch[0], batch[1], self._forget(batch))
        finally:
            # Whatever one batch's writes raised, the others still fade.
            if self._timer is None and self._deadlines:
                self._arm()
