"""Identities shared by the tests and the simulated WAHA."""

API_KEY = "test-api-key"
SESSION = "default"
ACCOUNT_ID = "31600000000@c.us"
ACCOUNT_LID = "99000000000@lid"
WEBHOOK_ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
HMAC_KEY = "test-hmac-key-that-is-long-enough-to-be-real"

ALICE = "31611111111@c.us"
ALICE_LID = "111111111111@lid"
BOB = "31622222222@c.us"
BOB_LID = "222222222222@lid"
CAROL = "31633333333@c.us"
FAMILY = "120363000000000001@g.us"

# Entities of the tracked chats above.
ALICE_PRESENCE = "sensor.alice_presence"
ALICE_ONLINE = "binary_sensor.alice_online"
ALICE_SEEN = "sensor.alice_last_seen"
ALICE_ACTIVITY = "event.alice_activity"
BOB_PRESENCE = "sensor.bob_presence"
FAMILY_ACTIVE = "sensor.family_typing_or_recording"
FAMILY_ACTIVITY = "event.family_activity"
