"""wdfrequest.h: a request's memory, its completion, and requests the driver creates and reuses.

Mirrors: fxrequestapi.cpp (Retrieve*, Complete*, GetParameters, Create, Reuse, Send,
SetCompletionRoutine); fxrequest.cpp (FxRequest::CompleteInternal, FxRequest::Reuse).
"""

from dataclasses import dataclass, field

from ..fx.call import call, named
from ..fx.handles import FX_TYPE_IO_TARGET, FX_TYPE_REQUEST, WDFHANDLE, get_object
from ..fx.iotarget import WDF_REQUEST_COMPLETION_PARAMS, WdfRequestTypeNoFormat
from ..fx.object import attributes_parent
from ..fx.request import FxRequest
from ..fx.verifier import null_bugcheck, validate_object_attributes
from ..kernel.clock import TICKS_PER_SECOND
from ..kernel.ntstatus import (
    NT_SUCCESS,
    NTSTATUS,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_INVALID_DEVICE_STATE,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from . import _struct as ft
from ._entry import ddi, macro, size_t
from .wdfobject import WDF_OBJECT_ATTRIBUTES, attributes_arg

__all__ = [
    "WDF_NO_SEND_OPTIONS",
    "WDF_REL_TIMEOUT_IN_MS",
    "WDF_REL_TIMEOUT_IN_SEC",
    "WDF_REQUEST_COMPLETION_PARAMS",
    "WDF_REQUEST_PARAMETERS",
    "WDF_REQUEST_PARAMETERS_INIT",
    "WDF_REQUEST_REUSE_MUST_COMPLETE",
    "WDF_REQUEST_REUSE_NO_FLAGS",
    "WDF_REQUEST_REUSE_PARAMS",
    "WDF_REQUEST_REUSE_PARAMS_INIT",
    "WDF_REQUEST_REUSE_SET_NEW_IRP",
    "WDF_REQUEST_SEND_OPTIONS",
    "WDF_REQUEST_SEND_OPTIONS_INIT",
    "WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT",
    "WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE",
    "WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET",
    "WDF_REQUEST_SEND_OPTION_SYNCHRONOUS",
    "WDF_REQUEST_SEND_OPTION_TIMEOUT",
    "WdfRequestComplete",
    "WdfRequestCompleteWithInformation",
    "WdfRequestCreate",
    "WdfRequestFormatRequestUsingCurrentType",
    "WdfRequestGetFileObject",
    "WdfRequestGetInformation",
    "WdfRequestGetParameters",
    "WdfRequestGetStatus",
    "WdfRequestRetrieveInputBuffer",
    "WdfRequestRetrieveInputMemory",
    "WdfRequestRetrieveInputWdmMdl",
    "WdfRequestRetrieveOutputBuffer",
    "WdfRequestRetrieveOutputMemory",
    "WdfRequestRetrieveOutputWdmMdl",
    "WdfRequestReuse",
    "WdfRequestSend",
    "WdfRequestSetCompletionRoutine",
    "WdfRequestSetInformation",
    "WdfRequestTypeNoFormat",
]

WDF_NO_SEND_OPTIONS = None


def _request(machine, handle) -> FxRequest:
    return get_object(machine, handle, FX_TYPE_REQUEST, "Request")


# -- the request's own memory (FxRequest::GetMemoryObject) -----------------------------------------
@ddi
def WdfRequestRetrieveInputMemory(machine, Request: WDFHANDLE):
    """The request's input buffer as a WDFMEMORY: ``(status, Memory)``.

    STATUS_INVALID_DEVICE_REQUEST for a read, a user-mode METHOD_NEITHER IOCTL or (Verifier) a
    user-mode neither-I/O write; STATUS_BUFFER_TOO_SMALL for a zero-length input;
    STATUS_INTERNAL_ERROR (Verifier) once completed.  The memory's parent is the request: it
    dies when the request is completed.  A write's input memory is read-only.
    """
    status, memory = _request(machine, Request).memory("input")
    return status, None if memory is None else memory.handle


@ddi
def WdfRequestRetrieveOutputMemory(machine, Request: WDFHANDLE):
    """The request's output buffer as a WDFMEMORY: ``(status, Memory)``; statuses as for input
    memory, with a write refused instead of a read."""
    status, memory = _request(machine, Request).memory("output")
    return status, None if memory is None else memory.handle


@ddi
def WdfRequestRetrieveInputWdmMdl(machine, Request: WDFHANDLE):
    """The MDL describing the input buffer: ``(status, Mdl)``.

    Buffered I/O (and an IOCTL's input): an MDL the framework builds for the system buffer and
    frees at completion.  Direct I/O write: the I/O manager's MDL.  STATUS_INVALID_DEVICE_REQUEST
    for a read, METHOD_NEITHER or neither I/O; STATUS_BUFFER_TOO_SMALL for no buffer.
    Fidelity: fxrequestkm.cpp (FxRequest::GetMdl).
    """
    request = _request(machine, Request)
    return request.wdm_mdl("input")


@ddi
def WdfRequestRetrieveOutputWdmMdl(machine, Request: WDFHANDLE):
    """The MDL describing the output buffer: ``(status, Mdl)``.

    Direct I/O read, METHOD_IN_DIRECT / METHOD_OUT_DIRECT IOCTL: the I/O manager's MDL (not yet
    mapped).  Buffered: an MDL built for the system buffer.  STATUS_INVALID_DEVICE_REQUEST for a
    write, METHOD_NEITHER or neither I/O; STATUS_BUFFER_TOO_SMALL for no buffer.
    Fidelity: fxrequestkm.cpp (FxRequest::GetMdl, GetDeviceControlOutputMdl).
    """
    request = _request(machine, Request)
    return request.wdm_mdl("output")


def _retrieve_buffer(machine, Request, MinimumRequiredSize, which):
    request = _request(machine, Request)
    required = size_t("MinimumRequiredSize", MinimumRequiredSize)
    status, memory = request.memory(which)
    if not NT_SUCCESS(status):
        return status, None, 0
    if memory.size < required:
        return STATUS_BUFFER_TOO_SMALL, None, 0
    return STATUS_SUCCESS, memory.pointer(), memory.size


@ddi
def WdfRequestRetrieveInputBuffer(machine, Request: WDFHANDLE, MinimumRequiredSize: int):
    """The input buffer's address and length: ``(status, Buffer, Length)``.

    As WdfRequestRetrieveInputMemory, plus STATUS_BUFFER_TOO_SMALL (Buffer NULL, Length 0)
    when the buffer is shorter than *MinimumRequiredSize*.
    """
    return _retrieve_buffer(machine, Request, MinimumRequiredSize, "input")


@ddi
def WdfRequestRetrieveOutputBuffer(machine, Request: WDFHANDLE, MinimumRequiredSize: int):
    """The output buffer's address and length: ``(status, Buffer, Length)``."""
    return _retrieve_buffer(machine, Request, MinimumRequiredSize, "output")


@ft.fields(Length=ft.size_t, Key=ft.ULONG, DeviceOffset=ft.LONGLONG)
@dataclass
class WDF_REQUEST_PARAMETERS_READ_WRITE:
    Length: int = 0
    Key: int = 0
    DeviceOffset: int = 0


@ft.fields(
    OutputBufferLength=ft.size_t,
    InputBufferLength=ft.size_t,
    IoControlCode=ft.ULONG,
    Type3InputBuffer=ft.anything,
)
@dataclass
class WDF_REQUEST_PARAMETERS_IOCTL:
    OutputBufferLength: int = 0
    InputBufferLength: int = 0
    IoControlCode: int = 0
    Type3InputBuffer: object = None


@ft.fields(
    Read=ft.embedded(WDF_REQUEST_PARAMETERS_READ_WRITE),
    Write=ft.embedded(WDF_REQUEST_PARAMETERS_READ_WRITE),
    DeviceIoControl=ft.embedded(WDF_REQUEST_PARAMETERS_IOCTL),
)
@dataclass
class WDF_REQUEST_PARAMETERS_UNION:
    Read: WDF_REQUEST_PARAMETERS_READ_WRITE = field(
        default_factory=WDF_REQUEST_PARAMETERS_READ_WRITE
    )
    Write: WDF_REQUEST_PARAMETERS_READ_WRITE = field(
        default_factory=WDF_REQUEST_PARAMETERS_READ_WRITE
    )
    DeviceIoControl: WDF_REQUEST_PARAMETERS_IOCTL = field(
        default_factory=WDF_REQUEST_PARAMETERS_IOCTL
    )


@ft.fields(
    Size=ft.USHORT,
    MinorFunction=ft.UCHAR,
    Type=ft.ENUM,
    Parameters=ft.embedded(WDF_REQUEST_PARAMETERS_UNION),
)
@dataclass
class WDF_REQUEST_PARAMETERS:
    """A request's parameters: ``params.Parameters.Read.Length`` and so on."""

    Size: int = 0
    MinorFunction: int = 0
    Type: int = 0  # WDF_REQUEST_TYPE, numerically the IRP major function
    Parameters: WDF_REQUEST_PARAMETERS_UNION = field(default_factory=WDF_REQUEST_PARAMETERS_UNION)


WDF_REQUEST_PARAMETERS_SIZE = 0x38


@macro
def WDF_REQUEST_PARAMETERS_INIT(Parameters: WDF_REQUEST_PARAMETERS) -> None:
    """Zero the structure and set Size."""
    ft.struct_arg("Parameters", Parameters, WDF_REQUEST_PARAMETERS)
    Parameters.__init__(Size=WDF_REQUEST_PARAMETERS_SIZE)


@ddi
def WdfRequestGetParameters(machine, Request: WDFHANDLE, Parameters: WDF_REQUEST_PARAMETERS):
    """Fill *Parameters* (initialised with WDF_REQUEST_PARAMETERS_INIT) from the request."""
    request = _request(machine, Request)
    if Parameters is None:
        raise null_bugcheck(machine, "Parameters")
    if not isinstance(Parameters, WDF_REQUEST_PARAMETERS):
        raise TypeError(named("Parameters must be a WDF_REQUEST_PARAMETERS"))
    irp = request.irp
    WDF_REQUEST_PARAMETERS_INIT(Parameters)
    Parameters.Type = irp.major or 0
    p = Parameters.Parameters
    p.Read = WDF_REQUEST_PARAMETERS_READ_WRITE(irp.length, 0, irp.device_offset)
    p.Write = WDF_REQUEST_PARAMETERS_READ_WRITE(irp.length, 0, irp.device_offset)
    p.DeviceIoControl = WDF_REQUEST_PARAMETERS_IOCTL(
        irp.output_length, irp.input_length, irp.ioctl_code
    )


# -- completion (FxRequest::CompleteInternal) ------------------------------------------------------
@ddi
def WdfRequestComplete(machine, Request: WDFHANDLE, Status: int) -> None:
    """Complete a request the driver owns; its handle, memory handles and buffers die here.

    Bug checks: 0x10D/0x3 (P3 = count) when references on its memory are still held; with
    Verifier, 0x10D/0x6/0x4 when a successful read, write or user IOCTL reports more bytes
    than its buffer holds.  A driver-created request, or one already completed: a Verifier
    debug break, nothing done.
    """
    request = _request(machine, Request)
    request.complete(_ntstatus(Status))


@ddi
def WdfRequestCompleteWithInformation(
    machine, Request: WDFHANDLE, Status: int, Information: int
) -> None:
    """``WdfRequestSetInformation`` then ``WdfRequestComplete``."""
    request = _request(machine, Request)
    information = size_t("Information", Information)
    request.complete(_ntstatus(Status), information)


@ddi
def WdfRequestSetInformation(machine, Request: WDFHANDLE, Information: int) -> None:
    """Set IoStatus.Information: how many bytes the request moved."""
    request = _request(machine, Request)
    request.set_information(size_t("Information", Information))


@ddi
def WdfRequestGetInformation(machine, Request: WDFHANDLE) -> int:
    """IoStatus.Information."""
    return _request(machine, Request).irp.IoStatus.Information


@ddi
def WdfRequestGetStatus(machine, Request: WDFHANDLE) -> NTSTATUS:
    """IoStatus.Status: why a WdfRequestSend returned FALSE, or how a sent request ended."""
    return NTSTATUS(_request(machine, Request).irp.IoStatus.Status)


def _ntstatus(value) -> NTSTATUS:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(named(f"Status must be an NTSTATUS, not {type(value).__name__}"))
    return NTSTATUS(value)


# -- driver-created requests and reuse (FxRequest::_Create, FxRequest::Reuse) ----------------------
@ddi
def WdfRequestCreate(machine, RequestAttributes: WDF_OBJECT_ATTRIBUTES | None, IoTarget):
    """Create a request to send to a target: ``(status, Request)``.

    The parent defaults to the driver.  Delete it with WdfObjectDelete; never complete it.
    An attribute status (FxValidateObjectAttributes); STATUS_INVALID_DEVICE_STATE for an *IoTarget*
    that is closed (a remote target never opened, or closed again); STATUS_DELETE_PENDING;
    STATUS_INSUFFICIENT_RESOURCES.
    Bug checks: 0x10D/0x5 for a bad IoTarget; for a bad ParentObject, first thing when
    *IoTarget* is NULL, else once the attributes are valid (FxObject::Commit).

    Fidelity: fxrequestapi.cpp (WdfRequestCreate: the target handle, or else the
    ParentObject's globals), fxrequest.cpp (FxRequest::_Create: FxValidateObjectAttributes
    with no options, the allocation, FxRequestBase::ValidateTarget — fxrequestbase.cpp: a
    target whose stack size is 0, closed, is STATUS_INVALID_DEVICE_STATE — then Commit with
    the driver as default parent).  Simplified: KMDF allocates the request before
    ValidateTarget and frees it again; wdfkit refuses the closed target first, so with pool
    exhausted too it answers STATUS_INVALID_DEVICE_STATE where KMDF answers
    STATUS_INSUFFICIENT_RESOURCES.
    """
    attributes = attributes_arg("RequestAttributes", RequestAttributes)
    target = None
    if IoTarget is not None:
        target = get_object(machine, IoTarget, FX_TYPE_IO_TARGET, "IoTarget")
    elif attributes is not None and attributes.ParentObject is not None:
        attributes_parent(machine, attributes)  # FxObjectHandleGetGlobals: whatever the Size
    status = validate_object_attributes(attributes)
    if not NT_SUCCESS(status):
        return status, None
    if target is not None and target.closed:
        return STATUS_INVALID_DEVICE_STATE, None
    status, request = FxRequest.create(machine, attributes, None, None, None)
    return status, request and request.handle


WDF_REQUEST_REUSE_NO_FLAGS = 0x0
WDF_REQUEST_REUSE_SET_NEW_IRP = 0x1
WDF_REQUEST_REUSE_MUST_COMPLETE = 0x2
WDF_REQUEST_REUSE_PARAMS_SIZE = 0x18


@ft.fields(Size=ft.ULONG, Flags=ft.ULONG, Status=ft.NTSTATUS_FIELD, NewIrp=ft.anything)
@dataclass
class WDF_REQUEST_REUSE_PARAMS:
    Size: int = 0
    Flags: int = 0
    Status: int = 0
    NewIrp: object = None


@macro
def WDF_REQUEST_REUSE_PARAMS_INIT(Params: WDF_REQUEST_REUSE_PARAMS, Flags: int, Status: int):
    """Zero *Params*, set Size, Flags and the Status the reused request starts with."""
    ft.struct_arg("Params", Params, WDF_REQUEST_REUSE_PARAMS)
    Params.__init__(Size=WDF_REQUEST_REUSE_PARAMS_SIZE, Flags=Flags, Status=Status)


@ddi
def WdfRequestReuse(machine, Request: WDFHANDLE, ReuseParams: WDF_REQUEST_REUSE_PARAMS):
    """Make a request ready to send again: drop the format's references, clear the routine.

    Returns STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a bad Size or unknown flags;
    STATUS_WDF_REQUEST_INVALID_STATE for SET_NEW_IRP on a request from a queue — after the
    routine is cleared and the format's references released, as FxRequest::Reuse
    (fxrequest.cpp) does both before it looks at the flag.
    """
    request = _request(machine, Request)
    if ReuseParams is None:
        raise null_bugcheck(machine, "ReuseParams")
    if not isinstance(ReuseParams, WDF_REQUEST_REUSE_PARAMS):
        raise TypeError(named("ReuseParams must be a WDF_REQUEST_REUSE_PARAMS"))
    if ReuseParams.Size != WDF_REQUEST_REUSE_PARAMS_SIZE:
        return STATUS_INVALID_PARAMETER
    if ReuseParams.Flags & ~(WDF_REQUEST_REUSE_SET_NEW_IRP | WDF_REQUEST_REUSE_MUST_COMPLETE):
        return STATUS_INVALID_PARAMETER
    new_irp = bool(ReuseParams.Flags & WDF_REQUEST_REUSE_SET_NEW_IRP)
    if new_irp and request.queue is None:
        raise ValueError(named("wdfkit does not simulate supplying a new IRP"))
    return request.reuse(ReuseParams.Status, new_irp)


@ddi
def WdfRequestSetCompletionRoutine(
    machine, Request: WDFHANDLE, CompletionRoutine, CompletionContext=None
) -> None:
    """Register ``CompletionRoutine(Request, Target, Params, Context)``; None removes it.

    It is called once: completing the send clears it (CompleteSubmitted), so set it again
    before every send.
    """
    request = _request(machine, Request)
    if CompletionRoutine is not None and not callable(CompletionRoutine):
        raise TypeError(named("CompletionRoutine must be callable"))
    request.completion_routine = CompletionRoutine
    request.completion_context = CompletionContext


@ddi
def WdfRequestFormatRequestUsingCurrentType(machine, Request: WDFHANDLE) -> None:
    """Format a request to go down as it came in: same type, same buffers.

    Copies the current stack location to the next and sets Verifier's formatted mark, nothing
    more: no request context is made and nothing an earlier format referenced is released, so
    send-and-forget after it is allowed, and the completion routine sees ``Type =
    WdfRequestTypeNoFormat``, zeroed ``Parameters`` and the ``IoStatus``.
    Fidelity: fxrequestapi.cpp (WdfRequestFormatRequestUsingCurrentType), fxrequestapi.cpp
    (WdfRequestSend: HasContext), fxrequestbase.cpp (CompleteSubmittedNoContext).  Simplified:
    KMDF bug-checks a request with no IRP or no stack location left (0x10D/0x6); wdfkit models
    no stack locations.
    """
    _request(machine, Request).format_using_current_type()


# -- sending (FxIoTarget::SubmitLocked, SubmitSync) ------------------------------------------------
# WDF_REQUEST_SEND_OPTIONS_FLAGS
WDF_REQUEST_SEND_OPTION_TIMEOUT = 0x1
WDF_REQUEST_SEND_OPTION_SYNCHRONOUS = 0x2
WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE = 0x4
WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET = 0x8
WDF_REQUEST_SEND_OPTIONS_SIZE = 0x10
_SEND_FLAGS = 0xF


@ft.fields(Size=ft.ULONG, Flags=ft.ULONG, Timeout=ft.LONGLONG)
@dataclass
class WDF_REQUEST_SEND_OPTIONS:
    Size: int = 0
    Flags: int = 0
    Timeout: int = 0  # 100 ns units: negative relative, positive absolute


@macro
def WDF_REQUEST_SEND_OPTIONS_INIT(Options: WDF_REQUEST_SEND_OPTIONS, Flags: int) -> None:
    """Zero *Options*, set Size and *Flags* (WDF_REQUEST_SEND_OPTION_…)."""
    ft.struct_arg("Options", Options, WDF_REQUEST_SEND_OPTIONS)
    Options.__init__(Size=WDF_REQUEST_SEND_OPTIONS_SIZE, Flags=Flags)


@macro
def WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT(Options: WDF_REQUEST_SEND_OPTIONS, Timeout: int) -> None:
    """Add WDF_REQUEST_SEND_OPTION_TIMEOUT to the flags and set *Timeout* (100 ns units)."""
    ft.struct_arg("Options", Options, WDF_REQUEST_SEND_OPTIONS)
    Options.Timeout = Timeout  # checked (a LONGLONG) before the flag is added
    Options.Flags |= WDF_REQUEST_SEND_OPTION_TIMEOUT


def _relative(Time, ticks_per_unit: int) -> int:
    """wdfcore.h (1.33): ``Time * -1 * WDF_TIMEOUT_TO_…`` with Time a ULONGLONG, returned as a
    LONGLONG.  C would wrap a product past LONGLONG silently; wdfkit says so instead."""
    if isinstance(Time, bool) or not isinstance(Time, int):
        raise TypeError(named(f"Time must be an int, not {type(Time).__name__}"))
    if Time < 0:
        raise ValueError(named(f"Time must be ≥ 0 (it is unsigned in C), got {Time}"))
    if Time * ticks_per_unit > 1 << 63:
        raise ValueError(named(f"Time {Time} is too long: the timeout must fit a LONGLONG"))
    return -Time * ticks_per_unit


@macro
def WDF_REL_TIMEOUT_IN_MS(Time: int) -> int:
    """A relative timeout of *Time* milliseconds, in 100 ns units (negative: relative)."""
    return _relative(Time, 10_000)


@macro
def WDF_REL_TIMEOUT_IN_SEC(Time: int) -> int:
    """A relative timeout of *Time* seconds, in 100 ns units (negative: relative)."""
    return _relative(Time, TICKS_PER_SECOND)


def send_options(machine, Options: str, bad_size=STATUS_INVALID_PARAMETER):
    """Validate options: ``(status, flags, timeout_ticks or None)``.

    A wrong Size gives *bad_size*: WdfRequestSend stores STATUS_INVALID_PARAMETER, the
    synchronous target methods return the validator's STATUS_INFO_LENGTH_MISMATCH.
    """
    if Options is None:
        return STATUS_SUCCESS, 0, None
    if not isinstance(Options, WDF_REQUEST_SEND_OPTIONS):
        raise TypeError(named("Options must be WDF_REQUEST_SEND_OPTIONS or None"))
    flags = Options.Flags
    if Options.Size != WDF_REQUEST_SEND_OPTIONS_SIZE:
        return bad_size, 0, None
    if flags & ~_SEND_FLAGS or (
        flags & WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET
        and flags != WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET
    ):
        machine.trace("Verifier: %s: invalid send options (debug break)", call.ddi)
        return STATUS_INVALID_PARAMETER, 0, None
    timeout = None
    if flags & WDF_REQUEST_SEND_OPTION_TIMEOUT and Options.Timeout:
        t = Options.Timeout
        timeout = -t if t < 0 else max(0, t - machine.clock.ticks)
    return STATUS_SUCCESS, flags, timeout


@ddi
def WdfRequestSend(machine, Request: WDFHANDLE, Target: WDFHANDLE, Options) -> bool:
    """Send a formatted request to *Target*; TRUE if sent (or queued to a stopped target).

    FALSE leaves the reason in WdfRequestGetStatus: STATUS_INVALID_PARAMETER (bad options),
    STATUS_INVALID_DEVICE_REQUEST (a queue request sent asynchronously with no completion
    routine, or send-and-forget after a format), STATUS_INVALID_DEVICE_STATE (target closed, or
    send-and-forget of a driver-created request), STATUS_REQUEST_NOT_ACCEPTED (Verifier: not
    formatted since its last completion).  Synchronous: run until it completes, calling the
    completion routine (if set) before returning, as KMDF does for this DDI; a timeout gives
    STATUS_IO_TIMEOUT.  The routine runs once: the completion clears it.  KMDF has no IRQL
    check of its own for a synchronous send (fxrequestapi.cpp WdfRequestSend, fxiotarget.cpp
    SubmitSync); the wait needs IRQL ≤ APC_LEVEL and wdfkit refuses to simulate one above it.

    Bug check: 0x10D/0x6/0x3 when the request is still outstanding on a target.
    """
    request = _request(machine, Request)
    target = get_object(machine, Target, FX_TYPE_IO_TARGET, "Target")
    status, flags, timeout = send_options(machine, Options)
    if not NT_SUCCESS(status):
        request.set_status(status)
        return False
    machine.trace("%s(%r, %r)", call.ddi, request.handle, target.handle)
    status = target.send(request, flags, timeout, call.ddi)
    if status is not None:
        request.set_status(status)
        return False
    return True


# -- the request's file object (FxRequest::GetFileObject) -----------------------------------------
@ddi
def WdfRequestGetFileObject(machine, Request: WDFHANDLE) -> WDFHANDLE | None:
    """The WDFFILEOBJECT of the open the request was sent on, or None (NULL).

    NULL when the device has no file objects (its class is WdfFileObjectNotRequired: no file
    object configuration), for a request the driver created itself, with KMDF Verifier for a
    request the driver does not own or that is completed, and when the file object is not
    found (a debug break, unless the class is WdfFileObjectCanBeOptional).
    Bug checks: 0x10D / WDF_INVALID_HANDLE (0x5) for a bad handle.
    Fidelity: fxrequestapi.cpp (WdfRequestGetFileObject: VerifyRequestIsDriverOwned, ≥ 1.9),
    fxrequest.cpp (FxRequest::GetFileObject: VerifyRequestIsNotCompleted under FxVerifierIO,
    then FxFileObject::_GetFileObjectFromWdm, fxfileobject.cpp).
    """
    request = _request(machine, Request)
    if machine.kmdf_verifier and (not request.owned or request.completed):
        machine.trace("KMDF Verifier: %r is not owned by the driver (debug break)", Request)
        return None
    wdm = request.irp.FileObject
    if wdm is None or request.queue is None:  # a driver-created request
        return None
    file_object = request.queue.device.general.lookup(wdm)
    return None if file_object is None else file_object.handle
