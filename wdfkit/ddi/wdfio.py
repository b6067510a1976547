"""wdfio.h: I/O queues, where requests wait for the driver.

Mirrors: fxioqueueapi.cpp (WdfIoQueueCreate, WdfIoQueueGetDevice).
"""

from dataclasses import dataclass
from typing import Any

from ..fx.call import named
from ..fx.device import FxIoQueue
from ..fx.handles import FX_TYPE_DEVICE, FX_TYPE_QUEUE, WDFHANDLE, get_object
from ..fx.verifier import null_bugcheck
from ..kernel.ntstatus import STATUS_INVALID_PARAMETER
from ._entry import ddi, macro
from .wdfobject import WDF_OBJECT_ATTRIBUTES, create_object

__all__ = [
    "WDF_IO_QUEUE_CONFIG",
    "WDF_IO_QUEUE_CONFIG_INIT",
    "WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE",
    "WdfIoQueueCreate",
    "WdfIoQueueDispatchInvalid",
    "WdfIoQueueDispatchManual",
    "WdfIoQueueDispatchParallel",
    "WdfIoQueueDispatchSequential",
    "WdfIoQueueGetDevice",
]

# WDF_IO_QUEUE_DISPATCH_TYPE: how a queue presents its requests.
WdfIoQueueDispatchInvalid = 0
WdfIoQueueDispatchSequential = 1
WdfIoQueueDispatchParallel = 2
WdfIoQueueDispatchManual = 3


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


@macro
def WDF_IO_QUEUE_CONFIG_INIT(Config: WDF_IO_QUEUE_CONFIG, DispatchType: int) -> None:
    """Zero *Config*, set Size and the dispatch type."""
    if not isinstance(Config, WDF_IO_QUEUE_CONFIG):
        raise TypeError(named("Config must be a WDF_IO_QUEUE_CONFIG"))
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
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    if Config is None:
        raise null_bugcheck(machine, "Config")
    if not isinstance(Config, WDF_IO_QUEUE_CONFIG):
        raise TypeError(named("Config must be a WDF_IO_QUEUE_CONFIG"))
    if Config.Size != WDF_IO_QUEUE_CONFIG_SIZE:
        return STATUS_INVALID_PARAMETER, None
    if Config.DispatchType == WdfIoQueueDispatchManual:
        raise ValueError(named("wdfkit does not simulate manual queues"))
    if Config.DispatchType not in (WdfIoQueueDispatchSequential, WdfIoQueueDispatchParallel):
        return STATUS_INVALID_PARAMETER, None
    if Config.DefaultQueue and device.default_queue is not None:
        return STATUS_INVALID_PARAMETER, None
    if QueueAttributes is not None and not isinstance(QueueAttributes, WDF_OBJECT_ATTRIBUTES):
        raise TypeError(named("QueueAttributes must be WDF_OBJECT_ATTRIBUTES or None"))
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
    queue = get_object(machine, Queue, FX_TYPE_QUEUE, "Queue")
    return queue.device.handle
