"""Kernel lookaside lists, and the balance-set manager that re-tunes their Depth.

A lookaside list is a LIFO stack of free, same-sized pool blocks with a soft cap, ``Depth``.
Allocating pops a block, or on an empty stack counts a *miss* and takes a new block from pool.
Freeing pushes the block back, unless the stack already holds ``Depth`` blocks: then it counts a
*free miss* and returns the block to pool.  ``Depth`` is the only thing the system tunes.

Once a virtual second the balance-set manager wakes up and visits one group in turn: nonpaged
driver lists, paged driver lists, system lists.  So each driver list is re-tuned every third
second, from the allocations (A) and misses (M) of that three-second window:

* A < 75 (25 per second of window): Depth −10;
* else, misses per thousand R = ⌊1000·M/A⌋ < 5: Depth −1;
* else Depth + min(30, ⌊R·(MaximumDepth − Depth)/2000⌋ + 5);

never below 4 nor above MaximumDepth (256).  A lowered Depth frees nothing: surplus blocks stay
held until allocations drain them or the list is deleted.

Mirrors: GENERAL_LOOKASIDE, ExAllocateFrom/ExFreeTo(N)PagedLookasideList, ExpScanGeneral-
LookasideList + ExpComputeLookasideDepth, KeBalanceSetManager's 1 s period and its three-slot
cycle (Microsoft's page "Using Lookaside Lists" states only the contract).  With Driver Verifier on
(``machine.driver_verifier``; KMDF Verifier plays no part), lists start at Depth 0 and are never
re-tuned (every allocation and free goes to pool): Driver Verifier sets ExMinimumLookasideDepth to 0
and ExInitializeNPagedLookasideList then starts a list at Depth 0 with MaximumDepth 0xFFFF, which
the scanner skips (public Windows 10/11 decompilations show Driver
Verifier's start-up, VfInitSystemNoRebootNeeded, calling ExDisableAllLookasideLists, which does this
and marks the lists that already exist).  wdfkit holds the lists of the driver Driver Verifier
verifies this way; whether a real machine does it to every list, in every Driver Verifier set-up, is
not established.
Simplified: one processor, so ``held`` never overshoots Depth; system lists are not simulated.
"""

from collections import deque

from ..sim.snapshot import BalanceSnapshot, LookasideSecond, LookasideSnapshot
from .pool import base_is_paged, tag_text

MINIMUM_LOOKASIDE_DEPTH = 4
MAXIMUM_LOOKASIDE_DEPTH = 256
FIXED_DEPTH = 0xFFFF  # MaximumDepth meaning "never re-tune" (Driver Verifier's lists)
ALLOCATION_THRESHOLD = 25  # allocations per second of window, below which Depth shrinks by 10
SCAN_PERIOD = 3  # seconds between two scans of the same driver list
NONPAGED_SLOT, PAGED_SLOT, SYSTEM_SLOT = 0, 1, 2
U32 = 0xFFFFFFFF
HISTORY_ROWS = 1 << 16
"""The history keeps the last 65,536 rows (one per list per second): a ring, about 11 MB."""


