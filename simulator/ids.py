"""Ids and clocks: chat id normalisation, ULID-style event ids, millisecond time."""

from __future__ import annotations

import secrets
import time

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def now_ms() -> int:
    """Return the current Unix time in milliseconds."""
    return time.time_ns() // 1_000_000


def now_s() -> int:
    """Return the current Unix time in seconds."""
    return time.time_ns() // 1_000_000_000


def ulid(timestamp_ms: int | None = None) -> str:
    """Return a 26-character lower-case ULID (48-bit ms time, 80 random bits)."""
    ms = now_ms() if timestamp_ms is None else timestamp_ms
    value = (ms & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    chars = [_CROCKFORD[(value >> shift) & 31] for shift in range(125, -5, -5)]
    return "".join(chars)


def event_id(timestamp_ms: int | None = None) -> str:
    """Return an event id the way WAHA makes them: `evt_` plus a lower-case ULID."""
    return f"evt_{ulid(timestamp_ms)}"


def normalize_chat_id(value: str) -> str:
    """Return WAHA's public form of a chat id (bare number and @s.whatsapp.net → @c.us)."""
    value = value.strip()
    if "@" not in value:
        return f"{value}@c.us"
    local, _, server = value.partition("@")
    if server == "s.whatsapp.net":
        server = "c.us"
    if server in {"c.us", "lid"}:
        # Device suffixes (`123:45@lid`) are dropped like WAHA's normalizeJid does.
        local = local.split(":", 1)[0]
    return f"{local}@{server}"


def normalize_lid(value: str) -> str:
    """Return a LID with its `@lid` suffix (a bare number gets one)."""
    value = value.strip()
    return value if "@" in value else f"{value}@lid"


def phone_digits(value: str) -> str:
    """Return the digits of a phone number or of the user part of a chat id."""
    local = value.strip().partition("@")[0].split(":", 1)[0]
    return "".join(ch for ch in local if ch.isdigit())
