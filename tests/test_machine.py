"""The machine's public surface: which machine is current, its events, and virtual time."""

import pytest

from wdfkit import (
    BugCheck,
    Machine,
    NonPagedPoolNx,
    WdfMemoryCreate,
    WdfObjectCreate,
    WdfObjectDelete,
    WdfObjectDereference,
    boot,
)
from wdfkit.kernel.clock import VirtualClock
from wdfkit.sim.events import Event, EventHub
from wdfkit.sim.machine import current_machine
from wdfkit.sim.timeline import Timeline


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
    with second, pytest.raises(ValueError, match="from machine #.* this call runs on machine #"):
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


# -- the event hub --------------------------------------------------------------------------
def test_a_listener_hears_a_memory_object_created_then_destroyed(machine):
    heard = []
    machine.events.subscribe(lambda event, *values: heard.append((event, values)))
    status, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
    WdfObjectDelete(memory)
    assert heard == [
        (Event.DDI_CALLED, ("WdfMemoryCreate", ())),
        (Event.OBJECT_CREATED, (memory, "pool")),  # Verifier on: the buffer apart, from pool
        (Event.DDI_CALLED, ("WdfObjectDelete", (memory,))),
        (Event.OBJECT_DESTROYED, (memory,)),
    ]


def test_a_machine_without_listeners_announces_nothing(machine):
    assert machine.events.listeners == [] and machine.timeline is None
    heard = []

    def listener(event, *values):
        heard.append(event)

    machine.events.subscribe(listener)
    WdfObjectCreate(None)
    machine.events.unsubscribe(listener)
    assert machine.events.listeners == []
    status, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
    WdfObjectDelete(memory)
    assert heard == [Event.DDI_CALLED, Event.OBJECT_CREATED]
    with pytest.raises(ValueError):
        machine.events.unsubscribe(listener)


def test_a_listener_may_unsubscribe_while_hearing():
    hub, heard = EventHub(), []

    def once(event, *values):
        heard.append("once")
        hub.unsubscribe(once)

    hub.subscribe(once)
    hub.subscribe(lambda event, *values: heard.append("always"))
    hub.emit(Event.BUG_CHECK, 0x10D, "0x10D", "WdfTest")
    hub.emit(Event.BUG_CHECK, 0x10D, "0x10D", "WdfTest")
    assert heard == ["once", "always", "always"]


def test_the_bug_check_is_announced(machine):
    heard = []
    machine.events.subscribe(lambda event, *values: heard.append((event, values)))
    status, handle = WdfObjectCreate(None)
    with pytest.raises(BugCheck, match="0x10D"):
        WdfObjectDereference(handle)
    event, (code, summary, where) = heard[-1]
    assert (event, code, where) == (Event.BUG_CHECK, 0x10D, "WdfObjectDereference")
    assert summary.startswith("0x10D")


def test_the_timeline_is_one_listener_and_can_be_replaced(machine):
    first = machine.timeline = Timeline(machine)
    assert machine.events.listeners == [first.record]
    status, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
    second = machine.timeline = Timeline(machine)
    assert machine.events.listeners == [second.record]
    WdfObjectDelete(memory)
    assert [row.end_text for row in first.rows] == [""]  # it stopped hearing
    assert first.events[0][2] == f"{memory!r} (pool)"
    assert second.rows == []  # it never saw the object begin
    machine.timeline = None
    assert machine.events.listeners == []
