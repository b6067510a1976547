"""wdfmemory.h: creating memory objects, reaching their buffers, copying safely.

Mirrors: fxmemorybufferapi.cpp and fxmemorybufferpreallocatedapi.cpp; wdfmemory.h
(WDF_MEMORY_DESCRIPTOR) and fxrequestbuffer.cpp (FxRequestBuffer::ValidateMemoryDescriptor).
"""

from dataclasses import dataclass, field

from ..fx.call import named
from ..fx.handles import FX_TYPE_MEMORY_PREALLOCATED, IFX_TYPE_MEMORY, WDFHANDLE, get_object
from ..fx.memory import FxMemoryBufferPreallocated, FxMemoryObject
from ..fx.verifier import check_irql, null_bugcheck, validate_object_attributes
from ..kernel.ntstatus import NT_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_SUCCESS
from ..kernel.pointer import PVOID
from ..kernel.pool import APC_LEVEL, DISPATCH_LEVEL, is_paged
from . import _struct as ft
from ._entry import ddi, macro, pointer, pool_tag, size_t, ulong
from .wdfobject import WDF_OBJECT_ATTRIBUTES, attributes_arg, check_parent_handle

__all__ = [
    "WDF_MEMORY_DESCRIPTOR",
    "WDF_MEMORY_DESCRIPTOR_INIT_BUFFER",
    "WDF_MEMORY_DESCRIPTOR_INIT_HANDLE",
    "WDF_MEMORY_DESCRIPTOR_INIT_MDL",
    "WDFMEMORY_OFFSET",
    "WdfMemoryAssignBuffer",
    "WdfMemoryCopyFromBuffer",
    "WdfMemoryCopyToBuffer",
    "WdfMemoryCreate",
    "WdfMemoryCreatePreallocated",
    "WdfMemoryDescriptorTypeBuffer",
    "WdfMemoryDescriptorTypeHandle",
    "WdfMemoryDescriptorTypeInvalid",
    "WdfMemoryDescriptorTypeMdl",
    "WdfMemoryGetBuffer",
]


@ddi
def WdfMemoryCreate(
    machine,
    Attributes: WDF_OBJECT_ATTRIBUTES | None,
    PoolType: int,
    PoolTag,
    BufferSize: int,
):
    """Create a memory object that owns a new buffer of *BufferSize* bytes (not zeroed).

    Args:
        Attributes: optional; the parent defaults to the driver.
        PoolType: e.g. NonPagedPoolNx or PagedPool.
        PoolTag: four-character tag; 0 means the driver's tag.
        BufferSize: bytes, > 0.

    Returns:
        ``(status, Memory, Buffer)``.  STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a zero size;
        an attribute status (FxValidateObjectAttributes); STATUS_INVALID_DEVICE_REQUEST above the
        IRQL limit (KMDF Verifier); STATUS_INSUFFICIENT_RESOURCES when pool is exhausted.

    Bug checks: 0x10D/0x5 for a bad ParentObject handle, checked first when the attributes'
    Size is right.
    Fidelity: fxmemorybufferapi.cpp (WdfMemoryCreate: the parent
    handle when FxValidateObjectAttributesForParentHandle succeeds, the IRQL, BufferSize == 0,
    FxValidateObjectAttributes with no options, FxMemoryObject::_Create, Commit).

    >>> from wdfkit import Machine, NonPagedPoolNx
    >>> with Machine("Toaster"):
    ...     status, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, 'gaT1', 64)
    >>> status
    STATUS_SUCCESS (0x00000000)
    """
    Attributes = attributes_arg("Attributes", Attributes)
    check_parent_handle(machine, Attributes)
    PoolType = ulong("PoolType", PoolType)
    tag = pool_tag("PoolTag", PoolTag)
    size = size_t("BufferSize", BufferSize)
    if machine.irql > APC_LEVEL:  # paged pool needs ≤ APC_LEVEL, nonpaged ≤ DISPATCH_LEVEL
        status = check_irql(machine, APC_LEVEL if is_paged(PoolType) else DISPATCH_LEVEL)
        if not NT_SUCCESS(status):
            return status, None, None
    if size == 0:
        return STATUS_INVALID_PARAMETER, None, None
    status = validate_object_attributes(Attributes)
    if not NT_SUCCESS(status):
        return status, None, None
    status, memory = FxMemoryObject.create(
        machine, Attributes, None, PoolType, tag or machine.tag, size
    )
    if memory is None:
        return status, None, None
    return status, memory.handle, memory.pointer()


