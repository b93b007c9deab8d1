"""The presence rules of PresenceTracker, without Home Assistant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.waha_presence.engines import (
    GOWS,
    NOWEB,
    WEBJS,
    WPP,
    fade_target,
)
from custom_components.waha_presence.models import (
    ChatPresences,
    ParticipantPresence,
    PresenceStatus,
)
from custom_components.waha_presence.presence import (
    LID_HELD_EVENTS,
    SEEN_EVENT_IDS,
    Applied,
    PresenceChange,
    PresenceTracker,
)

from .const import ALICE, ALICE_LID, BOB, BOB_LID, CAROL, FAMILY

ONLINE = PresenceStatus.ONLINE
OFFLINE = PresenceStatus.OFFLINE
TYPING = PresenceStatus.TYPING
RECORDING = PresenceStatus.RECORDING
PAUSED = PresenceStatus.PAUSED

# On a minute boundary, so that T + a few seconds stays in the same minute.
T = 1_700_000_100_000
LAST_SEEN = datetime(2023, 11, 14, 20, 0, tzinfo=UTC)


def entry(
    participant: str,
    presence: PresenceStatus | None,
    last_seen: datetime | None = None,
) -> ParticipantPresence:
    """Build one participant's presence as the parser does."""
    raw = presence.value if presence is not None else "away"
    return ParticipantPresence(participant, presence, last_seen, raw)


def group(chat_id: str, *entries: ParticipantPresence) -> ChatPresences:
    """Build a report listing several participants."""
    return ChatPresences(chat_id, entries)


def direct(
    chat_id: str, presence: PresenceStatus | None, last_seen: datetime | None = None
) -> ChatPresences:
    """Build a direct chat's report, the contact being the chat id."""
    return ChatPresences(chat_id, (entry(chat_id, presence, last_seen),))


def tracking(*chat_ids: str) -> PresenceTracker:
    """Return a tracker following `chat_ids`, each named after its user part."""
    tracker = PresenceTracker()
    for chat_id in chat_ids:
        tracker.track(chat_id, f"name {chat_id.split('@')[0]}", f"sub-{chat_id}")
    return tracker


def only_change(applied: Applied) -> PresenceChange:
    """Return the single change of `applied`."""
    assert len(applied.changes) == 1, applied.changes
    return applied.changes[0]


def contact(tracker: PresenceTracker, chat_id: str) -> PresenceStatus | None:
    """Return the presence a direct chat's contact shows."""
    return tracker.chats[chat_id].contact.presence


# Ordering --------------------------------------------------------------------------


def test_older_event_never_overwrites_a_newer_one() -> None:
    """An event stamped before the last applied one changes nothing."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE, ONLINE), T + 10)
    applied = tracker.apply(direct(ALICE, OFFLINE), T)
    assert applied.chat is tracker.chats[ALICE]
    assert applied.changes == ()
    assert contact(tracker, ALICE) is ONLINE
    assert tracker.chats[ALICE].contact.timestamp == T + 10


def test_equal_timestamp_applies() -> None:
    """Two events of the same millisecond: the later delivered wins."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE, TYPING), T)
    change = only_change(tracker.apply(direct(ALICE, PAUSED), T))
    assert (change.previous, change.presence, change.timestamp) == (TYPING, PAUSED, T)
    assert contact(tracker, ALICE) is PAUSED


def test_event_change_describes_what_happened() -> None:
    """A live change names the chat, the contact, both presences and the new stamp."""
    tracker = tracking(ALICE)
    first = only_change(tracker.apply(direct(ALICE, ONLINE), T))
    assert first == PresenceChange(
        chat_id=ALICE,
        participant=ALICE,
        presence=ONLINE,
        previous=None,
        last_seen_changed=True,
        live=True,
        timestamp=T,
    )
    second = only_change(tracker.apply(direct(ALICE, TYPING), T + 1))
    assert (second.previous, second.presence, second.timestamp) == (
        ONLINE,
        TYPING,
        T + 1,
    )


