"""What HACS and hassfest check, as far as it can be checked locally."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
import pytest
import yaml

from custom_components.waha_presence import (
    binary_sensor,
    config_flow,
    event,
    select,
    sensor,
)
from custom_components.waha_presence.const import DOMAIN, MIN_WAHA_VERSION
from custom_components.waha_presence.models import SessionStatus
from custom_components.waha_presence.repairs import LOGIN_KEYS
from homeassistant.const import __version__ as ha_version
from homeassistant.helpers.entity import EntityDescription

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / DOMAIN
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text())
STRINGS = json.loads((PACKAGE / "translations" / "en.json").read_text())
ICONS = json.loads((PACKAGE / "icons.json").read_text())
SERVICES = yaml.safe_load((PACKAGE / "services.yaml").read_text())
SOURCES = {path.name: path.read_text() for path in PACKAGE.glob("*.py")}


def test_manifest_keys() -> None:
    """The manifest has what a custom integration needs, in hassfest's order."""
    required = {
        "domain",
        "name",
        "codeowners",
        "config_flow",
        "documentation",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "requirements",
        "version",
    }
    assert required <= set(MANIFEST)
    assert MANIFEST["domain"] == DOMAIN
    keys = [key for key in MANIFEST if key not in ("domain", "name")]
    assert keys == sorted(keys), "hassfest wants domain, name, then sorted keys"
    assert AwesomeVersion(MANIFEST["version"]).valid
    assert MANIFEST["iot_class"] == "local_push"
    assert MANIFEST["integration_type"] == "hub"
    assert MANIFEST["config_flow"] is True
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])
    for key in ("documentation", "issue_tracker"):
        assert MANIFEST[key].startswith("https://")
    assert "webhook" in MANIFEST["dependencies"]


def test_hacs_json() -> None:
    """hacs.json names the integration and the Home Assistant version we test."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["name"] == MANIFEST["name"]
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion(ha_version)
    assert hacs["homeassistant"] == "2026.10.4"


def test_quality_scale_lists_every_rule() -> None:
    """Every rule is done or exempt with a reason."""
    rules = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text())["rules"]
    assert len(rules) >= 50
    for name, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in ("done", "exempt"), name
            if status["status"] == "exempt":
                assert status["comment"], name
        else:
            assert status == "done", name


def _literal_args(source: str, func: str, keyword: str) -> set[str]:
    """Return the string literals passed as `keyword=` to calls of `func`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name != func:
                continue
            for kw in node.keywords:
                if kw.arg == keyword and isinstance(kw.value, ast.Constant):
                    found.add(kw.value.value)
    return found


def _error_keys(source: str) -> set[str]:
    """Return the error keys a flow can show (assigned or returned as literals)."""
    keys = set(re.findall(r'errors\[[^\]]+\] = "([a-z_]+)"', source))
    keys |= set(re.findall(r'return "([a-z_]+)"', source))
    return keys


def test_config_flow_translations() -> None:
    """Every step, error and abort of the flows has text."""
    source = SOURCES["config_flow.py"]
    steps = _literal_args(source, "async_show_form", "step_id")
    config, subentry = STRINGS["config"], STRINGS["config_subentries"]["chat"]
    assert steps - {"init"} <= set(config["step"]) | set(subentry["step"])
    assert "init" in STRINGS["options"]["step"]
    errors = _error_keys(source)
    assert errors <= set(config["error"]) | set(subentry["error"])
    aborts = _literal_args(source, "async_abort", "reason")
    # Raised by HA's helpers rather than our calls: async_set_unique_id, the _abort ones.
    aborts |= {
        "already_configured",
        "already_in_progress",
        "reauth_successful",
        "reconfigure_successful",
    }
    assert aborts <= set(config["abort"]) | set(subentry["abort"])
    for section in (config["step"], subentry["step"], STRINGS["options"]["step"]):
        for step in section.values():
            assert set(step.get("data", {})) == set(step.get("data_description", {}))


def test_exception_translations() -> None:
    """Every translation_key raised in code has an exception message."""
    used: set[str] = set()
    for source in SOURCES.values():
        used |= set(re.findall(r'translation_key="([a-z_]+)"', source))
        used |= set(re.findall(r'key = "([a-z_]+)"', source))
    entity_keys = {key for platform in STRINGS["entity"].values() for key in platform}
    issues = set(STRINGS["issues"])
    assert used - entity_keys - issues <= set(STRINGS["exceptions"])


def _descriptions() -> list[tuple[str, EntityDescription]]:
    found: list[tuple[str, EntityDescription]] = []
    for platform, module in (
        ("sensor", sensor),
        ("binary_sensor", binary_sensor),
        ("event", event),
        ("select", select),
    ):
        found.extend(
            (platform, value)
            for value in vars(module).values()
            if isinstance(value, EntityDescription)
        )
    return found


