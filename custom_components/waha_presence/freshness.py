"""Which events are recent enough to apply: WAHA's retry span and clock skew."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from typing import Any

from .const import LOGGER
from .models import ChatPresences, WahaEvent
from .session_config import WEBHOOK_RETRIES

# How far WAHA's clock and Home Assistant's may disagree.
CLOCK_SKEW_MS = 120_000
# WAHA sets no request timeout; this is what one attempt may take before the next.
ATTEMPT_ALLOWANCE_SECONDS = 10.0
# axios-retry adds up to 20 % to an exponential delay.
EXPONENTIAL_JITTER = 1.2


def retry_span_seconds(retries: Mapping[str, Any]) -> float:
    """Return the longest time WAHA keeps delivering one event under `retries`."""
    # `attempts` is axios-retry's `retries`: the first try comes on top.
    retry_count = int(retries["attempts"])
    delay = float(retries["delaySeconds"])
    numbers = range(1, retry_count + 1)
    match retries["policy"]:
        case "exponential":
            waits = sum(delay * 2.0**n * EXPONENTIAL_JITTER for n in numbers)
        case "linear":
            waits = sum(n * delay for n in numbers)
        case _:
            waits = retry_count * delay
    return waits + (retry_count + 1) * ATTEMPT_ALLOWANCE_SECONDS


# An event older than this is past the last retry WAHA would send: a replay.
MAX_AGE_MS = int(retry_span_seconds(WEBHOOK_RETRIES) * 1000) + CLOCK_SKEW_MS
MAX_AHEAD_MS = CLOCK_SKEW_MS


class Freshness(StrEnum):
    """Where an event's time lies against Home Assistant's clock."""

    FRESH = "fresh"
    STALE = "stale"
    AHEAD = "ahead"


def freshness(timestamp_ms: int, now_ms: int) -> Freshness:
    """Judge an envelope time (ms) against now (ms)."""
    if timestamp_ms > now_ms + MAX_AHEAD_MS:
        return Freshness.AHEAD
    if timestamp_ms < now_ms - MAX_AGE_MS:
        return Freshness.STALE
    return Freshness.FRESH


def without_future_last_seen(report: ChatPresences, now_ms: int) -> ChatPresences:
    """Return the report with every lastSeen beyond the clock skew left out."""
    limit = (now_ms + MAX_AHEAD_MS) / 1000
    # A plain loop: this runs on every event, and nearly always finds nothing.
    for entry in report.presences:
        if entry.last_seen is not None and entry.last_seen.timestamp() > limit:
            break
    else:
        return report
    return replace(
        report,
        presences=tuple(
            replace(entry, last_seen=None)
            if entry.last_seen is not None and entry.last_seen.timestamp() > limit
            else entry
            for entry in report.presences
        ),
    )


class FreshnessGate:
    """Refuses events outside the window; warns once per run of refusals."""

    def __init__(self) -> None:
        """Start with nothing refused."""
        self._warned = False

    def admit(self, event: WahaEvent, now_ms: int) -> bool:
        """Return True when the event is fresh enough to apply."""
        verdict = freshness(event.timestamp, now_ms)
        if verdict is Freshness.FRESH:
            self._warned = False
            return True
        seconds = abs(now_ms - event.timestamp) // 1000
        if self._warned:
            LOGGER.debug(
                "Ignored a WAHA %s event %s s %s", event.event, seconds, verdict
            )
            return False
        self._warned = True
        if verdict is Freshness.AHEAD:
            LOGGER.warning(
                "Ignored a WAHA %s event dated %s s ahead of Home Assistant's clock; "
                "if this repeats, the clocks of WAHA and Home Assistant disagree",
                event.event,
                seconds,
            )
        else:
            LOGGER.warning(
                "Ignored a WAHA %s event dated %s s ago, older than WAHA's retries "
                "(%s s); if this repeats, the clocks of WAHA and Home Assistant "
                "disagree",
                event.event,
                seconds,
                MAX_AGE_MS // 1000,
            )
        return False