def test_ordering_is_per_group_member() -> None:
    """A member's newer event does not block another member's older first event."""
    tracker = tracking(FAMILY)
    tracker.apply(group(FAMILY, entry(ALICE, TYPING)), T + 10)
    applied = tracker.apply(group(FAMILY, entry(ALICE, PAUSED), entry(BOB, TYPING)), T)
    change = only_change(applied)
    assert (change.participant, change.presence) == (BOB, TYPING)
    members = tracker.chats[FAMILY].participants
    assert (members[ALICE].presence, members[ALICE].timestamp) == (TYPING, T + 10)
    assert (members[BOB].presence, members[BOB].timestamp) == (TYPING, T)


# Duplicates ------------------------------------------------------------------------


def test_duplicate_event_id() -> None:
    """An id is new the first time and a duplicate after."""
    tracker = PresenceTracker()
    assert tracker.is_duplicate("evt-1") is False
    assert tracker.is_duplicate("evt-1") is True
    assert tracker.is_duplicate("evt-2") is False


def test_duplicate_window_forgets_the_oldest_id() -> None:
    """The window holds SEEN_EVENT_IDS ids; one more pushes out the oldest."""
    tracker = PresenceTracker()
    for number in range(SEEN_EVENT_IDS):
        assert not tracker.is_duplicate(f"evt-{number}")
    # A duplicate is only looked up: it does not move the window.
    assert tracker.is_duplicate("evt-0")
    assert not tracker.is_duplicate(f"evt-{SEEN_EVENT_IDS}")
    assert tracker.is_duplicate("evt-1")
    assert not tracker.is_duplicate("evt-0")


# Cache reads -----------------------------------------------------------------------


def test_cache_read_never_undoes_an_event() -> None:
    """A cached presence read after an event leaves the event's presence."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE, TYPING), T)
    applied = tracker.apply(direct(ALICE, OFFLINE, LAST_SEEN), None)
    assert applied.chat is tracker.chats[ALICE]
    assert applied.changes == ()
    state = tracker.chats[ALICE].contact
    assert (state.presence, state.timestamp) == (TYPING, T)
    assert state.last_seen != LAST_SEEN


def test_cache_read_applies_before_any_event() -> None:
    """With no event yet, a cache read shows its presence, not as live."""
    tracker = tracking(ALICE)
    change = only_change(tracker.apply(direct(ALICE, OFFLINE, LAST_SEEN), None))
    assert (change.presence, change.previous, change.live) == (OFFLINE, None, False)
    assert change.last_seen_changed
    assert change.timestamp == 0
    state = tracker.chats[ALICE].contact
    assert (state.presence, state.last_seen, state.timestamp) == (
        OFFLINE,
        LAST_SEEN,
        0,
    )


def test_cache_reads_follow_each_other_until_an_event() -> None:
    """A second cache read still applies; any event then overrides it."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE, OFFLINE), None)
    assert only_change(tracker.apply(direct(ALICE, ONLINE), None)).previous is OFFLINE
    change = only_change(tracker.apply(direct(ALICE, TYPING), 1))
    assert (change.previous, change.live) == (ONLINE, True)


def test_cache_read_of_an_active_contact_derives_no_last_seen() -> None:
    """A cache read has no event time, so it cannot say when the contact was seen."""
    tracker = tracking(ALICE)
    change = only_change(tracker.apply(direct(ALICE, ONLINE), None))
    assert not change.last_seen_changed
    assert tracker.chats[ALICE].contact.last_seen is None


# Last seen -------------------------------------------------------------------------


def test_last_seen_from_the_report() -> None:
    """A lastSeen in the report is the contact's last seen."""
    tracker = tracking(ALICE)
    change = only_change(tracker.apply(direct(ALICE, OFFLINE, LAST_SEEN), T))
    assert change.last_seen_changed
    assert tracker.chats[ALICE].contact.last_seen == LAST_SEEN


@pytest.mark.parametrize("presence", [ONLINE, TYPING, RECORDING, PAUSED])
def test_active_event_without_last_seen_derives_it_to_the_minute(
    presence: PresenceStatus,
) -> None:
    """An active contact with lastSeen hidden was seen in the event's minute."""
    tracker = tracking(ALICE)
    # 1_700_000_123.456 s is 2023-11-14T22:15:23.456Z.
    change = only_change(tracker.apply(direct(ALICE, presence), 1_700_000_123_456))
    assert change.last_seen_changed
    assert tracker.chats[ALICE].contact.last_seen == datetime(
        2023, 11, 14, 22, 15, tzinfo=UTC
    )


