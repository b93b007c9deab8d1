"""Constants for the WAHA Presence integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "waha_presence"
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

EVENT_PRESENCE_UPDATE: Final = "presence.update"
EVENT_SESSION_STATUS: Final = "session.status"
WEBHOOK_EVENTS: Final = (EVENT_PRESENCE_UPDATE, EVENT_SESSION_STATUS)

INITIAL_READ_CONCURRENCY: Final = 4
WS_RECONNECT_MIN: Final = timedelta(seconds=1)
WS_RECONNECT_MAX: Final = timedelta(seconds=60)
