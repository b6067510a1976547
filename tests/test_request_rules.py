"""The request and I/O-target rules of the KMDF source.

Paths are under src/framework/shared/ of microsoft/Windows-Driver-Frameworks.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios

IOCTL_BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
IOCTL_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_NEITHER, FILE_ANY_ACCESS)


def driver(verifier=True, **callbacks):
    """A machine whose default (buffered) queue calls *callbacks* (EvtIoRead=..., ...)."""
    machine = boot("Toaster", verifier=verifier)
    add = scenarios.queue_driver(WdfDeviceIoBuffered, callbacks)
    assert machine.add_device(add) == STATUS_SUCCESS
    return machine


def target_and_request(verifier=True):
    """A machine with a device and no queue: ``(machine, target, request, memory)``."""
    holder = {}

    def add(Driver, DeviceInit):
        status, holder["device"] = WdfDeviceCreate(DeviceInit, None)
        return status

    machine = boot("Toaster", verifier=verifier)
    machine.add_device(add)
    target = WdfDeviceGetIoTarget(holder["device"])
    status, request = WdfRequestCreate(None, target)
    status, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "tseT", 8)
    return machine, target, request, memory


def recorder(calls, name):
    def routine(Request, Target, Params, Context):
        calls.append((name, Params.Type, Params.IoStatus.Status, Context))

    return routine


# -- a sent request's routine runs once, and completion clears "formatted" -------------------------
def test_completion_clears_the_routine_a_second_send_runs_none():
    """FxRequestBase::CompleteSubmitted (core/fxrequestbase.cpp) calls the routine through
    ClearCompletionRoutine()/ClearCompletionContext() (inc/private/common/fxrequestbase.hpp),
    which leave NULL behind: a request reformatted and sent again without a new
    WdfRequestSetCompletionRoutine runs no routine; setting it again runs the new one."""
    machine, target, request, memory = target_and_request()
    calls = []
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    WdfRequestSetCompletionRoutine(request, recorder(calls, "first"), "ctx")
    assert WdfRequestSend(request, target, None) is True
    machine.advance(1)
    assert calls == [("first", IRP_MJ_READ, STATUS_SUCCESS, "ctx")]
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    assert WdfRequestSend(request, target, None) is True
    machine.advance(1)
    assert len(calls) == 1  # no routine: it was cleared as it was called
    assert WdfRequestGetStatus(request) == STATUS_SUCCESS  # the send itself went through
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    WdfRequestSetCompletionRoutine(request, recorder(calls, "second"), None)
    WdfRequestSend(request, target, None)
    machine.advance(1)
    assert [name for name, *_ in calls] == ["first", "second"]


def test_verifier_refuses_a_second_send_without_a_new_format():
    """Under Verifier, CompleteSubmitted (core/fxrequestbase.cpp) calls VerifierClearFormatted;
    FxIoTarget::VerifySubmitLocked (targets/general/fxiotarget.cpp) then refuses the unformatted
    request: WdfRequestSend returns FALSE, WdfRequestGetStatus gives
    STATUS_REQUEST_NOT_ACCEPTED.  Without Verifier the mark is not kept and the send goes."""
    machine, target, request, memory = target_and_request()
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    assert WdfRequestSend(request, target, None) is True
    machine.advance(1)
    assert WdfRequestSend(request, target, None) is False
    assert WdfRequestGetStatus(request) == STATUS_REQUEST_NOT_ACCEPTED
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    assert WdfRequestSend(request, target, None) is True

    machine, target, request, memory = target_and_request(verifier=False)
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    assert WdfRequestSend(request, target, None) is True
    machine.advance(1)
    assert WdfRequestSend(request, target, None) is True


# -- Send…Synchronously replaces the driver's routine ----------------------------------------------
def test_send_synchronously_with_a_driver_request_loses_the_drivers_routine():
    """FxIoTarget::SubmitSync (targets/general/fxiotarget.cpp) sets _SyncCompletionRoutine over
    the driver's routine; only WdfRequestSend passes SubmitSyncCallCompletion, which keeps the
    driver's and calls it from _SyncCompletionRoutine.  CompleteSubmitted clears the one it
    calls: after WdfIoTargetSendReadSynchronously the driver's routine was never called and is
    gone, so a later asynchronous send calls nothing."""
    machine, target, request, memory = target_and_request()
    calls = []
    WdfRequestSetCompletionRoutine(request, recorder(calls, "driver"), None)
    desc = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(desc, memory, None)
    assert WdfIoTargetSendReadSynchronously(target, request, desc, None, None) == (
        STATUS_SUCCESS,
        8,
    )
    assert calls == []
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    assert WdfRequestSend(request, target, None) is True
    machine.advance(1)
    assert calls == []


# -- WdfRequestFormatRequestUsingCurrentType -------------------------------------------------------
def test_format_using_current_type_gives_no_format_params_and_keeps_earlier_references():
    """WdfRequestFormatRequestUsingCurrentType (core/fxrequestapi.cpp) only copies the stack
    location and sets the formatted mark: no request context, no release of an earlier
    format's references.  With no context, CompleteSubmittedNoContext (core/fxrequestbase.cpp)
    gives the routine Type = WdfRequestTypeNoFormat, zeroed Parameters and the IoStatus."""
    seen = {}

    def done(Request, Target, Params, Context):
        seen["params"] = Params
        WdfRequestComplete(Request, Params.IoStatus.Status)

    def EvtIoRead(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        WdfRequestFormatRequestUsingCurrentType(Request)
        WdfRequestSetCompletionRoutine(Request, done, None)
        assert WdfRequestSend(Request, target, None)

    machine = driver(EvtIoRead=EvtIoRead)
    result = machine.application().ReadFile(bytearray(8))
    assert (result.Status, result.Information) == (STATUS_SUCCESS, 8)
    params = seen["params"]
    assert params.Type == WdfRequestTypeNoFormat == 0xFF
    assert (params.IoStatus.Status, params.IoStatus.Information) == (STATUS_SUCCESS, 8)
    read = params.Parameters.Read
    assert (read.Buffer, read.Length, read.Offset) == (None, 0, 0)

    def keeps_reference(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        memory = WdfRequestRetrieveOutputMemory(Request)[1]
        WdfIoTargetFormatRequestForRead(target, Request, memory, None, None)
        WdfRequestFormatRequestUsingCurrentType(Request)  # the reference stays
        seen["refs"] = machine.objects[Request.value].irp_refs
        WdfRequestComplete(Request, STATUS_SUCCESS)  # completion releases it

    machine = driver(EvtIoRead=keeps_reference)
    assert machine.application().ReadFile(bytearray(8)).Status == STATUS_SUCCESS
    assert seen["refs"] == 1


def test_send_and_forget_after_format_using_current_type_is_allowed():
    """WdfRequestSend (core/fxrequestapi.cpp) refuses send-and-forget only for a request with a
    formatted I/O context (HasContext: STATUS_INVALID_DEVICE_REQUEST);
    FormatRequestUsingCurrentType makes none, and FxRequest::PreProcessSendAndForget
    (core/fxrequest.cpp) then keeps the next stack location the driver formatted."""
    sent = []

    def EvtIoRead(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        options = WDF_REQUEST_SEND_OPTIONS()
        WDF_REQUEST_SEND_OPTIONS_INIT(options, WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET)
        WdfRequestFormatRequestUsingCurrentType(Request)
        sent.append(WdfRequestSend(Request, target, options))

    machine = driver(EvtIoRead=EvtIoRead)
    buffer = bytearray(4)
    result = machine.application().ReadFile(buffer)
    assert sent == [True]
    assert (result.Status, result.Information, bytes(buffer)) == (STATUS_SUCCESS, 4, b"\0\1\2\3")

    def after_a_target_format(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        memory = WdfRequestRetrieveOutputMemory(Request)[1]
        WdfIoTargetFormatRequestForRead(target, Request, memory, None, None)
        WdfRequestFormatRequestUsingCurrentType(Request)  # the context is still there
        options = WDF_REQUEST_SEND_OPTIONS()
        WDF_REQUEST_SEND_OPTIONS_INIT(options, WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET)
        sent.append(WdfRequestSend(Request, target, options))
        sent.append(WdfRequestGetStatus(Request))
        WdfRequestComplete(Request, STATUS_SUCCESS)

    sent.clear()
    driver(EvtIoRead=after_a_target_format).application().ReadFile(bytearray(4))
    assert sent == [False, STATUS_INVALID_DEVICE_REQUEST]


# -- a user-mode IOCTL with no output buffer -------------------------------------------------------
@pytest.mark.parametrize("method_code", [IOCTL_BUFFERED, IOCTL_NEITHER])
def test_ioctl_without_output_buffer_may_report_input_bytes(method_code):
    """FxRequest::VerifyCompleteInternal (core/fxrequest.cpp) validates Information against the
    output length of a user-mode IOCTL only when OutputBufferLength > 0 ("a driver can indicate
    the number of bytes used of the input buffer"): no 0x10D/0x6/0x4.  For METHOD_BUFFERED,
    CompleteInternal breaks into the debugger and clears IRP_INPUT_OPERATION instead."""

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, InputBufferLength)

    machine = driver(EvtIoDeviceControl=EvtIoDeviceControl)
    result = machine.application().DeviceIoControl(method_code, b"12345", None)
    assert (result.Status, result.Information) == (STATUS_SUCCESS, 5)
    broke = any("no output buffer" in line for line in machine.log_lines())
    assert broke == (method_code == IOCTL_BUFFERED)


def test_ioctl_with_output_buffer_still_checks_the_length():
    """VerifyCompleteInternal (core/fxrequest.cpp): with OutputBufferLength > 0 the check stays:
    Information above it is 0x10D / 0x6 (WDF_REQUEST_FATAL_ERROR) / 0x4 (length mismatch)."""

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, OutputBufferLength + 1)

    machine = driver(EvtIoDeviceControl=EvtIoDeviceControl)
    with pytest.raises(BugCheck) as crash:
        machine.application().DeviceIoControl(IOCTL_BUFFERED, b"12345", bytearray(2))
    assert (crash.value.code, *crash.value.parameters[:2]) == (0x10D, 0x6, 0x4)


# -- a refused SET_NEW_IRP reuse -------------------------------------------------------------------
def test_refused_set_new_irp_reuse_has_released_the_format_and_cleared_the_routine():
    """FxRequest::Reuse (core/fxrequest.cpp) clears the completion routine (KMDF >= 1.9) and
    calls m_RequestContext->ReleaseAndRestore before it looks at the flags: on a queue request
    WDF_REQUEST_REUSE_SET_NEW_IRP is refused with STATUS_WDF_REQUEST_INVALID_STATE, but the
    format's reference is already released and the routine gone."""
    seen = {}

    def EvtIoRead(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        memory = WdfRequestRetrieveOutputMemory(Request)[1]
        WdfIoTargetFormatRequestForRead(target, Request, memory, None, None)
        WdfRequestSetCompletionRoutine(Request, lambda *args: None, None)
        request = machine.objects[Request.value]
        seen["before"] = request.irp_refs
        params = WDF_REQUEST_REUSE_PARAMS()
        WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_SET_NEW_IRP, STATUS_SUCCESS)
        seen["status"] = WdfRequestReuse(Request, params)
        seen["after"] = request.irp_refs
        seen["routine"] = request.completion_routine
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = driver(EvtIoRead=EvtIoRead)
    machine.application().ReadFile(bytearray(4))
    assert seen == {
        "before": 1,
        "status": STATUS_WDF_REQUEST_INVALID_STATE,
        "after": 0,
        "routine": None,
    }


# -- WdfRequestReuse and a reformat clear the routine's Params -------------------------------------
def params_seen(Params):
    io, read = Params.IoStatus, Params.Parameters.Read
    return (Params.Size, Params.Type, io.Status, io.Information, read.Buffer, read.Length)


def test_reuse_in_the_completion_routine_clears_the_params_it_was_handed():
    """FxRequest::Reuse (core/fxrequest.cpp) calls m_RequestContext->ReleaseAndRestore, which
    ends with InitCompletionParams (core/fxrequestcontext.cpp, inc/private/common/
    fxrequestcontext.hpp): WDF_REQUEST_COMPLETION_PARAMS_INIT on m_CompletionParams, then
    Type = WdfRequestTypeNoFormat.  CompleteSubmitted (core/fxrequestbase.cpp) handed the routine
    a pointer to that same structure, so after WdfRequestReuse the routine's Params say
    STATUS_SUCCESS and 0, not the lower device's status; values saved before are intact."""
    machine, target, request, memory = target_and_request()
    machine.lower_device.fail_status = STATUS_IO_DEVICE_ERROR
    seen = {}

    def done(Request, Target, Params, Context):
        seen["saved"] = (Params.IoStatus.Status, Params.IoStatus.Information)
        seen["before"] = params_seen(Params)
        params = WDF_REQUEST_REUSE_PARAMS()
        WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS)
        assert WdfRequestReuse(Request, params) == STATUS_SUCCESS
        seen["after"] = params_seen(Params)

    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    WdfRequestSetCompletionRoutine(request, done, None)
    assert WdfRequestSend(request, target, None) is True
    machine.advance(1)
    assert seen["saved"] == (STATUS_IO_DEVICE_ERROR, 0)
    assert seen["before"] == (0x48, IRP_MJ_READ, STATUS_IO_DEVICE_ERROR, 0, memory, 0)
    assert seen["after"] == (0x48, WdfRequestTypeNoFormat, STATUS_SUCCESS, 0, None, 0)


