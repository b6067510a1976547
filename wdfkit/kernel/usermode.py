"""The requestor's address space: application buffers at user-mode addresses.

An application hands the I/O manager its own buffers.  Buffered and direct I/O never show the
driver those addresses, but neither I/O (METHOD_NEITHER, a device with neither I/O for reads and
writes) does: the driver gets ``Irp->UserBuffer`` and ``Type3InputBuffer``, addresses in the
lower half of the address space that mean something only in the requestor's process.

Here each buffer an IRP describes is **mapped** in its process's user space at the address the
IRP carries (the caller's own ``bytearray``, read-write; a ``bytes`` object, read-only, as a
constant in a read-only section would be), from ``USER_BASE`` upwards, page by page, the buffer
starting ``USER_BYTE_OFFSET`` into its first page as a heap block does, with one unmapped page
after each buffer.  The mapping lasts while the IRP is outstanding.

**The caller's context.**  Those pages are reachable only while the CPU runs in the requestor's
process: KMDF promises that only inside EvtIoInCallerContext (fxpkgio.cpp,
FxPkgIo::DispatchToInCallerContextCallback: called in the requestor's thread, before any queue
sees the request).  While it runs the framework *attaches* the request's process
(:meth:`UserMemory.attached`): its buffers' pages appear in the machine's address space (the
pool's page store) and every access — a PVOID, RtlCopyMemory, a DDI — reaches them; when the
callback returns they are copied back into the caller's buffers and unmapped again.  A queue
presenting the request afterwards — even at once, nested in WdfDeviceEnqueueRequest, which on
Windows may still be the requestor's thread, though nothing promises it — runs detached.

**Anywhere else** a user address is looked up in whatever process the thread happens to be in.
On Windows that is garbage (some other process's page) or a fault; wdfkit always takes the
fault, so the mistake shows every time instead of now and then.  A kernel-mode access to an
invalid user address raises STATUS_ACCESS_VIOLATION; with no ``__try`` around it (wdfkit has
none) the exception is not handled: KMODE_EXCEPTION_NOT_HANDLED (0x1E: P1 the exception code
0xC0000005, P2 the faulting instruction, P3 0 read / 1 write, P4 the address).  At
DISPATCH_LEVEL the page fault itself is fatal, since user pages are pageable:
DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1: P1 the address, P2 the IRQL, P3 0 read / 1 write, P4 the
faulting instruction).  The pool raises either (:meth:`UserMemory.fault`) for every access from
``MM_LOWEST_USER_ADDRESS`` to ``MM_HIGHEST_USER_ADDRESS`` it cannot satisfy, as it raises 0x50
for system addresses (and, as before, for the 64 KiB around NULL).

**Probing** (:meth:`UserMemory.probe`) is MmProbeAndLockPages with UserMode, as
WdfRequestProbeAndLockUserBuffer… calls it (FxProbeAndLockForRead/Write, probeandlock.c, inside
a ``try``): a range past MM_USER_PROBE_ADDRESS or wrapping (a kernel address passed as a user
one), a page the current process does not map (never mapped, past the buffer's last page, no
process attached), or a read-only page probed for writing is STATUS_ACCESS_VIOLATION (ReactOS
ntoskrnl/mm/ARM3/mdlsup.c, MmProbeAndLockPages: the range check, the probe reads and the
writable-PTE check all raise it).

Simplified: the processes of a machine share one layout — every buffer gets addresses of its own,
never reused — and a *process* is the token the IRP names (``Irp.process``: APPLICATION, one
process for every application, unless the I/O manager's caller passes its own); the bytes on a
buffer's pages outside the buffer (the rest of the heap page) are deterministic garbage that
lives only while attached; writes
through a system mapping of locked pages reach the caller's buffer when the pages are unlocked
(as for direct I/O, see wdfkit.kernel.irp).
"""

import bisect
from contextlib import contextmanager

from ..language import _
from .bugcheck import DRIVER_IRQL_NOT_LESS_OR_EQUAL, KMODE_EXCEPTION_NOT_HANDLED, BugCheck
from .ntstatus import STATUS_ACCESS_VIOLATION, STATUS_SUCCESS
from .pool import DISPATCH_LEVEL, PAGE_SHIFT

MM_USER_PROBE_ADDRESS = 0x0000_7FFF_FFFF_0000  # a user range must end at or below this
USER_BASE = 0x000001C0_00000000  # where the simulated applications' buffers live
USER_BYTE_OFFSET = 0x2A0  # where in its first page each application buffer starts (a heap's)


