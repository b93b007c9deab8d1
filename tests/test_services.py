"""Actions: set presence, typing with a timed stop, read any chat's presence."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.waha_presence.const import CONF_SESSION, DOMAIN
from custom_components.waha_presence.services import (
    SERVICE_GET_PRESENCE,
    SERVICE_SET_PRESENCE,
    SERVICE_START_TYPING,
    SERVICE_STOP_TYPING,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from simulator import RecordedRequest, WahaSimulator

from .const import (
    ACCOUNT_ID,
    ALICE,
    API_KEY,
    BOB,
    BOB_LID,
    CAROL,
    FAMILY,
    SESSION,
)

PRESENCE_PATH = f"/api/{SESSION}/presence"
START_PATH = "/api/startTyping"
STOP_PATH = "/api/stopTyping"
ALICE_PRESENCE = "sensor.alice_presence"
NOT_WORKING = {
    "error": "Session status is not as expected. Try again later or restart the session",
    "session": SESSION,
    "status": "STARTING",
    "expected": ["WORKING"],
}
WEBJS_501 = {
    "message": "The method is not implemented by 'WEBJS' engine. Check the docs "
    "and try another engine: https://waha.devlike.pro/",
    "error": "Not Implemented",
    "statusCode": 501,
}


@pytest.fixture
async def ready(ready: MockConfigEntry, waha: WahaSimulator) -> MockConfigEntry:
    """Start each test with no recorded setup traffic."""
    waha.reset()
    return ready


async def _call(
    hass: HomeAssistant,
    service: str,
    entry: MockConfigEntry,
    **data: Any,
) -> Any:
    """Call one of our actions for `entry` and return its response."""
    return await hass.services.async_call(
        DOMAIN,
        service,
        {ATTR_CONFIG_ENTRY_ID: entry.entry_id, **data},
        blocking=True,
        return_response=service == SERVICE_GET_PRESENCE,
    )


def _sent(waha: WahaSimulator, path: str | None = None) -> list[RecordedRequest]:
    """Return the requests WAHA received (for one path), setup traffic aside."""
    return [r for r in waha.requests if path is None or r.path == path]


def _only(waha: WahaSimulator, path: str) -> RecordedRequest:
    """Return the single request WAHA received on `path`, checking its key."""
    requests = _sent(waha, path)
    assert len(requests) == 1, requests
    request = requests[0]
    assert request.headers["X-Api-Key"] == API_KEY
    return request


def _chat_device(hass: HomeAssistant, entry: MockConfigEntry, chat_id: str) -> str:
    """Return the device id of a tracked chat."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{ACCOUNT_ID}_{chat_id}"), entry.entry_id
    )
    assert device is not None
    return device.id


# set_presence -----------------------------------------------------------------


@pytest.mark.parametrize("presence", ["online", "offline"])
async def test_set_account_presence(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry, presence: str
) -> None:
    """Online/offline go to the whole account, then the session is re-read."""
    await _call(hass, SERVICE_SET_PRESENCE, ready, presence=presence)
    request = _only(waha, PRESENCE_PATH)
    assert request.method == "POST"
    assert request.json == {"presence": presence}
    assert waha.session(SESSION).presence == presence
    assert [r.path for r in waha.requests] == [
        PRESENCE_PATH,
        f"/api/sessions/{SESSION}",
    ]
    assert ready.runtime_data.coordinator.monitor.account_presence == presence


@pytest.mark.parametrize("presence", ["typing", "recording", "paused"])
async def test_set_chat_presence(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry, presence: str
) -> None:
    """Typing, recording and paused go to one chat."""
    await _call(hass, SERVICE_SET_PRESENCE, ready, presence=presence, chat=BOB)
    request = _only(waha, PRESENCE_PATH)
    assert request.json == {"presence": presence, "chatId": BOB}
    assert len(waha.requests) == 1


@pytest.mark.parametrize(
    ("field", "value", "chat_id"),
    [
        ("chat", "+31 6-1111 1111", ALICE),
        ("chat", "31622222222", BOB),
        ("chat", f"  {FAMILY} ", FAMILY),
        ("chat", "33333333333@s.whatsapp.net", "33333333333@c.us"),
        ("chat", BOB_LID, BOB_LID),
        ("entity_id", ALICE_PRESENCE, ALICE),
        ("entity_id", [ALICE_PRESENCE], ALICE),
        ("entity_id", "event.family_activity", FAMILY),
    ],
)
async def test_chat_forms(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    field: str,
    value: str | list[str],
    chat_id: str,
) -> None:
    """A chat is a number (normalised), a chat id, or a tracked chat's entity."""
    await _call(hass, SERVICE_SET_PRESENCE, ready, presence="typing", **{field: value})
    assert _only(waha, PRESENCE_PATH).json == {"presence": "typing", "chatId": chat_id}


