"""WdfRequestGetParameters and the WdfRequestType… values: every major function, the union.

Source: wdfrequest.h (WDF_REQUEST_TYPE, WDF_REQUEST_PARAMETERS), fxrequestapi.cpp
(WdfRequestGetParameters: the Size check), fxrequest.cpp (FxRequest::GetParameters: Type,
MinorFunction, the stack location's Parameters copied whole, Type3InputBuffer blanked by
Verifier for METHOD_NEITHER device controls; VerifyRequestIsCurrentStackValid), fxrequestkm.cpp.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.fx.request import FxRequest
from wdfkit.kernel.irp import IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, Irp

NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS)
BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS)


def capture(initialise=True, **options):
    """A machine whose default queue records each request's parameters (EvtIoDefault); with
    *initialise* False the driver forgets WDF_REQUEST_PARAMETERS_INIT."""
    machine = Machine("Toaster", **options).activate()
    seen = []

    def EvtIoDefault(Queue, Request):
        params = WDF_REQUEST_PARAMETERS()
        if initialise:
            WDF_REQUEST_PARAMETERS_INIT(params)
        WdfRequestGetParameters(Request, params)
        seen.append(params)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    def add(Driver, DeviceInit):
        _, device = WdfDeviceCreate(DeviceInit, None)
        config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchSequential)
        config.EvtIoDefault = EvtIoDefault
        config.AllowZeroLengthRequests = True
        return WdfIoQueueCreate(device, config, None)[0]

    machine.add_device(add)
    return machine, seen


def test_the_request_types_are_the_major_function_codes():
    assert (WdfRequestTypeCreate, WdfRequestTypeClose, WdfRequestTypeRead) == (0x0, 0x2, 0x3)
    assert (WdfRequestTypeWrite, WdfRequestTypeDeviceControl) == (0x4, 0xE)
    assert (WdfRequestTypeDeviceControlInternal, WdfRequestTypeCleanup) == (0xF, 0x12)
    assert (WdfRequestTypeOther, WdfRequestTypeUsb, WdfRequestTypeNoFormat) == (0x1C, 0x40, 0xFF)
    assert WdfRequestTypeCreate == IRP_MJ_CREATE and WdfRequestTypeCleanup == IRP_MJ_CLEANUP


def test_a_read_fills_every_view_from_the_same_bytes():
    machine, seen = capture()
    machine.application().ReadFile(bytearray(100))
    (params,) = seen
    assert (params.Size, params.Type, params.MinorFunction) == (0x28, WdfRequestTypeRead, 0)
    union = params.Parameters
    assert (union.Read.Length, union.Read.Key, union.Read.DeviceOffset) == (100, 0, 0)
    assert union.Write == union.Read
    assert union.DeviceIoControl.OutputBufferLength == 100  # C's union: the same slot
    assert (union.Others.Arg1, union.Others.IoControlCode) == (100, 0)


def test_a_write_and_an_ioctl():
    machine, seen = capture()
    app = machine.application()
    app.WriteFile(b"hello")
    app.DeviceIoControl(BUFFERED, b"abc", bytearray(7))
    write, ioctl = seen
    assert write.Type == WdfRequestTypeWrite and write.Parameters.Write.Length == 5
    assert ioctl.Type == WdfRequestTypeDeviceControl
    io = ioctl.Parameters.DeviceIoControl
    assert (io.OutputBufferLength, io.InputBufferLength, io.IoControlCode) == (7, 3, BUFFERED)
    assert io.Type3InputBuffer is None  # wdfkit keeps no user pointer for buffered input
    others = ioctl.Parameters.Others
    assert (others.Arg1, others.Arg2, others.IoControlCode) == (7, 3, BUFFERED)
    assert ioctl.Parameters.Read.Length == 7 and ioctl.Parameters.Read.Key == 3
    assert ioctl.Parameters.Read.DeviceOffset == BUFFERED


def test_type3_input_buffer_is_the_neither_callers_pointer_except_under_verifier():
    machine, seen = capture(verifier=False)
    machine.application(KernelMode).DeviceIoControl(NEITHER, b"in", bytearray(4))
    machine.application(KernelMode).DeviceIoControl(NEITHER, b"in", bytearray(4), internal=True)
    plain, internal = seen
    assert isinstance(plain.Parameters.DeviceIoControl.Type3InputBuffer, PVOID)
    assert plain.Parameters.Others.Arg4 == plain.Parameters.DeviceIoControl.Type3InputBuffer
    assert internal.Type == WdfRequestTypeDeviceControlInternal
    machine, seen = capture(kmdf_verifier=True, driver_verifier=False)
    machine.application(KernelMode).DeviceIoControl(NEITHER, b"in", bytearray(4))
    machine.application(KernelMode).DeviceIoControl(NEITHER, b"in", bytearray(4), internal=True)
    plain, internal = seen
    assert plain.Parameters.DeviceIoControl.Type3InputBuffer is None  # blanked
    assert plain.Parameters.Others.Arg4 is None  # the same slot
    assert isinstance(internal.Parameters.DeviceIoControl.Type3InputBuffer, PVOID)


@pytest.mark.parametrize(
    "major, kind",
    [
        (IRP_MJ_CREATE, WdfRequestTypeCreate),
        (IRP_MJ_CLOSE, WdfRequestTypeClose),
        (IRP_MJ_CLEANUP, WdfRequestTypeCleanup),
    ],
)
def test_create_close_and_cleanup_carry_no_parameters_wdfkit_knows(major, kind):
    """A queue request made straight from such an IRP (how the I/O manager routes them to a
    queue is not this test's business)."""
    machine, seen = capture()
    queue = machine.devices[0].default_queue
    _, request = FxRequest.create_internal(machine, Irp(machine, major, UserMode), queue)
    params = WDF_REQUEST_PARAMETERS()
    WDF_REQUEST_PARAMETERS_INIT(params)
    WdfRequestGetParameters(request.handle, params)
    assert params.Type == kind
    create = params.Parameters.Create
    assert (create.SecurityContext, create.Options, create.ShareAccess, create.EaLength) == (
        None,
        0,
        0,
        0,
    )
    assert params.Parameters.Others == WDF_REQUEST_PARAMETERS().Parameters.Others


def test_a_wrong_size_fills_nothing():
    machine, seen = capture(initialise=False)
    machine.application().ReadFile(bytearray(8))
    assert seen == [WDF_REQUEST_PARAMETERS()]
    assert any("Params size 0 incorrect, expected 40" in line for line in machine.log_lines())


def test_a_driver_created_request_has_no_stack_location_to_read_under_verifier():
    machine, seen = capture()
    _, request = WdfRequestCreate(None, None)
    params = WDF_REQUEST_PARAMETERS()
    WDF_REQUEST_PARAMETERS_INIT(params)
    params.Type = 0x77
    WdfRequestGetParameters(request, params)
    assert params.Type == 0x77  # untouched
    machine, seen = capture(verifier=False)
    _, request = WdfRequestCreate(None, None)
    WdfRequestGetParameters(request, params)
    assert params.Type == 0 and params.Parameters.Read.Length == 0


def test_null_and_wrong_parameters():
    machine, seen = capture()
    _, request = WdfRequestCreate(None, None)
    with pytest.raises(TypeError, match="WdfRequestGetParameters: Parameters"):
        WdfRequestGetParameters(request, {})
    with pytest.raises(BugCheck):
        WdfRequestGetParameters(request, None)
    assert machine.bugcheck.parameters[0] == 0x4


def test_the_union_views_check_their_fields():
    params = WDF_REQUEST_PARAMETERS()
    with pytest.raises(ValueError, match="WDF_REQUEST_PARAMETERS_OTHERS: Arg1"):
        params.Parameters.Others.Arg1 = -1
    with pytest.raises(TypeError, match="WDF_REQUEST_PARAMETERS_CREATE: ShareAccess"):
        params.Parameters.Create.ShareAccess = "rw"
