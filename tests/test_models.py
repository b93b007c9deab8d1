"""Parsers and id normalisation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.waha_presence import models
from custom_components.waha_presence.models import (
    MAX_ID_LENGTH,
    PresenceStatus,
    SessionStatus,
    WahaParseError,
    WahaPayloadError,
    normalize_chat_id,
    parse_chat_presences,
    parse_event,
    parse_last_seen,
    parse_me,
    parse_session,
    parse_version,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+31 6-1234 5678", "31612345678@c.us"),
        ("31612345678", "31612345678@c.us"),
        ("(031) 612.345.678", "031612345678@c.us"),
        ("31612345678@s.whatsapp.net", "31612345678@c.us"),
        ("31612345678@c.us", "31612345678@c.us"),
        (" 123456:12@lid ", "123456@lid"),
        ("120363000000000001@g.us", "120363000000000001@g.us"),
        ("31612345678-1500000000@g.us", "31612345678-1500000000@g.us"),
    ],
)
def test_normalize(given: str, expected: str) -> None:
    """Numbers and ids come out in WAHA's public form."""
    assert normalize_chat_id(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "",
        "hello",
        "123",
        "1234567890123456",
        "@c.us",
        "abc@example.com",
        "1@newsletter",
        "My Family@g.us",
        "x y@lid",
        "abc@c.us",
        "12-34-56@g.us",
    ],
)
def test_normalize_rejects(given: str) -> None:
    """Anything else is a parse error."""
    with pytest.raises(WahaParseError):
        normalize_chat_id(given)


def test_statuses() -> None:
    """Known statuses parse; future ones are UNKNOWN; login statuses are flagged."""
    assert SessionStatus.parse("WORKING") is SessionStatus.WORKING
    assert SessionStatus.parse("NEW_THING") is SessionStatus.UNKNOWN
    assert SessionStatus.PASSKEY_REQUIRED.needs_login
    assert not SessionStatus.STARTING.needs_login
    assert PresenceStatus.PAUSED.is_active
    assert not PresenceStatus.OFFLINE.is_active


def test_last_seen() -> None:
    """lastSeen is seconds; null, zero and junk are None."""
    assert parse_last_seen(1_700_000_000) == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )
    assert parse_last_seen(1_700_000_000.5) == datetime(
        2023, 11, 14, 22, 13, 20, 500_000, tzinfo=UTC
    )
    for value in (None, 0, -5, True, False, "1700000000", [1_700_000_000]):
        assert parse_last_seen(value) is None


def test_session_and_me() -> None:
    """Session presence is online/offline/null; the openapi's object form is ignored."""
    session = parse_session(
        {
            "name": "default",
            "status": "WORKING",
            "config": None,
            "me": None,
            "presence": {"x": 1},
        }
    )
    assert session.presence is None
    assert session.config == {}
    assert parse_me({"id": "1@c.us", "pushName": 5, "lid": ""}) == parse_me(
        {"id": "1@c.us"}
    )
    with pytest.raises(WahaParseError):
        parse_me({"pushName": "x"})
    with pytest.raises(WahaParseError):
        parse_session({"name": "default", "status": "WORKING", "config": []})


def test_presences() -> None:
    """Missing lists are empty; unknown values are kept as None."""
    assert parse_chat_presences({"id": "1@c.us"}).presences == ()
    result = parse_chat_presences(
        {
            "id": "1@c.us",
            "presences": [{"participant": "1@c.us", "lastKnownPresence": "away"}],
        }
    )
    assert result.presences[0].presence is None
    assert result.presences[0].raw_presence == "away"
    with pytest.raises(WahaParseError):
        parse_chat_presences({"id": "1@c.us", "presences": {}})


@pytest.mark.parametrize(
    "envelope",
    [
        [],
        {"id": "evt_1", "timestamp": "1", "event": "x", "session": "s", "payload": {}},
        {"id": "evt_1", "timestamp": True, "event": "x", "session": "s", "payload": {}},
        {"id": "evt_1", "timestamp": 1, "event": "x", "session": "s", "payload": []},
        {"id": "", "timestamp": 1, "event": "x", "session": "s", "payload": {}},
        {"id": "e", "timestamp": -1, "event": "x", "session": "s", "payload": {}},
        {"id": "e", "timestamp": 10**15, "event": "x", "session": "s", "payload": {}},
    ],
)
def test_event_rejects(envelope: object) -> None:
    """Envelopes without the documented shape are parse errors."""
    with pytest.raises(WahaParseError):
        parse_event(envelope)