def test_a_successful_reads_information_is_cleared_by_reuse_too():
    """The whole structure is zeroed (InitCompletionParams): IoStatus.Information and the
    Parameters.Read length a successful read reported are 0 after WdfRequestReuse."""
    machine, target, request, memory = target_and_request()
    seen = {}

    def done(Request, Target, Params, Context):
        seen["before"] = params_seen(Params)
        params = WDF_REQUEST_REUSE_PARAMS()
        WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_CANCELLED)
        WdfRequestReuse(Request, params)
        seen["after"] = params_seen(Params)
        seen["status"] = WdfRequestGetStatus(Request)

    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    WdfRequestSetCompletionRoutine(request, done, None)
    WdfRequestSend(request, target, None)
    machine.advance(1)
    assert seen["before"] == (0x48, IRP_MJ_READ, STATUS_SUCCESS, 8, memory, 8)
    assert seen["after"] == (0x48, WdfRequestTypeNoFormat, STATUS_SUCCESS, 0, None, 0)
    assert seen["status"] == STATUS_CANCELLED  # the IRP's status is the reuse's, not the Params'


def test_a_reformat_in_the_completion_routine_resets_the_params_to_the_new_format():
    """A new WdfIoTargetFormatRequest… goes through FxRequestBase::ValidateTarget
    (core/fxrequestbase.cpp) → ContextReleaseAndRestore to the same ReleaseAndRestore, and the
    format then fills the same m_CompletionParams again (FxIoTarget::FormatIoRequest keeps an
    FX_RCT_IO context, targets/general/km/fxiotargetkm.cpp; FormatWriteParams,
    core/fxrequestcontext.cpp): the routine's Params show the new Type and buffer, and a zero
    IoStatus and length, before the request is even sent again."""
    machine, target, request, memory = target_and_request()
    status, other, _ = WdfMemoryCreate(None, NonPagedPoolNx, "tseT", 4)
    seen = {}

    def done(Request, Target, Params, Context):
        seen["before"] = params_seen(Params)
        offset = WDFMEMORY_OFFSET(BufferOffset=1, BufferLength=2)
        WdfIoTargetFormatRequestForWrite(Target, Request, other, offset, None)
        write = Params.Parameters.Write
        seen["after"] = (Params.Type, Params.IoStatus.Status, Params.IoStatus.Information)
        seen["write"] = (write.Buffer, write.Length, write.Offset)

    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    WdfRequestSetCompletionRoutine(request, done, None)
    WdfRequestSend(request, target, None)
    machine.advance(1)
    assert seen["before"] == (0x48, IRP_MJ_READ, STATUS_SUCCESS, 8, memory, 8)
    assert seen["after"] == (IRP_MJ_WRITE, STATUS_SUCCESS, 0)
    assert seen["write"] == (other, 0, 1)


