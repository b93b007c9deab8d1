"""Engine differences, and the session config that asks about them."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.waha_presence.engines import (
    GOWS,
    NOWEB,
    WEBJS,
    WPP,
    fade_target,
    lists_all_presences,
    needs_store,
    needs_tags_events,
)
from custom_components.waha_presence.models import PresenceStatus
from custom_components.waha_presence.session_config import (
    config_satisfied,
    desired_config,
    store_missing,
)

from .const import WEBHOOK_ID

# Engines WAHA names, then no engine known yet, then one from a future WAHA.
ENGINES: list[str | None] = [NOWEB, WEBJS, GOWS, WPP, None, "FUTURE"]
STORE_ON = {"noweb": {"store": {"enabled": True, "fullSync": False}}}


def test_engine_names_are_wahas() -> None:
    """The constants are the names WAHA reports in `engine.engine`."""
    assert (NOWEB, WEBJS, GOWS, WPP) == ("NOWEB", "WEBJS", "GOWS", "WPP")


@pytest.mark.parametrize(
    ("engine", "lists_all", "fades_to", "tags_events", "store"),
    [
        (NOWEB, True, PresenceStatus.ONLINE, False, True),
        (WEBJS, False, PresenceStatus.PAUSED, True, False),
        (GOWS, False, PresenceStatus.PAUSED, False, False),
        (WPP, True, PresenceStatus.PAUSED, False, False),
        (None, False, PresenceStatus.PAUSED, False, False),
        ("FUTURE", False, PresenceStatus.PAUSED, False, False),
        # Names are matched exactly, as WAHA spells them.
        ("noweb", False, PresenceStatus.PAUSED, False, False),
    ],
)
def test_engine_differences(
    engine: str | None,
    lists_all: bool,
    fades_to: PresenceStatus,
    tags_events: bool,
    store: bool,
) -> None:
    """Each engine's answers to every question the integration asks."""
    assert lists_all_presences(engine) is lists_all
    assert fade_target(engine) is fades_to
    assert needs_tags_events(engine) is tags_events
    assert needs_store(engine) is store


@pytest.mark.parametrize("engine", ENGINES)
def test_fade_target_is_no_chat_state(engine: str | None) -> None:
    """What a fade leaves is a presence that does not fade again."""
    target = fade_target(engine)
    assert target.is_active
    assert not target.is_chat_state


@pytest.mark.parametrize("engine", [e for e in ENGINES if e != WEBJS])
def test_desired_config_adds_webjs_only_for_webjs(engine: str | None) -> None:
    """Other engines get no `webjs` block, and are satisfied without one."""
    config = desired_config(
        {"metadata": {"k": "v"}}, webhook_id=WEBHOOK_ID, webhook=None, engine=engine
    )
    assert config == {"metadata": {"k": "v"}}
    assert config_satisfied({}, webhook_id=WEBHOOK_ID, webhook=None, engine=engine)


@pytest.mark.parametrize("webjs", [None, {}, {"tagsEventsOn": False}])
def test_webjs_without_tags_events_is_not_satisfied(webjs: object) -> None:
    """WEBJS without tagsEventsOn needs a config change."""
    assert not config_satisfied(
        {"webjs": webjs}, webhook_id=WEBHOOK_ID, webhook=None, engine=WEBJS
    )


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"noweb": None},
        {"noweb": {}},
        {"noweb": {"store": None}},
        {"noweb": {"store": {"enabled": False}}},
        # Only a real true enables the store.
        {"noweb": {"store": {"enabled": "true"}}},
    ],
)
def test_noweb_without_its_store_is_missing_it(config: dict[str, Any]) -> None:
    """NOWEB with no enabled store gets flagged."""
    assert store_missing(config, engine=NOWEB)


def test_noweb_with_its_store_is_not_missing_it() -> None:
    """NOWEB with `noweb.store.enabled` true is fine."""
    assert not store_missing(STORE_ON, engine=NOWEB)


@pytest.mark.parametrize("engine", [e for e in ENGINES if e != NOWEB])
def test_store_is_only_missing_for_noweb(engine: str | None) -> None:
    """Other engines have no store to miss."""
    assert not store_missing({}, engine=engine)
