"""WDFTIMER: creation statuses, start/stop answers, IRQL and lock of EvtTimerFunc, rundown.

Source: fxtimerapi.cpp (WdfTimerCreate, WdfTimerStart, WdfTimerStop, WdfTimerGetParentObject),
fxtimer.cpp (FxTimer::Initialize, TimerHandler, Dispose, FlushAndRundown, Start, Stop),
fxobject.cpp (_GetEffectiveLock), fxvalidatefunctions.hpp, wdftimer.h, wdfcore.h.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.kernel.clock import TICKS_PER_SECOND
from wdfkit.sim.snapshot import TimerDetail


def device_machine(queue_scope=None, queue_level=None, **options):
    """A machine with one device and a default queue (scope/level as given); returns
    ``(machine, device, queue)`` handles, the machine active."""
    machine = Machine("Toaster", **options).activate()
    made = {}

    def add(Driver, DeviceInit):
        status, device = WdfDeviceCreate(DeviceInit, None)
        config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchSequential)
        config.EvtIoDefault = lambda Queue, Request: WdfRequestComplete(Request, STATUS_SUCCESS)
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        if queue_scope is not None:
            attributes.SynchronizationScope = queue_scope
        if queue_level is not None:
            attributes.ExecutionLevel = queue_level
        status, queue = WdfIoQueueCreate(device, config, attributes)
        made.update(device=device, queue=queue)
        return status

    assert machine.add_device(add) == STATUS_SUCCESS
    return machine, made["device"], made["queue"]


def parent_attributes(parent, level=None):
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.ParentObject = parent
    if level is not None:
        attributes.ExecutionLevel = level
    return attributes


def make_timer(parent, callback, period=0, level=None, automatic=True):
    config = WDF_TIMER_CONFIG()
    if period:
        WDF_TIMER_CONFIG_INIT_PERIODIC(config, callback, period)
    else:
        WDF_TIMER_CONFIG_INIT(config, callback)
    config.AutomaticSerialization = automatic
    status, timer = WdfTimerCreate(config, parent_attributes(parent, level))
    assert status == STATUS_SUCCESS, status
    return timer


# -- the structure and the timeout macros ---------------------------------------------------------


def test_the_config_inits_set_size_callback_period_and_automatic_serialization():
    def tick(Timer):
        pass

    config = WDF_TIMER_CONFIG()
    WDF_TIMER_CONFIG_INIT(config, tick)
    assert (config.Size, config.EvtTimerFunc, config.Period) == (0x28, tick, 0)
    assert config.AutomaticSerialization and not config.UseHighResolutionTimer
    WDF_TIMER_CONFIG_INIT_PERIODIC(config, tick, 250)
    assert (config.Period, config.TolerableDelay) == (250, 0)
    WDF_TIMER_CONFIG_INIT_PERIODIC(config, tick, -1)  # a LONG stored in a ULONG
    assert config.Period == 0xFFFFFFFF
    with pytest.raises(TypeError, match="WDF_TIMER_CONFIG_INIT_PERIODIC: Period"):
        WDF_TIMER_CONFIG_INIT_PERIODIC(config, tick, 1.5)
    with pytest.raises(ValueError, match="WDF_TIMER_CONFIG_INIT_PERIODIC: Period"):
        WDF_TIMER_CONFIG_INIT_PERIODIC(config, tick, 1 << 31)
    with pytest.raises(TypeError, match="WDF_TIMER_CONFIG_INIT: Config"):
        WDF_TIMER_CONFIG_INIT(None, tick)


def test_wdfcore_timeouts_are_100ns_units_negative_when_relative():
    assert WDF_REL_TIMEOUT_IN_SEC(2) == -20_000_000
    assert WDF_REL_TIMEOUT_IN_MS(3) == -30_000
    assert WDF_REL_TIMEOUT_IN_US(4) == -40
    assert WDF_ABS_TIMEOUT_IN_SEC(2) == 20_000_000
    assert WDF_ABS_TIMEOUT_IN_MS(3) == 30_000
    assert WDF_ABS_TIMEOUT_IN_US(4) == 40
    assert WDF_REL_TIMEOUT_IN_US(2**63 // 10) == -(2**63 // 10) * 10
    with pytest.raises(ValueError, match="WDF_ABS_TIMEOUT_IN_US: Time"):
        WDF_ABS_TIMEOUT_IN_US(2**63 // 10 + 1)
    with pytest.raises(ValueError, match="WDF_REL_TIMEOUT_IN_MS: Time must be ≥ 0"):
        WDF_REL_TIMEOUT_IN_MS(-1)
    with pytest.raises(TypeError, match="WDF_ABS_TIMEOUT_IN_SEC: Time"):
        WDF_ABS_TIMEOUT_IN_SEC(1.0)


# -- WdfTimerCreate's statuses, in KMDF's order --------------------------------------------------


def test_a_timer_needs_attributes_naming_a_parent():
    machine, device, queue = device_machine()
    config = WDF_TIMER_CONFIG()
    WDF_TIMER_CONFIG_INIT(config, None)
    assert WdfTimerCreate(config, None) == (STATUS_WDF_PARENT_NOT_SPECIFIED, None)
    attributes = WDF_OBJECT_ATTRIBUTES()
    assert WdfTimerCreate(config, attributes) == (STATUS_INFO_LENGTH_MISMATCH, None)
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    assert WdfTimerCreate(config, attributes) == (STATUS_WDF_PARENT_NOT_SPECIFIED, None)


def test_config_size_period_and_tolerance_are_checked_after_the_parent():
    machine, device, queue = device_machine()
    config = WDF_TIMER_CONFIG()
    WDF_TIMER_CONFIG_INIT(config, None)
    for size in (0x18, 0x20, 0x28):
        config.Size = size
        status, timer = WdfTimerCreate(config, parent_attributes(device))
        assert status == STATUS_SUCCESS
    config.Size = 0x30
    assert WdfTimerCreate(config, parent_attributes(device))[0] == STATUS_INFO_LENGTH_MISMATCH
    WDF_TIMER_CONFIG_INIT_PERIODIC(config, None, -5)
    assert WdfTimerCreate(config, parent_attributes(device))[0] == STATUS_INVALID_PARAMETER
    WDF_TIMER_CONFIG_INIT(config, None)
    config.TolerableDelay, config.UseHighResolutionTimer = 10, True
    assert WdfTimerCreate(config, parent_attributes(device))[0] == STATUS_INVALID_PARAMETER
    config.Size = 0x20  # KMDF 1.11's structure has no UseHighResolutionTimer: not looked at
    assert WdfTimerCreate(config, parent_attributes(device))[0] == STATUS_SUCCESS


def test_attribute_statuses_passive_periodic_and_a_parent_without_a_device():
    machine, device, queue = device_machine()
    config = WDF_TIMER_CONFIG()
    WDF_TIMER_CONFIG_INIT_PERIODIC(config, None, 10)
    attributes = parent_attributes(device)
    attributes.SynchronizationScope = WdfSynchronizationScopeDevice
    assert WdfTimerCreate(config, attributes)[0] == STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID
    attributes = parent_attributes(device, WdfExecutionLevelPassive)
    assert WdfTimerCreate(config, attributes) == (STATUS_NOT_SUPPORTED, None)
    WDF_TIMER_CONFIG_INIT(config, None)
    assert WdfTimerCreate(config, parent_attributes(machine.driver.handle))[0] == (
        STATUS_INVALID_DEVICE_REQUEST
    )
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "tseT", 16)
    status, timer = WdfTimerCreate(config, parent_attributes(memory))
    assert (status, timer) == (STATUS_INVALID_DEVICE_REQUEST, None)
    assert [o.type_name for o in machine.snapshot().objects].count("WDFTIMER") == 0


def test_null_config_and_a_bad_parent_are_bug_checks():
    machine, device, queue = device_machine()
    with pytest.raises(BugCheck) as crash:
        WdfTimerCreate(None, parent_attributes(device))
    assert crash.value.code == 0x10D and crash.value.parameters[0] == 0x4
    machine, device, queue = device_machine()
    _, user = WdfObjectCreate(None)
    WdfObjectDelete(user)
    config = WDF_TIMER_CONFIG()
    WDF_TIMER_CONFIG_INIT(config, None)
    with pytest.raises(BugCheck) as crash:
        WdfTimerCreate(config, parent_attributes(user))
    assert crash.value.code == 0x10D and crash.value.parameters[0] == 0x5


def test_automatic_serialization_refuses_a_passive_timer_on_a_dispatch_scoped_parent():
    machine, device, queue = device_machine(queue_scope=WdfSynchronizationScopeQueue)
    config = WDF_TIMER_CONFIG()
    WDF_TIMER_CONFIG_INIT(config, None)
    attributes = parent_attributes(queue, WdfExecutionLevelPassive)
    assert WdfTimerCreate(config, attributes) == (STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL, None)
    config.AutomaticSerialization = False
    assert WdfTimerCreate(config, attributes)[0] == STATUS_SUCCESS
    # a scope of None takes no lock, so nothing can be incompatible
    config.AutomaticSerialization = True
    assert WdfTimerCreate(config, parent_attributes(device, WdfExecutionLevelPassive))[0] == 0


def test_a_dispatch_timer_on_a_passive_queue_is_incompatible_too():
    machine, device, queue = device_machine(
        queue_scope=WdfSynchronizationScopeQueue, queue_level=WdfExecutionLevelPassive
    )
    config = WDF_TIMER_CONFIG()
    WDF_TIMER_CONFIG_INIT(config, None)
    status, _ = WdfTimerCreate(config, parent_attributes(queue))
    assert status == STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL
    status, timer = WdfTimerCreate(config, parent_attributes(queue, WdfExecutionLevelPassive))
    assert status == STATUS_SUCCESS


# -- firing: the clock, the IRQL, the lock -------------------------------------------------------


def test_a_one_shot_timer_fires_once_at_dispatch_level_after_its_relative_due_time():
    machine, device, queue = device_machine()
    calls = []

    def tick(Timer):
        calls.append((machine.clock.ticks, machine.irql, Timer))

    timer = make_timer(device, tick)
    assert WdfTimerStart(timer, WDF_REL_TIMEOUT_IN_MS(20)) is False
    assert machine.clock.pending_work == 1  # a set timer is work a waiting thread can count on
    machine.advance(0.019)
    assert calls == []
    machine.advance(1)
    assert calls == [(20 * 10_000, DISPATCH_LEVEL, timer)]
    assert machine.clock.pending_work == 0
    assert WdfTimerStop(timer, False) is False  # no longer set


def test_restarting_a_set_timer_answers_true_and_an_absolute_due_time_is_since_boot():
    machine, device, queue = device_machine()
    calls = []
    timer = make_timer(device, lambda Timer: calls.append(machine.clock.ticks))
    assert WdfTimerStart(timer, WDF_REL_TIMEOUT_IN_SEC(5)) is False
    assert WdfTimerStart(timer, WDF_ABS_TIMEOUT_IN_MS(1500)) is True
    machine.advance(10)
    assert calls == [15_000_000]
    WdfTimerStart(timer, WDF_ABS_TIMEOUT_IN_MS(1))  # in the past: fires at once
    machine.advance(0)
    assert calls == [15_000_000, 10 * TICKS_PER_SECOND]


def test_a_periodic_timer_keeps_firing_until_stopped_and_stop_answers_true():
    machine, device, queue = device_machine()
    calls = []
    timer = make_timer(device, lambda Timer: calls.append(machine.clock.ticks), period=100)
    WdfTimerStart(timer, WDF_REL_TIMEOUT_IN_MS(50))
    machine.advance(0.36)
    assert calls == [500_000, 1_500_000, 2_500_000, 3_500_000]
    assert WdfTimerStop(timer, True) is True
    machine.advance(1)
    assert len(calls) == 4 and machine.clock.pending_work == 0
    snapshot = [o for o in machine.snapshot().objects if o.type_name == "WDFTIMER"][0]
    assert snapshot.detail == TimerDetail(100, False, False, None, 4)


def test_automatic_serialization_runs_the_callback_under_the_queues_lock():
    machine, device, queue = device_machine(queue_scope=WdfSynchronizationScopeQueue)
    fx_queue = [q for q in machine.devices[0].queues][0]
    seen = []
    timer = make_timer(queue, lambda Timer: seen.append(fx_queue.callback_lock.held))
    unlocked = make_timer(
        queue, lambda Timer: seen.append(fx_queue.callback_lock.held), automatic=False
    )
    WdfTimerStart(timer, -1)
    WdfTimerStart(unlocked, -2)
    machine.advance(1)
    assert seen == [True, False]
    assert WdfTimerGetParentObject(timer) == queue


def test_the_object_tree_shows_a_timer_under_its_parent():
    from wdfkit.show import views

    machine, device, queue = device_machine()
    WdfTimerStart(make_timer(queue, None, period=250), WDF_REL_TIMEOUT_IN_MS(100))
    machine.advance(0.2)
    tree = views.object_tree(machine)
    assert "periodic timer, every 250 ms at DISPATCH_LEVEL, due at 0.350000 s, expired 1" in tree
    assert "WDFQUEUE" in tree.split("WDFTIMER")[0]


def test_automatic_serialization_with_a_device_scoped_device_takes_the_devices_lock():
    machine = Machine("Toaster").activate()
    made = {}

    def add(Driver, DeviceInit):
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        attributes.SynchronizationScope = WdfSynchronizationScopeDevice
        status, made["device"] = WdfDeviceCreate(DeviceInit, attributes)
        return status

    machine.add_device(add)
    fx_device = machine.devices[0]
    seen = []
    _, child = WdfObjectCreate(parent_attributes(made["device"]))  # the device's lock, found up
    timer = make_timer(
        child, lambda Timer: seen.append((fx_device.callback_lock.held, machine.irql))
    )
    WdfTimerStart(timer, -1)
    machine.advance(1)
    assert seen == [(True, DISPATCH_LEVEL)]


def test_a_timer_parented_to_a_timer_serializes_with_the_device_found_above_it():
    machine, device, queue = device_machine(queue_scope=WdfSynchronizationScopeQueue)
    fx_queue = machine.devices[0].queues[0]
    seen = []
    outer = make_timer(queue, None)
    inner = make_timer(outer, lambda Timer: seen.append(fx_queue.callback_lock.held))
    WdfTimerStart(inner, -1)
    machine.advance(1)
    assert seen == [True] and WdfTimerGetParentObject(inner) == outer


def test_a_passive_timer_calls_back_at_passive_level_from_a_work_item():
    machine, device, queue = device_machine()
    seen = []
    timer = make_timer(
        device, lambda Timer: seen.append(machine.irql), level=WdfExecutionLevelPassive
    )
    WdfTimerStart(timer, WDF_REL_TIMEOUT_IN_MS(1))
    machine.advance(1)
    assert seen == [PASSIVE_LEVEL]


def test_paged_pool_in_a_dispatch_level_callback_is_refused_by_verifier():
    machine, device, queue = device_machine()
    seen = []

    def tick(Timer):
        seen.append(WdfMemoryCreate(None, PagedPool, "tseT", 16)[0])

    WdfTimerStart(make_timer(device, tick), -1)
    machine.advance(1)
    assert seen == [STATUS_INVALID_DEVICE_REQUEST]


# -- stopping ------------------------------------------------------------------------------------


def test_stop_with_wait_from_the_callback_returns_false_and_stops_nothing():
    machine, device, queue = device_machine(verifier=False)
    answers = []

    def tick(Timer):
        answers.append(WdfTimerStop(Timer, True))

    timer = make_timer(device, tick, period=10)
    WdfTimerStart(timer, -1)
    machine.advance(0.025)
    assert answers == [False, False, False]
    assert any("will lead to deadlock" in line for line in machine.log_lines())
    assert WdfTimerStop(timer, False) is True


def test_stop_with_wait_above_passive_is_refused_by_verifier():
    machine, device, queue = device_machine()
    timer = make_timer(device, None)
    WdfTimerStart(timer, WDF_REL_TIMEOUT_IN_SEC(1))
    old = KeRaiseIrql(DISPATCH_LEVEL)
    assert WdfTimerStop(timer, True) is False
    KeLowerIrql(old)
    assert WdfTimerStop(timer, True) is True


def test_stop_with_wait_runs_a_queued_passive_work_item_and_drops_its_restart():
    machine, device, queue = device_machine()
    calls = []

    def tick(Timer):
        calls.append(machine.irql)
        WdfTimerStart(Timer, WDF_REL_TIMEOUT_IN_MS(10))  # one-shot, restarted by its callback

    timer = make_timer(device, tick, level=WdfExecutionLevelPassive)
    WdfTimerStart(timer, 0)
    fx_timer = machine.objects[timer.value]
    machine.clock.run_until(machine.clock.ticks, lambda: fx_timer.work_item is not None)
    assert calls == []
    assert WdfTimerStop(timer, True) is True  # the work item ran; its restart was dropped
    assert calls == [PASSIVE_LEVEL]
    machine.advance(1)
    assert calls == [PASSIVE_LEVEL]


def test_bad_arguments_are_named():
    machine, device, queue = device_machine()
    timer = make_timer(device, None)
    with pytest.raises(TypeError, match="WdfTimerStart: DueTime"):
        WdfTimerStart(timer, 1.5)
    with pytest.raises(ValueError, match="WdfTimerStart: DueTime"):
        WdfTimerStart(timer, 2**63)
    with pytest.raises(TypeError, match="WdfTimerStop: Wait"):
        WdfTimerStop(timer, "yes")
    with pytest.raises(TypeError, match="WdfTimerCreate: Config"):
        WdfTimerCreate("config", parent_attributes(device))
    with pytest.raises(BugCheck):
        WdfTimerStart(device, -1)  # a WDFDEVICE is not a WDFTIMER: 0x10D/0x5
    assert machine.bugcheck.parameters[:3] == (0x5, device.value, 0x1028)


# -- deletion --------------------------------------------------------------------------------


def test_a_timer_holds_its_parent_and_dies_with_it_stopped():
    machine, device, queue = device_machine()
    calls, order = [], []
    attributes = parent_attributes(device)
    attributes.EvtCleanupCallback = lambda Object: order.append("parent cleanup")
    _, parent = WdfObjectCreate(attributes)
    refs = machine.objects[parent.value].refcnt
    timer = make_timer(parent, lambda Timer: calls.append(1), period=5)
    assert machine.objects[parent.value].refcnt == refs + 1
    WdfTimerStart(timer, -1)
    machine.advance(0.001)
    WdfObjectDelete(parent)
    assert timer.value not in machine.objects and parent.value not in machine.objects
    machine.advance(1)
    assert len(calls) == 1 and machine.clock.pending_work == 0
    assert order == ["parent cleanup"]


def test_a_dispatch_timer_deleting_itself_in_its_callback_is_run_down_afterwards():
    machine, device, queue = device_machine()
    seen = []

    def tick(Timer):
        WdfObjectDelete(Timer)
        seen.append(WdfTimerGetParentObject(Timer))  # still valid: the rundown is deferred

    timer = make_timer(device, tick, period=1)
    WdfTimerStart(timer, -1)
    machine.advance(1)
    assert seen == [device]
    assert timer.value not in machine.objects and machine.clock.pending_work == 0


def test_a_passive_timer_deleting_itself_in_its_callback_is_the_deadlock_it_is():
    machine, device, queue = device_machine()
    timer = make_timer(device, lambda Timer: WdfObjectDelete(Timer), level=WdfExecutionLevelPassive)
    WdfTimerStart(timer, -1)
    with pytest.raises(RuntimeError, match="WdfObjectDelete: .*deadlocks"):
        machine.advance(1)
    assert machine.state == "stopped"


def test_start_on_a_timer_being_run_down_sets_nothing():
    machine, device, queue = device_machine()
    answers = []
    attributes = parent_attributes(device)
    timer_box = []
    attributes.EvtCleanupCallback = lambda Object: answers.append(WdfTimerStart(timer_box[0], -1))
    _, parent = WdfObjectCreate(attributes)
    timer_box.append(make_timer(parent, None))
    WdfObjectDelete(parent)
    assert answers == [False] and machine.clock.pending_work == 0


def test_unload_stops_and_deletes_every_timer():
    machine, device, queue = device_machine()
    timer = make_timer(queue, None, period=1000)
    WdfTimerStart(timer, -1)
    machine.unload()
    assert machine.objects == {} and machine.clock.pending_work == 0
