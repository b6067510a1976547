"""WDFLOOKASIDE: a framework object over one or two kernel lookaside lists.

KMDF picks the shape from the pool type and the buffer size:

* nonpaged, buffer under a page — ``FxNPagedLookasideList``: one kernel list whose entries hold
  the memory object and its buffer together;
* nonpaged, a page or more — ``FxNPagedLookasideListFromPool``: one list of objects, one of
  buffers;
* paged — ``FxPagedLookasideListFromPool``: a nonpaged list of objects, a paged list of buffers.

Every memory object made from the list holds a reference on it, so ``WdfObjectDelete`` of the
list with buffers outstanding only disposes it: the kernel lists are deleted (and their held
blocks freed) when the last buffer is deleted.  A memory object's parent comes from the list's
MemoryAttributes, else it is the driver — never the list.

Mirrors: fxlookasidelistapi.cpp, fxnpagedlookasidelist(km).cpp, fxpagedlookasidelist.cpp,
fxmemorybufferfromlookaside.cpp, fxglobalskm.h (FxAllocateFromNPagedLookasideList,
FxFreeToNPagedLookasideList).
Simplified: object header sizes are representative; context memory is not counted in entries.
"""

from dataclasses import replace

from ..kernel.lookaside import LookasideList
from ..kernel.pool import FRAMEWORK, PAGE_SIZE, NonPagedPoolNx, PagedPool, tag_text
from ..sim.snapshot import LookasideDetail, LookasideShape, MemoryDetail
from .handles import FX_TYPE_LOOKASIDE
from .memory import FxMemoryBuffer, FxMemoryObject
from .object import FxObject

MEMORY_OBJECT_SIZE = FxMemoryBuffer.HEADER  # the WDFMEMORY part of an entry


class FxLookasideList(FxObject):
    """A WDFLOOKASIDE: the kernel list(s), the buffer size and tag, a copy of MemoryAttributes."""

    TYPE = FX_TYPE_LOOKASIDE
    HANDLE_NAME = "WDFLOOKASIDE"
    OBJECT_SIZE = 0xC0
    shape = "FxLookasideList"

    @classmethod
    def construct(cls, machine, paged: bool, size: int, tag: int, memory_attributes):
        """The shape KMDF picks for the pool (*paged*) and *size*, with its kernel lists
        (WdfLookasideListCreate's ``new``, then Initialize); None if pool is exhausted."""
        if paged:
            shape = FxPagedLookasideListFromPool
        elif size < PAGE_SIZE:
            shape = FxNPagedLookasideList
        else:
            shape = FxNPagedLookasideListFromPool
        block = shape.allocate_block(machine)
        if block is None:
            return None
        obj = shape(machine, block)
        obj.buffer_size, obj.pool_tag = size, tag
        # FxLookasideList::InitializeLookaside (fxlookasidelist.cpp) copies the driver's
        # MemoryAttributes: later edits to its struct change no memory object from the list.
        obj.memory_attributes = None if memory_attributes is None else replace(memory_attributes)
        obj.lists = [
            LookasideList(
                machine,
                PagedPool if paged else NonPagedPoolNx,  # KMDF passes POOL_NX_ALLOCATION
                MEMORY_OBJECT_SIZE * holds_object + size * holds_buffer,
                tag,
                FRAMEWORK,
                f"{obj.handle!r} {role}",
            )
            for role, paged, holds_object, holds_buffer in shape.KERNEL_LISTS
        ]
        return obj

    def on_destroy(self) -> None:
        """The destructor: ExDelete(N)PagedLookasideList on each kernel list."""
        for kernel_list in self.lists:
            kernel_list.delete()

    def detail(self) -> LookasideDetail:
        return LookasideDetail(
            LookasideShape(self.shape), self.buffer_size, tag_text(self.pool_tag), len(self.lists)
        )


# Each shape's kernel lists: (role, paged, entry holds the memory object, entry holds the buffer).
class FxNPagedLookasideList(FxLookasideList):
    """Nonpaged, under a page: one kernel list; an entry is the memory object + its buffer."""

    shape = "FxNPagedLookasideList"
    KERNEL_LISTS = (("objects+buffers", False, True, True),)


class FxNPagedLookasideListFromPool(FxLookasideList):
    """Nonpaged, a page or more: a kernel list of memory objects and one of buffers."""

    shape = "FxNPagedLookasideListFromPool"
    KERNEL_LISTS = (("objects", False, True, False), ("buffers", False, False, True))


class FxPagedLookasideListFromPool(FxLookasideList):
    """Paged: a nonpaged kernel list of memory objects and a paged list of buffers."""

    shape = "FxPagedLookasideListFromPool"
    KERNEL_LISTS = (("objects", False, True, False), ("buffers", True, False, True))


class FxMemoryBufferFromLookaside(FxMemoryObject):
    """A WDFMEMORY living in lookaside entries; deleting it returns them to the list(s)."""

    kind = "lookaside"

    @classmethod
    def construct(cls, machine, lookaside: FxLookasideList):
        """FxLookasideList::Allocate: one allocate per kernel list; None when any of them
        cannot get pool."""
        blocks = []
        for kernel_list in lookaside.lists:
            block = kernel_list.allocate()
            if block is None:
                for got, owner in zip(blocks, lookaside.lists, strict=False):
                    owner.free(got)
                return None
            blocks.append(block)
        if len(blocks) == 1:  # the buffer follows the object inside the one entry
            buffer = blocks[0].address + MEMORY_OBJECT_SIZE
        else:
            buffer = blocks[1].address
        obj = cls(machine, blocks[0], buffer, lookaside.buffer_size, lookaside.pool_tag)
        obj.lookaside = lookaside
        obj.entries = blocks
        lookaside.add_ref()  # FxMemoryBufferFromLookaside::Init
        return obj

    def free_storage(self) -> None:
        """SelfDestruct: the buffer entry, then the object entry, go back; then the reference."""
        lists, entries = reversed(self.lookaside.lists), reversed(self.entries)
        for kernel_list, block in zip(lists, entries, strict=True):
            kernel_list.free(block)
        self.lookaside.release()

    def detail(self) -> MemoryDetail:
        return replace(super().detail(), lookaside=self.lookaside.handle.value)
