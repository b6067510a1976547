"""wdfdmaenabler.h, wdfdmatransaction.h: DMA enablers and transactions.

Mirrors: fxdmaenablerapi.cpp (WdfDmaEnablerCreate) and fxdmatransactionapi.cpp (Create,
Initialize, InitializeUsingRequest, Execute, DmaCompleted, Release, GetBytesTransferred).
Simplified: see wdfkit.fx.dma.
"""

from dataclasses import dataclass

from ..fx.call import call, named
from ..fx.dma import (
    PACKET_PROFILES,
    SCATTER_GATHER_PROFILES,
    SYSTEM_PROFILES,
    FxDmaEnabler,
    FxDmaTransaction,
)
from ..fx.handles import (
    FX_TYPE_DEVICE,
    FX_TYPE_DMA_ENABLER,
    FX_TYPE_DMA_TRANSACTION,
    FX_TYPE_REQUEST,
    get_object,
)
from ..fx.object import attributes_parent
from ..fx.verifier import (
    FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED,
    check_irql,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.mdl import PMDL
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    STATUS_WDF_OBJECT_ATTRIBUTES_INVALID,
)
from ..kernel.pool import PASSIVE_LEVEL
from . import _struct as ft
from ._entry import callback, ddi, macro, pointer, size_t
from .wdfobject import attributes_arg

__all__ = [
    "WDF_DMA_ENABLER_CONFIG",
    "WDF_DMA_ENABLER_CONFIG_INIT",
    "WdfDmaDirectionReadFromDevice",
    "WdfDmaDirectionWriteToDevice",
    "WdfDmaEnablerCreate",
    "WdfDmaEnablerGetMaximumLength",
    "WdfDmaProfileInvalid",
    "WdfDmaProfilePacket",
    "WdfDmaProfilePacket64",
    "WdfDmaProfileScatterGather",
    "WdfDmaProfileScatterGather64",
    "WdfDmaProfileScatterGather64Duplex",
    "WdfDmaProfileScatterGatherDuplex",
    "WdfDmaProfileSystem",
    "WdfDmaProfileSystemDuplex",
    "WdfDmaTransactionCreate",
    "WdfDmaTransactionDmaCompleted",
    "WdfDmaTransactionExecute",
    "WdfDmaTransactionGetBytesTransferred",
    "WdfDmaTransactionGetCurrentDmaTransferLength",
    "WdfDmaTransactionInitialize",
    "WdfDmaTransactionInitializeUsingRequest",
    "WdfDmaTransactionRelease",
]

# WDF_DMA_PROFILE (wdfdmaenabler.h): what kind of DMA the device does.
WdfDmaProfileInvalid = 0
WdfDmaProfilePacket = 1
WdfDmaProfileScatterGather = 2
WdfDmaProfilePacket64 = 3
WdfDmaProfileScatterGather64 = 4
WdfDmaProfileScatterGatherDuplex = 5
WdfDmaProfileScatterGather64Duplex = 6
WdfDmaProfileSystem = 7
WdfDmaProfileSystemDuplex = 8

# WDF_DMA_DIRECTION (wdfdmaenabler.h)
WdfDmaDirectionReadFromDevice = 0
WdfDmaDirectionWriteToDevice = 1

WDF_DMA_ENABLER_CONFIG_SIZE = 0x50  # sizeof(WDF_DMA_ENABLER_CONFIG) on x64, KMDF 1.11+


@ft.fields(
    Size=ft.ULONG,
    Profile=ft.ENUM,
    MaximumLength=ft.size_t,
    AddressWidthOverride=ft.ULONG,
    WdmDmaVersionOverride=ft.ULONG,
    Flags=ft.ULONG,
)
@dataclass
class WDF_DMA_ENABLER_CONFIG:
    """The device's DMA abilities.  ``WdmDmaVersionOverride = 3`` lets packet DMA chain MDLs."""

    Size: int = 0
    Profile: int = 0
    MaximumLength: int = 0
    AddressWidthOverride: int = 0
    WdmDmaVersionOverride: int = 0
    Flags: int = 0


@macro
def WDF_DMA_ENABLER_CONFIG_INIT(Config: WDF_DMA_ENABLER_CONFIG, Profile: int, MaximumLength: int):
    """Zero *Config*, then set its Size, *Profile* and *MaximumLength* (bytes per transfer)."""
    ft.struct_arg("Config", Config, WDF_DMA_ENABLER_CONFIG)
    Config.__init__(Size=WDF_DMA_ENABLER_CONFIG_SIZE, Profile=Profile, MaximumLength=MaximumLength)