class LookasideList:
    """One GENERAL_LOOKASIDE: the counters the scanner reads, and the held blocks (``held``).

    Created on *machine*, it joins the balance-set manager's scan lists (as ExInitialize…
    links it into the global list) until :meth:`delete`.  The machine's pool supplies blocks on
    a miss and takes them back on a free miss; *owner* says whose they are in the pool view (the
    driver's own Ex… list, or the framework's list behind a WDFLOOKASIDE).
    """

    def __init__(self, machine, pool_type: int, size: int, tag: int, owner: str, name: str) -> None:
        verifier = machine.driver_verifier  # ExMinimumLookasideDepth 0
        self.pool = machine.pool
        self._scanner = machine.balance
        self.paged = base_is_paged(pool_type)
        self.name = name
        """A label for views and plots (e.g. the WDFLOOKASIDE handle and the list's role)."""
        self.Type = pool_type
        self.Size = size
        self.Tag = tag
        self.owner = owner
        self.Depth = 0 if verifier else MINIMUM_LOOKASIDE_DEPTH
        self.MaximumDepth = FIXED_DEPTH if verifier else MAXIMUM_LOOKASIDE_DEPTH
        self.TotalAllocates = self.AllocateMisses = self.TotalFrees = self.FreeMisses = 0
        self.LastTotalAllocates = self.LastAllocateMisses = 0
        self.held: list = []
        """The free blocks on the list's stack (an SLIST), last pushed last."""
        self.peak_in_use = 0
        """Most blocks handed out at once since the last tick (wdfkit's, for the plots)."""
        self.deleted = False
        self._scanner.register(self)

    @property
    def in_use(self) -> int:
        """Blocks handed out and not yet returned (the list itself does not track them)."""
        return (self.TotalAllocates - self.TotalFrees) & U32

    def allocate(self):
        """ExAllocateFromNPagedLookasideList: pop a held block, or miss and allocate pool."""
        self.TotalAllocates = (self.TotalAllocates + 1) & U32
        in_use = (self.TotalAllocates - self.TotalFrees) & U32
        if in_use > self.peak_in_use:
            self.peak_in_use = in_use
        if self.held:
            return self.held.pop()
        self.AllocateMisses = (self.AllocateMisses + 1) & U32
        return self.pool.allocate(self.Type, self.Size, self.Tag, self.owner)

    def free(self, block) -> None:
        """ExFreeToNPagedLookasideList: push the block, or free it to pool at Depth."""
        self.TotalFrees = (self.TotalFrees + 1) & U32
        if len(self.held) >= self.Depth:
            self.FreeMisses = (self.FreeMisses + 1) & U32
            self.pool.free(block.address, block.tag)
        else:
            self.held.append(block)

    def adjust(self, scan_period: int) -> None:
        """One scan (ExpScanGeneralLookasideList → ExpComputeLookasideDepth)."""
        misses = (self.AllocateMisses - self.LastAllocateMisses) & U32
        allocates = (self.TotalAllocates - self.LastTotalAllocates) & U32
        self.LastAllocateMisses = self.AllocateMisses
        self.LastTotalAllocates = self.TotalAllocates
        if self.MaximumDepth == FIXED_DEPTH:
            return
        self.Depth = next_depth(self.Depth, self.MaximumDepth, allocates, misses, scan_period)

    def snapshot(self) -> LookasideSnapshot:
        """The counters ``!lookaside`` shows, read once."""
        return LookasideSnapshot(
            self.name,
            self.Type,
            self.paged,
            tag_text(self.Tag),
            self.Size,
            self.Depth,
            self.MaximumDepth,
            len(self.held),
            self.in_use,
            self.TotalAllocates,
            self.AllocateMisses,
            self.TotalFrees,
            self.FreeMisses,
        )

    def delete(self) -> None:
        """ExDelete(N)PagedLookasideList: leave the scan, set Depth 0, free every held block."""
        self.deleted = True
        self._scanner.unregister(self)
        self.Depth = 0
        while self.held:
            block = self.held.pop()
            self.pool.free(block.address, block.tag)


