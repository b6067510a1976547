"""The requestor's side: a process opening a device and sending it I/O.

``machine.process()`` is a user-mode process with nothing open.  ``CreateFile`` opens a device by
a Win32 path — ``\\.\\Link`` for a symbolic link, or an interface path from
``CM_Get_Device_Interface_List(guid)`` — and returns ``(NTSTATUS, FileHandle)``: the I/O manager
finds the device in the object namespace (wdfkit.kernel.namespace), makes a FILE_OBJECT and sends
IRP_MJ_CREATE, which the driver (KMDF's general package, wdfkit.fx.fileobject) answers.  A
:class:`FileHandle`'s ``ReadFile``, ``WriteFile`` and ``DeviceIoControl`` take the caller's own
buffers (Python ``bytearray``/``bytes``), build the IRP, call the driver and wait for the answer,
which comes back as an :class:`~wdfkit.kernel.irp.IO_STATUS_BLOCK` — the NT status and
``Information``, the byte count.  (Win32 would return TRUE/FALSE and put the status behind
``GetLastError``.)  ``overlapped=True`` returns a :class:`PendingIo` at once, whose
``IoStatus`` fills in when the driver completes it; ``GetOverlappedResult(io, bWait)`` reads it,
waiting or not.  ``CancelIo``/``CancelIoEx`` ask for cancellation (IoCancelIrp); ``CloseHandle``
sends IRP_MJ_CLEANUP and, once no IRP references the file object any more, IRP_MJ_CLOSE.

``machine.application()`` is the shortcut the first lessons use: a process with the driver's
first device already open (see :class:`Application`).  ``requestor_mode=KernelMode`` makes it a
kernel-mode client instead, the only kind that may use METHOD_NEITHER buffers or internal
device controls.

A synchronous call runs virtual time until the driver completes the request, as long as
something scheduled on the virtual clock could still complete it (Machine.wait_for); when
nothing can, the call returns STATUS_PENDING at once and the log says which request hangs (a
real application would wait for ever).

The I/O manager knows a device only as a :class:`DEVICE_OBJECT`: its ``Flags`` say how reads
and writes reach it, and ``dispatch`` is the driver's entry point for every IRP.  The framework's
device implements both; the kernel knows nothing else of it.

Mirrors: NtCreateFile / IopParseDevice / IopCheckDeviceAndDriver, NtReadFile / NtWriteFile /
NtDeviceIoControlFile and IoBuildDeviceIoControlRequest, NtCancelIoFile / NtCancelIoFileEx,
NtClose → IopCloseFile (IRP_MJ_CLEANUP) and IopDeleteFile (IRP_MJ_CLOSE); IofCallDriver, which
calls ``DriverObject->MajorFunction[major](DeviceObject, Irp)`` (ReactOS ntoskrnl/io/iomgr/
file.c, iofunc.c, parse.c).
Simplified: one thread per process; one entry point for every major function (KMDF installs
FxDevice::Dispatch in every MajorFunction slot); no share access, security or file system (a
path that is not a device path is STATUS_OBJECT_PATH_NOT_FOUND); the APC in which Windows
finishes an IRP and drops its file object reference is the next clock action.
"""

import uuid
from typing import Protocol

from .irp import (
    IO_STATUS_BLOCK,
    IRP_MJ_CLEANUP,
    IRP_MJ_CLOSE,
    IRP_MJ_CREATE,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
    Irp,
    KernelMode,
    UserMode,
)
from .namespace import win32_to_nt
from .ntstatus import (
    NT_SUCCESS,
    NTSTATUS,
    STATUS_ACCESS_DENIED,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_HANDLE,
    STATUS_NO_SUCH_DEVICE,
    STATUS_NOT_FOUND,
    STATUS_OBJECT_PATH_NOT_FOUND,
    STATUS_PENDING,
    STATUS_SUCCESS,
)


class DEVICE_OBJECT(Protocol):
    """What the I/O manager needs of a device (DEVICE_OBJECT in wdm.h, cut to a few members)."""

    Flags: int
    """DO_BUFFERED_IO or DO_DIRECT_IO: how reads and writes reach the driver (neither if clear)."""

    def dispatch(self, irp: Irp) -> None:
        """The driver's dispatch routine: take the IRP, complete it now or later."""


