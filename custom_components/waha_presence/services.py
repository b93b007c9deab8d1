"""Actions: set the account's presence, show typing, read a chat's presence."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import TYPE_CHECKING

import probatio

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.service import (
    async_get_config_entry,
    async_get_device_and_config_entry,
)

from .const import DOMAIN, LOGGER
from .entity import chat_device_identifier
from .exceptions import WahaError
from .ha_errors import translate_error
from .models import (
    ACCOUNT_PRESENCES,
    ChatPresences,
    PresenceStatus,
    WahaParseError,
    clip,
    normalize_chat_id,
)

if TYPE_CHECKING:
    from .coordinator import WahaConfigEntry

SERVICE_SET_PRESENCE = "set_presence"
SERVICE_START_TYPING = "start_typing"
SERVICE_STOP_TYPING = "stop_typing"
SERVICE_GET_PRESENCE = "get_presence"

ATTR_CHAT = "chat"
ATTR_PRESENCE = "presence"
ATTR_DURATION = "duration"

MAX_TYPING_DURATION = timedelta(hours=1)

# A chat is given in exactly one of these fields; which one is checked in
# code so that a mistake gets a translated message.
CHAT_SCHEMA = probatio.Schema(
    {
        # Left out, it is the one account set up (an error if there are more).
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_CHAT): cv.string,
        probatio.Optional(ATTR_DEVICE_ID): probatio.All(cv.ensure_list, [cv.string]),
        probatio.Optional(ATTR_ENTITY_ID): cv.entity_ids,
    }
)
SET_PRESENCE_SCHEMA = CHAT_SCHEMA.extend(
    {
        probatio.Required(ATTR_PRESENCE): probatio.All(
            probatio.In([presence.value for presence in PresenceStatus]),
            PresenceStatus,
        ),
    }
)
# The one-hour limit is checked in code, so that its message is translated.
START_TYPING_SCHEMA = CHAT_SCHEMA.extend(
    {probatio.Optional(ATTR_DURATION): cv.positive_time_period}
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN, SERVICE_SET_PRESENCE, _async_set_presence, schema=SET_PRESENCE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_START_TYPING, _async_start_typing, schema=START_TYPING_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_STOP_TYPING, _async_stop_typing, schema=CHAT_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_PRESENCE,
        _async_get_presence,
        schema=CHAT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


async def _async_set_presence(call: ServiceCall) -> None:
    """Set the account online/offline, or typing/recording/paused in one chat."""
    entry = _get_entry(call)
    presence: PresenceStatus = call.data[ATTR_PRESENCE]
    placeholders = {"presence": presence.value}
    if presence in ACCOUNT_PRESENCES:
        if _given_chats(call):
            raise _invalid("presence_takes_no_chat", **placeholders)
        chat_id = None
    elif (chat_id := _resolve_chat(call, entry)) is None:
        raise _invalid("presence_needs_chat", **placeholders)
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    await _send(
        runtime.client.set_presence(coordinator.session_name, presence, chat_id)
    )
    if chat_id is None:
        await coordinator.async_refresh_session()
    else:
        # The chat now shows what the caller asked for: an older timed stop
        # must not override it.
        _cancel_stop(entry, chat_id)


async def _async_start_typing(call: ServiceCall) -> None:
    """Show "typing…" in a chat, optionally stopping after a duration."""
    entry = _get_entry(call)
    chat_id = _require_chat(call, entry)
    duration: timedelta | None = call.data.get(ATTR_DURATION)
    if duration is not None and duration > MAX_TYPING_DURATION:
        raise _invalid("duration_too_long")
    runtime = entry.runtime_data
    session_name = runtime.coordinator.session_name
    await _send(runtime.client.start_typing(session_name, chat_id))
    _cancel_stop(entry, chat_id)
    if duration is not None:
        runtime.typing_stops[chat_id] = entry.async_create_background_task(
            call.hass,
            _async_stop_later(entry, chat_id, duration),
            f"{DOMAIN} stop typing in {chat_id}",
        )


async def _async_stop_typing(call: ServiceCall) -> None:
    """Stop showing "typing…" in a chat now."""
    entry = _get_entry(call)
    chat_id = _require_chat(call, entry)
    runtime = entry.runtime_data
    await _send(runtime.client.stop_typing(runtime.coordinator.session_name, chat_id))
    # Only now: a refused stop leaves a pending timed stop to try again.
    _cancel_stop(entry, chat_id)


async def _async_get_presence(call: ServiceCall) -> ServiceResponse:
    """Return WAHA's presence of any chat, tracked or not."""
    entry = _get_entry(call)
    chat_id = _require_chat(call, entry)
    runtime = entry.runtime_data
    session_name = runtime.coordinator.session_name
    if chat_id.endswith("@c.us") and _given_chats(call)[0][0] == ATTR_CHAT:
        # As the flow does: WAHA would answer a number not on WhatsApp with
        # an empty list, which reads as "no presence known".
        number = chat_id.split("@", 1)[0]
        found = await _send(runtime.client.check_exists(session_name, number))
        if found is None:
            raise _invalid("not_on_whatsapp", chat=f"+{number}")
        chat_id = normalize_chat_id(found)
    result = await _send(runtime.client.get_presence(session_name, chat_id))
    return _presence_response(result)


