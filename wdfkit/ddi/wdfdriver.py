"""wdfdriver.h: the driver object, made in DriverEntry.

A KMDF driver's ``DriverEntry(DriverObject, RegistryPath)`` fills a WDF_DRIVER_CONFIG
(``WDF_DRIVER_CONFIG_INIT(&config, EvtDriverDeviceAdd)``) and calls ``WdfDriverCreate``, which
makes the WDFDRIVER: the root of every object the driver creates, whose pool tag every
framework allocation for the driver carries.  Load a driver with
``Machine("Echo", DriverEntry=DriverEntry)``; see wdfkit.sim.machine.

Mirrors: fxdriverapi.cpp (WdfDriverCreate, WdfDriverWdmGetDriverObject, WdfGetDriver),
fxdriver.cpp (FxDriver::Initialize, _InitializeTag).
"""

from dataclasses import dataclass
from typing import Any

from ..fx.call import named
from ..fx.driver import (
    DRIVER_INIT_COMPANION,
    DRIVER_INIT_NO_DISPATCH_OVERRIDE,
    DRIVER_INIT_NON_PNP,
    FxDriver,
    driver_tag,
)
from ..fx.handles import FX_TYPE_DRIVER, WDFHANDLE, get_object
from ..fx.verifier import (
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED,
    FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    check_irql,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.driverobject import DRIVER_OBJECT
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_DRIVER_INTERNAL_ERROR,
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_PARAMETER,
)
from ..kernel.pool import PASSIVE_LEVEL, tag_text
from . import _struct as ft
from ._entry import ddi, macro
from .wdfobject import attributes_arg

__all__ = [
    "DRIVER_OBJECT",
    "WDF_DRIVER_CONFIG",
    "WDF_DRIVER_CONFIG_INIT",
    "WdfDriverCreate",
    "WdfDriverInitNoDispatchOverride",
    "WdfDriverInitNonPnpDriver",
    "WdfDriverWdmGetDriverObject",
    "WdfGetDriver",
]

# WDF_DRIVER_INIT_FLAGS
WdfDriverInitNonPnpDriver = DRIVER_INIT_NON_PNP
WdfDriverInitNoDispatchOverride = DRIVER_INIT_NO_DISPATCH_OVERRIDE

WDF_DRIVER_CONFIG_SIZE = 0x20
"""sizeof(WDF_DRIVER_CONFIG) on x64; version 1.1's is the same size, so one value."""


@ft.fields(
    Size=ft.ULONG,
    EvtDriverDeviceAdd=ft.callback,
    EvtDriverUnload=ft.callback,
    DriverInitFlags=ft.ULONG,
    DriverPoolTag=ft.ULONG,
)
@dataclass
class WDF_DRIVER_CONFIG:
    """The driver-wide settings WdfDriverCreate takes, fields in C order.

    ``EvtDriverDeviceAdd(Driver, DeviceInit) -> NTSTATUS``, ``EvtDriverUnload(Driver)``;
    DriverPoolTag 0 means "derive the tag from the service name".
    """

    Size: int = 0
    EvtDriverDeviceAdd: Any = None
    EvtDriverUnload: Any = None
    DriverInitFlags: int = 0
    DriverPoolTag: int = 0


@macro
def WDF_DRIVER_CONFIG_INIT(Config: WDF_DRIVER_CONFIG, EvtDriverDeviceAdd) -> None:
    """Zero *Config*, set its Size and EvtDriverDeviceAdd (None for a non-PnP driver)."""
    ft.struct_arg("Config", Config, WDF_DRIVER_CONFIG)
    Config.__init__(Size=WDF_DRIVER_CONFIG_SIZE, EvtDriverDeviceAdd=EvtDriverDeviceAdd)


