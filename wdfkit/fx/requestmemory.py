"""Probe-and-lock memory: a requestor's user buffer, locked and mapped into system space.

``WdfRequestProbeAndLockUserBufferForRead`` / ``ForWrite`` (FxRequest::ProbeAndLockForRead /
ForWrite, fxrequestkm.cpp) turn a user address that is valid only in the requestor's process
into a WDFMEMORY the driver can use anywhere, step by step:

1. a length of 0 is STATUS_INVALID_USER_BUFFER (the DDI passes the size_t length cast to a
   ULONG, so 4 GiB is 0 too); a request already completed, STATUS_INVALID_DEVICE_REQUEST;
2. under KMDF Verifier, VerifyProbeAndLock: a user-mode request outside its requestor's thread
   is STATUS_ACCESS_VIOLATION;
3. an MDL for the range (FxMdlAllocate: IoAllocateMdl, pool tag 'Mdl ');
4. MmProbeAndLockPages(UserMode, IoReadAccess / IoWriteAccess) inside a ``try``
   (FxProbeAndLockForRead/Write, probeandlock.c): whatever it raises is the answer — a bad user
   range is STATUS_ACCESS_VIOLATION (wdfkit.kernel.usermode), and so is a kernel-mode
   requestor's buffer, since the probe is always UserMode;
5. MmGetSystemAddressForMdlSafe: the locked pages mapped into system space;
6. FxRequestMemory::Create and Commit with the request as parent; SetMdl takes an IRP
   reference on the request, given back only when the memory is destroyed.

A failure after the MDL unlocks and frees it again.  The memory (KMDF's FxRequestMemory, a
FxMemoryBufferPreallocated over the mapping: read-only for ForRead) is a child of the request,
so completing the request destroys it — unlocking the pages, freeing the MDL and the mapping —
before the IRP-reference check; a WdfObjectReference still held on it then leaves that
reference counted and completion bug-checks 0x10D/0x3, as KMDF does.

Simplified: the system mapping is a page-aligned nonpaged block (tag 'SysB', as direct I/O's
mapping in wdfkit.kernel.irp) that holds a copy of the user bytes from the probe on; what the
driver writes through it reaches the caller's buffer when the pages are unlocked.
"""

from ..kernel import mdl as mdls
from ..kernel.irp import SYSTEM, SYSTEM_BUFFER_TAG, UserMode
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_ACCESS_VIOLATION,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_USER_BUFFER,
)
from ..kernel.pool import FRAMEWORK, PAGE_SIZE, NonPagedPoolNx
from .handles import FX_TYPE_REQUEST_MEMORY
from .memory import FxMemoryBufferPreallocated
from .object import FxObject

ULONG_MASK = 0xFFFFFFFF


class FxLockedRequestMemory(FxMemoryBufferPreallocated):
    """The WDFMEMORY over a requestor's locked pages (KMDF's FxRequestMemory: wdfkit's class of
    that name is a request's embedded memory).  Answers to FX_TYPE_REQUEST_MEMORY too."""

    OBJECT_SIZE = 0x98

    def __init__(self, machine, block, request, mdl, mapping_block, user: int, length, write):
        mapping = mapping_block.address + mdls.BYTE_OFFSET(user)
        super().__init__(machine, block, mapping, length, machine.tag)
        self.request = request
        self.mdl = mdl
        self.mapping_block = mapping_block
        self.user, self.locked = user, (mapping, length)
        self.read_only = not write
        request.irp_refs += 1  # SetMdl: AddIrpReference, until the destructor

    # FxRequestMemory::Create: FxObject's construct (its own block, None when pool is
    # exhausted) with this class's arguments, not FxMemoryBufferPreallocated's (buffer, size).
    construct = classmethod(FxObject.construct.__func__)

    def answers(self, type_code: int) -> bool:
        return type_code == FX_TYPE_REQUEST_MEMORY or super().answers(type_code)

    def on_destroy(self) -> None:
        """~FxRequestMemory: MmUnlockPages, FxMdlFree, ReleaseIrpReference."""
        machine = self.machine
        mapping, length = self.locked
        machine.user_memory.store(self.user, machine.pool.read(mapping, length, check=False))
        mdls.free(self.mdl)
        machine.pool.free(self.mapping_block.address, SYSTEM_BUFFER_TAG)
        self.request.irp_refs -= 1


def probe_and_lock(request, buffer: int, length: int, write: bool):
    """FxRequest::ProbeAndLockForRead / ForWrite: ``(status, memory)`` (see the module)."""
    machine = request.machine
    length &= ULONG_MASK  # (ULONG) Length
    if length == 0:
        return STATUS_INVALID_USER_BUFFER, None
    if request.completed:
        machine.trace("%r is already completed (debug break)", request.handle)
        return STATUS_INVALID_DEVICE_REQUEST, None
    irp, user_memory = request.irp, machine.user_memory
    if machine.kmdf_verifier and irp.requestor_mode == UserMode:  # VerifyProbeAndLock
        if user_memory.current is not irp.process:
            machine.trace(
                "%r: attempt to access user-mode memory from the wrong process",
                request.handle,
            )
            return STATUS_ACCESS_VIOLATION, None
    mdl = mdls.allocate(machine, buffer, length, FRAMEWORK)
    if mdl is None:
        return STATUS_INSUFFICIENT_RESOURCES, None
    status = user_memory.probe(buffer, length, write)
    if not NT_SUCCESS(status):
        machine.trace("MmProbeAndLockPages raised %s for 0x%X, %d bytes", status, buffer, length)
        mdls.free(mdl)
        return status, None
    pages = mdls.ADDRESS_AND_SIZE_TO_SPAN_PAGES(buffer, length)
    size = pages * PAGE_SIZE
    mapping_block = machine.pool.allocate(NonPagedPoolNx, size, SYSTEM_BUFFER_TAG, SYSTEM)
    if mapping_block is None:
        mdls.free(mdl)
        return STATUS_INSUFFICIENT_RESOURCES, None
    mapping = mapping_block.address + mdls.BYTE_OFFSET(buffer)
    machine.pool.copy(mapping, buffer, length)  # the probe passed: the process is attached
    mdls.lock_for_io(mdl, mapping, mdls.IoWriteAccess if write else mdls.IoReadAccess)
    mdls.system_address(mdl)
    status, memory = FxLockedRequestMemory.create(
        machine, None, request, request, mdl, mapping_block, buffer, length, write
    )
    if memory is None and status == STATUS_INSUFFICIENT_RESOURCES:  # not built: free here
        mdls.free(mdl)
        machine.pool.free(mapping_block.address, SYSTEM_BUFFER_TAG)
    return status, memory  # a refused Commit destroyed the memory, which unlocked the pages
