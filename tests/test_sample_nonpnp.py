"""The WDK non-PnP IOCTL sample (general/ioctl/kmdf/sys) on wdfkit, driven as nonpnpapp does.

wdfkit.course.samples transcribes nonpnp.c; these tests load it with its own DriverEntry — no
PnP manager involved: the driver makes its control device itself — and do what testapp.c does
on Windows: open ``\\\\.\\NONPNP\\nonpnpsamp.log``, send the four IOCTLs with its buffers
(DoIoctls), write a buffer of random length and read it back (DoFileReadWrite, several times as
with -l), close the handle and unload the driver.  Then what the sample sets up without testapp
checking it: the exclusive open, the file object callbacks, the METHOD_NEITHER memory objects
going with their request, the control device and its link deleted at unload, no pool left.

The string every IOCTL answers with is 38 bytes with its NUL (``datalen``): that is the
Information testapp prints for BUFFERED, NEITHER and OUT_DIRECT; IN_DIRECT answers with the
output buffer's length, the bytes the driver took from it.

The break-it cases at the end are lesson 12's.
"""

import random

import pytest

import wdfkit
from wdfkit import (
    CTL_CODE,
    FILE_ANY_ACCESS,
    KMODE_EXCEPTION_NOT_HANDLED,
    METHOD_BUFFERED,
    STATUS_ACCESS_DENIED,
    STATUS_ACCESS_VIOLATION,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    BugCheck,
    Machine,
    RtlCopyMemory,
    WdfDeviceEnqueueRequest,
    WdfRequestComplete,
    WdfRequestRetrieveUnsafeUserInputBuffer,
    WdfRequestRetrieveUnsafeUserOutputBuffer,
    WdfRequestSetInformation,
)
from wdfkit.course import samples
from wdfkit.kernel.pool import DRIVER

OUTPUT_BUFFER_SIZE = 100  # testapp.c: char OutputBuffer[100]
DATALEN = 38  # strlen("this String is from Device Driver !!!") + 1


def user_string(method: str) -> bytes:
    """testapp's InputBuffer for *method*, as DeviceIoControl sends it: strlen + 1 bytes."""
    return f"this String is from User Application; using {method}".encode() + b"\0"


def load_nonpnp(**options) -> Machine:
    """Load the driver: its DriverEntry creates the control device (no AddDevice)."""
    return Machine("NONPNP", DriverEntry=samples.NonPnpDriverEntry, **options)


def open_nonpnp(machine: Machine):
    """testapp's CreateFile(DEVICE_NAME, ...)."""
    app = machine.process()
    status, hDevice = app.CreateFile(samples.DEVICE_NAME)
    assert status == STATUS_SUCCESS
    return app, hDevice


def control_device(machine: Machine):
    """The framework device behind \\Device\\NONPNP."""
    status, device, _ = machine.namespace.lookup(samples.NTDEVICE_NAME_STRING)
    assert status == STATUS_SUCCESS
    return device


def driver_pool(machine: Machine) -> list:
    return [block for block in machine.pool.live_blocks() if block.owner == DRIVER]


# -- what nonpnpapp does -----------------------------------------------------------------------
def test_DriverEntry_makes_a_named_exclusive_control_device():
    """No PnP: DriverEntry alone leaves \\Device\\NONPNP, exclusive, reachable through
    \\DosDevices\\NONPNP, its file name the rest of the path."""
    machine = load_nonpnp()
    with machine:
        device = control_device(machine)
        assert device.is_control and device.exclusive
        assert device.name == samples.NTDEVICE_NAME_STRING
        status, linked, file_name = machine.namespace.lookup("\\??\\NONPNP\\nonpnpsamp.log")
        assert (status, linked, file_name) == (STATUS_SUCCESS, device, "\\nonpnpsamp.log")


