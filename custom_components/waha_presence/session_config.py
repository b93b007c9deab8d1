"""Merge our event delivery into a WAHA session config without losing the rest."""

from __future__ import annotations

import copy
from typing import Any

from .const import WEBHOOK_EVENTS
from .engines import needs_store, needs_tags_events

WEBHOOK_RETRIES = {"policy": "exponential", "delaySeconds": 2, "attempts": 6}


def build_webhook(url: str, hmac_key: str) -> dict[str, Any]:
    """Return the webhook entry we add to `config.webhooks`."""
    return {
        "url": url,
        "events": list(WEBHOOK_EVENTS),
        "hmac": {"key": hmac_key},
        "retries": dict(WEBHOOK_RETRIES),
    }


def masked_webhook_url(url: str, webhook_id: str) -> str:
    """Return a webhook URL with its id cut out: the id is the webhook's secret."""
    return url.replace(webhook_id, "…") if webhook_id else url


def _is_ours(webhook: object, webhook_id: str) -> bool:
    return isinstance(webhook, dict) and webhook_id in str(webhook.get("url", ""))


def desired_config(
    config: dict[str, Any],
    *,
    webhook_id: str,
    webhook: dict[str, Any] | None,
    engine: str | None,
) -> dict[str, Any]:
    """Return `config` with our webhook in place and WEBJS presence events on."""
    result = copy.deepcopy(config)
    webhooks = [
        item for item in result.get("webhooks") or [] if not _is_ours(item, webhook_id)
    ]
    if webhook is not None:
        webhooks.append(webhook)
    if webhooks or "webhooks" in result:
        result["webhooks"] = webhooks
    if needs_tags_events(engine):
        if not isinstance(result.get("webjs"), dict):
            # Missing, or null as WAHA stores an unset block.
            result["webjs"] = {}
        result["webjs"]["tagsEventsOn"] = True
    return result


def without_our_webhook(config: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    """Return `config` with our webhook removed and everything else kept."""
    result = copy.deepcopy(config)
    webhooks = result.get("webhooks") or []
    # Untouched unless ours is there: a changed config means a PUT, and a restart.
    if any(_is_ours(item, webhook_id) for item in webhooks):
        result["webhooks"] = [
            item for item in webhooks if not _is_ours(item, webhook_id)
        ]
    return result


def config_satisfied(
    config: dict[str, Any],
    *,
    webhook_id: str,
    webhook: dict[str, Any] | None,
    engine: str | None,
) -> bool:
    """Return True when the parts of `config` that we own are as we want them."""
    ours = [item for item in config.get("webhooks") or [] if _is_ours(item, webhook_id)]
    if webhook is None:
        if ours:
            return False
    elif not any(
        all(item.get(key) == webhook[key] for key in ("url", "events", "hmac"))
        for item in ours
    ):
        return False
    if needs_tags_events(engine):
        webjs = config.get("webjs")
        return isinstance(webjs, dict) and bool(webjs.get("tagsEventsOn"))
    return True


def store_missing(config: dict[str, Any], *, engine: str | None) -> bool:
    """Return True for NOWEB without its store, which WAHA needs for contacts and LIDs."""
    if not needs_store(engine):
        return False
    noweb = config.get("noweb")
    store = noweb.get("store") if isinstance(noweb, dict) else None
    return not (isinstance(store, dict) and store.get("enabled") is True)