class Process:
    """Which process a buffer belongs to: a token an IRP carries (``Irp.process``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<process {self.name}>"


APPLICATION = Process("the application")
"""The process of every IRP that names none."""


class UserBuffer:
    """One application buffer mapped in a process: its pages and the caller's bytes."""

    __slots__ = ("process", "address", "data", "writable", "first_page", "pages")

    def __init__(self, process, address: int, data, writable: bool) -> None:
        self.process = process
        self.address = address
        self.data = data
        self.writable = writable
        self.first_page = address >> PAGE_SHIFT
        self.pages = ((address + max(len(data), 1) - 1) >> PAGE_SHIFT) - self.first_page + 1

    def __repr__(self) -> str:
        access = "read-write" if self.writable else "read-only"
        return f"<UserBuffer 0x{self.address:016X} {len(self.data):#x} bytes {access}>"


class UserMemory:
    """The user halves of a machine's process address spaces, and which one is attached."""

    def __init__(self, pool) -> None:
        self.pool = pool
        self.cursor = 0  # where the next buffer's first page goes, from USER_BASE
        self._buffers: dict[int, UserBuffer] = {}  # by first page
        self._starts: list[int] = []  # their first pages, sorted (they only grow)
        self._attached: list = []  # processes attached, innermost last (a stack)
        self._shown: dict[UserBuffer, None] = {}
        """The buffers whose pages are in the address space now: the attached process's that
        have been touched since it was attached (demand paging, see :meth:`page_in`)."""
        pool.user_fault = self.fault  # the pool's faults at user addresses
        pool.user_page_in = self.page_in
        self.instruction = 0
        """P2/P4 of the bug check: the faulting instruction (the machine sets its driver's)."""

    # -- mapping ------------------------------------------------------------------------------
    def map(self, process, data, writable: bool) -> int:
        """Map the caller's *data* in *process*; its user address.  A guard page follows."""
        address = USER_BASE + self.cursor + USER_BYTE_OFFSET
        buffer = UserBuffer(process, address, data, writable)
        self.cursor += (buffer.pages + 1) << PAGE_SHIFT
        self._buffers[buffer.first_page] = buffer
        self._starts.append(buffer.first_page)
        return address  # its pages come in when first touched (page_in)

    def unmap(self, address: int) -> None:
        """The application's buffer is gone (its I/O finished): unmap its pages."""
        buffer = self._buffers.pop(address >> PAGE_SHIFT)
        del self._starts[bisect.bisect_left(self._starts, buffer.first_page)]
        if buffer in self._shown:
            self._hide(buffer)

    def buffer_at(self, address: int) -> UserBuffer | None:
        """The mapped buffer whose pages include *address*, or None."""
        page = address >> PAGE_SHIFT
        i = bisect.bisect_right(self._starts, page) - 1
        if i >= 0:
            buffer = self._buffers[self._starts[i]]
            if page < buffer.first_page + buffer.pages:
                return buffer
        return None

    # -- the caller's context -----------------------------------------------------------------
    @property
    def current(self):
        """The process the CPU is attached to, or None: an arbitrary thread context."""
        return self._attached[-1] if self._attached else None

    @contextmanager
    def attached(self, process):
        """Run in *process*'s context: its buffers are in the address space meanwhile."""
        self._switch(self.current, process)
        self._attached.append(process)
        try:
            yield
        finally:
            self._attached.pop()
            self._switch(process, self.current)

    @contextmanager
    def detached(self):
        """Run in an arbitrary thread context (a queue presenting a request, say)."""
        previous = self.current
        self._switch(previous, None)
        self._attached.append(None)
        try:
            yield
        finally:
            self._attached.pop()
            self._switch(None, previous)

    def _switch(self, old, new) -> None:
        """Leave *old*'s address space for *new*'s: the pages shown (all *old*'s) go out;
        *new*'s come in as they are touched (:meth:`page_in`).  The cost is what the driver
        touched, not how many buffers the processes have outstanding: showing every buffer at
        every switch made N outstanding requests in EvtIoInCallerContext cost N² (2,000
        neither-I/O IOCTLs held in a manual queue took 32 s)."""
        if old is new:
            return
        for buffer in list(self._shown):
            self._hide(buffer)

    def page_in(self, page: int) -> bool:
        """Demand paging (the pool asks on a miss): bring in the attached process's buffer
        holding virtual page *page*; False when no buffer of the attached process has it."""
        process = self.current
        if process is None:
            return False
        buffer = self.buffer_at(page << PAGE_SHIFT)
        if buffer is None or buffer.process is not process or buffer in self._shown:
            return False
        self._show(buffer)
        return True

    def _show(self, buffer: UserBuffer) -> None:
        """Its pages enter the address space, holding the caller's bytes."""
        self._shown[buffer] = None
        self.pool.map_user_pages(buffer.first_page, buffer.pages, buffer.writable)
        if len(buffer.data):
            self.pool.write(buffer.address, buffer.data, check=False)

    def _hide(self, buffer: UserBuffer) -> None:
        """Copy what the driver wrote back into the caller's buffer; unmap the pages."""
        del self._shown[buffer]
        if buffer.writable and len(buffer.data):
            self.pool.read_into(buffer.address, buffer.data, check=False)
        self.pool.unmap_user_pages(buffer.first_page, buffer.pages)

    # -- probing ------------------------------------------------------------------------------
    def probe(self, address: int, length: int, write: bool) -> int:
        """MmProbeAndLockPages(UserMode)'s checks of ``[address, address + length)`` in the
        current process: STATUS_SUCCESS or STATUS_ACCESS_VIOLATION (see the module)."""
        end = address + length
        if length == 0 or end > MM_USER_PROBE_ADDRESS:
            return STATUS_ACCESS_VIOLATION
        process = self.current
        page, last = address >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT
        while page <= last:
            buffer = self.buffer_at(page << PAGE_SHIFT)
            if buffer is None or process is None or buffer.process is not process:
                return STATUS_ACCESS_VIOLATION
            if write and not buffer.writable:
                return STATUS_ACCESS_VIOLATION
            page = buffer.first_page + buffer.pages
        return STATUS_SUCCESS

    def store(self, address: int, data: bytes) -> None:
        """Write *data* into the caller's buffers at *address* (what a system mapping of their
        locked pages wrote, when the pages are unlocked); pages outside any buffer are the
        heap's and keep nothing.  If the owner is attached its mapped pages get it too."""
        end = address + len(data)
        page, last = address >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT
        while page <= last:  # the buffers on the range's pages, not every buffer mapped
            buffer = self.buffer_at(page << PAGE_SHIFT)
            if buffer is None:
                page += 1
                continue
            page = buffer.first_page + buffer.pages
            start, stop = max(address, buffer.address), min(end, buffer.address + len(buffer.data))
            if start >= stop or not buffer.writable:
                continue
            piece = data[start - address : stop - address]
            buffer.data[start - buffer.address : stop - buffer.address] = piece
            if buffer in self._shown:
                self.pool.write(start, piece, check=False)

    def fault(self, address: int, write: bool, irql: int) -> BugCheck:
        """The bug check for a kernel-mode access to user *address* that the attached process
        (if any) does not map, or a write to its read-only page (see the module docstring)."""
        return _user_fault(address, write, irql, self.instruction)