@ddi
def WdfDmaEnablerCreate(machine, Device, Config: WDF_DMA_ENABLER_CONFIG, Attributes):
    """Create the device's DMA enabler: ``(status, DmaEnabler)``.

    STATUS_INFO_LENGTH_MISMATCH for a bad Config.Size; STATUS_INVALID_PARAMETER for an unknown
    profile or a zero MaximumLength; an attribute status (FxValidateObjectAttributes);
    STATUS_WDF_OBJECT_ATTRIBUTES_INVALID for a parent that is not under this device;
    STATUS_INVALID_DEVICE_REQUEST above PASSIVE_LEVEL (KMDF Verifier).
    Bug checks: 0x10D/0x4 for a NULL Config; 0x10D/0x5 for a bad Device, or a bad ParentObject
    once the attributes are valid.
    Fidelity: fxdmaenablerapi.cpp (WdfDmaEnablerCreate: the device, the IRQL, Config,
    FxValidateObjectAttributes with no options, then the ParentObject and its device
    (FxDeviceBase::_SearchForDevice, for drivers of KMDF 1.11 and later), Config.Size, the
    profile, MaximumLength, then Commit under that parent).
    """
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    status = check_irql(machine, PASSIVE_LEVEL)
    if not NT_SUCCESS(status):
        return status, None
    if Config is None:
        raise null_bugcheck(machine, "Config")
    ft.struct_arg("Config", Config, WDF_DMA_ENABLER_CONFIG)
    Attributes = attributes_arg("Attributes", Attributes)
    status = validate_object_attributes(Attributes)
    if not NT_SUCCESS(status):
        return status, None
    parent = attributes_parent(machine, Attributes)
    if parent is None:
        parent = device
    elif parent.device_base() is not device:
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID, None
    if Config.Size != WDF_DMA_ENABLER_CONFIG_SIZE:
        return STATUS_INFO_LENGTH_MISMATCH, None
    if Config.Profile not in PACKET_PROFILES + SCATTER_GATHER_PROFILES:
        if Config.Profile in SYSTEM_PROFILES:
            raise ValueError(named("the system DMA profiles are not modelled by wdfkit"))
        return STATUS_INVALID_PARAMETER, None
    maximum = size_t("Config.MaximumLength", Config.MaximumLength)
    if maximum == 0:
        return STATUS_INVALID_PARAMETER, None
    v3 = Config.WdmDmaVersionOverride == 3
    status, enabler = FxDmaEnabler.create(
        machine, Attributes, parent, device, Config.Profile, maximum, v3
    )
    return status, enabler and enabler.handle


@ddi
def WdfDmaEnablerGetMaximumLength(machine, DmaEnabler) -> int:
    """The most bytes one transfer can move."""
    enabler = get_object(machine, DmaEnabler, FX_TYPE_DMA_ENABLER, "DmaEnabler")
    return enabler.maximum_length


@ddi
def WdfDmaTransactionCreate(machine, DmaEnabler, Attributes):
    """Create a transaction, parented to the enabler: ``(status, DmaTransaction)``.

    An attribute status (FxValidateObjectAttributes): STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED if
    the attributes name a parent.
    Fidelity: fxdmatransactionapi.cpp (WdfDmaTransactionCreate: FxValidateObjectAttributes
    with FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED, then the profile's _Create, which commits the
    transaction under the enabler).
    """
    enabler = get_object(machine, DmaEnabler, FX_TYPE_DMA_ENABLER, "DmaEnabler")
    Attributes = attributes_arg("Attributes", Attributes)
    status = validate_object_attributes(Attributes, FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED)
    if not NT_SUCCESS(status):
        return status, None
    status, transaction = FxDmaTransaction.create(machine, Attributes, enabler, enabler)
    return status, transaction and transaction.handle


def _transaction(machine, handle) -> FxDmaTransaction:
    return get_object(machine, handle, FX_TYPE_DMA_TRANSACTION, "DmaTransaction")


def _direction_ok(direction) -> bool:
    return direction in (WdfDmaDirectionReadFromDevice, WdfDmaDirectionWriteToDevice)


