"""Constants for the WAHA Presence integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "waha_presence"
# The oldest WAHA this integration works with (presence events, LIDs, tagsEventsOn).
MIN_WAHA_VERSION: Final = "2025.8"
LOGGER = logging.getLogger(__package__)

CONF_SESSION: Final = "session"
CONF_DELIVERY: Final = "delivery"
CONF_WEBHOOK_URL: Final = "webhook_url"
CONF_HMAC_KEY: Final = "hmac_key"
CONF_ACCOUNT_ID: Final = "account_id"
CONF_RESUBSCRIBE_MINUTES: Final = "resubscribe_minutes"
CONF_SHOW_PICTURES: Final = "show_pictures"

CONF_CHAT_ID: Final = "chat_id"
CONF_CHAT_NAME: Final = "chat_name"

DELIVERY_WEBHOOK: Final = "webhook"
DELIVERY_WEBSOCKET: Final = "websocket"

SUBENTRY_CHAT: Final = "chat"

DEFAULT_RESUBSCRIBE_MINUTES: Final = 10
DEFAULT_SHOW_PICTURES: Final = True
MIN_RESUBSCRIBE_MINUTES: Final = 1
MAX_RESUBSCRIBE_MINUTES: Final = 1440

# Fired on Home Assistant's bus once per presence change; see README "Automations".
EVENT_PRESENCE_CHANGED: Final = f"{DOMAIN}_presence_changed"
ATTR_ACTIVITY: Final = "activity"
ATTR_CHAT_ID: Final = "chat_id"
ATTR_GROUP: Final = "group"
ATTR_PARTICIPANT: Final = "participant"
ATTR_PRESENCE: Final = "presence"
ATTR_PREVIOUS: Final = "previous"

EVENT_PRESENCE_UPDATE: Final = "presence.update"
EVENT_SESSION_STATUS: Final = "session.status"
WEBHOOK_EVENTS: Final = (EVENT_PRESENCE_UPDATE, EVENT_SESSION_STATUS)

INITIAL_READ_CONCURRENCY: Final = 4
WS_RECONNECT_MIN: Final = timedelta(seconds=1)
WS_RECONNECT_MAX: Final = timedelta(seconds=60)
