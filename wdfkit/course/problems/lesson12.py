"""Lesson 12's check-yourself problems (the echo driver and the non-PnP control device)."""

import random

from ...kernel.ntstatus import NT_SUCCESS
from ...language import _
from ...sim.machine import Machine
from .. import samples
from ..answers import COUNT, STATUS, Several
from ..problem import Problem


def _echo_open(machine: Machine):
    """Lesson 12: let the PnP manager add the echo device to *machine*, whose driver is
    loaded, and open it overlapped as echoapp does."""
    with machine:
        machine.add_device()
        app = machine.process()
        path = app.CM_Get_Device_Interface_List(samples.GUID_DEVINTERFACE_ECHO)[0]
        return app.CreateFile(path, overlapped=True)[1]


def draw_echo_cancel(label: str, rng: random.Random) -> Problem:
    """Lesson 12, a prediction: the timer completes one read per tick, CancelIo the rest."""
    reads = rng.randint(3, 8)
    cancel_at = rng.choice([0.5, 1.5, 2.5, 4.5, 6.5])
    machine = Machine("echo", DriverEntry=samples.EchoDriverEntry)
    hDevice = _echo_open(machine)
    with machine:
        hDevice.GetOverlappedResult(hDevice.WriteFile(b"0123456789", overlapped=True), True)
        pending = [hDevice.ReadFile(bytearray(10), overlapped=True) for _read in range(reads)]
        machine.advance(cancel_at)
        hDevice.CancelIo()
        results = [hDevice.GetOverlappedResult(io, True) for io in pending]
    succeeded = sum(NT_SUCCESS(result.Status) for result in results)
    ticks = int(cancel_at // 2)  # ticks between the write's and CancelIo
    outcome = "\n".join(
        _("read {number}: {status}, {count} bytes").format(
            number=n, status=result.Status, count=result.Information
        )
        for n, result in enumerate(results, 1)
    )
    return Problem(
        label,
        _(
            "The echo driver (timer period 2 s, its tick just completed the application's "
            "write) gets {reads} overlapped reads at once. {seconds} s later the application "
            "calls CancelIo. How many reads complete with data, and how many are cancelled? "
            "Answer (with_data, cancelled)."
        ).format(reads=reads, seconds=cancel_at),
        Several(COUNT, COUNT),
        (succeeded, reads - succeeded),
        _(
            "The queue is sequential, so the driver holds one read at a time and each tick "
            "(every 2 s after the write's) completes the one it holds; CancelIo then cancels "
            "the held read through EvtRequestCancel and the waiting ones in the queue, all at "
            "once."
        ),
        diagnoses={
            (reads, 0): _(
                "CancelIo came before every read had its tick: the reads still held or waiting "
                "are cancelled, not completed with data."
            ),
            (0, reads): _(
                "That has every read cancelled, as if no tick came before CancelIo. The timer "
                "ticks every 2 s after the write's: how many ticks fit before CancelIo, and "
                "what does each one do?"
            ),
            (ticks + 1, reads - ticks - 1): _(
                "The read the driver holds when CancelIo comes is cancelled through "
                "EvtRequestCancel; only a tick completes a read with data."
            ),
        },
        prediction=True,
        outcome=_("At t = {seconds} s after the reads the application called CancelIo.").format(
            seconds=cancel_at
        )
        + "\n"
        + outcome,
    )


def draw_echo_write_read(label: str, rng: random.Random) -> Problem:
    """Lesson 12: what the echo driver keeps of a write, and what a read gets back."""
    written = rng.choice([16, 100, 4096, samples.MAX_WRITE_LENGTH, samples.MAX_WRITE_LENGTH + 1])
    asked = rng.choice([8, 64, 512, 8192])
    machine = Machine("echo", DriverEntry=samples.EchoDriverEntry)
    hDevice = _echo_open(machine)
    with machine:
        hDevice.GetOverlappedResult(hDevice.WriteFile(bytes(written), overlapped=True), True)
        issued = machine.clock.seconds
        read = hDevice.GetOverlappedResult(
            hDevice.ReadFile(bytearray(asked), overlapped=True), True
        )
        waited = round(machine.clock.seconds - issued)
    kept = min(written, asked)
    if written > samples.MAX_WRITE_LENGTH:
        refused = _(
            "That assumes the driver kept the write. Compare its length with "
            "MAX_WRITE_LENGTH: what does EchoEvtIoWrite do with a write that long, and what "
            "does the read find then?"
        )
        diagnoses = {(kept, 0): refused, (kept, 2): refused, (written, 0): refused}
    else:
        diagnoses = {
            (kept, 0): _(
                "The read does not come back at once: the driver holds it for the timer. When "
                "does the timer tick next, counted from the write's tick?"
            ),
            (written, 2): _("The read gets no more than its own buffer holds."),
            (0, 0): _("That is a read that finds no buffer; the driver kept this write."),
        }
    return Problem(
        label,
        _(
            "The echo driver keeps a write of at most MAX_WRITE_LENGTH ({most}) bytes. On a "
            "freshly started echo device, the application writes {written} bytes and waits for "
            "the write, then reads into a {asked}-byte buffer. How many bytes does the read "
            "return, and how many seconds after it was issued is it complete? Answer (bytes, "
            "seconds)."
        ).format(most=samples.MAX_WRITE_LENGTH, written=written, asked=asked),
        Several(COUNT, COUNT),
        (read.Information, waited),
        _(
            "EchoEvtIoWrite refuses more than MAX_WRITE_LENGTH ({most}) bytes with "
            "STATUS_BUFFER_OVERFLOW and keeps nothing, so the read finds no buffer and "
            "completes at once with 0 bytes; otherwise the read gets min(written, buffer size) "
            "bytes and is held until the next tick, one period (2 s) after the write's."
        ).format(most=samples.MAX_WRITE_LENGTH),
        diagnoses=diagnoses,
        prediction=True,
        outcome=_(
            "The write: {written} bytes. The read: {status}, {count} bytes, {waited} s after it "
            "was issued."
        ).format(written=written, status=read.Status, count=read.Information, waited=waited),
    )


def draw_nonpnp_ioctl(label: str, rng: random.Random) -> Problem:
    """Lesson 12: what the non-PnP control device answers for each transfer method."""
    method = rng.choice(["BUFFERED", "IN_DIRECT", "OUT_DIRECT", "NEITHER"])
    # (METHOD_NEITHER with no output buffer hands the sample a NULL user buffer, and its
    # probe-and-lock of NULL is a bug check, 0x10D/0x4: a question of its own, not this one.)
    size = rng.choice([10, 38, 100] if method == "NEITHER" else [0, 10, 38, 100])
    machine = Machine("NONPNP", DriverEntry=samples.NonPnpDriverEntry)
    with machine:
        _created, hDevice = machine.process().CreateFile(samples.DEVICE_NAME)
        code = getattr(samples, f"IOCTL_NONPNP_METHOD_{method}")
        result = hDevice.DeviceIoControl(code, b"hello, driver\0", bytearray(size))
        hDevice.CloseHandle()
    return Problem(
        label,
        _(
            "The application sends {ioctl} to the non-PnP control device with a 14-byte input "
            "buffer and a {size}-byte output buffer. What status and what Information does it "
            "get back? Answer (status, information)."
        ).format(ioctl=f"IOCTL_NONPNP_METHOD_{method}", size=size),
        Several(STATUS, COUNT),
        (int(result.Status), result.Information),
        _(
            "No output or no input buffer is STATUS_INVALID_PARAMETER (0xC000000D); "
            "METHOD_IN_DIRECT reports the whole output buffer (the bytes the driver took from "
            "it); the other three report min(output size, 38), the driver's string with its NUL."
        ),
        diagnoses={
            (0, min(size, 38)): _(
                "For METHOD_IN_DIRECT the output buffer carries data to the driver; it reports "
                "how much it took from it, not what it wrote."
            ),
            (0, size): _(
                "Information is what the driver wrote, not the buffer's size: how long is its "
                "string (with its NUL), and does it fit?"
            ),
            (0, 0): _(
                "The driver writes its string into the output buffer, and Information counts "
                "the bytes it wrote."
            )
            if size
            else _(
                "With no output buffer the driver has nowhere to answer: look at what it does "
                "when a buffer is missing."
            ),
            (0xC000000D, 0): _("The driver refuses only a missing input or output buffer."),
        },
        prediction=True,
        outcome=f"DeviceIoControl(IOCTL_NONPNP_METHOD_{method}): {result.Status}, "
        f"Information {result.Information}.",
    )


PROBLEMS = {
    "12-ex1": draw_echo_cancel,
    "12-ex2": draw_echo_write_read,
    "12-ex3": draw_nonpnp_ioctl,
}