@pytest.mark.parametrize("chat_id", [ALICE, BOB, FAMILY])
async def test_chat_by_device(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry, chat_id: str
) -> None:
    """A tracked chat's device names its chat."""
    await _call(
        hass,
        SERVICE_SET_PRESENCE,
        ready,
        presence="recording",
        device_id=_chat_device(hass, ready, chat_id),
    )
    assert _only(waha, PRESENCE_PATH).json == {
        "presence": "recording",
        "chatId": chat_id,
    }


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({"presence": "online", "chat": ALICE}, "presence_takes_no_chat", {"presence": "online"}),
        ({"presence": "offline", "entity_id": "sensor.nope"}, "presence_takes_no_chat", {"presence": "offline"}),
        ({"presence": "typing"}, "presence_needs_chat", {"presence": "typing"}),
        ({"presence": "paused", "chat": "   "}, "presence_needs_chat", {"presence": "paused"}),
        ({"presence": "typing", "chat": ALICE, "entity_id": ALICE_PRESENCE}, "chat_ambiguous", None),
        ({"presence": "typing", "entity_id": [ALICE_PRESENCE, "sensor.bob_presence"]}, "chat_ambiguous", None),
        ({"presence": "typing", "chat": "hello"}, "invalid_chat", {"chat": "hello"}),
        ({"presence": "typing", "chat": "123"}, "invalid_chat", {"chat": "123"}),
        ({"presence": "typing", "chat": "x@example.com"}, "invalid_chat", {"chat": "x@example.com"}),
        ({"presence": "typing", "chat": "x y@lid"}, "invalid_chat", {"chat": "x y@lid"}),
        ({"presence": "typing", "chat": "9" * 10**6}, "invalid_chat", {"chat": "9" * 40 + "… (1000000 characters)"}),
        ({"presence": "typing", "entity_id": "sensor.nope"}, "entity_not_found", {"entity_id": "sensor.nope"}),
    ],
)  # fmt: skip
async def test_set_presence_validation(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str] | None,
) -> None:
    """Wrong combinations and bad chats fail before anything reaches WAHA."""
    with pytest.raises(ServiceValidationError) as exc_info:
        await _call(hass, SERVICE_SET_PRESENCE, ready, **data)
    assert exc_info.value.translation_domain == DOMAIN
    assert exc_info.value.translation_key == key
    assert exc_info.value.translation_placeholders == placeholders
    assert waha.requests == []
    assert "Traceback" not in caplog.text


async def test_validation_messages_are_translated(
    hass: HomeAssistant, ready: MockConfigEntry
) -> None:
    """The user reads a sentence naming the mistake, not a key."""
    with pytest.raises(ServiceValidationError) as exc_info:
        await _call(hass, SERVICE_SET_PRESENCE, ready, presence="online", chat=ALICE)
    assert str(exc_info.value) == (
        "Presence online acts on the whole account: leave the chat out"
    )
    with pytest.raises(ServiceValidationError) as exc_info:
        await _call(hass, SERVICE_START_TYPING, ready, chat="hello")
    assert str(exc_info.value).startswith('"hello" is not a phone number or chat id.')


