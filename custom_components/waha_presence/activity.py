"""What a presence change means to a person: its name, and the triggers it fires."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from .models import PresenceStatus

type Rule = Callable[[PresenceStatus | None, PresenceStatus], bool]


class Activity(StrEnum):
    """One presence change, as one would say it."""

    CAME_ONLINE = "came_online"
    IS_ONLINE = "is_online"
    WENT_OFFLINE = "went_offline"
    STARTED_TYPING = "started_typing"
    STARTED_RECORDING = "started_recording"
    STOPPED_TYPING = "stopped_typing"
    STOPPED_RECORDING = "stopped_recording"


def activity_of(previous: PresenceStatus | None, presence: PresenceStatus) -> Activity:
    """Return the one activity a change from `previous` to `presence` is."""
    match presence:
        case PresenceStatus.OFFLINE:
            return Activity.WENT_OFFLINE
        case PresenceStatus.TYPING:
            return Activity.STARTED_TYPING
        case PresenceStatus.RECORDING:
            return Activity.STARTED_RECORDING
    # Paused, or online: NOWEB ends a chat state with online instead of paused.
    if previous is PresenceStatus.RECORDING:
        return Activity.STOPPED_RECORDING
    if previous is PresenceStatus.TYPING or presence is PresenceStatus.PAUSED:
        return Activity.STOPPED_TYPING
    if previous is None or previous is PresenceStatus.OFFLINE:
        return Activity.CAME_ONLINE
    return Activity.IS_ONLINE


def _ended(state: PresenceStatus) -> Rule:
    return lambda previous, presence: (
        previous is state and presence in (PresenceStatus.PAUSED, PresenceStatus.ONLINE)
    )


# Device triggers: a change can fire several (offline to typing also comes online).
CONTACT_TRIGGERS: dict[str, Rule] = {
    "came_online": lambda previous, presence: (
        presence.is_active and (previous is None or not previous.is_active)
    ),
    "went_offline": lambda _previous, presence: presence is PresenceStatus.OFFLINE,
    "started_typing": lambda _previous, presence: presence is PresenceStatus.TYPING,
    "started_recording": lambda _previous, presence: (
        presence is PresenceStatus.RECORDING
    ),
    "stopped_typing": _ended(PresenceStatus.TYPING),
    "stopped_recording": _ended(PresenceStatus.RECORDING),
}
GROUP_TRIGGERS: dict[str, Rule] = {
    "member_started_typing": CONTACT_TRIGGERS["started_typing"],
    "member_started_recording": CONTACT_TRIGGERS["started_recording"],
}
