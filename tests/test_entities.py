"""Entity states and attributes, pinned by snapshots, per platform."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.waha_presence.const import DOMAIN
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from simulator import WahaSimulator

from .const import ALICE, BOB_LID, CAROL, FAMILY
from .helpers import post_event, presence_payload

NOW = "2026-11-24T12:00:00+00:00"
# The events happen at the frozen now: fresh, as live events are.
TS = int(datetime.fromisoformat(NOW).timestamp() * 1000)


@pytest.fixture
def platform() -> Platform:
    """Return the platform under test."""
    return Platform.SENSOR


@pytest.fixture
def activity_enabled(platform: Platform) -> bool:
    """Enable the activity entities only where their platform is the one loaded."""
    return platform is Platform.EVENT


@pytest.fixture(autouse=True)
def only_platform(platform: Platform) -> Generator[None]:
    """Load a single platform so each snapshot covers one."""
    with patch("custom_components.waha_presence.PLATFORMS", [platform]):
        yield


async def _drive(hass: HomeAssistant, waha: WahaSimulator, client: TestClient) -> None:
    await post_event(
        client, waha, "presence.update", presence_payload(ALICE, "typing"), timestamp=TS
    )
    await post_event(
        client,
        waha,
        "presence.update",
        presence_payload(FAMILY, "typing", participant=ALICE),
        timestamp=TS + 1,
    )
    await post_event(
        client,
        waha,
        "presence.update",
        presence_payload(FAMILY, "recording", participant=BOB_LID),
        timestamp=TS + 2,
    )
    await post_event(
        client,
        waha,
        "presence.update",
        presence_payload(FAMILY, "paused", participant=CAROL),
        timestamp=TS + 3,
    )
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    "platform",
    [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.EVENT, Platform.SELECT],
)
async def test_entities(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_client: TestClient,
    ready: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every entity of the platform, after a fixed stream of events."""
    freezer.move_to(NOW)
    await _drive(hass, waha, ha_client)
    # The account's entities as the minute's session check writes them: the session
    # sensor's last event is then one of the events above.
    ready.runtime_data.coordinator.listeners.session_changed(False)
    await snapshot_platform(hass, entity_registry, snapshot, ready.entry_id)


@pytest.mark.parametrize("platform", [Platform.EVENT])
@pytest.mark.parametrize("activity_enabled", [False])
async def test_activity_disabled_by_default(
    hass: HomeAssistant, ready: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """A new install has the activity entities, disabled: they flood logbook and history."""
    entries = er.async_entries_for_config_entry(entity_registry, ready.entry_id)
    assert {entry.entity_id for entry in entries} == {
        "event.alice_activity",
        "event.bob_activity",
        "event.family_activity",
    }
    assert {entry.disabled_by for entry in entries} == {
        er.RegistryEntryDisabler.INTEGRATION
    }
    assert hass.states.async_entity_ids("event") == []


@pytest.mark.parametrize("platform", [Platform.BINARY_SENSOR])
async def test_online_reads_online_offline(hass: HomeAssistant) -> None:
    """The online sensor's states read Online and Offline, not On and Off."""
    assert await async_setup_component(hass, DOMAIN, {})
    strings = await async_get_translations(hass, "en", "entity", [DOMAIN])
    key = f"component.{DOMAIN}.entity.binary_sensor.online.state"
    assert (strings[f"{key}.on"], strings[f"{key}.off"]) == ("Online", "Offline")
