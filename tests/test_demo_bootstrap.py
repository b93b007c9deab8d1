"""The demo's configuration: automations, scripts and scenes are saved and kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant import config as conf_util
from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import check_config
from homeassistant.setup import async_setup_component
from scripts import demo_bootstrap

BLUEPRINT = Path("automation", "waha_presence", "contact_online.yaml")


def test_write_config(tmp_path: Path) -> None:
    """The editors' files and the blueprint are there; what was saved stays."""
    demo_bootstrap.write_config(tmp_path, 8123)
    configuration = (tmp_path / "configuration.yaml").read_text()
    for line in (
        "automation: !include automations.yaml",
        "script: !include scripts.yaml",
        "scene: !include scenes.yaml",
    ):
        assert line in configuration.splitlines()
    assert (tmp_path / "blueprints" / BLUEPRINT).read_text() == (
        demo_bootstrap.BLUEPRINTS_DIR / BLUEPRINT
    ).read_text()
    saved = "- id: '1'\n  alias: Mine\n"
    (tmp_path / "automations.yaml").write_text(saved)
    demo_bootstrap.write_config(tmp_path, 8124)
    assert (tmp_path / "automations.yaml").read_text() == saved
    assert (tmp_path / "scripts.yaml").read_text() == ""
    assert (tmp_path / "scenes.yaml").read_text() == ""


async def test_saved_automation_and_script_run(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, tmp_path: Path
) -> None:
    """An automation from the blueprint and a script, saved in the editors, run."""
    hass.config.config_dir = str(tmp_path)
    await hass.async_add_executor_job(demo_bootstrap.write_config, tmp_path, 8123)
    config = await conf_util.async_hass_config_yaml(hass)
    for domain in ("persistent_notification", "automation", "script", "config"):
        assert await async_setup_component(hass, domain, config)
    messages: list[str] = []
    shown = asyncio.Event()

    @callback
    def on_change(
        kind: persistent_notification.UpdateType,
        notifications: dict[str, persistent_notification.Notification],
    ) -> None:
        if kind is persistent_notification.UpdateType.ADDED:
            messages.extend(n["message"] for n in notifications.values())
            shown.set()

    persistent_notification.async_register_callback(hass, on_change)
    hass.states.async_set(
        "binary_sensor.alice_online", "off", {"friendly_name": "Alice Online"}
    )
    client = await hass_client()
    saved = await client.post(
        "/api/config/automation/config/alice_online",
        json={
            "alias": "Alice online",
            "use_blueprint": {
                "path": str(BLUEPRINT.relative_to("automation")),
                "input": {"contact": "binary_sensor.alice_online"},
            },
        },
    )
    assert saved.status == 200, await saved.text()
    saved = await client.post(
        "/api/config/script/config/greet",
        json={
            "alias": "Greet",
            "sequence": [
                {"action": "persistent_notification.create", "data": {"message": "Hi"}}
            ],
        },
    )
    assert saved.status == 200, await saved.text()
    await hass.async_block_till_done()
    assert hass.states.get("automation.alice_online").state == "on"
    assert "alice_online" in (tmp_path / "automations.yaml").read_text()

    hass.states.async_set(
        "binary_sensor.alice_online", "on", {"friendly_name": "Alice Online"}
    )
    async with asyncio.timeout(5):
        await shown.wait()
    await hass.services.async_call("script", "greet", blocking=True)
    assert messages == ["Alice Online is online", "Hi"]


async def test_configuration_is_valid(hass: HomeAssistant, tmp_path: Path) -> None:
    """Home Assistant's own check finds nothing wrong in the demo configuration."""
    hass.config.config_dir = str(tmp_path)
    await hass.async_add_executor_job(demo_bootstrap.write_config, tmp_path, 8123)
    result = await check_config.async_check_ha_config_file(hass)
    assert not result.errors, result.errors
    assert {"automation", "script", "scene", "logbook"} <= set(result)
    assert result["logbook"]["exclude"]["entity_globs"]