@pytest.mark.parametrize(
    ("given", "parts"),
    [
        ("2026.2.1", (2026, 2, 1)),
        ("2025.8", (2025, 8)),
        ("2024.10.8", (2024, 10, 8)),
        ("2026.2.1-plus", (2026, 2, 1)),
        (" v2025.11.2 ", (2025, 11, 2)),
    ],
)
def test_parse_version(given: str, parts: tuple[int, ...]) -> None:
    """WAHA's versions compare as numbers: 2024.10.8 < 2025.8 <= 2025.8.3."""
    assert parse_version(given) == parts
    assert (parse_version("2024.10.8") < parse_version("2025.8")) is True
    assert (parse_version("2025.8.3") >= parse_version("2025.8")) is True
    assert (parse_version("2025.10.1") > parse_version("2025.8")) is True


@pytest.mark.parametrize("given", [None, 2026, "", "latest", "2026", "2026.2.1.4.5"])
def test_parse_version_refuses(given: object) -> None:
    """Anything but `year.month[.patch]` is a parse error."""
    with pytest.raises(WahaParseError):
        parse_version(given)


LONG = "1" * 1_000_000


def _envelope(**fields: object) -> dict[str, object]:
    return {
        "id": "evt_1",
        "timestamp": 1,
        "event": "presence.update",
        "session": "default",
        "payload": {"id": "31612345678@c.us", "presences": []},
    } | fields


@pytest.mark.parametrize("field", ["id", "event", "session"])
def test_long_envelope_fields_rejected(field: str) -> None:
    """Envelope ids and names longer than any of WAHA's are parse errors, not kept."""
    parse_event(_envelope(**{field: "e" * MAX_ID_LENGTH}))
    with pytest.raises(WahaParseError) as err:
        parse_event(_envelope(**{field: LONG}))
    assert not isinstance(err.value, WahaPayloadError)
    assert len(str(err.value)) < 200


def test_long_chat_id_never_reaches_the_cache() -> None:
    """A long id is refused before any regex work, and the id cache never holds it."""
    before = models._normalize.cache_info()
    for value in (LONG + "@c.us", LONG, " " + LONG):
        with pytest.raises(WahaParseError) as err:
            normalize_chat_id(value)
        assert len(str(err.value)) < 200
    assert models._normalize.cache_info() == before
    payload = {"id": LONG + "@c.us", "presences": []}
    with pytest.raises(WahaPayloadError):
        parse_event(_envelope(payload=payload))
    payload = {
        "id": "31612345678@c.us",
        "presences": [{"participant": LONG + "@c.us", "lastKnownPresence": "online"}],
    }
    with pytest.raises(WahaPayloadError):
        parse_event(_envelope(payload=payload))
    assert models._normalize.cache_info() == before


def test_long_status_rejected() -> None:
    """A status longer than any of WAHA's is refused, in events and session reads."""
    status = "S" * 900_000
    payload = {"name": "default", "status": status}
    with pytest.raises(WahaPayloadError) as err:
        parse_event(_envelope(event="session.status", payload=payload))
    assert len(str(err.value)) < 200
    with pytest.raises(WahaParseError):
        parse_session({"name": "default", "status": status, "config": {}})


def test_long_optional_values_dropped() -> None:
    """Optional strings that are too long are left out; unknown presences are cut."""
    me = parse_me({"id": "1@c.us", "pushName": LONG, "lid": LONG})
    assert me.push_name is None
    assert me.lid is None
    session = parse_session(
        {"name": "s", "status": "WORKING", "engine": {"engine": LONG}}
    )
    assert session.engine is None
    assert parse_event(_envelope(engine=LONG)).engine is None
    presences = parse_chat_presences(
        {
            "id": "1@c.us",
            "presences": [{"participant": "1@c.us", "lastKnownPresence": LONG}],
        }
    ).presences
    assert presences[0].presence is None
    assert presences[0].raw_presence is not None
    assert len(presences[0].raw_presence) <= 64


def test_last_seen_error_is_bounded() -> None:
    """A lastSeen no datetime can hold is named in a short error."""
    with pytest.raises(WahaParseError) as err:
        parse_last_seen(10**4000)
    assert len(str(err.value)) < 200
