"""wdm.h's lookaside lists: what a WDM driver calls, and what a WDFLOOKASIDE uses underneath.

Mirrors: ExInitialize/ExDelete(N)PagedLookasideList and the inline ExAllocateFrom…/ExFreeTo…
routines, as fxnpagedlookasidelistkm.cpp calls them (Allocate and Free NULL, Depth 0);
Microsoft's page "Using Lookaside Lists":
https://learn.microsoft.com/windows-hardware/drivers/kernel/using-lookaside-lists.
Simplified: custom Allocate/Free routines are not modelled (pass None, as KMDF does); the
Depth argument is ignored, as Windows ignores it; an Entry that is not a live pool block is
refused the way a pool free would refuse it, where Windows would push it blindly.

A list used after ExDelete…LookasideList is a driver bug that Windows does not catch, and
neither does wdfkit: the delete (ExpRemoveGeneralLookaside in Windows 11) unlinks the list
and sets its Depth to 0, so a late ExFreeTo… is a free miss that hands the block to the
list's Free routine, ExFreePool, and a late ExAllocateFrom… is a miss that takes a new block
from pool (ExFreeToNPagedLookasideList: "held >= Depth" → FreeEx).  No bug check, no error:
the counters still move, and the list is no longer tuned.  (The Server 2003 kernel, WRK
lookasid.c, left Depth alone, so the block went onto a list nobody frees: a leak Driver
Verifier reports at unload.)  On a real machine the header often lives in memory freed with
the list, which makes the late call a use-after-free; wdfkit's header is a Python object.
"""

from ..fx.call import call, foreign, named
from ..kernel.lookaside import LookasideList
from ..kernel.pointer import PVOID
from ..kernel.pool import DRIVER, NonPagedPool, PagedPool
from ._entry import ddi, pointer, pool_tag, ulong

__all__ = [
    "NPAGED_LOOKASIDE_LIST",
    "PAGED_LOOKASIDE_LIST",
    "ExAllocateFromNPagedLookasideList",
    "ExAllocateFromPagedLookasideList",
    "ExDeleteNPagedLookasideList",
    "ExDeletePagedLookasideList",
    "ExFreeToNPagedLookasideList",
    "ExFreeToPagedLookasideList",
    "ExInitializeNPagedLookasideList",
    "ExInitializePagedLookasideList",
]


class NPAGED_LOOKASIDE_LIST:
    """The list header a driver provides (usually in its device context).

    ``L`` is the GENERAL_LOOKASIDE inside, with the fields the kernel keeps: Depth,
    MaximumDepth, TotalAllocates, AllocateMisses, TotalFrees, FreeMisses, Size, Tag, Type.
    """

    paged = False

    def __init__(self) -> None:
        self.L: LookasideList | None = None
        self._machine = None  # the machine that initialised it

    def __repr__(self) -> str:
        if self.L is None:
            return f"<{type(self).__name__}: not initialised>"
        return f"<{type(self).__name__} Depth {self.L.Depth}, {len(self.L.held)} held>"


class PAGED_LOOKASIDE_LIST(NPAGED_LOOKASIDE_LIST):
    """The header of a list of paged-pool blocks (use at IRQL ≤ APC_LEVEL)."""

    paged = True


def _initialize(machine, kind, Lookaside, Allocate, Free, Flags, Size, Tag, Depth):
    if type(Lookaside) is not kind:
        raise TypeError(named(f"Lookaside must be a {kind.__name__}()"))
    if Allocate is not None or Free is not None:
        raise ValueError(named("wdfkit models only the default Allocate/Free (pass None)"))
    flags = ulong("Flags", Flags)
    size = ulong("Size", Size)
    tag = pool_tag("Tag", Tag)
    ulong("Depth", Depth)  # reserved: ignored
    pool_type = (PagedPool if kind.paged else NonPagedPool) | flags
    Lookaside.L = LookasideList(machine, pool_type, size, tag, DRIVER, call.ddi)
    Lookaside._machine = machine