def test_DoIoctls_the_four_methods():
    """testapp's DoIoctls, in its order, with its buffers; what each call returns."""
    machine = load_nonpnp()
    with machine:
        app, hDevice = open_nonpnp(machine)

        OutputBuffer = bytearray(OUTPUT_BUFFER_SIZE)
        result = hDevice.DeviceIoControl(
            samples.IOCTL_NONPNP_METHOD_BUFFERED, user_string("METHOD_BUFFERED"), OutputBuffer
        )
        assert (result.Status, result.Information) == (STATUS_SUCCESS, DATALEN)
        # The I/O manager copies Information bytes of the system buffer back: nothing more.
        assert bytes(OutputBuffer) == samples.DRIVER_DATA + bytes(OUTPUT_BUFFER_SIZE - DATALEN)

        OutputBuffer = bytearray(OUTPUT_BUFFER_SIZE)
        result = hDevice.DeviceIoControl(
            samples.IOCTL_NONPNP_METHOD_NEITHER, user_string("METHOD_NEITHER"), OutputBuffer
        )
        assert (result.Status, result.Information) == (STATUS_SUCCESS, DATALEN)
        assert bytes(OutputBuffer[:DATALEN]) == samples.DRIVER_DATA

        in_direct = b"This String is from User Application in OutBuffer; using METHOD_IN_DIRECT\0"
        OutputBuffer[: len(in_direct)] = in_direct
        sent = bytes(OutputBuffer)
        result = hDevice.DeviceIoControl(
            samples.IOCTL_NONPNP_METHOD_IN_DIRECT, user_string("METHOD_IN_DIRECT"), OutputBuffer
        )
        # "Number of bytes transfered from OutBuffer": all 100; the buffer is not written.
        assert (result.Status, result.Information) == (STATUS_SUCCESS, OUTPUT_BUFFER_SIZE)
        assert bytes(OutputBuffer) == sent

        OutputBuffer = bytearray(OUTPUT_BUFFER_SIZE)
        result = hDevice.DeviceIoControl(
            samples.IOCTL_NONPNP_METHOD_OUT_DIRECT, user_string("METHOD_OUT_DIRECT"), OutputBuffer
        )
        assert (result.Status, result.Information) == (STATUS_SUCCESS, DATALEN)
        assert bytes(OutputBuffer[:DATALEN]) == samples.DRIVER_DATA
        hDevice.CloseHandle()


def test_METHOD_NEITHER_memory_goes_with_its_request():
    """The two WDFMEMORY objects WdfRequestProbeAndLockUserBuffer… made are the request's
    children: after the IOCTL completes, the machine holds exactly the objects it held before,
    and no pool."""
    machine = load_nonpnp()
    with machine:
        app, hDevice = open_nonpnp(machine)
        before = set(machine.objects)
        result = hDevice.DeviceIoControl(
            samples.IOCTL_NONPNP_METHOD_NEITHER,
            user_string("METHOD_NEITHER"),
            bytearray(OUTPUT_BUFFER_SIZE),
        )
        assert result.Status == STATUS_SUCCESS
        assert set(machine.objects) == before
        assert driver_pool(machine) == []
        hDevice.CloseHandle()


def test_IOCTLs_the_driver_refuses():
    """An empty input or output buffer is STATUS_INVALID_PARAMETER; a code the driver does not
    know, STATUS_INVALID_DEVICE_REQUEST (the switch's default)."""
    machine = load_nonpnp()
    with machine:
        app, hDevice = open_nonpnp(machine)
        no_input = hDevice.DeviceIoControl(
            samples.IOCTL_NONPNP_METHOD_BUFFERED, b"", bytearray(OUTPUT_BUFFER_SIZE)
        )
        assert (no_input.Status, no_input.Information) == (STATUS_INVALID_PARAMETER, 0)
        no_output = hDevice.DeviceIoControl(
            samples.IOCTL_NONPNP_METHOD_OUT_DIRECT, user_string("X"), bytearray(0)
        )
        assert no_output.Status == STATUS_INVALID_PARAMETER
        unknown = CTL_CODE(samples.FILEIO_TYPE, 0x904, METHOD_BUFFERED, FILE_ANY_ACCESS)
        other = hDevice.DeviceIoControl(unknown, user_string("X"), bytearray(OUTPUT_BUFFER_SIZE))
        assert (other.Status, other.Information) == (STATUS_INVALID_DEVICE_REQUEST, 0)
        hDevice.CloseHandle()


def test_DoFileReadWrite_in_a_loop():
    """DoFileReadWrite three times (nonpnpapp -l): a random length up to RAND_MAX, random
    bytes written, the same length read back; bytesRead == bytesWritten and the bytes match.
    The file lives in the driver's pool while the handle is open; EvtFileClose frees it."""
    rng = random.Random(16)
    machine = load_nonpnp()
    with machine:
        app, hDevice = open_nonpnp(machine)
        device = control_device(machine)
        extension = samples.ControlGetData(device.handle)
        assert extension.FileName == "\\SystemRoot\\temp\\nonpnpsamp.log"
        for _ in range(3):
            bufLength = rng.randrange(1, 0x8000)
            writeBuf = bytes(rng.randrange(255) for _ in range(bufLength))
            written = hDevice.WriteFile(writeBuf)
            assert (written.Status, written.Information) == (STATUS_SUCCESS, bufLength)
            readBuf = bytearray(bufLength)
            read = hDevice.ReadFile(readBuf)
            assert (read.Status, read.Information) == (STATUS_SUCCESS, written.Information)
            assert bytes(readBuf) == writeBuf
        assert len(driver_pool(machine)) == 1  # the file's contents
        hDevice.CloseHandle()
        assert driver_pool(machine) == []


