"""Virtual time costs no wall time per idle virtual second (issue 15, items 1 and 2).

The balance-set manager wakes once a virtual second (KeBalanceSetManager's 1 s periodic timer);
wdfkit runs those wake-ups one by one only while they can change
something, and skips idle stretches in one step (kernel/clock.py ``VirtualClock.every``,
kernel/lookaside.py ``BalanceSetManager.idle``/``skip``).  The tests count the loop's calls of
the tick (``Machine.balance_ticks.runs``) rather than timing it, so they cannot flake on a slow
machine; the printed numbers of lesson 02 stay pinned by tests/test_lookaside.py.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import math

import pytest

from tests.test_io import device_machine
from wdfkit import *
from wdfkit.course import workload
from wdfkit.ddi.wdfiotarget import WDF_IO_TARGET_OPEN_PARAMS
from wdfkit.kernel.clock import MAXIMUM_TICKS
from wdfkit.kernel.lookaside import HISTORY_ROWS, BalanceSetManager
from wdfkit.show import plots


def test_a_billion_idle_seconds_are_one_step():
    """No lookaside list: every tick is idle, so advance(1e9) calls the tick loop once."""
    machine = Machine(verifier=False)
    machine.advance(1e9)
    assert machine.clock.ticks == 10**9 * 10_000_000
    assert machine.balance.seconds == 10**9
    assert machine.balance_ticks.runs == 1


def test_a_list_settles_then_idle_seconds_are_skipped_with_their_rows():
    """A list with traffic ticks second by second until its Depth is back at 4 and its window
    is scanned (ExpComputeLookasideDepth: A = 0 gives Depth − 10, floor 4); then the rest of the
    billion seconds is one skip, and the ring holds the last HISTORY_ROWS seconds, as a tick
    would have written them (scans every third second, no traffic)."""
    machine = Machine(verifier=False)
    with machine:
        _, lookaside = WdfLookasideListCreate(None, 64, NonPagedPoolNx, None, "1gaT")
        for _ in range(3):  # three busy seconds: Depth grows
            memories = [WdfMemoryCreateFromLookaside(lookaside)[1] for _ in range(100)]
            for memory in memories:
                WdfObjectDelete(memory)
            machine.advance(1)
        assert machine.balance.lists[0].Depth == 34
        machine.advance(1e9)
    assert machine.balance_ticks.runs < 30  # 3 busy ticks, a few to settle, then one skip
    assert machine.balance.seconds == 10**9 + 3
    history = machine.balance.history
    assert len(history) == HISTORY_ROWS
    last = history[-1]
    assert (last.second, last.depth, last.held, last.in_use, last.allocates) == (
        10**9 + 3,
        4,
        4,
        0,
        0,
    )
    scans = [row.second for row in list(history)[-9:] if row.scanned]
    assert all(second % 3 == 0 for second in scans) and len(scans) == 3


def test_skipped_seconds_are_the_rows_ticks_would_have_written(monkeypatch):
    """Example A then 70 idle seconds (to t = 120: Depth decays to 4 by t = 81) records the
    same rows with idle stretches skipped as with every tick run one by one."""
    skipped = workload.run(workload.EXAMPLE_A)  # one advance(1) a second, to t = 50
    skipped.machine.advance(70)
    assert skipped.machine.balance_ticks.runs < 90  # 50, then one by one to t = 81, one skip
    monkeypatch.setattr(BalanceSetManager, "idle", lambda self: False)
    ticked = workload.run(workload.EXAMPLE_A + (workload.Phase(0, 70),))
    assert ticked.machine.balance_ticks.runs == 120
    assert list(skipped.machine.balance.history) == list(ticked.machine.balance.history)
    rows = skipped.machine.balance.history
    assert [(r.second, r.depth) for r in rows if r.second in (81, 120)] == [(81, 4), (120, 4)]
    assert plots.lookaside_timeline(rows) is not None  # idle seconds plot like any other


def test_a_long_synchronous_timeout_to_a_stopped_target_is_a_jump():
    """WDF_REL_TIMEOUT_IN_SEC(10**7) to a stopped target: the request waits in the target's
    queue until the timeout cancels it (fxiotarget.cpp SubmitSync: the wait times out, the
    request is cancelled and the send returns STATUS_IO_TIMEOUT); the 10 million seconds in
    between are one skip of the idle tick, not ten million."""
    machine, device = device_machine()
    _, target = WdfIoTargetCreate(device, None)
    params = WDF_IO_TARGET_OPEN_PARAMS()
    WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME(params, r"\Device\Other", 0)
    assert WdfIoTargetOpen(target, params) == STATUS_SUCCESS
    WdfIoTargetStop(target, WdfIoTargetLeaveSentIoPending)
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "tseT", 8)
    desc = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(desc, memory, None)
    options = WDF_REQUEST_SEND_OPTIONS()
    WDF_REQUEST_SEND_OPTIONS_INIT(options, WDF_REQUEST_SEND_OPTION_TIMEOUT)
    WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT(options, WDF_REL_TIMEOUT_IN_SEC(10**7))
    runs = machine.balance_ticks.runs
    status, _ = WdfIoTargetSendReadSynchronously(target, None, desc, None, options)
    assert status == STATUS_IO_TIMEOUT
    assert machine.clock.seconds >= 10**7
    assert machine.balance_ticks.runs - runs <= 3


def test_the_hang_limit_wait_is_a_jump():
    """An application's read waits as long as something scheduled could complete it
    (Machine.wait_for, issue 16 item 11): here a completion 10**9 virtual seconds away, within a
    raised HANG_LIMIT.  Those seconds are skipped, not ticked.  (Before issue 16 every wait ran
    HANG_LIMIT seconds; a wait nothing can end now ends at once: tests/test_waiting.py.)"""
    kept = []

    def read_and_keep(Queue, Request, Length):
        kept.append(Request)

    machine = boot("Toaster")
    from wdfkit.course import scenarios

    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": read_and_keep}))
    machine.HANG_LIMIT = 2.0 * 10**9
    machine.clock.schedule(10**9 * 10**7, lambda: WdfRequestComplete(kept[0], STATUS_SUCCESS))
    runs = machine.balance_ticks.runs
    assert machine.application().ReadFile(bytearray(8)).Status == STATUS_SUCCESS
    assert machine.clock.seconds >= 10**9
    assert machine.balance_ticks.runs - runs <= 3


@pytest.mark.parametrize("seconds", [math.inf, -math.inf, math.nan, -1, -1e-9, "1", None, True])
def test_advance_refuses_what_is_not_a_time(seconds):
    machine = Machine(verifier=False)
    with pytest.raises(ValueError, match=r"^Machine\.advance: seconds"):
        machine.advance(seconds)
    assert machine.clock.ticks == 0


def test_advance_refuses_to_overflow_the_64_bit_clock():
    """KeQueryInterruptTime is a ULONGLONG of 100 ns and timers take a LONGLONG: 2**63 − 1
    ticks, about 29,000 years, is as far as the clock goes."""
    machine = Machine(verifier=False)
    with pytest.raises(ValueError, match=r"^Machine\.advance: seconds=1000000000000.0 would take"):
        machine.advance(1e12)
    machine.advance(9 * 10**11)  # 28,500 years: fine
    assert machine.balance.seconds == 9 * 10**11


def test_a_wait_longer_than_the_clock_ends_at_its_last_tick():
    """A timeout past the 64-bit interrupt time (2**63 - 1 ticks) waits until the clock's end,
    in one skip, instead of running the clock past what KeQueryInterruptTime can hold."""
    machine = Machine(verifier=False)
    assert machine.wait_for(lambda: False, 2**70, "a test") is False
    assert machine.clock.ticks == MAXIMUM_TICKS
    assert machine.balance_ticks.runs == 1
