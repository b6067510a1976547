"""Virtual time: a clock that moves only when the simulation says so.

Windows measures time in 100-nanosecond units.  wdfkit keeps the same unit but never reads
the host's clock: time advances only through :meth:`VirtualClock.run_until`, which runs every
action that falls due, in order of time and then of scheduling (ties run first-in, first-out).
The same calls therefore give the same times on every run and every machine.

A periodic action (:meth:`VirtualClock.every`, the balance-set manager's one-second tick) can
say that it is idle: its next runs would change nothing but a count of runs.  The loop then
jumps over every run that falls before the next other action (or the deadline) with one call
of its *skip*, so idle virtual time costs no wall time per period: ``advance(1e9)`` is a jump,
not a billion wake-ups.  The skipped runs still happen, in effect, at their exact times.

Mirrors: KeQueryInterruptTime's unit; the event loop of SimPy's ``Environment``.
Simplified: one processor; actions run to completion.
"""

import heapq
import itertools
from collections.abc import Callable

TICKS_PER_SECOND = 10_000_000
MAXIMUM_TICKS = (1 << 63) - 1
"""The interrupt time is a 64-bit count of 100 ns (KeQueryInterruptTime returns ULONGLONG, the
timers take LONGLONG): about 29,000 years, and wdfkit's clock never goes past it."""


class Periodic:
    """An action the clock runs every *period* ticks (see :meth:`VirtualClock.every`)."""

    def __init__(self, clock, period, action, idle, skip) -> None:
        self.clock = clock
        self.period = period
        self.action = action
        self.idle = idle
        """Returns True when the next run would change nothing but the count of runs."""
        self.skip = skip
        """Does what *n* idle runs would do, in one call: ``skip(n)``."""
        self.runs = 0
        """How many times the loop called :attr:`action` or :attr:`skip` (wdfkit's, for tests)."""

    def __call__(self) -> None:
        self.runs += 1
        self.action()
        self.clock.schedule(self.period, self)


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

    def every(
        self,
        period: int,
        action: Callable[[], None],
        idle: Callable[[], bool] | None = None,
        skip: Callable[[int], None] | None = None,
    ) -> Periodic:
        """Run *action* every *period* ticks, first at now + *period*.

        With *idle* and *skip*: whenever *idle()* holds as a run falls due, the loop replaces
        that run and every later one that falls before the next other action and by the
        deadline with one call ``skip(n)``.  Ties keep their order: an action already waiting
        for time T runs before a periodic run due at T (that run was not yet scheduled when the
        action was), so the skipped runs are those strictly before the next action.
        """
        periodic = Periodic(self, period, action, idle, skip)
        self.schedule(period, periodic)
        return periodic

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
            if type(action) is Periodic and action.idle is not None and action.idle():
                self._skip_idle(action, deadline)
            else:
                action()
        return True

    def _skip_idle(self, periodic: Periodic, deadline: int) -> None:
        """Run an idle periodic action's due runs before the next other action as one skip."""
        period = periodic.period
        last = deadline  # the last run must fall by the deadline ...
        if self._queue:  # ... and strictly before the next other action
            last = min(last, self._queue[0][0] - 1)
        runs = max(1, (last - self.ticks) // period + 1)
        periodic.runs += 1
        periodic.skip(runs)
        self.ticks += (runs - 1) * period
        self.schedule(period, periodic)
