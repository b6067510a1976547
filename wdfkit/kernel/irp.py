"""IRPs and the I/O manager's side of a request: buffers in, results out.

An application's ``ReadFile``, ``WriteFile`` or ``DeviceIoControl`` becomes an IRP.  Before the
driver sees it, the I/O manager decides how the driver will reach the caller's bytes, from the
device's buffering method (reads and writes: the DO_BUFFERED_IO or DO_DIRECT_IO flag of its
device object, neither when both are clear) or the IOCTL code's transfer method:

* **buffered** (``DO_BUFFERED_IO``, ``METHOD_BUFFERED``): a *system buffer* in nonpaged pool;
  the caller's input is copied in first, and on completion ``Information`` bytes are copied back
  out for every status that is not an error (a warning such as STATUS_BUFFER_OVERFLOW too: the
  caller gets the part that fits), then it is freed;
* **direct** (``DO_DIRECT_IO``, ``METHOD_IN_DIRECT`` / ``METHOD_OUT_DIRECT``): the caller's
  pages are locked and described by an MDL (``Irp.MdlAddress``), which the driver maps into
  system space; writes land in the caller's pages themselves;
* **neither** (no flag, ``METHOD_NEITHER``): the caller's own addresses, valid only in its
  process (wdfkit.kernel.usermode: the process maps each buffer at its user address while the
  IRP is outstanding, and a driver reaches it only in the caller's context).

``IoCompleteRequest`` copies back, frees the IRP's MDLs and what the I/O manager allocated, and
tells the caller; completing an IRP twice is MULTIPLE_IRP_COMPLETE_REQUESTS (0x44).

When pool runs out while the I/O manager builds the IRP — the IRP itself, a system buffer, the
MDL of direct I/O or its mapping — the call fails with STATUS_INSUFFICIENT_RESOURCES before any
driver sees it: whatever was already allocated is freed again and the IRP is never completed
(:meth:`Irp.set_buffers` says so, :meth:`Irp.free_unsent` frees).

Mirrors: IopXxxControlFile / NtReadFile buffer set-up, IoCompleteRequest, IO_STACK_LOCATION.
Simplified: one stack location per driver and no file objects; the system-space mapping of
locked pages is a nonpaged block whose bytes are copied to the caller's pages at completion
(the caller is blocked meanwhile, so nobody can tell the difference); tags 'Irp ' and 'SysB'
label what the I/O manager allocates.
"""

import enum
from dataclasses import dataclass

from ..language import _
from ..sim.events import Event
from . import mdl as mdls
from .bugcheck import CANCEL_STATE_IN_COMPLETED_IRP, MULTIPLE_IRP_COMPLETE_REQUESTS, BugCheck
from .ntstatus import (
    NT_ERROR,
    NTSTATUS,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_PENDING,
    STATUS_SUCCESS,
    STATUS_VERIFY_REQUIRED,
)
from .pool import NonPagedPoolNx
from .usermode import APPLICATION

IRP_MJ_CREATE = 0x00
IRP_MJ_CLOSE = 0x02
IRP_MJ_READ = 0x03
IRP_MJ_WRITE = 0x04
IRP_MJ_DEVICE_CONTROL = 0x0E
IRP_MJ_INTERNAL_DEVICE_CONTROL = 0x0F
IRP_MJ_CLEANUP = 0x12
IOCTL_MAJORS = (IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL)  # carry an IOCTL code
MAJOR_NAMES = {
    IRP_MJ_CREATE: "IRP_MJ_CREATE",
    IRP_MJ_CLOSE: "IRP_MJ_CLOSE",
    IRP_MJ_CLEANUP: "IRP_MJ_CLEANUP",
    IRP_MJ_READ: "IRP_MJ_READ",
    IRP_MJ_WRITE: "IRP_MJ_WRITE",
    IRP_MJ_DEVICE_CONTROL: "IRP_MJ_DEVICE_CONTROL",
    IRP_MJ_INTERNAL_DEVICE_CONTROL: "IRP_MJ_INTERNAL_DEVICE_CONTROL",
}

METHOD_BUFFERED = 0
METHOD_IN_DIRECT = 1
METHOD_OUT_DIRECT = 2
METHOD_NEITHER = 3


