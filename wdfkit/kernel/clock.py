"""Virtual time: a clock that moves only when the simulation says so.

Windows measures time in 100-nanosecond units.  wdfkit keeps the same unit but never reads
the host's clock: time advances only through :meth:`VirtualClock.run_until`, which runs every
action that falls due, in order of time and then of scheduling (ties run first-in, first-out).
The same calls therefore give the same times on every run and every machine.

Mirrors: KeQueryInterruptTime's unit; the event loop of SimPy's ``Environment``.
Simplified: one processor; actions run to completion.
"""

import heapq
import itertools
from collections.abc import Callable

TICKS_PER_SECOND = 10_000_000


class VirtualClock:
    """Time in 100 ns ticks, and a heap of actions waiting for their time."""

    def __init__(self) -> None:
        self.ticks = 0
        """Current time, in 100 ns units since boot."""
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._sequence = itertools.count()

    @property
    def seconds(self) -> float:
        """Current time in seconds since boot."""
        return self.ticks / TICKS_PER_SECOND

    def schedule(self, delay_ticks: int, action: Callable[[], None]) -> None:
        """Run *action* when the clock reaches now + *delay_ticks*."""
        heapq.heappush(self._queue, (self.ticks + delay_ticks, next(self._sequence), action))

    def run_until(self, deadline: int, done: Callable[[], bool] | None = None) -> bool:
        """The one loop that moves time: run waiting actions in order until *done()* holds or
        the clock reaches *deadline*; True if *done()* held first.

        *done* is asked before each action (a thread waiting on an event); without it, every
        action due by *deadline* runs and the clock ends at *deadline*.  When *done()* holds,
        the clock stays at the time of the action that made it hold.  Time never runs back: an
        action scheduled in the past runs at the current time.
        """
        queue = self._queue
        while done is None or not done():
            if not queue or queue[0][0] > deadline:
                self.ticks = deadline
                return False
            when, _, action = heapq.heappop(queue)
            self.ticks = max(self.ticks, when)
            action()
        return True
