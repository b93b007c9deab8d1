"""The presence tracker's ordering: replays, and the ordering kept across restarts."""

from __future__ import annotations

from custom_components.waha_presence.models import (
    ChatPresences,
    ParticipantPresence,
    PresenceStatus,
)
from custom_components.waha_presence.presence import PresenceTracker

from .const import ALICE, CAROL, FAMILY

T = 1_796_000_000_000


def _report(chat_id: str, *entries: tuple[str, PresenceStatus]) -> ChatPresences:
    return ChatPresences(
        chat_id=chat_id,
        presences=tuple(
            ParticipantPresence(participant=who, presence=presence, last_seen=None)
            for who, presence in entries
        ),
    )


def _tracker() -> PresenceTracker:
    tracker = PresenceTracker()
    tracker.track(ALICE, "Alice", "sub_alice")
    tracker.track(FAMILY, "Family", "sub_family")
    return tracker


TYPING = _report(ALICE, (ALICE, PresenceStatus.TYPING))
ONLINE = _report(ALICE, (ALICE, PresenceStatus.ONLINE))
CAROL_TYPING = _report(FAMILY, (CAROL, PresenceStatus.TYPING))


def test_last_event_sent_again_is_refused() -> None:
    """The last event applied, resent once its id left the window, changes nothing."""
    tracker = _tracker()
    assert tracker.apply(TYPING, T, "evt_b").changes
    assert not tracker.apply(TYPING, T, "evt_b").changes
    assert not tracker.apply(ONLINE, T - 1, "evt_a").changes
    # Another event of the same millisecond is no replay.
    assert tracker.apply(ONLINE, T, "evt_c").changes


def test_contact_listed_twice_in_one_report() -> None:
    """Both entries of one report count, as before: the last one wins."""
    tracker = _tracker()
    report = _report(
        ALICE, (ALICE, PresenceStatus.ONLINE), (ALICE, PresenceStatus.TYPING)
    )
    assert len(tracker.apply(report, T, "evt_a").changes) == 2
    assert tracker.chats[ALICE].contact.presence is PresenceStatus.TYPING


def test_ordering_survives_a_restart() -> None:
    """Restored stamps refuse older events and replays; presence starts unknown."""
    before = _tracker()
    before.apply(TYPING, T, "evt_b")
    before.apply(CAROL_TYPING, T + 5, "evt_c")
    snapshot = before.snapshot()
    assert snapshot == {
        ALICE: {ALICE: (T, "evt_b")},
        FAMILY: {CAROL: (T + 5, "evt_c")},
    }
    after = PresenceTracker()
    after.restore(snapshot)
    after.track(ALICE, "Alice", "sub_alice")
    after.track(FAMILY, "Family", "sub_family")
    assert after.chats[ALICE].contact.presence is None
    assert after.snapshot() == snapshot
    assert not after.apply(ONLINE, T - 1000, "evt_a").changes
    assert not after.apply(TYPING, T, "evt_b").changes
    assert not after.apply(CAROL_TYPING, T + 5, "evt_c").changes
    assert after.chats[FAMILY].members_with(PresenceStatus.TYPING) == []
    assert after.apply(ONLINE, T + 1000, "evt_d").changes


def test_cache_read_after_restart_fills_presence() -> None:
    """A restored stamp does not stop the first read: no event was applied this run."""
    tracker = PresenceTracker()
    tracker.restore({ALICE: {ALICE: (T, "evt_b")}})
    tracker.track(ALICE, "Alice", "sub_alice")
    assert tracker.apply(ONLINE, None).changes
    assert tracker.chats[ALICE].contact.presence is PresenceStatus.ONLINE
    assert tracker.apply(TYPING, T + 1, "evt_c").changes
    # After an event, reads stand back again.
    assert not tracker.apply(ONLINE, None).changes


def test_untracked_chat_drops_its_stamps() -> None:
    """A chat tracked again after removal starts clean, with nothing restored twice."""
    tracker = PresenceTracker()
    tracker.restore({ALICE: {ALICE: (T, "evt_b")}})
    tracker.track(ALICE, "Alice", "sub_alice")
    tracker.untrack(ALICE)
    tracker.track(ALICE, "Alice", "sub_alice")
    assert tracker.apply(ONLINE, T - 1000, "evt_a").changes
    assert tracker.snapshot() == {ALICE: {ALICE: (T - 1000, "evt_a")}}
