"""Every bug check stops its machine, wherever it is raised (issue 15, item 6).

On Windows a bad access is a page fault whose handler calls KeBugCheckEx (MmAccessFault →
PAGE_FAULT_IN_NONPAGED_AREA, 0x50; 0xD5 in Driver Verifier's special pool) whatever code made
it: a DDI, a DPC, a driver's own load of an MDL field.  wdfkit stops the machine at one choke
point, where the pool raises the fault (Pool.on_fault → Machine._memory_fault); the bug check
names the DDI or context that was running.  On a stopped machine every access — a DDI, a
PVOID, a PMDL field, a PFN entry, a view that reads memory — raises MachineHalted.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios
from wdfkit.show import views


def _freed_mdl():
    """A machine with an MDL that was built and then freed: ``(machine, mdl, buffer)``."""
    machine = boot("Toaster")
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 0x2000, "afuB")
    mdl = IoAllocateMdl(buffer, 0x2000, False, False, None)
    MmBuildMdlForNonPagedPool(mdl)
    IoFreeMdl(mdl)
    return machine, mdl, buffer


def _live_mdl():
    machine = boot("Toaster")
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 0x2000, "afuB")
    mdl = IoAllocateMdl(buffer, 0x2000, False, False, None)
    MmBuildMdlForNonPagedPool(mdl)
    return machine, mdl, buffer


def _assert_stopped(machine, stop, code=PAGE_FAULT_IN_NONPAGED_AREA, where="a memory access"):
    assert stop.value.code == code
    assert machine.state == "crashed"
    assert machine.bugcheck is stop.value
    assert stop.value.ddi == where
    assert f"*** BUG CHECK {stop.value.summary()} in {where}" in machine.log_lines()[-1]


# Each path: (how to set the machine up, the access that faults outside any DDI).
PATHS = {
    "PFN entry far past the array": (_live_mdl, lambda mdl, buffer: MmGetMdlPfnArray(mdl)[10**6]),
    "freed MDL's MdlFlags": (_freed_mdl, lambda mdl, buffer: mdl.MdlFlags),
    "freed MDL's Next": (_freed_mdl, lambda mdl, buffer: mdl.Next),
    "freed MDL's ByteCount property": (_freed_mdl, lambda mdl, buffer: mdl.ByteCount),
    "freed MDL's MdlFlags set": (_freed_mdl, lambda mdl, buffer: setattr(mdl, "MdlFlags", 0)),
    "freed MDL's PFN entry written": (
        _freed_mdl,
        lambda mdl, buffer: MmGetMdlPfnArray(mdl).__setitem__(0, 1),
    ),
    "views.mdl of a freed MDL": (_freed_mdl, lambda mdl, buffer: views.mdl(mdl)),
    "views.hexdump of freed pool": (
        _freed_mdl,
        lambda mdl, buffer: (ExFreePoolWithTag(buffer, "afuB"), views.hexdump(buffer)),
    ),
}


@pytest.mark.parametrize("path", PATHS)
def test_a_fault_outside_any_ddi_stops_the_machine(path):
    """MmGetMdlPfnArray(mdl)[10**6], a freed MDL's MdlFlags, views.mdl(freed_mdl) raised 0x50
    and left the machine running.  Now the fault stops the machine where the pool raises it
    (the fault handler's KeBugCheckEx), named "a memory access" since no DDI was running, and
    the same access again — or any DDI — raises MachineHalted.  Another machine runs on."""
    setup, access = PATHS[path]
    other = Machine("Other")
    machine, mdl, buffer = setup()
    with pytest.raises(BugCheck) as stop:
        access(mdl, buffer)
    code = stop.value.code
    assert code in (PAGE_FAULT_IN_NONPAGED_AREA, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL)
    _assert_stopped(machine, stop, code)
    with pytest.raises(MachineHalted, match="this machine stopped with bug check"):
        access(mdl, buffer)
    with pytest.raises(MachineHalted):
        mdl.MdlFlags  # noqa: B018 - a field read on a stopped machine
    with pytest.raises(MachineHalted):
        MmGetMdlByteCount(mdl)
    with pytest.raises(MachineHalted):
        buffer.read(1)
    assert views.bugcheck(machine).startswith(f"*** STOP: 0x{code:08X}")  # post-mortem view
    assert other.state == "running"
    with other:
        assert ExAllocatePoolWithTag(NonPagedPoolNx, 16, "tseT") is not None


def test_a_fault_in_a_driver_callback_names_the_callback():
    """The driver's own code in EvtIoRead loads a freed MDL's field (no DDI): the machine stops
    there, named as the I/O manager's call into the driver; the application's next call and
    the request's completion raise MachineHalted."""
    kept = {}

    def EvtIoRead(Queue, Request, Length):
        buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "afuB")
        mdl = IoAllocateMdl(buffer, 64, False, False, None)
        IoFreeMdl(mdl)
        kept["request"] = Request
        mdl.ByteCount  # noqa: B018 - the driver's own load from freed pool

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}))
    app = machine.application()
    with pytest.raises(BugCheck) as stop:
        app.ReadFile(bytearray(16))
    _assert_stopped(machine, stop, where="the driver's I/O callback")
    with pytest.raises(MachineHalted):
        app.ReadFile(bytearray(16))
    with pytest.raises(MachineHalted):
        WdfRequestComplete(kept["request"], STATUS_SUCCESS)