class FILE_OBJECT:
    """One open of a device (FILE_OBJECT in wdm.h, cut to what wdfkit reads).

    ``handles`` counts the handles to it (HandleCount); every IRP sent on it holds a reference
    until it completes (Irp->Tail.Overlay.OriginalFileObject), so IRP_MJ_CLOSE comes only once
    the last handle is closed *and* the last of its IRPs has completed.
    """

    def __init__(self, device, file_name: str) -> None:
        self.DeviceObject = device
        self.FileName = file_name
        """The path after the device's name ("" for the device itself), UNICODE_STRING."""
        self.FsContext = None
        self.FsContext2 = None
        self.handles = 0
        self.irps: dict[Irp, None] = {}
        """IRPs sent on it and not completed yet, oldest first (a dict used as an ordered set)."""
        self.cleaned_up = False
        self.closed = False
        self.opened_unseen = False
        """Opened by ``machine.application()`` without IRP_MJ_CREATE (see :class:`Application`):
        the driver never counted this open, so its close must not be counted off either."""


class PendingIo:
    """An overlapped request: ``IoStatus`` fills in when the driver completes it.

    *failed* is the status of a call the I/O manager failed before any driver saw it (pool
    exhausted while it built the IRP, or a closed handle): such a call is done at once, with
    that status.
    """

    def __init__(self, machine, irp: Irp, failed: IO_STATUS_BLOCK | None = None, handle=None):
        self.machine = machine
        self.irp = irp
        self.failed = failed
        self.handle = handle
        """The FileHandle it was sent on."""

    @property
    def done(self) -> bool:
        return self.failed is not None or self.irp.completed

    @property
    def IoStatus(self) -> IO_STATUS_BLOCK:
        if self.failed is not None:
            return self.failed
        return self.irp.IoStatus if self.irp.completed else IO_STATUS_BLOCK(STATUS_PENDING, 0)

    def wait(self) -> IO_STATUS_BLOCK:
        """GetOverlappedResult(..., bWait=TRUE): run virtual time until it completes, or until
        nothing scheduled could complete it (then STATUS_PENDING; the log names the IRP)."""
        if self.failed is not None:
            return self.failed
        machine, irp = self.machine, self.irp
        machine.check_running("PendingIo.wait")
        finished = irp.completed or machine.wait_for(
            lambda: irp.completed,
            None,
            lambda: f"the application's {irp.major_name}, {machine.describe_irp(irp)},",
        )
        return irp.IoStatus if finished else IO_STATUS_BLOCK(STATUS_PENDING, 0)

    def __repr__(self) -> str:
        state = "done" if self.done else "pending"
        return f"<PendingIo {self.irp.major_name}: {state}, {self.IoStatus}>"


