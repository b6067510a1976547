"""EvtIoInCallerContext and WdfDeviceEnqueueRequest (fxpkgio.cpp: DispatchStep2,
DispatchToInCallerContextCallback, EnqueueRequest), and the requestor's address space they make
reachable (wdfkit.kernel.usermode)."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios

IOCTL_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_NEITHER, FILE_ANY_ACCESS)


def caller_context_driver(in_caller_context, io_type=WdfDeviceIoBuffered, **options):
    """A booted machine whose device has *in_caller_context* as EvtIoInCallerContext and a
    default queue with the EvtIo callbacks in *options* (the rest are Machine options)."""
    callbacks = {k: options.pop(k) for k in list(options) if k.startswith("EvtIo")}
    add = scenarios.queue_driver(io_type, callbacks)

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, in_caller_context)
        return add(Driver, DeviceInit)

    machine = boot("Toaster", **options)
    assert machine.add_device(EvtDriverDeviceAdd) == STATUS_SUCCESS
    return machine


def test_every_io_request_reaches_the_callback_first_and_the_queue_only_when_enqueued():
    order = []

    def EvtIoInCallerContext(Device, Request):
        order.append(("caller", WdfRequestGetRequestorMode(Request)))
        assert WdfDeviceEnqueueRequest(Device, Request) == STATUS_SUCCESS

    def EvtIoDefault(Queue, Request):
        order.append("queue")
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = caller_context_driver(EvtIoInCallerContext, EvtIoDefault=EvtIoDefault)
    app = machine.application()
    assert app.ReadFile(bytearray(4)).Status == STATUS_SUCCESS
    assert app.WriteFile(b"abcd").Status == STATUS_SUCCESS
    assert app.DeviceIoControl(IOCTL_NEITHER, b"in", bytearray(2)).Status == STATUS_SUCCESS
    kernel = machine.application(KernelMode)
    assert kernel.DeviceIoControl(IOCTL_NEITHER, b"", None, internal=True).Status == 0
    assert order == [("caller", UserMode), "queue"] * 3 + [("caller", KernelMode), "queue"]


def test_in_caller_context_is_true_only_inside_the_callback_until_enqueued():
    seen = {}

    def EvtIoInCallerContext(Device, Request):
        request = machine.objects[Request.value]
        seen["before"] = request.in_caller_context
        WdfDeviceEnqueueRequest(Device, Request)
        seen["after enqueue"] = request.in_caller_context

    def EvtIoRead(Queue, Request, Length):
        seen["queue"] = machine.objects[Request.value].in_caller_context
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = caller_context_driver(EvtIoInCallerContext, EvtIoRead=EvtIoRead)
    machine.application().ReadFile(bytearray(1))
    assert seen == {"before": True, "after enqueue": False, "queue": False}


def test_the_callback_may_complete_the_request_itself():
    def EvtIoInCallerContext(Device, Request):
        WdfRequestCompleteWithInformation(Request, STATUS_BUFFER_OVERFLOW, 1)

    machine = caller_context_driver(EvtIoInCallerContext)
    out = bytearray(b"..")
    result = machine.application().DeviceIoControl(IOCTL_NEITHER, b"", out)
    assert (result.Status, result.Information) == (STATUS_BUFFER_OVERFLOW, 1)
    assert machine.pool.user_pages == {} and machine.user_memory.buffer_at(0x1C0_000002A0) is None


def test_a_request_neither_enqueued_nor_completed_stays_pending_and_no_queue_knows_it():
    kept = []

    def EvtIoInCallerContext(Device, Request):
        kept.append(Request)

    machine = caller_context_driver(EvtIoInCallerContext)
    io = machine.application().ReadFile(bytearray(8), overlapped=True)
    assert not io.done and io.IoStatus.Status == STATUS_PENDING
    assert any("neither completed nor enqueued" in line for line in machine.log_lines())
    assert machine.devices[0].default_queue.requests_seen == 0
    WdfRequestComplete(kept[0], STATUS_CANCELLED)  # the driver still owns it
    assert io.IoStatus.Status == STATUS_CANCELLED


def test_a_request_the_callback_kept_may_be_enqueued_after_it_returned():
    """fxpkgio.cpp: DispatchToInCallerContextCallback sets FXREQUEST_FLAG_DRIVER_INPROCESS_
    CONTEXT and only VerifyEnqueueRequestUpdateFlags (WdfDeviceEnqueueRequest) clears it, so
    KMDF Verifier accepts the enqueue of a kept request later (here from the test, standing in
    for a work item); once enqueued, or once completed, a second enqueue is refused."""
    kept, presented = [], []

    def EvtIoInCallerContext(Device, Request):
        kept.append((Device, Request))

    def EvtIoRead(Queue, Request, Length):
        presented.append(Request)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = caller_context_driver(EvtIoInCallerContext, EvtIoRead=EvtIoRead)
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    assert not io.done and machine.kmdf_verifier
    ((device, request),) = kept
    with machine:
        assert machine.objects[request.value].in_caller_context
        assert WdfDeviceEnqueueRequest(device, request) == STATUS_SUCCESS
    assert presented == [request] and io.IoStatus.Status == STATUS_SUCCESS

    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    (device, request) = kept[1]
    with machine:
        WdfRequestComplete(request, STATUS_CANCELLED)
    assert io.IoStatus.Status == STATUS_CANCELLED


def test_enqueue_of_a_kept_request_already_completed_is_refused_under_kmdf_verifier():
    """fxpkgio.cpp (VerifyEnqueueRequestUpdateFlags → VerifyRequestIsDriverOwned): the driver
    no longer owns a request it completed (held by a reference, so the handle stays valid);
    STATUS_INVALID_DEVICE_REQUEST."""
    results = []

    def EvtIoInCallerContext(Device, Request):
        WdfObjectReference(Request)  # keeps the handle valid after the completion
        WdfRequestComplete(Request, STATUS_SUCCESS)
        results.append(WdfDeviceEnqueueRequest(Device, Request))
        WdfObjectDereference(Request)

    machine = caller_context_driver(EvtIoInCallerContext)
    assert machine.application().ReadFile(bytearray(1)).Status == STATUS_SUCCESS
    assert results == [STATUS_INVALID_DEVICE_REQUEST]


@pytest.mark.parametrize("verifier", [True, False])
def test_in_the_callback_the_request_belongs_to_no_queue_but_is_the_drivers(verifier):
    """fxpkgio.cpp (DispatchStep2): the request only remembers its queue (SetInternalContext)
    until WdfDeviceEnqueueRequest, so GetCurrentQueue is NULL: WdfRequestGetIoQueue answers
    NULL and WdfRequestMarkCancelableEx / UnmarkCancelable STATUS_INVALID_DEVICE_REQUEST
    (fxrequestapi.cpp), with or without Verifier.  It is driver-owned
    (DispatchToInCallerContextCallback sets FXREQUEST_FLAG_DRIVER_OWNED), so Verifier lets
    WdfRequestIsCanceled and WdfRequestGetFileObject answer without a debug break."""
    seen = {}

    def EvtIoInCallerContext(Device, Request):
        seen["queue"] = WdfRequestGetIoQueue(Request)
        seen["mark"] = WdfRequestMarkCancelableEx(Request, lambda R: None)
        seen["unmark"] = WdfRequestUnmarkCancelable(Request)
        seen["canceled"] = WdfRequestIsCanceled(Request)
        WdfDeviceEnqueueRequest(Device, Request)

    def EvtIoRead(Queue, Request, Length):
        seen["queued"] = WdfRequestGetIoQueue(Request) == Queue
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = caller_context_driver(EvtIoInCallerContext, EvtIoRead=EvtIoRead, verifier=verifier)
    assert machine.application().ReadFile(bytearray(1)).Status == STATUS_SUCCESS
    assert seen == {
        "queue": None,
        "mark": STATUS_INVALID_DEVICE_REQUEST,
        "unmark": STATUS_INVALID_DEVICE_REQUEST,
        "canceled": False,
        "queued": True,
    }
    assert not any("not owned" in line for line in machine.log_lines())


def test_enqueue_outside_the_callback_is_refused_under_kmdf_verifier():
    held = []

    def EvtIoInCallerContext(Device, Request):
        WdfDeviceEnqueueRequest(Device, Request)

    def EvtIoRead(Queue, Request, Length):
        held.append(Request)
        status = WdfDeviceEnqueueRequest(WdfIoQueueGetDevice(Queue), Request)
        WdfRequestComplete(Request, status)

    machine = caller_context_driver(EvtIoInCallerContext, EvtIoRead=EvtIoRead)
    assert machine.application().ReadFile(bytearray(1)).Status == STATUS_INVALID_DEVICE_REQUEST
    assert any("valid only in EvtIoInCallerContext" in line for line in machine.log_lines())


def test_enqueue_outside_the_callback_without_verifier_is_a_named_value_error():
    def EvtIoInCallerContext(Device, Request):
        WdfDeviceEnqueueRequest(Device, Request)

    def EvtIoRead(Queue, Request, Length):
        WdfDeviceEnqueueRequest(WdfIoQueueGetDevice(Queue), Request)

    machine = caller_context_driver(EvtIoInCallerContext, EvtIoRead=EvtIoRead, verifier=False)
    with pytest.raises(ValueError, match="WdfDeviceEnqueueRequest: .* not in its EvtIoInCaller"):
        machine.application().ReadFile(bytearray(1))


def test_enqueue_uses_the_requests_own_device_queue_whatever_device_is_passed():
    devices, presented = [], []

    def EvtIoInCallerContext(Device, Request):
        assert WdfDeviceEnqueueRequest(devices[1], Request) == STATUS_SUCCESS

    def EvtIoRead(Queue, Request, Length):
        presented.append(WdfIoQueueGetDevice(Queue))
        WdfRequestComplete(Request, STATUS_SUCCESS)

    add = scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead})

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, EvtIoInCallerContext)
        status = add(Driver, DeviceInit)
        devices.append(machine.devices[-1].handle)
        return status

    machine = boot("Toaster")
    machine.add_device(EvtDriverDeviceAdd)
    machine.add_device(EvtDriverDeviceAdd)
    machine.application().ReadFile(bytearray(1))  # sent to the first device
    assert presented == [devices[0]]


def test_registration_and_enqueue_argument_checks():
    machine = boot("Toaster")
    with pytest.raises(BugCheck) as caught:
        WdfDeviceInitSetIoInCallerContextCallback(None, lambda Device, Request: None)
    assert caught.value.parameters[0] == WDF_REQUIRED_PARAMETER_IS_NULL
    machine = boot("Toaster")
    with pytest.raises(BugCheck) as caught:
        WdfDeviceInitSetIoInCallerContextCallback(WDFDEVICE_INIT(), None)
    assert caught.value.parameters[0] == WDF_REQUIRED_PARAMETER_IS_NULL
    machine = boot("Toaster")
    with pytest.raises(TypeError, match="WdfDeviceInitSetIoInCallerContextCallback: Evt"):
        WdfDeviceInitSetIoInCallerContextCallback(WDFDEVICE_INIT(), 42)
    with pytest.raises(TypeError, match="WdfDeviceInitSetIoInCallerContextCallback: DeviceInit"):
        WdfDeviceInitSetIoInCallerContextCallback(object(), lambda Device, Request: None)
    with pytest.raises(BugCheck) as caught:
        WdfDeviceEnqueueRequest(machine.driver.handle, None)
    assert caught.value.parameters[0] == WDF_INVALID_HANDLE and machine.state == "crashed"


# -- the requestor's address space -------------------------------------------------------------
def neither_ioctl(in_caller_context, EvtIoDeviceControl=None, **options):
    """Send a METHOD_NEITHER IOCTL with input b"hello" and a 16-byte output buffer to a driver
    with these callbacks; ``(machine, IO_STATUS_BLOCK or None if the machine stopped, out)``."""

    def complete(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = caller_context_driver(
        in_caller_context, EvtIoDeviceControl=EvtIoDeviceControl or complete, **options
    )
    out = bytearray(16)
    try:
        result = machine.application().DeviceIoControl(IOCTL_NEITHER, b"hello", out)
    except BugCheck:
        result = None
    return machine, result, out


def test_in_the_callers_context_the_driver_reaches_the_users_bytes():
    def EvtIoInCallerContext(Device, Request):
        _, inbuf, n = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0)
        _, outbuf, _ = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)
        RtlCopyMemory(outbuf, inbuf, n)
        (outbuf + n).write(b"!")
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, n + 1)

    machine, result, out = neither_ioctl(EvtIoInCallerContext)
    assert result.Information == 6 and out[:6] == b"hello!"
    assert machine.pool.user_pages == {}  # detached again, and the buffers unmapped


def test_a_user_address_touched_in_a_queue_callback_is_an_unhandled_access_violation():
    pointers = {}

    def EvtIoInCallerContext(Device, Request):
        pointers["in"] = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0)[1]
        WdfDeviceEnqueueRequest(Device, Request)

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, Code):
        pointers["in"].read(5)

    machine, result, _ = neither_ioctl(EvtIoInCallerContext, EvtIoDeviceControl)
    assert result is None and machine.state == "crashed"
    bugcheck = machine.bugcheck
    assert bugcheck.code == KMODE_EXCEPTION_NOT_HANDLED
    address = pointers["in"].address
    assert bugcheck.parameters == (STATUS_ACCESS_VIOLATION, machine.return_address, 0, address)


def test_a_user_address_touched_at_dispatch_level_is_driver_irql_not_less_or_equal():
    pointers = {}

    def EvtIoInCallerContext(Device, Request):
        pointers["out"] = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)[1]
        WdfDeviceEnqueueRequest(Device, Request)

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, Code):
        KeRaiseIrql(DISPATCH_LEVEL)
        pointers["out"].write(b"x")

    machine, result, _ = neither_ioctl(EvtIoInCallerContext, EvtIoDeviceControl)
    assert machine.bugcheck.code == DRIVER_IRQL_NOT_LESS_OR_EQUAL
    address = pointers["out"].address
    assert machine.bugcheck.parameters == (address, DISPATCH_LEVEL, 1, machine.return_address)


def test_writing_a_read_only_user_buffer_faults_even_in_the_callers_context():
    def EvtIoInCallerContext(Device, Request):
        WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0)[1].write(b"x")

    machine, result, _ = neither_ioctl(EvtIoInCallerContext)
    assert machine.bugcheck.code == KMODE_EXCEPTION_NOT_HANDLED
    assert machine.bugcheck.parameters[2] == 1  # a write


def test_a_user_buffer_is_unmapped_once_its_io_is_done():
    pointers = []

    def EvtIoInCallerContext(Device, Request):
        if pointers:  # the second IOCTL, same process, same context: the first buffer is gone
            pointers[0].write(b"stale")
        pointers.append(WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)[1])
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, result, _ = neither_ioctl(EvtIoInCallerContext)
    assert result.Status == STATUS_SUCCESS
    with pytest.raises(BugCheck):
        machine.application().DeviceIoControl(IOCTL_NEITHER, b"", bytearray(16))
    assert machine.bugcheck.code == KMODE_EXCEPTION_NOT_HANDLED
    assert machine.bugcheck.parameters[3] == pointers[0].address


def test_a_direct_read_completed_in_the_callers_context_keeps_what_the_driver_wrote():
    def EvtIoInCallerContext(Device, Request):
        status, buffer, length = WdfRequestRetrieveOutputBuffer(Request, 4)
        buffer.write(b"data")  # through the MDL's system mapping
        WdfRequestCompleteWithInformation(Request, status, 4)

    machine = caller_context_driver(EvtIoInCallerContext, io_type=WdfDeviceIoDirect)
    out = bytearray(4)
    assert machine.application().ReadFile(out).Information == 4 and out == b"data"
