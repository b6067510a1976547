"""FxDmaEnabler and FxDmaTransaction: how a DMA driver turns an MDL into transfers.

A **DMA enabler** (WDFDMAENABLER) describes what the device can do: its *profile* (packet:
one physically contiguous piece per transfer; scatter/gather: a list of pieces) and the
*maximum length* of one transfer.  A **DMA transaction** (WDFDMATRANSACTION) is one buffer to
move, given as an MDL (or taken from a request).  ``Execute`` cuts the buffer into transfers of
at most the maximum length and, for each, calls the driver's EvtProgramDma with a
**scatter/gather list**: the physical address and length of each piece, where pages whose
frames are physically adjacent merge into one element.  When the device has finished a
transfer, the driver calls ``DmaCompleted``; the framework stages the next transfer, or says
the transaction is done.

Mirrors: fxdmaenabler.cpp, fxdmatransactionbase.cpp (Initialize, Execute, DmaCompleted,
ReleaseForReuse), fxdmatransactionscattergather.cpp / fxdmatransactionpacket.cpp (staging).
Simplified: no adapter objects, map registers or common buffers; the system profiles are not
modelled; a packet transfer is one physically contiguous piece (the HAL could stretch it with
map registers); EvtProgramDma's return value is not interpreted.
"""

from dataclasses import dataclass, field

from ..kernel.bugcheck import WDF_DMA_FATAL_ERROR, WDF_VIOLATION, BugCheck
from ..kernel.ntstatus import (
    STATUS_BUFFER_TOO_SMALL,
    STATUS_MORE_PROCESSING_REQUIRED,
    STATUS_SUCCESS,
)
from ..kernel.pool import PAGE_SHIFT, PAGE_SIZE
from ..language import _
from ..sim.snapshot import DmaEnablerDetail, DmaTransactionDetail, DmaTransactionState
from .handles import FX_TYPE_DMA_ENABLER, FX_TYPE_DMA_TRANSACTION
from .object import FxObject

# WDF_DMA_PROFILE and WDF_DMA_DIRECTION values (wdfdmaenabler.h; a driver's names, WdfDmaProfile…
# and WdfDmaDirection…, are in wdfkit.ddi.wdfdma).
PACKET_PROFILES = (1, 3)  # Packet, Packet64
SCATTER_GATHER_PROFILES = (2, 4, 5, 6)  # ScatterGather, ScatterGather64, and their Duplex forms
SYSTEM_PROFILES = (7, 8)  # System, SystemDuplex: not modelled
READ_FROM_DEVICE, WRITE_TO_DEVICE = 0, 1

# FxDmaTransactionState, as KMDF numbers it (bug-check parameter 3 shows it; the names are
# DmaTransactionState's).
(CREATED, RESERVED, INITIALIZED, TRANSFER, TRANSFER_COMPLETED) = range(1, 6)
RELEASED, DELETED = 7, 8


@dataclass
class PHYSICAL_ADDRESS:
    """A LARGE_INTEGER holding a physical address: ``.QuadPart`` (or Low/HighPart)."""

    QuadPart: int = 0

    @property
    def LowPart(self) -> int:
        return self.QuadPart & 0xFFFFFFFF

    @property
    def HighPart(self) -> int:
        return self.QuadPart >> 32

    def __repr__(self) -> str:
        return f"0x{self.QuadPart:09X}"


@dataclass
class SCATTER_GATHER_ELEMENT:
    Address: PHYSICAL_ADDRESS
    Length: int
    Reserved: int = 0


@dataclass
class SCATTER_GATHER_LIST:
    """What EvtProgramDma receives: ``NumberOfElements`` and ``Elements[i].Address/Length``."""

    NumberOfElements: int = 0
    Reserved: int = 0
    Elements: list[SCATTER_GATHER_ELEMENT] = field(default_factory=list)


