"""Entity states and attributes, pinned by snapshots, per platform."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from simulator import WahaSimulator

from .const import ALICE, BOB_LID, CAROL, FAMILY
from .helpers import post_event, presence_payload

TS = 1_800_000_000_000


@pytest.fixture
def platform() -> Platform:
    """Return the platform under test."""
    return Platform.SENSOR


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
    freezer.move_to("2026-11-24T12:00:00+00:00")
    await _drive(hass, waha, ha_client)
    # The account's entities as the minute's session check writes them: the session
    # sensor's last event is then one of the events above.
    ready.runtime_data.coordinator._session_changed(False)
    await snapshot_platform(hass, entity_registry, snapshot, ready.entry_id)
