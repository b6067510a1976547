"""Which machine a driver's code runs on, what belongs to which machine, and four decisions of
issue 15 item 16 (WdfObjectDelete on a delivered request, a late free to a deleted lookaside
list, unloading while the driver owns a request, an IRQL left raised between cells)."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios
from wdfkit.kernel.lowerdevice import pattern
from wdfkit.sim.machine import current_machine


def forwarding_machine(seen: dict) -> Machine:
    """A machine whose EvtIoRead forwards to the lower device (scenario 2's driver) and whose
    completion routine records the machine its DDIs act on; not activated, not entered."""

    def EvtIoRead(Queue, Request, Length):
        seen["EvtIoRead"] = current_machine()
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        WdfIoTargetFormatRequestForRead(target, Request, memory, None, None)
        WdfRequestSetCompletionRoutine(Request, Done, None)
        assert WdfRequestSend(Request, target, None)

    def Done(Request, Target, Params, Context):
        seen["completion routine"] = current_machine()
        WdfRequestComplete(Request, Params.IoStatus.Status)

    def cleanup(Object):
        seen["EvtCleanupCallback"] = current_machine()

    def setup(device):
        seen["EvtDriverDeviceAdd"] = current_machine()
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        attributes.EvtCleanupCallback = cleanup
        WdfObjectCreate(attributes)

    machine = Machine("Forwarder")
    add = scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}, setup)
    assert machine.add_device(add) == STATUS_SUCCESS
    return machine


def test_callbacks_run_on_their_own_machine_with_no_machine_current(nothing_activated):
    """Issue 15 item 11: ``app.ReadFile`` outside any ``with`` used to fail inside the driver
    ("WdfRequestComplete: no simulated machine is active").  The I/O manager calls the driver on
    its own machine (IofCallDriver), and so does every entry from the simulation into the
    driver: EvtDriverDeviceAdd (Machine.add_device), EvtIo… (FxIoQueue presentation), the
    completion routine (FxRequestBase::CompleteSubmitted, run from the lower device's DPC by
    the clock), cleanup callbacks (unload)."""
    seen = {}
    machine = forwarding_machine(seen)
    with pytest.raises(RuntimeError, match="no simulated machine"):
        current_machine()
    buffer = bytearray(16)
    result = machine.application().ReadFile(buffer)
    assert result.Status == STATUS_SUCCESS and result.Information == 16
    assert buffer == pattern(16)
    machine.unload()
    assert seen == dict.fromkeys(
        ["EvtDriverDeviceAdd", "EvtIoRead", "completion routine", "EvtCleanupCallback"], machine
    )
    with pytest.raises(RuntimeError, match="no simulated machine"):  # nothing left current
        current_machine()


def test_callbacks_act_on_their_machine_while_another_is_current(nothing_activated):
    """Issue 15 item 11: with another machine current (entered or activated), the driver's
    callbacks used to act on that one.  Overlapped I/O completed later by ``advance`` (the
    lower device's DPC and the completion routine) runs on the driver's machine too."""
    seen = {}
    machine = forwarding_machine(seen)
    other = Machine("Other")
    objects_before = dict(other.objects)
    with other:
        io = machine.application().ReadFile(bytearray(8), overlapped=True)
        assert not io.done and seen["EvtIoRead"] is machine
        machine.advance(0.01)
    assert io.IoStatus.Status == STATUS_SUCCESS
    assert seen["completion routine"] is machine
    other.activate()
    try:
        assert machine.application().ReadFile(bytearray(8)).Status == STATUS_SUCCESS
        machine.unload()
    finally:
        other.deactivate()
    assert seen["EvtCleanupCallback"] is machine
    assert other.objects == objects_before and other.state == "running"


def test_a_bug_check_in_a_callback_stops_the_callbacks_machine(nothing_activated):
    """Issue 15 item 11: a bug check raised by a DDI inside the driver's callback stops the
    driver's machine, not the machine that happens to be current outside."""

    def EvtIoRead(Queue, Request, Length):
        WdfObjectDelete(None)  # 0x10D / WDF_INVALID_HANDLE... as a NULL handle

    machine = Machine()
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}))
    with Machine() as other:
        with pytest.raises(BugCheck):
            machine.application().ReadFile(bytearray(8))
    assert machine.state == "crashed" and other.state == "running"


