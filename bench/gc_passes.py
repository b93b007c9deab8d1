"""
The cyclic garbage collector's passes in a measured window, and the loop's blocks beside them.

`PassLog` records each pass (start, end, generation, objects collected) through
`gc.callbacks`: two clock reads a pass, nothing else, so what is measured is unchanged.
`figures` then splits a lateness probe's ticks into those whose late interval (when the
tick was due to when it ran) overlapped a full pass (generation 2, which walks every
tracked object in the process) and the rest.

Only full passes are set apart. Young passes (generations 0 and 1) run every 2,000 net
allocations, some 40 times a second while entities are created, and walk only the young
objects: they are part of any work the loop does and grow with that work, not with the
heap. `--detail` prints the largest block outside passes of any generation beside it,
and `heap`: the garbage a full pass would free at that moment and how long that pass
takes, then how many objects live and how long a pass over them alone takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
import gc
import time
from typing import Any

FULL = 2


@dataclass(frozen=True, slots=True)
class Pass:
    """One pass of the collector, on the loop's clock."""

    began: float
    ended: float
    generation: int
    collected: int

    @property
    def ms(self) -> float:
        """Return how long the pass took, in ms."""
        return (self.ended - self.began) * 1000


class PassLog:
    """The collector's passes while on, recorded through `gc.callbacks`."""

    def __init__(self, clock: Callable[[], float]) -> None:
        """Read time from `clock` (the loop's, so passes line up with its timers)."""
        self._clock = clock
        self._began = 0.0
        self.passes: list[Pass] = []

    def start(self) -> None:
        """Begin recording, forgetting what came before."""
        self.passes = []
        gc.callbacks.append(self._record)

    def stop(self) -> list[Pass]:
        """Stop recording; return the passes recorded."""
        gc.callbacks.remove(self._record)
        return self.passes

    def _record(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = self._clock()
            return
        self.passes.append(
            Pass(self._began, self._clock(), info["generation"], info["collected"])
        )


def _lateness_outside(
    ticks: Iterable[tuple[float, float]], passes: list[Pass]
) -> float:
    """Return the largest lateness, in ms, of the ticks no pass ran within."""
    return 1000 * max(
        (
            ran - due
            for due, ran in ticks
            if not any(p.began < ran and p.ended > due for p in passes)
        ),
        default=0.0,
    )


def figures(ticks: list[tuple[float, float]], passes: list[Pass]) -> dict[str, float]:
    """Return the full passes, the longest, and the largest block outside them."""
    full = [p for p in passes if p.generation == FULL]
    return {
        "full_passes": len(full),
        "longest_full_pass_ms": max((p.ms for p in full), default=0.0),
        "max_block_without_gc_ms": _lateness_outside(ticks, full),
    }


def detail(ticks: list[tuple[float, float]], passes: list[Pass]) -> str:
    """Return the passes per generation, and the largest block outside any pass."""
    parts = []
    for generation in range(FULL + 1):
        mine = [p for p in passes if p.generation == generation]
        total = sum(p.ms for p in mine)
        longest = max((p.ms for p in mine), default=0.0)
        collected = sum(p.collected for p in mine)
        parts.append(
            f"gen{generation}={len(mine)} ({total:.0f} ms, longest {longest:.1f} ms, "
            f"{collected} collected)"
        )
    outside = _lateness_outside(ticks, passes)
    return f"{' '.join(parts)}; block outside any pass {outside:.2f} ms"


def heap(repeats: int = 3) -> str:
    """Return the garbage the next full pass frees and its time, then what lives."""
    began = time.perf_counter()
    garbage = gc.collect()
    first = time.perf_counter() - began
    # The later passes free nothing: they walk only what lives.
    quickest = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        gc.collect()
        quickest = min(quickest, time.perf_counter() - began)
    return (
        f"garbage={garbage} first_pass_ms={first * 1000:.1f} "
        f"tracked={len(gc.get_objects())} full_pass_ms={quickest * 1000:.1f}"
    )