def test_exclusive_device_refuses_a_second_handle():
    """WdfDeviceInitSetExclusive(TRUE): while one handle is open, another CreateFile fails with
    STATUS_ACCESS_DENIED (the I/O manager's check of an exclusive device object); once it is
    closed, the device opens again."""
    machine = load_nonpnp()
    with machine:
        app, first = open_nonpnp(machine)
        status, second = app.CreateFile(samples.DEVICE_NAME)
        assert status == STATUS_ACCESS_DENIED
        first.CloseHandle()
        status, again = app.CreateFile(samples.DEVICE_NAME)
        assert status == STATUS_SUCCESS
        again.CloseHandle()


def test_open_and_close_reach_the_file_object_callbacks(monkeypatch):
    """EvtDeviceFileCreate runs for CreateFile, EvtFileClose for the last CloseHandle; no
    cleanup callback is registered, and closing works without one."""
    seen = []
    sample_create, sample_close = samples.NonPnpEvtDeviceFileCreate, samples.NonPnpEvtFileClose

    def FileCreate(Device, Request, FileObject):
        seen.append("create")
        sample_create(Device, Request, FileObject)

    def FileClose(FileObject):
        seen.append("close")
        sample_close(FileObject)

    monkeypatch.setattr(samples, "NonPnpEvtDeviceFileCreate", FileCreate)
    monkeypatch.setattr(samples, "NonPnpEvtFileClose", FileClose)
    machine = load_nonpnp()
    with machine:
        app, hDevice = open_nonpnp(machine)
        assert seen == ["create"]
        hDevice.CloseHandle()
        assert seen == ["create", "close"]


def test_nonpnpapp_run_then_unload(monkeypatch):
    """The whole of testapp: DoIoctls, DoFileReadWrite, CloseHandle, then the service stopped.
    Unloading calls EvtDriverUnload; the framework deletes the control device with the driver,
    so its name and its link are gone; Driver Verifier's leak check finds nothing."""
    unloaded = []
    sample_unload = samples.NonPnpEvtDriverUnload

    def Unload(Driver):
        unloaded.append(Driver)
        sample_unload(Driver)

    monkeypatch.setattr(samples, "NonPnpEvtDriverUnload", Unload)
    machine = load_nonpnp()
    with machine:
        app, hDevice = open_nonpnp(machine)
        for code, method in (
            (samples.IOCTL_NONPNP_METHOD_BUFFERED, "METHOD_BUFFERED"),
            (samples.IOCTL_NONPNP_METHOD_NEITHER, "METHOD_NEITHER"),
            (samples.IOCTL_NONPNP_METHOD_IN_DIRECT, "METHOD_IN_DIRECT"),
            (samples.IOCTL_NONPNP_METHOD_OUT_DIRECT, "METHOD_OUT_DIRECT"),
        ):
            out = bytearray(OUTPUT_BUFFER_SIZE)
            assert hDevice.DeviceIoControl(code, user_string(method), out).Status == STATUS_SUCCESS
        data = bytes(range(256)) * 8
        assert hDevice.WriteFile(data).Information == len(data)
        readBuf = bytearray(len(data))
        assert hDevice.ReadFile(readBuf).Information == len(data)
        assert bytes(readBuf) == data
        hDevice.CloseHandle()
        machine.unload()
    assert len(unloaded) == 1
    assert machine.state == "unloaded"
    assert machine.bugcheck is None
    assert driver_pool(machine) == []
    assert machine.namespace.lookup(samples.NTDEVICE_NAME_STRING)[0] != STATUS_SUCCESS
    assert machine.namespace.lookup("\\??\\NONPNP")[0] != STATUS_SUCCESS


# -- break it (lesson 12) ----------------------------------------------------------------------
def NonPnpEvtDeviceIoInCallerContextForwardsAll(Device, Request):
    """A caller-context callback that forgets METHOD_NEITHER: it queues every request as is."""
    status = WdfDeviceEnqueueRequest(Device, Request)
    if status != STATUS_SUCCESS:
        WdfRequestComplete(Request, status)


def FileEvtIoDeviceControlUnsafe(Queue, Request, OutputBufferLength, InputBufferLength, Code):
    """The queue callback asks for the caller's raw buffer itself, outside the caller's context."""
    status, inBuf, inBufLen = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0)
    WdfRequestComplete(Request, status)


