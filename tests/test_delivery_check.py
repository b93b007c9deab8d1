"""The delivery check: what WAHA refusing, stopping or failing is reported as."""

from __future__ import annotations

from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from yarl import URL

from custom_components.waha_presence import delivery_check, delivery_flow
from custom_components.waha_presence.const import (
    CONF_DELIVERY,
    CONF_SESSION,
    CONF_WEBHOOK_URL,
    DELIVERY_WEBHOOK,
    DELIVERY_WEBSOCKET,
    DOMAIN,
)
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from simulator import WahaSimulator

from .const import API_KEY, SESSION, WEBHOOK_ID
from .helpers import wait_for

USER_WEBHOOK = {"url": "https://example.com/hook", "events": ["message"]}
TRANSLATIONS = (
    Path(__file__).parent.parent
    / "custom_components"
    / "waha_presence"
    / "translations"
    / "en.json"
)


@pytest.fixture
def fast_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bound the check by 1 s: the simulator delivers within milliseconds."""
    monkeypatch.setattr(delivery_check, "CHECK_TIMEOUT", 1.0)


async def _delivery_form(hass: HomeAssistant, waha: WahaSimulator) -> tuple[str, str]:
    """Walk the config flow to its delivery step; return the flow id and hook path."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: waha.url, CONF_API_KEY: API_KEY}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SESSION: SESSION}
    )
    assert result["step_id"] == "delivery"
    return result["flow_id"], result["description_placeholders"]["webhook_path"]


async def _submit(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]
) -> dict[str, Any]:
    """Submit a delivery and wait out its check."""
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(flow_id)


def test_every_outcome_has_text() -> None:
    """Each error a check can end with is explained, in the flows and the repair."""
    strings = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))
    fix_flow = strings["issues"]["delivery_broken"]["fix_flow"]
    for errors in (strings["config"]["error"], fix_flow["error"]):
        assert set(delivery_check.ERRORS) <= set(errors)
    for progress in (strings["config"]["progress"], fix_flow["progress"]):
        assert set(progress) == {
            f"check_{DELIVERY_WEBHOOK}",
            f"check_{DELIVERY_WEBSOCKET}",
        }


async def test_config_refused_is_reported_as_such(
    hass: HomeAssistant, waha: WahaSimulator, ha_url: str
) -> None:
    """WAHA's 400 is WAHA's message, not "unreachable"; nothing is restarted."""
    flow_id, path = await _delivery_form(hass, waha)
    waha.fail_next(
        "PUT",
        f"/api/sessions/{SESSION}",
        400,
        {
            "message": ["config.webhooks.0.url must be a URL address"],
            "error": "Bad Request",
            "statusCode": 400,
        },
    )
    hook = {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: f"{ha_url}{path}"}
    result = await _submit(hass, flow_id, hook)
    assert result["errors"] == {"base": "config_rejected"}
    assert result["description_placeholders"]["error"] == (
        "config.webhooks.0.url must be a URL address"
    )
    result = await _submit(hass, flow_id, hook)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_stopped_session_is_reported_as_not_restarted(
    hass: HomeAssistant, waha: WahaSimulator, ha_url: str
) -> None:
    """WAHA keeps a stopped session stopped: no waiting, and no "unreachable"."""
    waha.session(SESSION).config = {"webhooks": [USER_WEBHOOK]}
    flow_id, path = await _delivery_form(hass, waha)
    session = waha.session(SESSION)
    await waha.stop_session(session)
    session.status = "STOPPED"
    hook = {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: f"{ha_url}{path}"}
    result = await _submit(hass, flow_id, hook)
    assert result["errors"] == {"base": "session_not_restarted"}
    assert result["description_placeholders"]["session"] == SESSION
    assert session.config == {"webhooks": [USER_WEBHOOK]}
    await waha.start_session(session)
    result = await _submit(hass, flow_id, hook)
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("status", "error"), [(401, "invalid_auth"), (500, "cannot_connect")]
)
async def test_waha_failing_during_the_check(
    hass: HomeAssistant, waha: WahaSimulator, ha_url: str, status: int, error: str
) -> None:
    """WAHA refusing the key or failing while the check reads the session."""
    flow_id, path = await _delivery_form(hass, waha)
    waha.fail_next("GET", f"/api/sessions/{SESSION}", status, {"statusCode": status})
    result = await _submit(
        hass,
        flow_id,
        {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: f"{ha_url}{path}"},
    )
    assert result["errors"] == {"base": error}


async def test_failed_put_back_is_logged(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_url: str,
    fast_check: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """WAHA failing to take the webhook out again is a warning; the form still says why."""
    waha.network.make_unreachable(ha_url.removeprefix("http://"), "refused")
    flow_id, path = await _delivery_form(hass, waha)
    put = len([r for r in waha.requests if r.method == "PUT"])
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: f"{ha_url}{path}"}
    )
    await wait_for(
        None, lambda: len([r for r in waha.requests if r.method == "PUT"]) > put
    )
    waha.fail_next("PUT", f"/api/sessions/{SESSION}", 500, {"statusCode": 500})
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["errors"] == {"base": "webhook_unreachable"}
    assert "Could not restore the config of WAHA session default" in caplog.text
    assert path.rsplit("/", 1)[1] not in caplog.text


