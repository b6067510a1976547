"""Lesson 03's drivers: what each buffering method gives as an MDL, and DMA from an MDL.

``retrieve_mdl_table()`` sends one request of every kind to a driver that calls both retrieve
DDIs, and tabulates what came back.  ``dma_write(...)`` is a DMA driver: its EvtIoWrite hands
a direct-I/O write to a DMA transaction; the simulated device completes each transfer.  Its two
routines can be passed in (``dma_write(EvtIoWrite=..., EvtProgramDma=...)``, the routines of
lesson 03's editable cell); both find the device's transaction in its :class:`DMA_CONTEXT`.
``pool_buffer_dma(...)`` builds an MDL for a pool buffer at any offset and, optionally, runs
it through a DMA transaction: what the lesson's lab draws.  Each returns plain data (MDL
snapshots, scatter/gather lists), and a bug check is kept, never raised.
"""

from dataclasses import dataclass, field

from ..ddi.wdfdevice import WdfDeviceIoBuffered, WdfDeviceIoDirect, WdfDeviceIoNeither
from ..ddi.wdfdma import (
    WDF_DMA_ENABLER_CONFIG,
    WDF_DMA_ENABLER_CONFIG_INIT,
    WdfDmaDirectionWriteToDevice,
    WdfDmaEnablerCreate,
    WdfDmaProfilePacket64,
    WdfDmaProfileScatterGather64,
    WdfDmaTransactionCreate,
    WdfDmaTransactionDmaCompleted,
    WdfDmaTransactionExecute,
    WdfDmaTransactionInitialize,
    WdfDmaTransactionInitializeUsingRequest,
    WdfDmaTransactionRelease,
)
from ..ddi.wdfio import WdfIoQueueGetDevice
from ..ddi.wdfobject import (
    WDF_DECLARE_CONTEXT_TYPE_WITH_NAME,
    WDF_NO_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
    WdfObjectAllocateContext,
)
from ..ddi.wdfrequest import (
    WdfRequestComplete,
    WdfRequestCompleteWithInformation,
    WdfRequestRetrieveInputWdmMdl,
    WdfRequestRetrieveOutputWdmMdl,
)
from ..ddi.wdm import (
    CTL_CODE,
    FILE_ANY_ACCESS,
    FILE_DEVICE_UNKNOWN,
    METHOD_BUFFERED,
    METHOD_IN_DIRECT,
    METHOD_NEITHER,
    METHOD_OUT_DIRECT,
    ExAllocatePoolWithTag,
)
from ..ddi.wdmmdl import IoAllocateMdl, MmBuildMdlForNonPagedPool
from ..kernel.bugcheck import BugCheck
from ..kernel.mdl import snapshot
from ..kernel.ntstatus import NT_SUCCESS, STATUS_SUCCESS
from ..kernel.pool import NonPagedPoolNx
from ..language import N_, _
from ..sim.machine import Machine
from .scenarios import queue_driver

PROFILES = {"scatter/gather": WdfDmaProfileScatterGather64, "packet": WdfDmaProfilePacket64}
IO_TYPES = {"buffered": WdfDeviceIoBuffered, "direct": WdfDeviceIoDirect}
IO_TYPES["neither"] = WdfDeviceIoNeither
METHODS = {
    "METHOD_BUFFERED": METHOD_BUFFERED,
    "METHOD_IN_DIRECT": METHOD_IN_DIRECT,
    "METHOD_OUT_DIRECT": METHOD_OUT_DIRECT,
    "METHOD_NEITHER": METHOD_NEITHER,
}


def _describe(status, mdl) -> str:
    if not NT_SUCCESS(status):
        return status.name
    s = snapshot(mdl)
    return _("MDL, 0x{count:X} bytes, {pages} page(s), {flags}").format(
        count=s.byte_count, pages=len(s.pfns), flags=" | ".join(s.flag_names) or "0"
    )


