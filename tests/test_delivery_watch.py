"""Delivery that breaks later: the rule, the repair, and a quiet account left alone."""

from __future__ import annotations

from datetime import datetime, timedelta
import logging

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.waha_presence.const import (
    CONF_DELIVERY,
    DELIVERY_WEBSOCKET,
    DOMAIN,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator

from .const import ALICE, ALICE_PRESENCE, SESSION, WEBHOOK_ID
from .helpers import settle, wait_for

SESSION_SENSOR = "sensor.home_session_status"


class Watchdog:
    """Lets the minutes pass: each one fires the session watchdog once."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.minutes = 0

    async def polls(self, count: int) -> None:
        for _ in range(count):
            self.minutes += 1
            # Timers restart from the loop's clock, so each step is one interval on
            # from now; every tenth minute also the subscription renewal is due.
            step = timedelta(minutes=10 if self.minutes % 10 == 0 else 1, seconds=1)
            async_fire_time_changed(self.hass, dt_util.utcnow() + step)
            await settle(self.hass)


def _issue(
    issue_registry: ir.IssueRegistry, entry: MockConfigEntry
) -> ir.IssueEntry | None:
    return issue_registry.async_get_issue(DOMAIN, f"delivery_broken_{entry.entry_id}")


def _cut_off(waha: WahaSimulator, entry: MockConfigEntry) -> None:
    """WAHA can no longer reach Home Assistant (a proxy changed, HA moved)."""
    url = entry.runtime_data.coordinator.monitor.delivery._url
    assert url is not None
    waha.network.make_unreachable(url.split("/")[2], "refused")


async def test_quiet_healthy_account_raises_nothing_for_a_day(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No presence for 24 hours, no status change: nothing is owed, nothing raised."""
    watchdog = Watchdog(hass)
    polls = len([r for r in waha.requests if r.path == f"/api/sessions/{SESSION}"])
    # 1,440 polls: asyncio's debug mode (a stack per task) would take half a minute.
    hass.loop.set_debug(False)
    try:
        await watchdog.polls(24 * 60)
    finally:
        hass.loop.set_debug(True)
    after = len([r for r in waha.requests if r.path == f"/api/sessions/{SESSION}"])
    assert after - polls == 24 * 60
    assert _issue(issue_registry, ready) is None
    assert hass.states.get(SESSION_SENSOR).attributes["delivery_in_doubt"] is False


async def test_status_change_that_never_arrived_raises_the_repair(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """WAHA restarts the session unheard: two polls later the repair is up."""
    await waha.set_contact_presence(SESSION, ALICE, "online")
    await wait_for(hass, lambda: hass.states.get(ALICE_PRESENCE).state == "online")
    watchdog = Watchdog(hass)
    _cut_off(waha, ready)
    await waha.set_status(SESSION, "STARTING")
    await watchdog.polls(1)
    await waha.set_status(SESSION, "WORKING")
    await watchdog.polls(1)
    assert _issue(issue_registry, ready) is None
    await watchdog.polls(1)
    issue = _issue(issue_registry, ready)
    assert issue is not None
    assert issue.is_fixable
    assert issue.is_persistent
    assert issue.translation_key == "delivery_broken"
    assert issue.data == {"entry_id": ready.entry_id}
    assert issue.translation_placeholders["url"].endswith("/api/webhook/…")
    assert WEBHOOK_ID not in str(issue.translation_placeholders)
    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components")
    ]
    assert sum("WAHA probably cannot reach the webhook URL" in m for m in ours) == 1
    assert not any(WEBHOOK_ID in message for message in ours)
    # Entities keep what they knew; the session sensor shows the doubt.
    assert hass.states.get(ALICE_PRESENCE).state == "online"
    attributes = hass.states.get(SESSION_SENSOR).attributes
    assert attributes["delivery"] == "webhook"
    assert attributes["delivery_in_doubt"] is True
    assert isinstance(attributes["last_event"], datetime)

    # Reachable again: the next event clears it by itself.
    waha.network.reset()
    caplog.set_level(logging.INFO)
    await waha.set_contact_presence(SESSION, ALICE, "typing")
    await wait_for(hass, lambda: _issue(issue_registry, ready) is None)
    assert "Events from WAHA session default arrive again" in caplog.text
    await watchdog.polls(1)
    attributes = hass.states.get(SESSION_SENSOR).attributes
    assert attributes["delivery_in_doubt"] is False


async def test_our_config_put_without_an_event_raises_the_repair(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """WAHA lost our webhook (Core restart); the restart we cause is never heard."""
    watchdog = Watchdog(hass)
    _cut_off(waha, ready)
    waha.session(SESSION).config = {}
    puts = len([r for r in waha.requests if r.method == "PUT"])
    await watchdog.polls(1)
    assert len([r for r in waha.requests if r.method == "PUT"]) == puts + 1
    await watchdog.polls(1)
    assert _issue(issue_registry, ready) is None
    await watchdog.polls(1)
    assert _issue(issue_registry, ready) is not None


async def test_our_config_put_heard_raises_nothing(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The same restore, with WAHA reaching us: the owed event arrives."""
    watchdog = Watchdog(hass)
    waha.session(SESSION).config = {}
    await watchdog.polls(5)
    assert _issue(issue_registry, ready) is None


async def test_nothing_owed_when_the_put_fails(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A PUT WAHA refuses restarts nothing: no event is owed for it."""
    watchdog = Watchdog(hass)
    _cut_off(waha, ready)
    session = waha.session(SESSION)
    config = session.config
    session.config = {}
    waha.fail_next(
        "PUT",
        f"/api/sessions/{SESSION}",
        400,
        {"message": ["config is wrong"], "statusCode": 400},
    )
    await watchdog.polls(1)
    # Someone puts the config back in WAHA by hand: nothing restarted, nothing owed.
    session.config = config
    await watchdog.polls(4)
    assert _issue(issue_registry, ready) is None


async def test_nothing_owed_by_a_stopped_session(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """WAHA starts no stopped session for our PUT: no event is owed."""
    watchdog = Watchdog(hass)
    session = waha.session(SESSION)
    await waha.stop_session(session)
    await wait_for(
        hass, lambda: ready.runtime_data.coordinator.monitor.raw_status == "STOPPED"
    )
    _cut_off(waha, ready)
    session.config = {}
    await watchdog.polls(4)
    assert session.status == "STOPPED"
    assert session.config.get("webhooks")
    assert _issue(issue_registry, ready) is None


async def test_issue_outlives_a_reload_not_the_entry(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No setup can tell whether WAHA reaches us: the issue stays until proven."""
    watchdog = Watchdog(hass)
    _cut_off(waha, ready)
    await waha.set_status(SESSION, "STARTING")
    await watchdog.polls(3)
    assert _issue(issue_registry, ready) is not None
    assert await hass.config_entries.async_reload(ready.entry_id)
    await hass.async_block_till_done()
    assert _issue(issue_registry, ready) is not None
    assert ready.runtime_data.coordinator.monitor.delivery.in_doubt
    assert await hass.config_entries.async_remove(ready.entry_id)
    assert _issue(issue_registry, ready) is None


async def test_websocket_delivery_is_not_judged_and_drops_the_issue(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Switched to WebSocket (its outages show as unavailability): no issue left."""
    watchdog = Watchdog(hass)
    _cut_off(waha, ready)
    await waha.set_status(SESSION, "STARTING")
    await watchdog.polls(3)
    assert _issue(issue_registry, ready) is not None
    hass.config_entries.async_update_entry(
        ready, data={**ready.data, CONF_DELIVERY: DELIVERY_WEBSOCKET}
    )
    await hass.async_block_till_done()
    assert _issue(issue_registry, ready) is None
    coordinator = ready.runtime_data.coordinator
    await wait_for(hass, ready.runtime_data.websocket.connected.is_set)
    # Statuses that never come as events (the WebSocket's to tell): no issue.
    waha.session(SESSION).status = "STARTING"
    for _ in range(3):
        await coordinator.async_refresh_session()
    assert coordinator.monitor.raw_status == "STARTING"
    assert _issue(issue_registry, ready) is None