class Process:
    """A user-mode process (one thread) that opens devices: ``machine.process()``."""

    def __init__(self, machine, requestor_mode: int = UserMode) -> None:
        if requestor_mode not in (UserMode, KernelMode):
            raise ValueError("Process: requestor_mode must be UserMode or KernelMode")
        self.machine = machine
        self.requestor_mode = requestor_mode

    def CM_Get_Device_Interface_List(self, InterfaceClassGuid) -> list[str]:
        """The enabled interfaces of class *InterfaceClassGuid* (a ``uuid.UUID``), as the paths
        CreateFile opens (CM_GET_DEVICE_INTERFACE_LIST_PRESENT).  Simplified: a list of str
        instead of a double-NUL-terminated buffer, and no CONFIGRET."""
        if not isinstance(InterfaceClassGuid, uuid.UUID):
            raise TypeError(
                "CM_Get_Device_Interface_List: InterfaceClassGuid must be a GUID (uuid.UUID), "
                f"not {type(InterfaceClassGuid).__name__}"
            )
        return self.machine.namespace.interface_list(InterfaceClassGuid)

    def CreateFile(self, FileName: str, overlapped: bool = False):
        """Open a device by Win32 path: ``(status, FileHandle or None)``.

        NtCreateFile's path to the driver: the object manager resolves the name
        (STATUS_OBJECT_NAME_NOT_FOUND when nothing has it; a path that is not a device path
        is STATUS_OBJECT_PATH_NOT_FOUND: this machine has no file system);
        IopCheckDeviceAndDriver refuses a device being removed (STATUS_NO_SUCH_DEVICE) and a
        second open of an exclusive device while its first is still open (STATUS_ACCESS_DENIED,
        DO_EXCLUSIVE and a device ReferenceCount above 0); then IRP_MJ_CREATE with a new
        FILE_OBJECT goes to the driver and the caller waits for its answer.  *overlapped* is
        FILE_FLAG_OVERLAPPED: without it every call on the handle waits, even one asked as
        overlapped (ReadFile with an OVERLAPPED on a synchronous handle returns only once the
        I/O is done), and returns its IO_STATUS_BLOCK.
        """
        machine = self.machine
        if not isinstance(FileName, str):
            raise TypeError(f"CreateFile: FileName must be a str, not {type(FileName).__name__}")
        if not isinstance(overlapped, bool):
            raise TypeError("CreateFile: overlapped must be True or False")
        machine.check_running("CreateFile")
        path = win32_to_nt(FileName)
        if path is None:
            return STATUS_OBJECT_PATH_NOT_FOUND, None
        status, device, file_name = machine.namespace.lookup(path)
        if not NT_SUCCESS(status):
            machine.trace("CreateFile(%r): %s", FileName, NTSTATUS(status))
            return NTSTATUS(status), None
        status = self._check_device(device)
        if status != STATUS_SUCCESS:
            machine.trace("CreateFile(%r): %s", FileName, status)
            return status, None
        return self._open(device, file_name, overlapped, FileName)

    def _check_device(self, device) -> NTSTATUS:
        """IopCheckDeviceAndDriver (ReactOS ntoskrnl/io/iomgr/parse.c)."""
        if getattr(device, "removed", False):
            return STATUS_NO_SUCH_DEVICE
        if getattr(device, "exclusive", False) and getattr(device, "ReferenceCount", 0):
            return STATUS_ACCESS_DENIED
        return STATUS_SUCCESS

    def _open(self, device, file_name: str, overlapped: bool, name: str):
        """IopParseDevice: a FILE_OBJECT, IRP_MJ_CREATE, wait; the handle if it succeeded."""
        machine = self.machine
        file_object = FILE_OBJECT(device, file_name)
        irp = Irp(machine, IRP_MJ_CREATE, self.requestor_mode)
        if irp.block is None:
            return STATUS_INSUFFICIENT_RESOURCES, None
        irp.FileObject = file_object
        device.ReferenceCount = getattr(device, "ReferenceCount", 0) + 1
        machine.trace("CreateFile(%r): IRP_MJ_CREATE, IRP 0x%X", name, irp.address)
        with machine.running_driver_code():
            machine.within("the driver's create callback", lambda: device.dispatch(irp))

        def who() -> str:  # the hang report's name for it, made only for a report
            return f"CreateFile({name!r})'s IRP_MJ_CREATE, {machine.describe_irp(irp)},"

        if not irp.completed and not machine.wait_for(lambda: irp.completed, None, who):
            return STATUS_PENDING, None
        status = irp.IoStatus.Status
        if not NT_SUCCESS(status):
            device.ReferenceCount -= 1  # IopDeleteFile of a failed open: no cleanup, no close
            return status, None
        file_object.handles = 1
        return status, FileHandle(self, file_object, overlapped)