def test_given_last_seen_wins_over_the_event_time() -> None:
    """An active report carrying lastSeen keeps WAHA's value, not the event's minute."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE, ONLINE, LAST_SEEN), T)
    assert tracker.chats[ALICE].contact.last_seen == LAST_SEEN


def test_offline_without_last_seen_keeps_the_previous_one() -> None:
    """Going offline with lastSeen hidden leaves the last seen derived before."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE, ONLINE), T)
    change = only_change(tracker.apply(direct(ALICE, OFFLINE), T + 180_000))
    assert change.presence_changed
    assert not change.last_seen_changed
    assert tracker.chats[ALICE].contact.last_seen == datetime.fromtimestamp(
        T / 1000, tz=UTC
    )


def test_last_seen_changes_once_a_minute() -> None:
    """Events within one minute flag last seen once; the next minute flags it again."""
    tracker = tracking(ALICE)
    assert only_change(tracker.apply(direct(ALICE, TYPING), T)).last_seen_changed
    same_minute = only_change(tracker.apply(direct(ALICE, PAUSED), T + 59_999))
    assert not same_minute.last_seen_changed
    next_minute = only_change(tracker.apply(direct(ALICE, ONLINE), T + 60_000))
    assert next_minute.last_seen_changed


# Groups and direct chats -----------------------------------------------------------


def test_group_members_are_tracked_apart() -> None:
    """Each member of a group gets its own state and its own change."""
    tracker = tracking(FAMILY)
    applied = tracker.apply(group(FAMILY, entry(ALICE, TYPING), entry(BOB, ONLINE)), T)
    assert [(c.chat_id, c.participant, c.presence) for c in applied.changes] == [
        (FAMILY, ALICE, TYPING),
        (FAMILY, BOB, ONLINE),
    ]
    members = tracker.chats[FAMILY].participants
    assert {member: state.presence for member, state in members.items()} == {
        ALICE: TYPING,
        BOB: ONLINE,
    }


def test_group_own_entry_is_not_a_member() -> None:
    """The group's own presence, which NOWEB lists, is skipped."""
    tracker = tracking(FAMILY)
    applied = tracker.apply(
        group(FAMILY, entry(FAMILY, ONLINE), entry(ALICE, TYPING)), T
    )
    assert only_change(applied).participant == ALICE
    assert set(tracker.chats[FAMILY].participants) == {ALICE}


def test_members_with_lists_the_members_of_one_presence_sorted() -> None:
    """members_with returns the members showing a presence, in id order."""
    tracker = tracking(FAMILY)
    tracker.apply(
        group(FAMILY, entry(BOB, TYPING), entry(CAROL, ONLINE), entry(ALICE, TYPING)), T
    )
    chat = tracker.chats[FAMILY]
    assert chat.members_with(TYPING) == [ALICE, BOB]
    assert chat.members_with(ONLINE) == [CAROL]
    assert chat.members_with(RECORDING) == []


def test_direct_chat_presence_is_the_contact() -> None:
    """A direct chat's one participant is its contact, under the chat id."""
    tracker = tracking(ALICE)
    chat = tracker.chats[ALICE]
    assert not chat.is_group
    assert chat.participants == {ALICE: chat.contact}
    # Whatever id the entry names, a direct chat's presence is its contact's.
    change = only_change(tracker.apply(group(ALICE, entry(ALICE_LID, TYPING)), T))
    assert change.participant == ALICE
    assert chat.contact.presence is TYPING
    assert set(chat.participants) == {ALICE}


def test_group_starts_without_participants() -> None:
    """A group has no contact among its participants."""
    chat = tracking(FAMILY).chats[FAMILY]
    assert chat.is_group
    assert chat.participants == {}


def test_change_flags() -> None:
    """presence_changed and activity_changed compare with the previous presence."""

    def change(
        previous: PresenceStatus | None, presence: PresenceStatus
    ) -> PresenceChange:
        return PresenceChange(ALICE, ALICE, presence, previous, False, True)

    assert change(None, OFFLINE).presence_changed
    assert change(None, OFFLINE).activity_changed
    assert not change(ONLINE, ONLINE).presence_changed
    assert change(ONLINE, PAUSED).presence_changed
    assert not change(ONLINE, PAUSED).activity_changed
    assert change(TYPING, OFFLINE).activity_changed


# Aliases ---------------------------------------------------------------------------


