"""wdm.h: pool allocation, IRQL, the Rtl memory routines, and the I/O manager's numbers.

Mirrors: ExAllocatePoolWithTag, ExAllocatePool2, ExFreePoolWithTag, ExFreePool, KeRaiseIrql,
KeLowerIrql, KeGetCurrentIrql, RtlCopyMemory, RtlZeroMemory, RtlFillMemory, RtlCompareMemory;
CTL_CODE and its FILE_* arguments (devioctl.h, which wdm.h includes).
Simplified: IRQL 0 to 2 only; POOL_FLAG_RAISE_ON_FAILURE and quota charging are not modelled.

The kernel's own structures and numbers (IRQLs, pool types, IRP major functions, transfer
methods, IO_STATUS_BLOCK, the processor modes, device-object flags, PVOID) and the DMA
structures (PHYSICAL_ADDRESS, SCATTER_GATHER_LIST) are defined by the simulation that uses them,
in wdfkit.kernel and wdfkit.fx.dma, and re-exported here under their wdm.h names.  MDLs and the
page macros are in wdfkit.ddi.wdmmdl, lookaside lists in wdfkit.ddi.wdmlookaside.
"""

from ..fx.call import call, named
from ..fx.dma import PHYSICAL_ADDRESS, SCATTER_GATHER_ELEMENT, SCATTER_GATHER_LIST
from ..kernel.bugcheck import IRQL_NOT_GREATER_OR_EQUAL, BugCheck
from ..kernel.irp import (
    DO_BUFFERED_IO,
    DO_DIRECT_IO,
    IO_STATUS_BLOCK,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
    METHOD_BUFFERED,
    METHOD_IN_DIRECT,
    METHOD_NEITHER,
    METHOD_OUT_DIRECT,
    KernelMode,
    UserMode,
)
from ..kernel.pointer import PVOID
from ..kernel.pool import (
    APC_LEVEL,
    DISPATCH_LEVEL,
    DRIVER,
    PASSIVE_LEVEL,
    POOL_NX_ALLOCATION,
    POOL_TYPE_NAMES,
    NonPagedPool,
    NonPagedPoolCacheAligned,
    NonPagedPoolExecute,
    NonPagedPoolNx,
    NonPagedPoolNxCacheAligned,
    PagedPool,
    PagedPoolCacheAligned,
    tag_text,
)
from ..language import _
from ._entry import ddi, irql_value, macro, pointer, pool_tag, size_t, ulong

__all__ = [
    "APC_LEVEL",
    "CTL_CODE",
    "DISPATCH_LEVEL",
    "DO_BUFFERED_IO",
    "DO_DIRECT_IO",
    "ExAllocatePool2",
    "ExAllocatePoolWithTag",
    "ExFreePool",
    "ExFreePoolWithTag",
    "FILE_ANY_ACCESS",
    "FILE_DEVICE_UNKNOWN",
    "FILE_READ_ACCESS",
    "FILE_WRITE_ACCESS",
    "IO_STATUS_BLOCK",
    "IRP_MJ_DEVICE_CONTROL",
    "IRP_MJ_INTERNAL_DEVICE_CONTROL",
    "IRP_MJ_READ",
    "IRP_MJ_WRITE",
    "KeGetCurrentIrql",
    "KeLowerIrql",
    "KeRaiseIrql",
    "KernelMode",
    "METHOD_BUFFERED",
    "METHOD_IN_DIRECT",
    "METHOD_NEITHER",
    "METHOD_OUT_DIRECT",
    "NonPagedPool",
    "NonPagedPoolCacheAligned",
    "NonPagedPoolExecute",
    "NonPagedPoolNx",
    "NonPagedPoolNxCacheAligned",
    "PASSIVE_LEVEL",
    "PHYSICAL_ADDRESS",
    "POOL_FLAG_CACHE_ALIGNED",
    "POOL_FLAG_NON_PAGED",
    "POOL_FLAG_NON_PAGED_EXECUTE",
    "POOL_FLAG_PAGED",
    "POOL_FLAG_UNINITIALIZED",
    "POOL_FLAG_USE_QUOTA",
    "POOL_NX_ALLOCATION",
    "PVOID",
    "PagedPool",
    "PagedPoolCacheAligned",
    "RtlCompareMemory",
    "RtlCopyMemory",
    "RtlFillMemory",
    "RtlZeroMemory",
    "SCATTER_GATHER_ELEMENT",
    "SCATTER_GATHER_LIST",
    "UserMode",
]

# The IOCTL code macro and its arguments (devioctl.h).
FILE_ANY_ACCESS = 0
FILE_READ_ACCESS = 1
FILE_WRITE_ACCESS = 2
FILE_DEVICE_UNKNOWN = 0x22


