"""Runtime state kept per tracked chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from homeassistant.core import Context

from .models import PresenceStatus, is_group


@dataclass(slots=True)
class ParticipantState:
    """What we know of one participant's presence."""

    presence: PresenceStatus | None = None
    last_seen: datetime | None = None
    timestamp: int = 0


@dataclass(slots=True)
class ChatState:
    """A tracked chat: its names, ids and participants' presence."""

    chat_id: str
    name: str
    subentry_id: str
    # The contact's other id: its LID when tracked by phone, or the reverse.
    alias: str | None = None
    participants: dict[str, ParticipantState] = field(default_factory=dict)
    contact: ParticipantState = field(init=False)

    def __post_init__(self) -> None:
        """Key a direct chat's one participant, the contact, by the chat id."""
        self.contact = ParticipantState()
        if not is_group(self.chat_id):
            self.participants[self.chat_id] = self.contact

    @property
    def is_group(self) -> bool:
        """Return True when the chat is a group."""
        return is_group(self.chat_id)

    def members_with(self, presence: PresenceStatus) -> list[str]:
        """Return the participants of a group that currently show `presence`."""
        return sorted(
            participant
            for participant, state in self.participants.items()
            if state.presence is presence
        )


@dataclass(frozen=True, slots=True)
class PresenceChange:
    """What one update did to a participant; handed to the chat's listeners."""

    chat_id: str
    participant: str
    presence: PresenceStatus
    previous: PresenceStatus | None
    last_seen_changed: bool
    live: bool
    # Shared by every state change one WAHA event (or one cache read) causes.
    context: Context

    @property
    def presence_changed(self) -> bool:
        """Return True when the presence itself changed."""
        return self.presence is not self.previous

    @property
    def activity_changed(self) -> bool:
        """Return True when the contact went from inactive to active or back."""
        before = self.previous.is_active if self.previous else None
        return before != self.presence.is_active
