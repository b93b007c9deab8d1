"""The account presence select: online or offline for the whole account."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.waha_presence.const import DOMAIN
from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from simulator import WahaSimulator

from .const import ACCOUNT_ID, API_KEY, SESSION
from .helpers import wait_for

SELECT = "select.home_account_presence"
PRESENCE_PATH = f"/api/{SESSION}/presence"
SESSION_PATH = f"/api/sessions/{SESSION}"


@pytest.fixture
async def ready(ready: MockConfigEntry, waha: WahaSimulator) -> MockConfigEntry:
    """Start with no recorded setup traffic, and no auto-online moving the account."""
    waha.auto_online_seconds = 0
    waha.reset()
    return ready


async def _select(hass: HomeAssistant, option: str) -> None:
    """Pick an option of the account presence select."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: SELECT, ATTR_OPTION: option},
        blocking=True,
    )


def _state(hass: HomeAssistant) -> str:
    """Return the select's state."""
    state = hass.states.get(SELECT)
    assert state is not None
    return state.state


async def test_select_entity(
    hass: HomeAssistant, ready: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """The account device has one select with the two account presences."""
    entity = entity_registry.async_get(SELECT)
    assert entity is not None
    assert entity.unique_id == f"{ACCOUNT_ID}_account_presence"
    assert entity.translation_key == "account_presence"
    state = hass.states.get(SELECT)
    assert state is not None
    assert state.attributes[ATTR_OPTIONS] == ["online", "offline", "unknown"]


@pytest.mark.parametrize(
    ("before", "option"), [("online", "offline"), ("offline", "online")]
)
async def test_select_sets_presence(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    before: str,
    option: str,
) -> None:
    """Picking an option sets the account presence, then re-reads the session."""
    waha.session(SESSION).presence = before
    await ready.runtime_data.coordinator.async_refresh_session()
    assert _state(hass) == before
    waha.reset()
    await _select(hass, option)
    assert [(r.method, r.path) for r in waha.requests] == [
        ("POST", PRESENCE_PATH),
        ("GET", SESSION_PATH),
    ]
    request = waha.requests[0]
    assert request.json == {"presence": option}
    assert request.headers["X-Api-Key"] == API_KEY
    assert waha.session(SESSION).presence == option
    assert _state(hass) == option


async def test_select_error(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A WAHA error is translated and leaves the state as it was."""
    waha.session(SESSION).presence = "online"
    await ready.runtime_data.coordinator.async_refresh_session()
    waha.reset()
    waha.fail_next(
        "POST",
        PRESENCE_PATH,
        422,
        {
            "error": "Session status is not as expected. Try again later or "
            "restart the session",
            "session": SESSION,
            "status": "STARTING",
            "expected": ["WORKING"],
        },
    )
    with pytest.raises(HomeAssistantError) as exc_info:
        await _select(hass, "offline")
    assert exc_info.value.translation_domain == DOMAIN
    assert exc_info.value.translation_key == "session_not_ready"
    assert exc_info.value.translation_placeholders == {
        "session": SESSION,
        "status": "STARTING",
    }
    assert [r.path for r in waha.requests] == [PRESENCE_PATH]
    assert _state(hass) == "online"


async def test_unknown_without_presence(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A session that never set its presence shows unknown."""
    waha.session(SESSION).presence = None
    await ready.runtime_data.coordinator.async_refresh_session()
    assert _state(hass) == STATE_UNKNOWN


async def test_reread_when_session_comes_back(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """A session.status WORKING event makes the select re-read the presence."""
    waha.session(SESSION).presence = "offline"
    await ready.runtime_data.coordinator.async_refresh_session()
    await waha.set_status(SESSION, "STOPPED")
    await wait_for(hass, lambda: _state(hass) == STATE_UNAVAILABLE)
    # The restarted engine came back online (NOWEB's markOnline does this).
    waha.session(SESSION).presence = "online"
    waha.reset()
    await waha.set_status(SESSION, "WORKING")
    await wait_for(hass, lambda: _state(hass) == "online")
    assert [r.method for r in waha.requests if r.path == SESSION_PATH] == ["GET"]


async def test_options_read_short(hass: HomeAssistant) -> None:
    """Options fit a logbook line; the phone's notifications are the action's to say."""
    assert await async_setup_component(hass, DOMAIN, {})
    translations = await async_get_translations(hass, "en", "entity", [DOMAIN])
    key = f"component.{DOMAIN}.entity.select.account_presence.state"
    assert translations[f"{key}.online"] == "Online"
    assert translations[f"{key}.offline"] == "Offline"
    assert translations[f"{key}.unknown"] == "Unknown"
    services = await async_get_translations(hass, "en", "services", [DOMAIN])
    description = services[f"component.{DOMAIN}.services.set_presence.description"]
    assert "the phone gets no notifications" in description


async def test_unknown_cannot_be_picked(
    hass: HomeAssistant, waha: WahaSimulator, ready: MockConfigEntry
) -> None:
    """Unknown is shown (translated) but not sent: WhatsApp has no such presence."""
    waha.session(SESSION).presence = None
    await ready.runtime_data.coordinator.async_refresh_session()
    waha.reset()
    with pytest.raises(ServiceValidationError) as exc_info:
        await _select(hass, STATE_UNKNOWN)
    assert exc_info.value.translation_domain == DOMAIN
    assert exc_info.value.translation_key == "account_presence_unknown"
    assert waha.requests == []
    assert _state(hass) == STATE_UNKNOWN