class FxDmaEnabler(FxObject):
    """A WDFDMAENABLER: profile, maximum transfer length, chained-MDL support."""

    TYPE = FX_TYPE_DMA_ENABLER
    HANDLE_NAME = "WDFDMAENABLER"
    OBJECT_SIZE = 0x1F0

    def __init__(self, machine, block, device, profile: int, maximum_length: int, v3: bool):
        FxObject.__init__(self, machine, block)
        self.device = device
        self.profile = profile
        self.maximum_length = maximum_length
        self.scatter_gather = profile in SCATTER_GATHER_PROFILES
        # SupportsChainedMdls: scatter/gather, or any profile on DMA version 3.
        self.chained_mdls = self.scatter_gather or v3

    def detail(self) -> DmaEnablerDetail:
        return DmaEnablerDetail(self.scatter_gather, self.maximum_length, self.chained_mdls)


class FxDmaTransaction(FxObject):
    """A WDFDMATRANSACTION: one buffer, cut into transfers the device is programmed with."""

    TYPE = FX_TYPE_DMA_TRANSACTION
    HANDLE_NAME = "WDFDMATRANSACTION"
    OBJECT_SIZE = 0x1C0

    def __init__(self, machine, block, enabler: FxDmaEnabler) -> None:
        FxObject.__init__(self, machine, block)
        self.enabler = enabler
        self.dma_state = CREATED  # FxDmaTransactionState (FxObject's .state is its life)
        self.request = None
        self._reset()

    def _reset(self) -> None:
        self.program_dma = None
        self.direction = READ_FROM_DEVICE
        self.mdl, self.offset = None, 0  # where the next transfer starts
        self.length = self.remaining = self.transferred = self.fragment = 0
        self.context = None

    def _require(self, *states: int) -> None:
        if self.dma_state not in states:
            self._fatal()

    def _fatal(self) -> None:
        """FxVerifierBugCheck(WDF_DMA_FATAL_ERROR, transaction, state)."""
        raise BugCheck(
            WDF_VIOLATION,
            (
                WDF_DMA_FATAL_ERROR,
                self.handle.value,
                self.dma_state,
                self.machine.driver_globals,
            ),
            _(
                "WDF_DMA_FATAL_ERROR: {handle} is in state FxDmaTransactionState{state}, where "
                "this call is not allowed."
            ).format(handle=repr(self.handle), state=DmaTransactionState(self.dma_state).name),
        )

    def initialize(self, program_dma, direction: int, mdl, offset: int, length: int):
        """FxDmaTransactionBase::Initialize (the DDI has checked the arguments): the status.

        Initialize ends with InitializeResources; on failure it calls ReleaseForReuse(FALSE),
        so the transaction is Released, ready for another Initialize.  A transaction longer
        than its MDL chain fails there with STATUS_BUFFER_TOO_SMALL (see :meth:`_chain_covers`).
        """
        self._require(CREATED, RESERVED, RELEASED)
        if not self._chain_covers(mdl, offset, length):
            self.dma_state = RELEASED
            self._reset()
            self.request = None
            return STATUS_BUFFER_TOO_SMALL
        self.program_dma, self.direction = program_dma, direction
        self.mdl, self.offset = mdl, offset
        self.length = self.remaining = length
        self.dma_state = INITIALIZED
        return STATUS_SUCCESS

    @staticmethod
    def _chain_covers(mdl, offset: int, length: int) -> bool:
        """Whether the MDL chain from (*mdl*, *offset*) holds *length* bytes.

        KMDF: FxDmaScatterGatherTransaction::InitializeResources (fxdmatransactionscattergather
        .cpp) cuts the transaction into fragments and asks _CalculateRequiredMapRegisters
        (fxdmatransactionbase.cpp) about each; that walks the chain (``Next``) while it holds
        fewer bytes than the fragment, and returns STATUS_BUFFER_TOO_SMALL when
        ``transferLength + PAGE_SIZE < Length + pageOffset``.  The non-chained case never gets
        here: WdfDmaTransactionInitialize refuses a range past the first MDL with
        STATUS_INVALID_PARAMETER.
        Simplified: KMDF's test leaves a slack of up to a page (less the last MDL's page
        offset), and a transaction longer than the chain by more than a fragment makes
        _ComputeNextTransferAddress follow a NULL ``Next`` (a crash); a packet transaction on
        DMA version 3 is not checked at Initialize at all (FxDmaPacketTransaction::
        InitializeResources) and would run off the chain while staging.  wdfkit refuses every
        length past the chain with STATUS_BUFFER_TOO_SMALL, so no transaction can stage a
        transfer with nothing in it.
        """
        covered, steps = mdl.ByteCount - offset, 0
        while covered < length and mdl.Next is not None and steps < 1 << 20:
            mdl, steps = mdl.Next, steps + 1  # (a cycle of empty MDLs stops after 2**20)
            covered += mdl.ByteCount
        return covered >= length

    def execute(self, context) -> None:
        """Start: reference the request, stage the first transfer (EvtProgramDma runs)."""
        self._require(INITIALIZED)
        if self.request is not None:
            self.request.add_ref()
        self.dma_state = TRANSFER
        self.context = context
        self._stage()

    def dma_completed(self):
        """The device finished the current transfer: ``(done, status)``; stages the next one."""
        self._require(TRANSFER)
        self.transferred += self.fragment
        self.fragment = 0
        if self.remaining == 0:
            self.dma_state = TRANSFER_COMPLETED
            if self.request is not None:
                self.request.release()
            return True, STATUS_SUCCESS
        self._stage()
        return False, STATUS_MORE_PROCESSING_REQUIRED

    def release_for_reuse(self) -> None:
        """ReleaseForReuse: ready for another Initialize (not while a transfer is running)."""
        if self.dma_state == RELEASED:
            return
        if (
            self.dma_state == TRANSFER and self.machine.kmdf_verifier
        ):  # IsVerificationEnabled(1, 11)
            self._fatal()  # released while the device may still be using the pages
        if self.dma_state == TRANSFER and self.request is not None:
            self.request.release()
        self.dma_state = RELEASED
        self._reset()
        self.request = None

    def dispose(self) -> None:
        """Deleted while transferring: KMDF Verifier stops the machine (Dispose checks
        IsVerificationEnabled(1, 9), i.e. FxVerifierOn); either way, state Deleted."""
        if self.dma_state == TRANSFER and self.machine.kmdf_verifier:
            self._fatal()
        self.dma_state = DELETED

    # -- staging -------------------------------------------------------------------------
    def _stage(self) -> None:
        """Build the next transfer's scatter/gather list and hand it to EvtProgramDma."""
        limit = min(self.remaining, self.enabler.maximum_length)
        elements, length = [], 0
        for address, piece in self._pieces(limit):
            if elements and elements[-1].Address.QuadPart + elements[-1].Length == address:
                elements[-1].Length += piece  # physically adjacent: one element
            elif elements and not self.enabler.scatter_gather:
                break  # a packet transfer is one contiguous piece
            else:
                elements.append(SCATTER_GATHER_ELEMENT(PHYSICAL_ADDRESS(address), piece))
            length += piece
        sg_list = SCATTER_GATHER_LIST(len(elements), 0, elements)
        self.fragment = length
        self.remaining -= length
        self._advance(length)
        self.machine.trace(
            "EvtProgramDma(%r): %d byte(s) in %d element(s)", self.handle, length, len(elements)
        )
        self.machine.run_callback(
            "EvtProgramDma", self.program_dma,
            self.handle, self.enabler.device.handle, self.context, self.direction, sg_list,
        )  # fmt: skip

    def _pieces(self, length: int):
        """(physical address, bytes) for each page piece of the next *length* bytes."""
        mdl, offset = self.mdl, self.offset
        while length > 0 and mdl is not None:
            count = mdl.ByteCount
            if offset >= count:
                mdl, offset = mdl.Next, offset - count
                continue
            pfns, position = mdl.pfn_array(), mdl.ByteOffset + offset
            piece = min(length, count - offset, PAGE_SIZE - (position & (PAGE_SIZE - 1)))
            yield (pfns[position >> PAGE_SHIFT] << PAGE_SHIFT) | (position & (PAGE_SIZE - 1)), piece
            offset += piece
            length -= piece

    def _advance(self, length: int) -> None:
        """_ComputeNextTransferAddress: move (mdl, offset) past *length* bytes."""
        mdl, offset = self.mdl, self.offset + length
        while mdl is not None and offset >= mdl.ByteCount and mdl.Next is not None:
            offset -= mdl.ByteCount
            mdl = mdl.Next
        self.mdl, self.offset = mdl, offset

    def detail(self) -> DmaTransactionDetail:
        return DmaTransactionDetail(
            DmaTransactionState(self.dma_state), self.transferred, self.length
        )
