"""wdfio.h: I/O queues, where requests wait for the driver.

Mirrors: fxioqueueapi.cpp (WdfIoQueueCreate, WdfIoQueueGetDevice).
"""

import copy
from dataclasses import dataclass
from typing import Any

from ..fx.call import named
from ..fx.handles import FX_TYPE_DEVICE, FX_TYPE_QUEUE, WDFHANDLE, get_object
from ..fx.queue import create_queue
from ..fx.verifier import (
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.ntstatus import NT_SUCCESS, STATUS_INFO_LENGTH_MISMATCH
from . import _struct as ft
from ._entry import ddi, macro
from .wdfobject import attributes_arg

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


@ft.fields(
    Size=ft.ULONG,
    DispatchType=ft.ENUM,
    PowerManaged=ft.ENUM,
    AllowZeroLengthRequests=ft.BOOLEAN,
    DefaultQueue=ft.BOOLEAN,
    EvtIoDefault=ft.callback,
    EvtIoRead=ft.callback,
    EvtIoWrite=ft.callback,
    EvtIoDeviceControl=ft.callback,
    EvtIoInternalDeviceControl=ft.callback,
)
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


# sizeof(WDF_IO_QUEUE_CONFIG) on x64, and of the older versions WdfIoQueueCreate still accepts
# (fxversionedstructures.h): 1.7 ends with the callbacks, 1.9 adds Settings, 1.11 Driver.
WDF_IO_QUEUE_CONFIG_SIZE = 0x60
WDF_IO_QUEUE_CONFIG_V1_9_SIZE = 0x58
WDF_IO_QUEUE_CONFIG_V1_7_SIZE = 0x50


@macro
def WDF_IO_QUEUE_CONFIG_INIT(Config: WDF_IO_QUEUE_CONFIG, DispatchType: int) -> None:
    """Zero *Config*, set Size and the dispatch type."""
    ft.struct_arg("Config", Config, WDF_IO_QUEUE_CONFIG)
    Config.__init__(Size=WDF_IO_QUEUE_CONFIG_SIZE, DispatchType=DispatchType)


@macro
def WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(Config: WDF_IO_QUEUE_CONFIG, DispatchType: int) -> None:
    """As WDF_IO_QUEUE_CONFIG_INIT, and make it the device's default queue."""
    ft.struct_arg("Config", Config, WDF_IO_QUEUE_CONFIG)
    WDF_IO_QUEUE_CONFIG_INIT(Config, DispatchType)
    Config.DefaultQueue = True


@ddi
def WdfIoQueueCreate(machine, Device: WDFHANDLE, Config: WDF_IO_QUEUE_CONFIG, QueueAttributes):
    """Create a queue for *Device*: ``(status, Queue)``.

    In KMDF's order: an attribute status (FxValidateObjectAttributes; an execution level and a
    synchronization scope are allowed); STATUS_INFO_LENGTH_MISMATCH for a Config.Size that is
    neither the current structure's nor that of version 1.9 or 1.7; STATUS_INVALID_DEVICE_REQUEST
    for a ParentObject that is not the device or under it; STATUS_INVALID_PARAMETER for a bad
    dispatch type; STATUS_WDF_NO_CALLBACK for a sequential or parallel queue without any EvtIo…
    callback; STATUS_UNSUCCESSFUL for a second default queue (it is created, then deleted
    again).
    wdfkit simulates sequential and parallel dispatch; a manual queue is a ValueError.
    Bug checks: 0x10D/0x5 for a bad Device, or a bad ParentObject once the attributes are
    valid; 0x10D/0x4 for a NULL Config.

    Fidelity: fxioqueueapi.cpp (WdfIoQueueCreate: FxValidateObjectAttributes with
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED and _SYNCHRONIZATION_SCOPE_ALLOWED, Config.Size,
    then FxPkgIo::CreateQueue and InitializeDefaultQueue, fxpkgio.cpp; FxIoQueue::Initialize,
    fxioqueue.cpp).  See :func:`wdfkit.fx.queue.create_queue`.
    """
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    if Config is None:
        raise null_bugcheck(machine, "Config")
    if not isinstance(Config, WDF_IO_QUEUE_CONFIG):
        raise TypeError(named("Config must be a WDF_IO_QUEUE_CONFIG"))
    attributes = attributes_arg("QueueAttributes", QueueAttributes)
    allowed = FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED
    allowed |= FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED
    status = validate_object_attributes(attributes, allowed)
    if not NT_SUCCESS(status):
        return status, None
    if Config.Size not in (
        WDF_IO_QUEUE_CONFIG_SIZE,
        WDF_IO_QUEUE_CONFIG_V1_9_SIZE,
        WDF_IO_QUEUE_CONFIG_V1_7_SIZE,
    ):
        return STATUS_INFO_LENGTH_MISMATCH, None
    # KMDF keeps no pointer to the caller's Config: FxIoQueue::Initialize (fxioqueue.cpp)
    # copies the dispatch type, AllowZeroLengthRequests and each EvtIo… into the queue, so
    # re-initialising the stack variable afterwards changes nothing.  wdfkit keeps a copy.
    status, queue = create_queue(device, attributes, copy.copy(Config))
    return status, queue and queue.handle


@ddi
def WdfIoQueueGetDevice(machine, Queue: WDFHANDLE) -> WDFHANDLE:
    """The device a queue belongs to."""
    queue = get_object(machine, Queue, FX_TYPE_QUEUE, "Queue")
    return queue.device.handle