_REQUESTS = {
    ("buffered", "read"): N_("buffered I/O, read"),
    ("buffered", "write"): N_("buffered I/O, write"),
    ("direct", "read"): N_("direct I/O, read"),
    ("direct", "write"): N_("direct I/O, write"),
    ("neither", "read"): N_("neither I/O, read"),
    ("neither", "write"): N_("neither I/O, write"),
}
"""A row of :func:`retrieve_mdl_table`: the device's buffering method and the request."""


def retrieve_mdl_table(length: int = 0x1800) -> list[tuple[str, str, str]]:
    """(request, RetrieveInputWdmMdl, RetrieveOutputWdmMdl) for every buffering method."""
    rows = []

    def record(label):
        def callback(Queue, Request, *lengths):
            got_in = _describe(*WdfRequestRetrieveInputWdmMdl(Request))
            got_out = _describe(*WdfRequestRetrieveOutputWdmMdl(Request))
            rows.append((label, got_in, got_out))
            WdfRequestComplete(Request, STATUS_SUCCESS)

        return callback

    for io_name, io_type in IO_TYPES.items():
        for major in ("read", "write"):
            label = _(_REQUESTS[io_name, major])
            callbacks = {"EvtIoRead": record(label), "EvtIoWrite": record(label)}
            machine = Machine("Toaster")
            with machine:
                machine.add_device(queue_driver(io_type, callbacks))
                app = machine.application()
                if major == "read":
                    app.ReadFile(bytearray(length))
                else:
                    app.WriteFile(bytes(length))
    for method_name, method in METHODS.items():
        label = f"IOCTL, {method_name}"
        machine = Machine("Toaster")
        with machine:
            machine.add_device(
                queue_driver(WdfDeviceIoBuffered, {"EvtIoDeviceControl": record(label)})
            )
            code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, method, FILE_ANY_ACCESS)
            machine.application().DeviceIoControl(code, bytes(0x40), bytearray(length))
    return rows


@dataclass
class DmaRun:
    """What a DMA run left: the MDL, each transfer's scatter/gather list, the outcome."""

    machine: Machine
    mdl: object = None  # an MdlSnapshot
    transfers: list = field(default_factory=list)
    statuses: list = field(default_factory=list)  # what each DmaCompleted returned
    status: object = None  # the application's IO_STATUS_BLOCK, or the Initialize status
    bugcheck: BugCheck | None = None


def _dma_transaction(device, profile: int, maximum_length: int):
    """A DMA transaction on a new enabler of *device* with *profile* and *maximum_length*
    (WdfDmaEnablerCreate, then WdfDmaTransactionCreate), as a driver makes both when it
    adds its device."""
    config = WDF_DMA_ENABLER_CONFIG()
    WDF_DMA_ENABLER_CONFIG_INIT(config, profile, maximum_length)
    status, enabler = WdfDmaEnablerCreate(device, config, WDF_NO_OBJECT_ATTRIBUTES)
    return WdfDmaTransactionCreate(enabler, WDF_NO_OBJECT_ATTRIBUTES)[1]


class DMA_CONTEXT:
    """The DMA device's context: its transaction, and what the lesson prints afterwards."""

    Transaction = None  # created with the device; one request uses it at a time
    Registers = None  # the scatter/gather lists EvtProgramDma wrote into the device, in order
    MdlSeen = None  # a copy of the request's MDL header and PFNs (for the lesson's printout)
    Completions = None  # what each WdfDmaTransactionDmaCompleted returned (for the lesson)


GetDmaContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DMA_CONTEXT, "GetDmaContext")


def EvtProgramDma(Transaction, Device, Context, Direction, SgList):
    """Program the device with one transfer: here, append its list to the device's registers."""
    GetDmaContext(Device).Registers.append(SgList)
    return True


