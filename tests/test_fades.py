"""Fade timers, in plain pytest: batching per event, restarts, cancels."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from custom_components.waha_presence.fades import CHAT_STATE_TIMEOUT_SECONDS, FadeTimers
from custom_components.waha_presence.models import PresenceStatus
from custom_components.waha_presence.presence import PresenceChange

GROUP = "120363000000000001@g.us"


@dataclass
class Handle:
    """A timer handle of the fake loop."""

    when: float
    func: Callable[..., None]
    args: tuple[Any, ...]
    cancelled: bool = False

    def cancel(self) -> None:
        """Cancel the timer."""
        self.cancelled = True


@dataclass
class FakeLoop:
    """Just `time` and `call_at`, with a clock the test moves."""

    now: float = 0.0
    handles: list[Handle] = field(default_factory=list)

    def time(self) -> float:
        """Return the loop's clock."""
        return self.now

    def call_at(self, when: float, func: Callable[..., None], *args: Any) -> Handle:
        """Schedule `func` at `when`."""
        handle = Handle(when, func, args)
        self.handles.append(handle)
        return handle

    def advance(self, seconds: float) -> None:
        """Run every live timer that is due by then, in time order."""
        self.now += seconds
        # Timers set while running are run too, as a loop would, when already due.
        while due := sorted(
            (h for h in self.handles if h.when <= self.now and not h.cancelled),
            key=lambda h: h.when,
        ):
            due[0].cancelled = True
            due[0].func(*due[0].args)

    @property
    def live(self) -> int:
        """Return how many timers are still pending."""
        return sum(not h.cancelled and h.when > self.now for h in self.handles)


def change(
    participant: str, presence: PresenceStatus, stamp: int, chat_id: str = GROUP
) -> PresenceChange:
    """Return a live change of one member of a chat (the group by default)."""
    return PresenceChange(
        chat_id=chat_id,
        participant=participant,
        presence=presence,
        previous=None,
        last_seen_changed=False,
        live=True,
        timestamp=stamp,
    )


def timers() -> tuple[FakeLoop, FadeTimers, list[tuple[str, int, set[str]]]]:
    """Return a fake loop, fade timers on it, and the batches that came due."""
    loop = FakeLoop()
    due: list[tuple[str, int, set[str]]] = []
    fades = FadeTimers(
        cast("asyncio.AbstractEventLoop", loop),
        lambda chat, stamp, members: due.append((chat, stamp, set(members))),
    )
    return loop, fades, due


def test_members_of_one_event_fade_together() -> None:
    """One event that set 1,024 members typing gives one timer and one batch."""
    loop, fades, due = timers()
    members = [f"{n}@c.us" for n in range(1024)]
    fades.schedule(tuple(change(m, PresenceStatus.TYPING, 1000) for m in members))
    assert loop.live == 1
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS - 1)
    assert due == []
    loop.advance(1)
    assert due == [(GROUP, 1000, set(members))]


def test_any_other_presence_ends_the_fade() -> None:
    """A member who paused (or went online) does not fade any more."""
    loop, fades, due = timers()
    fades.schedule(
        (
            change("a@c.us", PresenceStatus.TYPING, 1000),
            change("b@c.us", PresenceStatus.RECORDING, 1000),
        )
    )
    fades.schedule((change("a@c.us", PresenceStatus.PAUSED, 2000),))
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS)
    assert due == [(GROUP, 1000, {"b@c.us"})]


def test_typing_again_moves_the_member_to_the_new_batch() -> None:
    """A refreshed indicator fades 30 s after the refresh, not after the first."""
    loop, fades, due = timers()
    fades.schedule((change("a@c.us", PresenceStatus.TYPING, 1000),))
    loop.advance(20)
    fades.schedule((change("a@c.us", PresenceStatus.TYPING, 21000),))
    loop.advance(10)
    assert due == []
    loop.advance(20)
    assert due == [(GROUP, 21000, {"a@c.us"})]


def test_the_same_stamp_again_restarts_its_batch() -> None:
    """Two events with one timestamp: the batch waits for the later one."""
    loop, fades, due = timers()
    fades.schedule((change("a@c.us", PresenceStatus.TYPING, 1000),))
    loop.advance(20)
    fades.schedule((change("b@c.us", PresenceStatus.TYPING, 1000),))
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS - 1)
    assert due == []
    loop.advance(1)
    assert due == [(GROUP, 1000, {"a@c.us", "b@c.us"})]


def test_cancel_one_chat_or_all() -> None:
    """Cancelled fades never come due, and other chats keep theirs."""
    loop, fades, due = timers()
    other = "31611111111@c.us"
    fades.schedule((change("a@c.us", PresenceStatus.TYPING, 1000),))
    fades.schedule((change(other, PresenceStatus.TYPING, 1000, other),))
    fades.cancel(GROUP)
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS)
    assert due == [(other, 1000, {other})]
    fades.schedule((change("a@c.us", PresenceStatus.TYPING, 5000),))
    fades.cancel()
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS)
    assert len(due) == 1
    assert loop.live == 0