@pytest.mark.parametrize(
    "kmdf_verifier, expected", [(True, STATUS_INVALID_DEVICE_REQUEST), (False, STATUS_SUCCESS)]
)
def test_break_unsafe_buffer_retrieved_outside_the_callers_context(
    kmdf_verifier, expected, monkeypatch
):
    """WdfRequestRetrieveUnsafeUserInputBuffer is valid only in EvtIoInCallerContext.  With
    KMDF Verifier on it answers STATUS_INVALID_DEVICE_REQUEST anywhere else (and breaks into the
    debugger): FxRequest::VerifyRequestIsInCallerContext, fxrequest.cpp, checked by
    WdfRequestRetrieveUnsafeUserInputBuffer in fxrequestapi.cpp only when FxVerifierOn.
    Without it the DDI hands back the user address (Type3InputBuffer) as if nothing were wrong."""
    monkeypatch.setattr(
        samples, "NonPnpEvtDeviceIoInCallerContext", NonPnpEvtDeviceIoInCallerContextForwardsAll
    )
    monkeypatch.setattr(samples, "FileEvtIoDeviceControl", FileEvtIoDeviceControlUnsafe)
    machine = load_nonpnp(kmdf_verifier=kmdf_verifier)
    with machine:
        app, hDevice = open_nonpnp(machine)
        result = hDevice.DeviceIoControl(
            samples.IOCTL_NONPNP_METHOD_NEITHER,
            user_string("METHOD_NEITHER"),
            bytearray(OUTPUT_BUFFER_SIZE),
        )
        assert result.Status == expected


class RAW_BUFFERS:
    """The context of the broken variant: the caller's raw addresses, kept without locking."""

    OutputBuffer = None
    OutputLength = 0


def test_break_user_buffer_touched_outside_the_callers_context(monkeypatch):
    """The caller-context callback keeps the raw user output address
    (no probe and lock) and the queue callback writes through it later.  Outside the caller's
    context that address means nothing — on Windows it is whatever the current process has
    there, or nothing.  wdfkit always stops the machine rather than write the application's
    memory: the queue presents the request at PASSIVE_LEVEL, so the unhandled access violation
    is 0x1E KMODE_EXCEPTION_NOT_HANDLED (P1 STATUS_ACCESS_VIOLATION, P3 1 for a write, P4 the
    user address)."""
    raw_address = []
    GetRawBuffers = wdfkit.WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(RAW_BUFFERS, "GetRawBuffers")

    def InCallerContextKeepsTheAddress(Device, Request):
        status, outBuf, outBufLen = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)
        if status == STATUS_SUCCESS:
            attributes = wdfkit.WDF_OBJECT_ATTRIBUTES()
            wdfkit.WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, RAW_BUFFERS)
            status, raw = wdfkit.WdfObjectAllocateContext(Request, attributes)
        if status == STATUS_SUCCESS:
            raw.OutputBuffer, raw.OutputLength = outBuf, outBufLen
            raw_address.append(outBuf.address)
            status = WdfDeviceEnqueueRequest(Device, Request)
        if status != STATUS_SUCCESS:
            WdfRequestComplete(Request, status)

    def DeviceControlWritesTheAddress(Queue, Request, OutputBufferLength, InputBufferLength, Code):
        raw = GetRawBuffers(Request)
        RtlCopyMemory(raw.OutputBuffer, samples.DRIVER_DATA, DATALEN)  # not in the caller's context
        WdfRequestSetInformation(Request, DATALEN)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    monkeypatch.setattr(samples, "NonPnpEvtDeviceIoInCallerContext", InCallerContextKeepsTheAddress)
    monkeypatch.setattr(samples, "FileEvtIoDeviceControl", DeviceControlWritesTheAddress)
    machine = load_nonpnp()
    with machine:
        app, hDevice = open_nonpnp(machine)
        OutputBuffer = bytearray(OUTPUT_BUFFER_SIZE)
        with pytest.raises(BugCheck) as caught:
            hDevice.DeviceIoControl(
                samples.IOCTL_NONPNP_METHOD_NEITHER, user_string("METHOD_NEITHER"), OutputBuffer
            )
    code, exception, _, write, address = caught.value.code, *caught.value.parameters
    assert (code, exception, write) == (KMODE_EXCEPTION_NOT_HANDLED, STATUS_ACCESS_VIOLATION, 1)
    assert address == raw_address[0]
    assert machine.state == "crashed"
    assert bytes(OutputBuffer) == bytes(OUTPUT_BUFFER_SIZE)
