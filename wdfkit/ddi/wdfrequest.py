"""wdfrequest.h: a request's memory, its completion, cancellation, its queue, and requests the
driver creates and reuses.

Mirrors: fxrequestapi.cpp (Retrieve*, Complete*, GetParameters, Create, Reuse, Send,
SetCompletionRoutine, RetrieveUnsafeUser*, ProbeAndLockUserBufferFor*, GetRequestorMode,
MarkCancelable(Ex), UnmarkCancelable, IsCanceled, StopAcknowledge, GetIoQueue, ForwardToIoQueue);
fxrequest.cpp (FxRequest::CompleteInternal, FxRequest::Reuse, StopAcknowledge); fxrequestkm.cpp
(ProbeAndLock*); fxioqueue.cpp (FxIoQueue::RequestCancelable, ForwardRequest).
"""

from dataclasses import dataclass, field

from ..fx.call import call, named
from ..fx.handles import FX_TYPE_IO_TARGET, FX_TYPE_QUEUE, FX_TYPE_REQUEST, WDFHANDLE, get_object
from ..fx.iotarget import (
    WDF_REQUEST_COMPLETION_PARAMS,
    WdfRequestTypeNoFormat,
    context_completion_params,
    copy_completion_params,
)
from ..fx.object import attributes_parent
from ..fx.queue import (
    STOP_ACTION_PURGE,
    STOP_ACTION_SUSPEND,
    STOP_REQUEST_CANCELABLE,
    FxIoQueue,
    request_ownership_check,
)
from ..fx.request import FxRequest
from ..fx.requestmemory import probe_and_lock
from ..fx.verifier import check_irql, null_bugcheck, validate_object_attributes
from ..kernel.irp import (
    DO_BUFFERED_IO,
    DO_DIRECT_IO,
    IO_STATUS_BLOCK,
    IOCTL_MAJORS,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
    METHOD_NEITHER,
    UserMode,
)
from ..kernel.ntstatus import (
    NT_SUCCESS,
    NTSTATUS,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_DEVICE_STATE,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from ..kernel.pointer import PVOID
from ..kernel.pool import PASSIVE_LEVEL
from . import _struct as ft
from ._entry import callback, ddi, macro, pointer, size_t
from .wdfobject import WDF_OBJECT_ATTRIBUTES, attributes_arg

__all__ = [
    "WDF_NO_SEND_OPTIONS",
    "WDF_REQUEST_COMPLETION_PARAMS",
    "WDF_REQUEST_COMPLETION_PARAMS_INIT",
    "WDF_REQUEST_COMPLETION_PARAMS_SIZE",
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
    "WdfRequestForwardToIoQueue",
    "WdfRequestGetCompletionParams",
    "WdfRequestGetFileObject",
    "WdfRequestGetInformation",
    "WdfRequestGetIoQueue",
    "WdfRequestGetParameters",
    "WdfRequestGetRequestorMode",
    "WdfRequestGetStatus",
    "WdfRequestIsCanceled",
    "WdfRequestMarkCancelable",
    "WdfRequestMarkCancelableEx",
    "WdfRequestProbeAndLockUserBufferForRead",
    "WdfRequestProbeAndLockUserBufferForWrite",
    "WdfRequestRetrieveInputBuffer",
    "WdfRequestRetrieveInputMemory",
    "WdfRequestRetrieveInputWdmMdl",
    "WdfRequestRetrieveOutputBuffer",
    "WdfRequestRetrieveOutputMemory",
    "WdfRequestRetrieveOutputWdmMdl",
    "WdfRequestRetrieveUnsafeUserInputBuffer",
    "WdfRequestRetrieveUnsafeUserOutputBuffer",
    "WdfRequestReuse",
    "WdfRequestSend",
    "WdfRequestSetCompletionRoutine",
    "WdfRequestSetInformation",
    "WdfRequestStopAcknowledge",
    "WdfRequestStopActionInvalid",
    "WdfRequestStopActionPurge",
    "WdfRequestStopActionSuspend",
    "WdfRequestStopRequestCancelable",
    "WdfRequestTypeCleanup",
    "WdfRequestTypeClose",
    "WdfRequestTypeCreate",
    "WdfRequestTypeCreateMailSlot",
    "WdfRequestTypeCreateNamedPipe",
    "WdfRequestTypeDeviceChange",
    "WdfRequestTypeDeviceControl",
    "WdfRequestTypeDeviceControlInternal",
    "WdfRequestTypeDirectoryControl",
    "WdfRequestTypeFileSystemControl",
    "WdfRequestTypeFlushBuffers",
    "WdfRequestTypeLockControl",
    "WdfRequestTypeMax",
    "WdfRequestTypeNoFormat",
    "WdfRequestTypeOther",
    "WdfRequestTypePnp",
    "WdfRequestTypePower",
    "WdfRequestTypeQueryEA",
    "WdfRequestTypeQueryInformation",
    "WdfRequestTypeQueryQuota",
    "WdfRequestTypeQuerySecurity",
    "WdfRequestTypeQueryVolumeInformation",
    "WdfRequestTypeRead",
    "WdfRequestTypeSetEA",
    "WdfRequestTypeSetInformation",
    "WdfRequestTypeSetQuota",
    "WdfRequestTypeSetSecurity",
    "WdfRequestTypeSetVolumeInformation",
    "WdfRequestTypeShutdown",
    "WdfRequestTypeSystemControl",
    "WdfRequestTypeUsb",
    "WdfRequestTypeWrite",
    "WdfRequestUnmarkCancelable",
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


# -- WDF_REQUEST_TYPE and WDF_REQUEST_PARAMETERS (FxRequest::GetParameters) ---------------------
# WDF_REQUEST_TYPE (wdfrequest.h): numerically the IRP's major function code.
WdfRequestTypeCreate = 0x0
WdfRequestTypeCreateNamedPipe = 0x1
WdfRequestTypeClose = 0x2
WdfRequestTypeRead = 0x3
WdfRequestTypeWrite = 0x4
WdfRequestTypeQueryInformation = 0x5
WdfRequestTypeSetInformation = 0x6
WdfRequestTypeQueryEA = 0x7
WdfRequestTypeSetEA = 0x8
WdfRequestTypeFlushBuffers = 0x9
WdfRequestTypeQueryVolumeInformation = 0xA
WdfRequestTypeSetVolumeInformation = 0xB
WdfRequestTypeDirectoryControl = 0xC
WdfRequestTypeFileSystemControl = 0xD
WdfRequestTypeDeviceControl = 0xE
WdfRequestTypeDeviceControlInternal = 0xF
WdfRequestTypeShutdown = 0x10
WdfRequestTypeLockControl = 0x11
WdfRequestTypeCleanup = 0x12
WdfRequestTypeCreateMailSlot = 0x13
WdfRequestTypeQuerySecurity = 0x14
WdfRequestTypeSetSecurity = 0x15
WdfRequestTypePower = 0x16
WdfRequestTypeSystemControl = 0x17
WdfRequestTypeDeviceChange = 0x18
WdfRequestTypeQueryQuota = 0x19
WdfRequestTypeSetQuota = 0x1A
WdfRequestTypePnp = 0x1B
WdfRequestTypeOther = 0x1C
WdfRequestTypeUsb = 0x40
WdfRequestTypeMax = 0x100  # one past WdfRequestTypeNoFormat (0xFF, in wdfkit.fx.iotarget)


def _pointer_sized(struct: str, name: str, value):
    """A pointer-sized slot of the union read as a pointer: NULL (None), a PVOID, or the raw
    value as an int (what a length or code reads as through a pointer-typed view)."""
    if value is None or isinstance(value, PVOID):
        return value
    return ft.size_t(struct, name, value)


@ft.fields(
    SecurityContext=_pointer_sized,
    Options=ft.ULONG,
    FileAttributes=ft.USHORT,
    ShareAccess=ft.USHORT,
    EaLength=ft.ULONG,
)
@dataclass
class WDF_REQUEST_PARAMETERS_CREATE:
    """Parameters.Create: ``Options`` holds the create disposition in its top byte and the
    create options below it, as IRP_MJ_CREATE's stack location does."""

    SecurityContext: object = None
    Options: int = 0
    FileAttributes: int = 0
    ShareAccess: int = 0
    EaLength: int = 0


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


@ft.fields(Arg1=_pointer_sized, Arg2=_pointer_sized, IoControlCode=ft.ULONG, Arg4=_pointer_sized)
@dataclass
class WDF_REQUEST_PARAMETERS_OTHERS:
    """Parameters.Others: the union's four pointer-sized slots read raw (wdfkit gives Arg1 and
    Arg2 as ints)."""

    Arg1: object = 0
    Arg2: object = 0
    IoControlCode: int = 0
    Arg4: object = None


@ft.fields(
    Create=ft.embedded(WDF_REQUEST_PARAMETERS_CREATE),
    Read=ft.embedded(WDF_REQUEST_PARAMETERS_READ_WRITE),
    Write=ft.embedded(WDF_REQUEST_PARAMETERS_READ_WRITE),
    DeviceIoControl=ft.embedded(WDF_REQUEST_PARAMETERS_IOCTL),
    Others=ft.embedded(WDF_REQUEST_PARAMETERS_OTHERS),
)
@dataclass
class WDF_REQUEST_PARAMETERS_UNION:
    """The union of the five views, in C order.  C overlays them on the same 32 bytes;
    WdfRequestGetParameters fills every view from those bytes, so each reads what C would
    (a read's ``DeviceIoControl.OutputBufferLength`` is its ``Read.Length``)."""

    Create: WDF_REQUEST_PARAMETERS_CREATE = field(default_factory=WDF_REQUEST_PARAMETERS_CREATE)
    Read: WDF_REQUEST_PARAMETERS_READ_WRITE = field(
        default_factory=WDF_REQUEST_PARAMETERS_READ_WRITE
    )
    Write: WDF_REQUEST_PARAMETERS_READ_WRITE = field(
        default_factory=WDF_REQUEST_PARAMETERS_READ_WRITE
    )
    DeviceIoControl: WDF_REQUEST_PARAMETERS_IOCTL = field(
        default_factory=WDF_REQUEST_PARAMETERS_IOCTL
    )
    Others: WDF_REQUEST_PARAMETERS_OTHERS = field(default_factory=WDF_REQUEST_PARAMETERS_OTHERS)


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


WDF_REQUEST_PARAMETERS_SIZE = 0x28  # 8 bytes of header, then the 32-byte union (x64)


@macro
def WDF_REQUEST_PARAMETERS_INIT(Parameters: WDF_REQUEST_PARAMETERS) -> None:
    """Zero the structure and set Size."""
    ft.struct_arg("Parameters", Parameters, WDF_REQUEST_PARAMETERS)
    Parameters.__init__(Size=WDF_REQUEST_PARAMETERS_SIZE)


def _stack_parameters(machine, irp) -> tuple:
    """The four pointer-sized slots of the IRP's current stack location's Parameters, as the
    I/O manager filled them for its major function (zero for one without parameters: close,
    cleanup).  A read or write: Length, Key (0), ByteOffset.  An IOCTL: the two lengths, the
    code, Type3InputBuffer — the caller's input pointer, which wdfkit knows only for
    METHOD_NEITHER; NULL there too for IRP_MJ_DEVICE_CONTROL when KMDF Verifier is on (it
    blanks the field so the driver does not use it in the normal path).  A create: no security
    context, and no options, attributes or share access (wdfkit's I/O manager keeps none)."""
    major = irp.major
    if major in (IRP_MJ_READ, IRP_MJ_WRITE):
        return irp.length, 0, irp.device_offset, None
    if major in IOCTL_MAJORS:
        address = irp.input[0]
        type3 = None
        if irp.method == METHOD_NEITHER and address is not None:
            if not (major == IRP_MJ_DEVICE_CONTROL and machine.kmdf_verifier):
                type3 = PVOID(address, machine)
        return irp.output_length, irp.input_length, irp.ioctl_code, type3
    return 0, 0, 0, None


@ddi
def WdfRequestGetParameters(machine, Request: WDFHANDLE, Parameters: WDF_REQUEST_PARAMETERS):
    """Fill *Parameters* (initialised with WDF_REQUEST_PARAMETERS_INIT) from the request: Size,
    Type (its WdfRequestType…, the IRP's major function), MinorFunction (0: wdfkit's IRPs have
    none) and the Parameters union, every view of it read from the same bytes.

    A wrong Size fills nothing (a Verifier debug break).  With KMDF Verifier on, a request the
    driver created has no current stack location to read: nothing is filled (a debug break);
    without Verifier KMDF reads past the IRP's stack, and wdfkit gives the major function of
    the driver's last format with zeroed parameters.
    Bug checks: 0x10D/0x5 for a bad Request, 0x10D/0x4 for NULL Parameters.
    Fidelity: fxrequestapi.cpp (WdfRequestGetParameters), fxrequest.cpp
    (FxRequest::GetParameters, VerifyRequestIsCurrentStackValid), fxrequestkm.cpp (the union
    is the stack location's Parameters, byte for byte).
    """
    request = _request(machine, Request)
    if Parameters is None:
        raise null_bugcheck(machine, "Parameters")
    if not isinstance(Parameters, WDF_REQUEST_PARAMETERS):
        raise TypeError(named("Parameters must be a WDF_REQUEST_PARAMETERS"))
    if Parameters.Size != WDF_REQUEST_PARAMETERS_SIZE:
        machine.trace(
            "%s: Params size %d incorrect, expected %d (%sdebug break)",
            call.ddi,
            Parameters.Size,
            WDF_REQUEST_PARAMETERS_SIZE,
            "Verifier " if machine.kmdf_verifier else "no ",
        )
        return
    irp = request.irp
    if request.queue is None:
        if machine.kmdf_verifier:
            machine.trace(
                "KMDF Verifier: the IRP of %r doesn't have a valid stack location (debug break)",
                request.handle,
            )
            return
        slots = (0, 0, 0, None)
    else:
        slots = _stack_parameters(machine, irp)
    Parameters.Type = irp.major or 0
    Parameters.MinorFunction = 0
    arg1, arg2, arg3, arg4 = slots
    eight = int(arg4 or 0) & 0xFFFFFFFF
    p = Parameters.Parameters
    p.Create = WDF_REQUEST_PARAMETERS_CREATE(
        arg1 or None, arg2 & 0xFFFFFFFF, arg3 & 0xFFFF, (arg3 >> 16) & 0xFFFF, eight
    )
    key, offset = arg2 & 0xFFFFFFFF, arg3 - (1 << 64) if arg3 >> 63 else arg3
    p.Read = WDF_REQUEST_PARAMETERS_READ_WRITE(arg1, key, offset)
    p.Write = WDF_REQUEST_PARAMETERS_READ_WRITE(arg1, key, offset)
    p.DeviceIoControl = WDF_REQUEST_PARAMETERS_IOCTL(arg1, arg2, arg3 & 0xFFFFFFFF, arg4)
    p.Others = WDF_REQUEST_PARAMETERS_OTHERS(arg1, arg2, arg3 & 0xFFFFFFFF, arg4)


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


WDF_REQUEST_COMPLETION_PARAMS_SIZE = 0x48  # sizeof(WDF_REQUEST_COMPLETION_PARAMS), x64


@macro
def WDF_REQUEST_COMPLETION_PARAMS_INIT(Params: WDF_REQUEST_COMPLETION_PARAMS) -> None:
    """Zero *Params*, set Size and ``Type = WdfRequestTypeNoFormat`` (wdfrequest.h)."""
    ft.struct_arg("Params", Params, WDF_REQUEST_COMPLETION_PARAMS)
    Params.__init__(
        Size=WDF_REQUEST_COMPLETION_PARAMS_SIZE,
        Type=WdfRequestTypeNoFormat,
        IoStatus=IO_STATUS_BLOCK(STATUS_SUCCESS, 0),
    )


@ddi
def WdfRequestGetCompletionParams(
    machine, Request: WDFHANDLE, Params: WDF_REQUEST_COMPLETION_PARAMS
) -> None:
    """Copy the request's completion params into *Params* (initialised with
    WDF_REQUEST_COMPLETION_PARAMS_INIT).

    A copy of the request context's own structure as it stands: after a send completed, what
    the completion routine was handed; after WdfRequestReuse, zeroes with ``Type =
    WdfRequestTypeNoFormat`` (ReleaseAndRestore → InitCompletionParams), after a new format its
    Type and buffers.  Being a copy, *Params* keeps its values when the request is reused
    later.  A request with no context (no WdfIoTargetFormatRequest… has formatted it) gets
    *Params* zeroed by WDF_REQUEST_COMPLETION_PARAMS_INIT, with a debug break under KMDF
    Verifier; a wrong Size fills nothing (a debug break).
    Bug checks: 0x10D/0x5 for a bad Request, 0x10D/0x4 for NULL Params.
    Fidelity: fxrequestapi.cpp (WdfRequestGetCompletionParams), fxrequest.hpp
    (FxRequest::CopyCompletionParams), fxrequestcontext.cpp (ReleaseAndRestore).
    """
    request = _request(machine, Request)
    if Params is None:
        raise null_bugcheck(machine, "Params")
    if not isinstance(Params, WDF_REQUEST_COMPLETION_PARAMS):
        raise TypeError(named("Params must be a WDF_REQUEST_COMPLETION_PARAMS"))
    verifier = "Verifier " if machine.kmdf_verifier else "no "
    if Params.Size != WDF_REQUEST_COMPLETION_PARAMS_SIZE:
        machine.trace(
            "%s: Params Size %#x, expected %#x (%sdebug break)",
            call.ddi,
            Params.Size,
            WDF_REQUEST_COMPLETION_PARAMS_SIZE,
            verifier,
        )
        return
    source = context_completion_params(request)
    if source is None:
        machine.trace(
            "%s will not return valid information if the request is not formatted using "
            "WdfIoTargetFormat… DDIs (%sdebug break)",
            call.ddi,
            verifier,
        )
        WDF_REQUEST_COMPLETION_PARAMS_INIT(Params)
        return
    copy_completion_params(Params, source)


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


# -- neither I/O: the requestor's own buffers (wdfkit.kernel.usermode) -----------------------------
@ddi
def WdfRequestGetRequestorMode(machine, Request: WDFHANDLE) -> int:
    """Irp->RequestorMode: UserMode for an application's request, KernelMode for a driver's.

    With KMDF Verifier (FxVerifierIO) a request already completed answers UserMode, with a
    debug break.  Fidelity: fxrequestapi.cpp, fxrequest.cpp (FxRequest::GetRequestorMode).
    """
    request = _request(machine, Request)
    if machine.kmdf_verifier and request.completed:  # VerifyRequestIsNotCompleted
        machine.trace("KMDF Verifier: %r is already completed (debug break)", request.handle)
        return UserMode
    return request.irp.requestor_mode


def _unsafe_buffer(machine, Request, MinimumRequiredLength, output: bool):
    """WdfRequestRetrieveUnsafeUserInputBuffer / OutputBuffer (fxrequestapi.cpp), in order."""
    request = _request(machine, Request)
    required = size_t("MinimumRequiredLength", MinimumRequiredLength)
    status = check_irql(machine, PASSIVE_LEVEL)
    if not NT_SUCCESS(status):
        return status, None, 0
    if machine.kmdf_verifier and not request.in_caller_context:  # VerifyRequestIsInCallerContext
        machine.trace(
            "KMDF Verifier: %s is valid only in EvtIoInCallerContext, %r (debug break)",
            call.ddi,
            request.handle,
        )
        return STATUS_INVALID_DEVICE_REQUEST, None, 0
    irp = request.irp
    major = irp.major
    if major in ((IRP_MJ_WRITE if output else IRP_MJ_READ), IRP_MJ_INTERNAL_DEVICE_CONTROL):
        return STATUS_INVALID_DEVICE_REQUEST, None, 0
    neither_io = request.queue is not None and not request.device_flags & (
        DO_BUFFERED_IO | DO_DIRECT_IO
    )
    if major == IRP_MJ_DEVICE_CONTROL and irp.method == METHOD_NEITHER:
        length = irp.output_length if output else irp.input_length
    elif major == (IRP_MJ_READ if output else IRP_MJ_WRITE) and neither_io:
        length = irp.length
    else:
        if not output:
            machine.trace("%s: only METHOD_NEITHER IOCTLs and writes (debug break)", call.ddi)
        return STATUS_INVALID_DEVICE_REQUEST, None, 0
    if length < required:
        return STATUS_BUFFER_TOO_SMALL, None, 0
    address = (irp.output if output else irp.input)[0]
    return STATUS_SUCCESS, None if address is None else PVOID(address, machine), length


@ddi
def WdfRequestRetrieveUnsafeUserInputBuffer(
    machine, Request: WDFHANDLE, MinimumRequiredLength: int
):
    """The requestor's own input buffer: ``(status, InputBuffer, Length)``.

    A METHOD_NEITHER IOCTL's Type3InputBuffer, or a neither-I/O write's Irp->UserBuffer: for a
    user-mode requestor an address valid only in its process, so use it (probe and lock it)
    in EvtIoInCallerContext; a kernel-mode requestor's is a kernel address.
    STATUS_INVALID_DEVICE_REQUEST above PASSIVE_LEVEL and outside EvtIoInCallerContext (both
    KMDF Verifier only, with a debug break), for a read or an internal IOCTL, and (with a debug
    break) any other request; STATUS_BUFFER_TOO_SMALL (NULL, 0) for a buffer shorter than
    *MinimumRequiredLength*.  A zero-length buffer asked for 0 bytes is STATUS_SUCCESS with
    NULL.  Without KMDF Verifier it answers outside the caller's context too — touching the
    address there faults (wdfkit.kernel.usermode).  Fidelity: fxrequestapi.cpp.
    """
    return _unsafe_buffer(machine, Request, MinimumRequiredLength, False)


@ddi
def WdfRequestRetrieveUnsafeUserOutputBuffer(
    machine, Request: WDFHANDLE, MinimumRequiredLength: int
):
    """The requestor's own output buffer: ``(status, OutputBuffer, Length)``: a METHOD_NEITHER
    IOCTL's or a neither-I/O read's Irp->UserBuffer.  As the input DDI, with a write refused
    instead of a read and no debug break for the other requests.  Fidelity: fxrequestapi.cpp.
    """
    return _unsafe_buffer(machine, Request, MinimumRequiredLength, True)


def _probe_and_lock(machine, Request, Buffer, Length, write: bool):
    request = _request(machine, Request)
    if Buffer is None:
        raise null_bugcheck(machine, "Buffer")
    buffer = pointer("Buffer", Buffer, machine)
    length = size_t("Length", Length)
    status = check_irql(machine, PASSIVE_LEVEL)
    if not NT_SUCCESS(status):
        return status, None
    if machine.kmdf_verifier and not request.driver_owned:  # VerifyRequestIsDriverOwned (≥ 1.9)
        machine.trace("KMDF Verifier: %r is not owned by the driver (debug break)", request.handle)
        return STATUS_INVALID_DEVICE_REQUEST, None
    status, memory = probe_and_lock(request, buffer.address, length, write)
    return status, None if memory is None else memory.handle


@ddi
def WdfRequestProbeAndLockUserBufferForRead(
    machine, Request: WDFHANDLE, Buffer: PVOID, Length: int
):
    """Lock the requestor's user buffer for reading and map it: ``(status, MemoryObject)``.

    Call it in EvtIoInCallerContext.  The WDFMEMORY (read-only) is a child of the request, its
    buffer a system-space address valid in any context until the request is completed, which
    unlocks the pages and deletes it.  STATUS_INVALID_USER_BUFFER for a Length of 0 (Length is
    taken as a ULONG); STATUS_ACCESS_VIOLATION for a range the requestor's process does not map
    (never mapped, past the buffer's pages, a kernel address), and — KMDF Verifier — outside
    the requestor's thread; STATUS_INVALID_DEVICE_REQUEST (KMDF Verifier) above PASSIVE_LEVEL
    or for a request the driver does not own; STATUS_INSUFFICIENT_RESOURCES.  Bug check
    0x10D/0x4 for a NULL Buffer.  Fidelity: fxrequestapi.cpp, fxrequestkm.cpp
    (ProbeAndLockForRead), fxrequestmemory.cpp; see wdfkit.fx.requestmemory.
    """
    return _probe_and_lock(machine, Request, Buffer, Length, False)


@ddi
def WdfRequestProbeAndLockUserBufferForWrite(
    machine, Request: WDFHANDLE, Buffer: PVOID, Length: int
):
    """As WdfRequestProbeAndLockUserBufferForRead, probing for writing (IoWriteAccess): a
    read-only user buffer is STATUS_ACCESS_VIOLATION; the memory is writable and what the
    driver writes reaches the requestor's buffer.  Fidelity: fxrequestkm.cpp
    (ProbeAndLockForWrite)."""
    return _probe_and_lock(machine, Request, Buffer, Length, True)


# -- cancellation and the request's queue (FxIoQueue::RequestCancelable, ForwardRequest) -----------
# WDF_REQUEST_STOP_ACTION_FLAGS: what EvtIoStop(Queue, Request, ActionFlags) is told.
WdfRequestStopActionInvalid = 0
WdfRequestStopActionSuspend = STOP_ACTION_SUSPEND  # the device is powering down
WdfRequestStopActionPurge = STOP_ACTION_PURGE  # the device or queue is being removed
WdfRequestStopRequestCancelable = STOP_REQUEST_CANCELABLE  # the request is marked cancelable


def _current_queue(request: FxRequest):
    """FxRequest::GetCurrentQueue: the queue the request belongs to now (it changes when it is
    forwarded).  None for a request the driver created, and for one given to
    EvtIoInCallerContext until WdfDeviceEnqueueRequest queues it: FxPkgIo::DispatchStep2 only
    remembers its queue (SetInternalContext); SetCurrentQueue comes with the queueing."""
    return None if request.in_caller_context else request.queue


def _cancelable_refused(machine, request: FxRequest, marking: bool) -> bool:
    """Whether WdfRequest(Un)MarkCancelable… refuses *request* (STATUS_INVALID_DEVICE_REQUEST):
    one in no queue (a debug break), and VerifyRequestCancelable (KMDF Verifier only): the
    driver must own the request, and it must not be marked cancelable already (marking) or
    must be (unmarking)."""
    if _current_queue(request) is None:
        machine.trace("%r belongs to no queue (debug break)", request.handle)
        return True
    if not machine.kmdf_verifier:
        return False
    why = None
    if not request.driver_owned:
        why = "is not owned by the driver"
    elif marking and request.cancelable:
        why = "is already cancelable: call WdfRequestUnmarkCancelable first"
    elif not marking and not request.cancelable:
        why = "is not cancelable"
    if why is None:
        return False
    machine.trace(
        "KMDF Verifier: %r %s: STATUS_INVALID_DEVICE_REQUEST (debug break)", request.handle, why
    )
    return True


def _io_queue(request: FxRequest) -> FxIoQueue:
    """The FxIoQueue a queue-presented request belongs to.  A create request's queue is the
    general package's internal manual queue (m_DefaultQueueForCreates), which KMDF makes an
    FxIoQueue and wdfkit does not (wdfkit.fx.fileobject): a ValueError naming the DDI."""
    queue = request.queue
    if not isinstance(queue, FxIoQueue):
        raise ValueError(
            named(
                f"{request.handle!r} is a create request: wdfkit does not model the framework's "
                "internal queue for creates, so it cannot be marked cancelable or forwarded"
            )
        )
    return queue


def _mark_cancelable(machine, Request, EvtRequestCancel, fail_if_cancelled: bool):
    request = _request(machine, Request)
    if EvtRequestCancel is None:
        raise null_bugcheck(machine, "EvtRequestCancel")
    routine = callback("EvtRequestCancel", EvtRequestCancel)
    if _cancelable_refused(machine, request, marking=True):
        return STATUS_INVALID_DEVICE_REQUEST
    if request.cancelable:  # without Verifier KMDF would insert it into the list twice
        raise ValueError(named(f"{request.handle!r} is already marked cancelable"))
    return _io_queue(request).mark_cancelable(request, routine, fail_if_cancelled)


@ddi
def WdfRequestMarkCancelable(machine, Request: WDFHANDLE, EvtRequestCancel) -> None:
    """Let the request be cancelled while the driver holds it: ``EvtRequestCancel(Request)``
    runs when its IRP is cancelled (CancelIo, CancelIoEx, closing the handle) or the queue is
    purged, under the queue's callback lock when it has a synchronization scope; it must
    complete the request.  If the IRP is cancelled already, EvtRequestCancel is called anyway
    (once the running callback returns, when called from one).  Before completing the
    request otherwise, call WdfRequestUnmarkCancelable.

    Bug checks: 0x10D/0x4 for a NULL EvtRequestCancel; 0x10D/0x5 for a bad handle.  Under
    KMDF Verifier, a request the driver does not own or one marked already is refused with a
    debug break (nothing happens).  A driver-created request, or one in EvtIoInCallerContext
    (not queued yet), belongs to no queue: refused (a debug break).
    Fidelity: fxrequestapi.cpp (WdfRequestMarkCancelable), fxioqueue.cpp
    (FxIoQueue::RequestCancelable with FailIfIrpIsCancelled FALSE, VerifyRequestCancelable,
    CancelForDriver, ProcessCancelledRequests).  Simplified: a request marked twice without
    Verifier is a ValueError (KMDF would corrupt its cancel-safe list); so is a create request
    (EvtDeviceFileCreate's), whose internal queue wdfkit does not model.
    """
    _mark_cancelable(machine, Request, EvtRequestCancel, fail_if_cancelled=False)


@ddi
def WdfRequestMarkCancelableEx(machine, Request: WDFHANDLE, EvtRequestCancel) -> int:
    """As WdfRequestMarkCancelable, but if the IRP is cancelled already (or a purge of the
    queue is cancelling what the driver holds) it answers STATUS_CANCELLED, does **not**
    call EvtRequestCancel, and leaves the request unmarked: the driver completes it with
    STATUS_CANCELLED itself.  STATUS_SUCCESS otherwise; STATUS_INVALID_DEVICE_REQUEST for a
    driver-created request, or under Verifier one the driver does not own or marked already.
    Fidelity: fxrequestapi.cpp (WdfRequestMarkCancelableEx), fxioqueue.cpp
    (FxIoQueue::RequestCancelable with FailIfIrpIsCancelled TRUE).
    """
    return _mark_cancelable(machine, Request, EvtRequestCancel, fail_if_cancelled=True)


@ddi
def WdfRequestUnmarkCancelable(machine, Request: WDFHANDLE) -> int:
    """Take back a cancelable request before completing it: STATUS_SUCCESS, or
    STATUS_CANCELLED when the cancel routine already owns it — then do not complete it here:
    its EvtRequestCancel is called (or running) and completes it.
    STATUS_INVALID_DEVICE_REQUEST for a driver-created request, and under KMDF Verifier for
    one the driver does not own or never marked (a debug break); without Verifier an
    unmarked request answers STATUS_CANCELLED (it is not on the cancelable list).
    Fidelity: fxrequestapi.cpp (WdfRequestUnmarkCancelable), fxioqueue.cpp
    (FxIoQueue::RequestCancelable with Cancelable FALSE), fxrequest.cpp (RemoveFromIrpQueue).
    """
    request = _request(machine, Request)
    if _cancelable_refused(machine, request, marking=False):
        return STATUS_INVALID_DEVICE_REQUEST
    return _io_queue(request).unmark_cancelable(request)


@ddi
def WdfRequestIsCanceled(machine, Request: WDFHANDLE) -> bool:
    """True when the request's IRP has been cancelled, or the framework cancelled it (a purge).

    Meant for a request the driver owns and has not marked cancelable (it polls instead);
    under KMDF Verifier any other request answers False with a debug break.
    Fidelity: fxrequestapi.cpp (WdfRequestIsCanceled, VerifyWdfRequestIsCanceled),
    fxrequest.hpp (FxRequest::IsCancelled).
    """
    request = _request(machine, Request)
    if machine.kmdf_verifier:
        why = None
        if not request.driver_owned:
            why = "is not owned by the driver"
        elif request.cancelable:
            why = "is marked cancelable: its EvtRequestCancel will tell"
        if why is not None:
            machine.trace(
                "KMDF Verifier: WdfRequestIsCanceled: %r %s (debug break)", request.handle, why
            )
            return False
    return request.is_cancelled


@ddi
def WdfRequestStopAcknowledge(machine, Request: WDFHANDLE, Requeue: bool) -> None:
    """In (or after) EvtIoStop: the driver no longer touches the hardware for this request.

    With *Requeue* TRUE the request goes back to the head of its queue and is presented again
    once the queue runs (EvtIoResume is not called for it); with FALSE the driver keeps it and
    gets EvtIoResume when power returns.  Under KMDF Verifier it must be called for a request
    given to EvtIoStop, and a request to requeue must be driver-owned and not cancelable
    (else a debug break and nothing happens).
    Fidelity: fxrequestapi.cpp (WdfRequestStopAcknowledge), fxrequest.cpp
    (FxRequest::StopAcknowledge, VerifyStopAcknowledge), fxioqueue.cpp
    (ProcessAcknowledgedRequests).  Simplified: KMDF only records the acknowledgement for the
    queue's next pass of its event loop; wdfkit runs that pass at once when no loop is
    running, so an acknowledgement from a timer is seen without another event.
    """
    request = _request(machine, Request)
    if isinstance(Requeue, bool):
        requeue = Requeue
    elif isinstance(Requeue, int) and 0 <= Requeue <= 0xFF:
        requeue = bool(Requeue)
    else:
        raise TypeError(named(f"Requeue must be TRUE or FALSE, not {Requeue!r}"))
    queue = request.queue
    if machine.kmdf_verifier:
        why = None
        if not request.in_evt_io_stop:
            why = "was not given to EvtIoStop"
        elif requeue and not request.completed:
            if queue is None:
                why = "belongs to no queue"
            else:
                why = request_ownership_check(request, queue)
        if why is not None:
            machine.trace(
                "KMDF Verifier: WdfRequestStopAcknowledge: %r %s (debug break)", request.handle, why
            )
            return
    request.stop_state = "requeue" if requeue else "acknowledged"
    if isinstance(queue, FxIoQueue) and not request.completed:
        queue.acknowledged()


@ddi
def WdfRequestGetIoQueue(machine, Request: WDFHANDLE):
    """The queue the request belongs to now (it changes when it is forwarded), or None for a
    request the driver created and in EvtIoInCallerContext (until WdfDeviceEnqueueRequest
    queues it).  Fidelity: fxrequestapi.cpp (WdfRequestGetIoQueue), fxpkgio.cpp
    (DispatchStep2: SetInternalContext, not SetCurrentQueue)."""
    queue = _current_queue(_request(machine, Request))
    return None if queue is None else queue.handle


@ddi
def WdfRequestForwardToIoQueue(machine, Request: WDFHANDLE, DestinationQueue: WDFHANDLE) -> int:
    """Hand a request the driver owns to another queue of the same device: STATUS_SUCCESS and
    the driver no longer owns it — the destination presents it by its own dispatch type (or
    keeps it for WdfIoQueueRetrieveNextRequest).  Otherwise the driver still owns it:
    STATUS_INVALID_DEVICE_REQUEST for a request it does not own or has marked cancelable, and
    under KMDF Verifier for the request's own queue or another device's queue;
    STATUS_WDF_BUSY when the destination does not accept requests (stopped by a purge).
    Bug checks: 0x10D/0x5 for a bad DestinationQueue or Request (checked in that order).
    Fidelity: fxrequestapi.cpp (WdfRequestForwardToIoQueue), fxioqueue.cpp
    (FxIoQueue::ForwardRequest, VerifyForwardRequest, ForwardRequestWorker,
    QueueRequestFromForward).  Simplified: KMDF ≥ 1.11 also queues a driver-created request
    (QueueDriverCreatedRequest), and forwards a create request from the framework's internal
    create queue; wdfkit does neither (a ValueError).
    """
    destination = get_object(machine, DestinationQueue, FX_TYPE_QUEUE, "DestinationQueue")
    request = _request(machine, Request)
    if request.queue is None:
        raise ValueError(named("wdfkit does not queue a request the driver created"))
    return _io_queue(request).forward(request, destination)


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
    if machine.kmdf_verifier and not request.driver_owned:
        machine.trace("KMDF Verifier: %r is not owned by the driver (debug break)", Request)
        return None
    wdm = request.irp.FileObject
    if wdm is None or request.queue is None:  # a driver-created request
        return None
    file_object = request.queue.device.general.lookup(wdm)
    return None if file_object is None else file_object.handle
