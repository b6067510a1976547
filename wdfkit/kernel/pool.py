"""Kernel pool: tagged blocks at deterministic addresses, with the checks Windows makes.

Drivers get kernel memory from *pool*: nonpaged pool stays in RAM and may be touched at any
IRQL; paged pool may be paged out and needs IRQL ≤ APC_LEVEL.  Every block carries a four-byte
*tag* that tools such as ``!poolused`` group by.  A block smaller than a page sits right after a
16-byte pool header holding its size and tag, next to other blocks on the same page, so an
overrun lands in the neighbour's header; a page or more gets whole pages of its own.

Mirrors: ExAllocatePoolWithTag / ExFreePoolWithTag and the bug checks of the debugger reference
(BAD_POOL_CALLER 0xC2, DRIVER_VERIFIER_DETECTED_VIOLATION 0xC4).
Simplified: addresses are never reused; a page whose blocks are all freed is unmapped (so a
stale pointer into it faults, as Driver Verifier's special pool makes it); with Driver Verifier
on, any freed block faults when touched: 0xD5 for the driver's own allocations (special pool),
0x50 for the framework's and the I/O manager's (a real machine may not notice those at all).
Special pool's guard pages are not modelled.  Bytes are backed sparsely, one 4 KiB page at a
time: a page nobody has written costs nothing (reading it gives its deterministic garbage
without storing it), a page written whole with one byte value (RtlZeroMemory, RtlFillMemory,
a zeroed allocation, a page of zeros copied in) shares one immutable page, and every other
written page costs its 4 KiB.  So touching a large block costs only what is written, and the
range of every access is checked before any host bytes are built: RtlZeroMemory(p, 2**63)
faults at the first unmapped page past the block, as the real one does.
"""

import bisect
import itertools
import random
import struct
from dataclasses import dataclass

from ..language import _
from .bugcheck import (
    BAD_POOL_CALLER,
    DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
    DRIVER_VERIFIER_DETECTED_VIOLATION,
    PAGE_FAULT_IN_NONPAGED_AREA,
    BugCheck,
)

PAGE_SIZE = 0x1000
PAGE_SHIFT = 12
POOL_HEADER_SIZE = 16
POOL_ALIGNMENT = 16  # MEMORY_ALLOCATION_ALIGNMENT on x64

PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL = 0, 1, 2

# POOL_TYPE values (wdm.h) and their modifier bits.
NonPagedPool = 0
NonPagedPoolExecute = 0
PagedPool = 1
NonPagedPoolMustSucceed = 2
NonPagedPoolCacheAligned = 4
PagedPoolCacheAligned = 5
NonPagedPoolNx = 512
NonPagedPoolNxCacheAligned = 516
POOL_COLD_ALLOCATION = 256
POOL_NX_ALLOCATION = 512
POOL_ZERO_ALLOCATION = 1024

POOL_TYPE_NAMES = {
    NonPagedPool: "NonPagedPool",
    PagedPool: "PagedPool",
    NonPagedPoolMustSucceed: "NonPagedPoolMustSucceed",
    NonPagedPoolCacheAligned: "NonPagedPoolCacheAligned",
    PagedPoolCacheAligned: "PagedPoolCacheAligned",
    NonPagedPoolNx: "NonPagedPoolNx",
    NonPagedPoolNxCacheAligned: "NonPagedPoolNxCacheAligned",
}

# The user half of the x64 address space (wdfkit.kernel.usermode).  Below the lowest user address
# (the 64 KiB around NULL that no process maps) a fault stays wdfkit's 0x50, as it always was.
MM_LOWEST_USER_ADDRESS = 0x10000
MM_HIGHEST_USER_ADDRESS = 0x0000_7FFF_FFFE_FFFF
# Where each pool's blocks start: kernel-looking addresses, the same on every run.
NONPAGED_BASE = 0xFFFFC28A40000000
PAGED_BASE = 0xFFFFA58C20000000
FREED_REMEMBERED = 4096  # at least this many recent frees are kept to recognise a double free
DRIVER, FRAMEWORK = "driver", "framework"
_PAGED_TYPES = frozenset((PagedPool, PagedPoolCacheAligned))
# x64 POOL_HEADER, simplified: two unused bytes; the block size in 16-byte units; the pool type
# plus one with the "in use" bit 0x4 (zero once freed); the tag; eight spare bytes.  A small
# block's header sits in the same page as the block: allocate never lets a block cross a page.
_HEADER = struct.Struct("<xxBBI8x")