def test_machines_are_named_by_number_and_driver():
    """Issue 15 item 12: error messages name machines ``machine #N 'Driver'``; N counts the
    machines this Python process created, so names are deterministic in a notebook run."""
    first, second = Machine("Toaster"), Machine("Echo")
    assert second.number == first.number + 1
    assert second.name == f"machine #{second.number} 'Echo'"


@pytest.mark.parametrize("what", ["handle", "PVOID", "PMDL", "NPAGED_LOOKASIDE_LIST", "WDFMEMORY"])
def test_things_from_another_machine_are_refused_naming_both(what):
    """Issue 15 item 12: a handle, a PVOID, a PMDL or a lookaside list header of machine A
    passed to a DDI on machine B is refused with a ValueError that names the DDI, the
    parameter and both machines, before anything on either machine changes (it used to free
    A's pool or read B's memory at A's address)."""
    a, b = Machine("Alpha"), Machine("Beta")
    with a:
        _, handle = WdfObjectCreate(None)
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "1gaT")
        mdl = IoAllocateMdl(p, 64, False, False, None)
        header = NPAGED_LOOKASIDE_LIST()
        ExInitializeNPagedLookasideList(header, None, None, 0, 64, "1gaT", 0)
        _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
    a_blocks = len(a.pool.live_blocks())
    calls = {
        "handle": ("WdfObjectDelete", "Object", lambda: WdfObjectDelete(handle)),
        "PVOID": ("ExFreePoolWithTag", "P", lambda: ExFreePoolWithTag(p, "1gaT")),
        "PMDL": ("IoFreeMdl", "Mdl", lambda: IoFreeMdl(mdl)),
        "NPAGED_LOOKASIDE_LIST": (
            "ExAllocateFromNPagedLookasideList",
            "Lookaside",
            lambda: ExAllocateFromNPagedLookasideList(header),
        ),
        "WDFMEMORY": (
            "WdfMemoryCopyFromBuffer",
            "Buffer",
            lambda: WdfMemoryCopyFromBuffer(memory, 0, p, 8),
        ),
    }
    ddi, param, call = calls[what]
    with b:
        if what == "WDFMEMORY":  # B's memory, A's pointer: the PVOID check names it
            _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
        with pytest.raises(ValueError) as refused:
            call()
    message = str(refused.value)
    assert message.startswith(f"{ddi}: {param} is ")
    assert f"from {a.name}; this call runs on {b.name}" in message
    assert a.state == b.state == "running" and len(a.pool.live_blocks()) == a_blocks


def test_another_machines_mdl_in_a_memory_descriptor_is_refused():
    """Issue 15 item 12: an MDL or buffer of another machine inside a WDF_MEMORY_DESCRIPTOR."""
    a = Machine("Alpha")
    with a:
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "1gaT")
        mdl = IoAllocateMdl(p, 64, False, False, None)
        MmBuildMdlForNonPagedPool(mdl)
    holder = {}
    b = Machine("Beta")
    with b:
        b.add_device(
            scenarios.queue_driver(
                WdfDeviceIoBuffered, {}, lambda d: holder.update(t=WdfDeviceGetIoTarget(d))
            )
        )
        for init, value in ((WDF_MEMORY_DESCRIPTOR_INIT_MDL, mdl), (None, p)):
            descriptor = WDF_MEMORY_DESCRIPTOR()
            if init is None:
                WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(descriptor, value, 16)
            else:
                init(descriptor, value, 16)
            with pytest.raises(ValueError, match=f"from {a.name}; this call runs on {b.name}"):
                WdfIoTargetSendReadSynchronously(holder["t"], None, descriptor, None, None)


# -- item 16: four decisions ----------------------------------------------------------------


def test_wdfobjectdelete_on_a_delivered_request_is_not_refused_and_never_completes_it():
    """Issue 15 item 16.  KMDF does not refuse it: WdfObjectDelete refuses only objects marked
    NoDeleteDDI (fxobjectapi.cpp, WdfObjectDelete: IsNoDeleteDDI → STATUS_CANNOT_DELETE), and
    FxRequest never marks itself so (the MarkNoDeleteDDI callers are the driver, devices, file
    objects, default/dispatch queues, child lists, resources, USB, WMI — fxrequest.cpp and
    fxrequestbase.cpp have none).  Deleting does not complete the IRP, so the application
    waits: nothing scheduled can complete it, so wdfkit's synchronous ReadFile gives up at once
    with STATUS_PENDING and the log names the hung IRP (issue 16 item 11; it used to run 60
    virtual seconds first).  The machine keeps running."""

    def EvtIoRead(Queue, Request, Length):
        WdfObjectDelete(Request)

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}))
    result = machine.application().ReadFile(bytearray(8))
    assert result.Status == STATUS_PENDING
    log = machine.log_lines()
    assert "CANNOT_DELETE" not in "".join(log)
    assert "WdfObjectDelete(WDFREQUEST" in log[-2] and "IRP_MJ_READ, IRP 0x" in log[-1]
    assert "still waiting: nothing scheduled" in log[-1] and machine.clock.seconds == 0
    assert machine.state == "running"


