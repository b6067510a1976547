"""wdm.h: MDLs and the page macros.

Mirrors: IoAllocateMdl, IoFreeMdl, MmInitializeMdl, MmSizeOfMdl, MmBuildMdlForNonPagedPool,
MmGetMdlVirtualAddress, MmGetMdlByteCount, MmGetMdlByteOffset, MmGetMdlPfnArray,
MmGetSystemAddressForMdlSafe, PAGE_SIZE, BYTE_OFFSET, PAGE_ALIGN,
ADDRESS_AND_SIZE_TO_SPAN_PAGES, BYTES_TO_PAGES, ROUND_TO_PAGES, as wdm.h defines them.
Simplified: see wdfkit.kernel.mdl.  An MDL pointer that is NULL or freed is read like any
other bad pointer: the access faults (0x50) at the address of the field the macro reads
(MmGetMdlByteCount: MDL + 0x28), as the compiled macro's load would.
"""

from ..fx.call import named
from ..kernel import mdl as mdls
from ..kernel.mdl import (
    ADDRESS_AND_SIZE_TO_SPAN_PAGES,
    BYTE_OFFSET,
    BYTES_TO_PAGES,
    MDL_ALLOCATED_FIXED_SIZE,
    MDL_MAPPED_TO_SYSTEM_VA,
    MDL_PAGES_LOCKED,
    MDL_PARTIAL,
    MDL_SOURCE_IS_NONPAGED_POOL,
    MDL_WRITE_OPERATION,
    PAGE_ALIGN,
    PMDL,
    PPFN_NUMBER,
    ROUND_TO_PAGES,
    MmSizeOfMdl,
)
from ..kernel.pointer import PVOID
from ..kernel.pool import DRIVER, PAGE_SHIFT, PAGE_SIZE
from ._entry import ddi, pointer, ulong

__all__ = [
    "ADDRESS_AND_SIZE_TO_SPAN_PAGES",
    "BYTES_TO_PAGES",
    "BYTE_OFFSET",
    "HighPagePriority",
    "IoAllocateMdl",
    "IoFreeMdl",
    "LowPagePriority",
    "MDL_ALLOCATED_FIXED_SIZE",
    "MDL_MAPPED_TO_SYSTEM_VA",
    "MDL_PAGES_LOCKED",
    "MDL_PARTIAL",
    "MDL_SOURCE_IS_NONPAGED_POOL",
    "MDL_WRITE_OPERATION",
    "MdlMappingNoExecute",
    "MmBuildMdlForNonPagedPool",
    "MmGetMdlByteCount",
    "MmGetMdlByteOffset",
    "MmGetMdlPfnArray",
    "MmGetMdlVirtualAddress",
    "MmGetSystemAddressForMdlSafe",
    "MmInitializeMdl",
    "MmSizeOfMdl",
    "NormalPagePriority",
    "PAGE_ALIGN",
    "PAGE_SHIFT",
    "PAGE_SIZE",
    "PMDL",
    "PPFN_NUMBER",
    "ROUND_TO_PAGES",
]

LowPagePriority, NormalPagePriority, HighPagePriority = 0, 16, 32  # MM_PAGE_PRIORITY
MdlMappingNoExecute = 0x40000000


def _mdl(machine, value) -> PMDL:
    """A PMDL argument; a PVOID is cast as C would, and NULL stays NULL (its use faults)."""
    if value is None:
        return PMDL(0, machine)
    if isinstance(value, PVOID):
        mdl = pointer("Mdl", value, machine)  # refuses another machine's MDL or address
        return mdl if isinstance(mdl, PMDL) else PMDL(mdl)
    raise TypeError(named(f"Mdl must be a PMDL, not {type(value).__name__}"))


def _address(machine, param: str, value) -> int:
    """A virtual address: a PVOID, or a plain int (an application's address)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    p = pointer(param, value, machine)
    return 0 if p is None else p.address


@ddi
def IoAllocateMdl(machine, VirtualAddress, Length: int, SecondaryBuffer, ChargeQuota, Irp):
    """Allocate and initialise an MDL for *Length* bytes at *VirtualAddress*: a PMDL or None.

    The PFN array is not filled: MmBuildMdlForNonPagedPool (or locking the pages) does that.
    None when *Length* is above 4 GB − PAGE_SIZE or pool is exhausted.  *Irp* must be None:
    the simulator does not hand IRPs to drivers (chain MDLs through ``Next`` instead).
    """
    base = _address(machine, "VirtualAddress", VirtualAddress)
    length = ulong("Length", Length)
    if Irp is not None:
        raise ValueError(named("Irp must be None in wdfkit (drivers here never see an IRP)"))
    if length > mdls.MAX_MDL_LENGTH:
        return None
    return mdls.allocate(machine, base, length, DRIVER)


@ddi
def IoFreeMdl(machine, Mdl) -> None:
    """Free an MDL from IoAllocateMdl (freeing it twice is the pool's double-free bug check)."""
    mdl = _mdl(machine, Mdl)
    mdl.MdlFlags  # noqa: B018 - IoFreeMdl reads the flags first: a NULL MDL faults here
    mdls.free(mdl)


@ddi
def MmInitializeMdl(machine, MemoryDescriptorList, BaseVa, Length: int) -> None:
    """Fill in an MDL header in storage the caller provides (MmSizeOfMdl bytes)."""
    mdl = _mdl(machine, MemoryDescriptorList)
    base = _address(machine, "BaseVa", BaseVa)
    mdls.initialize(mdl, base, ulong("Length", Length))


@ddi
def MmBuildMdlForNonPagedPool(machine, MemoryDescriptorList) -> None:
    """Fill the PFN array of an MDL that describes nonpaged pool; the pool is its own mapping."""
    mdls.build_for_nonpaged_pool(_mdl(machine, MemoryDescriptorList))


@ddi
def MmGetMdlVirtualAddress(machine, Mdl) -> PVOID:
    """StartVa + ByteOffset: the buffer's (original) virtual address."""
    mdl = _mdl(machine, Mdl)
    return PVOID(mdl.StartVa + mdl.ByteOffset, machine)


@ddi
def MmGetMdlByteCount(machine, Mdl) -> int:
    """The buffer's length in bytes."""
    return _mdl(machine, Mdl).ByteCount


@ddi
def MmGetMdlByteOffset(machine, Mdl) -> int:
    """Where the buffer starts inside its first page."""
    return _mdl(machine, Mdl).ByteOffset


@ddi
def MmGetMdlPfnArray(machine, Mdl) -> PPFN_NUMBER:
    """A pointer to the PFN array right after the header: ``pfns[i]`` is page *i*'s frame.

    Pointer arithmetic only, as wdm.h's macro ``(PPFN_NUMBER)(Mdl + 1)``: nothing is read until
    an entry is, so a freed MDL faults at the entry's address (MDL + 0x30 + 8 * i).
    """
    return _mdl(machine, Mdl).pfn_array()


@ddi
def MmGetSystemAddressForMdlSafe(machine, Mdl, Priority: int) -> PVOID | None:
    """The buffer's address in system space, mapping the pages on first use; None on failure.

    *Priority* (NormalPagePriority, optionally | MdlMappingNoExecute) only matters when system
    PTEs run short, which the simulator does not model.
    """
    ulong("Priority", Priority)
    address = mdls.system_address(_mdl(machine, Mdl))
    return None if address is None else PVOID(address, machine)
