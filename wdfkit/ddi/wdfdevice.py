"""wdfdevice.h and wdfio.h: the device, its default queue, its default I/O target.

Mirrors: fxdeviceapi.cpp (WdfDeviceCreate, WdfDeviceGetIoTarget), fxdeviceinitapi.cpp
(WdfDeviceInitSetIoType), fxioqueueapi.cpp (WdfIoQueueCreate, WdfIoQueueGetDevice).
"""

from dataclasses import dataclass
from typing import Any

from ..fx.device import (
    WDFDEVICE_INIT,
    FxDevice,
    WdfIoQueueDispatchManual,
    WdfIoQueueDispatchParallel,
    WdfIoQueueDispatchSequential,
)
from ..fx.handles import FX_TYPE_DEVICE, FX_TYPE_QUEUE, WDFHANDLE, get_object
from ..fx.verifier import (
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED,
    FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.irp import WdfDeviceIoBuffered, WdfDeviceIoDirect, WdfDeviceIoNeither
from ..kernel.ntstatus import NT_SUCCESS, STATUS_INVALID_PARAMETER
from ._entry import ddi
from .wdfobject import WDF_OBJECT_ATTRIBUTES, commit_parent

__all__ = [
    "WDFDEVICE_INIT",
    "WDF_IO_QUEUE_CONFIG",
    "WDF_IO_QUEUE_CONFIG_INIT",
    "WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE",
    "WdfDeviceCreate",
    "WdfDeviceGetIoTarget",
    "WdfDeviceInitSetIoType",
    "WdfDeviceIoBuffered",
    "WdfDeviceIoDirect",
    "WdfDeviceIoNeither",
    "WdfIoQueueCreate",
    "WdfIoQueueDispatchManual",
    "WdfIoQueueDispatchParallel",
    "WdfIoQueueDispatchSequential",
    "WdfIoQueueGetDevice",
]


@ddi
def WdfDeviceInitSetIoType(machine, DeviceInit: WDFDEVICE_INIT, IoType: int) -> None:
    """Choose how reads and writes reach the driver: buffered (default), direct or neither."""
    if not isinstance(DeviceInit, WDFDEVICE_INIT):
        raise TypeError("WdfDeviceInitSetIoType: DeviceInit must be the WDFDEVICE_INIT you got")
    if IoType not in (WdfDeviceIoBuffered, WdfDeviceIoDirect, WdfDeviceIoNeither):
        raise ValueError("WdfDeviceInitSetIoType: IoType must be a WDF_DEVICE_IO_TYPE value")
    DeviceInit.IoType = IoType


@ddi
def WdfDeviceCreate(machine, DeviceInit: WDFDEVICE_INIT, DeviceAttributes):
    """Create the device from *DeviceInit* (C passes ``&DeviceInit``; it is used up).

    Returns ``(status, Device)``.  The device's parent is the driver; it has a default I/O
    target, the driver below it.  An attribute status (§1.0): an execution level and a
    synchronization scope are allowed, a ParentObject is STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED;
    STATUS_INVALID_PARAMETER when *DeviceInit* was used already (KMDF:
    STATUS_INVALID_DEVICE_STATE).  Bug check 0x10D/0x4 for a NULL DeviceInit.

    Fidelity: fxdeviceapi.cpp (WdfDeviceCreate: FxValidateObjectAttributes with
    FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED, _EXECUTION_LEVEL_ALLOWED and
    _SYNCHRONIZATION_SCOPE_ALLOWED, then FxDevice::_Create).
    """
    if DeviceInit is None:
        raise null_bugcheck(machine, "DeviceInit")
    if not isinstance(DeviceInit, WDFDEVICE_INIT):
        raise TypeError("WdfDeviceCreate: DeviceInit must be the WDFDEVICE_INIT you got")
    if DeviceAttributes is not None and not isinstance(DeviceAttributes, WDF_OBJECT_ATTRIBUTES):
        raise TypeError("WdfDeviceCreate: DeviceAttributes must be WDF_OBJECT_ATTRIBUTES or None")
    status = validate_object_attributes(
        DeviceAttributes,
        FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED
        | FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED
        | FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    )
    if not NT_SUCCESS(status):
        return status, None
    if DeviceInit.used:
        return STATUS_INVALID_PARAMETER, None
    status, device = FxDevice.create(machine, DeviceAttributes, DeviceInit)
    return status, device and device.handle


@ddi
def WdfDeviceGetIoTarget(machine, Device: WDFHANDLE) -> WDFHANDLE:
    """The device's default I/O target: the next-lower driver in its stack."""
    device = get_object(machine, Device, FX_TYPE_DEVICE, "WdfDeviceGetIoTarget", "Device")
    return device.target.handle


@dataclass
class WDF_IO_QUEUE_CONFIG:
    """Queue configuration, fields in C order (the callbacks the lessons use)."""

    Size: int = 0
    DispatchType: int = 0
    PowerManaged: int = 2  # WdfUseDefault
    AllowZeroLengthRequests: bool = False
    DefaultQueue: bool = False
    EvtIoDefault: Any = None
    EvtIoRead: Any = None
    EvtIoWrite: Any = None
    EvtIoDeviceControl: Any = None
    EvtIoInternalDeviceControl: Any = None


WDF_IO_QUEUE_CONFIG_SIZE = 0x80


def WDF_IO_QUEUE_CONFIG_INIT(Config: WDF_IO_QUEUE_CONFIG, DispatchType: int) -> None:
    """Zero *Config*, set Size and the dispatch type."""
    if not isinstance(Config, WDF_IO_QUEUE_CONFIG):
        raise TypeError("WDF_IO_QUEUE_CONFIG_INIT: Config must be a WDF_IO_QUEUE_CONFIG")
    Config.__init__(Size=WDF_IO_QUEUE_CONFIG_SIZE, DispatchType=DispatchType)


def WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(Config: WDF_IO_QUEUE_CONFIG, DispatchType: int) -> None:
    """As WDF_IO_QUEUE_CONFIG_INIT, and make it the device's default queue."""
    WDF_IO_QUEUE_CONFIG_INIT(Config, DispatchType)
    Config.DefaultQueue = True


@ddi
def WdfIoQueueCreate(machine, Device: WDFHANDLE, Config: WDF_IO_QUEUE_CONFIG, QueueAttributes):
    """Create a queue for *Device*: ``(status, Queue)``.

    An attribute status (§1.0; an execution level and a synchronization scope are allowed);
    STATUS_INVALID_PARAMETER for a bad Size (KMDF: STATUS_INFO_LENGTH_MISMATCH) or dispatch
    type, or a second default queue; STATUS_INVALID_DEVICE_REQUEST for a ParentObject that is
    not the device or under it (the parent defaults to the device).
    wdfkit simulates sequential and parallel dispatch; a manual queue is a ValueError.

    Fidelity: fxioqueueapi.cpp (WdfIoQueueCreate: FxValidateObjectAttributes with
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED and _SYNCHRONIZATION_SCOPE_ALLOWED, then
    FxPkgIo::CreateQueue and InitializeDefaultQueue).
    """
    device = get_object(machine, Device, FX_TYPE_DEVICE, "WdfIoQueueCreate", "Device")
    if Config is None:
        raise null_bugcheck(machine, "Config")
    if not isinstance(Config, WDF_IO_QUEUE_CONFIG):
        raise TypeError("WdfIoQueueCreate: Config must be a WDF_IO_QUEUE_CONFIG")
    if QueueAttributes is not None and not isinstance(QueueAttributes, WDF_OBJECT_ATTRIBUTES):
        raise TypeError("WdfIoQueueCreate: QueueAttributes must be WDF_OBJECT_ATTRIBUTES or None")
    allowed = FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED
    allowed |= FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED
    status = validate_object_attributes(QueueAttributes, allowed)
    if not NT_SUCCESS(status):
        return status, None
    if Config.Size != WDF_IO_QUEUE_CONFIG_SIZE:
        return STATUS_INVALID_PARAMETER, None
    if Config.DispatchType == WdfIoQueueDispatchManual:
        raise ValueError("WdfIoQueueCreate: wdfkit does not simulate manual queues")
    if Config.DispatchType not in (WdfIoQueueDispatchSequential, WdfIoQueueDispatchParallel):
        return STATUS_INVALID_PARAMETER, None
    parent = commit_parent(machine, QueueAttributes, "WdfIoQueueCreate", default=device)
    status, queue = device.create_queue(QueueAttributes, parent, Config)
    return status, queue and queue.handle


@ddi
def WdfIoQueueGetDevice(machine, Queue: WDFHANDLE) -> WDFHANDLE:
    """The device a queue belongs to."""
    queue = get_object(machine, Queue, FX_TYPE_QUEUE, "WdfIoQueueGetDevice", "Queue")
    return queue.device.handle
