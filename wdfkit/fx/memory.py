"""Framework memory objects (WDFMEMORY): a buffer, its size, and who owns it.

A memory object describes one buffer.  Whether deleting the object frees the buffer depends on
where the buffer came from:

* ``WdfMemoryCreate`` — the object **owns** its buffer.  Under a page, in nonpaged pool and
  without KMDF Verifier's pool tracking, KMDF embeds the buffer right after the object
  (``FxMemoryBuffer``, one pool block); otherwise the buffer is a pool block of its own
  (``FxMemoryBufferFromPool``), freed when the object's reference count reaches zero.
* ``WdfMemoryCreatePreallocated`` — the object only **points at** the caller's buffer
  (``FxMemoryBufferPreallocated``); deleting it frees nothing, and the caller may point it
  elsewhere with ``WdfMemoryAssignBuffer``.

Mirrors: fxmemoryobject.cpp (FxMemoryObject::_Create, _CopyPtrToPtr), fxmemorybuffer.cpp,
fxmemorybufferfrompool.cpp, fxmemorybufferpreallocated.cpp, fxmemorybufferapi.cpp.
Simplified: object header sizes are representative, not measured.
"""

from ..kernel.ntstatus import (
    STATUS_ACCESS_VIOLATION,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_INVALID_BUFFER_SIZE,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from ..kernel.pointer import PVOID
from ..kernel.pool import FRAMEWORK, PAGE_SIZE, is_paged, tag_text
from ..sim.snapshot import BlockHolds, MemoryDetail, MemoryKind
from .handles import FX_TYPE_MEMORY_PREALLOCATED, IFX_TYPE_MEMORY
from .object import FxObject


class FxMemoryObject(FxObject):
    """Base of every WDFMEMORY: a buffer address and size, copy routines, ownership."""

    HANDLE_NAME = "WDFMEMORY"
    kind = "memory"
    owns_buffer = True
    read_only = False

    def __init__(self, machine, block, buffer: int | None, size: int, tag: int) -> None:
        FxObject.__init__(self, machine, block)
        self.buffer = buffer
        self.size = size
        self.pool_tag = tag

    def answers(self, type_code: int) -> bool:
        return type_code == IFX_TYPE_MEMORY or super().answers(type_code)

    @classmethod
    def construct(cls, machine, pool_type: int, tag: int, size: int):
        """FxMemoryObject::_Create: pick the representation and allocate; None if pool is
        exhausted."""
        # As _Create: a page or more, KMDF Verifier's pool tracking (FxVerifierOn &&
        # FxPoolTrackingOn, fxmemoryobject.cpp), or paged pool -> buffer apart from the
        # object, so it is page aligned, overrun-checkable, or pageable.
        if size >= PAGE_SIZE or machine.kmdf_verifier or is_paged(pool_type):
            return FxMemoryBufferFromPool.construct(machine, pool_type, tag, size)
        return FxMemoryBuffer.construct(machine, pool_type, tag, size)

    def pointer(self) -> PVOID | None:
        return None if self.buffer is None else PVOID(self.buffer, self.machine)

    def copy_to(self, offset: int, write_out, count: int):
        """IFxMemory::CopyToPtr: read *count* bytes at *offset* and hand them to *write_out*."""
        if count == 0 or self.buffer is None:
            return STATUS_INVALID_PARAMETER
        if (offset != 0 and offset >= self.size) or count > self.size - offset:
            return STATUS_BUFFER_TOO_SMALL
        write_out(self.machine.pool.read(self.buffer + offset, count))
        return STATUS_SUCCESS

    def copy_from(self, offset: int, data_in, count: int):
        """IFxMemory::CopyFromPtr: write *count* bytes from *data_in* at *offset*."""
        if count == 0 or self.buffer is None:
            return STATUS_INVALID_PARAMETER
        if self.read_only:
            self.machine.trace(f"Verifier: {self.handle!r} is read-only (debug break)")
            return STATUS_ACCESS_VIOLATION
        if (offset != 0 and offset >= self.size) or count > self.size - offset:
            return STATUS_INVALID_BUFFER_SIZE
        self.machine.pool.write(self.buffer + offset, data_in(count))
        return STATUS_SUCCESS

    def pool_blocks(self) -> dict[int, BlockHolds]:
        """The object's block, holding the buffer too when it is embedded; else the buffer's
        own block, when the object owns it."""
        if self.block is None:
            return {}
        if self.buffer is not None and self.block.address <= self.buffer < self.block.end:
            return {self.address: BlockHolds.OBJECT_AND_BUFFER}
        blocks = {self.address: BlockHolds.OBJECT}
        if self.owns_buffer:
            blocks[self.buffer] = BlockHolds.BUFFER
        return blocks

    def detail(self) -> MemoryDetail:
        return MemoryDetail(
            MemoryKind(self.kind),
            self.owns_buffer,
            self.buffer,
            self.size,
            tag_text(self.pool_tag),
        )


class FxMemoryBuffer(FxMemoryObject):
    """Buffer embedded right after the object: one pool block with the caller's tag."""

    kind = "embedded"
    HEADER = 0x70

    @classmethod
    def construct(cls, machine, pool_type: int, tag: int, size: int):
        block = machine.pool.allocate(pool_type, cls.HEADER + size, tag, FRAMEWORK)
        if block is None:
            return None
        return cls(machine, block, block.address + cls.HEADER, size, tag)


class FxMemoryBufferFromPool(FxMemoryObject):
    """Buffer in a pool block of its own, freed by the destructor (reference count zero)."""

    kind = "pool"
    OBJECT_SIZE = 0x90

    @classmethod
    def construct(cls, machine, pool_type: int, tag: int, size: int):
        buffer = machine.pool.allocate(pool_type, size, tag, FRAMEWORK)
        if buffer is None:
            return None
        block = cls.allocate_block(machine)
        if block is None:
            machine.pool.free(buffer.address, tag)
            return None
        obj = cls(machine, block, buffer.address, size, tag)
        obj.buffer_block = buffer
        return obj

    def on_destroy(self) -> None:
        self.machine.pool.free(self.buffer_block.address, self.buffer_block.tag)


class FxMemoryBufferPreallocated(FxMemoryObject):
    """Points at a caller's buffer; never frees it.  The only kind AssignBuffer accepts."""

    TYPE = FX_TYPE_MEMORY_PREALLOCATED
    kind = "preallocated"
    owns_buffer = False
    OBJECT_SIZE = 0x88

    @classmethod
    def construct(cls, machine, buffer: int, size: int):
        block = cls.allocate_block(machine)
        return None if block is None else cls(machine, block, buffer, size, machine.tag)

    def answers(self, type_code: int) -> bool:
        return type_code == FX_TYPE_MEMORY_PREALLOCATED or super().answers(type_code)

    def assign_buffer(self, buffer: int, size: int) -> None:
        """The old buffer is not freed: it was never the object's."""
        self.buffer, self.size = buffer, size
