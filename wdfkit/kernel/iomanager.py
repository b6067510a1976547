"""The requestor's side: an application (or another driver) sending I/O to the device.

``machine.application()`` gives a user-mode process that has opened the driver's device; its
``ReadFile``, ``WriteFile`` and ``DeviceIoControl`` take the caller's own buffers (Python
``bytearray``/``bytes``), build the IRP, call the driver and wait for the answer, which comes
back as an :class:`~wdfkit.kernel.irp.IO_STATUS_BLOCK` — the NT status and ``Information``, the
byte count.  (Win32 would return TRUE/FALSE and put the status behind ``GetLastError``.)
``requestor_mode=KernelMode`` makes it a kernel-mode client instead, the only kind that may use
METHOD_NEITHER buffers or internal device controls.

A synchronous call runs virtual time until the driver completes the request.  If nothing would
ever complete it, the call gives up after ``Machine.HANG_LIMIT`` virtual seconds and returns
STATUS_PENDING: the request is still with the driver (a real application would hang).
``overlapped=True`` returns at once; read the result from ``io.IoStatus`` after
``machine.advance``, or call ``io.wait()``.

The I/O manager knows a device only as a :class:`DEVICE_OBJECT`: its ``Flags`` say how reads
and writes reach it, and ``dispatch`` is the driver's entry point for every IRP.  The framework's
device implements both; the kernel knows nothing else of it.

Mirrors: NtReadFile / NtWriteFile / NtDeviceIoControlFile and IoBuildDeviceIoControlRequest;
IofCallDriver, which calls ``DriverObject->MajorFunction[major](DeviceObject, Irp)``.
Simplified: no file objects or handles, no cancellation when the application gives up; one entry
point for every major function (KMDF installs FxDevice::Dispatch in every MajorFunction slot).
"""

from typing import Protocol

from .irp import (
    IO_STATUS_BLOCK,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
    Irp,
    KernelMode,
    UserMode,
)
from .ntstatus import NTSTATUS, STATUS_INSUFFICIENT_RESOURCES, STATUS_PENDING, STATUS_SUCCESS


class DEVICE_OBJECT(Protocol):
    """What the I/O manager needs of a device (DEVICE_OBJECT in wdm.h, cut to two members)."""

    Flags: int
    """DO_BUFFERED_IO or DO_DIRECT_IO: how reads and writes reach the driver (neither if clear)."""

    def dispatch(self, irp: Irp) -> None:
        """The driver's dispatch routine: take the IRP, complete it now or later."""


class PendingIo:
    """An overlapped request: ``IoStatus`` fills in when the driver completes it.

    *failed* is the status of a call the I/O manager failed before any driver saw it (pool
    exhausted while it built the IRP): such a call is done at once, with that status.
    """

    def __init__(self, machine, irp: Irp, failed: IO_STATUS_BLOCK | None = None) -> None:
        self.machine = machine
        self.irp = irp
        self.failed = failed

    @property
    def done(self) -> bool:
        return self.failed is not None or self.irp.completed

    @property
    def IoStatus(self) -> IO_STATUS_BLOCK:
        if self.failed is not None:
            return self.failed
        return self.irp.IoStatus if self.irp.completed else IO_STATUS_BLOCK(STATUS_PENDING, 0)

    def wait(self) -> IO_STATUS_BLOCK:
        """GetOverlappedResult(..., bWait=TRUE): run virtual time until it completes."""
        if self.failed is not None:
            return self.failed
        self.machine.check_running("PendingIo.wait")
        finished = self.machine.wait_for(lambda: self.irp.completed, None, "the application")
        return self.irp.IoStatus if finished else IO_STATUS_BLOCK(STATUS_PENDING, 0)

    def __repr__(self) -> str:
        state = "done" if self.done else "pending"
        return f"<PendingIo {self.irp.major_name}: {state}, {self.IoStatus}>"


class Application:
    """A process with the device open.  *requestor_mode* is UserMode or KernelMode."""

    def __init__(self, machine, device: DEVICE_OBJECT, requestor_mode: int = UserMode) -> None:
        if requestor_mode not in (UserMode, KernelMode):
            raise ValueError("Application: requestor_mode must be UserMode or KernelMode")
        self.machine = machine
        self.device = device
        self.requestor_mode = requestor_mode

    def ReadFile(
        self, Buffer: bytearray, NumberOfBytesToRead: int | None = None, *, overlapped=False
    ):
        """Read into *Buffer* (its first *NumberOfBytesToRead* bytes, default all of it)."""
        data = _window("ReadFile", Buffer, NumberOfBytesToRead, writable=True)
        return self._send(IRP_MJ_READ, b"", data, 0, overlapped)

    def WriteFile(
        self, Buffer: bytes, NumberOfBytesToWrite: int | None = None, *, overlapped=False
    ):
        """Write *Buffer* (or its first *NumberOfBytesToWrite* bytes)."""
        data = _window("WriteFile", Buffer, NumberOfBytesToWrite, writable=False)
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
        as the IO_STATUS_BLOCK's Status, with Information 0.
        """
        machine = self.machine
        machine.check_running("Application")
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
            io = PendingIo(machine, irp, IO_STATUS_BLOCK(NTSTATUS(status), 0))
            return io if overlapped else io.wait()
        machine.trace(
            "%s: %s, IRP 0x%X (in %d, out %d bytes)",
            "Application" if self.requestor_mode == UserMode else "Kernel-mode caller",
            irp.major_name,
            irp.address,
            len(in_data),
            len(out_data),
        )
        machine.within("the driver's I/O callback", lambda: self.device.dispatch(irp))
        io = PendingIo(machine, irp)
        return io if overlapped else io.wait()


def _window(name: str, buffer, count, writable: bool):
    kinds = (bytearray,) if writable else (bytes, bytearray)
    if not isinstance(buffer, kinds):
        what = "a bytearray" if writable else "bytes or a bytearray"
        raise TypeError(f"{name}: Buffer must be {what}, not {type(buffer).__name__}")
    if count is None:
        count = len(buffer)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= len(buffer):
        raise ValueError(f"{name}: the byte count must be an int from 0 to len(Buffer)")
    return memoryview(buffer)[:count] if writable else bytes(buffer[:count])