def test_reuse_leaves_the_params_of_a_request_sent_with_no_context():
    """A queue request sent after WdfRequestFormatRequestUsingCurrentType has no request
    context: CompleteSubmittedNoContext (core/fxrequestbase.cpp) hands the routine params of its
    own, and FxRequest::Reuse has no m_RequestContext to ReleaseAndRestore — they keep the
    lower device's status."""
    seen = {}

    def done(Request, Target, Params, Context):
        params = WDF_REQUEST_REUSE_PARAMS()
        WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS)
        WdfRequestReuse(Request, params)
        seen["after"] = params_seen(Params)
        WdfRequestComplete(Request, Params.IoStatus.Status)

    def EvtIoRead(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        WdfRequestFormatRequestUsingCurrentType(Request)
        WdfRequestSetCompletionRoutine(Request, done, None)
        assert WdfRequestSend(Request, target, None)

    machine = driver(EvtIoRead=EvtIoRead)
    machine.lower_device.fail_status = STATUS_IO_DEVICE_ERROR
    result = machine.application().ReadFile(bytearray(8))
    assert result.Status == STATUS_IO_DEVICE_ERROR
    assert seen["after"] == (0x48, WdfRequestTypeNoFormat, STATUS_IO_DEVICE_ERROR, 0, None, 0)


# -- WdfRequestGetCompletionParams ---------------------------------------------------------------
def got(Request, size=None):
    """WdfRequestGetCompletionParams into a fresh, initialised structure."""
    params = WDF_REQUEST_COMPLETION_PARAMS()
    WDF_REQUEST_COMPLETION_PARAMS_INIT(params)
    if size is not None:
        params.Size = size
    WdfRequestGetCompletionParams(Request, params)
    return params


def test_get_completion_params_is_a_copy_and_reuse_empties_the_context_not_the_copy():
    """WdfRequestGetCompletionParams (core/fxrequestapi.cpp) → FxRequest::CopyCompletionParams
    (inc/private/common/fxrequest.hpp) copies m_RequestContext->m_CompletionParams: in the
    routine it equals the routine's Params; a copy taken before WdfRequestReuse keeps the lower
    device's status, one taken after has InitCompletionParams's zeroes and NoFormat."""
    machine, target, request, memory = target_and_request()
    machine.lower_device.fail_status = STATUS_IO_DEVICE_ERROR
    seen = {}

    def done(Request, Target, Params, Context):
        copy = got(Request)
        seen["copy"] = params_seen(copy)
        seen["routine's"] = params_seen(Params)
        params = WDF_REQUEST_REUSE_PARAMS()
        WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS)
        WdfRequestReuse(Request, params)
        seen["copy after reuse"] = params_seen(copy)
        seen["got after reuse"] = params_seen(got(Request))

    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    before = got(request)  # formatted, not yet sent: the format's Type and buffer
    assert params_seen(before) == (0x48, IRP_MJ_READ, STATUS_SUCCESS, 0, memory, 0)
    WdfRequestSetCompletionRoutine(request, done, None)
    WdfRequestSend(request, target, None)
    machine.advance(1)
    failed = (0x48, IRP_MJ_READ, STATUS_IO_DEVICE_ERROR, 0, memory, 0)
    assert seen["copy"] == seen["routine's"] == failed
    assert seen["copy after reuse"] == failed
    assert seen["got after reuse"] == (0x48, WdfRequestTypeNoFormat, STATUS_SUCCESS, 0, None, 0)