async def test_closed_dialog_puts_the_config_back(
    hass: HomeAssistant, waha: WahaSimulator, ha_url: str
) -> None:
    """Closing the dialog during the check leaves no webhook behind in WAHA."""
    waha.session(SESSION).config = {"webhooks": [USER_WEBHOOK]}
    waha.network.make_unreachable(ha_url.removeprefix("http://"), "refused")
    flow_id, path = await _delivery_form(hass, waha)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_DELIVERY: DELIVERY_WEBHOOK, CONF_WEBHOOK_URL: f"{ha_url}{path}"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await wait_for(None, lambda: len(waha.session(SESSION).config["webhooks"]) == 2)
    hass.config_entries.flow.async_abort(flow_id)
    # Generous: under a loaded CI the put-back once took longer than the default 5 s.
    await wait_for(
        None,
        lambda: waha.session(SESSION).config == {"webhooks": [USER_WEBHOOK]},
        limit=20,
    )
    await hass.async_block_till_done()


async def test_websocket_that_cannot_open(
    hass: HomeAssistant, waha: WahaSimulator
) -> None:
    """No WAHA at the address any more: cannot_connect, and the URL is not logged."""
    flow_id, _ = await _delivery_form(hass, waha)
    await waha.stop()
    result = await _submit(hass, flow_id, {CONF_DELIVERY: DELIVERY_WEBSOCKET})
    assert result["errors"] == {"base": "cannot_connect"}


async def test_websocket_closed_before_an_event(
    hass: HomeAssistant, waha: WahaSimulator
) -> None:
    """WAHA (or a proxy) closing the WebSocket ends the wait at once."""
    flow_id, _ = await _delivery_form(hass, waha)
    waha.delay_next("GET", f"/api/sessions/{SESSION}", 0.5)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_DELIVERY: DELIVERY_WEBSOCKET}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await wait_for(None, lambda: len(waha.ws_clients) == 1)
    # A frame that is no event is passed over; then the connection goes.
    [client] = waha.ws_clients
    await client.ws.send_str("not json")
    await waha.emit(SESSION, "presence.update", {"id": 5})
    await client.ws.close(code=aiohttp.WSCloseCode.GOING_AWAY)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["errors"] == {"base": "websocket_silent"}


async def test_websocket_refused_for_the_key(
    hass: HomeAssistant, waha: WahaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """WAHA closes a WebSocket with a wrong key (1008): the key is named, not logged."""
    caplog.set_level(logging.DEBUG)
    flow_id, _ = await _delivery_form(hass, waha)
    waha.api_key = "rotated-key"
    result = await _submit(hass, flow_id, {CONF_DELIVERY: DELIVERY_WEBSOCKET})
    assert result["errors"] == {"base": "invalid_auth"}
    assert API_KEY not in caplog.text


async def test_check_holds_the_loaded_entrys_config(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ha_url: str,
    ready: MockConfigEntry,
    fast_check: None,
) -> None:
    """While reconfigure checks a URL, the entry's watchdog does not put its own back."""
    port = URL(ha_url).port
    waha.network.make_unreachable("homeassistant.local", "dns")
    puts = len([r for r in waha.requests if r.method == "PUT"])
    result = await ready.start_reconfigure_flow(hass)
    tried = f"http://homeassistant.local:{port}/api/webhook/{WEBHOOK_ID}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_URL: waha.url,
            CONF_API_KEY: API_KEY,
            CONF_DELIVERY: DELIVERY_WEBHOOK,
            CONF_WEBHOOK_URL: tried,
        },
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await wait_for(
        None, lambda: waha.session(SESSION).config["webhooks"][0]["url"] == tried
    )
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1, seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["errors"] == {"base": "webhook_unreachable"}
    # The check's PUT and its put-back; the watchdog left the session alone.
    assert len([r for r in waha.requests if r.method == "PUT"]) == puts + 2


async def test_progress_shows_long_enough_for_the_frontend(
    hass: HomeAssistant, waha: WahaSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check that fails at once still shows its progress for MIN_PROGRESS seconds."""
    monkeypatch.setattr(delivery_flow, "MIN_PROGRESS", 0.5)
    waha.network.ws_upgrade_status = 502
    flow_id, _ = await _delivery_form(hass, waha)
    began = hass.loop.time()
    result = await _submit(hass, flow_id, {CONF_DELIVERY: DELIVERY_WEBSOCKET})
    assert result["errors"] == {"base": "websocket_blocked"}
    assert hass.loop.time() - began >= 0.5
