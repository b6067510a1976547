"""MDLs: memory descriptor lists, the kernel's description of a buffer's physical pages.

An MDL is a small header followed by an array of PFNs, one per page the buffer touches:

    Next            next MDL of a chain (or NULL)
    Size            bytes of header + PFN array
    MdlFlags        MDL_PAGES_LOCKED (+ MDL_WRITE_OPERATION if probed for writing),
                    MDL_SOURCE_IS_NONPAGED_POOL, MDL_MAPPED_TO_SYSTEM_VA, ...
    MappedSystemVa  where the pages are mapped in system space, once they are
    StartVa         the page-aligned virtual address of the first page
    ByteCount       the buffer's length
    ByteOffset      where the buffer starts inside the first page
    PFN array       ADDRESS_AND_SIZE_TO_SPAN_PAGES(StartVa + ByteOffset, ByteCount) entries

The header lives in pool like the real one (x64 layout, 0x30 bytes: Next 0x0, Size 0x8,
MdlFlags 0xA, Process 0x10, MappedSystemVa 0x18, StartVa 0x20, ByteCount 0x28, ByteOffset 0x2C),
so a freed MDL is freed memory: touching a field faults under Driver Verifier (0x50) with that
field's address, e.g. MmGetMdlByteCount at MDL + 0x28.

Mirrors: the MDL structure and MDL_* flags of wdm.h, the page macros, MmInitializeMdl,
MmProbeAndLockPages's flags (MDL_WRITE_OPERATION unless IoReadAccess), IoAllocateMdl/IoFreeMdl,
MmBuildMdlForNonPagedPool, MmGetSystemAddressForMdlSafe.
Simplified: pages of an application buffer are "locked" by the I/O manager only (no
MmProbeAndLockPages); a second system mapping of pages is not made, the simulator can map only
pages it already maps (nonpaged pool, or a direct-I/O buffer's reserved mapping).
"""

import struct

from ..sim.snapshot import MdlSnapshot
from .pointer import PVOID, SIZE_T_MAX
from .pool import PAGE_SHIFT, PAGE_SIZE, NonPagedPoolNx

MDL_SIZE = 0x30  # sizeof(MDL) on x64; the PFN array follows
MDL_TAG = int.from_bytes(b"Mdl ", "little")
MAX_MDL_LENGTH = (1 << 32) - PAGE_SIZE  # IoAllocateMdl's largest buffer (Windows 7 and later)

MDL_MAPPED_TO_SYSTEM_VA = 0x0001
MDL_PAGES_LOCKED = 0x0002
MDL_SOURCE_IS_NONPAGED_POOL = 0x0004
MDL_ALLOCATED_FIXED_SIZE = 0x0008
MDL_PARTIAL = 0x0010
MDL_WRITE_OPERATION = 0x0080  # the pages were probed for IoWriteAccess or IoModifyAccess
MDL_FLAG_NAMES = {
    MDL_MAPPED_TO_SYSTEM_VA: "MDL_MAPPED_TO_SYSTEM_VA",
    MDL_PAGES_LOCKED: "MDL_PAGES_LOCKED",
    MDL_SOURCE_IS_NONPAGED_POOL: "MDL_SOURCE_IS_NONPAGED_POOL",
    MDL_ALLOCATED_FIXED_SIZE: "MDL_ALLOCATED_FIXED_SIZE",
    MDL_PARTIAL: "MDL_PARTIAL",
    MDL_WRITE_OPERATION: "MDL_WRITE_OPERATION",
}
IoReadAccess, IoWriteAccess, IoModifyAccess = 0, 1, 2  # LOCK_OPERATION (wdm.h)

_HEADER = struct.Struct("<QhhHHQQQII")  # Next Size MdlFlags ProcNumber Reserved Process
#                                         MappedSystemVa StartVa ByteCount ByteOffset
# Each field's offset in the x64 header (wdm.h's _MDL; dt nt!_MDL prints the same), and how to
# read it: an accessor reads only its own field, so touching a freed MDL faults at that field.
_FIELDS = {
    "Next": (0x00, struct.Struct("<Q")),
    "Size": (0x08, struct.Struct("<h")),
    "MdlFlags": (0x0A, struct.Struct("<H")),
    "Process": (0x10, struct.Struct("<Q")),
    "MappedSystemVa": (0x18, struct.Struct("<Q")),
    "StartVa": (0x20, struct.Struct("<Q")),
    "ByteCount": (0x28, struct.Struct("<I")),
    "ByteOffset": (0x2C, struct.Struct("<I")),
}