def METHOD_FROM_CTL_CODE(code: int) -> int:
    """The transfer method in an IOCTL code's low two bits (devioctl.h)."""
    return code & 3


KernelMode = 0
UserMode = 1

# How reads and writes reach a device: DEVICE_OBJECT.Flags (wdm.h); neither when both are clear.
DO_BUFFERED_IO = 0x00000004
DO_DIRECT_IO = 0x00000010

SYSTEM = "system"  # owner of pool the I/O manager allocates (see pool.PoolBlock.owner)
IRP_TAG = int.from_bytes(b"Irp ", "little")
SYSTEM_BUFFER_TAG = int.from_bytes(b"SysB", "little")
IRP_SIZE = 0x118  # an IRP with two stack locations on x64, near enough


class IrpBuffer(enum.Enum):
    """What the I/O manager allocated one of an IRP's system blocks for."""

    SYSTEM_BUFFER = enum.auto()  # buffered I/O, METHOD_BUFFERED: Irp->AssociatedIrp.SystemBuffer
    DIRECT_MAPPING = enum.auto()  # direct I/O: the system-space mapping of the locked pages
    KERNEL_CALLER_BUFFER = enum.auto()  # METHOD_NEITHER from kernel mode: the caller's buffer


@dataclass
class IO_STATUS_BLOCK:
    """What a caller gets back: the completion status and ``Information`` (bytes moved)."""

    Status: NTSTATUS = STATUS_PENDING
    Information: int = 0


