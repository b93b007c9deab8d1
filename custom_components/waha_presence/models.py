"""Typed models and strict parsers for WAHA's JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
import re
from typing import Any

from .const import EVENT_PRESENCE_UPDATE, EVENT_SESSION_STATUS


class WahaParseError(ValueError):
    """Raised when WAHA JSON does not have the documented shape."""


class WahaPayloadError(WahaParseError):
    """Raised when an event's envelope is sound but its payload is not."""


class PresenceStatus(StrEnum):
    """A chat presence, exactly WAHA's `WAHAPresenceStatus`."""

    ONLINE = "online"
    OFFLINE = "offline"
    TYPING = "typing"
    RECORDING = "recording"
    PAUSED = "paused"

    @property
    def is_active(self) -> bool:
        """Return True when the presence means the contact is in the app."""
        return self is not PresenceStatus.OFFLINE

    @property
    def is_chat_state(self) -> bool:
        """Return True for typing or recording: shown in one chat, and fading."""
        return self in CHAT_STATES


# What a person does inside one chat; WhatsApp hides it when not refreshed.
CHAT_STATES: frozenset[PresenceStatus] = frozenset(
    {PresenceStatus.TYPING, PresenceStatus.RECORDING}
)


# The last millisecond a datetime can hold (9999-12-31T23:59:59.999Z).
MAX_TIMESTAMP_MS = 253_402_300_799_999
# WAHA's ids, names and statuses are short; longer text is no WAHA value.
MAX_ID_LENGTH = 400
MAX_STATUS_LENGTH = 64
EXCERPT_LENGTH = 40


def clip(text: str) -> str:
    """Return text fit for a log line or an error: its start, and its length if cut."""
    if len(text) <= EXCERPT_LENGTH:
        return text
    return f"{text[:EXCERPT_LENGTH]}… ({len(text)} characters)"


_PRESENCES: dict[str, PresenceStatus] = {p.value: p for p in PresenceStatus}
ACCOUNT_PRESENCES: frozenset[PresenceStatus] = frozenset(
    {PresenceStatus.ONLINE, PresenceStatus.OFFLINE}
)


class SessionStatus(StrEnum):
    """A WAHA session status; statuses we do not know map to UNKNOWN."""

    STOPPED = "STOPPED"
    STARTING = "STARTING"
    SCAN_QR_CODE = "SCAN_QR_CODE"
    WORKING = "WORKING"
    FAILED = "FAILED"
    PASSKEY_REQUIRED = "PASSKEY_REQUIRED"
    PASSKEY_CONFIRMATION_REQUIRED = "PASSKEY_CONFIRMATION_REQUIRED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: object) -> SessionStatus:
        """Map a raw status to a member, UNKNOWN for future values."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN

    @property
    def needs_login(self) -> bool:
        """Return True when a person has to act in WAHA to log in again."""
        return self in _LOGIN_STATUSES


_LOGIN_STATUSES = frozenset(
    {
        SessionStatus.SCAN_QR_CODE,
        SessionStatus.FAILED,
        SessionStatus.PASSKEY_REQUIRED,
        SessionStatus.PASSKEY_CONFIRMATION_REQUIRED,
    }
)


@dataclass(frozen=True, slots=True)
class MeInfo:
    """The WhatsApp account behind a session."""

    id: str
    push_name: str | None = None
    lid: str | None = None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One entry of `GET /api/sessions`."""

    name: str
    status: SessionStatus
    raw_status: str
    config: dict[str, Any]
    me: MeInfo | None
    presence: PresenceStatus | None
    engine: str | None = None


# What every event builds (here and in presence.py) is a plain slotted dataclass,
# treated as read-only: a frozen one sets each field through object.__setattr__,
# which makes it four times slower to build.
@dataclass(slots=True)
class ParticipantPresence:
    """One participant's presence; `presence` is None for values WAHA left out."""

    participant: str
    presence: PresenceStatus | None
    last_seen: datetime | None
    raw_presence: str | None = None


