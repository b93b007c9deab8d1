"""The webhook: HMAC on the raw body, malformed and foreign events, logging."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
import gzip
import json
import logging
from typing import Any

from aiohttp.test_utils import TestClient
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.waha_presence.webhook import Signer
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator

from .const import ALICE, HMAC_KEY, SESSION, WEBHOOK_ID
from .helpers import minute_ago_ms, post_event, presence_payload, wait_for

PRESENCE = "sensor.alice_presence"
SEEN = "sensor.alice_last_seen"
ACTIVITY = "event.alice_activity"
STATUS = "sensor.home_session_status"
URL = f"/api/webhook/{WEBHOOK_ID}"


def test_waha_documented_vector() -> None:
    """Our signature matches WAHA's documented HMAC example."""
    body = b'{"event":"message","session":"default","engine":"WEBJS"}'
    assert Signer("my-secret-key").sign(body) == (
        "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8"
        "097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89"
    )


async def test_signed_event_updates_state(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A correctly signed presence event reaches the contact's sensor."""
    status = await post_event(
        ha_client, waha, "presence.update", presence_payload(ALICE, "typing")
    )
    assert status == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "typing"


async def test_session_status_event(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A session.status event moves the diagnostic sensor, unknown ones included."""
    payload = {"name": SESSION, "status": "SCAN_QR_CODE", "statuses": []}
    assert await post_event(ha_client, waha, "session.status", payload) == 200
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "scan_qr_code"
    payload = {"name": SESSION, "status": "SOMETHING_NEW", "statuses": []}
    assert await post_event(ha_client, waha, "session.status", payload) == 200
    await hass.async_block_till_done()
    state = hass.states.get(STATUS)
    assert state.state == "unknown"
    assert state.attributes["raw_status"] == "SOMETHING_NEW"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no signature"),
        ({"X-Webhook-Hmac": "00" * 64}, "wrong signature"),
        ({"X-Webhook-Hmac": Signer("another-key").sign(b"x")}, "wrong signature"),
        ({"X-Webhook-Hmac": "\u00e9" * 128}, "wrong signature"),
    ],
)
async def test_bad_signature_rejected_once_logged(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    reason: str,
) -> None:
    """Unsigned or wrongly signed calls get 401, change nothing, warn once."""
    body = json.dumps(
        waha.build_envelope(
            SESSION, "presence.update", presence_payload(ALICE, "online")
        )
    ).encode()
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        response = await ha_client.post(URL, data=body, headers=headers)
        assert response.status == 401
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "unknown"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert reason in warnings[0].getMessage()
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("custom_components")
    )
    assert HMAC_KEY not in ours
    assert WEBHOOK_ID not in ours
    assert "Traceback" not in caplog.text


async def test_signature_over_raw_bytes(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """Re-serialising the JSON breaks the signature: the raw bytes are what count."""
    envelope = waha.build_envelope(
        SESSION, "presence.update", presence_payload(ALICE, "online")
    )
    signed = json.dumps(envelope).encode()
    sent = json.dumps(envelope, indent=2).encode()
    response = await ha_client.post(
        URL, data=sent, headers={"X-Webhook-Hmac": Signer(HMAC_KEY).sign(signed)}
    )
    assert response.status == 401
    response = await ha_client.post(
        URL, data=sent, headers={"X-Webhook-Hmac": Signer(HMAC_KEY).sign(sent).upper()}
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "online"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"event": "presence.update"}', "\u00e9".encode("latin-1")],
)
async def test_malformed_body_is_400(
    hass: HomeAssistant,
    ha_client: TestClient,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
) -> None:
    """A signed body that is not a WAHA envelope is a 400, never a traceback."""
    response = await ha_client.post(
        URL, data=body, headers={"X-Webhook-Hmac": Signer(HMAC_KEY).sign(body)}
    )
    assert response.status == 400
    assert hass.states.get(PRESENCE).state == "unknown"
    assert "Traceback" not in caplog.text


async def test_foreign_session_ignored(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """Events for another session are accepted (200) and ignored."""
    waha.add_session("other", me={"id": "31688888888@c.us", "pushName": "Other"})
    status = await post_event(
        ha_client,
        waha,
        "presence.update",
        presence_payload(ALICE, "online"),
        session="other",
    )
    assert status == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "unknown"


async def test_unknown_presence_ignored(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A presence outside WAHA's enum (or missing) changes nothing."""
    payload = {
        "id": ALICE,
        "presences": [{"participant": ALICE, "lastKnownPresence": "away"}],
    }
    assert await post_event(ha_client, waha, "presence.update", payload) == 200
    payload = {"id": ALICE, "presences": [{"participant": ALICE}]}
    assert await post_event(ha_client, waha, "presence.update", payload) == 200
    payload = {"id": ALICE, "presences": "oops"}
    assert await post_event(ha_client, waha, "presence.update", payload) == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "unknown"


async def test_real_delivery_from_waha(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """The simulator's own signed webhook delivery reaches the entities end to end."""
    await waha.set_contact_presence(SESSION, ALICE, "recording")
    await wait_for(hass, lambda: hass.states.get(PRESENCE).state == "recording")
    delivery = waha.deliveries[-1]
    assert delivery.status == 200
    assert delivery.headers["X-Webhook-Hmac-Algorithm"] == "sha512"


async def test_last_seen_in_milliseconds_ignored(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A lastSeen that is no Unix time in seconds drops that event, not the next."""
    bad = presence_payload(ALICE, "offline", last_seen=1_717_000_000_123_000)
    assert await post_event(ha_client, waha, "presence.update", bad) == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "unknown"
    assert (
        await post_event(
            ha_client, waha, "presence.update", presence_payload(ALICE, "typing")
        )
        == 200
    )
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "typing"


async def test_late_status_event_ignored(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A retried STARTING older than the WORKING we applied changes nothing."""
    ts = minute_ago_ms()
    working = {"name": SESSION, "status": "WORKING", "statuses": []}
    starting = {"name": SESSION, "status": "STARTING", "statuses": []}
    assert (
        await post_event(ha_client, waha, "session.status", working, timestamp=ts)
        == 200
    )
    assert (
        await post_event(
            ha_client, waha, "session.status", starting, timestamp=ts - 5000
        )
        == 200
    )
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "working"
    assert hass.states.get(PRESENCE).state != "unavailable"


def _alice_typing(waha: WahaSimulator) -> tuple[dict[str, Any], bytes]:
    """Return a WAHA envelope of Alice typing, and its body as WAHA sends it."""
    envelope = waha.build_envelope(
        SESSION, "presence.update", presence_payload(ALICE, "typing")
    )
    return envelope, json.dumps(envelope).encode()


async def _chunks(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """Yield `data` in pieces: aiohttp then sends it chunked, with no length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize(
    ("size", "chunked"),
    [(1024 * 1024 + 1, False), (2 * 1024 * 1024, True), (17 * 1024 * 1024, True)],
    ids=["length", "chunked", "chunked-past-ha-limit"],
)
async def test_oversized_body_is_413(
    hass: HomeAssistant,
    ha_client: TestClient,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    size: int,
    chunked: bool,
) -> None:
    """No WAHA event is near 1 MiB: bigger bodies get a 413, however they are sent."""
    body = b" " * size
    response = await ha_client.post(URL, data=_chunks(body) if chunked else body)
    assert response.status == 413
    await hass.async_block_till_done()
    # HA logs a handler's exception as an error naming the webhook id.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


async def test_chunked_event_is_read_whole(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A signed event sent without a length is read to its end and applied."""
    _, body = _alice_typing(waha)
    response = await ha_client.post(
        URL,
        data=_chunks(body, size=16),
        headers={"X-Webhook-Hmac": Signer(HMAC_KEY).sign(body)},
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "typing"


@pytest.mark.parametrize("timestamp", [10**15, -1])
async def test_timestamp_out_of_range_is_400(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    timestamp: int,
) -> None:
    """An envelope time no datetime can hold is malformed, not a crash."""
    payload = presence_payload(ALICE, "typing")
    status = await post_event(
        ha_client, waha, "presence.update", payload, timestamp=timestamp
    )
    assert status == 400
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "unknown"
    assert "Traceback" not in caplog.text


async def test_compressed_body_is_415(
    hass: HomeAssistant,
    ha_client: TestClient,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """WAHA never compresses: an encoded body is refused unread, however it inflates."""
    body = gzip.compress(b"{" + b" " * 20 * 2**20 + b"}")
    response = await ha_client.post(
        URL,
        data=body,
        headers={
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
            "X-Webhook-Hmac": Signer(HMAC_KEY).sign(body),
        },
    )
    assert response.status == 415
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "unknown"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


async def test_identity_encoding_is_read(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """`Content-Encoding: identity` is no encoding: the event applies."""
    _, body = _alice_typing(waha)
    response = await ha_client.post(
        URL,
        data=body,
        headers={
            "Content-Encoding": "Identity",
            "X-Webhook-Hmac": Signer(HMAC_KEY).sign(body),
        },
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "typing"


def _longest_log_line(caplog: pytest.LogCaptureFixture) -> int:
    """Return the longest line ours, Home Assistant's or aiohttp's loggers wrote."""
    return max(
        (
            len(r.getMessage())
            for r in caplog.records
            if r.name.startswith(("custom_components", "homeassistant", "aiohttp"))
        ),
        default=0,
    )


async def test_huge_event_id_is_400_and_not_kept(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An event id of about 1 MB is no WAHA id: refused, neither kept nor logged."""
    caplog.set_level(logging.DEBUG)
    huge = "evt_" + "x" * 1_000_000
    payload = presence_payload(ALICE, "typing")
    status = await post_event(
        ha_client, waha, "presence.update", payload, event_id=huge
    )
    assert status == 400
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "unknown"
    # Not kept: the tracker takes the id for new, which is also why it stores it now.
    assert not ready.runtime_data.coordinator.tracker.is_duplicate(huge)
    assert _longest_log_line(caplog) < 1000
    assert "Traceback" not in caplog.text


async def test_huge_status_is_dropped_and_not_logged(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 900 KB session status changes nothing and reaches no log line whole."""
    caplog.set_level(logging.DEBUG)
    payload = {"name": SESSION, "status": "S" * 900_000, "statuses": []}
    # A malformed payload WAHA signed is taken and dropped: a retry would not fix it.
    assert await post_event(ha_client, waha, "session.status", payload) == 200
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "working"
    assert hass.states.get(PRESENCE).state == "unknown"
    assert _longest_log_line(caplog) < 1000
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    "when",
    [
        lambda now: 253_402_300_799_999,
        lambda now: now - 6 * 3_600_000,
        lambda now: 1_000,
    ],
    ids=["year-9999", "six-hours-ago", "1970"],
)
async def test_event_outside_the_window_is_refused(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    when: Callable[[int], int],
) -> None:
    """An event dated far ahead, or older than WAHA retries, gets a 422 and no say."""
    timestamp = when(int(dt_util.utcnow().timestamp() * 1000))
    typing = presence_payload(ALICE, "typing")
    qr = {"name": SESSION, "status": "SCAN_QR_CODE", "statuses": []}
    for event, payload in (("presence.update", typing), ("session.status", qr)):
        status = await post_event(ha_client, waha, event, payload, timestamp=timestamp)
        assert status == 422
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "unknown"
    assert hass.states.get(SEEN).state == "unknown"
    assert hass.states.get(STATUS).state == "working"
    # Current events still count: nothing was poisoned.
    online = presence_payload(ALICE, "online")
    assert await post_event(ha_client, waha, "presence.update", online) == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "online"
    seen = dt_util.parse_datetime(hass.states.get(SEEN).state)
    assert seen is not None
    assert abs(seen - dt_util.utcnow()) < timedelta(minutes=2)
    assert await post_event(ha_client, waha, "session.status", qr) == 200
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "scan_qr_code"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Traceback" not in caplog.text


async def test_last_seen_from_the_future_ignored(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """A current event whose lastSeen lies in the future sets presence, not last seen."""
    payload = presence_payload(ALICE, "offline", last_seen=253_402_300_799)
    assert await post_event(ha_client, waha, "presence.update", payload) == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "offline"
    assert hass.states.get(SEEN).state == "unknown"


async def test_retry_with_new_request_id_applies_once(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
) -> None:
    """WAHA's retries carry a new request id each: the envelope id de-duplicates."""
    fired: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda e: e.data["entity_id"] == ACTIVITY and fired.append("x"),
    )
    envelope, body = _alice_typing(waha)
    for request_id in ("4N5PXQ24KPIOB12OG9", "4N5PXQ24KPIOB12OGA"):
        response = await ha_client.post(
            URL,
            data=body,
            headers={
                "X-Webhook-Hmac": Signer(HMAC_KEY).sign(body),
                "X-Webhook-Request-Id": request_id,
                "X-Webhook-Timestamp": str(envelope["timestamp"]),
            },
        )
        assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "typing"
    assert len(fired) == 1