# -- page arithmetic (wdm.h macros): plain size_t arithmetic, which wraps -----------------------
# Each names itself in its errors (the kernel layer has no @macro): what C's types would refuse
# to compile — a string as an address, a negative size_t — is a TypeError/ValueError.
def _va(value, macro: str = "BYTE_OFFSET", param: str = "Va") -> int:
    """An address argument: a PVOID, an int, or None (NULL, address 0: C computes on it)."""
    if isinstance(value, PVOID):
        return value.address
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{macro}: {param} must be a PVOID (or an address as an int), "
            f"not {type(value).__name__}"
        )
    if not 0 <= value <= SIZE_T_MAX:
        raise ValueError(f"{macro}: {param} must be an address from 0 to {SIZE_T_MAX:#x}")
    return value


def _size(value, macro: str, param: str = "Size") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{macro}: {param} must be an int (SIZE_T), not {type(value).__name__}")
    if not 0 <= value <= SIZE_T_MAX:
        raise ValueError(f"{macro}: {param} must fit a SIZE_T (0..{SIZE_T_MAX:#x}), got {value}")
    return value


def BYTE_OFFSET(Va) -> int:
    """The offset of *Va* inside its page: ``Va & (PAGE_SIZE - 1)``."""
    return _va(Va) & (PAGE_SIZE - 1)


def PAGE_ALIGN(Va):
    """The start of the page holding *Va* (a PVOID stays a PVOID)."""
    aligned = _va(Va, "PAGE_ALIGN") & ~(PAGE_SIZE - 1) & SIZE_T_MAX
    if Va is None:
        return None
    return PVOID(aligned, Va._machine) if isinstance(Va, PVOID) else aligned


def ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size: int) -> int:
    """How many pages a buffer of *Size* bytes at *Va* touches (wraps on overflow, as in C)."""
    macro = "ADDRESS_AND_SIZE_TO_SPAN_PAGES"
    return _span(_va(Va, macro), _size(Size, macro))


def _span(address: int, size: int) -> int:
    return (((address & (PAGE_SIZE - 1)) + size + PAGE_SIZE - 1) & SIZE_T_MAX) >> PAGE_SHIFT


def BYTES_TO_PAGES(Size: int) -> int:
    """Pages needed for *Size* bytes starting on a page boundary."""
    Size = _size(Size, "BYTES_TO_PAGES")
    return (Size >> PAGE_SHIFT) + (1 if Size & (PAGE_SIZE - 1) else 0)


def ROUND_TO_PAGES(Size: int) -> int:
    """*Size* rounded up to whole pages (wraps to a small number on overflow, as in C)."""
    return (_size(Size, "ROUND_TO_PAGES") + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1) & SIZE_T_MAX


def MmSizeOfMdl(Base, Length: int) -> int:
    """Bytes an MDL for *Length* bytes at *Base* needs: header plus one PFN per page.

    *Base* may be NULL (None): only its offset in the page counts."""
    pages = _span(_va(Base, "MmSizeOfMdl", "Base"), _size(Length, "MmSizeOfMdl", "Length"))
    return MDL_SIZE + 8 * pages


class PPFN_NUMBER(PVOID):
    """A pointer to an MDL's PFN array: ``pfns[i]`` reads entry *i* (checked like any access:
    past the array's pages it faults and the machine stops; on a stopped machine it raises
    MachineHalted)."""

    __slots__ = ()

    def __getitem__(self, index: int) -> int:
        machine = self._machine
        machine.check_running("PPFN_NUMBER[]")
        data = machine.pool.read(self.address + 8 * index, 8)
        return int.from_bytes(data, "little")

    def __setitem__(self, index: int, pfn: int) -> None:
        machine = self._machine
        machine.check_running("PPFN_NUMBER[]")
        machine.pool.write(self.address + 8 * index, pfn.to_bytes(8, "little"))