@macro
def CTL_CODE(DeviceType: int, Function: int, Method: int, Access: int) -> int:
    """An IOCTL code: device type, required access, function number and transfer method.

    The macro (devioctl.h) shifts each part into its bits without masking, so a part too wide
    for its field would spill into the next one; wdfkit refuses it instead.
    """
    for param, value, bits in (
        ("DeviceType", DeviceType, 16),
        ("Function", Function, 12),
        ("Method", Method, 2),
        ("Access", Access, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(named(f"{param} must be an int, not {type(value).__name__}"))
        if not 0 <= value < 1 << bits:
            raise ValueError(named(f"{param} must fit its {bits} bits (0..{(1 << bits) - 1:#x})"))
    return (DeviceType << 16) | (Access << 14) | (Function << 2) | Method


POOL_FLAG_USE_QUOTA = 0x1
POOL_FLAG_UNINITIALIZED = 0x2
POOL_FLAG_CACHE_ALIGNED = 0x8
POOL_FLAG_NON_PAGED = 0x40
POOL_FLAG_NON_PAGED_EXECUTE = 0x80
POOL_FLAG_PAGED = 0x100


def _allocate(machine, pool_type: int, size: int, tag: int, zero: bool, first_argument: str):
    """The driver's own allocation (special pool under Driver Verifier), logged as a call of
    the DDI it made: *first_argument* as the log shows it (the pool type's name, or
    ExAllocatePool2's flags), the size, the tag as ``!pool`` prints it, and the address it got
    (or NULL), so a later 0xD5's Arg1 can be matched to the block.  (KMDF's own pool use is
    not logged here: it is the framework's.)"""
    block = machine.pool.allocate(
        pool_type, size, tag, DRIVER, caller=machine.return_address, special=True
    )
    if block is None:
        machine.trace(
            "%s(%s, %#x, '%s') -> NULL: the pool is exhausted",
            call.ddi,
            first_argument,
            size,
            tag_text(tag),
        )
        return None
    machine.trace(
        "%s(%s, %#x, '%s') -> 0x%016X", call.ddi, first_argument, size, tag_text(tag), block.address
    )
    if zero and size:
        machine.pool.fill(block.address, size, 0, check=False)  # shared zero pages: no host cost
    return PVOID(block.address, machine)


@ddi
def ExAllocatePoolWithTag(machine, PoolType: int, NumberOfBytes: int, Tag) -> PVOID | None:
    """Allocate *NumberOfBytes* of pool tagged *Tag*; the bytes are NOT zeroed.

    Returns the address, or None (NULL) when the pool cannot satisfy the request.  Deprecated
    since Windows 10 2004 in favour of ExAllocatePool2, which zeroes.

    Bug checks: paged pool above APC_LEVEL (0xC2/0x08, or 0xC4/0x01 under Verifier); with
    Driver Verifier, a zero size (0xC4/0x00) or a zero tag (0xC2/0x9B).

    >>> from wdfkit import Machine, NonPagedPoolNx
    >>> with Machine("Toaster"):
    ...     p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'gaT1')
    >>> p
    0xFFFFC28A400004E0
    """
    pool_type = ulong("PoolType", PoolType)
    size = size_t("NumberOfBytes", NumberOfBytes)
    tag = pool_tag("Tag", Tag)
    pool_name = POOL_TYPE_NAMES.get(pool_type, f"{pool_type:#x}")
    return _allocate(machine, pool_type, size, tag, zero=False, first_argument=pool_name)


@ddi
def ExAllocatePool2(machine, Flags: int, NumberOfBytes: int, Tag) -> PVOID | None:
    """The modern allocator: POOL_FLAG_* instead of a pool type, and zeroed memory by default.

    Exactly one of POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE, POOL_FLAG_PAGED is
    required; otherwise, or when pool is exhausted, it returns None (NULL).
    """
    flags = size_t("Flags", Flags)
    size = size_t("NumberOfBytes", NumberOfBytes)
    tag = pool_tag("Tag", Tag)
    kinds = {
        POOL_FLAG_NON_PAGED: NonPagedPoolNx,
        POOL_FLAG_NON_PAGED_EXECUTE: NonPagedPoolExecute,
        POOL_FLAG_PAGED: PagedPool,
    }
    chosen = [pool for flag, pool in kinds.items() if flags & flag]
    if len(chosen) != 1:
        machine.trace(named("Flags must name exactly one pool: NULL"))
        return None
    zero = not flags & POOL_FLAG_UNINITIALIZED
    return _allocate(machine, chosen[0], size, tag, zero=zero, first_argument=f"{flags:#x}")


@ddi
def ExFreePoolWithTag(machine, P: PVOID, Tag) -> None:
    """Free pool; *Tag* must be the tag it was allocated with.

    Bug checks: wrong tag 0xC2/0x0A (P2 address, P3 allocation tag, P4 tag given); already freed
    0xC4/0x13 under Verifier, else 0xC2/0x07; not an allocation 0xC4/0x10, else 0xC2/0x99;
    paged pool above APC_LEVEL 0xC4/0x11, else 0xC2/0x09.
    """
    p = pointer("P", P, machine)
    tag = pool_tag("Tag", Tag)
    address = 0 if p is None else p.address
    machine.trace("%s(0x%016X, '%s')", call.ddi, address, tag_text(tag))  # before its checks
    machine.pool.free(address, tag)


@ddi
def ExFreePool(machine, P: PVOID) -> None:
    """Free pool without checking its tag (prefer ExFreePoolWithTag)."""
    p = pointer("P", P, machine)
    address = 0 if p is None else p.address
    machine.trace("%s(0x%016X)", call.ddi, address)
    machine.pool.free(address, None)


@ddi
def KeGetCurrentIrql(machine) -> int:
    """The processor's current IRQL."""
    return machine.irql


@ddi
def KeRaiseIrql(machine, NewIrql: int) -> int:
    """Raise the IRQL; returns OldIrql (C's out-parameter).  Lowering with it: bug check 0x9.

    The IRQL belongs to the machine's one processor and stays raised until KeLowerIrql: a
    notebook cell that raises it and stops leaves the next cell, and the next application
    request, running at that IRQL, with the IRQL checks that apply there.  (On Windows a thread
    cannot stop at a raised IRQL: returning to user mode above PASSIVE_LEVEL is bug check 0x4A
    IRQL_GT_ZERO_AT_SYSTEM_SERVICE.  A cell is not such a return, so wdfkit does not model it.)
    """
    new = irql_value("NewIrql", NewIrql)
    old = machine.irql
    if new < old:
        raise BugCheck(
            IRQL_NOT_GREATER_OR_EQUAL,
            (old, new, 0, 0),
            _("KeRaiseIrql was asked for an IRQL lower than the current one."),
        )
    machine.irql = new
    return old


@ddi
def KeLowerIrql(machine, NewIrql: int) -> None:
    """Return to the IRQL that KeRaiseIrql reported."""
    machine.irql = irql_value("NewIrql", NewIrql)


def _target(param, value, machine):
    p = pointer(param, value, machine)
    return 0 if p is None else p.address


@ddi
def RtlCopyMemory(machine, Destination: PVOID, Source, Length: int) -> None:
    """Copy *Length* bytes to *Destination* from *Source* (a PVOID, or Python bytes).

    The whole range is checked before a byte moves: bad memory is a PAGE_FAULT_IN_NONPAGED_AREA
    (0x50) at the first unmapped byte the copy would read or write, as memcpy on a real machine
    stops there; no host bytes are built for it (the copy goes a page at a time).  Overlapping
    ranges copy as RtlMoveMemory does (wdfkit does not model memcpy's undefined overlap).
    """
    length = size_t("Length", Length)
    dest = _target("Destination", Destination, machine)
    if isinstance(Source, (bytes, bytearray, memoryview)):
        if len(Source) < length:
            raise ValueError(named(f"Source holds {len(Source)} bytes, fewer than {length}"))
        machine.pool.write(dest, memoryview(Source)[:length])
    else:
        machine.pool.copy(dest, _target("Source", Source, machine), length)


@ddi
def RtlFillMemory(machine, Destination: PVOID, Length: int, Fill: int) -> None:
    """Set *Length* bytes at *Destination* to the byte *Fill*.

    The range is checked first: past the block is a 0x50 at the first unmapped byte (as the
    real loop of stores faults there), never a host MemoryError; whole pages share one page.
    """
    length = size_t("Length", Length)
    fill = size_t("Fill", Fill, 0xFF)
    machine.pool.fill(_target("Destination", Destination, machine), length, fill)


@ddi
def RtlZeroMemory(machine, Destination: PVOID, Length: int) -> None:
    """Set *Length* bytes at *Destination* to zero (checked first, like RtlFillMemory)."""
    length = size_t("Length", Length)
    machine.pool.fill(_target("Destination", Destination, machine), length, 0)


@ddi
def RtlCompareMemory(machine, Source1: PVOID, Source2: PVOID, Length: int) -> int:
    """How many leading bytes of the two blocks are equal (Length when all are).

    Like the real routine it stops at the first difference, so it faults (0x50) only if it
    reaches unmapped memory before one.
    """
    length = size_t("Length", Length)
    first = _target("Source1", Source1, machine)
    second = _target("Source2", Source2, machine)
    return machine.pool.compare(first, second, length)