def test_free_to_a_deleted_kernel_list_goes_to_pool():
    """Issue 15 item 16.  Windows does not catch it: ExDeleteNPagedLookasideList
    (ExpRemoveGeneralLookaside, Windows 11) unlinks the list and sets Depth to 0, so the late
    ExFreeToNPagedLookasideList finds "held >= Depth", counts a free miss and calls FreeEx
    (ExFreePool): the block goes back to pool.  No bug check, no ValueError; the pool shows it
    freed and a leak check at unload finds nothing."""
    machine = Machine()
    with machine:
        header = NPAGED_LOOKASIDE_LIST()
        ExInitializeNPagedLookasideList(header, None, None, 0, 64, "1gaT", 0)
        entry = ExAllocateFromNPagedLookasideList(header)
        ExDeleteNPagedLookasideList(header)
        ExFreeToNPagedLookasideList(header, entry)
        assert (header.L.TotalFrees, header.L.FreeMisses, header.L.Depth) == (1, 1, 0)
        assert machine.pool.block_at(entry.address) is None or not (
            machine.pool.block_at(entry.address).allocated
        )
    machine.unload()
    assert machine.state == "unloaded"


def test_unload_while_the_driver_owns_a_request_waits_then_refuses():
    """Issue 15 item 16.  Windows cannot unload a driver whose device still has a request the
    driver owns: device removal waits until every request is completed
    (FxPkgIo::StopProcessingForPower, FxIoStopProcessingForPowerPurgeNonManaged, fxpkgio.cpp;
    FxIoQueue waits on m_PowerIdle, fxioqueue.cpp).  wdfkit waits while something scheduled
    could finish the request (a lower device's completion), then refuses with a
    RuntimeError naming the request; the machine stays loaded, and unloads once the request
    is completed."""
    kept = {}

    def EvtIoRead(Queue, Request, Length):
        kept["request"] = Request

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}))
    io = machine.application().ReadFile(bytearray(8), overlapped=True)
    with pytest.raises(RuntimeError, match=r"Machine.unload: the driver still owns WDFREQUEST"):
        machine.unload()
    assert machine.state == "running" and machine.clock.seconds == 0  # nothing could end it
    with machine:
        WdfRequestComplete(kept["request"], STATUS_SUCCESS)
    assert io.IoStatus.Status == STATUS_SUCCESS
    machine.unload()
    assert machine.state == "unloaded"


def test_unload_waits_for_a_request_the_lower_device_completes():
    """Issue 15 item 16: the removal's wait lets virtual time run, so a forwarded request the
    lower device completes 1 ms later is finished before the driver unloads."""
    seen = {}
    machine = forwarding_machine(seen)
    io = machine.application().ReadFile(bytearray(8), overlapped=True)
    assert not io.done
    machine.unload()
    assert io.IoStatus.Status == STATUS_SUCCESS and machine.state == "unloaded"
    assert machine.clock.seconds < 1


def test_an_irql_left_raised_stays_raised_for_the_next_call():
    """Issue 15 item 16: KeRaiseIrql(DISPATCH_LEVEL) in one cell and nothing else: the next
    cell still runs at DISPATCH_LEVEL (the machine's one processor keeps its IRQL, as a thread
    keeps it until KeLowerIrql), so its IRQL checks apply: WdfMemoryCreate of paged memory
    fails with STATUS_INVALID_DEVICE_REQUEST, as KMDF's FxVerifierCheckIrqlLevel does above
    APC_LEVEL.  KeLowerIrql(old) puts it back."""
    machine = Machine()
    with machine:
        old = KeRaiseIrql(DISPATCH_LEVEL)
    with machine:  # the next cell
        assert machine.irql == DISPATCH_LEVEL
        assert WdfMemoryCreate(None, PagedPool, "1gaT", 64)[0] == STATUS_INVALID_DEVICE_REQUEST
        KeLowerIrql(old)
        assert WdfMemoryCreate(None, PagedPool, "1gaT", 64)[0] == STATUS_SUCCESS