class FileHandle:
    """An open handle to a device: its I/O, cancellation and CloseHandle."""

    def __init__(self, process: Process, file_object: FILE_OBJECT, overlapped: bool) -> None:
        self.process = process
        self.machine = process.machine
        self.file_object = file_object
        self.device = file_object.DeviceObject
        self.requestor_mode = process.requestor_mode
        self.overlapped = overlapped
        """FILE_FLAG_OVERLAPPED: calls may return before the I/O completes."""
        self.closed = False
        self.pending: dict[Irp, PendingIo] = {}
        """The I/O sent on this handle and not completed yet, by IRP, oldest first."""

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self.pending)} pending"
        return f"<{type(self).__name__} {self.file_object.FileName!r}: {state}>"

    # -- I/O --------------------------------------------------------------------------------
    def ReadFile(
        self, Buffer: bytearray, NumberOfBytesToRead: int | None = None, *, overlapped=False
    ):
        """Read into *Buffer* (its first *NumberOfBytesToRead* bytes, default all of it)."""
        data = _window("ReadFile", Buffer, NumberOfBytesToRead, writable=True)
        _flag("ReadFile", "overlapped", overlapped)
        return self._send(IRP_MJ_READ, b"", data, 0, overlapped)

    def WriteFile(
        self, Buffer: bytes, NumberOfBytesToWrite: int | None = None, *, overlapped=False
    ):
        """Write *Buffer* (or its first *NumberOfBytesToWrite* bytes)."""
        data = _window("WriteFile", Buffer, NumberOfBytesToWrite, writable=False)
        _flag("WriteFile", "overlapped", overlapped)
        return self._send(IRP_MJ_WRITE, data, b"", 0, overlapped)

    def DeviceIoControl(
        self, IoControlCode: int, InBuffer=b"", OutBuffer=None, *, internal=False, overlapped=False
    ):
        """Send an IOCTL with *InBuffer* (bytes) in and *OutBuffer* (bytearray) out."""
        if not isinstance(IoControlCode, int) or not 0 <= IoControlCode <= 0xFFFFFFFF:
            raise ValueError("DeviceIoControl: IoControlCode must be a ULONG (use CTL_CODE)")
        in_data = _window("DeviceIoControl", InBuffer or b"", None, writable=False)
        out = OutBuffer if OutBuffer is not None else bytearray()
        out_data = _window("DeviceIoControl", out, None, writable=True)
        _flag("DeviceIoControl", "overlapped", overlapped)
        _flag("DeviceIoControl", "internal", internal)
        if internal and self.requestor_mode != KernelMode:
            raise ValueError("DeviceIoControl: internal device controls come only from kernel mode")
        major = IRP_MJ_INTERNAL_DEVICE_CONTROL if internal else IRP_MJ_DEVICE_CONTROL
        return self._send(major, in_data, out_data, IoControlCode, overlapped)

    def _send(self, major, in_data, out_data, code, overlapped):
        """Build the IRP and call the driver; with pool exhausted, fail the call instead.

        IoAllocateIrp returning NULL, or a system buffer, MDL or mapping that cannot be
        allocated, fails NtReadFile / NtWriteFile / NtDeviceIoControlFile with
        STATUS_INSUFFICIENT_RESOURCES before the driver is called; what was allocated is freed
        (IopCleanupFailedIrp, IopCleanupAfterException in ReactOS ntoskrnl/io/iomgr/iofunc.c).
        Simplified: the NT call returns that status and writes no IO_STATUS_BLOCK (Win32's
        ReadFile returns FALSE, GetLastError ERROR_NO_SYSTEM_RESOURCES); wdfkit hands it back
        as the IO_STATUS_BLOCK's Status, with Information 0.  A closed handle is
        STATUS_INVALID_HANDLE (ObReferenceObjectByHandle), the same way.
        """
        machine = self.machine
        machine.check_running(type(self).__name__)
        overlapped = bool(overlapped) and self.overlapped
        if self.closed:
            io = PendingIo(machine, None, IO_STATUS_BLOCK(STATUS_INVALID_HANDLE, 0), self)
            return io if overlapped else io.failed
        irp = Irp(machine, major, self.requestor_mode, code)
        status = STATUS_INSUFFICIENT_RESOURCES
        if irp.block is not None:
            status = irp.set_buffers(in_data, out_data, self.device.Flags)
        if status != STATUS_SUCCESS:
            irp.free_unsent()
            machine.trace(
                "Application: %s (in %d, out %d bytes) failed before the driver saw it: %s",
                irp.major_name,
                len(in_data),
                len(out_data),
                NTSTATUS(status),
            )
            io = PendingIo(machine, irp, IO_STATUS_BLOCK(NTSTATUS(status), 0), self)
            return io if overlapped else io.wait()
        machine.trace(
            "%s: %s, IRP 0x%X (in %d, out %d bytes)",
            "Application" if self.requestor_mode == UserMode else "Kernel-mode caller",
            irp.major_name,
            irp.address,
            len(in_data),
            len(out_data),
        )
        io = PendingIo(machine, irp, None, self)
        file_object = self.file_object
        irp.FileObject = file_object
        file_object.irps[irp] = None
        self.pending[irp] = io
        irp.on_complete = self._completed
        with machine.running_driver_code():  # IofCallDriver on this machine, wherever
            machine.within("the driver's I/O callback", lambda: self.device.dispatch(irp))
        return io if overlapped else io.wait()

    def _completed(self, irp: Irp) -> None:
        """IopCompleteRequest's last step: the IRP drops its file object reference; the last
        reference after CloseHandle sends IRP_MJ_CLOSE (IopDeleteFile), in the thread's APC,
        which wdfkit runs as the next clock action."""
        file_object = self.file_object
        del file_object.irps[irp]
        del self.pending[irp]
        if file_object.cleaned_up and not file_object.irps and not file_object.closed:
            file_object.closed = True  # claimed now: one close, whoever completes last
            self.machine.clock.schedule(0, self._send_close)

    # -- waiting and cancelling ---------------------------------------------------------------
    def GetOverlappedResult(self, io: PendingIo, bWait: bool) -> IO_STATUS_BLOCK:
        """The result of overlapped *io*: with *bWait*, wait for it as a synchronous call does;
        without, STATUS_PENDING while it is not done (Win32: FALSE, ERROR_IO_INCOMPLETE)."""
        if not isinstance(io, PendingIo) or io.handle is not self:
            raise TypeError("GetOverlappedResult: io must be a PendingIo sent on this handle")
        if not isinstance(bWait, bool):
            raise TypeError("GetOverlappedResult: bWait must be True or False")
        return io.wait() if bWait else io.IoStatus

    def CancelIo(self) -> NTSTATUS:
        """NtCancelIoFile: IoCancelIrp on every IRP this thread sent on the handle (one thread
        per process in wdfkit: all of the handle's), then wait until they are completed, as
        NtCancelIoFile polls the thread's IRP list (ReactOS ntoskrnl/io/iomgr/file.c); a
        driver that never completes a cancelled request makes that wait a reported hang.
        STATUS_SUCCESS, also when nothing was pending."""
        machine = self.machine
        machine.check_running("CancelIo")
        if self.closed:
            return STATUS_INVALID_HANDLE
        irps = list(self.pending)
        for irp in irps:
            irp.cancel()
        who = f"CancelIo (waiting for {len(irps)} cancelled IRP(s))"
        if any(not irp.completed for irp in irps):
            machine.wait_for(lambda: all(irp.completed for irp in irps), None, who)
        return STATUS_SUCCESS

    def CancelIoEx(self, io: "PendingIo | None" = None) -> NTSTATUS:
        """NtCancelIoFileEx: IoCancelIrp on *io*, or on every IRP sent on the handle when
        *io* is None (lpOverlapped NULL), from any thread; it does not wait for them.
        STATUS_NOT_FOUND when there is nothing pending to cancel (Win32: ERROR_NOT_FOUND)."""
        machine = self.machine
        machine.check_running("CancelIoEx")
        if io is not None and not isinstance(io, PendingIo):
            raise TypeError("CancelIoEx: io must be a PendingIo or None")
        if self.closed:
            return STATUS_INVALID_HANDLE
        targets = [p for p in self.pending.values() if io is None or p is io]
        if not targets:
            return STATUS_NOT_FOUND
        for pending in targets:
            pending.irp.cancel()
        return STATUS_SUCCESS

    # -- closing ----------------------------------------------------------------------------
    def CloseHandle(self) -> NTSTATUS:
        """NtClose: the last handle to the file object sends IRP_MJ_CLEANUP and waits for it
        (IopCloseFile); IRP_MJ_CLOSE follows once no IRP references the file object any more
        — now if none is pending, else when the last one completes (IopDeleteFile).  The I/O
        manager cancels nothing itself: the driver's cleanup does (KMDF: EvtFileCleanup, then
        every queue cancels the requests still waiting in it for this file object).  A closed
        handle is STATUS_INVALID_HANDLE."""
        machine = self.machine
        machine.check_running("CloseHandle")
        if self.closed:
            return STATUS_INVALID_HANDLE
        self.closed = True
        file_object = self.file_object
        file_object.handles -= 1
        if file_object.handles:
            return STATUS_SUCCESS
        self._send_and_wait(IRP_MJ_CLEANUP)
        file_object.cleaned_up = True
        if not file_object.irps and not file_object.closed:
            file_object.closed = True
            self._send_close()
        return STATUS_SUCCESS

    def _send_close(self) -> None:
        """IopDeleteFile: IRP_MJ_CLOSE, then the device loses the file object's reference."""
        self._send_and_wait(IRP_MJ_CLOSE)
        self.device.ReferenceCount -= 1

    def _send_and_wait(self, major: int) -> None:
        """A cleanup or close IRP: allocated so it cannot fail (IopAllocateIrpMustSucceed),
        sent, waited for."""
        machine = self.machine
        irp = Irp(machine, major, KernelMode)
        irp.FileObject = self.file_object
        machine.trace("CloseHandle: %s, IRP 0x%X", irp.major_name, irp.address)
        with machine.running_driver_code():
            machine.within("the driver's cleanup or close", lambda: self.device.dispatch(irp))
        who = f"CloseHandle's {irp.major_name} (IRP 0x{irp.address:X})"
        if not irp.completed:
            machine.wait_for(lambda: irp.completed, None, who)


