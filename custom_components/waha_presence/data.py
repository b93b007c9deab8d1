"""Runtime state kept per tracked chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
    lid: str | None = None
    participants: dict[str, ParticipantState] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        """Return True when the chat is a group."""
        return is_group(self.chat_id)

    @property
    def contact(self) -> ParticipantState:
        """Return the state of a direct chat's contact."""
        return self.participants.setdefault(self.chat_id, ParticipantState())

    def members_with(self, presence: PresenceStatus) -> list[str]:
        """Return the participants of a group that currently show `presence`."""
        return sorted(
            participant
            for participant, state in self.participants.items()
            if state.presence is presence and participant != self.chat_id
        )


@dataclass(frozen=True, slots=True)
class PresenceChange:
    """A participant's presence changed; handed to the chat's listeners."""

    chat_id: str
    participant: str
    presence: PresenceStatus
    previous: PresenceStatus | None
    last_seen: datetime | None