def test_learned_alias_routes_reports_to_the_tracked_chat() -> None:
    """After learn_alias, a report under the LID lands on the chat tracked by number."""
    tracker = tracking(ALICE)
    assert tracker.learn_alias(ALICE, ALICE_LID)
    assert tracker.chats[ALICE].alias == ALICE_LID
    assert tracker.tracked_chat_id(ALICE_LID) == ALICE
    applied = tracker.apply(direct(ALICE_LID, TYPING), T)
    assert applied.chat is tracker.chats[ALICE]
    assert applied.lookup is None
    change = only_change(applied)
    assert (change.chat_id, change.participant) == (ALICE, ALICE)
    assert contact(tracker, ALICE) is TYPING


def test_contact_tracked_by_number_and_lid_stays_apart() -> None:
    """A LID tracked as its own chat is no alias of the number's chat."""
    tracker = tracking(ALICE, ALICE_LID)
    assert not tracker.learn_alias(ALICE, ALICE_LID)
    assert tracker.chats[ALICE].alias is None
    assert tracker.tracked_chat_id(ALICE_LID) == ALICE_LID
    change = only_change(tracker.apply(direct(ALICE_LID, TYPING), T))
    assert change.chat_id == ALICE_LID
    assert contact(tracker, ALICE) is None


def test_learn_alias_of_an_untracked_chat() -> None:
    """An alias for a chat we do not track is refused and routes nothing."""
    tracker = tracking(ALICE)
    assert not tracker.learn_alias(BOB, BOB_LID)
    assert tracker.tracked_chat_id(BOB_LID) is None


def test_untrack_drops_the_chat_and_its_aliases() -> None:
    """An untracked chat is reached under neither id; its LID is unknown again."""
    tracker = tracking(ALICE, BOB)
    tracker.learn_alias(ALICE, ALICE_LID)
    tracker.untrack(ALICE)
    assert set(tracker.chats) == {BOB}
    assert tracker.tracked_chat_id(ALICE) is None
    assert tracker.tracked_chat_id(ALICE_LID) is None
    assert tracker.apply(direct(ALICE, ONLINE), T) == Applied()
    assert tracker.apply(direct(ALICE_LID, ONLINE), T).lookup == ALICE_LID
    assert tracker.tracked_chat_id(BOB) == BOB


@pytest.mark.parametrize(
    ("participant", "name"),
    [
        (ALICE, "name 31611111111"),
        (ALICE_LID, "name 31611111111"),
        (BOB, "31622222222"),
        (BOB_LID, "222222222222"),
        (FAMILY, "name 120363000000000001"),
    ],
)
def test_display_name(participant: str, name: str) -> None:
    """A tracked chat's name under either id; the id's user part otherwise."""
    tracker = tracking(ALICE, FAMILY)
    tracker.learn_alias(ALICE, ALICE_LID)
    assert tracker.display_name(participant) == name


def test_contacts_without_alias() -> None:
    """Only direct chats whose other id is not known yet are listed."""
    tracker = tracking(ALICE, BOB, FAMILY)
    tracker.learn_alias(BOB, BOB_LID)
    assert [chat.chat_id for chat in tracker.contacts_without_alias()] == [ALICE]


# Reports of a LID being looked up --------------------------------------------------


def test_unknown_lid_is_looked_up_once_and_its_reports_held() -> None:
    """The first report of an unknown LID asks for a lookup; later ones wait."""
    tracker = tracking(ALICE)
    assert tracker.apply(direct(ALICE_LID, ONLINE), T) == Applied(lookup=ALICE_LID)
    assert tracker.apply(direct(ALICE_LID, TYPING), T + 1) == Applied()
    assert contact(tracker, ALICE) is None