@ddi
def WdfDriverCreate(
    machine, DriverObject: DRIVER_OBJECT, RegistryPath: str, DriverAttributes, DriverConfig
):
    """Create the WDFDRIVER, in DriverEntry: ``(status, Driver)``.

    In KMDF's order: bug check 0x10D/0x4 for a NULL DriverObject, RegistryPath or
    DriverConfig; STATUS_INFO_LENGTH_MISMATCH for a Size that is not sizeof(WDF_DRIVER_CONFIG);
    STATUS_INVALID_PARAMETER for an unknown DriverInitFlags bit; STATUS_INVALID_DEVICE_REQUEST
    above PASSIVE_LEVEL (KMDF Verifier); STATUS_DRIVER_INTERNAL_ERROR for a second call;
    STATUS_INVALID_PARAMETER for WdfDriverInitNonPnpDriver with an EvtDriverDeviceAdd (unless
    WdfDriverInitNoDispatchOverride); an attribute status (a ParentObject is
    STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED; an execution level and a scope are allowed and
    the driver's devices inherit them); STATUS_INSUFFICIENT_RESOURCES when pool is exhausted.
    On success the pool tag is DriverPoolTag, or (0, or the old default ' kdD') the first four
    letters of the service name after a leading "WDF" (FxDriver::_InitializeTag).

    Fidelity: fxdriverapi.cpp (WdfDriverCreate), fxdriver.cpp (FxDriver::Initialize).
    Simplified: wdfkit has no companion drivers (WdfDriverInitCompanion is accepted as a
    valid bit, as KMDF's mask does, and means nothing); RegistryPath is a str, compared with
    nothing: KMDF only reads the service name from it.
    """
    if DriverObject is None:
        raise null_bugcheck(machine, "DriverObject")
    if RegistryPath is None:
        raise null_bugcheck(machine, "RegistryPath")
    if DriverConfig is None:
        raise null_bugcheck(machine, "DriverConfig")
    if DriverObject is not machine.driver_object:
        raise TypeError(named("DriverObject must be the DRIVER_OBJECT DriverEntry received"))
    if not isinstance(RegistryPath, str):
        raise TypeError(named("RegistryPath must be a str (the PUNICODE_STRING DriverEntry got)"))
    attributes_arg("DriverAttributes", DriverAttributes)
    ft.struct_arg("DriverConfig", DriverConfig, WDF_DRIVER_CONFIG)
    if DriverConfig.Size != WDF_DRIVER_CONFIG_SIZE:
        return STATUS_INFO_LENGTH_MISMATCH, None
    valid = DRIVER_INIT_NON_PNP | DRIVER_INIT_NO_DISPATCH_OVERRIDE | DRIVER_INIT_COMPANION
    if DriverConfig.DriverInitFlags & ~valid:
        return STATUS_INVALID_PARAMETER, None
    status = check_irql(machine, PASSIVE_LEVEL)
    if not NT_SUCCESS(status):
        return status, None
    if machine.driver is not None:
        machine.trace("WdfDriverCreate can only be called one time per PDRIVER_OBJECT")
        return STATUS_DRIVER_INTERNAL_ERROR, None
    flags = DriverConfig.DriverInitFlags
    if (
        not flags & DRIVER_INIT_NO_DISPATCH_OVERRIDE
        and flags & DRIVER_INIT_NON_PNP
        and DriverConfig.EvtDriverDeviceAdd is not None
    ):
        return STATUS_INVALID_PARAMETER, None
    status = validate_object_attributes(
        DriverAttributes,
        FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED
        | FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED
        | FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    )
    if not NT_SUCCESS(status):
        return status, None
    machine.tag = driver_tag(machine.driver_name, DriverConfig.DriverPoolTag)
    driver = FxDriver.create(machine, DriverAttributes, DriverConfig)
    if driver is None:
        return STATUS_INSUFFICIENT_RESOURCES, None
    machine.driver = driver
    machine.trace(f"WdfDriverCreate -> {driver.handle!r}, pool tag '{tag_text(machine.tag)}'")
    return status, driver.handle


@ddi
def WdfDriverWdmGetDriverObject(machine, Driver: WDFHANDLE) -> DRIVER_OBJECT:
    """The DRIVER_OBJECT behind *Driver* (the one DriverEntry received).

    Bug check 0x10D/0x5 for a handle that is not a WDFDRIVER.  Fidelity: fxdriverapi.cpp
    (WdfDriverWdmGetDriverObject: FxObjectHandleGetPtr, FxDriver::GetDriverObject).
    """
    get_object(machine, Driver, FX_TYPE_DRIVER, "Driver")
    return machine.driver_object


@ddi
def WdfGetDriver(machine) -> WDFHANDLE:
    """The WDFDRIVER of the current machine (KMDF: WdfDriverGlobals->Driver)."""
    return machine.driver.handle
