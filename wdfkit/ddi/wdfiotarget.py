"""wdfiotarget.h: formatting requests for a target, sending synchronously, remote targets.

Asynchronous formatting names buffers by WDFMEMORY handle, because only a memory object can
keep a buffer alive until the I/O completes; the format takes a reference on it.  Synchronous
sends name buffers by WDF_MEMORY_DESCRIPTOR and release whatever they referenced on return.

Mirrors: fxiotargetapi.cpp (FxIoTargetFormatIo, FxIoTargetFormatIoctl, FxIoTargetSendIo,
FxIoTargetSendIoctl), fxrequestbuffer.cpp (ValidateMemoryDescriptor), ifxmemory.hpp
(ValidateMemoryOffsets), fxiotarget.cpp (SubmitLocked, SubmitSync).
Simplified: the lower device is handed an MDL descriptor's buffer through the MDL's system
mapping (the simulated lower device works on addresses, not on MDLs).
"""

from dataclasses import dataclass

from ..fx.call import call, named
from ..fx.handles import (
    FX_TYPE_DEVICE,
    FX_TYPE_IO_TARGET,
    FX_TYPE_REQUEST,
    IFX_TYPE_MEMORY,
    WDFHANDLE,
    get_object,
)
from ..fx.iotarget import FxIoTarget, FxIoTargetRemote
from ..fx.verifier import check_irql, null_bugcheck, validate_object_attributes
from ..kernel import mdl as mdls
from ..kernel.irp import (
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
)
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INTEGER_OVERFLOW,
    STATUS_INVALID_DEVICE_STATE,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from ..kernel.pointer import SIZE_T_MAX
from ..kernel.pool import DISPATCH_LEVEL, PASSIVE_LEVEL
from . import _struct as ft
from ._entry import ddi, macro, pointer
from .wdfmemory import (
    WDF_MEMORY_DESCRIPTOR,
    WDFMEMORY_OFFSET,
    WdfMemoryDescriptorTypeBuffer,
    WdfMemoryDescriptorTypeHandle,
    WdfMemoryDescriptorTypeMdl,
)
from .wdfobject import attributes_arg
from .wdfrequest import send_options

__all__ = [
    "WDF_IO_TARGET_OPEN_PARAMS",
    "WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME",
    "WdfIoTargetClose",
    "WdfIoTargetCreate",
    "WdfIoTargetFormatRequestForInternalIoctl",
    "WdfIoTargetFormatRequestForIoctl",
    "WdfIoTargetFormatRequestForRead",
    "WdfIoTargetFormatRequestForWrite",
    "WdfIoTargetGetState",
    "WdfIoTargetOpen",
    "WdfIoTargetSendIoctlSynchronously",
    "WdfIoTargetSendReadSynchronously",
    "WdfIoTargetSendWriteSynchronously",
    "WdfIoTargetStart",
    "WdfIoTargetStop",
    "WdfIoTargetStateUndefined",
    "WdfIoTargetStarted",
    "WdfIoTargetStopped",
    "WdfIoTargetClosedForQueryRemove",
    "WdfIoTargetClosed",
    "WdfIoTargetDeleted",
    "WdfIoTargetSentIoUndefined",
    "WdfIoTargetCancelSentIo",
    "WdfIoTargetWaitForSentIoToComplete",
    "WdfIoTargetLeaveSentIoPending",
]

# WDF_IO_TARGET_STATE: what WdfIoTargetGetState answers.
WdfIoTargetStateUndefined = 0
WdfIoTargetStarted = 1
WdfIoTargetStopped = 2
WdfIoTargetClosedForQueryRemove = 3
WdfIoTargetClosed = 4
WdfIoTargetDeleted = 5

# WDF_IO_TARGET_SENT_IO_ACTION: what WdfIoTargetStop does with requests already sent.
WdfIoTargetSentIoUndefined = 0
WdfIoTargetCancelSentIo = 1
WdfIoTargetWaitForSentIoToComplete = 2
WdfIoTargetLeaveSentIoPending = 3


def _window(memory, offsets):
    """ValidateMemoryOffsets + GetBufferLength: ``(status, address, length, offset)``."""
    if offsets is None:
        return STATUS_SUCCESS, memory.buffer, memory.size, 0
    if not isinstance(offsets, WDFMEMORY_OFFSET):
        raise TypeError(named("offsets must be a WDFMEMORY_OFFSET or None"))
    start, length = offsets.BufferOffset, offsets.BufferLength
    if start + length > SIZE_T_MAX or start + length > memory.size:
        return STATUS_INTEGER_OVERFLOW, None, 0, 0
    if length == 0:
        length = memory.size - start
    return STATUS_SUCCESS, memory.buffer + start, length, start


