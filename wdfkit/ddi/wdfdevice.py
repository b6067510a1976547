"""wdfdevice.h: the device, how reads and writes reach it, its default I/O target.

Mirrors: fxdeviceapi.cpp (WdfDeviceCreate, WdfDeviceGetIoTarget, WdfDeviceEnqueueRequest),
fxdeviceinitapi.cpp (WdfDeviceInitSetIoType, WdfDeviceInitSetIoInCallerContextCallback).
Queues (wdfio.h) are in wdfkit.ddi.wdfio.
"""

from ..fx.call import named
from ..fx.callercontext import enqueue_request
from ..fx.device import WDFDEVICE_INIT, FxDevice
from ..fx.handles import FX_TYPE_DEVICE, FX_TYPE_REQUEST, WDFHANDLE, get_object
from ..fx.verifier import (
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED,
    FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    check_irql,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.ntstatus import NT_SUCCESS, NTSTATUS, STATUS_INVALID_DEVICE_STATE
from ..kernel.pool import PASSIVE_LEVEL
from ._entry import callback, ddi
from .wdfobject import WDF_OBJECT_ATTRIBUTES

__all__ = [
    "WDFDEVICE_INIT",
    "WdfDeviceCreate",
    "WdfDeviceEnqueueRequest",
    "WdfDeviceGetIoTarget",
    "WdfDeviceInitSetIoInCallerContextCallback",
    "WdfDeviceInitSetIoType",
    "WdfDeviceIoBuffered",
    "WdfDeviceIoDirect",
    "WdfDeviceIoNeither",
    "WdfDeviceIoUndefined",
]

# WDF_DEVICE_IO_TYPE: how the I/O manager hands reads and writes to the driver.
WdfDeviceIoUndefined = 0
WdfDeviceIoBuffered = 1
WdfDeviceIoNeither = 2
WdfDeviceIoDirect = 3


@ddi
def WdfDeviceInitSetIoType(machine, DeviceInit: WDFDEVICE_INIT, IoType: int) -> None:
    """Choose how reads and writes reach the driver: buffered (default), direct or neither."""
    if not isinstance(DeviceInit, WDFDEVICE_INIT):
        raise TypeError(named("DeviceInit must be the WDFDEVICE_INIT you got"))
    if IoType not in (WdfDeviceIoBuffered, WdfDeviceIoDirect, WdfDeviceIoNeither):
        raise ValueError(named("IoType must be a WDF_DEVICE_IO_TYPE value"))
    DeviceInit.IoType = IoType


@ddi
def WdfDeviceCreate(machine, DeviceInit: WDFDEVICE_INIT, DeviceAttributes):
    """Create the device from *DeviceInit* (C passes ``&DeviceInit``; it is used up).

    Returns ``(status, Device)``.  The device's parent is the driver; it has a default I/O
    target, the driver below it.  STATUS_INVALID_DEVICE_REQUEST above PASSIVE_LEVEL (Verifier);
    an attribute status (FxValidateObjectAttributes): an execution level and a synchronization scope
    are allowed, a ParentObject is STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED;
    STATUS_INVALID_DEVICE_STATE when
    *DeviceInit* was used already.  Bug check 0x10D/0x4 for a NULL DeviceInit.

    Fidelity: fxdeviceapi.cpp (WdfDeviceCreate: FxVerifierCheckIrqlLevel at PASSIVE_LEVEL,
    FxValidateObjectAttributes with FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED,
    _EXECUTION_LEVEL_ALLOWED and _SYNCHRONIZATION_SCOPE_ALLOWED, DeviceInit->CreatedDevice,
    then FxDevice::_Create).  Simplified: in C the DDI sets the caller's ``DeviceInit`` to
    NULL, so a second call with it bug-checks (0x10D/0x4); wdfkit cannot clear the caller's
    variable and answers as KMDF does for a DeviceInit whose device exists.
    """
    if DeviceInit is None:
        raise null_bugcheck(machine, "DeviceInit")
    if not isinstance(DeviceInit, WDFDEVICE_INIT):
        raise TypeError(named("DeviceInit must be the WDFDEVICE_INIT you got"))
    if DeviceAttributes is not None and not isinstance(DeviceAttributes, WDF_OBJECT_ATTRIBUTES):
        raise TypeError(named("DeviceAttributes must be WDF_OBJECT_ATTRIBUTES or None"))
    status = check_irql(machine, PASSIVE_LEVEL)
    if not NT_SUCCESS(status):
        return status, None
    status = validate_object_attributes(
        DeviceAttributes,
        FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED
        | FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED
        | FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    )
    if not NT_SUCCESS(status):
        return status, None
    if DeviceInit.used:
        return STATUS_INVALID_DEVICE_STATE, None
    status, device = FxDevice.create(machine, DeviceAttributes, DeviceInit)
    return status, device and device.handle


@ddi
def WdfDeviceGetIoTarget(machine, Device: WDFHANDLE) -> WDFHANDLE:
    """The device's default I/O target: the next-lower driver in its stack."""
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    return device.target.handle


# -- the caller's context: EvtIoInCallerContext (FxPkgIo, wdfkit.fx.callercontext) -----------------
@ddi
def WdfDeviceInitSetIoInCallerContextCallback(
    machine, DeviceInit: WDFDEVICE_INIT, EvtIoInCallerContext
) -> None:
    """Register ``EvtIoInCallerContext(Device, Request)``: every read, write and device control
    of the device comes to it first, in the requestor's thread at PASSIVE_LEVEL, before any
    queue; the driver completes the request or hands it on with WdfDeviceEnqueueRequest.

    Bug check 0x10D/0x4 for a NULL DeviceInit or callback.  Fidelity: fxdeviceinitapi.cpp
    (two FxPointerNotNull, then the WDFDEVICE_INIT field), fxdevice.cpp (FxDevice::_Create
    hands it to the I/O package), fxpkgio.cpp (DispatchStep2).
    """
    if DeviceInit is None:
        raise null_bugcheck(machine, "DeviceInit")
    if EvtIoInCallerContext is None:
        raise null_bugcheck(machine, "EvtIoInCallerContext")
    if not isinstance(DeviceInit, WDFDEVICE_INIT):
        raise TypeError(named("DeviceInit must be the WDFDEVICE_INIT you got"))
    DeviceInit.IoInCallerContextCallback = callback("EvtIoInCallerContext", EvtIoInCallerContext)


@ddi
def WdfDeviceEnqueueRequest(machine, Device: WDFHANDLE, Request: WDFHANDLE) -> NTSTATUS:
    """Hand a request from EvtIoInCallerContext back to the framework: it goes to the queue
    the device's dispatch chose for it (EvtIoInCallerContext is not called again), which
    presents it in an arbitrary thread.  Returns STATUS_SUCCESS — the request is no longer
    the driver's: on success do not touch it — or a failure, after which the driver still
    owns it and must complete it.

    STATUS_INVALID_DEVICE_REQUEST (KMDF Verifier, with a debug break) outside the request's
    EvtIoInCallerContext, e.g. a second enqueue.  The request's own device decides the queue,
    whatever *Device* says.  Without KMDF Verifier, enqueueing a request that is not in its
    EvtIoInCallerContext is a ValueError: KMDF would corrupt the queue.
    Fidelity: fxdeviceapi.cpp (WdfDeviceEnqueueRequest), fxpkgio.cpp (EnqueueRequest).
    """
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    request = get_object(machine, Request, FX_TYPE_REQUEST, "Request")
    return enqueue_request(device, request)