def test_get_completion_params_of_an_ioctl_after_it_completed():
    """The copy carries the IOCTL fields (FxIoTargetFormatIoctl, targets/general/
    fxiotargetapi.cpp) and the output length CopyParameters filled in."""
    machine, target, request, memory = target_and_request()
    status, inMemory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "tseT", 4)
    WdfIoTargetFormatRequestForIoctl(target, request, 0x222000, inMemory, None, memory, None)
    WdfRequestSend(request, target, None)
    machine.advance(1)
    params = got(request)
    ioctl = params.Parameters.Ioctl
    assert (params.Type, params.IoStatus.Status) == (IRP_MJ_DEVICE_CONTROL, STATUS_SUCCESS)
    assert (ioctl.IoControlCode, ioctl.Input.Buffer, ioctl.Output.Buffer) == (
        0x222000,
        inMemory,
        memory,
    )
    assert ioctl.Output.Length == params.IoStatus.Information


def test_get_completion_params_without_a_context_initialises_params():
    """A request no WdfIoTargetFormatRequest… formatted has no m_RequestContext:
    CopyCompletionParams traces, breaks under Verifier and runs
    WDF_REQUEST_COMPLETION_PARAMS_INIT on Params."""
    machine, target, request, memory = target_and_request()
    params = WDF_REQUEST_COMPLETION_PARAMS(Type=IRP_MJ_READ)
    params.IoStatus = IO_STATUS_BLOCK(STATUS_IO_DEVICE_ERROR, 5)
    WdfRequestGetCompletionParams(request, params)
    assert params_seen(params) == (0x48, WdfRequestTypeNoFormat, STATUS_SUCCESS, 0, None, 0)
    assert "will not return valid information" in "\n".join(machine.log_lines())