def test_a_fault_in_evt_driver_device_add_names_it():
    """As above, in EvtDriverDeviceAdd (the PnP manager's call into the driver)."""

    def add(Driver, DeviceInit):
        buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "afuB")
        mdl = IoAllocateMdl(buffer, 64, False, False, None)
        IoFreeMdl(mdl)
        return mdl.MdlFlags

    machine = boot("Toaster")
    with pytest.raises(BugCheck) as stop:
        machine.add_device(add)
    _assert_stopped(machine, stop, where="EvtDriverDeviceAdd")
    with pytest.raises(MachineHalted):
        machine.add_device(add)


def test_a_fault_inside_a_ddi_still_names_the_ddi():
    """A DDI that faults (MmGetMdlByteCount on a freed MDL reads MDL + 0x28) is named by the
    DDI, as before the choke point; the DDI's own handler finds the machine already stopped
    and logs the bug check once."""
    machine, mdl, _ = _freed_mdl()
    with pytest.raises(BugCheck) as stop:
        MmGetMdlByteCount(mdl)
    _assert_stopped(machine, stop, where="MmGetMdlByteCount")
    assert sum("*** BUG CHECK" in line for line in machine.log_lines()) == 1


def test_a_fault_in_a_lower_device_dpc():
    """Scenario 4's mistake: a preallocated buffer freed while the lower device still has the
    transfer; its DPC writes the freed pool while the application waits.  The machine stops,
    named "a DPC"; a later advance or DDI raises MachineHalted."""
    run = scenarios.scenario4("preallocated", free_early=True)
    machine = run.machine
    assert run.bugcheck.ddi == "a DPC"
    assert machine.state == "crashed"
    assert machine.bugcheck is run.bugcheck
    with pytest.raises(MachineHalted):
        machine.advance(1)
    with pytest.raises(MachineHalted):
        with machine:
            ExAllocatePoolWithTag(NonPagedPoolNx, 16, "tseT")


def test_pending_io_wait_on_a_stopped_machine():
    """An overlapped read still pending when the machine stops: waiting for it raises
    MachineHalted instead of running the stopped machine's clock."""

    def EvtIoRead(Queue, Request, Length):
        pass  # keeps the request: it stays pending

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}))
    io = machine.application().ReadFile(bytearray(16), overlapped=True)
    assert not io.done
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "afuB")
    ExFreePoolWithTag(buffer, "afuB")
    with pytest.raises(BugCheck):
        buffer.read(1)
    assert machine.state == "crashed"
    with pytest.raises(MachineHalted, match="^PendingIo.wait: "):
        io.wait()
    assert io.IoStatus.Status == STATUS_PENDING  # what it was when the machine stopped