async def _async_stop_later(
    entry: WahaConfigEntry, chat_id: str, duration: timedelta
) -> None:
    """Stop typing in a chat once `duration` has passed."""
    await asyncio.sleep(duration.total_seconds())
    runtime = entry.runtime_data
    # Forget this stop before sending it, so a new call for the chat starts
    # afresh instead of cancelling the request in flight.
    runtime.typing_stops.pop(chat_id, None)
    try:
        await runtime.client.stop_typing(runtime.coordinator.session_name, chat_id)
    except WahaError as err:
        LOGGER.warning("Could not stop typing in %s: %s", chat_id, err)


@callback
def _cancel_stop(entry: WahaConfigEntry, chat_id: str) -> None:
    """Cancel the timed stop pending for a chat, if any."""
    if task := entry.runtime_data.typing_stops.pop(chat_id, None):
        task.cancel()


def _presence_response(result: ChatPresences) -> ServiceResponse:
    """Return a chat's presences as JSON-ready response data."""
    return {
        "chat_id": result.chat_id,
        "presences": [
            {
                "participant": item.participant,
                "presence": item.presence.value if item.presence else None,
                "last_seen": item.last_seen.isoformat() if item.last_seen else None,
            }
            for item in result.presences
        ],
    }


async def _send[T](request: Awaitable[T]) -> T:
    """Await one WAHA request; its errors become translated ones."""
    try:
        return await request
    except WahaError as err:
        raise translate_error(err) from err


@callback
def _get_entry(call: ServiceCall) -> WahaConfigEntry:
    """Return the loaded entry the call names, or the only one there is."""
    if ATTR_CONFIG_ENTRY_ID in call.data:
        # HA's own errors for an unknown or unloaded entry.
        entry: WahaConfigEntry = async_get_config_entry(
            call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
        )
        return entry
    entries: list[WahaConfigEntry] = call.hass.config_entries.async_loaded_entries(
        DOMAIN
    )
    if not entries:
        raise _invalid("no_account")
    if len(entries) > 1:
        raise _invalid("account_required", count=str(len(entries)))
    return entries[0]


@callback
def _given_chats(call: ServiceCall) -> list[tuple[str, str]]:
    """Return every (field, value) the call names a chat with."""
    given: list[tuple[str, str]] = []
    if chat := call.data.get(ATTR_CHAT, "").strip():
        given.append((ATTR_CHAT, chat))
    for key in (ATTR_DEVICE_ID, ATTR_ENTITY_ID):
        given.extend((key, value) for value in call.data.get(key, []))
    return given


@callback
def _require_chat(call: ServiceCall, entry: WahaConfigEntry) -> str:
    """Return the call's chat id; the chat is mandatory."""
    if (chat_id := _resolve_chat(call, entry)) is None:
        raise _invalid("chat_required")
    return chat_id


@callback
def _resolve_chat(call: ServiceCall, entry: WahaConfigEntry) -> str | None:
    """Return the chat id the call names, or None when it names none."""
    given = _given_chats(call)
    if not given:
        return None
    if len(given) > 1:
        raise _invalid("chat_ambiguous")
    key, value = given[0]
    if key == ATTR_CHAT:
        try:
            return normalize_chat_id(value)
        except WahaParseError as err:
            raise _invalid("invalid_chat", chat=clip(value)) from err
    if key == ATTR_ENTITY_ID:
        value = _device_of_entity(call.hass, value)
    return _chat_of_device(call.hass, entry, value)


@callback
def _device_of_entity(hass: HomeAssistant, entity_id: str) -> str:
    """Return the device of one of our entities."""
    entity = er.async_get(hass).async_get(entity_id)
    if entity is None:
        raise _invalid("entity_not_found", entity_id=entity_id)
    if entity.platform != DOMAIN or entity.device_id is None:
        raise _invalid("not_a_chat", name=entity_id)
    return entity.device_id


@callback
def _chat_of_device(hass: HomeAssistant, entry: WahaConfigEntry, device_id: str) -> str:
    """Return the chat id of a tracked chat's device in `entry`."""
    device, device_entry = async_get_device_and_config_entry(hass, DOMAIN, device_id)
    name = device.name_by_user or device.name or device_id
    if device_entry.entry_id != entry.entry_id:
        raise _invalid("chat_of_other_account", name=name, account=entry.title)
    coordinator = entry.runtime_data.coordinator
    for chat_id in coordinator.chats:
        if (
            chat_device_identifier(coordinator.account_id, chat_id)
            in device.identifiers
        ):
            return chat_id
    raise _invalid("not_a_chat", name=name)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated error for a mistake in the call."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )
