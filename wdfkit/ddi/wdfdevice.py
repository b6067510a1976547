"""wdfdevice.h and wdfio.h: the device, its default queue, its default I/O target.

Mirrors: fxdeviceapi.cpp (WdfDeviceCreate, WdfDeviceGetIoTarget), fxdeviceinitapi.cpp
(WdfDeviceInitSetIoType), fxioqueueapi.cpp (WdfIoQueueCreate, WdfIoQueueGetDevice).
"""

from dataclasses import dataclass
from typing import Any

from ..fx.device import (
    WDFDEVICE_INIT,
    FxDevice,
    FxIoQueue,
    WdfIoQueueDispatchManual,
    WdfIoQueueDispatchParallel,
    WdfIoQueueDispatchSequential,
)
from ..fx.handles import FX_TYPE_DEVICE, FX_TYPE_QUEUE, WDFHANDLE, get_object
from ..fx.iotarget import FxIoTarget
from ..fx.verifier import null_bugcheck
from ..kernel.irp import WdfDeviceIoBuffered, WdfDeviceIoDirect, WdfDeviceIoNeither
from ..kernel.ntstatus import (
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from ._entry import ddi
from .wdfobject import WDF_OBJECT_ATTRIBUTES, create_object

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
    target, the driver below it.  Bug check 0x10D/0x4 for a NULL DeviceInit.
    """
    if DeviceInit is None:
        raise null_bugcheck(machine, "DeviceInit")
    if not isinstance(DeviceInit, WDFDEVICE_INIT):
        raise TypeError("WdfDeviceCreate: DeviceInit must be the WDFDEVICE_INIT you got")
    if DeviceInit.used:
        return STATUS_INVALID_PARAMETER, None
    status, device = create_object(
        DeviceAttributes, machine.driver, lambda: FxDevice.new(machine, DeviceInit.IoType)
    )
    if device is None:
        return status, None
    DeviceInit.used = True
    target = FxIoTarget.new(machine, device.lower, remote=False)
    target.commit(None, device)
    device.target = target
    machine.devices.append(device)
    return STATUS_SUCCESS, device.handle


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

    STATUS_INVALID_PARAMETER for a bad Size or dispatch type, or a second default queue.
    wdfkit simulates sequential and parallel dispatch; a manual queue is a ValueError.
    """
    device = get_object(machine, Device, FX_TYPE_DEVICE, "WdfIoQueueCreate", "Device")
    if Config is None:
        raise null_bugcheck(machine, "Config")
    if not isinstance(Config, WDF_IO_QUEUE_CONFIG):
        raise TypeError("WdfIoQueueCreate: Config must be a WDF_IO_QUEUE_CONFIG")
    if Config.Size != WDF_IO_QUEUE_CONFIG_SIZE:
        return STATUS_INVALID_PARAMETER, None
    if Config.DispatchType == WdfIoQueueDispatchManual:
        raise ValueError("WdfIoQueueCreate: wdfkit does not simulate manual queues")
    if Config.DispatchType not in (WdfIoQueueDispatchSequential, WdfIoQueueDispatchParallel):
        return STATUS_INVALID_PARAMETER, None
    if Config.DefaultQueue and device.default_queue is not None:
        return STATUS_INVALID_PARAMETER, None
    if QueueAttributes is not None and not isinstance(QueueAttributes, WDF_OBJECT_ATTRIBUTES):
        raise TypeError("WdfIoQueueCreate: QueueAttributes must be WDF_OBJECT_ATTRIBUTES or None")
    status, queue = create_object(
        QueueAttributes, device, lambda: FxIoQueue.new(machine, device, Config)
    )
    if queue is None:
        return status, None
    if Config.DefaultQueue:
        device.default_queue = queue
    return status, queue.handle


@ddi
def WdfIoQueueGetDevice(machine, Queue: WDFHANDLE) -> WDFHANDLE:
    """The device a queue belongs to."""
    queue = get_object(machine, Queue, FX_TYPE_QUEUE, "WdfIoQueueGetDevice", "Queue")
    return queue.device.handle
