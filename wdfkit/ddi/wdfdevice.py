"""wdfdevice.h: the device, how reads and writes reach it, its default I/O target.

Mirrors: fxdeviceapi.cpp (WdfDeviceCreate, WdfDeviceGetIoTarget), fxdeviceinitapi.cpp
(WdfDeviceInitSetIoType, WdfDeviceInitSetFileObjectConfig: the file object section at the
end).  Queues (wdfio.h) are in wdfkit.ddi.wdfio.
"""

import copy
from dataclasses import dataclass
from typing import Any

from ..fx import fileobject
from ..fx.call import named
from ..fx.device import WDFDEVICE_INIT, FxDevice
from ..fx.handles import FX_TYPE_DEVICE, WDFHANDLE, get_object
from ..fx.verifier import (
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED,
    FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    check_irql,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.ntstatus import NT_SUCCESS, STATUS_INVALID_DEVICE_STATE
from ..kernel.pool import PASSIVE_LEVEL
from . import _struct as ft
from ._entry import ddi, macro
from .wdfobject import WDF_OBJECT_ATTRIBUTES, attributes_arg

__all__ = [
    "WDFDEVICE_INIT",
    "WDF_FILEOBJECT_CONFIG",
    "WDF_FILEOBJECT_CONFIG_INIT",
    "WdfDeviceInitSetFileObjectConfig",
    "WdfFalse",
    "WdfFileObjectCanBeOptional",
    "WdfFileObjectInvalid",
    "WdfFileObjectNotRequired",
    "WdfFileObjectWdfCanUseFsContext",
    "WdfFileObjectWdfCanUseFsContext2",
    "WdfFileObjectWdfCannotUseFsContexts",
    "WdfTrue",
    "WdfUseDefault",
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


# == File objects (issue 16: WdfDeviceInitSetFileObjectConfig and its structure) ===================
# The callbacks' C signatures: EvtDeviceFileCreate(Device, Request, FileObject) — it must complete
# the create request (WdfRequestComplete) —, EvtFileCleanup(FileObject), EvtFileClose(FileObject).
# What the framework does with them: wdfkit.fx.fileobject.

# WDF_TRI_STATE (wdftypes.h).
WdfFalse, WdfTrue, WdfUseDefault = fileobject.WdfFalse, fileobject.WdfTrue, fileobject.WdfUseDefault

# WDF_FILEOBJECT_CLASS (wdfdevice.h).
WdfFileObjectInvalid = fileobject.WdfFileObjectInvalid
WdfFileObjectNotRequired = fileobject.WdfFileObjectNotRequired
WdfFileObjectWdfCanUseFsContext = fileobject.WdfFileObjectWdfCanUseFsContext
WdfFileObjectWdfCanUseFsContext2 = fileobject.WdfFileObjectWdfCanUseFsContext2
WdfFileObjectWdfCannotUseFsContexts = fileobject.WdfFileObjectWdfCannotUseFsContexts
WdfFileObjectCanBeOptional = fileobject.WdfFileObjectCanBeOptional

WDF_FILEOBJECT_CONFIG_SIZE = 0x28
"""sizeof(WDF_FILEOBJECT_CONFIG) on x64: Size, padding, three callbacks, two enums."""


@ft.fields(
    Size=ft.ULONG,
    EvtDeviceFileCreate=ft.callback,
    EvtFileClose=ft.callback,
    EvtFileCleanup=ft.callback,
    AutoForwardCleanupClose=ft.ENUM,
    FileObjectClass=ft.ENUM,
)
@dataclass
class WDF_FILEOBJECT_CONFIG:
    """How the device's file objects are handled, fields in C order (wdfdevice.h)."""

    Size: int = 0
    EvtDeviceFileCreate: Any = None
    EvtFileClose: Any = None
    EvtFileCleanup: Any = None
    AutoForwardCleanupClose: int = 0
    FileObjectClass: int = 0


@macro
def WDF_FILEOBJECT_CONFIG_INIT(
    FileEventCallbacks: WDF_FILEOBJECT_CONFIG, EvtDeviceFileCreate, EvtFileClose, EvtFileCleanup
) -> None:
    """Set Size and the three callbacks (each may be None); FileObjectClass becomes
    WdfFileObjectWdfCannotUseFsContexts and AutoForwardCleanupClose WdfUseDefault
    (wdfdevice.h)."""
    ft.struct_arg("FileEventCallbacks", FileEventCallbacks, WDF_FILEOBJECT_CONFIG)
    FileEventCallbacks.Size = WDF_FILEOBJECT_CONFIG_SIZE
    FileEventCallbacks.EvtDeviceFileCreate = EvtDeviceFileCreate
    FileEventCallbacks.EvtFileClose = EvtFileClose
    FileEventCallbacks.EvtFileCleanup = EvtFileCleanup
    FileEventCallbacks.FileObjectClass = WdfFileObjectWdfCannotUseFsContexts
    FileEventCallbacks.AutoForwardCleanupClose = WdfUseDefault


@ddi
def WdfDeviceInitSetFileObjectConfig(
    machine,
    DeviceInit: WDFDEVICE_INIT,
    FileObjectConfig: WDF_FILEOBJECT_CONFIG,
    FileObjectAttributes: WDF_OBJECT_ATTRIBUTES | None,
) -> None:
    """Give the device file objects: the create, cleanup and close callbacks, the class, and
    the attributes each WDFFILEOBJECT is created with (its context, its cleanup callbacks, the
    callbacks' synchronization scope).  Returns nothing.

    Copied into *DeviceInit* (later changes to the structures do not count).  Refused — a
    verifier debug break, nothing set — for a Size other than sizeof(WDF_FILEOBJECT_CONFIG), a
    bad attributes structure (a ParentObject is not allowed; an execution level and a
    synchronization scope are), an AutoForwardCleanupClose outside WDF_TRI_STATE, a class
    outside WdfFileObjectNotRequired..WdfFileObjectWdfCannotUseFsContexts, or
    WdfFileObjectCanBeOptional with WdfFileObjectNotRequired.
    Bug checks: 0x10D / WDF_REQUIRED_PARAMETER_IS_NULL for a NULL DeviceInit or config.
    Fidelity: fxdeviceinitapi.cpp (WdfDeviceInitSetFileObjectConfig).  The scope is checked
    when the device is created (FxPkgGeneral::ConfigureConstraints: Queue, or Device on a
    device that is not passive, make WdfDeviceCreate fail with STATUS_INVALID_DEVICE_REQUEST).
    """
    if DeviceInit is None:
        raise null_bugcheck(machine, "DeviceInit")
    if FileObjectConfig is None:
        raise null_bugcheck(machine, "FileObjectConfig")
    if not isinstance(DeviceInit, WDFDEVICE_INIT):
        raise TypeError(named("DeviceInit must be the WDFDEVICE_INIT you got"))
    ft.struct_arg("FileObjectConfig", FileObjectConfig, WDF_FILEOBJECT_CONFIG)
    attributes = attributes_arg("FileObjectAttributes", FileObjectAttributes)
    refusal = None
    if FileObjectConfig.Size != WDF_FILEOBJECT_CONFIG_SIZE:
        refusal = f"invalid FileObjectConfig Size {FileObjectConfig.Size}"
    elif not NT_SUCCESS(
        validate_object_attributes(
            attributes,
            FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED
            | FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED
            | FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
        )
    ):
        refusal = "invalid FileObjectAttributes"
    elif FileObjectConfig.AutoForwardCleanupClose not in (WdfFalse, WdfTrue, WdfUseDefault):
        refusal = "AutoForwardCleanupClose is not a WDF_TRI_STATE value"
    else:
        kind = fileobject.normalized(FileObjectConfig.FileObjectClass)
        if not WdfFileObjectNotRequired <= kind <= WdfFileObjectWdfCannotUseFsContexts:
            refusal = f"out of range FileObjectClass {FileObjectConfig.FileObjectClass:#x}"
        elif fileobject.is_optional(FileObjectConfig.FileObjectClass) and (
            kind == WdfFileObjectNotRequired
        ):
            refusal = "WdfFileObjectCanBeOptional with WdfFileObjectNotRequired"
    if refusal is not None:
        machine.trace("WdfDeviceInitSetFileObjectConfig: %s (debug break)", refusal)
        return
    DeviceInit.FileObject = fileobject.FileObjectSettings(
        FileObjectConfig.EvtDeviceFileCreate,
        FileObjectConfig.EvtFileClose,
        FileObjectConfig.EvtFileCleanup,
        FileObjectConfig.AutoForwardCleanupClose,
        FileObjectConfig.FileObjectClass,
        copy.copy(attributes),
    )