class Irp:
    """One I/O request packet and the buffers the I/O manager set up for it.

    ``input`` and ``output`` are ``(address, length)`` of what the driver may touch (address
    ``None`` when there is no buffer); ``user_*`` are the caller's own bytearrays.  ``block`` is
    the IRP's own pool block: None when IoAllocateIrp found the pool exhausted (the caller then
    fails with STATUS_INSUFFICIENT_RESOURCES: see :meth:`free_unsent`).
    """

    def __init__(
        self, machine, major: int, requestor_mode: int, code: int = 0, process=APPLICATION
    ):
        self.machine = machine
        self.process = process
        """The requestor's process (a usermode.Process): whose address space its user buffers
        are mapped in."""
        self.user_buffers: list[int] = []  # user addresses mapped for it, unmapped when done
        self.major = major
        self.requestor_mode = requestor_mode
        self.ioctl_code = code
        self.method = METHOD_FROM_CTL_CODE(code) if major in IOCTL_MAJORS else None
        self.block = machine.pool.allocate(NonPagedPoolNx, IRP_SIZE, IRP_TAG, SYSTEM)
        self.address = self.block.address if self.block is not None else 0
        self.IoStatus = IO_STATUS_BLOCK(NTSTATUS(0), 0)
        self.completed = False
        self.input = (None, 0)
        self.output = (None, 0)
        self.length = 0  # Parameters.Read.Length / Write.Length
        self.input_length = 0  # Parameters.DeviceIoControl.InputBufferLength
        self.output_length = 0  # Parameters.DeviceIoControl.OutputBufferLength
        self.device_offset = 0
        self.system_blocks: list = []  # (block, IrpBuffer): pool the I/O manager allocated
        self.copy_back: list = []  # (kernel address, caller's bytearray, whole?) at completion
        self.MdlAddress = None  # the first MDL of the IRP's chain (direct I/O)
        self.on_complete = None  # the requestor's notification
        self.Cancel = False
        """Irp->Cancel: IoCancelIrp has been called for it."""
        self.CancelRoutine = None
        """Irp->CancelRoutine: ``routine(irp)``, set by whoever holds the IRP and lets it be
        cancelled (the framework, for a queued or cancelable request); see :meth:`cancel`."""
        self.FileObject = None
        """The file object (the caller's open handle) it was sent on, if any."""

    @property
    def direct_mapping(self) -> int | None:
        """Where direct I/O's locked pages are mapped in system space (None without an MDL)."""
        if self.MdlAddress is None:
            return None
        return self.machine.physical.reserved_mappings.get(self.MdlAddress.address)

    @property
    def major_name(self) -> str:
        if self.major is None:
            return "not formatted"
        return MAJOR_NAMES.get(self.major, f"IRP_MJ_{self.major:#x}")

    # -- how the I/O manager sets up buffers ------------------------------------------------
    def _system_block(self, size: int, use: IrpBuffer):
        """A block the I/O manager allocates for this IRP, or None when pool is exhausted."""
        block = self.machine.pool.allocate(NonPagedPoolNx, size, SYSTEM_BUFFER_TAG, SYSTEM)
        if block is None:
            return None
        self.system_blocks.append((block, use))
        events = self.machine.events
        if events.listeners:
            events.emit(Event.IRP_BUFFER_ALLOCATED, block.address, size, use)
        return block

    def _user_address(self, data) -> int:
        """Where the application's buffer *data* lives in its process: mapped there until the
        IRP is done (a bytearray's view read-write, bytes read-only; see kernel.usermode)."""
        address = self.machine.user_memory.map(self.process, data, isinstance(data, memoryview))
        self.user_buffers.append(address)
        return address

    def _unmap_user_buffers(self) -> None:
        user_memory = self.machine.user_memory
        for address in self.user_buffers:
            user_memory.unmap(address)
        self.user_buffers = []

    def _direct(self, data) -> int | None:
        """Direct I/O: an MDL for the caller's pages, locked, and their system-space mapping.

        The pages are probed as NtReadFile / NtWriteFile / IopXxxControlFile do: IoWriteAccess
        for a read and for METHOD_OUT_DIRECT's output (the driver writes them), IoReadAccess for
        a write and for METHOD_IN_DIRECT's (the driver only reads them).
        Returns the mapping's address (what MmGetSystemAddressForMdlSafe will give), or None
        when pool is exhausted: IoAllocateMdl failing makes NtReadFile raise
        STATUS_INSUFFICIENT_RESOURCES (ReactOS iofunc.c, NtReadFile / IopDeviceFsIoControl).
        """
        user = self._user_address(data)
        pages = mdls.ADDRESS_AND_SIZE_TO_SPAN_PAGES(user, len(data))
        block = self._system_block(pages * mdls.PAGE_SIZE, IrpBuffer.DIRECT_MAPPING)  # page-aligned
        if block is None:
            return None
        mapping = block.address + mdls.BYTE_OFFSET(user)
        mdl = mdls.allocate(self.machine, user, len(data), SYSTEM)
        if mdl is None:
            return None
        self.machine.pool.write(mapping, data)  # a page at a time: no host copy of the whole
        if isinstance(data, memoryview):  # the caller's pages are the buffer: it sees writes
            self.copy_back.append((mapping, data, True))
        into_caller = self.major == IRP_MJ_READ or (
            self.major != IRP_MJ_WRITE and self.method == METHOD_OUT_DIRECT
        )
        mdls.lock_for_io(mdl, mapping, mdls.IoWriteAccess if into_caller else mdls.IoReadAccess)
        self.MdlAddress = mdl
        return mapping

    def set_buffers(self, in_data, out_data, device_flags: int):
        """Lay out the caller's buffers for the driver: a read or write by the device's
        buffering method (*device_flags*, its DEVICE_OBJECT.Flags), an IOCTL by its code's
        transfer method.

        Returns STATUS_SUCCESS, or STATUS_INSUFFICIENT_RESOURCES when a system buffer, an MDL
        or a mapping cannot be allocated: NtReadFile, NtWriteFile and IopDeviceFsIoControl
        allocate them inside a try block (ExAllocatePoolWithQuotaTag raises on failure; a NULL
        IoAllocateMdl is ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES)), and the handler frees
        what was built (IopCleanupAfterException) and returns the exception code to the
        caller; the driver is never called (ReactOS ntoskrnl/io/iomgr/iofunc.c).  The caller
        then frees the IRP with :meth:`free_unsent`.
        """
        write = self.machine.pool.write
        if self.major in (IRP_MJ_READ, IRP_MJ_WRITE):
            data = out_data if self.major == IRP_MJ_READ else in_data
            self.length = n = len(data)
            if n == 0:
                where = None
            elif device_flags & DO_BUFFERED_IO:
                block = self._system_block(n, IrpBuffer.SYSTEM_BUFFER)
                if block is None:
                    return STATUS_INSUFFICIENT_RESOURCES
                where = block.address
                if self.major == IRP_MJ_WRITE:
                    write(where, data)
                else:
                    self.copy_back.append((where, data, False))
            elif device_flags & DO_DIRECT_IO:
                where = self._direct(data)
                if where is None:
                    return STATUS_INSUFFICIENT_RESOURCES
            else:
                where = self._neither_address(data)
                if where is None:
                    return STATUS_INSUFFICIENT_RESOURCES
            if self.major == IRP_MJ_READ:
                self.output = (where, n)
            else:
                self.input = (where, n)
            return STATUS_SUCCESS
        self.input_length = n_in = len(in_data)
        self.output_length = n_out = len(out_data)
        if self.method == METHOD_BUFFERED:
            size = max(n_in, n_out)
            where = None
            if size:
                block = self._system_block(size, IrpBuffer.SYSTEM_BUFFER)
                if block is None:
                    return STATUS_INSUFFICIENT_RESOURCES
                where = block.address
                if n_in:
                    write(where, in_data)
                if n_out:
                    self.copy_back.append((where, out_data, False))
            self.input = (where if n_in else None, n_in)
            self.output = (where if n_out else None, n_out)
        elif self.method in (METHOD_IN_DIRECT, METHOD_OUT_DIRECT):
            where = None
            if n_in:
                block = self._system_block(n_in, IrpBuffer.SYSTEM_BUFFER)
                if block is None:
                    return STATUS_INSUFFICIENT_RESOURCES
                where = block.address
                write(where, in_data)
            self.input = (where, n_in)
            out_where = None
            if n_out:
                out_where = self._direct(out_data)
                if out_where is None:
                    return STATUS_INSUFFICIENT_RESOURCES
            self.output = (out_where, n_out)
        else:
            in_where = out_where = None
            if n_in:
                in_where = self._neither_address(in_data)
                if in_where is None:
                    return STATUS_INSUFFICIENT_RESOURCES
            if n_out:
                out_where = self._neither_address(out_data)
                if out_where is None:
                    return STATUS_INSUFFICIENT_RESOURCES
            self.input = (in_where, n_in)
            self.output = (out_where, n_out)
        return STATUS_SUCCESS

    def _neither_address(self, data: bytearray) -> int | None:
        """METHOD_NEITHER: a kernel caller's buffer is kernel memory; a user caller's is not.
        None when pool is exhausted (the simulated kernel caller's buffer is pool too)."""
        if self.requestor_mode == UserMode:
            return self._user_address(data)
        block = self._system_block(len(data), IrpBuffer.KERNEL_CALLER_BUFFER)
        if block is None:
            return None
        self.machine.pool.write(block.address, data)
        if isinstance(data, memoryview):  # an output buffer: the caller sees what lands there
            self.copy_back.append((block.address, data, True))
        return block.address

    def free_unsent(self) -> None:
        """IopCleanupAfterException / IopCleanupFailedIrp: free what the I/O manager built for
        an IRP it could not finish building — the system buffer, the MDL, the IRP itself — with
        no copy-back and no completion (ReactOS ntoskrnl/io/iomgr/iofunc.c)."""
        pool, events = self.machine.pool, self.machine.events
        if self.MdlAddress is not None:
            mdls.free(self.MdlAddress)
            self.MdlAddress = None
        for block, use in self.system_blocks:
            pool.free(block.address, SYSTEM_BUFFER_TAG)
            if events.listeners:
                events.emit(Event.IRP_BUFFER_FREED, block.address, use)
        self.system_blocks = []
        self.copy_back = []
        self._unmap_user_buffers()
        if self.block is not None:
            pool.free(self.block.address, IRP_TAG)
            self.block = None

    # -- cancellation ------------------------------------------------------------------------
    def set_cancel_routine(self, routine):
        """IoSetCancelRoutine: install *routine* (or None) and return the one it replaced, in
        one step, so the holder and IoCancelIrp never both take the same routine."""
        previous, self.CancelRoutine = self.CancelRoutine, routine
        return previous

    def cancel(self) -> bool:
        """IoCancelIrp: mark the IRP cancelled; if a cancel routine is set, take it (leaving
        NULL) and call it — the holder must then complete the IRP.  True if a routine was
        called.  Mirrors ReactOS ntoskrnl/io/iomgr/irp.c (IoCancelIrp).  Simplified: no cancel
        spin lock (one processor, actions run to completion), so the routine does not have to
        release it."""
        if self.completed:
            return False
        self.Cancel = True
        routine = self.set_cancel_routine(None)
        if routine is None:
            return False
        self.machine.trace("IoCancelIrp(IRP 0x%X): calling its cancel routine", self.address)
        routine(self)
        return True

    # -- completion --------------------------------------------------------------------------
    def complete(self, status: int, information: int) -> None:
        """IoCompleteRequest: copy results back, free the I/O manager's pool, tell the caller.

        A system buffer (buffered reads, METHOD_BUFFERED output) is copied back unless the
        status is an error (``!NT_ERROR``): success, informational and warning statuses —
        STATUS_BUFFER_OVERFLOW is the usual one, "here is the part that fits" — all give the
        caller ``Information`` bytes.  An error copies nothing, whatever ``Information`` says.
        Direct I/O and a kernel caller's METHOD_NEITHER buffer are the caller's own memory,
        so it sees every byte written, whatever the status.
        Mirrors: IopCompleteRequest's buffered-I/O step (IRP_BUFFERED_IO with
        IRP_INPUT_OPERATION, ``!NT_ERROR(Irp->IoStatus.Status)``).
        Simplified: the copy is capped at the caller's buffer length; Windows trusts
        ``Information`` (KMDF Verifier checks it against the buffer at completion).
        IopCompleteRequest also skips the copy for the removable-media warning
        STATUS_VERIFY_REQUIRED (0x80000016), and so does wdfkit.
        Completing an IRP whose cancel routine is still set is CANCEL_STATE_IN_COMPLETED_IRP
        (0x48, P1 the IRP; wdfkit leaves P2, the routine's address, 0).
        """
        machine = self.machine
        if self.completed:
            raise BugCheck(
                MULTIPLE_IRP_COMPLETE_REQUESTS,
                (self.address, 0, 0, 0),
                _(
                    "An IRP was completed twice: the second IoCompleteRequest found it "
                    "already done."
                ),
            )
        if self.CancelRoutine is not None:
            raise BugCheck(
                CANCEL_STATE_IN_COMPLETED_IRP,
                (self.address, 0, 0, 0),
                _(
                    "An IRP was completed with its cancel routine still set: whoever held it had "
                    "to clear the routine (IoSetCancelRoutine(Irp, NULL)) before completing it."
                ),
            )
        self.completed = True
        self.IoStatus.Status = NTSTATUS(status)
        self.IoStatus.Information = information
        pool = machine.pool
        if self.user_buffers:  # first: unmapping hands back what the caller's context wrote
            self._unmap_user_buffers()
        for address, data, whole in self.copy_back:
            count = len(data) if whole else min(information, len(data))
            if whole or not (NT_ERROR(status) or status == STATUS_VERIFY_REQUIRED):
                # a page at a time, straight into the caller's buffer
                pool.read_into(address, memoryview(data)[:count], check=False)
        mdl = self.MdlAddress
        while mdl is not None:  # unlock and free every MDL of the chain
            next_mdl = mdl.Next
            mdls.free(mdl)
            mdl = next_mdl
        self.MdlAddress = None
        events = machine.events
        for block, use in self.system_blocks:
            pool.free(block.address, SYSTEM_BUFFER_TAG)
            if events.listeners:
                events.emit(Event.IRP_BUFFER_FREED, block.address, use)
        if self.block is not None:
            pool.free(self.block.address, IRP_TAG)
        machine.trace(
            "IoCompleteRequest(IRP 0x%X, %s): %s, Information %d",
            self.address,
            self.major_name,
            self.IoStatus.Status,
            information,
        )
        if self.on_complete is not None:
            self.on_complete(self)