NO_BUFFER = (None, (None, 0), 0)  # (memory, (address, length), offset) when none is named


def _memory(machine, handle, offsets, param: str):
    """A WDFMEMORY argument (or None) and its window: ``(status, (memory, window, offset))``."""
    if handle is None:
        return STATUS_SUCCESS, NO_BUFFER
    memory = get_object(machine, handle, IFX_TYPE_MEMORY, param)
    status, address, length, start = _window(memory, offsets)
    return status, (memory, (address, length), start)


def _format(machine, IoTarget, Request, major, code, inputs, outputs, device_offset):
    target = get_object(machine, IoTarget, FX_TYPE_IO_TARGET, "IoTarget")
    request = get_object(machine, Request, FX_TYPE_REQUEST, "Request")
    status = check_irql(machine, DISPATCH_LEVEL)
    if not NT_SUCCESS(status):
        return status
    status, in_buffer = _memory(machine, *inputs, "InputBuffer")
    if NT_SUCCESS(status):
        status, out_buffer = _memory(machine, *outputs, "OutputBuffer")
    if not NT_SUCCESS(status):
        return status
    request.release_context()  # ValidateTarget: a new format drops the old one's references
    if target.closed:
        return STATUS_INVALID_DEVICE_STATE
    request.set_format(major, code, in_buffer, out_buffer, device_offset)
    return STATUS_SUCCESS


def _device_offset(value):
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(named("DeviceOffset must be an int (LONGLONG) or None"))
    return value


@ddi
def WdfIoTargetFormatRequestForRead(
    machine, IoTarget: WDFHANDLE, Request: WDFHANDLE, OutputBuffer, OutputBufferOffset, DeviceOffset
):
    """Format *Request* to read into *OutputBuffer* (a WDFMEMORY, or None); takes a reference.

    Returns STATUS_SUCCESS; STATUS_INTEGER_OVERFLOW when the offsets run past the buffer (the
    docs say INVALID_DEVICE_REQUEST; the source wins); STATUS_INVALID_DEVICE_STATE for a
    closed target.  Reformatting, reuse, completion or deletion releases the reference.
    """
    offset = _device_offset(DeviceOffset)
    return _format(
        machine, IoTarget, Request, IRP_MJ_READ, 0, (None, None),
        (OutputBuffer, OutputBufferOffset), offset,
    )  # fmt: skip


@ddi
def WdfIoTargetFormatRequestForWrite(
    machine, IoTarget: WDFHANDLE, Request: WDFHANDLE, InputBuffer, InputBufferOffset, DeviceOffset
):
    """Format *Request* to write *InputBuffer* (a WDFMEMORY, or None); takes a reference."""
    offset = _device_offset(DeviceOffset)
    return _format(
        machine, IoTarget, Request, IRP_MJ_WRITE, 0, (InputBuffer, InputBufferOffset), (None, None),
        offset,
    )  # fmt: skip


