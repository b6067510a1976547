"""wdfmemory.h's lookaside DDIs: WdfLookasideListCreate and WdfMemoryCreateFromLookaside.

Mirrors: fxlookasidelistapi.cpp, fxlookasidelist.cpp, fxmemorybufferfromlookaside.cpp.
"""

from ..fx.handles import FX_TYPE_LOOKASIDE, WDFHANDLE, get_object
from ..fx.lookaside import FxLookasideList, FxMemoryBufferFromLookaside
from ..fx.object import attributes_parent
from ..fx.verifier import check_irql, validate_object_attributes
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_INVALID_PARAMETER,
)
from ..kernel.pool import PASSIVE_LEVEL, is_paged
from ._entry import ddi, pool_tag, size_t, ulong
from .wdfobject import WDF_OBJECT_ATTRIBUTES, attributes_arg, check_parent_handle

__all__ = ["WdfLookasideListCreate", "WdfMemoryCreateFromLookaside"]


@ddi
def WdfLookasideListCreate(
    machine,
    LookasideAttributes: WDF_OBJECT_ATTRIBUTES | None,
    BufferSize: int,
    PoolType: int,
    MemoryAttributes: WDF_OBJECT_ATTRIBUTES | None,
    PoolTag,
):
    """Create a lookaside list of *BufferSize*-byte buffers for WdfMemoryCreateFromLookaside.

    Args:
        LookasideAttributes: the list's own attributes (parent, callbacks); optional.
        BufferSize: bytes per buffer, > 0.
        PoolType: NonPagedPoolNx (or NonPagedPool) or PagedPool.
        MemoryAttributes: attributes every memory object from the list gets (parent!); optional.
        PoolTag: tag of the buffers; 0 means the driver's tag.

    Returns:
        ``(status, Lookaside)``.  STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a zero size; an
        attribute status (FxValidateObjectAttributes); for a paged list with KMDF Verifier on above
        PASSIVE_LEVEL, STATUS_INVALID_DEVICE_REQUEST; for a paged list whose two ParentObjects
        belong to different devices, STATUS_INVALID_PARAMETER; STATUS_INSUFFICIENT_RESOURCES.

    Bug checks: 0x10D/0x5 for a bad ParentObject: first the LookasideAttributes' (when their
    Size is right), or else the MemoryAttributes'; for a paged list both are looked up after
    validation.  A non-paged list looks at no other MemoryAttributes parent until
    WdfMemoryCreateFromLookaside commits a memory object under it.
    Fidelity: fxlookasidelistapi.cpp (WdfLookasideListCreate: the
    parent handle of LookasideAttributes, else of MemoryAttributes, when
    FxValidateObjectAttributesForParentHandle succeeds; BufferSize == 0;
    FxValidateObjectAttributes with no options on both; for paged pool the IRQL and
    FxDeviceBase::_SearchForDevice of both; then Initialize, which copies MemoryAttributes
    (FxLookasideList::InitializeLookaside, fxlookasidelist.cpp), and Commit).
    """
    LookasideAttributes = attributes_arg("LookasideAttributes", LookasideAttributes)
    MemoryAttributes = attributes_arg("MemoryAttributes", MemoryAttributes)
    if not check_parent_handle(machine, LookasideAttributes):
        check_parent_handle(machine, MemoryAttributes)
    size = size_t("BufferSize", BufferSize)
    pool_type = ulong("PoolType", PoolType)
    tag = pool_tag("PoolTag", PoolTag) or machine.tag
    if size == 0:
        return STATUS_INVALID_PARAMETER, None
    status = validate_object_attributes(LookasideAttributes)
    if NT_SUCCESS(status):
        status = validate_object_attributes(MemoryAttributes)
    if not NT_SUCCESS(status):
        return status, None
    paged = is_paged(pool_type)
    if paged:
        status = check_irql(machine, PASSIVE_LEVEL)
        if not NT_SUCCESS(status):
            return status, None
        lookaside_device = _search_for_device(machine, LookasideAttributes)
        memory_device = _search_for_device(machine, MemoryAttributes)
        if lookaside_device and memory_device and lookaside_device is not memory_device:
            return STATUS_INVALID_PARAMETER, None
    status, lookaside = FxLookasideList.create(
        machine, LookasideAttributes, None, paged, size, tag, MemoryAttributes
    )
    return status, lookaside and lookaside.handle


def _search_for_device(machine, attributes):
    """FxDeviceBase::_SearchForDevice(Attributes): the device the attributes' ParentObject
    belongs to (looked up: 0x10D/0x5 for a bad handle); None without one (fxdevicebase.cpp)."""
    parent = attributes_parent(machine, attributes)
    return None if parent is None else parent.device_base()


@ddi
def WdfMemoryCreateFromLookaside(machine, Lookaside: WDFHANDLE):
    """A memory object whose buffer comes from *Lookaside*; WdfObjectDelete gives it back.

    The memory object gets the list's MemoryAttributes: its parent is their ParentObject, or the
    driver — not the list.  It holds a reference on the list until it is deleted.

    Returns:
        ``(status, Memory)``.  STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES when the list is
        empty and pool cannot supply a block; STATUS_DELETE_PENDING when the MemoryAttributes
        parent is being deleted (the entries go back to the list).

    A list deleted while memory from it is outstanding is disposed, not destroyed (each memory
    object holds a reference on it): its handle stays valid and it still hands out buffers, as
    every deleted-but-referenced object works (fx/object.py); KMDF checks no state here.

    Bug checks: 0x10D/0x5 for a bad or stale handle (a list already freed), and for a bad
    ParentObject in the list's MemoryAttributes (Commit looks it up, after the allocation).  A
    paged list above APC_LEVEL bug-checks only when the allocation misses and reaches pool.
    Fidelity: fxlookasidelistapi.cpp (WdfMemoryCreateFromLookaside:
    FxLookasideList::Allocate, then Commit with the list's copy of MemoryAttributes).
    """
    lookaside = get_object(machine, Lookaside, FX_TYPE_LOOKASIDE, "Lookaside")
    status, memory = FxMemoryBufferFromLookaside.create(
        machine, lookaside.memory_attributes, None, lookaside
    )
    return status, memory and memory.handle
