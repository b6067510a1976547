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

An action can be cancelled before it runs (:meth:`VirtualClock.cancel`, what KeCancelTimer does
for a kernel timer).  A *background* action (the balance-set manager's tick) is housekeeping: it
never completes anyone's I/O, so :attr:`VirtualClock.pending_work` — how many scheduled actions
are not background — tells a waiting thread whether anything could still wake it.

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


class Scheduled:
    """One scheduled run of an action: what :meth:`VirtualClock.schedule` returns, and what
    :meth:`VirtualClock.cancel` takes.  ``when`` is its due time in ticks."""

    __slots__ = ("when", "sequence", "action", "background")

    def __init__(self, when: int, sequence: int, action, background: bool) -> None:
        self.when = when
        self.sequence = sequence
        self.action = action
        """The action, or None once it has run or was cancelled."""
        self.background = background


class Periodic:
    """An action the clock runs every *period* ticks (see :meth:`VirtualClock.every`)."""

    def __init__(self, clock, period, action, idle, skip, background=False) -> None:
        self.clock = clock
        self.period = period
        self.action = action
        self.idle = idle
        """Returns True when the next run would change nothing but the count of runs."""
        self.skip = skip
        """Does what *n* idle runs would do, in one call: ``skip(n)``."""
        self.runs = 0
        """How many times the loop called :attr:`action` or :attr:`skip` (wdfkit's, for tests)."""
        self.background = background
        self.next: Scheduled | None = None
        """Its next run, scheduled (None once :meth:`VirtualClock.cancel` stopped it)."""

    def __call__(self) -> None:
        self.runs += 1
        self.next = None
        self.action()
        if self.next is None:  # the action may have cancelled or rescheduled it
            self.next = self.clock.schedule(self.period, self, self.background)


class VirtualClock:
    """Time in 100 ns ticks, and a heap of actions waiting for their time."""

    def __init__(self) -> None:
        self.ticks = 0
        """Current time, in 100 ns units since boot."""
        self._queue: list[tuple[int, int, Scheduled]] = []
        """A heap of (due time, sequence, entry): tuples compare in C, the sequence breaks ties."""
        self._sequence = itertools.count()
        self.pending_work = 0
        """Scheduled actions that are not background: 0 means nothing could complete I/O."""

    @property
    def seconds(self) -> float:
        """Current time in seconds since boot."""
        return self.ticks / TICKS_PER_SECOND

    def schedule(
        self, delay_ticks: int, action: Callable[[], None], background: bool = False
    ) -> Scheduled:
        """Run *action* when the clock reaches now + *delay_ticks*; returns the entry that
        :meth:`cancel` takes.  *background*: housekeeping that completes no one's I/O."""
        entry = Scheduled(self.ticks + delay_ticks, next(self._sequence), action, background)
        heapq.heappush(self._queue, (entry.when, entry.sequence, entry))
        if not background:
            self.pending_work += 1
        return entry

    def cancel(self, entry: "Scheduled | Periodic") -> bool:
        """Take a scheduled action (or every later run of a periodic one) off the clock.
        True if it was still waiting, as KeCancelTimer answers whether the timer was set."""
        if isinstance(entry, Periodic):
            entry, periodic = entry.next, entry
            periodic.next = None
            if entry is None:
                return False
        if entry.action is None:
            return False
        entry.action = None  # stays in the heap; the loop drops it when it comes up
        if not entry.background:
            self.pending_work -= 1
        return True

    def every(
        self,
        period: int,
        action: Callable[[], None],
        idle: Callable[[], bool] | None = None,
        skip: Callable[[int], None] | None = None,
        background: bool = False,
    ) -> Periodic:
        """Run *action* every *period* ticks, first at now + *period*.

        With *idle* and *skip*: whenever *idle()* holds as a run falls due, the loop replaces
        that run and every later one that falls before the next other action and by the
        deadline with one call ``skip(n)``.  Ties keep their order: an action already waiting
        for time T runs before a periodic run due at T (that run was not yet scheduled when the
        action was), so the skipped runs are those strictly before the next action.
        *background* marks housekeeping (see :meth:`schedule`).  Stop it with :meth:`cancel`.
        """
        periodic = Periodic(self, period, action, idle, skip, background)
        periodic.next = self.schedule(period, periodic, background)
        return periodic

    def run_until(
        self,
        deadline: int,
        done: Callable[[], bool] | None = None,
        max_actions: int | None = None,
    ) -> bool:
        """The one loop that moves time: run waiting actions in order until *done()* holds or
        the clock reaches *deadline*; True if *done()* held first.

        *done* is asked before each action (a thread waiting on an event); without it, every
        action due by *deadline* runs and the clock ends at *deadline*.  When *done()* holds,
        the clock stays at the time of the action that made it hold.  Time never runs back: an
        action scheduled in the past runs at the current time.

        *max_actions* makes it a wait with nothing but the clock to end it (a thread waiting
        with no timeout, see Machine.wait_for): it stops, leaving the clock where it is, as
        soon as no work is scheduled (:attr:`pending_work` is 0: nothing could make *done()*
        hold any more) or *max_actions* actions have run.
        """
        queue = self._queue
        ran = 0
        while done is None or not done():
            if max_actions is not None:
                if self.pending_work == 0 or ran >= max_actions:
                    return False
                ran += 1
            if not queue or queue[0][0] > deadline:
                self.ticks = deadline
                return False
            entry = heapq.heappop(queue)[2]
            action = entry.action
            if action is None:  # cancelled
                continue
            entry.action = None
            if not entry.background:
                self.pending_work -= 1
            self.ticks = max(self.ticks, entry.when)
            if type(action) is Periodic and action.idle is not None and action.idle():
                self._skip_idle(action, deadline)
            else:
                action()
        return True

    def _skip_idle(self, periodic: Periodic, deadline: int) -> None:
        """Run an idle periodic action's due runs before the next other action as one skip."""
        period = periodic.period
        last = deadline  # the last run must fall by the deadline ...
        queue = self._queue
        while queue and queue[0][2].action is None:  # cancelled entries are not "other actions"
            heapq.heappop(queue)
        if queue:  # ... and strictly before the next other action
            last = min(last, queue[0][0] - 1)
        runs = max(1, (last - self.ticks) // period + 1)
        periodic.runs += 1
        periodic.skip(runs)
        self.ticks += (runs - 1) * period
        periodic.next = self.schedule(period, periodic, periodic.background)