def _ioctl_code(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(named("IoctlCode must be a ULONG (use CTL_CODE)"))
    return value


def _format_ioctl(machine, major, IoTarget, Request, IoctlCode, inputs, outputs):
    return _format(machine, IoTarget, Request, major, _ioctl_code(IoctlCode), inputs, outputs, 0)


@ddi
def WdfIoTargetFormatRequestForIoctl(
    machine, IoTarget, Request, IoctlCode, InputBuffer, InputBufferOffset, OutputBuffer,
    OutputBufferOffset,
):  # fmt: skip
    """Format an IOCTL; each buffer named takes a reference (two when both are given)."""
    return _format_ioctl(
        machine, IRP_MJ_DEVICE_CONTROL, IoTarget, Request, IoctlCode,
        (InputBuffer, InputBufferOffset), (OutputBuffer, OutputBufferOffset),
    )  # fmt: skip


@ddi
def WdfIoTargetFormatRequestForInternalIoctl(
    machine, IoTarget, Request, IoctlCode, InputBuffer, InputBufferOffset, OutputBuffer,
    OutputBufferOffset,
):  # fmt: skip
    """As WdfIoTargetFormatRequestForIoctl, for IRP_MJ_INTERNAL_DEVICE_CONTROL."""
    return _format_ioctl(
        machine, IRP_MJ_INTERNAL_DEVICE_CONTROL, IoTarget, Request, IoctlCode,
        (InputBuffer, InputBufferOffset), (OutputBuffer, OutputBufferOffset),
    )  # fmt: skip


# -- synchronous sends (FxIoTargetSendIo, FxIoTargetSendIoctl) -------------------------------------
def _descriptor(machine, desc):
    """ValidateMemoryDescriptor: ``(status, (memory or None, (address, length), offset))``."""
    if desc is None:
        return STATUS_SUCCESS, NO_BUFFER
    if not isinstance(desc, WDF_MEMORY_DESCRIPTOR):
        raise TypeError(named("a memory descriptor must be a WDF_MEMORY_DESCRIPTOR or None"))
    if desc.Type == WdfMemoryDescriptorTypeBuffer:
        buffer = pointer("BufferType.Buffer", desc.u.BufferType.Buffer, machine)
        if buffer is None:
            return STATUS_INVALID_PARAMETER, NO_BUFFER
        return STATUS_SUCCESS, (None, (buffer.address, desc.u.BufferType.Length), 0)
    if desc.Type == WdfMemoryDescriptorTypeMdl:
        mdl = desc.u.MdlType.Mdl
        if mdl is None:
            return STATUS_INVALID_PARAMETER, NO_BUFFER
        if not isinstance(mdl, mdls.PMDL):
            raise TypeError(named(f"MdlType.Mdl must be a PMDL, not {type(mdl).__name__}"))
        pointer("MdlType.Mdl", mdl, machine)  # another machine's MDL is refused
        address = mdls.system_address(mdl)
        if address is None:
            return STATUS_INSUFFICIENT_RESOURCES, NO_BUFFER
        return STATUS_SUCCESS, (None, (address, desc.u.MdlType.BufferLength), 0)
    if desc.Type == WdfMemoryDescriptorTypeHandle:
        handle = desc.u.HandleType.Memory
        if handle is None:
            return STATUS_INVALID_PARAMETER, NO_BUFFER
        return _memory(machine, handle, desc.u.HandleType.Offsets, "Memory")
    return STATUS_INVALID_PARAMETER, NO_BUFFER


def _send_sync(machine, IoTarget, Request, major, code, in_desc, out_desc, offset, Options):
    target = get_object(machine, IoTarget, FX_TYPE_IO_TARGET, "IoTarget")
    request = None
    if Request is not None:
        request = get_object(machine, Request, FX_TYPE_REQUEST, "Request")
        request.take_sync_context()  # FxSyncRequest is built before the checks below
    status = check_irql(machine, PASSIVE_LEVEL)
    if NT_SUCCESS(status):
        status, flags, timeout = send_options(machine, Options, STATUS_INFO_LENGTH_MISMATCH)
    if not NT_SUCCESS(status):
        return status, 0
    status, in_buffer = _descriptor(machine, in_desc)
    if NT_SUCCESS(status):
        status, out_buffer = _descriptor(machine, out_desc)
    if not NT_SUCCESS(status):
        return status, 0
    return target.send_synchronously(
        request, major, code, in_buffer, out_buffer, offset, flags, timeout, call.ddi
    )


@ddi
def WdfIoTargetSendReadSynchronously(
    machine, IoTarget, Request, OutputBuffer, DeviceOffset, RequestOptions
):
    """Read into the buffer *OutputBuffer* describes, waiting: ``(status, BytesRead)``.

    PASSIVE_LEVEL only (Verifier: STATUS_INVALID_DEVICE_REQUEST); bad options
    STATUS_INFO_LENGTH_MISMATCH / STATUS_INVALID_PARAMETER; bad descriptor
    STATUS_INVALID_PARAMETER / STATUS_INTEGER_OVERFLOW; timeout STATUS_IO_TIMEOUT.
    """
    return _send_sync(
        machine, IoTarget, Request, IRP_MJ_READ, 0, None, OutputBuffer,
        _device_offset(DeviceOffset), RequestOptions,
    )  # fmt: skip


@ddi
def WdfIoTargetSendWriteSynchronously(
    machine, IoTarget, Request, InputBuffer, DeviceOffset, RequestOptions
):
    """Write the buffer *InputBuffer* describes, waiting: ``(status, BytesWritten)``."""
    return _send_sync(
        machine, IoTarget, Request, IRP_MJ_WRITE, 0, InputBuffer, None,
        _device_offset(DeviceOffset), RequestOptions,
    )  # fmt: skip


@ddi
def WdfIoTargetSendIoctlSynchronously(
    machine, IoTarget, Request, IoctlCode, InputBuffer, OutputBuffer, RequestOptions
):
    """Send an IOCTL and wait: ``(status, BytesReturned)``."""
    return _send_sync(
        machine, IoTarget, Request, IRP_MJ_DEVICE_CONTROL, _ioctl_code(IoctlCode), InputBuffer,
        OutputBuffer, 0, RequestOptions,
    )  # fmt: skip


# -- target state and remote targets -----------------------------------------------------------


def _target(machine, handle) -> FxIoTarget:
    return get_object(machine, handle, FX_TYPE_IO_TARGET, "IoTarget")


@ddi
def WdfIoTargetStart(machine, IoTarget: WDFHANDLE):
    """Start the target; requests queued while it was stopped are sent now."""
    return _target(machine, IoTarget).start()


@ddi
def WdfIoTargetStop(machine, IoTarget: WDFHANDLE, Action: int) -> None:
    """Stop the target: new requests wait in it.  Sent I/O is left pending (any *Action*)."""
    target = _target(machine, IoTarget)
    if Action not in (
        WdfIoTargetCancelSentIo,
        WdfIoTargetWaitForSentIoToComplete,
        WdfIoTargetLeaveSentIoPending,
    ):
        raise ValueError(named("Action must be a WDF_IO_TARGET_SENT_IO_ACTION value"))
    target.stop()


@ddi
def WdfIoTargetGetState(machine, IoTarget: WDFHANDLE) -> int:
    """WDF_IO_TARGET_STATE: WdfIoTargetStarted (1), Stopped (2), Closed (4), …"""
    return _target(machine, IoTarget).target_state


@ddi
def WdfIoTargetCreate(machine, Device: WDFHANDLE, IoTargetAttributes):
    """Create a remote target, closed until WdfIoTargetOpen: ``(status, IoTarget)``.

    STATUS_INVALID_DEVICE_REQUEST above PASSIVE_LEVEL (Verifier); an attribute status
    (FxValidateObjectAttributes), e.g. STATUS_INFO_LENGTH_MISMATCH for an uninitialised
    ``WDF_OBJECT_ATTRIBUTES()``; STATUS_INVALID_DEVICE_REQUEST for a ParentObject that is not
    *Device* or under it (the parent defaults to the device); STATUS_DELETE_PENDING;
    STATUS_INSUFFICIENT_RESOURCES. Bug check 0x10D/0x5 for a bad Device, or a bad ParentObject once
    the attributes are valid.

    Fidelity: fxiotargetapi.cpp (WdfIoTargetCreate: the device handle, FxVerifierCheckIrqlLevel
    at PASSIVE_LEVEL, FxValidateObjectAttributes with no options), fxiotargetremote.cpp
    (FxIoTargetRemote::_Create: the ParentObject, then construct and Commit).
    """
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    attributes = attributes_arg("IoTargetAttributes", IoTargetAttributes)
    status = check_irql(machine, PASSIVE_LEVEL)
    if not NT_SUCCESS(status):
        return status, None
    status = validate_object_attributes(attributes)
    if not NT_SUCCESS(status):
        return status, None
    status, target = FxIoTargetRemote.create(machine, attributes, device)
    return status, target and target.handle


@ft.fields(Size=ft.ULONG, Type=ft.ENUM, TargetDeviceName=ft.string, DesiredAccess=ft.ULONG)
@dataclass
class WDF_IO_TARGET_OPEN_PARAMS:
    """How to open a remote target; wdfkit opens by name only."""

    Size: int = 0
    Type: int = 0
    TargetDeviceName: str | None = None
    DesiredAccess: int = 0


@macro
def WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME(Params, TargetDeviceName: str, DesiredAccess):
    """Zero *Params*, set Size and the by-name type, the device's name and the access wanted."""
    ft.struct_arg("Params", Params, WDF_IO_TARGET_OPEN_PARAMS)
    Params.__init__(0x60, 2, TargetDeviceName, DesiredAccess)  # 2: WdfIoTargetOpenByName


@ddi
def WdfIoTargetOpen(machine, IoTarget: WDFHANDLE, OpenParams) -> int:
    """Open a remote target by device name: it is then Started."""
    target = _target(machine, IoTarget)
    if OpenParams is None:
        raise null_bugcheck(machine, "OpenParams")
    ft.struct_arg("OpenParams", OpenParams, WDF_IO_TARGET_OPEN_PARAMS)
    if not isinstance(OpenParams.TargetDeviceName, str):
        return STATUS_INVALID_PARAMETER
    target.open(OpenParams.TargetDeviceName)
    return STATUS_SUCCESS


@ddi
def WdfIoTargetClose(machine, IoTarget: WDFHANDLE) -> None:
    """Close a remote target: queued requests are cancelled, new sends are refused."""
    _target(machine, IoTarget).close()
