"""The demo's configuration: automations, scripts and scenes are saved and kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
import re
from typing import Any

from aiohttp.test_utils import TestClient
import hass_frontend
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import yaml

from homeassistant import config as conf_util
from homeassistant.components import persistent_notification
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import check_config
from homeassistant.helpers.template import Template
from homeassistant.setup import async_setup_component
from scripts import demo_bootstrap, demo_dashboard
from simulator import WahaSimulator
from simulator.demo import BOB, CAROL, FAMILY, seed_demo

from .const import API_KEY, SESSION
from .helpers import wait_for

BLUEPRINT = Path("automation", "waha_presence", "contact_online.yaml")
# A custom element the frontend defines for each card type it ships.
CARD_ELEMENT = re.compile(rb'"hui-([a-z-]+)-card"')
ENTITY_ID = re.compile(r"[a-z_]+\.[a-z0-9_]+")


@pytest.fixture
async def waha(socket_enabled: None) -> AsyncGenerator[WahaSimulator]:
    """Run the demo's simulated world (the package fixture seeds a smaller one)."""
    sim = WahaSimulator(API_KEY, retry_delay_scale=0.0)
    seed_demo(sim)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def tracked() -> list[ConfigSubentryData]:
    """Track nothing at first: the bootstrap tracks the demo chats."""
    return []


@pytest.fixture
async def ha_client(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """Serve Home Assistant with its WebSocket API and dashboards, as the demo has."""
    # Views must be registered before the server starts and freezes its router.
    for component in ("http", "webhook", "websocket_api", "config", "lovelace"):
        assert await async_setup_component(hass, component, {})
    return await hass_client_no_auth()


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
    # The exclude the README gives for reading the logbook as sentences is the demo's.
    readme = (demo_bootstrap.ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(logbook:\n.*?)```", readme, re.DOTALL)
    assert block is not None
    readme_globs = yaml.safe_load(block[1])["logbook"]["exclude"]["entity_globs"]
    assert readme_globs == result["logbook"]["exclude"]["entity_globs"]


def _cards(config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every card of a dashboard, nested ones (entity-filter, stacks) too."""

    def nested(cards: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for card in cards:
            yield card
            yield from nested([card["card"]] if "card" in card else [])
            yield from nested(card.get("cards", []))

    for view in config["views"]:
        yield from nested(view.get("cards", []))
        for section in view.get("sections", []):
            yield from nested(section.get("cards", []))


def _entity_ids(node: Any) -> set[str]:
    """Return every entity id a dashboard names (not those its templates find)."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _entity_ids(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("entity", "entity_id", "entities"):
                values = value if isinstance(value, list) else [value]
                found |= {v for v in values if isinstance(v, str)}
            found |= _entity_ids(value)
    return found


def test_dashboard_uses_only_cards_home_assistant_ships() -> None:
    """The shipped dashboard parses, and each card is one of the frontend's own."""
    config = demo_dashboard.load()
    assert config["title"] == demo_dashboard.TITLE
    shipped: set[str] = set()
    for script in (Path(hass_frontend.where()) / "frontend_latest").glob("*.js"):
        shipped.update(m.decode() for m in CARD_ELEMENT.findall(script.read_bytes()))
    types = {card["type"] for card in _cards(config)}
    assert {"tile", "history-graph", "logbook", "entity-filter"} <= types
    assert types <= shipped, types - shipped
    named = _entity_ids(config)
    assert named, "the dashboard names no entities"
    assert all(ENTITY_ID.fullmatch(entity_id) for entity_id in named), named


async def test_bootstrap_tracks_the_demo_chats_and_adds_the_dashboard(
    hass: HomeAssistant,
    waha: WahaSimulator,
    ready: MockConfigEntry,
    ha_url: str,
    hass_access_token: str,
) -> None:
    """What the bootstrap tracks is what the dashboard names; it is added once."""
    api = demo_bootstrap.HomeAssistantApi(ha_url)
    api.token = hass_access_token
    added = await hass.async_add_executor_job(
        api.track_chats, ready.entry_id, demo_bootstrap.DEMO_CHATS
    )
    assert added == list(demo_bootstrap.DEMO_CHATS)
    config = demo_dashboard.load()
    named = _entity_ids(config)
    await wait_for(hass, lambda: named <= set(hass.states.async_entity_ids()))

    assert await demo_dashboard.async_install(ha_url, hass_access_token, config)
    dashboard = hass.data[LOVELACE_DATA].dashboards[demo_dashboard.URL_PATH]
    assert await dashboard.async_load(False) == config
    # Added once: what a person changed since stays.
    await dashboard.async_save({"views": []})
    assert not await demo_dashboard.async_install(ha_url, hass_access_token, config)
    assert await dashboard.async_load(False) == {"views": []}

    # The "Right now" text finds the chats by itself.
    await waha.set_contact_presence(SESSION, BOB, "typing")
    await waha.set_group_presence(SESSION, FAMILY, CAROL, "typing")
    await wait_for(hass, lambda: hass.states.is_state("sensor.bob_presence", "typing"))
    await wait_for(
        hass, lambda: hass.states.is_state("sensor.family_typing_or_recording", "1")
    )
    markdown = next(c for c in _cards(config) if c["type"] == "markdown")
    text = Template(markdown["content"], hass).async_render(parse_result=False)
    assert "**Online:** Bob\n" in text
    assert "**Typing:** Bob is typing to you; Carol is typing in Family" in text
