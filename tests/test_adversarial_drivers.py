"""Adversarial drivers and applications against the issue 16 pieces: a learner's mistakes and a
hostile tester's inputs, each answered clearly (a KMDF status, a bug check, or a TypeError /
ValueError naming the DDI and parameter), in bounded wall time and host memory."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import time

import pytest

from wdfkit import *


def named_device(add_more=None, file_create=None, read=None, dispatch=None):
    """``EvtDriverDeviceAdd`` for a device \\Device\\X (link \\\\.\\X) with a default queue
    (sequential unless *dispatch*) whose reads *read* answers (default: completed at once);
    *file_create* is the EvtDeviceFileCreate, *add_more(device, queue)* runs last."""

    def EvtIoRead(Queue, Request, Length):
        if read is None:
            WdfRequestComplete(Request, STATUS_SUCCESS)
        else:
            read(Queue, Request, Length)

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        WdfDeviceInitAssignName(DeviceInit, "\\Device\\X")
        if file_create is not None:
            config = WDF_FILEOBJECT_CONFIG()
            WDF_FILEOBJECT_CONFIG_INIT(config, file_create, None, None)
            WdfDeviceInitSetFileObjectConfig(DeviceInit, config, WDF_NO_OBJECT_ATTRIBUTES)
        status, device = WdfDeviceCreate(DeviceInit, WDF_NO_OBJECT_ATTRIBUTES)
        assert status == STATUS_SUCCESS
        assert WdfDeviceCreateSymbolicLink(device, "\\DosDevices\\X") == STATUS_SUCCESS
        config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, dispatch or WdfIoQueueDispatchSequential)
        if dispatch != WdfIoQueueDispatchManual:
            config.EvtIoRead = EvtIoRead
        status, queue = WdfIoQueueCreate(device, config, WDF_NO_OBJECT_ATTRIBUTES)
        if add_more is not None:
            add_more(device, queue)
        return status

    return EvtDriverDeviceAdd


def driver_entry(EvtDriverDeviceAdd, EvtDriverUnload=None):
    def DriverEntry(DriverObject, RegistryPath):
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, EvtDriverDeviceAdd)
        config.EvtDriverUnload = EvtDriverUnload
        return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, config)[0]

    return DriverEntry


def loaded(EvtDriverDeviceAdd, **options) -> Machine:
    machine = Machine("X", DriverEntry=driver_entry(EvtDriverDeviceAdd), **options).activate()
    assert machine.add_device() == STATUS_SUCCESS
    return machine


# -- a create the driver never completes -------------------------------------------------------


def test_unloading_waits_for_a_create_request_evtdevicefilecreate_still_owns():
    """KMDF presents a create to EvtDeviceFileCreate from m_DefaultQueueForCreates, a manual,
    non-power-managed queue of the device's I/O package (FxPkgGeneral::Initialize,
    fxpkggeneral.cpp: CreateQueue), so removal's PurgeNonManaged waits for it like any other
    driver-owned request.  Before: unload went ahead and only logged the request as leaked."""
    held = []

    def EvtDeviceFileCreate(Device, Request, FileObject):
        held.append(Request)  # and never completed

    machine = loaded(named_device(file_create=EvtDeviceFileCreate))
    status, handle = machine.process().CreateFile("\\\\.\\X")
    assert (status, handle) == (STATUS_PENDING, None)
    with pytest.raises(RuntimeError, match=f"still owns {held[0]!r}"):
        machine.unload()
    assert machine.state == "running"
    WdfRequestComplete(held[0], STATUS_SUCCESS)
    machine.unload()
    assert machine.state == "unloaded"


# -- callbacks that return something other than an NTSTATUS -------------------------------------


def test_an_evtdriverdeviceadd_that_forgets_to_return_its_status_stops_the_machine():
    """A learner's EvtDriverDeviceAdd without ``return status`` returns None: C would not
    compile; wdfkit answers as it does for DriverEntry and the PnP callbacks (a TypeError that
    names the callback, the machine stopped).  Before: the device was started and add_device
    returned None."""

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        WdfDeviceCreate(DeviceInit, WDF_NO_OBJECT_ATTRIBUTES)  # no return

    machine = Machine("X", DriverEntry=driver_entry(EvtDriverDeviceAdd)).activate()
    with pytest.raises(TypeError, match="EvtDriverDeviceAdd must return an NTSTATUS"):
        machine.add_device()
    assert machine.state == "stopped"
    assert "EvtDriverDeviceAdd" in machine.stopped_by


@pytest.mark.parametrize("returned", [1 << 32, -(1 << 31) - 1, 1 << 40])
def test_a_status_that_does_not_fit_in_32_bits_is_no_ntstatus(returned):
    """NTSTATUS is a 32-bit LONG.  Before: DriverEntry returning 1 << 40 loaded the driver
    as STATUS_SUCCESS (the bits above 32 were dropped); EvtDriverDeviceAdd likewise."""

    def DriverEntry(DriverObject, RegistryPath):
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, None)
        WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, config)
        return returned

    with pytest.raises(ValueError, match="DriverEntry must return an NTSTATUS.*32 bits"):
        Machine("X", DriverEntry=DriverEntry)

    machine = Machine("X", DriverEntry=driver_entry(None)).activate()
    with pytest.raises(ValueError, match="EvtDriverDeviceAdd must return an NTSTATUS.*32 bits"):
        machine.add_device(lambda Driver, DeviceInit: returned)
    assert machine.state == "stopped"


def test_a_status_written_as_a_negative_long_is_an_ntstatus():
    """-1 is 0xFFFFFFFF as a LONG: an error status, so the driver does not load."""

    def DriverEntry(DriverObject, RegistryPath):
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, None)
        WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, config)
        return -(1 << 31)

    machine = Machine("X", DriverEntry=DriverEntry)
    assert (machine.state, machine.load_status) == ("unloaded", 0x80000000)


# -- many handles --------------------------------------------------------------------------------


def test_closing_twenty_thousand_open_handles_takes_linear_time():
    """FxPkgGeneral finds a handle's WDFFILEOBJECT by walking the device's list; wdfkit walked
    a Python list per cleanup and per close, and removed from it, so closing 20,000 open
    handles took 30 s of wall time (quadratic).  Now a dict finds it: measured about 1.3 s."""

    def EvtDeviceFileCreate(Device, Request, FileObject):
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = loaded(named_device(file_create=EvtDeviceFileCreate))
    process = machine.process()
    handles = [process.CreateFile("\\\\.\\X")[1] for _ in range(20_000)]
    started = time.perf_counter()
    assert all(handle.CloseHandle() == STATUS_SUCCESS for handle in handles)
    assert time.perf_counter() - started < 12
    assert not machine.devices[0].general.file_objects
    machine.unload()
    assert machine.state == "unloaded"


# -- the world's operations called from inside the driver ----------------------------------------


def world_operations(machine):
    return {
        "advance": lambda: machine.advance(1),
        "unload": machine.unload,
        "remove_device": machine.remove_device,
        "add_device": machine.add_device,
    }


@pytest.mark.parametrize("operation", ["advance", "unload", "remove_device", "add_device"])
def test_the_machine_is_not_driven_from_inside_a_driver_callback(operation):
    """Virtual time passing, the PnP manager adding or removing a device and the driver's
    unload all happen between the driver's callbacks, never inside one: on Windows a callback
    at DISPATCH_LEVEL holding its queue's lock cannot let the timer DPCs that share the lock
    run, and no driver routine can unload its own driver.  Before: ``advance`` ran the queue's
    own timer callback nested inside EvtIoRead, under the lock EvtIoRead held; ``unload`` and
    ``remove_device`` left the device half removed and the request still presented.  Now a
    RuntimeError names the call and the callback, and the machine stops as for any exception
    that escapes a callback."""
    box = {}

    def EvtIoRead(Queue, Request, Length):
        world_operations(box["machine"])[operation]()

    machine = loaded(named_device(read=EvtIoRead))
    box["machine"] = machine
    status, handle = machine.process().CreateFile("\\\\.\\X")
    with pytest.raises(
        RuntimeError, match=f"Machine.{operation}: called from inside the driver's EvtIoRead"
    ):
        handle.ReadFile(bytearray(4))
    assert machine.state == "stopped"
    assert machine.devices and not machine.devices[0].removed


def test_the_machine_is_driven_again_once_the_callback_has_returned():
    """The guard is about *inside*: after a callback returned (or raised and was caught by
    the framework for a DriverEntry that failed), the same calls work."""
    machine = loaded(named_device())
    status, handle = machine.process().CreateFile("\\\\.\\X")
    assert handle.ReadFile(bytearray(4)).Status == STATUS_SUCCESS
    machine.advance(1)
    machine.remove_device()
    machine.unload()
    assert machine.state == "unloaded"


# -- flags that must be TRUE or FALSE ------------------------------------------------------------


def test_the_io_calls_and_removal_take_only_true_or_false_for_their_flags():
    """CreateFile refused ``overlapped=1``; ReadFile, WriteFile and DeviceIoControl took any
    value and read its truth (``overlapped="no"`` sent overlapped I/O), DeviceIoControl's
    ``internal`` and remove_device's ``surprise`` likewise.  Now each is a TypeError naming
    the call and the parameter."""
    machine = loaded(named_device())
    status, handle = machine.process().CreateFile("\\\\.\\X", True)
    code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
    with pytest.raises(TypeError, match="ReadFile: overlapped must be True or False"):
        handle.ReadFile(bytearray(4), overlapped="no")
    with pytest.raises(TypeError, match="WriteFile: overlapped must be True or False"):
        handle.WriteFile(b"abcd", overlapped=None)
    with pytest.raises(TypeError, match="DeviceIoControl: overlapped must be True or False"):
        handle.DeviceIoControl(code, b"", bytearray(4), overlapped=1)
    with pytest.raises(TypeError, match="DeviceIoControl: internal must be True or False"):
        handle.DeviceIoControl(code, b"", bytearray(4), internal="yes")
    with pytest.raises(TypeError, match="Machine.remove_device: surprise must be True or False"):
        machine.remove_device(surprise="yes")
    assert not machine.devices[0].removed
    assert handle.ReadFile(bytearray(4), overlapped=True).IoStatus.Status == STATUS_SUCCESS


# -- many outstanding neither-I/O requests -------------------------------------------------------


def test_five_thousand_outstanding_neither_io_requests_cost_linear_time():
    """Each EvtIoInCallerContext attaches the requestor's process; wdfkit mapped (and copied)
    every outstanding buffer of the process in and out at every attach and detach, so N
    requests held by the driver cost N²: 2,000 neither-I/O IOCTLs held in a manual queue
    took 32 s of wall time.  Now a buffer's pages come in when the driver first touches them
    (demand paging, wdfkit.kernel.usermode): measured 0.07 s for 2,000, 1 s for 20,000.  The
    driver still sees the bytes of the buffer it probes, and only in the caller's context."""
    seen = []

    def EvtIoInCallerContext(Device, Request):
        status, buffer, length = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 1)
        if len(seen) < 3:  # the bytes are there in the caller's context
            status, memory = WdfRequestProbeAndLockUserBufferForRead(Request, buffer, length)
            seen.append(bytes(WdfMemoryGetBuffer(memory)[0].read(length)))
        assert WdfDeviceEnqueueRequest(Device, Request) == STATUS_SUCCESS

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, EvtIoInCallerContext)
        return named_device(dispatch=WdfIoQueueDispatchManual)(Driver, DeviceInit)

    machine = loaded(EvtDriverDeviceAdd)
    status, handle = machine.process().CreateFile("\\\\.\\X", True)
    code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)
    started = time.perf_counter()
    ios = [
        handle.DeviceIoControl(code, b"in%d" % i, bytearray(8), overlapped=True)
        for i in range(5000)
    ]
    assert time.perf_counter() - started < 10
    assert seen == [b"in0", b"in1", b"in2"]
    assert not any(io.done for io in ios)
    assert handle.CancelIo() == STATUS_SUCCESS
    assert all(io.IoStatus.Status == STATUS_CANCELLED for io in ios)
