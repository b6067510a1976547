"""The machine's public surface: which machine is current, and virtual time."""

import pytest

from wdfkit import Machine, WdfObjectCreate, WdfObjectDelete, boot
from wdfkit.kernel.clock import VirtualClock
from wdfkit.sim.machine import current_machine


@pytest.fixture
def nothing_activated():
    """No activated machine during the test; whatever was activated comes back after it."""
    try:
        activated = current_machine()
    except RuntimeError:
        activated = None
    if activated is not None:
        activated.deactivate()
    yield
    if activated is not None:
        activated.activate()


def test_no_current_machine_is_a_clear_error(nothing_activated):
    with pytest.raises(RuntimeError, match="WdfTest: no simulated machine is active; start one"):
        current_machine("WdfTest")


def test_with_blocks_nest_and_restore_the_outer_machine(nothing_activated):
    outer, inner = Machine(), Machine()
    with outer:
        assert current_machine() is outer
        with inner:
            assert current_machine() is inner
            with outer:  # the same machine entered again
                assert current_machine() is outer
            assert current_machine() is inner
        assert current_machine() is outer
    with pytest.raises(RuntimeError, match="no simulated machine"):
        current_machine()


def test_an_entered_machine_wins_over_the_activated_one(nothing_activated):
    activated, entered = boot(), Machine()
    assert current_machine() is activated
    with entered:
        assert current_machine() is entered
        later = Machine().activate()  # activating inside a with changes what comes after it
        assert current_machine() is entered
    assert current_machine() is later
    later.deactivate()
    activated.deactivate()  # no longer the activated one: nothing changes
    with pytest.raises(RuntimeError, match="no simulated machine"):
        current_machine()


def test_ddis_act_on_the_current_machine(nothing_activated):
    first, second = Machine(), Machine()
    with first:
        status, handle = WdfObjectCreate(None)
    assert handle.value in first.objects and handle.value not in second.objects
    with second, pytest.raises(ValueError, match="another simulated machine"):
        WdfObjectDelete(handle)


def test_virtual_time_moves_in_one_loop():
    clock = VirtualClock()
    ran = []
    for delay in (5, 10, 3):
        clock.schedule(delay, lambda: ran.append(clock.ticks))
    assert clock.run_until(7) is False and ran == [3, 5] and clock.ticks == 7
    # A wait: stops at the action that satisfied it, not at the deadline.
    assert clock.run_until(100, lambda: len(ran) == 3) is True and clock.ticks == 10
    assert clock.run_until(50, lambda: False) is False and clock.ticks == 50
    assert clock.run_until(60, lambda: True) is True and clock.ticks == 50