def test_resolved_lid_replays_held_reports_in_order() -> None:
    """Held reports apply in arrival order; ordering drops the older one."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE_LID, ONLINE), T + 20)
    tracker.apply(direct(ALICE_LID, TYPING), T)
    tracker.apply(direct(ALICE_LID, PAUSED), T + 30)
    applied = tracker.lid_resolved(ALICE_LID, ALICE)
    chat = tracker.chats[ALICE]
    assert [a.chat for a in applied] == [chat, chat, chat]
    assert [(c.previous, c.presence) for a in applied for c in a.changes] == [
        (None, ONLINE),
        (ONLINE, PAUSED),
    ]
    assert applied[1].changes == ()
    assert chat.alias == ALICE_LID
    assert (chat.contact.presence, chat.contact.timestamp) == (PAUSED, T + 30)
    # The LID is an alias now: its next report applies at once.
    after = tracker.apply(direct(ALICE_LID, OFFLINE), T + 40)
    assert (after.lookup, only_change(after).presence) == (None, OFFLINE)


def test_held_reports_are_capped() -> None:
    """At most LID_HELD_EVENTS reports wait for one lookup."""
    tracker = tracking(ALICE)
    for number in range(LID_HELD_EVENTS + 5):
        tracker.apply(direct(ALICE_LID, ONLINE), T + number)
    assert len(tracker.lid_resolved(ALICE_LID, ALICE)) == LID_HELD_EVENTS


def test_held_overflow_keeps_the_newest_report() -> None:
    """BUG: past the cap the newest reports are dropped, so the contact shows stale."""
    tracker = tracking(ALICE)
    for number in range(LID_HELD_EVENTS):
        tracker.apply(direct(ALICE_LID, ONLINE), T + number)
    tracker.apply(direct(ALICE_LID, OFFLINE), T + LID_HELD_EVENTS)
    tracker.lid_resolved(ALICE_LID, ALICE)
    # The last thing Alice did was go offline; nothing later will say so again.
    assert contact(tracker, ALICE) is OFFLINE


@pytest.mark.parametrize("phone", [None, BOB])
def test_lid_of_no_tracked_contact_is_not_asked_again(phone: str | None) -> None:
    """A LID WAHA cannot map, or maps to an untracked number, stays unknown."""
    tracker = tracking(ALICE)
    tracker.apply(direct(BOB_LID, ONLINE), T)
    assert tracker.lid_resolved(BOB_LID, phone) == []
    assert tracker.apply(direct(BOB_LID, TYPING), T + 1) == Applied()
    assert tracker.tracked_chat_id(BOB_LID) is None
    assert tracker.chats[ALICE].alias is None


def test_lid_resolved_keeps_a_lid_tracked_on_its_own() -> None:
    """BUG: a lookup answering after the LID got tracked itself steals its reports."""
    tracker = tracking(ALICE)
    assert tracker.apply(direct(ALICE_LID, ONLINE), T).lookup == ALICE_LID
    # The LID is added as a chat of its own while WAHA is being asked.
    tracker.track(ALICE_LID, "Alice's LID", "sub-lid")
    tracker.lid_resolved(ALICE_LID, ALICE)
    # learn_alias refuses this very case; lid_resolved should too.
    assert tracker.tracked_chat_id(ALICE_LID) == ALICE_LID


@pytest.mark.parametrize(("retry", "lookup"), [(True, ALICE_LID), (False, None)])
def test_failed_lookup_asks_again_only_on_retry(
    retry: bool, lookup: str | None
) -> None:
    """lid_failed drops the held reports; the next report asks again only if retry."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE_LID, ONLINE), T)
    tracker.lid_failed(ALICE_LID, retry=retry)
    assert tracker.apply(direct(ALICE_LID, TYPING), T + 1).lookup == lookup
    # What was held is gone: a resolution now applies only the report after it.
    resolved = tracker.lid_resolved(ALICE_LID, ALICE)
    assert [c.presence for a in resolved for c in a.changes] == (
        [TYPING] if retry else []
    )


@pytest.mark.parametrize(
    ("report", "timestamp"),
    [
        (direct(BOB, ONLINE), T),
        (group(FAMILY, entry(ALICE, ONLINE)), T),
        (direct(BOB_LID, ONLINE), None),
    ],
    ids=["unknown number", "unknown group", "cache read of unknown LID"],
)
def test_reports_that_ask_nothing(report: ChatPresences, timestamp: int | None) -> None:
    """Only an event of an unknown LID starts a lookup."""
    tracker = tracking(ALICE)
    assert tracker.apply(report, timestamp) == Applied()


def test_cache_read_of_unknown_lid_holds_nothing() -> None:
    """After a cache read of an unknown LID, its first event still asks."""
    tracker = tracking(ALICE)
    tracker.apply(direct(BOB_LID, ONLINE), None)
    assert tracker.apply(direct(BOB_LID, ONLINE), T).lookup == BOB_LID


