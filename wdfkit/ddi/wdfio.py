"""wdfio.h: I/O queues, where requests wait for the driver.

Mirrors: fxioqueueapi.cpp (WdfIoQueueCreate, WdfIoQueueGetDevice).
"""

from dataclasses import dataclass
from typing import Any

from ..fx.call import named
from ..fx.handles import FX_TYPE_DEVICE, FX_TYPE_QUEUE, WDFHANDLE, get_object
from ..fx.verifier import (
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.ntstatus import NT_SUCCESS, STATUS_INVALID_PARAMETER
from ._entry import ddi, macro
from .wdfobject import WDF_OBJECT_ATTRIBUTES, commit_parent

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

    An attribute status (§1.0; an execution level and a synchronization scope are allowed);
    STATUS_INVALID_PARAMETER for a bad Size (KMDF: STATUS_INFO_LENGTH_MISMATCH) or dispatch
    type, or a second default queue; STATUS_INVALID_DEVICE_REQUEST for a ParentObject that is
    not the device or under it (the parent defaults to the device).
    wdfkit simulates sequential and parallel dispatch; a manual queue is a ValueError.

    Fidelity: fxioqueueapi.cpp (WdfIoQueueCreate: FxValidateObjectAttributes with
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED and _SYNCHRONIZATION_SCOPE_ALLOWED, then
    FxPkgIo::CreateQueue and InitializeDefaultQueue).
    """
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    if Config is None:
        raise null_bugcheck(machine, "Config")
    if not isinstance(Config, WDF_IO_QUEUE_CONFIG):
        raise TypeError(named("Config must be a WDF_IO_QUEUE_CONFIG"))
    if QueueAttributes is not None and not isinstance(QueueAttributes, WDF_OBJECT_ATTRIBUTES):
        raise TypeError(named("QueueAttributes must be WDF_OBJECT_ATTRIBUTES or None"))
    allowed = FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED
    allowed |= FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED
    status = validate_object_attributes(QueueAttributes, allowed)
    if not NT_SUCCESS(status):
        return status, None
    if Config.Size != WDF_IO_QUEUE_CONFIG_SIZE:
        return STATUS_INVALID_PARAMETER, None
    if Config.DispatchType == WdfIoQueueDispatchManual:
        raise ValueError(named("wdfkit does not simulate manual queues"))
    if Config.DispatchType not in (WdfIoQueueDispatchSequential, WdfIoQueueDispatchParallel):
        return STATUS_INVALID_PARAMETER, None
    parent = commit_parent(machine, QueueAttributes, default=device)
    status, queue = device.create_queue(QueueAttributes, parent, Config)
    return status, queue and queue.handle


@ddi
def WdfIoQueueGetDevice(machine, Queue: WDFHANDLE) -> WDFHANDLE:
    """The device a queue belongs to."""
    queue = get_object(machine, Queue, FX_TYPE_QUEUE, "Queue")
    return queue.device.handle