def EvtIoWrite(Queue, Request, Length):
    """Hand a direct-I/O write to the device's DMA transaction and complete it when done."""
    dma = GetDmaContext(WdfIoQueueGetDevice(Queue))
    status, mdl = WdfRequestRetrieveInputWdmMdl(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    dma.MdlSeen = snapshot(mdl)  # (for the lesson: what the MDL held)
    status = WdfDmaTransactionInitializeUsingRequest(
        dma.Transaction, Request, EvtProgramDma, WdfDmaDirectionWriteToDevice
    )
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    WdfDmaTransactionExecute(dma.Transaction, None)
    done = False
    while not done:  # the device's interrupt DPC, once per transfer
        done, status = WdfDmaTransactionDmaCompleted(dma.Transaction)
        dma.Completions.append(status)  # (for the lesson: what each call returned)
    WdfDmaTransactionRelease(dma.Transaction)
    WdfRequestCompleteWithInformation(Request, status, Length)


def dma_write(
    length: int = 0x2800,
    profile: str = "scatter/gather",
    maximum_length: int = 0x2000,
    *,
    EvtIoWrite=EvtIoWrite,
) -> DmaRun:
    """An application writes *length* bytes to a direct-I/O device whose driver does DMA.

    *EvtIoWrite*: the driver's, the package's by default; it names its EvtProgramDma itself,
    when it initializes the transaction.  The device's :class:`DMA_CONTEXT` holds the
    transaction, created with the device.  An exception that escapes the driver's code stops
    the machine and is raised here, with a note naming the routine.
    """
    if not callable(EvtIoWrite):
        raise TypeError(
            f"dma_write: EvtIoWrite must be a function, not {type(EvtIoWrite).__name__}"
        )
    run = DmaRun(Machine("Toaster"))
    contexts = []

    def setup(device):
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, DMA_CONTEXT)
        WdfObjectAllocateContext(device, attributes)
        dma = GetDmaContext(device)
        dma.Transaction = _dma_transaction(device, PROFILES[profile], maximum_length)
        dma.Registers, dma.Completions = run.transfers, run.statuses
        contexts.append(dma)

    with run.machine as machine:
        machine.add_device(queue_driver(WdfDeviceIoDirect, {"EvtIoWrite": EvtIoWrite}, setup))
        try:
            run.status = machine.application().WriteFile(bytes(length))
        except BugCheck as bugcheck:
            run.bugcheck = bugcheck
        run.mdl = contexts[0].MdlSeen
    return run


def pool_buffer_dma(
    byte_offset: int,
    length: int,
    profile: str = "scatter/gather",
    maximum_length: int = 0x2000,
    dma: bool = True,
) -> DmaRun:
    """An MDL for *length* bytes at *byte_offset* into a page-aligned pool buffer; with *dma*,
    the transfers a DMA transaction cuts it into."""
    run = DmaRun(Machine("Toaster"))
    holder = {}

    def EvtProgramDma(Transaction, Device, Context, Direction, SgList):
        run.transfers.append(SgList)
        return True

    def setup(device):
        holder["transaction"] = _dma_transaction(device, PROFILES[profile], maximum_length)

    with run.machine as machine:
        machine.add_device(queue_driver(WdfDeviceIoDirect, {}, setup))
        pages = (byte_offset + length + 0xFFF) // 0x1000
        buffer = ExAllocatePoolWithTag(NonPagedPoolNx, pages * 0x1000, "afuB")
        va = buffer + byte_offset
        mdl = IoAllocateMdl(va, length, False, False, None)
        MmBuildMdlForNonPagedPool(mdl)
        run.mdl = snapshot(mdl)
        if dma:
            transaction = holder["transaction"]
            run.status = WdfDmaTransactionInitialize(
                transaction, EvtProgramDma, WdfDmaDirectionWriteToDevice, mdl, va, length
            )
            if NT_SUCCESS(run.status):
                WdfDmaTransactionExecute(transaction, None)
                done = False
                while not done:
                    done, status = WdfDmaTransactionDmaCompleted(transaction)
                    run.statuses.append(status)
    return run