# Fades -----------------------------------------------------------------------------


@pytest.mark.parametrize("chat_state", [TYPING, RECORDING])
@pytest.mark.parametrize(
    ("engine", "target"),
    [(NOWEB, ONLINE), (WEBJS, PAUSED), (GOWS, PAUSED), (WPP, PAUSED), (None, PAUSED)],
)
def test_fade_ends_a_chat_state_as_the_engine_would(
    chat_state: PresenceStatus, engine: str | None, target: PresenceStatus
) -> None:
    """A typing or recording nobody refreshed becomes the engine's stop presence."""
    tracker = tracking(ALICE)
    stamp = only_change(tracker.apply(direct(ALICE, chat_state), T)).timestamp
    faded = tracker.fade(ALICE, ALICE, stamp, engine)
    assert faded == PresenceChange(
        chat_id=ALICE,
        participant=ALICE,
        presence=target,
        previous=chat_state,
        last_seen_changed=False,
        live=True,
        timestamp=T,
    )
    assert fade_target(engine) is target
    assert contact(tracker, ALICE) is target


def test_fade_after_a_newer_event_does_nothing() -> None:
    """A fade whose stamp a newer event replaced leaves the newer presence."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE, TYPING), T)
    tracker.apply(direct(ALICE, RECORDING), T + 1)
    assert tracker.fade(ALICE, ALICE, T, NOWEB) is None
    assert contact(tracker, ALICE) is RECORDING


def test_fade_of_what_is_no_chat_state_does_nothing() -> None:
    """Paused within the same millisecond, or already faded: nothing to fade."""
    tracker = tracking(ALICE)
    tracker.apply(direct(ALICE, TYPING), T)
    tracker.apply(direct(ALICE, PAUSED), T)
    assert tracker.fade(ALICE, ALICE, T, NOWEB) is None
    assert contact(tracker, ALICE) is PAUSED
    tracker.apply(direct(ALICE, TYPING), T + 1)
    assert tracker.fade(ALICE, ALICE, T + 1, NOWEB) is not None
    assert tracker.fade(ALICE, ALICE, T + 1, NOWEB) is None


def test_fade_of_an_untracked_chat_or_unknown_member_does_nothing() -> None:
    """No chat, or no such participant: no change."""
    tracker = tracking(ALICE, FAMILY)
    tracker.apply(direct(ALICE, TYPING), T)
    tracker.apply(group(FAMILY, entry(BOB, TYPING)), T)
    assert tracker.fade(FAMILY, CAROL, T, WEBJS) is None
    tracker.untrack(ALICE)
    assert tracker.fade(ALICE, ALICE, T, WEBJS) is None


def test_fade_in_a_group_ends_only_that_member() -> None:
    """A member's fade leaves the other members typing."""
    tracker = tracking(FAMILY)
    tracker.apply(group(FAMILY, entry(ALICE, TYPING), entry(BOB, TYPING)), T)
    faded = tracker.fade(FAMILY, ALICE, T, WEBJS)
    assert faded is not None
    assert (faded.chat_id, faded.participant, faded.presence) == (FAMILY, ALICE, PAUSED)
    chat = tracker.chats[FAMILY]
    assert chat.members_with(TYPING) == [BOB]
    assert chat.members_with(PAUSED) == [ALICE]


# Presences WAHA sends that we do not know ------------------------------------------


def test_unknown_presence_changes_nothing() -> None:
    """An entry without a known presence neither applies nor moves the stamp."""
    tracker = tracking(ALICE)
    assert tracker.apply(direct(ALICE, None, LAST_SEEN), T + 10).changes == ()
    state = tracker.chats[ALICE].contact
    assert (state.presence, state.last_seen, state.timestamp) == (None, None, 0)
    # So an older event with a known presence still applies.
    assert only_change(tracker.apply(direct(ALICE, ONLINE), T)).presence is ONLINE


def test_unknown_presence_of_one_member_leaves_the_others() -> None:
    """In a group, only the members with a known presence change."""
    tracker = tracking(FAMILY)
    applied = tracker.apply(group(FAMILY, entry(ALICE, None), entry(BOB, ONLINE)), T)
    assert only_change(applied).participant == BOB
    assert set(tracker.chats[FAMILY].participants) == {BOB}