def test_get_completion_params_with_a_wrong_size_fills_nothing():
    """WdfRequestGetCompletionParams checks Params->Size first: a wrong one is a debug break
    and nothing is copied."""
    machine, target, request, memory = target_and_request()
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    params = got(request, size=0)
    assert (params.Size, params.Type) == (0, WdfRequestTypeNoFormat)
    assert "Params Size 0x0, expected 0x48" in "\n".join(machine.log_lines())


def test_get_completion_params_bad_arguments():
    """FxPointerNotNull: NULL Params is 0x10D / WDF_REQUIRED_PARAMETER_IS_NULL (0x4); a handle
    that is not a WDFREQUEST is 0x10D / 0x5 (FxObjectHandleGetPtrAndGlobals); a value that is
    not the structure is a TypeError naming the DDI."""
    machine, target, request, memory = target_and_request()
    with pytest.raises(TypeError, match="WdfRequestGetCompletionParams: Params"):
        WdfRequestGetCompletionParams(request, {})
    with pytest.raises(TypeError, match="WDF_REQUEST_COMPLETION_PARAMS_INIT: Params"):
        WDF_REQUEST_COMPLETION_PARAMS_INIT(WDF_REQUEST_REUSE_PARAMS())
    with pytest.raises(BugCheck):
        WdfRequestGetCompletionParams(request, None)
    assert (machine.bugcheck.code, machine.bugcheck.parameters[0]) == (0x10D, 0x4)
    machine, target, request, memory = target_and_request()
    params = WDF_REQUEST_COMPLETION_PARAMS()
    with pytest.raises(BugCheck):
        WdfRequestGetCompletionParams(memory, params)  # a WDFMEMORY, not a WDFREQUEST
    assert (machine.bugcheck.code, machine.bugcheck.parameters[0]) == (0x10D, 0x5)