@ddi
def WdfMemoryCreatePreallocated(
    machine, Attributes: WDF_OBJECT_ATTRIBUTES | None, Buffer: PVOID, BufferSize: int
):
    """Create a memory object for a buffer the driver already has; the driver keeps owning it.

    Returns:
        ``(status, Memory)``.  STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a zero size; an
        attribute status; STATUS_INSUFFICIENT_RESOURCES.

    Bug checks: 0x10D/0x5 for a bad ParentObject, checked first when the attributes' Size is
    right; 0x10D/0x4 for a NULL *Buffer* (the docs say STATUS_INVALID_PARAMETER; the source
    bug-checks, and wdfkit follows the source).
    Fidelity: fxmemorybufferpreallocatedapi.cpp
    (WdfMemoryCreatePreallocated: the parent handle when
    FxValidateObjectAttributesForParentHandle succeeds, Buffer, BufferSize == 0,
    FxValidateObjectAttributes with no options, then Commit).
    """
    Attributes = attributes_arg("Attributes", Attributes)
    check_parent_handle(machine, Attributes)
    buffer = pointer("Buffer", Buffer, machine)
    size = size_t("BufferSize", BufferSize)
    if buffer is None:
        raise null_bugcheck(machine, "Buffer")
    if size == 0:
        return STATUS_INVALID_PARAMETER, None
    status = validate_object_attributes(Attributes)
    if not NT_SUCCESS(status):
        return status, None
    status, memory = FxMemoryBufferPreallocated.create(
        machine, Attributes, None, buffer.address, size
    )
    return status, memory and memory.handle


@ddi
def WdfMemoryAssignBuffer(machine, Memory: WDFHANDLE, Buffer: PVOID, BufferSize: int):
    """Point a preallocated memory object at another buffer; the old one is not freed.

    Returns: STATUS_SUCCESS, or STATUS_INVALID_PARAMETER for a zero size.
    Bug checks: 0x10D/0x5 with P3 = 0x1022 when *Memory* is not from
    WdfMemoryCreatePreallocated; 0x10D/0x4 for a NULL *Buffer*.
    Fidelity: fxmemorybufferpreallocatedapi.cpp (WdfMemoryAssignBuffer);
    fxmemorybufferpreallocated.cpp (QueryInterface answers only FX_TYPE_MEMORY_PREALLOCATED).
    """
    memory = get_object(machine, Memory, FX_TYPE_MEMORY_PREALLOCATED, "Memory")
    buffer = pointer("Buffer", Buffer, machine)
    size = size_t("BufferSize", BufferSize)
    if buffer is None:
        raise null_bugcheck(machine, "Buffer")
    if size == 0:
        return STATUS_INVALID_PARAMETER
    memory.assign_buffer(buffer.address, size)
    return STATUS_SUCCESS


@ddi
def WdfMemoryGetBuffer(machine, Memory: WDFHANDLE):
    """The buffer of any memory object and its size: ``(Buffer, BufferSize)``.  No status.

    Bug checks: 0x10D/0x5 for a bad handle.  Fidelity: fxmemorybufferapi.cpp (WdfMemoryGetBuffer).
    """
    memory = get_object(machine, Memory, IFX_TYPE_MEMORY, "Memory")
    return memory.pointer(), memory.size


def _python_or_pointer(param, value, machine, writable: bool):
    if value is None or isinstance(value, PVOID):
        return pointer(param, value, machine)
    kinds = (bytearray, memoryview) if writable else (bytes, bytearray, memoryview)
    if not isinstance(value, kinds):
        what = "a PVOID or a bytearray" if writable else "a PVOID or bytes"
        raise TypeError(named(f"{param} must be {what}, not {type(value).__name__}"))
    return value


