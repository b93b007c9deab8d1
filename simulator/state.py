"""The simulated world: sessions, contacts, groups, recorded traffic."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDict

from .const import STOPPED


@dataclass(slots=True)
class SimContact:
    """A WhatsApp user the session knows."""

    id: str
    name: str | None = None
    pushname: str | None = None
    lid: str | None = None
    on_whatsapp: bool = True
    reports_as_lid: bool = False
    # The account has a chat with this contact: it is in the chats overview.
    has_chat: bool = True
    # The current profile picture's name; None: none, or privacy hides it.
    picture: str | None = None
    # WhatsApp refuses the lookup (`not-authorized`, rate limit).
    picture_refused: bool = False

    @property
    def reported_id(self) -> str:
        """Return the id the engine puts in this contact's events."""
        return self.lid if self.reports_as_lid and self.lid else self.id

    @property
    def ids(self) -> frozenset[str]:
        """Return every id this contact is known under."""
        return frozenset(i for i in (self.id, self.lid) if i)


@dataclass(slots=True)
class SimGroup:
    """A WhatsApp group and its members (`@c.us` or `@lid` ids)."""

    id: str
    name: str
    participants: list[str]
    picture: str | None = None


@dataclass(eq=False)
class SimSession:
    """One WAHA session: its status, config, own presence and engine caches."""

    name: str
    engine: str
    status: str
    config: dict[str, Any]
    me: dict[str, Any] | None
    presence: str | None = None
    subscriptions: set[str] = field(default_factory=set)
    activity_ts: int | None = None
    contacts: dict[str, SimContact] = field(default_factory=dict)
    groups: dict[str, SimGroup] = field(default_factory=dict)
    # chat id → participant → WAHAPresenceData, as the engine caches it.
    presences: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    offline_timer: asyncio.TimerHandle | None = None
    # The engine's reconnect loop while WhatsApp is out of reach.
    outage: asyncio.Task[None] | None = None
    # WAHA's 24-hour picture cache: contactId as given → (URL or None, cached at s).
    pictures: dict[str, tuple[str | None, float]] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        """Return whether the session has been started (any status but STOPPED)."""
        return self.status != STOPPED

    def find_contact(self, chat_id: str) -> SimContact | None:
        """Return the contact known under a `@c.us` id or a LID."""
        if contact := self.contacts.get(chat_id):
            return contact
        return next((c for c in self.contacts.values() if c.lid == chat_id), None)


@dataclass(slots=True)
class RecordedRequest:
    """One HTTP request the simulator received."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    json: Any
    body: bytes = b""


@dataclass(slots=True)
class Delivery:
    """One webhook POST attempt."""

    url: str
    body: bytes
    headers: dict[str, str]
    status: int | None
    error: str | None
    attempt: int
    event: str = ""
    event_id: str = ""


# A FailRule status: close the connection without answering (WAHA crashed).
DROP = 0


@dataclass(slots=True)
class FailRule:
    """Answer the next matching request(s) with a canned response, or `DROP`."""

    method: str
    path: str
    status: int
    body: Any
    count: int


@dataclass(slots=True)
class DelayRule:
    """Hold the next matching request(s) before answering."""

    method: str
    path: str
    seconds: float
    count: int