def next_depth(depth: int, maximum: int, allocates: int, misses: int, scan_period: int) -> int:
    """The Depth a scan gives a list, from its window's allocations and misses."""
    if allocates < ALLOCATION_THRESHOLD * scan_period:
        return max(MINIMUM_LOOKASIDE_DEPTH, depth - 10)
    permille = 1000 * misses // allocates
    if permille < 5:
        return max(MINIMUM_LOOKASIDE_DEPTH, depth - 1)
    growth = min(30, permille * (maximum - depth) // 2000 + 5)
    return min(maximum, depth + growth)


class BalanceSetManager:
    """KeBalanceSetManager's lookaside work: one tick per virtual second.

    *first_slot* is the group the first tick (t = 1 s) scans; the default 1 (paged lists) makes
    nonpaged lists scan at t = 3, 6, 9 … — the phase of the worked example in
    tests/test_lookaside.py.  The real phase depends on when the list was created and no driver can
    see it.  *every_second* is a teaching mode that is NOT what Windows does: every list is scanned
    every tick with a one-second window (threshold 25).

    Idle seconds cost nothing: when no list has had traffic since the last tick and a scan of
    every list would leave it as it is (its window already scanned, Depth at the floor of 4 or
    fixed), a tick changes nothing but the second and the slot.  The machine's clock then asks
    :meth:`skip` to do any number of such ticks at once (:meth:`idle` says when).  The history
    is a ring of the last :data:`HISTORY_ROWS` rows, every second included: skipped seconds get
    the rows their ticks would have written (the last ones that fit), so plots of idle stretches
    look exactly as if every tick had run.
    """

    def __init__(self, first_slot: int = PAGED_SLOT, every_second: bool = False) -> None:
        if first_slot not in (NONPAGED_SLOT, PAGED_SLOT, SYSTEM_SLOT):
            raise ValueError("BalanceSetManager: first_slot must be 0, 1 or 2")
        self.slot = first_slot
        self.every_second = every_second
        self.lists: list[LookasideList] = []
        """Every registered (not yet deleted) list: the kernel's global scan lists."""
        self.history: deque[LookasideSecond] = deque(maxlen=HISTORY_ROWS)
        """Every list's counters at the end of each second, oldest first: the last
        HISTORY_ROWS rows (a ring; older seconds drop off the front)."""
        self.seconds = 0
        self._last: dict[LookasideList, tuple[int, int, int, int]] = {}
        """Each list's four counters at the last tick (looked up, never iterated)."""

    def register(self, lookaside: LookasideList) -> None:
        self.lists.append(lookaside)
        self._last[lookaside] = (0, 0, 0, 0)

    def unregister(self, lookaside: LookasideList) -> None:
        self.lists.remove(lookaside)
        self._last.pop(lookaside, None)

    def snapshot(self) -> BalanceSnapshot:
        """The lists now and every second so far (the history's records are already frozen)."""
        return BalanceSnapshot(
            self.seconds,
            tuple(lookaside.snapshot() for lookaside in self.lists),
            tuple(self.history),
        )

    def _scans(self, slot: int, lookaside: LookasideList) -> bool:
        """Whether the tick at *slot* re-tunes *lookaside*."""
        if self.every_second:
            return True
        wanted = PAGED_SLOT if lookaside.paged else NONPAGED_SLOT
        return slot == wanted

    def idle(self) -> bool:
        """Whether the next tick would change nothing but the second and the slot.

        True when no list has had an allocation or free since the last tick (so its row's
        counts are all 0 and its peak is what is in use), and a scan now would find an empty
        window and leave Depth where it is (ExpComputeLookasideDepth: A = 0 gives Depth − 10, never
        below 4; a fixed-depth list is skipped).  Then every later tick until the next traffic
        is the same, which is what lets :meth:`skip` jump.
        """
        period = 1 if self.every_second else SCAN_PERIOD
        for lookaside in self.lists:
            counters = _counters(lookaside)
            if counters != self._last[lookaside] or lookaside.peak_in_use != lookaside.in_use:
                return False
            if (
                lookaside.LastTotalAllocates != lookaside.TotalAllocates
                or lookaside.LastAllocateMisses != lookaside.AllocateMisses
            ):
                return False
            depth = lookaside.Depth
            if lookaside.MaximumDepth != FIXED_DEPTH and depth != next_depth(
                depth, lookaside.MaximumDepth, 0, 0, period
            ):
                return False
        return True

    def skip(self, ticks: int) -> None:
        """Do *ticks* idle ticks at once (only when :meth:`idle` holds).

        Each would scan its group and find nothing to change, then record every list's second:
        the same Depth, held and in-use counts, no traffic.  The ring keeps only its last
        HISTORY_ROWS rows, so only the seconds that would still be in it are written.
        """
        first = self.seconds + 1
        if self.lists:
            kept = min(ticks, HISTORY_ROWS // len(self.lists) + 1)
            for second in range(first + ticks - kept, first + ticks):
                slot = (self.slot + second - first) % 3
                for lookaside in self.lists:
                    self.history.append(
                        LookasideSecond(
                            second,
                            lookaside.name,
                            self._scans(slot, lookaside),
                            lookaside.Depth,
                            len(lookaside.held),
                            lookaside.in_use,
                            0,
                            0,
                            0,
                            0,
                            lookaside.peak_in_use,
                        )
                    )
        self.seconds += ticks
        if not self.every_second:
            self.slot = (self.slot + ticks) % 3

    def tick(self) -> None:
        """One wake-up: scan this slot's group, then record every list's second."""
        self.seconds += 1
        scanned = set()
        period = 1 if self.every_second else SCAN_PERIOD
        for lookaside in self.lists:
            if self._scans(self.slot, lookaside):
                lookaside.adjust(period)
                scanned.add(lookaside)
        if not self.every_second:
            self.slot = (self.slot + 1) % 3
        for lookaside in self.lists:
            counters = _counters(lookaside)
            before = self._last[lookaside]
            self._last[lookaside] = counters
            allocates, misses, frees, free_misses = (
                (now - then) & U32 for now, then in zip(counters, before, strict=True)
            )
            self.history.append(
                LookasideSecond(
                    self.seconds,
                    lookaside.name,
                    lookaside in scanned,
                    lookaside.Depth,
                    len(lookaside.held),
                    lookaside.in_use,
                    allocates,
                    misses,
                    frees,
                    free_misses,
                    lookaside.peak_in_use,
                )
            )
            lookaside.peak_in_use = lookaside.in_use


def _counters(lookaside) -> tuple[int, int, int, int]:
    """A list's running totals, as the balance-set manager compares them from tick to tick."""
    return (
        lookaside.TotalAllocates,
        lookaside.AllocateMisses,
        lookaside.TotalFrees,
        lookaside.FreeMisses,
    )