def test_tracking_returns_the_chat_state() -> None:
    """track returns the state the tracker keeps, with name and subentry."""
    tracker = PresenceTracker()
    chat = tracker.track(ALICE, "Alice", "sub-1")
    assert tracker.chats == {ALICE: chat}
    assert (chat.name, chat.subentry_id, chat.alias) == ("Alice", "sub-1", None)


# Replays and restarts.
T2 = 1_796_000_000_000


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


ALICE_TYPING_REPORT = _report(ALICE, (ALICE, PresenceStatus.TYPING))
ALICE_ONLINE_REPORT = _report(ALICE, (ALICE, PresenceStatus.ONLINE))
CAROL_TYPING = _report(FAMILY, (CAROL, PresenceStatus.TYPING))


def test_last_event_sent_again_is_refused() -> None:
    """The last event applied, resent once its id left the window, changes nothing."""
    tracker = _tracker()
    assert tracker.apply(ALICE_TYPING_REPORT, T2, "evt_b").changes
    assert not tracker.apply(ALICE_TYPING_REPORT, T2, "evt_b").changes
    assert not tracker.apply(ALICE_ONLINE_REPORT, T2 - 1, "evt_a").changes
    # Another event of the same millisecond is no replay.
    assert tracker.apply(ALICE_ONLINE_REPORT, T2, "evt_c").changes


def test_contact_listed_twice_in_one_report() -> None:
    """Both entries of one report count, as before: the last one wins."""
    tracker = _tracker()
    report = _report(
        ALICE, (ALICE, PresenceStatus.ONLINE), (ALICE, PresenceStatus.TYPING)
    )
    assert len(tracker.apply(report, T2, "evt_a").changes) == 2
    assert tracker.chats[ALICE].contact.presence is PresenceStatus.TYPING


def test_ordering_survives_a_restart() -> None:
    """Restored stamps refuse older events and replays; presence starts unknown."""
    before = _tracker()
    before.apply(ALICE_TYPING_REPORT, T2, "evt_b")
    before.apply(CAROL_TYPING, T2 + 5, "evt_c")
    snapshot = before.snapshot()
    assert snapshot == {
        ALICE: {ALICE: (T2, "evt_b")},
        FAMILY: {CAROL: (T2 + 5, "evt_c")},
    }
    after = PresenceTracker()
    after.restore(snapshot)
    after.track(ALICE, "Alice", "sub_alice")
    after.track(FAMILY, "Family", "sub_family")
    assert after.chats[ALICE].contact.presence is None
    assert after.snapshot() == snapshot
    assert not after.apply(ALICE_ONLINE_REPORT, T2 - 1000, "evt_a").changes
    assert not after.apply(ALICE_TYPING_REPORT, T2, "evt_b").changes
    assert not after.apply(CAROL_TYPING, T2 + 5, "evt_c").changes
    assert after.chats[FAMILY].members_with(PresenceStatus.TYPING) == []
    assert after.apply(ALICE_ONLINE_REPORT, T2 + 1000, "evt_d").changes


def test_cache_read_after_restart_fills_presence() -> None:
    """A restored stamp does not stop the first read: no event was applied this run."""
    tracker = PresenceTracker()
    tracker.restore({ALICE: {ALICE: (T2, "evt_b")}})
    tracker.track(ALICE, "Alice", "sub_alice")
    assert tracker.apply(ALICE_ONLINE_REPORT, None).changes
    assert tracker.chats[ALICE].contact.presence is PresenceStatus.ONLINE
    assert tracker.apply(ALICE_TYPING_REPORT, T2 + 1, "evt_c").changes
    # After an event, reads stand back again.
    assert not tracker.apply(ALICE_ONLINE_REPORT, None).changes


def test_untracked_chat_drops_its_stamps() -> None:
    """A chat tracked again after removal starts clean, with nothing restored twice."""
    tracker = PresenceTracker()
    tracker.restore({ALICE: {ALICE: (T2, "evt_b")}})
    tracker.track(ALICE, "Alice", "sub_alice")
    tracker.untrack(ALICE)
    tracker.track(ALICE, "Alice", "sub_alice")
    assert tracker.apply(ALICE_ONLINE_REPORT, T2 - 1000, "evt_a").changes
    assert tracker.snapshot() == {ALICE: {ALICE: (T2 - 1000, "evt_a")}}
