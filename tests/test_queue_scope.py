"""What a queue's SynchronizationScope and ExecutionLevel mean: its callback lock and IRQL.

Source: fxioqueue.cpp (FxIoQueue::ConfigureConstraints, CanThreadDispatchEventsLocked,
DispatchEvents), fxdevicebase.cpp (FxDeviceBase::ConfigureConstraints), fxdriver.cpp
(FxDriver::FxDriver: kernel-mode defaults Dispatch / None), fxioqueuecallbacks.hpp
(FxIoQueueIoRead::Invoke: CallbackStart, the driver's routine, CallbackEnd),
fxcallbackspinlock.hpp and fxcallbackmutexlock.hpp.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.kernel.clock import TICKS_PER_SECOND


def test_echo_sample_queue_with_queue_scope_loads_runs_at_dispatch_and_is_serialised(monkeypatch):
    """The WDK echo sample (wdfkit.course.samples, AutoSync) creates its queue with
    SynchronizationScope = WdfSynchronizationScopeQueue, which is allowed (fxioqueueapi.cpp:
    FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED); FxIoQueue::ConfigureConstraints gives the
    queue its own FxCallbackSpinLock (execution level inherited: Dispatch, FxDriver::FxDriver)
    and sets it on m_IoRead/m_IoWrite, so FxIoQueueIoRead::Invoke runs EchoEvtIoRead and
    EchoEvtIoWrite holding a spin lock: at DISPATCH_LEVEL although the application called at
    PASSIVE_LEVEL.  They are serialised: each exits before the next enters, and (sequential
    queue) the read is presented only once the queue's timer has completed the write."""
    from wdfkit.course import samples

    probe = []

    def probed(name, routine):
        def callback(Queue, Request, Length):
            probe.append((name, "enter", KeGetCurrentIrql()))
            routine(Queue, Request, Length)
            probe.append((name, "exit", KeGetCurrentIrql()))

        return callback

    monkeypatch.setattr(samples, "EchoEvtIoRead", probed("EchoEvtIoRead", samples.EchoEvtIoRead))
    monkeypatch.setattr(samples, "EchoEvtIoWrite", probed("EchoEvtIoWrite", samples.EchoEvtIoWrite))
    machine = boot("Echo", DriverEntry=samples.EchoDriverEntry)
    assert machine.add_device() == STATUS_SUCCESS
    app = machine.application()
    message = b"hello, echo"
    write = app.WriteFile(message, overlapped=True)
    reply = bytearray(32)
    read = app.ReadFile(reply, overlapped=True)
    assert [p[:2] for p in probe] == [("EchoEvtIoWrite", "enter"), ("EchoEvtIoWrite", "exit")]
    assert not write.done and not read.done  # the write waits for the timer, the read for it

    assert read.wait().Status == STATUS_SUCCESS
    assert (write.IoStatus.Status, write.IoStatus.Information) == (STATUS_SUCCESS, len(message))
    assert read.IoStatus.Information == len(message) and bytes(reply[: len(message)]) == message
    assert probe == [
        ("EchoEvtIoWrite", "enter", DISPATCH_LEVEL),
        ("EchoEvtIoWrite", "exit", DISPATCH_LEVEL),
        ("EchoEvtIoRead", "enter", DISPATCH_LEVEL),
        ("EchoEvtIoRead", "exit", DISPATCH_LEVEL),
    ]
    assert KeGetCurrentIrql() == PASSIVE_LEVEL  # the lock released, the caller's IRQL back


# -- the rules one by one ----------------------------------------------------------------------


def boot_queue(callbacks, queue_attributes=None, device_attributes=None, parallel=False):
    """A machine whose default queue has *callbacks* and these attributes:
    ``(machine, status of WdfIoQueueCreate)``."""
    seen = {}

    def add(Driver, DeviceInit):
        status, device = WdfDeviceCreate(DeviceInit, device_attributes)
        if not NT_SUCCESS(status):
            return status
        config = WDF_IO_QUEUE_CONFIG()
        dispatch = WdfIoQueueDispatchParallel if parallel else WdfIoQueueDispatchSequential
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, dispatch)
        for name, callback in callbacks.items():
            setattr(config, name, callback)
        seen["status"], seen["queue"] = WdfIoQueueCreate(device, config, queue_attributes)
        return seen["status"]

    machine = boot("Toaster")
    machine.add_device(add)
    return machine, seen["status"]


