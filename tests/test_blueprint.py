"""The shipped blueprint loads, validates and fires on a contact coming online."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
import shutil

from pytest_homeassistant_custom_component.common import async_fire_time_changed

from homeassistant.components import persistent_notification
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from scripts import demo_bootstrap

BLUEPRINT = (
    Path(__file__).parent.parent
    / "blueprints"
    / "automation"
    / "waha_presence"
    / "contact_online.yaml"
)


async def test_blueprint_loads_and_triggers(hass: HomeAssistant) -> None:
    """The blueprint validates and notifies when the contact turns online."""
    await hass.async_add_executor_job(_install, hass.config.path("blueprints"))

    calls: list[ServiceCall] = []
    notified = asyncio.Event()

    @callback
    def notify(call: ServiceCall) -> None:
        # A callback runs in the loop: a plain function would hop to a thread.
        calls.append(call)
        notified.set()

    hass.services.async_register("notify", "phone", notify)
    hass.states.async_set(
        "binary_sensor.alice_online", "off", {"friendly_name": "Alice Online"}
    )
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Alice online",
                "use_blueprint": {
                    "path": "waha_presence/contact_online.yaml",
                    "input": {
                        "contact": "binary_sensor.alice_online",
                        "notify_action": "notify.phone",
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.alice_online")
    assert state is not None
    assert state.state == "on"

    hass.states.async_set(
        "binary_sensor.alice_online", "on", {"friendly_name": "Alice Online"}
    )
    # The run now waits out its quiet period, so do not block on it.
    async with asyncio.timeout(5):
        await notified.wait()
    assert len(calls) == 1
    # A sensor without a device is named by its own name.
    assert calls[0].data == {"title": "WhatsApp", "message": "Alice Online is online"}
    hass.states.async_set("binary_sensor.alice_online", "off")
    hass.states.async_set("binary_sensor.alice_online", "on")
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(calls) == 1, "a second online within the quiet period stays silent"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=11))
    await hass.async_block_till_done()
    assert hass.states.get("automation.alice_online").attributes["current"] == 0

    blueprint = await async_get_blueprints(hass).async_get_blueprint(
        "waha_presence/contact_online.yaml"
    )
    assert set(blueprint.inputs) == {"contact", "notify_action", "cooldown"}


def _install(blueprints: str) -> None:
    target = Path(blueprints, "automation", "waha_presence")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)


async def test_default_action_works_without_notify(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """Installed as the demo installs it, the default shows a notification in HA."""
    hass.config.config_dir = str(tmp_path)
    await hass.async_add_executor_job(demo_bootstrap.install_blueprints, tmp_path)
    assert await async_setup_component(hass, "persistent_notification", {})
    shown: list[persistent_notification.Notification] = []
    notified = asyncio.Event()

    @callback
    def on_change(
        kind: persistent_notification.UpdateType,
        notifications: dict[str, persistent_notification.Notification],
    ) -> None:
        if kind is persistent_notification.UpdateType.ADDED:
            shown.extend(notifications.values())
            notified.set()

    persistent_notification.async_register_callback(hass, on_change)
    hass.states.async_set(
        "binary_sensor.alice_online", "off", {"friendly_name": "Alice Online"}
    )
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Alice online",
                "use_blueprint": {
                    "path": "waha_presence/contact_online.yaml",
                    "input": {"contact": "binary_sensor.alice_online"},
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert not hass.services.has_service("notify", "notify")
    hass.states.async_set(
        "binary_sensor.alice_online", "on", {"friendly_name": "Alice Online"}
    )
    async with asyncio.timeout(5):
        await notified.wait()
    assert [(n["title"], n["message"]) for n in shown] == [
        ("WhatsApp", "Alice Online is online")
    ]