@dataclass(slots=True)
class ChatPresences:
    """A chat and the presences of its participants."""

    chat_id: str
    presences: tuple[ParticipantPresence, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionStatusPayload:
    """The payload of a `session.status` event."""

    name: str
    status: SessionStatus
    raw_status: str


@dataclass(slots=True)
class WahaEvent:
    """A WAHA event envelope, as delivered by webhook or WebSocket."""

    id: str
    timestamp: int
    event: str
    session: str
    engine: str | None


@dataclass(slots=True)
class PresenceEvent(WahaEvent):
    """A `presence.update` event with its parsed payload."""

    chat: ChatPresences


@dataclass(slots=True)
class StatusEvent(WahaEvent):
    """A `session.status` event with its parsed payload."""

    status: SessionStatusPayload


def _require_str(
    data: dict[str, Any], key: str, max_length: int = MAX_ID_LENGTH
) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise WahaParseError(f"'{key}' must be a non-empty string")
    if len(value) > max_length:
        raise WahaParseError(f"'{key}' is longer than {max_length} characters")
    return value


def _short_str(value: object, max_length: int = MAX_STATUS_LENGTH) -> str | None:
    """Return an optional string, or None when it is missing, empty or too long."""
    if isinstance(value, str) and 0 < len(value) <= max_length:
        return value
    return None


def _require_dict(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WahaParseError(f"{what} must be an object")
    return value


def parse_me(value: object) -> MeInfo | None:
    """Parse `me`, which is null before the session is authenticated."""
    if value is None:
        return None
    data = _require_dict(value, "me")
    return MeInfo(
        id=_require_str(data, "id"),
        push_name=_short_str(data.get("pushName"), MAX_ID_LENGTH),
        lid=_short_str(data.get("lid"), MAX_ID_LENGTH),
    )


def parse_account_presence(value: object) -> PresenceStatus | None:
    """Parse a session's own presence: online, offline or null."""
    if value in (PresenceStatus.ONLINE.value, PresenceStatus.OFFLINE.value):
        return PresenceStatus(str(value))
    return None


def parse_session(value: object) -> SessionInfo:
    """Parse a `SessionInfo` or `SessionDetailedInfo` object."""
    data = _require_dict(value, "session")
    raw_status = _require_str(data, "status", MAX_STATUS_LENGTH)
    config = data.get("config")
    if config is None:
        config = {}
    engine = data.get("engine")
    return SessionInfo(
        name=_require_str(data, "name"),
        status=SessionStatus.parse(raw_status),
        raw_status=raw_status,
        config=_require_dict(config, "config"),
        me=parse_me(data.get("me")),
        presence=parse_account_presence(data.get("presence")),
        engine=_short_str(engine.get("engine")) if isinstance(engine, dict) else None,
    )


def parse_last_seen(value: object) -> datetime | None:
    """Convert WAHA's `lastSeen` (Unix seconds, or null) to an aware datetime."""
    if value is None:  # most reports: anyone not offline
        return None
    # Exact types: JSON gives no subclasses, and a bool is no time.
    if (type(value) is not int and type(value) is not float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError) as err:
        # Milliseconds where seconds belong, or garbage: not a time we can show.
        raise WahaParseError(
            f"'lastSeen' {clip(repr(value))} is not a Unix time"
        ) from err


def parse_chat_presences(value: object) -> ChatPresences:
    """Parse a `WAHAChatPresences` object."""
    data = _require_dict(value, "presence payload")
    raw_presences = data.get("presences")
    if raw_presences is None:
        raw_presences = []
    if not isinstance(raw_presences, list):
        raise WahaParseError("'presences' must be a list")
    presences: list[ParticipantPresence] = []
    for item in raw_presences:
        entry = _require_dict(item, "presence entry")
        participant = normalize_chat_id(_require_str(entry, "participant"))
        raw = entry.get("lastKnownPresence")
        if not isinstance(raw, str):
            raw = None
        presence = _PRESENCES.get(raw) if raw is not None else None
        last_seen = parse_last_seen(entry.get("lastSeen"))
        # Only logged, so its start is enough.
        raw_presence = raw[:MAX_STATUS_LENGTH] if raw is not None else None
        # Positional, in field order: keywords make a dataclass call much slower.
        presences.append(
            ParticipantPresence(participant, presence, last_seen, raw_presence)
        )
    chat_id = normalize_chat_id(_require_str(data, "id"))
    return ChatPresences(chat_id, tuple(presences))


def parse_session_status(value: object) -> SessionStatusPayload:
    """Parse a `session.status` payload."""
    data = _require_dict(value, "session.status payload")
    raw_status = _require_str(data, "status", MAX_STATUS_LENGTH)
    return SessionStatusPayload(
        name=_require_str(data, "name"),
        status=SessionStatus.parse(raw_status),
        raw_status=raw_status,
    )


def parse_event(value: object) -> WahaEvent:
    """Parse a WAHA event envelope and, for the events we follow, its payload."""
    data = _require_dict(value, "event")
    timestamp = data.get("timestamp")
    if type(timestamp) is not int:  # exact: a bool is no time
        raise WahaParseError("'timestamp' must be an integer (ms)")
    if not 0 <= timestamp <= MAX_TIMESTAMP_MS:
        raise WahaParseError(f"'timestamp' {clip(str(timestamp))} is not a time in ms")
    payload = _require_dict(data.get("payload"), "payload")
    event_id = _require_str(data, "id")
    event = _require_str(data, "event")
    session = _require_str(data, "session")
    engine = _short_str(data.get("engine"))
    # Positional, in field order: keywords make a dataclass call much slower.
    try:
        if event == EVENT_PRESENCE_UPDATE:
            chat = parse_chat_presences(payload)
            return PresenceEvent(event_id, timestamp, event, session, engine, chat)
        if event == EVENT_SESSION_STATUS:
            status = parse_session_status(payload)
            return StatusEvent(event_id, timestamp, event, session, engine, status)
    except WahaParseError as err:
        raise WahaPayloadError(f"{event} payload: {err}") from err
    return WahaEvent(event_id, timestamp, event, session, engine)


# `2026.2.1`, `2025.8`, and tags with a suffix such as `2026.2.1-plus`.
_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?![\d.])")


def parse_version(value: object) -> tuple[int, ...]:
    """Return a WAHA version's numbers (`2024.10.8` → (2024, 10, 8)) to compare."""
    match = _VERSION_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise WahaParseError(f"{value!r} is not a WAHA version")
    return tuple(int(part) for part in match.groups() if part is not None)


_PHONE_RE = re.compile(r"^\+?[\d\s\-().]{5,30}$")
# What may stand before the `@`: numbers, and old groups' `creator-time` ids.
_USERS = {
    "c.us": re.compile(r"\d+"),
    "lid": re.compile(r"\d+"),
    "g.us": re.compile(r"\d+(?:-\d+)?"),
}


def normalize_chat_id(value: str) -> str:
    """Return WAHA's public form (`…@c.us`, `…@g.us`, `…@lid`) of a number or id."""
    # Checked before the cache: it must neither keep nor scan long text.
    if len(value) > MAX_ID_LENGTH:
        raise WahaParseError(f"'{clip(value)}' is not a phone number or chat id")
    return _normalize(value)


@lru_cache(maxsize=4096)  # every event carries ids seen many times before
def _normalize(value: str) -> str:
    # Accepts `+31 6-1234 5678`, `…@s.whatsapp.net` and device suffixes (`1:4@lid`).
    text = value.strip()
    if "@" not in text:
        if not _PHONE_RE.match(text):
            raise WahaParseError(f"'{clip(value)}' is not a phone number or chat id")
        digits = re.sub(r"\D", "", text)
        if not 5 <= len(digits) <= 15:
            raise WahaParseError(f"'{clip(value)}' is not a phone number or chat id")
        return f"{digits}@c.us"
    user, _, server = text.rpartition("@")
    user = user.split(":", 1)[0]
    if server == "s.whatsapp.net":
        server = "c.us"
    if (pattern := _USERS.get(server)) is None or not pattern.fullmatch(user):
        raise WahaParseError(f"'{clip(value)}' is not a phone number or chat id")
    return f"{user}@{server}"


def is_group(chat_id: str) -> bool:
    """Return True for a group chat id."""
    return chat_id.endswith("@g.us")


def is_lid(chat_id: str) -> bool:
    """Return True for a LID (hidden) user id."""
    return chat_id.endswith("@lid")