def attributes(scope=WdfSynchronizationScopeInheritFromParent, level=None):
    result = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(result)
    result.SynchronizationScope = scope
    if level is not None:
        result.ExecutionLevel = level
    return result


def irql_reader(seen):
    def EvtIoRead(Queue, Request, Length):
        seen.append(KeGetCurrentIrql())
        WdfRequestComplete(Request, STATUS_SUCCESS)

    return EvtIoRead


def test_default_attributes_take_no_lock_and_run_at_the_callers_irql():
    """The kernel-mode driver's defaults are WdfExecutionLevelDispatch and
    WdfSynchronizationScopeNone (FxDriver::FxDriver); device and queue inherit them
    (ConfigureConstraints), and with scope None no lock is set on the callbacks: an
    application's read reaches EvtIoRead at PASSIVE_LEVEL, as every lesson shows."""
    seen = []
    machine, status = boot_queue({"EvtIoRead": irql_reader(seen)})
    assert status == STATUS_SUCCESS
    machine.application().ReadFile(bytearray(4))
    assert seen == [PASSIVE_LEVEL]


@pytest.mark.parametrize(
    "device_scope, queue_scope",
    [
        (WdfSynchronizationScopeQueue, WdfSynchronizationScopeInheritFromParent),
        (WdfSynchronizationScopeDevice, WdfSynchronizationScopeInheritFromParent),
        (WdfSynchronizationScopeNone, WdfSynchronizationScopeDevice),
    ],
)
def test_a_scope_inherited_from_the_device_or_set_on_the_queue_runs_callbacks_at_dispatch(
    device_scope, queue_scope
):
    """FxIoQueue::ConfigureConstraints takes the device's scope when the queue's attributes
    inherit (m_Device->GetConstraints); Queue scope uses the queue's spin lock, Device scope
    the device's (GetCallbackLockPtr), a spin lock too at Dispatch level: DISPATCH_LEVEL."""
    seen = []
    machine, status = boot_queue(
        {"EvtIoRead": irql_reader(seen)}, attributes(queue_scope), attributes(device_scope)
    )
    assert status == STATUS_SUCCESS
    machine.application().ReadFile(bytearray(4))
    assert seen == [DISPATCH_LEVEL]


def test_paged_pool_in_a_queue_scope_callback_is_the_irql_bug_check():
    """Under a spin lock the callback runs at DISPATCH_LEVEL, so paged pool is a real IRQL bug
    (ExAllocatePoolWithTag: paged pool needs IRQL <= APC_LEVEL); Driver Verifier reports it as
    0xC4 / 0x01 with the IRQL in Arg2."""

    def EvtIoRead(Queue, Request, Length):
        ExAllocatePoolWithTag(PagedPool, 64, "gaT1")

    machine, _ = boot_queue({"EvtIoRead": EvtIoRead}, attributes(WdfSynchronizationScopeQueue))
    with pytest.raises(BugCheck) as crash:
        machine.application().ReadFile(bytearray(4))
    assert (crash.value.code, *crash.value.parameters[:2]) == (0xC4, 0x01, DISPATCH_LEVEL)


