"""wdfdevice.h: the device, how reads and writes reach it, its default I/O target.

Mirrors: fxdeviceapi.cpp (WdfDeviceCreate, WdfDeviceGetIoTarget), fxdeviceinitapi.cpp
(WdfDeviceInitSetIoType).  Queues (wdfio.h) are in wdfkit.ddi.wdfio.
"""

from ..fx.call import named
from ..fx.device import WDFDEVICE_INIT, FxDevice
from ..fx.handles import FX_TYPE_DEVICE, WDFHANDLE, get_object
from ..fx.iotarget import FxIoTarget
from ..fx.verifier import null_bugcheck
from ..kernel.ntstatus import (
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from ._entry import ddi
from .wdfobject import create_object

__all__ = [
    "WDFDEVICE_INIT",
    "WdfDeviceCreate",
    "WdfDeviceGetIoTarget",
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
    target, the driver below it.  Bug check 0x10D/0x4 for a NULL DeviceInit.
    """
    if DeviceInit is None:
        raise null_bugcheck(machine, "DeviceInit")
    if not isinstance(DeviceInit, WDFDEVICE_INIT):
        raise TypeError(named("DeviceInit must be the WDFDEVICE_INIT you got"))
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
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    return device.target.handle
