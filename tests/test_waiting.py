"""Issue 16 item 11: a wait lasts as long as the virtual clock has something scheduled that
could complete the I/O (Machine.wait_for); when nothing is, it is a hang, reported at once; a
cap (Machine.HANG_LIMIT virtual seconds, Machine.HANG_ACTIONS clock actions) stops a periodic
timer that never completes the request from running for ever."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

from wdfkit import *
from wdfkit.course import scenarios
from wdfkit.kernel.clock import TICKS_PER_SECOND


def held_reads_machine(parallel=True):
    """A driver that keeps every read; ``held`` lists them, oldest first."""
    held = []

    def EvtIoRead(Queue, Request, Length):
        held.append(Request)

    machine = boot("Toaster")
    add = scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}, parallel=parallel)
    machine.add_device(add)
    return machine, held


def complete_one_every(machine, held, seconds):
    """A periodic action (like a driver's periodic timer) completing the oldest held read."""

    def tick():
        if held:
            WdfRequestCompleteWithInformation(held.pop(0), STATUS_SUCCESS, 4)

    return machine.clock.every(round(seconds * TICKS_PER_SECOND), tick)


def test_32_outstanding_reads_completed_one_every_two_seconds():
    """The issue's case: 64 virtual seconds of waiting, more than the 60 a wait used to last."""
    machine, held = held_reads_machine()
    complete_one_every(machine, held, 2.0)
    app = machine.application()
    ios = [app.ReadFile(bytearray(4), overlapped=True) for _ in range(32)]
    assert len(held) == 32 and not any(io.done for io in ios)
    assert app.GetOverlappedResult(ios[-1], True) == IO_STATUS_BLOCK(STATUS_SUCCESS, 4)
    assert machine.clock.seconds == 64 and all(io.done for io in ios)


def test_synchronous_reads_wait_for_a_clock_scheduled_completion():
    machine, held = held_reads_machine(parallel=False)
    complete_one_every(machine, held, 2.0)
    app = machine.application()
    for n in range(1, 33):
        assert app.ReadFile(bytearray(4)).Status == STATUS_SUCCESS
        assert machine.clock.seconds == 2 * n


def test_a_wait_nothing_can_end_is_reported_at_once_naming_the_request():
    machine, held = held_reads_machine()
    result = machine.application().ReadFile(bytearray(4))
    assert result == IO_STATUS_BLOCK(STATUS_PENDING, 0)
    assert machine.clock.seconds == 0
    line = machine.log_lines()[-1]
    assert "IRP_MJ_READ, IRP 0x" in line and f"({held[0]!r}, owned by the driver)" in line
    assert "nothing scheduled on the virtual clock could complete it" in line
    assert "could complete it" in machine.last_hang


def test_background_housekeeping_does_not_keep_a_wait_alive():
    """The balance-set manager's once-a-second tick is scheduled for ever, but it completes no
    one's I/O: it does not count."""
    machine, _ = held_reads_machine()
    assert machine.clock.pending_work == 0
    machine.application().ReadFile(bytearray(4))
    assert machine.clock.seconds == 0


def test_a_periodic_action_that_never_completes_the_read_hits_the_action_cap():
    machine, _ = held_reads_machine()
    machine.clock.every(TICKS_PER_SECOND // 1000, lambda: None)  # a 1 ms timer doing nothing
    machine.HANG_ACTIONS = 500
    result = machine.application().ReadFile(bytearray(4))
    assert result.Status == STATUS_PENDING
    assert 0.49 <= machine.clock.seconds <= 0.51
    assert "gave up after" in machine.log_lines()[-1] and "500 clock actions" in machine.last_hang


def test_a_slow_periodic_action_hits_the_virtual_time_cap():
    machine, _ = held_reads_machine()
    machine.clock.every(3600 * TICKS_PER_SECOND, lambda: None)  # hourly, never completing
    machine.HANG_LIMIT = 10 * 3600.0
    assert machine.application().ReadFile(bytearray(4)).Status == STATUS_PENDING
    assert machine.clock.seconds == 10 * 3600
    assert "gave up after 36000 virtual seconds" in machine.last_hang


def test_a_completion_beyond_the_old_sixty_seconds_is_waited_for():
    machine, held = held_reads_machine()
    machine.clock.schedule(
        3600 * TICKS_PER_SECOND, lambda: WdfRequestComplete(held[0], STATUS_SUCCESS)
    )
    assert machine.application().ReadFile(bytearray(4)).Status == STATUS_SUCCESS
    assert machine.clock.seconds == 3600


def test_a_wait_with_a_timeout_ends_at_its_deadline_whatever_is_scheduled():
    """KeWaitForSingleObject with a timeout (a synchronous send's): the deadline, not the
    scheduled work, ends it."""
    machine, _ = held_reads_machine()
    machine.clock.every(TICKS_PER_SECOND, lambda: None)
    assert machine.wait_for(lambda: False, 5 * TICKS_PER_SECOND, "test") is False
    assert machine.clock.seconds == 5