def _units(size: int) -> int:
    return ((size + POOL_HEADER_SIZE + POOL_ALIGNMENT - 1) // POOL_ALIGNMENT) & 0xFF


# Leftover bytes a fresh page shows: a page-sized window into this, chosen by page number.
_GARBAGE_SPAN = 1 << 16
_GARBAGE = random.Random(0x9001).randbytes(_GARBAGE_SPAN + PAGE_SIZE)
_FILLED: dict[int, bytes] = {}  # byte value -> one shared, immutable page of it


def _filled_page(value: int) -> bytes:
    page = _FILLED.get(value)
    if page is None:
        page = _FILLED[value] = bytes((value,)) * PAGE_SIZE
    return page


_ZERO_PAGE = _filled_page(0)


def base_is_paged(pool_type: int) -> bool:
    """The kernel's rule: the pool type's low bit (BASE_POOL_TYPE_MASK); modifiers ignored."""
    return pool_type & 1 == PagedPool


def is_paged(pool_type: int) -> bool:
    """As KMDF's FxIsPagedPoolType: PagedPool and PagedPoolCacheAligned, cold bit ignored."""
    return (pool_type & ~POOL_COLD_ALLOCATION) in _PAGED_TYPES


def tag_text(tag: int) -> str:
    """The tag as a pool dump shows it: its four bytes in memory (little-endian) order."""
    chars = ((tag >> (8 * i)) & 0xFF for i in range(4))
    return "".join(chr(c) if 0x20 <= c <= 0x7E else " " for c in chars)


class PoolBlock:
    """One allocation: where it is, how big, whose, and whether it is still allocated.

    *owner* is ``"driver"`` for what is charged to the driver, ``"framework"`` for KMDF's.
    *special* marks the driver's own ExAllocatePool calls, which Driver Verifier serves from
    special pool.
    """

    __slots__ = (
        "address",
        "size",
        "tag",
        "pool_type",
        "owner",
        "allocated",
        "paged",
        "usage",
        "special",
    )

    def __init__(self, address, size, tag, pool_type, owner: str, paged: bool, special: bool):
        self.address = address
        self.size = size
        self.tag = tag
        self.pool_type = pool_type
        self.owner = owner
        self.paged = paged
        self.special = special
        self.allocated = True
        self.usage: list[int] = []  # its tag's [allocs, frees, bytes] row in Pool.usage

    def __repr__(self) -> str:
        state = "allocated" if self.allocated else "free"
        return f"<PoolBlock 0x{self.address:016X} {self.size:#x} bytes {state}>"

    @property
    def end(self) -> int:
        return self.address + self.size

    @property
    def large(self) -> bool:
        return self.size + POOL_HEADER_SIZE > PAGE_SIZE


@dataclass(frozen=True)
class TagUsage:
    """One row of a ``!poolused`` listing."""

    tag: str
    paged: bool
    allocs: int
    frees: int
    bytes_in_use: int


class Pool:
    """Both pools of one machine, and the bytes behind them.

    *limit* is the number of bytes each pool can hand out at once; a request that would pass it
    fails (returns ``None``).  *driver_verifier* turns on Driver Verifier's pool checks (the
    kernel's, Verifier.exe's; KMDF Verifier has no part in them): 0xC4 instead of 0xC2 for the
    mistakes both catch, a zero-byte or zero-tag allocation refused, special pool.
    """

    def __init__(self, limit: int, driver_verifier: bool, irql) -> None:
        self.limit = limit
        self.driver_verifier = driver_verifier
        self._irql = irql  # a callable returning the current IRQL
        self._cursor = {False: NONPAGED_BASE, True: PAGED_BASE}
        self.in_use = {False: 0, True: 0}
        self._blocks: dict[int, PoolBlock] = {}  # live blocks by address
        self._recently_freed: dict[int, PoolBlock] = {}  # oldest first
        self._page_blocks: dict[int, list[PoolBlock]] = {}  # small blocks by page
        self._large: dict[int, PoolBlock] = {}  # live large blocks by address
        self._large_starts: list[int] = []  # their addresses, sorted
        self._bytes: dict[int, bytearray | bytes] = {}
        """The backing store, one page each: a bytearray of its own, or a shared immutable page
        (bytes) that the first partial write copies (see the module docstring)."""
        self.usage: dict[tuple[int, bool], list[int]] = {}  # (tag, paged) -> [allocs, frees, bytes]
        self.user_pages: dict[int, bool] = {}
        """User-mode pages mapped now (the attached process's buffers, see wdfkit.kernel.usermode):
        page → writable."""
        self._read_only_pages = 0  # how many of them are read-only: writes check only then
        self.user_fault = None
        """``user_fault(address, write, irql)``: the bug check for a bad user-mode address."""
        self.user_page_in = None
        """``user_page_in(page) -> bool``: bring in the attached process's page on a miss
        (usermode.py's demand paging); True if it is mapped now."""
        self.on_fault = None
        """Called with the page-fault bug check before it is raised: its machine stops there
        (see Machine._memory_fault), whoever made the access."""

    # -- allocation ---------------------------------------------------------------------
    def allocate(
        self, pool_type: int, size: int, tag: int, owner: str, caller: int = 0, special=False
    ):
        """ExAllocatePoolWithTag's core: a new block, or ``None`` when the pool is exhausted.

        *caller* is the driver's return address (for 0xC2/0x9B); *special*: the driver asked.
        """
        paged = is_paged(pool_type)
        if (paged and self._irql() > APC_LEVEL) or (self.driver_verifier and not (size and tag)):
            self._refuse_allocation(pool_type, size, caller)
        in_use = self.in_use[paged] + size
        if in_use > self.limit:
            return None
        cursor = self._cursor[paged]
        if size + POOL_HEADER_SIZE > PAGE_SIZE:  # a page or more: whole pages, page-aligned
            address = (cursor + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
            if address != cursor:
                self._leave_page(cursor >> PAGE_SHIFT)
            self._cursor[paged] = address + ((size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
        else:  # after a 16-byte header, rounded to 16 bytes, never crossing a page
            rounded = (size + POOL_ALIGNMENT - 1) & ~(POOL_ALIGNMENT - 1) or POOL_ALIGNMENT
            if (cursor & (PAGE_SIZE - 1)) + POOL_HEADER_SIZE + rounded > PAGE_SIZE:
                self._leave_page(cursor >> PAGE_SHIFT)
                cursor = (cursor + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
            address = cursor + POOL_HEADER_SIZE
            self._cursor[paged] = address + rounded
        block = PoolBlock(address, size, tag, pool_type, owner, paged, special)
        self._blocks[address] = block
        self.in_use[paged] = in_use
        row = block.usage = self.usage.get((tag, paged)) or self.usage.setdefault(
            (tag, paged), [0, 0, 0]
        )
        row[0] += 1
        row[2] += size
        if size + POOL_HEADER_SIZE > PAGE_SIZE:
            self._large[address] = block
            self._large_starts.append(address)  # addresses only grow: stays sorted
        else:
            page = address >> PAGE_SHIFT
            live = self._page_blocks.get(page)
            if live is None:
                live = self._page_blocks[page] = {}
            live[address] = block
            offset = (address - POOL_HEADER_SIZE) & (PAGE_SIZE - 1)  # the header: see _HEADER
            data = self._page(page)
            _HEADER.pack_into(data, offset, _units(size), (pool_type & 1) + 5, tag)
        return block

    def _refuse_allocation(self, pool_type: int, size: int, caller: int) -> None:
        irql = self._irql()
        if irql > APC_LEVEL and base_is_paged(pool_type):
            if self.driver_verifier:
                raise BugCheck(
                    DRIVER_VERIFIER_DETECTED_VIOLATION,
                    (0x01, irql, pool_type, size),
                    _("The driver allocated paged pool at IRQL > APC_LEVEL."),
                )
            raise BugCheck(
                BAD_POOL_CALLER,
                (0x08, irql, pool_type, size),
                _("The driver allocated paged pool at IRQL > APC_LEVEL."),
            )
        if size == 0:
            raise BugCheck(
                DRIVER_VERIFIER_DETECTED_VIOLATION,
                (0x00, irql, pool_type, 0),
                _("The driver asked for a zero-byte pool allocation."),
            )
        raise BugCheck(
            BAD_POOL_CALLER,
            (0x9B, pool_type, size, caller),
            _("The driver allocated pool with a tag of 0."),
        )

    def _leave_page(self, page: int) -> None:
        """The cursor moves past *page*: if every block on it is already free, unmap it."""
        if not self._page_blocks.get(page):
            self._page_blocks.pop(page, None)
            self._bytes.pop(page, None)

    def header_value(self, block: PoolBlock) -> int:
        """The first eight bytes of a block's pool header, as a bug check reports them."""
        if block.large:
            return 0
        return int.from_bytes(self.read(block.address - POOL_HEADER_SIZE, 8, check=False), "little")

    # -- free -----------------------------------------------------------------------------
    def free(self, address: int, tag: int | None) -> PoolBlock:
        """ExFreePool(WithTag)'s core: check the call, then release the block."""
        block = self._blocks.get(address)
        if (
            block is None
            or (block.paged and self._irql() > APC_LEVEL)
            or (tag is not None and tag != block.tag)
        ):
            self._refuse_free(address, block, tag)
        self._release(block)
        return block

    def _refuse_free(self, address: int, block: PoolBlock | None, tag: int | None) -> None:
        if block is None:
            freed = self._recently_freed.get(address)
            if freed is not None:
                header = self.header_value(freed)
                if self.driver_verifier:
                    raise BugCheck(
                        DRIVER_VERIFIER_DETECTED_VIOLATION,
                        (0x13, 0, address - POOL_HEADER_SIZE, header),
                        _("The driver freed pool that was already freed."),
                    )
                raise BugCheck(
                    BAD_POOL_CALLER,
                    (0x07, 0, header, address),
                    _("The driver freed pool that was already freed."),
                )
            if self.driver_verifier:
                raise BugCheck(
                    DRIVER_VERIFIER_DETECTED_VIOLATION,
                    (0x10, address, 0, 0),
                    _("The driver freed an address that no allocation returned."),
                )
            raise BugCheck(
                BAD_POOL_CALLER,
                (0x99, address, 0, 0),
                _("The driver freed an address that no allocation returned."),
            )
        irql = self._irql()
        if block.paged and irql > APC_LEVEL:
            if self.driver_verifier:
                raise BugCheck(
                    DRIVER_VERIFIER_DETECTED_VIOLATION,
                    (0x11, irql, block.pool_type, address),
                    _("The driver freed paged pool at IRQL > APC_LEVEL."),
                )
            raise BugCheck(
                BAD_POOL_CALLER,
                (0x09, irql, block.pool_type, address),
                _("The driver freed paged pool at IRQL > APC_LEVEL."),
            )
        raise BugCheck(
            BAD_POOL_CALLER,
            (0x0A, address, block.tag, tag),
            _(
                "ExFreePoolWithTag was given tag '{given}', but the block was allocated with "
                "tag '{allocated}'."
            ).format(given=tag_text(tag), allocated=tag_text(block.tag)),
        )

    def _release(self, block: PoolBlock) -> None:
        block.allocated = False
        address = block.address
        del self._blocks[address]
        self.in_use[block.paged] -= block.size
        block.usage[1] += 1
        block.usage[2] -= block.size
        freed = self._recently_freed
        freed[address] = block
        if len(freed) >= 2 * FREED_REMEMBERED:  # forget the older half, in one go
            self._recently_freed = dict(itertools.islice(freed.items(), FREED_REMEMBERED, None))
        if block.size + POOL_HEADER_SIZE > PAGE_SIZE:
            del self._large[address]
            self._large_starts.remove(address)
            first = address >> PAGE_SHIFT
            for page in range(first, first + ((block.size + PAGE_SIZE - 1) >> PAGE_SHIFT)):
                self._bytes.pop(page, None)
            return
        page = address >> PAGE_SHIFT
        if page in self._bytes:
            self._page(page)[(address - POOL_HEADER_SIZE) & (PAGE_SIZE - 1) | 3] = 0  # not in use
        live = self._page_blocks[page]
        del live[address]
        if not live and page != self._cursor[block.paged] >> PAGE_SHIFT:
            del self._page_blocks[page]  # the whole page is free: unmap it
            self._bytes.pop(page, None)

    # -- bytes ----------------------------------------------------------------------------
    def block_at(self, address: int) -> PoolBlock | None:
        """The block (live or recently freed) whose header or bytes include *address*."""
        for block in self._page_blocks.get(address >> PAGE_SHIFT, {}).values():
            if block.address - POOL_HEADER_SIZE <= address < block.end:
                return block
        block = self._large_at(address)
        if block is not None:
            return block
        for block in reversed(self._recently_freed.values()):
            if block.address - POOL_HEADER_SIZE <= address < block.end:
                return block
        return None

    def _large_at(self, address: int) -> PoolBlock | None:
        i = bisect.bisect_right(self._large_starts, address) - 1
        if i >= 0:
            block = self._large[self._large_starts[i]]
            if address < block.end:
                return block
        return None

    def page_mapped(self, page: int) -> bool:
        """Whether virtual page number *page* is mapped (a live block, or the cursor's page)."""
        return self._mapped(page)

    def _mapped(self, page: int) -> bool:
        if page in self._page_blocks or page in self.user_pages:
            return True
        if page == self._cursor[False] >> PAGE_SHIFT or page == self._cursor[True] >> PAGE_SHIFT:
            return True
        if self._large_at(page << PAGE_SHIFT) is not None:
            return True
        return self.user_page_in is not None and self.user_page_in(page)

    def first_unmapped(self, address: int, length: int) -> int | None:
        """The first address of ``[address, address + length)`` that no page maps, or None.

        Walks mapped extents, not pages: a large block is one step however long it is, so a
        range of 2**63 bytes costs what the mapped pages it crosses cost.
        """
        if length <= 0:
            return None
        page, last = address >> PAGE_SHIFT, (address + length - 1) >> PAGE_SHIFT
        while page <= last:
            if page in self._page_blocks:  # the common case: a page of small blocks
                page += 1
                continue
            block = self._large_at(page << PAGE_SHIFT)
            if block is not None:
                page = (block.end + PAGE_SIZE - 1) >> PAGE_SHIFT
                continue
            if not self._mapped(page):
                return max(address, page << PAGE_SHIFT)
            page += 1
        return None

    def check_access(self, address: int, length: int, write: bool) -> None:
        """Fault (0x50) if the range touches unmapped memory or, under Driver Verifier, freed
        pool.  The fault is at the first unmapped byte, where a real access would stop."""
        if length <= 0:
            return
        unmapped = self.first_unmapped(address, length)
        if unmapped is not None:
            self._fault(unmapped, write)
        if write and self._read_only_pages:
            self._check_user_write(address, length)
        if self.driver_verifier:
            for offset in (0, length - 1):
                block = self.block_at(address + offset)
                if block is not None and not block.allocated:
                    self._fault(address + offset, write)

    def map_user_pages(self, first: int, count: int, writable: bool) -> None:
        """Pages of the attached process's buffer enter the address space (usermode.py)."""
        for page in range(first, first + count):
            self.user_pages[page] = writable
        if not writable:
            self._read_only_pages += count

    def unmap_user_pages(self, first: int, count: int) -> None:
        """…and leave it again: their bytes go with them."""
        for page in range(first, first + count):
            if not self.user_pages.pop(page):
                self._read_only_pages -= 1
            self._bytes.pop(page, None)

    def _check_user_write(self, address: int, length: int) -> None:
        """A write to a read-only user page is an access violation (only user pages can be
        read-only here)."""
        first, last = address >> PAGE_SHIFT, (address + length - 1) >> PAGE_SHIFT
        read_only = (page for page, writable in self.user_pages.items() if not writable)
        hit = min((page for page in read_only if first <= page <= last), default=None)
        if hit is not None:
            self._fault(max(address, hit << PAGE_SHIFT), True)

    def _fault(self, address: int, write: bool) -> None:
        """The page fault (0x50).  In a freed block the driver allocated itself, which Driver
        Verifier serves from special pool, KeBugCheck2 renames it 0xD5.  A user-mode address
        has its own bug check (``user_fault``: wdfkit.kernel.usermode)."""
        block = self.block_at(address) if self.driver_verifier else None
        if (
            self.user_fault is not None
            and MM_LOWEST_USER_ADDRESS <= address <= MM_HIGHEST_USER_ADDRESS
        ):
            bugcheck = self.user_fault(address, write, self._irql())
        elif block is not None and not block.allocated and block.special:
            bugcheck = BugCheck(
                DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
                (address, 1 if write else 0, 0, 0),
                _(
                    "Driver Verifier's special pool caught an access to pool the driver had "
                    "already freed."
                ),
            )
        else:
            bugcheck = BugCheck(
                PAGE_FAULT_IN_NONPAGED_AREA,
                (address, 2 if write else 0, 0, 0),
                _("The driver touched memory that is not valid: pool that was already freed.")
                if block is not None
                else _("The driver touched memory that is not valid: an unmapped address."),
            )
        if self.on_fault is not None:
            self.on_fault(bugcheck)
        raise bugcheck

    def _page(self, page: int) -> bytearray:
        """*page*'s own, writable bytes (made on first write: garbage, or a shared page's
        copy)."""
        data = self._bytes.get(page)
        if data is None:
            # Fresh pool holds whatever was there before: deterministic garbage.
            start = (page * 0x9E3779B1) & (_GARBAGE_SPAN - POOL_ALIGNMENT)
            data = self._bytes[page] = bytearray(_GARBAGE[start : start + PAGE_SIZE])
        elif type(data) is bytes:
            data = self._bytes[page] = bytearray(data)
        return data

    def _peek(self, page: int):
        """*page*'s bytes for reading, without storing anything for a page never written."""
        data = self._bytes.get(page)
        if data is None:
            start = (page * 0x9E3779B1) & (_GARBAGE_SPAN - POOL_ALIGNMENT)
            return memoryview(_GARBAGE)[start : start + PAGE_SIZE]
        return data

    def _pieces(self, address: int, length: int):
        """(page, offset in page, bytes) for each page piece of a range, in order."""
        while length > 0:
            offset = address & (PAGE_SIZE - 1)
            chunk = min(length, PAGE_SIZE - offset)
            yield address >> PAGE_SHIFT, offset, chunk
            address += chunk
            length -= chunk

    def read(self, address: int, length: int, check: bool = True) -> bytes:
        """The bytes at *address*; with *check*, fault as a real access would."""
        if check:
            self.check_access(address, length, write=False)
        return b"".join(
            memoryview(self._peek(page))[offset : offset + chunk]
            for page, offset, chunk in self._pieces(address, length)
        )

    def read_into(self, address: int, target, check: bool = True) -> None:
        """Copy ``len(target)`` bytes at *address* into the writable buffer *target*, a page at
        a time (no host copy of the whole range)."""
        view = memoryview(target).cast("B")
        if check:
            self.check_access(address, len(view), write=False)
        done = 0
        for page, offset, chunk in self._pieces(address, len(view)):
            view[done : done + chunk] = memoryview(self._peek(page))[offset : offset + chunk]
            done += chunk

    def write(self, address: int, data, check: bool = True) -> None:
        """Store *data* (any bytes-like object) at *address*; with *check*, fault as a real
        access would, before anything is written."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data)
        view = memoryview(data).cast("B")
        if check:
            self.check_access(address, len(view), write=True)
        done = 0
        for page, offset, chunk in self._pieces(address, len(view)):
            piece = view[done : done + chunk]
            if chunk == PAGE_SIZE:  # a whole page: its own immutable copy, or the shared zeros
                self._bytes[page] = _ZERO_PAGE if piece == _ZERO_PAGE else bytes(piece)
            else:
                self._page(page)[offset : offset + chunk] = piece
            done += chunk

    def fill(self, address: int, length: int, value: int, check: bool = True) -> None:
        """Set *length* bytes at *address* to *value* (RtlFillMemory's core): whole pages
        share one immutable page of *value*."""
        if check:
            self.check_access(address, length, write=True)
        filled = _filled_page(value)
        for page, offset, chunk in self._pieces(address, length):
            if chunk == PAGE_SIZE:
                self._bytes[page] = filled
            else:
                self._page(page)[offset : offset + chunk] = filled[:chunk]

    def copy(self, destination: int, source: int, length: int) -> None:
        """memmove: copy *length* bytes, overlapping or not, a page piece at a time.

        The range checks come first, and the fault is where the copy would first fail: the
        first unmapped byte read or written (a read first when both fail at the same offset).
        """
        if length <= 0:
            return
        bad_read = self.first_unmapped(source, length)
        bad_write = self.first_unmapped(destination, length)
        read_at = None if bad_read is None else bad_read - source
        write_at = None if bad_write is None else bad_write - destination
        if read_at is not None and (write_at is None or read_at <= write_at):
            self._fault(bad_read, False)
        if write_at is not None:
            self._fault(bad_write, True)
        self.check_access(source, length, write=False)  # Driver Verifier: freed pool
        self.check_access(destination, length, write=True)
        if destination == source:
            return
        mask = PAGE_SIZE - 1
        backwards = source < destination < source + length  # overlapping: copy from the end
        done = 0
        while done < length:
            left = length - done
            if backwards:
                d_end, s_end = destination + left, source + left
                chunk = min(left, ((d_end - 1) & mask) + 1, ((s_end - 1) & mask) + 1)
                d, s = d_end - chunk, s_end - chunk
            else:
                d, s = destination + done, source + done
                chunk = min(left, PAGE_SIZE - (d & mask), PAGE_SIZE - (s & mask))
            data = self._peek(s >> PAGE_SHIFT)
            if chunk == PAGE_SIZE and type(data) is bytes:
                self._bytes[d >> PAGE_SHIFT] = data  # a shared page stays shared
            else:
                piece = bytes(memoryview(data)[s & mask : (s & mask) + chunk])
                if chunk == PAGE_SIZE:
                    self._bytes[d >> PAGE_SHIFT] = _ZERO_PAGE if piece == _ZERO_PAGE else piece
                else:
                    self._page(d >> PAGE_SHIFT)[d & mask : (d & mask) + chunk] = piece
            done += chunk

    def compare(self, first: int, second: int, length: int) -> int:
        """RtlCompareMemory's core: how many leading bytes are equal.  Like the real one it
        reads only up to the first difference, so it faults only if it gets to bad memory."""
        mask = PAGE_SIZE - 1
        done = 0
        while done < length:
            a, b = first + done, second + done
            chunk = min(length - done, PAGE_SIZE - (a & mask), PAGE_SIZE - (b & mask))
            self.check_access(a, chunk, write=False)
            self.check_access(b, chunk, write=False)
            x = memoryview(self._peek(a >> PAGE_SHIFT))[a & mask : (a & mask) + chunk]
            y = memoryview(self._peek(b >> PAGE_SHIFT))[b & mask : (b & mask) + chunk]
            if x != y:
                return done + next(i for i in range(chunk) if x[i] != y[i])
            done += chunk
        return length

    def backed_bytes(self) -> int:
        """Host bytes the backing store holds of its own (shared pages counted once)."""
        shared = {id(page) for page in _FILLED.values()}
        own = sum(len(d) for d in self._bytes.values() if id(d) not in shared)
        return own + PAGE_SIZE * len(shared)

    # -- reports ----------------------------------------------------------------------------
    def live_blocks(self) -> list[PoolBlock]:
        """Every allocated block, in address order."""
        return sorted(self._blocks.values(), key=lambda b: b.address)

    def tag_usage(self) -> list[TagUsage]:
        """Allocations, frees and bytes in use per tag and pool, sorted by tag."""
        rows = [
            TagUsage(tag_text(tag), paged, a, f, b)
            for (tag, paged), (a, f, b) in self.usage.items()
        ]
        return sorted(rows, key=lambda r: (r.tag, r.paged))