class PMDL(PVOID):
    """A pointer to an MDL.  ``PMDL(pointer)`` is the C cast of a PVOID to PMDL.

    Read the fields with the macros (``MmGetMdlByteCount(mdl)``…); only ``Next`` and
    ``MdlFlags`` may be used directly, as the documentation says.  Every field access reads that
    field's bytes in pool, as the compiled macro does (``MmGetMdlByteCount`` is a load from
    MDL + 0x28), so a freed MDL faults under Verifier at the field's own address, and the fault
    stops the machine as any bad access does; on a stopped machine every field access raises
    MachineHalted.
    """

    __slots__ = ()

    def __init__(self, address, machine=None) -> None:
        if isinstance(address, PVOID):  # the cast
            address, machine = address.address, address._machine
        elif machine is None:
            raise TypeError("PMDL: cast a PVOID (e.g. from ExAllocatePoolWithTag), not a number")
        elif isinstance(address, bool) or not isinstance(address, int):
            raise TypeError(f"PMDL: address must be a PVOID or int, not {type(address).__name__}")
        elif not hasattr(machine, "pool"):
            raise TypeError(f"PMDL: machine must be a Machine, not {type(machine).__name__}")
        super().__init__(address, machine)

    def __repr__(self) -> str:
        return f"MDL 0x{self.address:016X}"

    def _fields(self) -> tuple:
        machine = self._machine
        machine.check_running("PMDL")
        return _HEADER.unpack(machine.pool.read(self.address, MDL_SIZE))

    def _field(self, name: str) -> int:
        """Read one field: only its bytes, at MDL + its offset."""
        machine = self._machine
        machine.check_running(f"PMDL.{name}")
        offset, layout = _FIELDS[name]
        return layout.unpack(machine.pool.read(self.address + offset, layout.size))[0]

    def _set(self, index: int, value: int) -> None:
        fields = list(self._fields())
        fields[index] = value
        self._machine.pool.write(self.address, _HEADER.pack(*fields))

    @property
    def Next(self):
        address = self._field("Next")
        return PMDL(address, self._machine) if address else None

    @Next.setter
    def Next(self, mdl) -> None:
        if mdl is not None and not isinstance(mdl, PMDL):
            raise TypeError(f"PMDL.Next: must be a PMDL or None, not {type(mdl).__name__}")
        self._set(0, 0 if mdl is None else mdl.address)

    @property
    def MdlFlags(self) -> int:
        return self._field("MdlFlags")

    @MdlFlags.setter
    def MdlFlags(self, flags: int) -> None:
        if isinstance(flags, bool) or not isinstance(flags, int):
            raise TypeError(f"PMDL.MdlFlags: must be an int (CSHORT), not {type(flags).__name__}")
        if not -0x8000 <= flags <= 0xFFFF:
            raise ValueError(f"PMDL.MdlFlags: must fit a CSHORT (16 bits), got {flags:#x}")
        self._set(2, _cshort(flags))

    @property
    def Size(self) -> int:
        return self._field("Size")

    @property
    def MappedSystemVa(self) -> int:
        return self._field("MappedSystemVa")

    @property
    def StartVa(self) -> int:
        return self._field("StartVa")

    @property
    def ByteCount(self) -> int:
        return self._field("ByteCount")

    @property
    def ByteOffset(self) -> int:
        return self._field("ByteOffset")

    def pfn_array(self) -> PPFN_NUMBER:
        return PPFN_NUMBER(self.address + MDL_SIZE, self._machine)

    def pages(self) -> int:
        return ADDRESS_AND_SIZE_TO_SPAN_PAGES(self.StartVa + self.ByteOffset, self.ByteCount)


def _cshort(value: int) -> int:
    value &= 0xFFFF
    return value - 0x10000 if value & 0x8000 else value


# -- what the memory manager and I/O manager do -------------------------------------------------
def initialize(mdl: PMDL, base: int, length: int) -> None:
    """MmInitializeMdl: the header for *length* bytes at *base*; the PFNs are left as they are."""
    size = MmSizeOfMdl(base, length)
    header = _HEADER.pack(
        0, _cshort(size), 0, 0, 0, 0, 0, PAGE_ALIGN(base), length, BYTE_OFFSET(base)
    )
    mdl._machine.pool.write(mdl.address, header)