# -- zero-length METHOD_NEITHER from user mode -----------------------------------------------------
def test_zero_length_user_method_neither_is_buffer_too_small():
    """FxRequest::GetMemoryObject and GetDeviceControlOutputMemoryObject (core/fxrequest.cpp)
    test the zero length before the METHOD_NEITHER requestor-mode check: a zero-length user-mode
    METHOD_NEITHER IOCTL gives STATUS_BUFFER_TOO_SMALL, not STATUS_INVALID_DEVICE_REQUEST."""
    seen = {}

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
        seen["in"] = WdfRequestRetrieveInputMemory(Request)[0]
        seen["out"] = WdfRequestRetrieveOutputMemory(Request)[0]
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = driver(EvtIoDeviceControl=EvtIoDeviceControl)
    machine.application().DeviceIoControl(IOCTL_NEITHER, b"", None)
    assert seen == {"in": STATUS_BUFFER_TOO_SMALL, "out": STATUS_BUFFER_TOO_SMALL}
    machine.application().DeviceIoControl(IOCTL_NEITHER, b"in", bytearray(4))
    assert seen == {"in": STATUS_INVALID_DEVICE_REQUEST, "out": STATUS_INVALID_DEVICE_REQUEST}


# -- framework-facility statuses at completion -----------------------------------------------------
@pytest.mark.parametrize(
    "status, completed_with",
    [
        (STATUS_WDF_QUEUED, STATUS_INVALID_DEVICE_REQUEST),  # informational 0x40200000
        (STATUS_WDF_PAUSED, STATUS_DEVICE_BUSY),
        (STATUS_WDF_INTERNAL_ERROR, STATUS_INTERNAL_ERROR),
        (STATUS_WDF_TOO_FRAGMENTED, STATUS_INVALID_DEVICE_REQUEST),
        (STATUS_IO_DEVICE_ERROR, STATUS_IO_DEVICE_ERROR),  # another facility: unchanged
    ],
)
def test_framework_facility_statuses_are_mapped_at_completion(status, completed_with):
    """FxRequest::CompleteInternal (core/fxrequest.cpp) tests (Status & 0x0FFF0000) ==
    FACILITY_DRIVER_FRAMEWORK << 16 — the facility only, whatever the severity — and maps the
    status; an informational one such as STATUS_WDF_QUEUED becomes
    STATUS_INVALID_DEVICE_REQUEST (the switch's default)."""

    def EvtIoRead(Queue, Request, Length):
        WdfRequestComplete(Request, status)

    machine = driver(EvtIoRead=EvtIoRead)
    assert machine.application().ReadFile(bytearray(4)).Status == completed_with