def _user_fault(address: int, write: bool, irql: int, instruction: int) -> BugCheck:
    if irql >= DISPATCH_LEVEL:
        return BugCheck(
            DRIVER_IRQL_NOT_LESS_OR_EQUAL,
            (address, irql, 1 if write else 0, instruction),
            _(
                "The driver touched a user-mode address at DISPATCH_LEVEL: user memory is "
                "pageable, and outside the requestor's own thread the address is not even the "
                "requestor's.\n"
                "    Arg1: the address. Arg2: the IRQL. Arg3: 0 read, 1 write. "
                "Arg4: the faulting instruction."
            ),
        )
    return BugCheck(
        KMODE_EXCEPTION_NOT_HANDLED,
        (STATUS_ACCESS_VIOLATION, instruction, 1 if write else 0, address),
        _(
            "The driver touched a user-mode address that is not valid in the current process, "
            "and nothing handled the access violation: a requestor's buffer is reachable only in "
            "the requestor's context (EvtIoInCallerContext), only while its I/O is outstanding, "
            "and read-only if the caller's buffer is.\n"
            "    Arg1: the exception, STATUS_ACCESS_VIOLATION. Arg2: the faulting instruction. "
            "Arg3: 0 read, 1 write. Arg4: the address."
        ),
    )