def allocate(machine, base: int, length: int, owner: str) -> PMDL | None:
    """IoAllocateMdl's core: pool for header + PFNs (tag 'Mdl '), initialised; None if none."""
    block = machine.pool.allocate(NonPagedPoolNx, MmSizeOfMdl(base, length), MDL_TAG, owner)
    if block is None:
        return None
    mdl = PMDL(block.address, machine)
    initialize(mdl, base, length)
    return mdl


def free(mdl: PMDL) -> None:
    """IoFreeMdl's core: give the MDL's pool back (a second free is the pool's double free)."""
    machine = mdl._machine
    machine.pool.free(mdl.address, MDL_TAG)
    machine.physical.reserved_mappings.pop(mdl.address, None)


def fill_pfns(mdl: PMDL, backing: int) -> None:
    """Write the PFN of each page, as mapped at system address *backing* (the buffer's start)."""
    machine = mdl._machine
    pfns, first = mdl.pfn_array(), backing >> PAGE_SHIFT
    for i in range(mdl.pages()):
        pfns[i] = machine.physical.pfn(first + i)


def build_for_nonpaged_pool(mdl: PMDL) -> None:
    """MmBuildMdlForNonPagedPool: PFNs from the page tables; the buffer is its own mapping."""
    va = mdl.StartVa + mdl.ByteOffset
    mdl._machine.pool.check_access(va, mdl.ByteCount, write=False)  # it must be mapped
    fill_pfns(mdl, va)
    mdl._set(6, va)
    mdl.MdlFlags = mdl.MdlFlags | MDL_SOURCE_IS_NONPAGED_POOL


def lock_for_io(mdl: PMDL, mapping: int, operation: int) -> None:
    """What the I/O manager does for direct I/O: lock the caller's pages (their frames are the
    ones *mapping* shows in system space) and keep that mapping for MmGetSystemAddressForMdlSafe.

    *operation* is the LOCK_OPERATION the I/O manager probes with: IoWriteAccess when the driver
    will write the caller's buffer (a read, METHOD_OUT_DIRECT), IoReadAccess otherwise.  As
    MmProbeAndLockPages does, any operation but IoReadAccess sets MDL_WRITE_OPERATION beside
    MDL_PAGES_LOCKED (and IoReadAccess clears it).
    """
    fill_pfns(mdl, mapping)
    flags = mdl.MdlFlags | MDL_PAGES_LOCKED
    if operation != IoReadAccess:
        flags |= MDL_WRITE_OPERATION
    else:
        flags &= ~MDL_WRITE_OPERATION
    mdl.MdlFlags = flags
    mdl._machine.physical.reserved_mappings[mdl.address] = mapping


def system_address(mdl: PMDL) -> int | None:
    """MmGetSystemAddressForMdlSafe's core: the system mapping, made on first use; None if the
    simulator cannot map these pages (see the module's Simplified note)."""
    flags = mdl.MdlFlags
    if flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL):
        return mdl.MappedSystemVa
    mapping = mdl._machine.physical.reserved_mappings.get(mdl.address)
    if mapping is None or not flags & MDL_PAGES_LOCKED:
        return None
    mdl._set(6, mapping)
    mdl.MdlFlags = flags | MDL_MAPPED_TO_SYSTEM_VA
    return mapping


def snapshot(mdl: PMDL) -> MdlSnapshot:
    """Read the header once, then the PFN array."""
    next_mdl, size, flags, _, _, _, mapped, start_va, byte_count, byte_offset = mdl._fields()
    pfns, pages = (
        mdl.pfn_array(),
        ADDRESS_AND_SIZE_TO_SPAN_PAGES(start_va + byte_offset, byte_count),
    )
    return MdlSnapshot(
        mdl.address,
        next_mdl,
        size,
        start_va,
        byte_offset,
        byte_count,
        flags & 0xFFFF,
        tuple(name for bit, name in MDL_FLAG_NAMES.items() if flags & bit),
        mapped,
        tuple(pfns[i] for i in range(pages)),
    )