async def test_unknown_presence_is_rejected(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Only WAHA's five presences pass the schema."""
    with pytest.raises(probatio.Invalid):
        await _call(hass, SERVICE_SET_PRESENCE, ready, presence="available")
    assert waha.requests == []


async def test_devices_and_entities_that_are_not_chats(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The account, other integrations and other accounts are not chats here."""
    account = device_registry.async_get_device_by_identifier(
        (DOMAIN, ACCOUNT_ID), ready.entry_id
    )
    assert account is not None
    select_id = entity_registry.async_get_entity_id(
        "select", DOMAIN, f"{ACCOUNT_ID}_account_presence"
    )
    assert select_id is not None
    other_platform = entity_registry.async_get_or_create(
        "sensor", "other", "x", suggested_object_id="other"
    )
    other_entry = MockConfigEntry(domain="other")
    other_entry.add_to_hass(hass)
    other_device = device_registry.async_get_or_create(
        config_entry_id=other_entry.entry_id, identifiers={("other", "1")}, name="Lamp"
    )
    second = MockConfigEntry(domain=DOMAIN, title="Work", state=ConfigEntryState.LOADED)
    second.add_to_hass(hass)
    second_chat = device_registry.async_get_or_create(
        config_entry_id=second.entry_id,
        identifiers={(DOMAIN, f"31699999999@c.us_{ALICE}")},
        name="Alice at work",
    )
    cases: list[tuple[dict[str, Any], str, str, dict[str, str]]] = [
        ({"device_id": account.id}, DOMAIN, "not_a_chat", {"name": "Home"}),
        ({"entity_id": select_id}, DOMAIN, "not_a_chat", {"name": "Home"}),
        (
            {"entity_id": other_platform.entity_id},
            DOMAIN,
            "not_a_chat",
            {"name": other_platform.entity_id},
        ),
        (
            {"device_id": second_chat.id},
            DOMAIN,
            "chat_of_other_account",
            {"name": "Alice at work", "account": "Home"},
        ),
        (
            {"device_id": "nope"},
            "homeassistant",
            "service_device_not_found",
            {"device_id": "nope"},
        ),
        (
            {"device_id": other_device.id},
            "homeassistant",
            "service_device_wrong_domain",
            {"device_name": "Lamp", "domain": DOMAIN},
        ),
    ]
    for data, domain, key, placeholders in cases:
        with pytest.raises(ServiceValidationError) as exc_info:
            await _call(hass, SERVICE_SET_PRESENCE, ready, presence="typing", **data)
        assert exc_info.value.translation_domain == domain, data
        assert exc_info.value.translation_key == key, data
        assert exc_info.value.translation_placeholders == placeholders, data
    assert waha.requests == []


async def test_core_refusal_is_translated(
    hass: HomeAssistant, waha: WahaSimulator, config_entry: MockConfigEntry
) -> None:
    """An action WAHA Core refuses for session `work` says so, in words."""
    waha.sessions["work"] = waha.sessions.pop(SESSION)
    waha.session("work").name = "work"
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_SESSION: "work"}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    waha.tier = "CORE"
    with pytest.raises(HomeAssistantError) as exc_info:
        await _call(hass, SERVICE_GET_PRESENCE, config_entry, chat=CAROL)
    assert exc_info.value.translation_key == "core_only_default"
    assert str(exc_info.value) == (
        "WAHA Core serves only the session named default, not work. Use the session "
        "default or WAHA Plus, then reload the integration"
    )


async def test_unknown_and_unloaded_entries(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """HA's own errors name an unknown or unloaded config entry."""
    for service, data in (
        (SERVICE_SET_PRESENCE, {"presence": "online"}),
        (SERVICE_START_TYPING, {"chat": ALICE}),
        (SERVICE_STOP_TYPING, {"chat": ALICE}),
        (SERVICE_GET_PRESENCE, {"chat": ALICE}),
    ):
        with pytest.raises(ServiceValidationError) as exc_info:
            await hass.services.async_call(
                DOMAIN,
                service,
                {ATTR_CONFIG_ENTRY_ID: "unknown", **data},
                blocking=True,
                return_response=service == SERVICE_GET_PRESENCE,
            )
        assert exc_info.value.translation_key == "service_config_entry_not_found"
    assert await hass.config_entries.async_unload(ready.entry_id)
    waha.reset()
    with pytest.raises(ServiceValidationError) as exc_info:
        await _call(hass, SERVICE_SET_PRESENCE, ready, presence="online")
    assert exc_info.value.translation_domain == "homeassistant"
    assert exc_info.value.translation_key == "service_config_entry_not_loaded"
    assert waha.requests == []


# WAHA errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "key", "placeholders", "message"),
    [
        (
            422,
            NOT_WORKING,
            "session_not_ready",
            {"session": SESSION, "status": "STARTING"},
            "WAHA session default is not working (status: STARTING)",
        ),
        (
            422,
            {"error": 'Session "default" does not exist', "session": SESSION},
            "session_not_ready",
            {"session": SESSION, "status": "missing"},
            "WAHA session default is not working (status: missing)",
        ),
        (
            501,
            WEBJS_501,
            "not_supported",
            {"engine": "WEBJS"},
            "The WEBJS engine of this WAHA session cannot do this",
        ),
        (
            400,
            {"detail": "'typing' presence requires 'chatId' field."},
            "bad_request",
            {"detail": "'typing' presence requires 'chatId' field."},
            "WAHA rejected the request: 'typing' presence requires 'chatId' field.",
        ),
        (
            401,
            {"message": "Unauthorized", "statusCode": 401},
            "invalid_auth",
            None,
            "WAHA rejected the API key",
        ),
        (
            500,
            {"statusCode": 500, "exception": {"message": "boom"}},
            "unexpected_response",
            None,
            None,
        ),
    ],
)
@pytest.mark.parametrize(
    ("service", "data", "method", "path"),
    [
        (SERVICE_SET_PRESENCE, {"presence": "offline"}, "POST", PRESENCE_PATH),
        (SERVICE_SET_PRESENCE, {"presence": "typing", "chat": ALICE}, "POST", PRESENCE_PATH),
        (SERVICE_START_TYPING, {"chat": ALICE}, "POST", START_PATH),
        (SERVICE_STOP_TYPING, {"chat": ALICE}, "POST", STOP_PATH),
        (SERVICE_GET_PRESENCE, {"chat": CAROL}, "GET", f"{PRESENCE_PATH}/{CAROL}"),
    ],
)  # fmt: skip
async def test_waha_errors(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    service: str,
    data: dict[str, Any],
    method: str,
    path: str,
    status: int,
    body: dict[str, Any],
    key: str,
    placeholders: dict[str, str] | None,
    message: str | None,
) -> None:
    """Every WAHA error becomes a translated error naming its cause."""
    waha.fail_next(method, path, status, body)
    with pytest.raises(HomeAssistantError) as exc_info:
        await _call(hass, service, ready, **data)
    err = exc_info.value
    assert not isinstance(err, ServiceValidationError)
    assert err.translation_domain == DOMAIN
    assert err.translation_key == key
    if placeholders is not None:
        assert err.translation_placeholders == placeholders
    if message is not None:
        assert str(err) == message
    else:
        assert str(err).startswith("Unexpected answer from WAHA: WAHA answered 500")
    assert _only(waha, path).method == method
    assert "Traceback" not in caplog.text


async def test_waha_times_out(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A WAHA that does not answer in time is named as such."""
    ready.runtime_data.client.timeout = 0.05
    waha.delay_next("POST", START_PATH, 1.0)
    with pytest.raises(HomeAssistantError) as exc_info:
        await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE)
    assert exc_info.value.translation_key == "cannot_connect"
    assert str(exc_info.value) == (
        f"Cannot reach WAHA: no answer to POST {START_PATH} in time"
    )


async def test_waha_unreachable(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A WAHA that is down is named as unreachable."""
    await waha.stop()
    with pytest.raises(HomeAssistantError) as exc_info:
        await _call(hass, SERVICE_GET_PRESENCE, ready, chat=ALICE)
    assert exc_info.value.translation_key == "cannot_connect"
    assert str(exc_info.value).startswith("Cannot reach WAHA: ")


# start_typing / stop_typing ---------------------------------------------------


async def test_start_and_stop_typing(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Typing starts and stops in the chat WAHA is told about."""
    await _call(hass, SERVICE_START_TYPING, ready, chat="+31 6 1111 1111")
    assert _only(waha, START_PATH).json == {"session": SESSION, "chatId": ALICE}
    assert ready.runtime_data.typing_stops == {}
    await _call(
        hass, SERVICE_STOP_TYPING, ready, device_id=_chat_device(hass, ready, FAMILY)
    )
    assert _only(waha, STOP_PATH).json == {"session": SESSION, "chatId": FAMILY}
    assert len(waha.requests) == 2


async def test_chat_from_script_target(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A script's `target:` (device or entity lists) names the chat too."""
    for target, chat_id in (
        ({"device_id": [_chat_device(hass, ready, BOB)]}, BOB),
        ({"entity_id": ["binary_sensor.alice_online"]}, ALICE),
    ):
        waha.reset()
        await hass.services.async_call(
            DOMAIN,
            SERVICE_STOP_TYPING,
            {ATTR_CONFIG_ENTRY_ID: ready.entry_id},
            blocking=True,
            target=target,
        )
        assert _only(waha, STOP_PATH).json == {"session": SESSION, "chatId": chat_id}


@pytest.mark.parametrize("service", [SERVICE_START_TYPING, SERVICE_STOP_TYPING])
async def test_typing_needs_a_chat(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry, service: str
) -> None:
    """Typing actions without a chat fail before reaching WAHA."""
    with pytest.raises(ServiceValidationError) as exc_info:
        await _call(hass, service, ready)
    assert exc_info.value.translation_key == "chat_required"
    assert waha.requests == []


async def test_typing_duration_is_bounded(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A duration over an hour is refused, saying the limit in words."""
    with pytest.raises(ServiceValidationError) as exc_info:
        await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=3601)
    assert exc_info.value.translation_key == "duration_too_long"
    assert "at most one hour" in str(exc_info.value)
    assert waha.requests == []
    # One hour is still allowed.
    await _call(hass, SERVICE_START_TYPING, ready, chat=BOB, duration=3600)
    assert _only(waha, START_PATH).json == {"session": SESSION, "chatId": BOB}
    await _call(hass, SERVICE_STOP_TYPING, ready, chat=BOB)
    waha.requests.clear()
    with pytest.raises(probatio.Invalid):
        await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=-1)
    assert waha.requests == []


async def _advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    seconds: float,
) -> None:
    """Move the frozen clock on and wait for the timed stops that came due."""
    stops = entry.runtime_data.typing_stops
    pending = set(stops.values())
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    # A stop that came due has left `typing_stops`; its request is in flight.
    await asyncio.gather(*(task for task in pending if task not in stops.values()))


@pytest.mark.parametrize(
    "duration", [5, "00:00:05", {"seconds": 5}, {"minutes": 0, "seconds": 5}]
)
async def test_typing_stops_after_duration(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    duration: Any,
) -> None:
    """With a duration, typing stops by itself when it ends."""
    await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=duration)
    assert _only(waha, START_PATH).json == {"session": SESSION, "chatId": ALICE}
    assert set(ready.runtime_data.typing_stops) == {ALICE}
    await _advance(hass, freezer, ready, 4)
    assert _sent(waha, STOP_PATH) == []
    await _advance(hass, freezer, ready, 1)
    assert _only(waha, STOP_PATH).json == {"session": SESSION, "chatId": ALICE}
    assert ready.runtime_data.typing_stops == {}


async def test_new_call_replaces_pending_stop(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new start for the same chat replaces its stop; other chats keep theirs."""
    await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=10)
    await _call(hass, SERVICE_START_TYPING, ready, chat=BOB, duration=10)
    await _advance(hass, freezer, ready, 6)
    # Same chat, given as its device this time.
    await _call(
        hass,
        SERVICE_START_TYPING,
        ready,
        device_id=_chat_device(hass, ready, ALICE),
        duration=10,
    )
    await _advance(hass, freezer, ready, 4)
    assert [r.json["chatId"] for r in _sent(waha, STOP_PATH)] == [BOB]
    await _advance(hass, freezer, ready, 6)
    assert [r.json["chatId"] for r in _sent(waha, STOP_PATH)] == [BOB, ALICE]
    assert ready.runtime_data.typing_stops == {}


async def test_start_without_duration_cancels_pending_stop(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A start without duration keeps typing: the earlier stop is dropped."""
    await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=5)
    await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE)
    assert ready.runtime_data.typing_stops == {}
    await _advance(hass, freezer, ready, 10)
    assert _sent(waha, STOP_PATH) == []
    assert len(_sent(waha, START_PATH)) == 2


async def test_stop_typing_cancels_pending_stop(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """stop_typing stops now and cancels the timed stop."""
    await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=5)
    await _call(hass, SERVICE_STOP_TYPING, ready, entity_id=ALICE_PRESENCE)
    assert _only(waha, STOP_PATH).json == {"session": SESSION, "chatId": ALICE}
    assert ready.runtime_data.typing_stops == {}
    await _advance(hass, freezer, ready, 10)
    assert len(_sent(waha, STOP_PATH)) == 1


async def test_chat_presence_cancels_pending_stop(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Setting a chat presence supersedes that chat's timed stop."""
    await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=5)
    await _call(hass, SERVICE_SET_PRESENCE, ready, presence="recording", chat=ALICE)
    assert ready.runtime_data.typing_stops == {}
    await _advance(hass, freezer, ready, 10)
    assert _sent(waha, STOP_PATH) == []


@pytest.mark.parametrize(
    ("service", "path", "extra", "refused_stops"),
    [
        (SERVICE_START_TYPING, START_PATH, {"duration": 60}, 0),
        (SERVICE_STOP_TYPING, STOP_PATH, {}, 1),
    ],
)
async def test_refused_call_keeps_pending_stop(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    service: str,
    path: str,
    extra: dict[str, Any],
    refused_stops: int,
) -> None:
    """A start or stop WAHA refuses changes nothing: the timed stop still comes."""
    await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=5)
    waha.fail_next("POST", path, 422, NOT_WORKING)
    with pytest.raises(HomeAssistantError) as refused:
        await _call(hass, service, ready, chat=ALICE, **extra)
    assert refused.value.translation_key == "session_not_ready"
    await _advance(hass, freezer, ready, 5)
    stops = _sent(waha, STOP_PATH)
    assert len(stops) == refused_stops + 1
    assert stops[-1].json == {"session": SESSION, "chatId": ALICE}


async def test_timed_stop_failure_is_logged(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A timed stop WAHA refuses is a warning without a traceback."""
    await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=5)
    waha.fail_next("POST", STOP_PATH, 422, NOT_WORKING)
    with caplog.at_level(logging.WARNING):
        await _advance(hass, freezer, ready, 5)
    assert f"Could not stop typing in {ALICE}" in caplog.text
    assert "Session status is not as expected" in caplog.text
    assert "Traceback" not in caplog.text
    assert ready.runtime_data.typing_stops == {}


async def test_unload_cancels_pending_stop(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unloading the entry cancels its timed stops."""
    await _call(hass, SERVICE_START_TYPING, ready, chat=ALICE, duration=5)
    task = ready.runtime_data.typing_stops[ALICE]
    assert await hass.config_entries.async_unload(ready.entry_id)
    await hass.async_block_till_done()
    assert task.cancelled()
    waha.reset()
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _sent(waha, STOP_PATH) == []


# get_presence -----------------------------------------------------------------


async def test_get_presence_of_untracked_number(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A script reads the presence of a number it does not track."""
    await waha.set_contact_presence(SESSION, CAROL, "offline", last_seen=1_800_000_000)
    response = await _call(hass, SERVICE_GET_PRESENCE, ready, chat="+31 633 333 333")
    request = _only(waha, f"{PRESENCE_PATH}/{CAROL}")
    assert request.method == "GET"
    assert request.json is None
    assert response == {
        "chat_id": CAROL,
        "presences": [
            {
                "participant": CAROL,
                "presence": "offline",
                "last_seen": datetime.fromtimestamp(1_800_000_000, UTC).isoformat(),
            }
        ],
    }
    assert response["presences"][0]["last_seen"] == "2027-01-15T08:00:00+00:00"


async def test_get_presence_of_tracked_group(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A group returns one entry per member; chat states carry no last seen."""
    await waha.set_group_presence(SESSION, FAMILY, ALICE, "typing")
    await waha.set_group_presence(SESSION, FAMILY, BOB_LID, "online")
    waha.reset()
    response = await _call(
        hass, SERVICE_GET_PRESENCE, ready, device_id=_chat_device(hass, ready, FAMILY)
    )
    assert _only(waha, f"{PRESENCE_PATH}/{FAMILY}").method == "GET"
    assert response == {
        "chat_id": FAMILY,
        "presences": [
            {"participant": ALICE, "presence": "typing", "last_seen": None},
            {"participant": BOB_LID, "presence": "online", "last_seen": None},
        ],
    }


async def test_get_presence_unknown_and_odd_values(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Nothing known is an empty list; a value WAHA left out is null."""
    waha.add_contact(SESSION, "31644444444@c.us")
    response = await _call(hass, SERVICE_GET_PRESENCE, ready, chat="31644444444")
    assert response == {"chat_id": "31644444444@c.us", "presences": []}
    path = f"{PRESENCE_PATH}/{BOB}"
    waha.fail_next(
        "GET",
        path,
        200,
        {"id": BOB, "presences": [{"participant": BOB_LID, "lastSeen": None}]},
    )
    response = await _call(
        hass, SERVICE_GET_PRESENCE, ready, entity_id="sensor.bob_presence"
    )
    assert response == {
        "chat_id": BOB,
        "presences": [{"participant": BOB_LID, "presence": None, "last_seen": None}],
    }


async def test_get_presence_needs_a_chat_and_a_response(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """get_presence needs a chat, and must be called for its response."""
    with pytest.raises(ServiceValidationError) as exc_info:
        await _call(hass, SERVICE_GET_PRESENCE, ready)
    assert exc_info.value.translation_key == "chat_required"
    with pytest.raises(ServiceValidationError) as exc_info:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_GET_PRESENCE,
            {ATTR_CONFIG_ENTRY_ID: ready.entry_id, "chat": ALICE},
            blocking=True,
        )
    assert exc_info.value.translation_key == "service_lacks_response_request"
    assert waha.requests == []


async def test_actions_are_described(
    hass: HomeAssistant, ready: MockConfigEntry
) -> None:
    """Every action is described, translated and has an icon."""
    services = {
        SERVICE_SET_PRESENCE,
        SERVICE_START_TYPING,
        SERVICE_STOP_TYPING,
        SERVICE_GET_PRESENCE,
    }
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    icons = (await async_get_icons(hass, "services", [DOMAIN]))[DOMAIN]
    translations = await async_get_translations(hass, "en", "services", [DOMAIN])
    assert set(descriptions) == services
    for service, description in descriptions.items():
        fields = description["fields"]
        assert {"config_entry_id", "chat", "device_id", "entity_id"} <= set(fields)
        prefix = f"component.{DOMAIN}.services.{service}"
        assert translations[f"{prefix}.name"]
        assert translations[f"{prefix}.description"]
        for field in fields:
            assert translations[f"{prefix}.fields.{field}.name"], (service, field)
            assert translations[f"{prefix}.fields.{field}.description"]
        assert icons[service]["service"].startswith("mdi:")
    assert descriptions[SERVICE_GET_PRESENCE]["response"] == {"optional": False}
    assert "duration" in descriptions[SERVICE_START_TYPING]["fields"]
    assert "presence" in descriptions[SERVICE_SET_PRESENCE]["fields"]
    set_presence = translations[f"component.{DOMAIN}.services.set_presence.description"]
    assert "the phone gets no notifications" in set_presence


async def test_get_presence_of_a_number_not_on_whatsapp(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Checked with WAHA as the flow does: a clear error, not an empty list."""
    with pytest.raises(ServiceValidationError) as exc_info:
        await _call(hass, SERVICE_GET_PRESENCE, ready, chat="+31 6 4444 4444")
    assert exc_info.value.translation_key == "not_on_whatsapp"
    assert str(exc_info.value) == "+31644444444 is not on WhatsApp"
    assert not _sent(waha, f"{PRESENCE_PATH}/31644444444@c.us")
    assert _only(waha, "/api/contacts/check-exists").query == {
        "phone": "31644444444",
        "session": SESSION,
    }


async def test_account_can_be_left_out_when_there_is_one(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """With one account the action needs no account; with two it asks which."""
    await hass.services.async_call(
        DOMAIN, SERVICE_START_TYPING, {"chat": ALICE}, blocking=True
    )
    assert _only(waha, START_PATH).json == {"session": SESSION, "chatId": ALICE}
    second = MockConfigEntry(domain=DOMAIN, title="Work", state=ConfigEntryState.LOADED)
    second.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as exc_info:
        await hass.services.async_call(
            DOMAIN, SERVICE_START_TYPING, {"chat": ALICE}, blocking=True
        )
    assert exc_info.value.translation_key == "account_required"
    assert str(exc_info.value) == "Choose the WhatsApp account: 2 are set up"
    # Named, either account can still act.
    await _call(hass, SERVICE_STOP_TYPING, ready, chat=ALICE)


async def test_account_left_out_with_none_loaded(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """No loaded account: a clear error."""
    assert await hass.config_entries.async_unload(ready.entry_id)
    with pytest.raises(ServiceValidationError) as exc_info:
        await hass.services.async_call(
            DOMAIN, SERVICE_STOP_TYPING, {"chat": ALICE}, blocking=True
        )
    assert exc_info.value.translation_key == "no_account"


async def test_account_field_is_optional_in_the_ui(hass: HomeAssistant) -> None:
    """The UI offers the account field without forcing a pick."""
    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = await async_get_all_descriptions(hass)
    for service in (SERVICE_START_TYPING, SERVICE_GET_PRESENCE):
        field = descriptions[DOMAIN][service]["fields"][ATTR_CONFIG_ENTRY_ID]
        assert field["required"] is False
