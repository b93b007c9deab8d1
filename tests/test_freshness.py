"""The freshness window: WAHA's retry span, clock skew, lastSeen from the future."""

from __future__ import annotations

from datetime import UTC, datetime
import logging

import pytest

from custom_components.waha_presence.freshness import (
    MAX_AGE_MS,
    MAX_AHEAD_MS,
    Freshness,
    FreshnessGate,
    freshness,
    retry_span_seconds,
    without_future_last_seen,
)
from custom_components.waha_presence.models import (
    MAX_TIMESTAMP_MS,
    ChatPresences,
    ParticipantPresence,
    PresenceStatus,
    WahaEvent,
)
from custom_components.waha_presence.session_config import WEBHOOK_RETRIES

NOW = 1_796_000_000_000
HOUR = 3_600_000


def test_window_covers_our_retries() -> None:
    """Our webhook's six exponential retries fit in the window, with room for skew."""
    # Waits 4, 8, 16, 32, 64 and 128 s, each up to 20 % longer, plus 7 attempts.
    assert retry_span_seconds(WEBHOOK_RETRIES) == pytest.approx(252 * 1.2 + 70)
    assert pytest.approx((252 * 1.2 + 70 + 120) * 1000) == MAX_AGE_MS
    assert MAX_AHEAD_MS == 120_000


@pytest.mark.parametrize(
    ("retries", "span"),
    [
        ({"policy": "constant", "delaySeconds": 2, "attempts": 15}, 30 + 160),
        ({"policy": "linear", "delaySeconds": 2, "attempts": 3}, 12 + 40),
        ({"policy": "exponential", "delaySeconds": 0, "attempts": 2}, 30),
    ],
)
def test_retry_span_per_policy(retries: dict[str, object], span: float) -> None:
    """Each of WAHA's policies spans its waits plus what its attempts may take."""
    assert retry_span_seconds(retries) == pytest.approx(span)


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (NOW, Freshness.FRESH),
        (NOW + MAX_AHEAD_MS, Freshness.FRESH),
        (NOW - MAX_AGE_MS, Freshness.FRESH),
        (NOW + MAX_AHEAD_MS + 1, Freshness.AHEAD),
        (MAX_TIMESTAMP_MS, Freshness.AHEAD),
        (NOW - MAX_AGE_MS - 1, Freshness.STALE),
        (NOW - 6 * HOUR, Freshness.STALE),
        (0, Freshness.STALE),
    ],
)
def test_freshness(timestamp: int, expected: Freshness) -> None:
    """Only times inside the skew ahead and the retry span behind are fresh."""
    assert freshness(timestamp, NOW) is expected


def _report(*last_seen: int | None) -> ChatPresences:
    return ChatPresences(
        chat_id="1@c.us",
        presences=tuple(
            ParticipantPresence(
                participant="1@c.us",
                presence=PresenceStatus.OFFLINE,
                last_seen=datetime.fromtimestamp(seen, UTC) if seen else None,
            )
            for seen in last_seen
        ),
    )


def test_future_last_seen_left_out() -> None:
    """A lastSeen beyond the skew is dropped; past and skewed ones are kept."""
    now_s = NOW // 1000
    kept = _report(now_s - 86_400, now_s + 60, None)
    assert without_future_last_seen(kept, NOW) is kept
    report = _report(now_s - 60, 253_402_300_799)
    cleaned = without_future_last_seen(report, NOW)
    assert cleaned.presences[0] == report.presences[0]
    assert cleaned.presences[1].last_seen is None
    assert cleaned.presences[1].presence is PresenceStatus.OFFLINE


def _event(timestamp: int) -> WahaEvent:
    return WahaEvent(
        id="evt_1",
        timestamp=timestamp,
        event="presence.update",
        session="s",
        engine=None,
    )


def test_gate_warns_once_per_run_of_refusals(caplog: pytest.LogCaptureFixture) -> None:
    """The first refusal warns (a clock may be off); the next only debug, until one passes."""
    caplog.set_level(logging.DEBUG)
    gate = FreshnessGate()
    assert not gate.admit(_event(MAX_TIMESTAMP_MS), NOW)
    assert not gate.admit(_event(NOW - 6 * HOUR), NOW)
    assert gate.admit(_event(NOW), NOW)
    assert not gate.admit(_event(NOW - 6 * HOUR), NOW)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "ahead of Home Assistant's clock" in warnings[0]
    assert "21600 s ago" in warnings[1]
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG]) == 1
