"""The presence rules: what each WAHA presence report changes, free of Home Assistant."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from .const import LOGGER
from .engines import fade_target
from .models import ChatPresences, PresenceStatus, is_group, is_lid

SEEN_EVENT_IDS = 4096
LID_HELD_EVENTS = 32

# What a tracked chat's participants reached: participant -> (timestamp, event id).
type Stamps = dict[str, tuple[int, str]]


@dataclass(slots=True)
class ParticipantState:
    """What we know of one participant's presence."""

    presence: PresenceStatus | None = None
    last_seen: datetime | None = None
    # Envelope time (ms) and id of the last event applied, restored after a restart;
    # 0 while only cache reads were.
    timestamp: int = 0
    event_id: str = ""
    # True once an event set the presence in this run: cache reads then stand back.
    live: bool = False


@dataclass(slots=True)
class ChatState:
    """A tracked chat: its names, ids and participants' presence."""

    chat_id: str
    name: str
    subentry_id: str
    # The contact's other id: its LID when tracked by phone, or the reverse.
    alias: str | None = None
    # The chat's profile picture link (a WhatsApp CDN URL that expires), if shown.
    picture: str | None = None
    participants: dict[str, ParticipantState] = field(default_factory=dict)
    contact: ParticipantState = field(init=False)
    # Read several times per event: known from the id, so decided once.
    is_group: bool = field(init=False)

    def __post_init__(self) -> None:
        """Key a direct chat's one participant, the contact, by the chat id."""
        self.contact = ParticipantState()
        self.is_group = is_group(self.chat_id)
        if not self.is_group:
            self.participants[self.chat_id] = self.contact

    def members_with(self, presence: PresenceStatus) -> list[str]:
        """Return the participants of a group that currently show `presence`."""
        return sorted(
            participant
            for participant, state in self.participants.items()
            if state.presence is presence
        )


# Built for every change: not frozen, for speed (see models.ParticipantPresence).
@dataclass(slots=True)
class PresenceChange:
    """What one report did to one participant of a tracked chat."""

    chat_id: str
    participant: str
    presence: PresenceStatus
    previous: PresenceStatus | None
    last_seen_changed: bool
    # False for cache reads: they show a state, they did not just happen.
    live: bool
    # The participant's ordering stamp after the change; a fade must match it.
    timestamp: int = 0

    @property
    def presence_changed(self) -> bool:
        """Return True when the presence itself changed."""
        return self.presence is not self.previous

    @property
    def activity_changed(self) -> bool:
        """Return True when the contact went from inactive to active or back."""
        before = self.previous.is_active if self.previous else None
        return before != self.presence.is_active


@dataclass(slots=True)
class Applied:
    """The outcome of one report: the changes, and a LID to look up if any."""

    chat: ChatState | None = None
    changes: tuple[PresenceChange, ...] = ()
    lookup: str | None = None


