"""The fix flow of "WAHA cannot reach Home Assistant": another URL, or WebSocket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from yarl import URL

from custom_components.waha_presence import delivery_check
from custom_components.waha_presence.const import (
    CONF_DELIVERY,
    CONF_WEBHOOK_URL,
    DELIVERY_WEBHOOK,
    DELIVERY_WEBSOCKET,
    DOMAIN,
)
from homeassistant.components.repairs import RepairsFlowManager, repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator

from .const import SESSION, WEBHOOK_ID
from .helpers import settle, wait_for


@pytest.fixture
def fast_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bound the check by 1 s: the simulator delivers within milliseconds."""
    monkeypatch.setattr(delivery_check, "CHECK_TIMEOUT", 1.0)


@pytest.fixture
async def broken(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_url: str,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> str:
    """Let delivery break (WAHA restarts unheard); return the raised issue's id."""
    waha.network.make_unreachable(URL(ha_url).authority, "refused")
    waha.session(SESSION).status = "STARTING"
    start = dt_util.utcnow()
    for minute in range(1, 4):
        async_fire_time_changed(hass, start + timedelta(minutes=minute, seconds=1))
        await settle(hass)
        waha.session(SESSION).status = "WORKING"
    issue_id = f"delivery_broken_{ready.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    return issue_id


def _manager(hass: HomeAssistant) -> RepairsFlowManager:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    return manager


async def _checked(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]
) -> dict[str, Any]:
    """Submit a choice, wait out its check, return what follows."""
    manager = _manager(hass)
    result = await manager.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "check"
    await hass.async_block_till_done()
    return await manager.async_configure(flow_id)


async def test_fix_by_a_webhook_url_waha_reaches(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_url: str,
    ready: MockConfigEntry,
    broken: str,
    issue_registry: ir.IssueRegistry,
    fast_check: None,
) -> None:
    """A URL is checked first; a failing one is explained, a working one applied."""
    port = URL(ha_url).port
    manager = _manager(hass)
    result = await manager.async_init(DOMAIN, context={"issue_id": broken})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "delivery"
    placeholders = result["description_placeholders"]
    assert placeholders["current_url"] == f"{ha_url}/api/webhook/…"
    flow_id = result["flow_id"]

    result = await manager.async_configure(
        flow_id, {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: "http://x/y"}
    )
    assert result["errors"] == {CONF_WEBHOOK_URL: "webhook_url_without_id"}

    waha.network.make_unreachable("homeassistant.local", "dns")
    tried = f"http://homeassistant.local:{port}/api/webhook/{WEBHOOK_ID}"
    result = await _checked(
        hass, flow_id, {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: tried}
    )
    assert result["step_id"] == "delivery"
    assert result["errors"] == {"base": "webhook_unreachable"}
    assert result["description_placeholders"]["url"] == (
        f"http://homeassistant.local:{port}/api/webhook/…"
    )
    assert issue_registry.async_get_issue(DOMAIN, broken) is not None

    waha.network.add_alias("homeassistant", "127.0.0.1")
    reachable = f"http://homeassistant:{port}/api/webhook/{WEBHOOK_ID}"
    result = await _checked(
        hass, flow_id, {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: reachable}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert issue_registry.async_get_issue(DOMAIN, broken) is None
    assert ready.data[CONF_WEBHOOK_URL] == reachable
    await hass.async_block_till_done()
    assert ready.state is ConfigEntryState.LOADED
    coordinator = ready.runtime_data.coordinator
    assert not coordinator.monitor.delivery.in_doubt
    hooks = waha.session(SESSION).config["webhooks"]
    assert [hook["url"] for hook in hooks] == [reachable]


async def test_fix_by_websocket(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    broken: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    """WebSocket delivery needs no way in: checked, applied, our webhook gone."""
    manager = _manager(hass)
    result = await manager.async_init(DOMAIN, context={"issue_id": broken})
    result = await _checked(
        hass, result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBSOCKET}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert issue_registry.async_get_issue(DOMAIN, broken) is None
    assert ready.data[CONF_DELIVERY] == DELIVERY_WEBSOCKET
    await hass.async_block_till_done()
    assert ready.runtime_data.websocket is not None
    assert ready.runtime_data.webhook is None
    assert not waha.session(SESSION).config.get("webhooks")
    await wait_for(hass, ready.runtime_data.websocket.connected.is_set)


async def test_fix_an_unloaded_entry(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    broken: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The issue outlives an unload; fixing it loads the entry with the new delivery."""
    assert await hass.config_entries.async_unload(ready.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, broken) is not None
    manager = _manager(hass)
    result = await manager.async_init(DOMAIN, context={"issue_id": broken})
    result = await _checked(
        hass, result["flow_id"], {CONF_DELIVERY: DELIVERY_WEBSOCKET}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert ready.state is ConfigEntryState.LOADED
    assert ready.runtime_data.websocket is not None


async def test_fix_flow_for_a_removed_entry(
    hass: HomeAssistant, ha_client: Any, issue_registry: ir.IssueRegistry
) -> None:
    """An issue whose entry is gone (restored from disk) offers nothing to fix."""
    assert await async_setup_component(hass, DOMAIN, {})
    ir.async_create_issue(
        hass,
        DOMAIN,
        "delivery_broken_gone",
        data={"entry_id": "gone"},
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="delivery_broken",
    )
    result = await _manager(hass).async_init(
        DOMAIN, context={"issue_id": "delivery_broken_gone"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_removed"
