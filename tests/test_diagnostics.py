"""Diagnostics are complete and never contain a secret."""

from __future__ import annotations

import json

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from homeassistant.core import HomeAssistant

from .const import API_KEY, HMAC_KEY, WEBHOOK_ID
from .helpers import wait_for


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The snapshot is stable and redacted."""
    await wait_for(hass, lambda: init_integration.runtime_data.coordinator.available)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    text = json.dumps(diagnostics)
    for secret in (API_KEY, HMAC_KEY, WEBHOOK_ID):
        assert secret not in text
    for number in ("31600000000", "31611111111", "31622222222", "111111111111"):
        assert number not in text, "phone numbers and LIDs are personal data"
    assert diagnostics["session"]["last_event"].endswith("+00:00")
    assert diagnostics == snapshot(exclude=props("timestamp", "last_event"))