def test_a_batch_emptied_by_later_events_calls_nothing() -> None:
    """When every member of a batch moved on, its timer comes due silently."""
    loop, fades, due = timers()
    fades.schedule((change("a@c.us", PresenceStatus.TYPING, 1000),))
    fades.schedule((change("a@c.us", PresenceStatus.ONLINE, 2000),))
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS)
    assert due == []


def test_a_stream_of_refreshes_keeps_one_loop_timer() -> None:
    """Typing refreshed by many events waits on one timer, not one per event."""
    loop, fades, due = timers()
    for second in range(100):
        fades.schedule((change("a@c.us", PresenceStatus.TYPING, second * 1000),))
        fades.schedule((change("b@c.us", PresenceStatus.TYPING, second * 1000),))
        loop.advance(1)
    assert loop.live == 1
    # One wake-up per timeout at most, not one timer per event.
    assert len(loop.handles) <= 100 // CHAT_STATE_TIMEOUT_SECONDS + 1
    assert due == []
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS)
    assert due == [(GROUP, 99_000, {"a@c.us", "b@c.us"})]
    assert loop.live == 0


def test_batches_come_due_in_turn() -> None:
    """Batches started apart each fade on time, one wake-up after the other."""
    loop, fades, due = timers()
    fades.schedule((change("a@c.us", PresenceStatus.TYPING, 1000),))
    loop.advance(10)
    fades.schedule((change("b@c.us", PresenceStatus.RECORDING, 11000),))
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS - 10)
    assert due == [(GROUP, 1000, {"a@c.us"})]
    loop.advance(10)
    assert due == [(GROUP, 1000, {"a@c.us"}), (GROUP, 11000, {"b@c.us"})]


def test_a_batch_cancelled_while_another_fades_stays_quiet() -> None:
    """A fade whose writes cancel another due chat's fades: that chat fades no more."""
    loop = FakeLoop()
    due: list[tuple[str, int, set[str]]] = []
    other = "120363000000000002@g.us"

    def on_due(chat: str, stamp: int, members: set[str]) -> None:
        due.append((chat, stamp, set(members)))
        fades.cancel(other)

    fades = FadeTimers(cast("asyncio.AbstractEventLoop", loop), on_due)
    fades.schedule(
        (
            change("a@c.us", PresenceStatus.TYPING, 1000),
            change("b@c.us", PresenceStatus.TYPING, 1000, other),
        )
    )
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS)
    assert due == [(GROUP, 1000, {"a@c.us"})]
    assert loop.live == 0


def test_a_batch_that_raises_leaves_the_others_fading() -> None:
    """A bug in one batch's writes does not stop the fades of other chats."""
    loop = FakeLoop()
    due: list[str] = []
    other = "120363000000000002@g.us"

    def on_due(chat: str, stamp: int, members: set[str]) -> None:
        due.append(chat)
        if chat == GROUP:
            raise RuntimeError("a write failed")

    fades = FadeTimers(cast("asyncio.AbstractEventLoop", loop), on_due)
    fades.schedule((change("a@c.us", PresenceStatus.TYPING, 1000),))
    loop.advance(1)
    fades.schedule((change("b@c.us", PresenceStatus.TYPING, 2000, other),))
    with pytest.raises(RuntimeError):
        loop.advance(CHAT_STATE_TIMEOUT_SECONDS - 1)
    loop.advance(1)
    assert due == [GROUP, other]


def test_a_late_wake_up_ends_every_batch_due_meanwhile() -> None:
    """A loop that was busy past several deadlines ends them all at once."""
    loop, fades, due = timers()
    fades.schedule((change("a@c.us", PresenceStatus.TYPING, 1000),))
    loop.now += 5
    fades.schedule((change("b@c.us", PresenceStatus.TYPING, 6000),))
    # The loop only gets to the first timer after both deadlines passed.
    loop.now += CHAT_STATE_TIMEOUT_SECONDS + 10
    handle = next(h for h in loop.handles if not h.cancelled)
    handle.cancelled = True
    handle.func(*handle.args)
    assert due == [(GROUP, 1000, {"a@c.us"}), (GROUP, 6000, {"b@c.us"})]
    assert loop.live == 0


def test_a_batch_restarted_while_others_fade_waits_its_full_time() -> None:
    """Typing set again by an earlier batch's writes fades 30 s later, not at once."""
    loop = FakeLoop()
    due: list[tuple[str, int]] = []
    other = "120363000000000002@g.us"

    def on_due(chat: str, stamp: int, members: set[str]) -> None:
        due.append((chat, stamp))
        if chat == GROUP:
            fades.schedule((change("c@c.us", PresenceStatus.TYPING, 1000, other),))

    fades = FadeTimers(cast("asyncio.AbstractEventLoop", loop), on_due)
    fades.schedule(
        (
            change("a@c.us", PresenceStatus.TYPING, 1000),
            change("b@c.us", PresenceStatus.TYPING, 1000, other),
        )
    )
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS)
    assert due == [(GROUP, 1000)]
    loop.advance(CHAT_STATE_TIMEOUT_SECONDS)
    assert due == [(GROUP, 1000), (other, 1000)]
