"""What a presence change means: its one activity, and the triggers it fires."""

from __future__ import annotations

import pytest

from custom_components.waha_presence.activity import (
    CONTACT_TRIGGERS,
    GROUP_TRIGGERS,
    Activity,
    activity_of,
)
from custom_components.waha_presence.models import PresenceStatus

OFFLINE = PresenceStatus.OFFLINE
ONLINE = PresenceStatus.ONLINE
TYPING = PresenceStatus.TYPING
RECORDING = PresenceStatus.RECORDING
PAUSED = PresenceStatus.PAUSED


@pytest.mark.parametrize(
    ("previous", "presence", "activity"),
    [
        (None, ONLINE, Activity.CAME_ONLINE),
        (OFFLINE, ONLINE, Activity.CAME_ONLINE),
        (PAUSED, ONLINE, Activity.IS_ONLINE),
        (ONLINE, OFFLINE, Activity.WENT_OFFLINE),
        (None, OFFLINE, Activity.WENT_OFFLINE),
        (ONLINE, TYPING, Activity.STARTED_TYPING),
        (OFFLINE, TYPING, Activity.STARTED_TYPING),
        (TYPING, RECORDING, Activity.STARTED_RECORDING),
        (TYPING, PAUSED, Activity.STOPPED_TYPING),
        (TYPING, ONLINE, Activity.STOPPED_TYPING),
        (RECORDING, PAUSED, Activity.STOPPED_RECORDING),
        (RECORDING, ONLINE, Activity.STOPPED_RECORDING),
        (ONLINE, PAUSED, Activity.STOPPED_TYPING),
    ],
)
def test_activity_of(
    previous: PresenceStatus | None, presence: PresenceStatus, activity: Activity
) -> None:
    """Each change is one activity; NOWEB's online after typing is a stop."""
    assert activity_of(previous, presence) is activity


@pytest.mark.parametrize(
    ("previous", "presence", "fired"),
    [
        (OFFLINE, ONLINE, {"came_online"}),
        (None, ONLINE, {"came_online"}),
        (OFFLINE, TYPING, {"came_online", "started_typing"}),
        (ONLINE, TYPING, {"started_typing"}),
        (TYPING, PAUSED, {"stopped_typing"}),
        (TYPING, ONLINE, {"stopped_typing"}),
        (RECORDING, PAUSED, {"stopped_recording"}),
        (TYPING, RECORDING, {"started_recording"}),
        (TYPING, OFFLINE, {"went_offline"}),
        (PAUSED, ONLINE, set()),
    ],
)
def test_contact_triggers(
    previous: PresenceStatus | None, presence: PresenceStatus, fired: set[str]
) -> None:
    """A change fires every contact trigger that describes it."""
    assert {
        name for name, rule in CONTACT_TRIGGERS.items() if rule(previous, presence)
    } == fired


def test_group_triggers() -> None:
    """A group offers a member starting to type or to record."""
    assert {name for name, rule in GROUP_TRIGGERS.items() if rule(PAUSED, TYPING)} == {
        "member_started_typing"
    }
    assert {
        name for name, rule in GROUP_TRIGGERS.items() if rule(TYPING, RECORDING)
    } == {"member_started_recording"}