def test_information_is_checked_against_the_drivers_status_not_the_mapped_one():
    """VerifyCompleteInternal runs on the status the driver passed, before CompleteInternal maps
    a framework-facility status (core/fxrequest.cpp): STATUS_WDF_QUEUED is a success code, so
    an over-long Information is 0x10D / 0x6 / 0x4 although the IRP would fail."""

    def EvtIoRead(Queue, Request, Length):
        WdfRequestCompleteWithInformation(Request, STATUS_WDF_QUEUED, Length + 1)

    machine = driver(EvtIoRead=EvtIoRead)
    with pytest.raises(BugCheck) as crash:
        machine.application().ReadFile(bytearray(4))
    assert crash.value.parameters[:2] == (0x6, 0x4)


# -- no PASSIVE_LEVEL Verifier check of its own in a synchronous WdfRequestSend --------------------
def test_synchronous_wdfrequestsend_has_no_verifier_irql_check():
    """WdfRequestSend (core/fxrequestapi.cpp) goes straight to FxIoTarget::SubmitSync
    (targets/general/fxiotarget.cpp) for WDF_REQUEST_SEND_OPTION_SYNCHRONOUS: no
    FxVerifierCheckIrqlLevel, so no STATUS_INVALID_DEVICE_REQUEST from Verifier (the
    WdfIoTargetSend…Synchronously methods do have one, fxiotargetapi.cpp).  The wait itself
    (KeWaitForSingleObject) needs IRQL <= APC_LEVEL; wdfkit refuses to simulate it above."""
    machine, target, request, memory = target_and_request()
    options = WDF_REQUEST_SEND_OPTIONS()
    WDF_REQUEST_SEND_OPTIONS_INIT(options, WDF_REQUEST_SEND_OPTION_SYNCHRONOUS)
    machine.irql = APC_LEVEL
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    assert WdfRequestSend(request, target, options) is True
    assert WdfRequestGetStatus(request) == STATUS_SUCCESS
    assert not any("above 0" in line for line in machine.log_lines())
    desc = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(desc, memory, None)
    assert WdfIoTargetSendReadSynchronously(target, None, desc, None, None)[0] == (
        STATUS_INVALID_DEVICE_REQUEST
    )
    machine.irql = DISPATCH_LEVEL
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    with pytest.raises(RuntimeError, match="APC_LEVEL"):
        WdfRequestSend(request, target, options)
    machine.irql = PASSIVE_LEVEL


def test_a_refused_send_synchronously_has_already_released_the_earlier_format():
    """FxIoTargetSendIo (targets/general/fxiotargetapi.cpp) builds its FxSyncRequest before it
    checks the IRQL, the options and the descriptors; the FxSyncRequest constructor
    (core/fxsyncrequest.cpp) calls ReleaseAndRestore on the driver's request and gives it the
    stack context, which ~FxSyncRequest clears.  So a WdfIoTargetSendReadSynchronously refused
    at APC_LEVEL has already dropped the earlier format's reference on the memory."""
    machine, target, request, memory = target_and_request()
    WdfIoTargetFormatRequestForRead(target, request, memory, None, None)
    before = machine.snapshot().objects
    held = next(o.refcnt for o in before if o.handle == memory.value)
    KeRaiseIrql(APC_LEVEL)
    descriptor = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(descriptor, memory, None)
    status, _ = WdfIoTargetSendReadSynchronously(target, request, descriptor, None, None)
    assert status == STATUS_INVALID_DEVICE_REQUEST
    after = next(o.refcnt for o in machine.snapshot().objects if o.handle == memory.value)
    assert after == held - 1
