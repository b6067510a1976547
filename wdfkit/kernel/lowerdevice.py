"""The driver below: what a KMDF driver's I/O target sends requests to.

A lower device takes a transfer — a read into a buffer, a write from one, an IOCTL with an
input and an output buffer — and completes it after *latency* virtual seconds, from a DPC at
DISPATCH_LEVEL (or at once, at the caller's IRQL, when *latency* is 0).  It reads and writes the
buffer it was given at completion time, as a device's DMA would, so a buffer freed while the
transfer is in flight is caught there.  It can be told to fail every transfer with a status.

Mirrors: a typical bus or function driver below a KMDF filter or function driver.
Simplified: the data it produces is a deterministic pattern; it keeps no state between
transfers; a cancelled transfer completes at once with STATUS_CANCELLED.
"""

from .clock import TICKS_PER_SECOND
from .irp import IRP_MJ_READ, IRP_MJ_WRITE
from .ntstatus import NT_SUCCESS, NTSTATUS, STATUS_CANCELLED, STATUS_SUCCESS
from .pool import DISPATCH_LEVEL

MAX_LATENCY = 24 * 3600.0
"""The longest latency a lower device accepts: a day of virtual time."""

_CYCLE = bytes(range(256)) * 2


def pattern(length: int, offset: int = 0) -> bytes:
    """The bytes the lower device 'reads from hardware': 0x00, 0x01, … from *offset*."""
    start = offset & 0xFF
    if start + length <= len(_CYCLE):
        return _CYCLE[start : start + length]
    return (_CYCLE[start:256] + _CYCLE[:256] * (length // 256 + 1))[:length]


class Transfer:
    """One transfer handed to the lower device; *done(status, information)* is called back."""

    __slots__ = ("major", "input", "output", "device_offset", "done", "finished", "cancelled")

    def __init__(self, major, input, output, device_offset, done) -> None:
        self.major = major
        self.input = input  # (address, length): bytes the device consumes
        self.output = output  # (address, length): bytes the device fills
        self.device_offset = device_offset
        self.done = done
        self.finished = False
        self.cancelled = False


class LowerDevice:
    """A device below the driver: completes transfers after *latency* seconds."""

    __slots__ = ("machine", "name", "_latency", "_fail_status")

    def __init__(self, machine, name: str = "LowerDevice", latency: float = 0.001) -> None:
        self.machine = machine
        self.name = name
        self.latency = latency
        self.fail_status = None

    @property
    def latency(self) -> float:
        """Seconds between a transfer's arrival and its completion: a finite number ≥ 0.

        Checked when set, so a mistake is reported where it is made, not at the next send.
        """
        return self._latency

    @latency.setter
    def latency(self, seconds) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(
                f"LowerDevice.latency: must be a number of seconds, not {type(seconds).__name__}"
            )
        if not 0 <= seconds <= MAX_LATENCY:  # also refuses NaN, which compares false
            raise ValueError(
                f"LowerDevice.latency: must be from 0 to {MAX_LATENCY:g} seconds, got {seconds}"
            )
        self._latency = seconds

    @property
    def fail_status(self):
        """A status that is not a success (a warning or an error) to complete every transfer
        with, or None to succeed.  Checked when set."""
        return self._fail_status

    @fail_status.setter
    def fail_status(self, status) -> None:
        if status is not None:
            if isinstance(status, bool) or not isinstance(status, int):
                raise TypeError(
                    "LowerDevice.fail_status: must be an NTSTATUS (e.g. STATUS_IO_DEVICE_ERROR) "
                    f"or None, not {type(status).__name__}"
                )
            if not 0 <= status <= 0xFFFFFFFF or NT_SUCCESS(status):
                raise ValueError(
                    "LowerDevice.fail_status: must be a warning or error NTSTATUS "
                    f"(0x80000000 to 0xFFFFFFFF) or None, got {status:#x}"
                )
            status = NTSTATUS(status)
        self._fail_status = status

    def start(self, transfer: Transfer) -> None:
        """IoCallDriver: accept *transfer*; it completes later (or now, with no latency)."""
        ticks = round(self.latency * TICKS_PER_SECOND)
        if ticks == 0:
            self._finish(transfer)
            return
        self.machine.clock.schedule(ticks, lambda: self._dpc(transfer))

    def cancel(self, transfer: Transfer) -> None:
        """IoCancelIrp: complete a transfer still in flight with STATUS_CANCELLED."""
        if not transfer.finished:
            transfer.cancelled = True
            self._dpc(transfer)

    def _dpc(self, transfer: Transfer) -> None:
        if transfer.finished:
            return
        machine = self.machine
        saved, machine.irql = machine.irql, DISPATCH_LEVEL
        try:
            self._finish(transfer)
        finally:
            machine.irql = saved

    def _finish(self, transfer: Transfer) -> None:
        transfer.finished = True
        if transfer.cancelled:
            transfer.done(STATUS_CANCELLED, 0)
            return
        if self.fail_status is not None:
            transfer.done(self.fail_status, 0)
            return
        pool = self.machine.pool
        information = 0
        in_address, in_length = transfer.input
        out_address, out_length = transfer.output
        if in_length and in_address is not None:
            pool.read(in_address, in_length)  # the device fetches the bytes: faults if freed
            information = in_length
        if out_length and out_address is not None:
            pool.write(out_address, pattern(out_length, transfer.device_offset))
            information = out_length
        if transfer.major not in (IRP_MJ_READ, IRP_MJ_WRITE) and not out_length:
            information = 0
        transfer.done(STATUS_SUCCESS, information)