def _initialised(machine, Lookaside, kind) -> LookasideList:
    """The list behind an initialised header of *kind* from this machine (deleted or not)."""
    if type(Lookaside) is not kind or Lookaside.L is None:
        raise ValueError(named(f"Lookaside must be an initialised {kind.__name__}"))
    if Lookaside._machine is not machine:
        raise foreign("Lookaside", "a lookaside list", Lookaside._machine, machine)
    return Lookaside.L


def _live(machine, Lookaside, kind) -> LookasideList:
    lookaside = _initialised(machine, Lookaside, kind)
    if lookaside.deleted:
        raise ValueError(named(f"Lookaside must be an initialised, undeleted {kind.__name__}"))
    return lookaside


def _allocate(machine, Lookaside, kind):
    lookaside = _initialised(machine, Lookaside, kind)  # deleted: a miss, see the module
    block = lookaside.allocate()
    return None if block is None else PVOID(block.address, machine)


def _free(machine, Lookaside, Entry, kind):
    lookaside = _initialised(machine, Lookaside, kind)  # deleted: a free miss, see the module
    entry = pointer("Entry", Entry, machine)
    if entry is None:
        raise ValueError(named("Entry is NULL"))
    block = machine.pool.block_at(entry.address)
    if block is None or not block.allocated or block.address != entry.address:
        machine.pool.free(entry.address, None)  # bug-checks as a bad pool free
    lookaside.free(block)


@ddi
def ExInitializeNPagedLookasideList(machine, Lookaside, Allocate, Free, Flags, Size, Tag, Depth):
    """Set up *Lookaside* for *Size*-byte nonpaged blocks tagged *Tag*.

    Flags: e.g. POOL_NX_ALLOCATION.  Depth is reserved (pass 0): the list starts at Depth 4
    (0 with Driver Verifier) and MaximumDepth 256, and the system tunes it from then on.
    """
    _initialize(machine, NPAGED_LOOKASIDE_LIST, Lookaside, Allocate, Free, Flags, Size, Tag, Depth)


@ddi
def ExAllocateFromNPagedLookasideList(machine, Lookaside) -> PVOID | None:
    """A block from the list, or from pool when it holds none (a miss); None if pool fails."""
    return _allocate(machine, Lookaside, NPAGED_LOOKASIDE_LIST)


@ddi
def ExFreeToNPagedLookasideList(machine, Lookaside, Entry: PVOID) -> None:
    """Return a block: kept on the list below Depth, otherwise freed to pool (a free miss)."""
    _free(machine, Lookaside, Entry, NPAGED_LOOKASIDE_LIST)


@ddi
def ExDeleteNPagedLookasideList(machine, Lookaside) -> None:
    """Free every held block to pool and stop tuning the list.  Blocks still in use are
    not tracked: return them with ExFreePool before unloading."""
    _live(machine, Lookaside, NPAGED_LOOKASIDE_LIST).delete()


@ddi
def ExInitializePagedLookasideList(machine, Lookaside, Allocate, Free, Flags, Size, Tag, Depth):
    """As ExInitializeNPagedLookasideList, for paged blocks (IRQL ≤ APC_LEVEL)."""
    _initialize(machine, PAGED_LOOKASIDE_LIST, Lookaside, Allocate, Free, Flags, Size, Tag, Depth)


@ddi
def ExAllocateFromPagedLookasideList(machine, Lookaside) -> PVOID | None:
    """As ExAllocateFromNPagedLookasideList; a miss above APC_LEVEL bug-checks in pool."""
    return _allocate(machine, Lookaside, PAGED_LOOKASIDE_LIST)


@ddi
def ExFreeToPagedLookasideList(machine, Lookaside, Entry: PVOID) -> None:
    """As ExFreeToNPagedLookasideList, for a paged list."""
    _free(machine, Lookaside, Entry, PAGED_LOOKASIDE_LIST)


@ddi
def ExDeletePagedLookasideList(machine, Lookaside) -> None:
    """As ExDeleteNPagedLookasideList, for a paged list."""
    _live(machine, Lookaside, PAGED_LOOKASIDE_LIST).delete()
