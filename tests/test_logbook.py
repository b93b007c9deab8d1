"""The logbook: one sentence per presence change, with the person's name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    RecorderInstanceGenerator,
    WebSocketGenerator,
)

from custom_components.waha_presence.const import DOMAIN
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator

from .const import BOB, BOB_PRESENCE, CAROL, FAMILY, FAMILY_ACTIVE, SESSION
from .helpers import settle, wait_for

# What the README and the demo advise for a logbook of sentences only.
README_EXCLUDE = {
    "exclude": {
        "entity_globs": [
            "sensor.*_presence",
            "binary_sensor.*_online",
            "sensor.*_last_seen",
            "event.*_activity",
        ]
    }
}


@pytest.fixture
def mock_recorder_before_hass(
    async_setup_recorder_instance: RecorderInstanceGenerator,
) -> None:
    """Prepare the recorder before Home Assistant starts, as it must be."""


@pytest.fixture
def logbook_config() -> dict[str, Any]:
    """Return the logbook's configuration (override per test)."""
    return {}


@pytest.fixture
def activity_enabled() -> bool:
    """Start as a new install does: activity entities disabled."""
    return False


@pytest.fixture
async def logbook(
    recorder_mock: Recorder, hass: HomeAssistant, logbook_config: dict[str, Any]
) -> None:
    """Set up the recorder and the logbook before the integration."""
    assert await async_setup_component(hass, "logbook", {"logbook": logbook_config})


async def _lines(
    hass: HomeAssistant, client: WebSocketGenerator, since: datetime
) -> list[dict[str, Any]]:
    """Return the logbook's lines since `since`, as the frontend reads them."""
    await async_wait_recording_done(hass)
    ws = await client(hass)
    await ws.send_json_auto_id(
        {"type": "logbook/get_events", "start_time": since.isoformat()}
    )
    answer = await ws.receive_json()
    assert answer["success"], answer
    return [line for line in answer["result"] if line.get("domain") != "logbook"]


async def _play(hass: HomeAssistant, waha: WahaSimulator) -> None:
    """Play the changes a person reads about, and let them land."""
    steps = [
        (BOB, None, "online", lambda: hass.states.get(BOB_PRESENCE).state == "online"),
        (BOB, None, "typing", lambda: hass.states.get(BOB_PRESENCE).state == "typing"),
        (
            FAMILY,
            CAROL,
            "typing",
            lambda: hass.states.get(FAMILY_ACTIVE).attributes["typing"] == ["Carol"],
        ),
        (
            BOB,
            None,
            "offline",
            lambda: hass.states.get(BOB_PRESENCE).state == "offline",
        ),
    ]
    for chat, member, presence, done in steps:
        if member is None:
            await waha.set_contact_presence(SESSION, chat, presence, last_seen=None)
        else:
            await waha.set_group_presence(SESSION, chat, member, presence)
        await wait_for(hass, done)
        await settle(hass)


SENTENCES = [
    "Bob came online",
    "Bob started typing",
    "Carol started typing in Family",
    "Bob went offline",
]


@pytest.mark.usefixtures("logbook")
async def test_sentences(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Each change is one sentence with who did it, and where for a group."""
    since = dt_util.utcnow()
    await _play(hass, waha)
    lines = await _lines(hass, hass_ws_client, since)
    ours = [line for line in lines if line.get("domain") == DOMAIN]
    assert [f"{line['name']} {line['message']}" for line in ours] == SENTENCES
    assert ours[2]["icon"] == "mdi:keyboard"
    # Kept out by Home Assistant itself: the group count is a measurement.
    assert not [line for line in lines if line.get("entity_id") == FAMILY_ACTIVE]
    assert not [
        line for line in lines if line.get("entity_id", "").startswith("event.")
    ]


@pytest.mark.parametrize("logbook_config", [README_EXCLUDE])
@pytest.mark.usefixtures("logbook")
async def test_one_line_per_change(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """With the README's logbook exclude, the logbook is the sentences alone."""
    since = dt_util.utcnow()
    await _play(hass, waha)
    lines = await _lines(hass, hass_ws_client, since)
    assert [f"{line['name']} {line['message']}" for line in lines] == SENTENCES