class Application(FileHandle):
    """``machine.application()``: a process that has the driver's first device open.

    The first lessons' shortcut, unchanged by file objects: for a device that asks nothing of
    a create — no file object configuration, not exclusive, where KMDF would complete
    IRP_MJ_CREATE with STATUS_SUCCESS and make no WDFFILEOBJECT — the handle is made as if it
    had been opened before the lesson began, with no IRP_MJ_CREATE (so no IRP, no log line, no
    pool); any other device is opened with IRP_MJ_CREATE like ``CreateFile`` and the handle is
    a plain :class:`FileHandle` (a RuntimeError names the status if the driver refuses it).
    Calls may be overlapped or not, one by one.  ``CloseHandle`` on it sends cleanup and close
    as for any handle (the driver's open count skips the open it never saw).
    """

    def __init__(self, machine, device: DEVICE_OBJECT, requestor_mode: int = UserMode) -> None:
        process = Process(machine, requestor_mode)
        file_object = FILE_OBJECT(device, "")
        file_object.handles = 1
        file_object.opened_unseen = True
        device.ReferenceCount = getattr(device, "ReferenceCount", 0) + 1
        FileHandle.__init__(self, process, file_object, overlapped=True)

    @classmethod
    def open(cls, machine, device, requestor_mode: int = UserMode) -> "FileHandle":
        """The handle ``machine.application()`` returns (see the class docstring)."""
        general = getattr(device, "general", None)
        quiet = getattr(general, "settings", None) is None
        if quiet and not getattr(device, "exclusive", False):
            return cls(machine, device, requestor_mode)
        process = Process(machine, requestor_mode)
        status = process._check_device(device)
        handle = None
        if status == STATUS_SUCCESS:
            status, handle = process._open(device, "", True, "the first device")
        if handle is None:
            raise RuntimeError(
                f"Machine.application: opening the first device failed with {status} "
                "(use machine.process().CreateFile to see and handle the status)"
            )
        return handle


def _window(name: str, buffer, count, writable: bool):
    kinds = (bytearray,) if writable else (bytes, bytearray)
    if not isinstance(buffer, kinds):
        what = "a bytearray" if writable else "bytes or a bytearray"
        raise TypeError(f"{name}: Buffer must be {what}, not {type(buffer).__name__}")
    if count is None:
        count = len(buffer)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= len(buffer):
        raise ValueError(f"{name}: the byte count must be an int from 0 to len(Buffer)")
    return memoryview(buffer)[:count] if writable else bytes(memoryview(buffer)[:count])


def _flag(name: str, parameter: str, value) -> None:
    """A BOOL parameter given as Python's True or False (as CreateFile's *overlapped*)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name}: {parameter} must be True or False, not {value!r}")