@ddi
def WdfMemoryCopyToBuffer(
    machine, SourceMemory: WDFHANDLE, SourceOffset: int, Buffer, NumBytesToCopyTo: int
):
    """Copy out of a memory object's buffer, refusing to read past its end.

    *Buffer* is a PVOID, or a Python ``bytearray`` standing for a local C array.

    Returns: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a zero count;
    STATUS_BUFFER_TOO_SMALL when offset or count run past the object's buffer.
    Bug checks: 0x10D/0x4 for a NULL *Buffer*; 0x10D/0x5 for a bad handle.
    Fidelity: fxmemorybufferapi.cpp (WdfMemoryCopyToBuffer); fxmemoryobject.cpp
    (IFxMemory::CopyToPtr, _CopyPtrToPtr).
    """
    memory = get_object(machine, SourceMemory, IFX_TYPE_MEMORY, "SourceMemory")
    offset = size_t("SourceOffset", SourceOffset)
    count = size_t("NumBytesToCopyTo", NumBytesToCopyTo)
    target = _python_or_pointer("Buffer", Buffer, machine, writable=True)
    if target is None:
        raise null_bugcheck(machine, "Buffer")

    def write_out(data: bytes) -> None:
        if isinstance(target, PVOID):
            machine.pool.write(target.address, data)
        else:
            if len(target) < len(data):
                raise ValueError(named(f"Buffer holds {len(target)} bytes, fewer than {len(data)}"))
            target[: len(data)] = data

    return memory.copy_to(offset, write_out, count)


@ddi
def WdfMemoryCopyFromBuffer(
    machine, DestinationMemory: WDFHANDLE, DestinationOffset: int, Buffer, NumBytesToCopyFrom: int
):
    """Copy into a memory object's buffer, refusing to write past its end.

    *Buffer* is a PVOID, or Python ``bytes`` standing for a local C array.

    Returns: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a zero count;
    STATUS_ACCESS_VIOLATION for read-only request memory; STATUS_INVALID_BUFFER_SIZE when offset
    or count run past the buffer (fxmemoryobject.cpp, IFxMemory::_CopyPtrToPtr).  The docs list
    INVALID_BUFFER_SIZE for the offset too; only for an over-long count do they say
    BUFFER_TOO_SMALL, where the source returns INVALID_BUFFER_SIZE (the source wins).
    Bug checks: 0x10D/0x4 for a NULL *Buffer*; 0x10D/0x5 for a bad handle.
    Fidelity: fxmemorybufferapi.cpp (WdfMemoryCopyFromBuffer); fxmemoryobject.cpp
    (IFxMemory::CopyFromPtr, _CopyPtrToPtr).
    """
    memory = get_object(machine, DestinationMemory, IFX_TYPE_MEMORY, "DestinationMemory")
    offset = size_t("DestinationOffset", DestinationOffset)
    count = size_t("NumBytesToCopyFrom", NumBytesToCopyFrom)
    source = _python_or_pointer("Buffer", Buffer, machine, writable=False)
    if source is None:
        raise null_bugcheck(machine, "Buffer")

    def data_in(n: int) -> bytes:
        if isinstance(source, PVOID):
            return machine.pool.read(source.address, n)
        if len(source) < n:
            raise ValueError(named(f"Buffer holds {len(source)} bytes, fewer than {n}"))
        return bytes(source[:n])

    return memory.copy_from(offset, data_in, count)


# -- WDF_MEMORY_DESCRIPTOR: how a buffer is named to an I/O target (wdfmemory.h) -------------------
WdfMemoryDescriptorTypeInvalid = 0
WdfMemoryDescriptorTypeBuffer = 1
WdfMemoryDescriptorTypeMdl = 2
WdfMemoryDescriptorTypeHandle = 3


@ft.fields(BufferOffset=ft.size_t, BufferLength=ft.size_t)
@dataclass
class WDFMEMORY_OFFSET:
    """A window into a memory object; BufferLength 0 means 'to the end'."""

    BufferOffset: int = 0
    BufferLength: int = 0


@ft.fields(Buffer=ft.pvoid, Length=ft.ULONG)
@dataclass
class WDF_MEMORY_DESCRIPTOR_BUFFER_TYPE:
    Buffer: PVOID | None = None
    Length: int = 0


