"""Fixtures: a real Home Assistant, the WAHA simulator on loopback, a config entry."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from aiohttp.test_utils import TestClient
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.waha_presence import delivery_flow
from custom_components.waha_presence.const import (
    CONF_ACCOUNT_ID,
    CONF_CHAT_ID,
    CONF_CHAT_NAME,
    CONF_DELIVERY,
    CONF_HMAC_KEY,
    CONF_RESUBSCRIBE_MINUTES,
    CONF_SESSION,
    CONF_WEBHOOK_URL,
    DELIVERY_WEBHOOK,
    DOMAIN,
    SUBENTRY_CHAT,
)
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
from simulator import WahaSimulator, engines

from .const import (
    ACCOUNT_ID,
    ACCOUNT_LID,
    ALICE,
    ALICE_LID,
    API_KEY,
    BOB,
    BOB_LID,
    CAROL,
    FAMILY,
    HMAC_KEY,
    SESSION,
    WEBHOOK_ID,
)
from .helpers import settle, wait_for


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every test."""


@pytest.fixture(autouse=True)
def no_min_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """Show a delivery check no longer than it takes: no frontend here to wait for."""
    monkeypatch.setattr(delivery_flow, "MIN_PROGRESS", 0.0)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialise Home Assistant objects stably (registry ids, times)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def engine() -> str:
    """Return the engine the simulated session plays (override per test)."""
    return "NOWEB"


@pytest.fixture
async def waha(socket_enabled: None, engine: str) -> AsyncGenerator[WahaSimulator]:
    """Run the WAHA simulator on loopback with one logged-in session and contacts."""
    # WAHA runs its sessions on the server's engine.
    sim = WahaSimulator(API_KEY, retry_delay_scale=0.0, engine=engine)
    sim.add_session(
        SESSION,
        engine=engine,
        status="WORKING",
        me={"id": ACCOUNT_ID, "pushName": "Home", "lid": ACCOUNT_LID},
        config=engines.store_config(engine),
    )
    sim.add_contact(SESSION, ALICE, name="Alice", lid=ALICE_LID)
    sim.add_contact(SESSION, BOB, name="Bob", lid=BOB_LID, reports_as_lid=True)
    sim.add_contact(SESSION, CAROL, pushname="Carol")
    sim.add_group(SESSION, FAMILY, name="Family", participants=[ALICE, BOB_LID, CAROL])
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def ha_client(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """Serve Home Assistant's HTTP API on loopback; return a client for it."""
    # Views must be registered before the server starts and freezes its router.
    for component in ("http", "webhook", "diagnostics", "repairs"):
        assert await async_setup_component(hass, component, {})
    return await hass_client_no_auth()


@pytest.fixture
async def ha_url(hass: HomeAssistant, ha_client: TestClient) -> str:
    """Return HA's base URL on loopback, also set as its internal URL."""
    base = str(ha_client.make_url("")).rstrip("/")
    await async_process_ha_core_config(hass, {"internal_url": base})
    return base


def chat_subentry(chat_id: str, name: str) -> ConfigSubentryData:
    """Return the subentry that tracks one chat."""
    return ConfigSubentryData(
        data={CONF_CHAT_ID: chat_id, CONF_CHAT_NAME: name},
        subentry_type=SUBENTRY_CHAT,
        title=name,
        unique_id=chat_id,
    )


@pytest.fixture
def tracked() -> list[ConfigSubentryData]:
    """Return the chats the entry tracks (override per test)."""
    return [
        chat_subentry(ALICE, "Alice"),
        chat_subentry(BOB, "Bob"),
        chat_subentry(FAMILY, "Family"),
    ]


@pytest.fixture
def entry_data(waha: WahaSimulator, ha_url: str) -> dict[str, Any]:
    """Return the data of a webhook-delivered entry."""
    return {
        CONF_URL: waha.url,
        CONF_API_KEY: API_KEY,
        CONF_SESSION: SESSION,
        CONF_ACCOUNT_ID: ACCOUNT_ID,
        CONF_DELIVERY: DELIVERY_WEBHOOK,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        CONF_WEBHOOK_URL: f"{ha_url}/api/webhook/{WEBHOOK_ID}",
        CONF_HMAC_KEY: HMAC_KEY,
    }


@pytest.fixture
def config_entry(
    entry_data: dict[str, Any], tracked: list[ConfigSubentryData]
) -> MockConfigEntry:
    """Return a config entry for the simulated session."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Home",
        unique_id=ACCOUNT_ID,
        data=entry_data,
        options={CONF_RESUBSCRIBE_MINUTES: 10},
        subentries_data=tracked,
    )


@pytest.fixture
def activity_enabled() -> bool:
    """Return whether the activity event entities start enabled (override per test)."""
    return True


def enable_activity(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Enable each chat's activity entity, as a user does; they start disabled."""
    registry = er.async_get(hass)
    for subentry in entry.subentries.values():
        registry.async_get_or_create(
            "event",
            DOMAIN,
            f"{ACCOUNT_ID}_{subentry.data[CONF_CHAT_ID]}_activity",
            config_entry=entry,
            config_subentry_id=subentry.subentry_id,
            suggested_object_id=f"{slugify(subentry.title)}_activity",
        )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    waha: WahaSimulator,
    config_entry: MockConfigEntry,
    activity_enabled: bool,
) -> MockConfigEntry:
    """Set the integration up against the simulator and let it settle."""
    config_entry.add_to_hass(hass)
    if activity_enabled:
        enable_activity(hass, config_entry)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


@pytest.fixture
async def ready(
    hass: HomeAssistant, waha: WahaSimulator, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Return the entry once it works, every chat is subscribed and setup is over."""
    coordinator = init_integration.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.available)
    await wait_for(
        hass, lambda: set(coordinator.chats) <= waha.session(SESSION).subscriptions
    )
    await settle(hass)
    return init_integration