@ddi
def WdfDmaTransactionInitialize(
    machine, DmaTransaction, EvtProgramDma, DmaDirection, Mdl, VirtualAddress, Length: int
):
    """Describe the buffer to move: *Length* bytes at *VirtualAddress*, inside *Mdl*.

    STATUS_INVALID_PARAMETER for a zero Length, a bad direction, a VirtualAddress outside the
    first MDL, or a range past its end when the enabler cannot chain MDLs;
    STATUS_BUFFER_TOO_SMALL for a range past the end of the MDL chain when it can (KMDF's
    InitializeResources check; the transaction is then Released, see FxDmaTransaction).
    Bug checks: 0x10D/0x4 for a NULL EvtProgramDma or Mdl; 0x10D/0x8 (DMA fatal error) when
    the transaction is not Created or Released.
    """
    transaction = _transaction(machine, DmaTransaction)
    if EvtProgramDma is None:
        raise null_bugcheck(machine, "EvtProgramDma")
    callback("EvtProgramDma", EvtProgramDma)
    if Mdl is None:
        raise null_bugcheck(machine, "Mdl")
    if not isinstance(Mdl, PMDL):
        raise TypeError(named(f"Mdl must be a PMDL, not {type(Mdl).__name__}"))
    pointer("Mdl", Mdl, machine)  # another machine's MDL is refused
    va = pointer("VirtualAddress", VirtualAddress, machine)
    length = size_t("Length", Length)
    if length == 0 or not _direction_ok(DmaDirection):
        return STATUS_INVALID_PARAMETER
    start = Mdl.StartVa + Mdl.ByteOffset
    end = start + Mdl.ByteCount
    address = 0 if va is None else va.address
    if not start <= address < end:
        machine.trace("%s: VirtualAddress 0x%X is not within the MDL", call.ddi, address)
        return STATUS_INVALID_PARAMETER
    if not transaction.enabler.chained_mdls and address + length > end:
        machine.trace("%s: VA + Length is past the MDL: possibly a chained MDL", call.ddi)
        return STATUS_INVALID_PARAMETER
    return transaction.initialize(EvtProgramDma, DmaDirection, Mdl, address - start, length)


@ddi
def WdfDmaTransactionInitializeUsingRequest(
    machine, DmaTransaction, Request, EvtProgramDma, DmaDirection
):
    """Initialize from a request's MDL and length (direct I/O or buffered).

    STATUS_INVALID_PARAMETER for a bad direction, or a request longer than its MDL without
    chained-MDL support (STATUS_BUFFER_TOO_SMALL with it); STATUS_INVALID_DEVICE_REQUEST for a
    direction that does not match the request, METHOD_NEITHER, another major function or a zero
    length; the request's MDL status.
    """
    transaction = _transaction(machine, DmaTransaction)
    if EvtProgramDma is None:
        raise null_bugcheck(machine, "EvtProgramDma")
    callback("EvtProgramDma", EvtProgramDma)
    if not _direction_ok(DmaDirection):
        return STATUS_INVALID_PARAMETER
    request = get_object(machine, Request, FX_TYPE_REQUEST, "Request")
    status, mdl, length = request.dma_buffer(DmaDirection == WdfDmaDirectionWriteToDevice)
    if not NT_SUCCESS(status):
        return status
    if length == 0:
        return STATUS_INVALID_DEVICE_REQUEST
    if not transaction.enabler.chained_mdls and length > mdl.ByteCount:
        return STATUS_INVALID_PARAMETER
    status = transaction.initialize(EvtProgramDma, DmaDirection, mdl, 0, length)
    if NT_SUCCESS(status):
        transaction.request = request  # SetRequest only after Initialize succeeds
    return status


@ddi
def WdfDmaTransactionExecute(machine, DmaTransaction, Context=None):
    """Start the transaction: EvtProgramDma is called with the first scatter/gather list.

    Bug checks: 0x10D/0x8 if the transaction is not Initialized.
    """
    _transaction(machine, DmaTransaction).execute(Context)
    return STATUS_SUCCESS


@ddi
def WdfDmaTransactionDmaCompleted(machine, DmaTransaction):
    """The device finished the current transfer: ``(TRUE, status)`` when the transaction is
    done, ``(FALSE, STATUS_MORE_PROCESSING_REQUIRED)`` when the next transfer was programmed.

    Bug checks: 0x10D/0x8 if no transfer is running.
    """
    return _transaction(machine, DmaTransaction).dma_completed()


@ddi
def WdfDmaTransactionRelease(machine, DmaTransaction):
    """Make the transaction reusable (Initialize again).  Bug check 0x10D/0x8 under Verifier
    if a transfer is still running."""
    _transaction(machine, DmaTransaction).release_for_reuse()
    return STATUS_SUCCESS


@ddi
def WdfDmaTransactionGetBytesTransferred(machine, DmaTransaction) -> int:
    """Bytes moved by the transfers completed so far."""
    return _transaction(machine, DmaTransaction).transferred


@ddi
def WdfDmaTransactionGetCurrentDmaTransferLength(machine, DmaTransaction) -> int:
    """Bytes in the transfer the device is programmed with now."""
    return _transaction(machine, DmaTransaction).fragment
