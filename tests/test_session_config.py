"""Merging our delivery into a WAHA session config."""

from __future__ import annotations

import pytest

from custom_components.waha_presence.session_config import (
    config_satisfied,
    desired_config,
)

WEBHOOK_ID = "abc123"


@pytest.mark.parametrize("webjs", [None, "on", {}, {"other": 1}])
def test_webjs_block_of_any_shape_gets_tags_events_on(webjs: object) -> None:
    """A missing, null or odd `webjs` block still ends with tagsEventsOn."""
    stored = {"webjs": webjs} if webjs != {} else {}
    config = desired_config(stored, webhook_id=WEBHOOK_ID, webhook=None, engine="WEBJS")
    assert config["webjs"]["tagsEventsOn"] is True
    assert config_satisfied(config, webhook_id=WEBHOOK_ID, webhook=None, engine="WEBJS")
    if isinstance(webjs, dict) and webjs:
        assert config["webjs"]["other"] == 1