@ft.fields(Mdl=ft.pmdl, BufferLength=ft.ULONG)
@dataclass
class WDF_MEMORY_DESCRIPTOR_MDL_TYPE:
    Mdl: object = None
    BufferLength: int = 0


@ft.fields(Memory=ft.handle, Offsets=ft.pointer_to(WDFMEMORY_OFFSET))
@dataclass
class WDF_MEMORY_DESCRIPTOR_HANDLE_TYPE:
    Memory: WDFHANDLE | None = None
    Offsets: WDFMEMORY_OFFSET | None = None


@ft.fields(
    BufferType=ft.embedded(WDF_MEMORY_DESCRIPTOR_BUFFER_TYPE),
    MdlType=ft.embedded(WDF_MEMORY_DESCRIPTOR_MDL_TYPE),
    HandleType=ft.embedded(WDF_MEMORY_DESCRIPTOR_HANDLE_TYPE),
)
@dataclass
class WDF_MEMORY_DESCRIPTOR_UNION:
    BufferType: WDF_MEMORY_DESCRIPTOR_BUFFER_TYPE = field(
        default_factory=WDF_MEMORY_DESCRIPTOR_BUFFER_TYPE
    )
    MdlType: WDF_MEMORY_DESCRIPTOR_MDL_TYPE = field(default_factory=WDF_MEMORY_DESCRIPTOR_MDL_TYPE)
    HandleType: WDF_MEMORY_DESCRIPTOR_HANDLE_TYPE = field(
        default_factory=WDF_MEMORY_DESCRIPTOR_HANDLE_TYPE
    )


@ft.fields(Type=ft.ENUM, u=ft.embedded(WDF_MEMORY_DESCRIPTOR_UNION))
@dataclass
class WDF_MEMORY_DESCRIPTOR:
    """Names a buffer by pointer, by MDL or by memory handle: ``desc.u.BufferType.Buffer``…

    Synchronous sends take a descriptor; asynchronous formatting takes a WDFMEMORY handle,
    because only a memory object can keep the buffer alive until the I/O completes.
    """

    Type: int = WdfMemoryDescriptorTypeInvalid
    u: WDF_MEMORY_DESCRIPTOR_UNION = field(default_factory=WDF_MEMORY_DESCRIPTOR_UNION)


@macro
def WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(Descriptor: WDF_MEMORY_DESCRIPTOR, Buffer, BufferLength: int):
    """Zero the descriptor and describe *Buffer* (a PVOID) of *BufferLength* bytes (a ULONG)."""
    ft.struct_arg("Descriptor", Descriptor, WDF_MEMORY_DESCRIPTOR)
    described = WDF_MEMORY_DESCRIPTOR_BUFFER_TYPE(Buffer, ulong("BufferLength", BufferLength))
    Descriptor.__init__(Type=WdfMemoryDescriptorTypeBuffer)
    Descriptor.u.BufferType = described


@macro
def WDF_MEMORY_DESCRIPTOR_INIT_MDL(Descriptor: WDF_MEMORY_DESCRIPTOR, Mdl, BufferLength: int):
    """Zero the descriptor and describe an MDL of *BufferLength* bytes."""
    ft.struct_arg("Descriptor", Descriptor, WDF_MEMORY_DESCRIPTOR)
    described = WDF_MEMORY_DESCRIPTOR_MDL_TYPE(Mdl, ulong("BufferLength", BufferLength))
    Descriptor.__init__(Type=WdfMemoryDescriptorTypeMdl)
    Descriptor.u.MdlType = described


@macro
def WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(Descriptor: WDF_MEMORY_DESCRIPTOR, Memory, Offsets=None):
    """Zero the descriptor and describe a memory object, optionally a window of it."""
    ft.struct_arg("Descriptor", Descriptor, WDF_MEMORY_DESCRIPTOR)
    described = WDF_MEMORY_DESCRIPTOR_HANDLE_TYPE(Memory, Offsets)
    Descriptor.__init__(Type=WdfMemoryDescriptorTypeHandle)
    Descriptor.u.HandleType = described