@pytest.mark.parametrize(("platform", "description"), _descriptions())
def test_entity_translations_and_icons(
    platform: str, description: EntityDescription
) -> None:
    """Each entity has a name, its states have text, and it has an icon."""
    key = description.translation_key
    assert key is not None
    strings = STRINGS["entity"][platform][key]
    assert strings["name"]
    options: list[str] = list(getattr(description, "options", None) or [])
    options += list(getattr(description, "event_types", None) or [])
    if platform == "event":
        states = strings["state_attributes"]["event_type"]["state"]
    else:
        states = strings.get("state", {})
    assert set(options) <= set(states)
    assert key in ICONS["entity"][platform]


def test_action_translations_and_icons() -> None:
    """Every action and each of its fields has a name and a description."""
    actions: dict[str, Any] = STRINGS["services"]
    assert set(actions) == set(SERVICES)
    for name, spec in SERVICES.items():
        assert actions[name]["name"]
        assert actions[name]["description"]
        fields = set((spec or {}).get("fields", {}))
        assert fields == set(actions[name].get("fields", {}))
        for field in actions[name].get("fields", {}).values():
            assert field["name"]
            assert field["description"]
        assert name in ICONS["services"]


# The rules: no Home Assistant at run time, so plain pytest tests them.
HA_FREE = {
    "const.py",
    "models.py",
    "api.py",
    "exceptions.py",
    "engines.py",
    "session_config.py",
    "presence.py",
    "freshness.py",
}


def test_rules_import_nothing_from_home_assistant() -> None:
    """The rule modules import neither Home Assistant nor a module of ours that does."""
    for name in HA_FREE:
        for node in ast.walk(ast.parse(SOURCES[name])):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert f"{node.module}.py" in HA_FREE, (name, node.module)
            elif isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("homeassistant"), name
            elif isinstance(node, ast.Import):
                assert not any(
                    alias.name.startswith("homeassistant") for alias in node.names
                ), name


def test_no_strings_json() -> None:
    """Custom integrations ship translations/en.json, not strings.json."""
    assert not (PACKAGE / "strings.json").exists()
    assert config_flow.WahaConfigFlow.VERSION == 1


def test_readme_names_the_waha_minimum() -> None:
    """The README's requirement is the minimum the flow and setup check."""
    readme = (ROOT / "README.md").read_text()
    assert f"| WAHA {MIN_WAHA_VERSION} or newer" in readme
    assert f"needs WAHA {MIN_WAHA_VERSION} or newer" in readme


def test_entity_icons_tell_entities_apart() -> None:
    """No two entities share a default icon; no state icon repeats its default."""
    icons = [
        spec for platform in ICONS["entity"].values() for spec in platform.values()
    ]
    defaults = [spec["default"] for spec in icons]
    assert len(defaults) == len(set(defaults))
    for spec in icons:
        assert spec["default"] not in spec.get("state", {}).values()


def _texts(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        return [
            item for key, value in node.items() for item in _texts(value, (*path, key))
        ]
    return [(path, node)] if isinstance(node, str) else []


def _markdown(path: tuple[str, ...]) -> bool:
    """Return True for the texts Home Assistant renders as Markdown."""
    if path[0] == "issues":
        return path[-1] == "description"
    return "step" in path and path[-1] == "description"


def test_texts_show_no_raw_backticks() -> None:
    """Backticks only where Markdown turns them into code; elsewhere they show."""
    raw = [".".join(path) for path, text in _texts(STRINGS) if "`" in text]
    assert [path for path in raw if not _markdown(tuple(path.split(".")))] == []


def test_add_button_reads_as_adding_an_account() -> None:
    """The integration page's add button says what is added: a WhatsApp account."""
    # Without this text the button reads "Add hub", after the integration type.
    assert STRINGS["config"]["initiate_flow"]["user"] == "Add WhatsApp account"
    assert STRINGS["config"]["step"]["user"]["title"] == "Add a WhatsApp account"


def test_login_repairs_cover_every_status() -> None:
    """Each status that needs a person has its own repair text."""

    assert set(LOGIN_KEYS) == {s for s in SessionStatus if s.needs_login}
    assert set(LOGIN_KEYS.values()) <= set(STRINGS["issues"])


def test_webhook_path_shows_whole() -> None:
    """The path stands as a paragraph of its own that wraps; not a cut-off hint."""
    # A code block would scroll sideways in the dialog: the browser test checks
    # that the shown path fits.
    for step in ("delivery", "reconfigure"):
        strings = STRINGS["config"]["step"][step]
        assert strings["description"].endswith("\n\n{webhook_path}")
        assert "```" not in strings["description"]
        assert "{webhook_path}" not in strings["data_description"]["webhook_url"]
