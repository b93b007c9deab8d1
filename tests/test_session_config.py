"""Merging our delivery into a WAHA session config."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.waha_presence.session_config import (
    config_satisfied,
    desired_config,
    without_our_webhook,
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


@pytest.mark.parametrize(
    "config",
    [{}, {"webhooks": None}, {"webhooks": []}, {"webhooks": [{"url": "http://x/y"}]}],
)
def test_removal_leaves_a_config_without_ours_as_it_is(config: dict[str, Any]) -> None:
    """Nothing of ours in it: the same config, so no PUT restarts the session."""
    assert without_our_webhook(config, WEBHOOK_ID) == config


def test_removal_takes_only_ours() -> None:
    """Our webhook goes, every other one stays in its order."""
    theirs = [{"url": "http://a/1"}, {"url": "http://b/2"}]
    ours = {"url": f"http://ha/api/webhook/{WEBHOOK_ID}"}
    config = {"webhooks": [theirs[0], ours, theirs[1]], "metadata": {"k": "v"}}
    assert without_our_webhook(config, WEBHOOK_ID) == {
        "webhooks": theirs,
        "metadata": {"k": "v"},
    }