def test_passive_execution_level_uses_a_passive_lock_and_defers_a_dpc_presentation():
    """WdfExecutionLevelPassive: FxIoQueue::ConfigureConstraints picks FxCallbackMutexLock (a
    fast mutex in a critical region: the IRQL stays PASSIVE_LEVEL) and sets m_PassiveLevel.
    When the first read is completed from a DPC with a second one waiting, DispatchEvents at
    DISPATCH_LEVEL must not call the driver: CanThreadDispatchEventsLocked posts the queue's
    system work item, and the second read reaches EvtIoRead at PASSIVE_LEVEL after the DPC."""
    machine_box, order, held = {}, [], []

    def EvtIoRead(Queue, Request, Length):
        order.append(("EvtIoRead", KeGetCurrentIrql()))
        held.append(Request)
        machine = machine_box["machine"]

        def dpc():
            saved, machine.irql = machine.irql, DISPATCH_LEVEL
            order.append(("DPC completes", KeGetCurrentIrql()))
            WdfRequestComplete(held.pop(), STATUS_SUCCESS)
            order.append(("DPC returns", KeGetCurrentIrql()))
            machine.irql = saved

        machine.clock.schedule(TICKS_PER_SECOND // 1000, dpc)

    machine, status = boot_queue(
        {"EvtIoRead": EvtIoRead},
        attributes(WdfSynchronizationScopeQueue, WdfExecutionLevelPassive),
    )
    machine_box["machine"] = machine
    assert status == STATUS_SUCCESS
    app = machine.application()
    first = app.ReadFile(bytearray(4), overlapped=True)
    second = app.ReadFile(bytearray(4), overlapped=True)
    assert second.wait().Status == STATUS_SUCCESS and first.done
    assert order == [
        ("EvtIoRead", PASSIVE_LEVEL),
        ("DPC completes", DISPATCH_LEVEL),
        ("DPC returns", DISPATCH_LEVEL),
        ("EvtIoRead", PASSIVE_LEVEL),
        ("DPC completes", DISPATCH_LEVEL),
        ("DPC returns", DISPATCH_LEVEL),
    ]
    assert any("deferred to a work item" in line for line in machine.log_lines())


@pytest.mark.parametrize(
    "scope, expected",
    [
        (
            WdfSynchronizationScopeNone,
            ["enter 1", "enter 2", "exit 2", "exit 1"],
        ),
        (
            WdfSynchronizationScopeQueue,
            ["enter 1", "exit 1", "enter 2", "exit 2"],
        ),
    ],
)
def test_parallel_queue_with_queue_scope_presents_the_next_request_after_the_callback(
    scope, expected
):
    """A parallel queue presents every request at once (DispatchEvents), and without a lock
    the thread that brings a new request calls the driver itself (QueueRequest →
    DispatchEvents), even while another callback is blocked.  With queue scope the callbacks
    are wrapped in CallbackStart/CallbackEnd on the queue's lock (fxioqueuecallbacks.hpp), so
    the second callback starts only after the first returns.  wdfkit's one thread shows it
    where the first callback blocks: a synchronous send (PASSIVE_LEVEL, so a passive queue)
    while another application thread's read arrives."""
    order, arrivals = [], []

    def EvtIoRead(Queue, Request, Length):
        number = sum(entry.startswith("enter") for entry in order) + 1
        order.append(f"enter {number}")
        if number == 1:
            arrivals[0]()  # another thread's read arrives 1 ms from now
            device = WdfIoQueueGetDevice(Queue)
            buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 4, "gaT1")
            descriptor = WDF_MEMORY_DESCRIPTOR()
            WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(descriptor, buffer, 4)
            status, _ = WdfIoTargetSendReadSynchronously(
                WdfDeviceGetIoTarget(device), None, descriptor, None, None
            )
            ExFreePoolWithTag(buffer, "gaT1")
            assert status == STATUS_SUCCESS
        order.append(f"exit {number}")
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, status = boot_queue(
        {"EvtIoRead": EvtIoRead}, attributes(scope, WdfExecutionLevelPassive), parallel=True
    )
    assert status == STATUS_SUCCESS
    machine.lower_device.latency = 0.005
    app = machine.application()
    later = []
    arrivals.append(
        lambda: machine.clock.schedule(
            TICKS_PER_SECOND // 1000,
            lambda: later.append(app.ReadFile(bytearray(4), overlapped=True)),
        )
    )
    assert app.ReadFile(bytearray(4)).Status == STATUS_SUCCESS
    assert later[0].wait().Status == STATUS_SUCCESS
    assert order == expected


def test_device_scope_with_another_execution_level_than_the_device_is_refused():
    """FxIoQueue::ConfigureConstraints: WdfSynchronizationScopeDevice needs the device's
    execution level; a passive queue under a Dispatch-level device is STATUS_INVALID_PARAMETER
    (the queue is deleted again: FxIoQueue::_Create → DeleteFromFailedCreate)."""
    machine, status = boot_queue(
        {"EvtIoRead": irql_reader([])},
        attributes(WdfSynchronizationScopeDevice, WdfExecutionLevelPassive),
    )
    assert status == STATUS_INVALID_PARAMETER
    assert not any(getattr(o, "HANDLE_NAME", "") == "WDFQUEUE" for o in machine.objects.values())