def minute_of(timestamp_ms: int) -> datetime:
    """Return the minute an event happened in, as WhatsApp shows last seen."""
    return _minute(timestamp_ms // 60_000)


@lru_cache(maxsize=16)  # a busy stream's events fall in a few minutes
def _minute(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


class PresenceTracker:
    """Tracked chats and their participants' presence, kept in event order."""

    def __init__(self) -> None:
        """Start with nothing tracked."""
        self.chats: dict[str, ChatState] = {}
        # Every id a tracked chat is reported under -> its tracked id.
        self._aliases: dict[str, str] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        # LIDs that are no tracked contact, and reports held while one is looked up.
        self._lids_unknown: set[str] = set()
        self._held: dict[str, deque[tuple[ChatPresences, int, str]]] = {}
        # WAHA's names of untracked people seen in tracked groups.
        self.contact_names: dict[str, str] = {}
        # Ordering restored from before a restart, taken when a chat is tracked.
        self._restored: dict[str, Stamps] = {}

    # Tracked chats -------------------------------------------------------------

    def track(self, chat_id: str, name: str, subentry_id: str) -> ChatState:
        """Start tracking a chat under its own id."""
        chat = ChatState(chat_id=chat_id, name=name, subentry_id=subentry_id)
        for participant, (timestamp, event_id) in self._restored.pop(
            chat_id, {}
        ).items():
            state = chat.participants.setdefault(participant, ParticipantState())
            state.timestamp, state.event_id = timestamp, event_id
        self.chats[chat_id] = chat
        self._aliases[chat_id] = chat_id
        # A LID that was nobody's may be this chat's: ask again when it shows up.
        self._lids_unknown.clear()
        return chat

    def untrack(self, chat_id: str) -> None:
        """Forget a chat and every id it was reported under."""
        self.chats.pop(chat_id, None)
        self._aliases = {
            alias: target
            for alias, target in self._aliases.items()
            if target != chat_id
        }

    def tracked_chat_id(self, chat_id: str) -> str | None:
        """Return the id of the tracked chat that `chat_id` is, under either id."""
        tracked = self._aliases.get(chat_id)
        return tracked if tracked in self.chats else None

    def display_name(self, participant: str) -> str:
        """Return a tracked contact's name, WAHA's name, or the id's user part."""
        if (chat_id := self.tracked_chat_id(participant)) is not None:
            return self.chats[chat_id].name
        if (name := self.contact_names.get(participant)) is not None:
            return name
        return participant.split("@", 1)[0]

    def knows_name(self, participant: str) -> bool:
        """Return True when a participant's name is known, not just its id."""
        return (
            self.tracked_chat_id(participant) is not None
            or participant in self.contact_names
        )

    def contacts_without_alias(self) -> list[ChatState]:
        """Return the tracked contacts whose other id is not known yet."""
        return [
            chat
            for chat in self.chats.values()
            if chat.alias is None and not chat.is_group
        ]

    def learn_alias(self, chat_id: str, alias: str) -> bool:
        """Record a contact's other id; False when another tracked chat has it."""
        chat = self.chats.get(chat_id)
        # A contact tracked twice, by number and by LID, keeps its devices apart.
        if chat is None or self._aliases.setdefault(alias, chat_id) != chat_id:
            return False
        chat.alias = alias
        return True

    # Events ----------------------------------------------------------------------

    def is_duplicate(self, event_id: str) -> bool:
        """Return True for an event id seen before; remember it otherwise."""
        if event_id in self._seen:
            return True
        self._seen[event_id] = None
        if len(self._seen) > SEEN_EVENT_IDS:
            self._seen.popitem(last=False)
        return False

    def apply(
        self, report: ChatPresences, timestamp: int | None, event_id: str = ""
    ) -> Applied:
        """Apply an event (`timestamp` in ms) or a cache read (`timestamp` None)."""
        chat_id = self._aliases.get(report.chat_id)
        if chat_id is None:
            if is_lid(report.chat_id) and timestamp is not None:
                held = self._hold(report.chat_id, (report, timestamp, event_id))
                return Applied(lookup=held)
            return Applied()
        if (chat := self.chats.get(chat_id)) is None:
            return Applied()
        changes: list[PresenceChange] = []
        # A direct chat may list its contact twice in one report: both count.
        applied: set[str] = set()
        for entry in report.presences:
            if entry.presence is None:
                LOGGER.debug(
                    "Ignoring presence %r of %s", entry.raw_presence, entry.participant
                )
                continue
            participant = entry.participant if chat.is_group else chat.chat_id
            if participant == chat.chat_id and chat.is_group:
                # NOWEB lists the group's own presence beside its members'.
                continue
            if (state := chat.participants.get(participant)) is None:
                state = chat.participants[participant] = ParticipantState()
            if timestamp is None:
                # A cache read must not undo anything an event already told us.
                if state.live:
                    continue
            elif timestamp < state.timestamp or (
                # The last event applied, sent again after its id left the window.
                timestamp == state.timestamp
                and event_id
                and event_id == state.event_id
                and participant not in applied
            ):
                continue
            else:
                state.timestamp, state.event_id, state.live = timestamp, event_id, True
                applied.add(participant)
            previous, last_seen = state.presence, state.last_seen
            state.presence = entry.presence
            if entry.last_seen is not None:
                state.last_seen = entry.last_seen
            elif entry.presence.is_active and timestamp is not None:
                # Minute resolution, as WhatsApp shows it: a chatty contact does
                # not rewrite the sensor on every keystroke.
                state.last_seen = minute_of(timestamp)
            last_seen_changed = state.last_seen != last_seen
            live = timestamp is not None
            # Positional, in field order: keywords make a dataclass call much slower.
            changes.append(
                PresenceChange(
                    chat.chat_id,
                    participant,
                    entry.presence,
                    previous,
                    last_seen_changed,
                    live,
                    state.timestamp,
                )
            )
        return Applied(chat, tuple(changes))

    def fade(
        self, chat_id: str, participant: str, stamp: int, engine: str | None
    ) -> PresenceChange | None:
        """End a typing or recording nobody refreshed, as WhatsApp's indicator does."""
        chat = self.chats.get(chat_id)
        state = chat.participants.get(participant) if chat else None
        if state is None or state.timestamp != stamp or state.presence is None:
            return None
        if not state.presence.is_chat_state:
            return None
        previous = state.presence
        state.presence = fade_target(engine)
        return PresenceChange(
            chat_id=chat_id,
            participant=participant,
            presence=state.presence,
            previous=previous,
            last_seen_changed=False,
            live=True,
            timestamp=stamp,
        )

    # LIDs ------------------------------------------------------------------------

    def _hold(self, lid: str, event: tuple[ChatPresences, int, str]) -> str | None:
        """Keep a report of an unknown LID; return the LID when it needs a lookup."""
        if lid in self._lids_unknown:
            return None
        if (held := self._held.get(lid)) is not None:
            # Kept for when the lookup answers, the newest if there are too many;
            # ordering sorts them out then.
            held.append(event)
            return None
        self._held[lid] = deque([event], maxlen=LID_HELD_EVENTS)
        return lid

    def lid_resolved(self, lid: str, phone: str | None) -> list[Applied]:
        """Take WAHA's answer for a LID; return what its held reports changed."""
        held = self._held.pop(lid, ())
        if phone is None or not self.learn_alias(phone, lid):
            self._lids_unknown.add(lid)
            return []
        return [self.apply(*event) for event in held]

    def lid_failed(self, lid: str, *, retry: bool) -> None:
        """Drop the reports held for a LID; ask again next time only if `retry`."""
        self._held.pop(lid, None)
        if not retry:
            self._lids_unknown.add(lid)

    # Ordering across restarts ---------------------------------------------------

    def snapshot(self) -> dict[str, Stamps]:
        """Return the ordering every tracked chat's participants reached."""
        return {
            chat_id: {
                participant: (state.timestamp, state.event_id)
                for participant, state in chat.participants.items()
                if state.timestamp
            }
            for chat_id, chat in self.chats.items()
        }

    def restore(self, snapshot: dict[str, Stamps]) -> None:
        """Take the ordering of a snapshot; each chat takes its own when tracked."""
        self._restored = {chat_id: dict(stamps) for chat_id, stamps in snapshot.items()}
