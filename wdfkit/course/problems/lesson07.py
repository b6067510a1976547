"""Lesson 07's check-yourself problems (scenario 1: receive, handle, complete)."""

import random

from ...ddi.wdfdevice import WdfDeviceIoBuffered
from ...ddi.wdfmemory import WdfMemoryCopyFromBuffer
from ...ddi.wdfrequest import (
    WdfRequestCompleteWithInformation,
    WdfRequestRetrieveInputMemory,
    WdfRequestRetrieveOutputMemory,
)
from ...kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_ACCESS_VIOLATION,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_INVALID_BUFFER_SIZE,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_SUCCESS,
)
from ...language import N_, _
from ...sim.machine import Machine
from .. import scenarios
from ..answers import COUNT, STATUS, BugCheckKind, Several
from ..problem import Problem
from ._listing import listing

# The late uses of scenario 1 a problem may draw; buffered + buffer pointer is the Break-it.
LATE_USES = (
    ("buffered", "memory handle"),
    ("direct", "memory handle"),
    ("direct", "buffer pointer"),
)
IO = {"buffered": N_("buffered I/O"), "direct": N_("direct I/O")}
"""A device's buffering as a question names it: "with buffered I/O"."""


def draw_late_use(label: str, rng: random.Random) -> Problem:
    """A prediction: what stops the machine when scenario 1's driver uses something late."""
    buffering, late = rng.choice(LATE_USES)
    run = scenarios.scenario1(buffering=buffering, after_complete=late)
    bugcheck = run.bugcheck
    handle = late == "memory handle"
    kind = BugCheckKind(1) if handle else BugCheckKind(0)
    story = (
        _(
            "Scenario 1 with {io}: the driver copies 16 bytes into the read's output memory "
            "and completes the request; afterwards it calls WdfMemoryGetBuffer on the output "
            "memory handle it retrieved."
        )
        if handle
        else _(
            "Scenario 1 with {io}: the driver copies 16 bytes into the read's output memory "
            "and completes the request; afterwards it writes 4 bytes through the buffer "
            "pointer WdfMemoryGetBuffer gave it."
        )
    ).format(io=_(IO[buffering]))
    diagnoses = (
        {
            0x50: _(
                "0x50 is what a dead *pointer* gives; here the dead thing was a *handle*, "
                "and wdfkit's handle check stops the machine first."
            ),
            (0x10D, 0x6): _(
                "Parameter 1 0x6 is a request error (a request completed twice, "
                "Information too large); the dead thing here is a handle, which WDF_VIOLATION "
                "reports with a parameter 1 of its own (lesson 00 shows it)."
            ),
            (0xC4, 0x62): _("0xC4 / 0x62 is a leak at unload; nothing leaked here."),
        }
        if handle
        else {
            0x10D: _(
                "0x10D is KMDF checking a *handle*; here the driver touched the bytes through "
                "a raw pointer, which no framework call sees: the memory manager does."
            ),
            0xD5: _(
                "0xD5 is freed *special pool*; with direct I/O the pointer is a system-space "
                "mapping of the application's pages, and completion unmapped it: a page fault "
                "in an address that maps nothing."
            ),
            0xC4: _(
                "Driver Verifier did not catch a rule here: the processor faulted on an "
                "address that is no longer mapped."
            ),
        }
    )
    solution = (bugcheck.code, bugcheck.parameters[0])
    return Problem(
        label,
        " ".join(
            [
                _("Predict first, then run it."),
                story,
                _("What stops the machine?"),
                _("Give the bug check and its parameter 1.")
                if handle
                else _("Give the bug-check code."),
            ]
        ),
        kind,
        solution,
        (
            _(
                "Completing the request deleted its memory objects: the handle is dead, and "
                "wdfkit answers a dead handle with WDF_VIOLATION, Arg1 0x5 (KMDF's own "
                "behaviour is undefined here)."
            )
            if handle
            else _(
                "Completing the request unmapped the application's pages from system space "
                "(direct I/O): the pointer addresses nothing, and the write faults, "
                "PAGE_FAULT_IN_NONPAGED_AREA with the address in Arg1 and 2 (a write) in Arg2."
            )
        ),
        diagnoses=diagnoses,
        prediction=True,
        outcome=bugcheck.blue_screen(),
    )


def draw_what_arrives(label: str, rng: random.Random) -> Problem:
    """What the application's buffer holds: buffered I/O copies back Information bytes only."""
    buffering = rng.choice(["buffered", "direct"])
    length = rng.choice([16, 24, 32])
    offset = rng.choice([0, 4, 8])
    count = rng.randint(4, length - offset)
    information = rng.choice([0, count, offset + count, rng.randint(1, length)])
    information = min(information, length)
    data = bytes(range(0xA0, 0xA0 + count))

    def EvtIoRead(Queue, Request, Length):
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        if NT_SUCCESS(status):
            status = WdfMemoryCopyFromBuffer(memory, offset, data, count)
        WdfRequestCompleteWithInformation(Request, status, information)

    machine = Machine("Toaster")
    buffer = bytearray(b"." * length)
    with machine:
        machine.add_device(
            scenarios.queue_driver(scenarios.BUFFERINGS[buffering], {"EvtIoRead": EvtIoRead})
        )
        result = machine.application().ReadFile(buffer)
    arrived = sum(buffer[offset + i] == data[i] for i in range(count))
    solution = (result.Information, arrived)
    overlap = max(0, min(offset + count, information) - offset)
    diagnoses = {
        (information, count): _(
            "With buffered I/O the driver wrote into the system buffer, and the I/O manager "
            "copies only Information bytes of it back to the application."
        ),
        (information, overlap): _(
            "With direct I/O the driver writes the application's own pages: every byte it "
            "copied is there, whatever Information says."
        ),
        (length, arrived): _(
            "Information is not the size of the application's buffer: it is the number the "
            "driver passes to WdfRequestCompleteWithInformation."
        ),
        (count, arrived): _(
            "Information is what the driver passes to WdfRequestCompleteWithInformation, not "
            "the number of bytes it copied."
        ),
    }
    return Problem(
        label,
        _(
            "The application reads into a {length}-byte buffer filled with '.'. The device "
            "uses {io}, and its EvtIoRead runs:"
        ).format(length=length, io=_(IO[buffering]))
        + listing(
            [
                "status, memory = WdfRequestRetrieveOutputMemory(Request)",
                f"status = WdfMemoryCopyFromBuffer(memory, {offset}, data, {count})"
                f"  # data = 0xA0, 0xA1, …",
                f"WdfRequestCompleteWithInformation(Request, status, {information})",
            ]
        )
        + _(
            "What Information does the application get, and how many of the driver's {count} "
            "data bytes are in its buffer? Answer (information, bytes)."
        ).format(count=count),
        Several(COUNT, COUNT),
        solution,
        _(
            "Information is the driver's word for how many bytes it transferred. With buffered "
            "I/O the driver fills the I/O manager's system buffer, and completion copies its "
            "first Information bytes to the application (bytes past that never arrive; bytes "
            "before the driver's data are whatever the system buffer held). With direct I/O "
            "the driver writes the application's pages themselves, so all its bytes are there."
        ),
        diagnoses=diagnoses,
        hint=_(
            "Ask where the driver's bytes went: a system buffer copied back, or the "
            "application's own pages."
        ),
    )


def draw_request_rules(label: str, rng: random.Random) -> Problem:
    """The status and Information a request's memory rules give the application."""
    move = rng.choice(["copy past the end", "write into a write", "output of a write", "fits"])
    length = rng.choice([8, 16, 20, 32])
    offset = rng.choice([0, 4, 8])
    count = rng.choice([4, 8, 12, 16])
    write = move in ("write into a write", "output of a write")
    if move == "copy past the end":
        count = length - offset + rng.choice([1, 4])

    def EvtIoRead(Queue, Request, Length):
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        if NT_SUCCESS(status):
            status = WdfMemoryCopyFromBuffer(memory, offset, bytes(count), count)
        WdfRequestCompleteWithInformation(Request, status, count if NT_SUCCESS(status) else 0)

    def EvtIoWrite(Queue, Request, Length):
        if move == "output of a write":
            status, memory = WdfRequestRetrieveOutputMemory(Request)
        else:
            status, memory = WdfRequestRetrieveInputMemory(Request)
        if NT_SUCCESS(status):
            status = WdfMemoryCopyFromBuffer(memory, 0, b"ok", 2)
        WdfRequestCompleteWithInformation(Request, status, Length if NT_SUCCESS(status) else 0)

    machine = Machine("Toaster")
    with machine:
        machine.add_device(
            scenarios.queue_driver(
                WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead, "EvtIoWrite": EvtIoWrite}
            )
        )
        app = machine.application()
        result = app.WriteFile(bytes(length)) if write else app.ReadFile(bytearray(length))
    solution = (int(result.Status), result.Information)
    if write:
        retrieve = "Output" if move == "output of a write" else "Input"
        lines = [
            f"status, memory = WdfRequestRetrieve{retrieve}Memory(Request)",
            "if NT_SUCCESS(status):",
            "    status = WdfMemoryCopyFromBuffer(memory, 0, b'ok', 2)",
            "WdfRequestCompleteWithInformation(Request, status, "
            "Length if NT_SUCCESS(status) else 0)",
        ]
        story = _("The application writes {length} bytes. The driver's EvtIoWrite runs:").format(
            length=length
        )
    else:
        lines = [
            "status, memory = WdfRequestRetrieveOutputMemory(Request)",
            "if NT_SUCCESS(status):",
            f"    status = WdfMemoryCopyFromBuffer(memory, {offset}, data, {count})"
            "  # " + _("data: {count} bytes").format(count=count),
            f"WdfRequestCompleteWithInformation(Request, status, "
            f"{count} if NT_SUCCESS(status) else 0)",
        ]
        story = _(
            "The application reads into a buffer of {length} bytes. The driver's EvtIoRead runs:"
        ).format(length=length)
    sizes = {"offset": offset, "count": count, "length": length, "total": offset + count}
    if move == "copy past the end":
        diagnoses = {
            (STATUS_SUCCESS, length): _(
                "WdfMemoryCopyFromBuffer does not copy what fits and drop the rest: offset "
                "{offset} + {count} bytes runs past the {length}-byte output memory, so it "
                "refuses the whole copy."
            ).format(**sizes),
            (STATUS_BUFFER_TOO_SMALL, 0): _(
                "Close, but that is how the other copy DDI refuses (out of the memory object); "
                "this copy goes into it. Lesson 01 shows both."
            ),
            (STATUS_SUCCESS, count): _(
                "The copy did not happen: it would run past the end of the output memory, and "
                "the driver completes with the status it got."
            ),
        }
        explanation = _(
            "Offset {offset} + {count} bytes runs past the {length}-byte output memory (the "
            "size of the application's buffer): WdfMemoryCopyFromBuffer refuses the whole copy "
            "with STATUS_INVALID_BUFFER_SIZE."
        ).format(**sizes)
    elif move == "write into a write":
        diagnoses = {
            (STATUS_SUCCESS, length): _(
                "A write request's input memory is the application's data, and it is "
                "read-only: copying into it fails."
            ),
            (STATUS_INVALID_DEVICE_REQUEST, 0): _(
                "The input memory exists (the driver got it); it is the copy into it that "
                "fails: it is read-only."
            ),
        }
        explanation = _(
            "A write request's input memory holds the application's data and is read-only: "
            "copying into it returns STATUS_ACCESS_VIOLATION."
        )
    elif move == "output of a write":
        diagnoses = {
            (STATUS_SUCCESS, length): _(
                "A write request has no output buffer, so there is no output memory to retrieve."
            ),
            (STATUS_ACCESS_VIOLATION, 0): _(
                "That is copying into a write's input memory; here the driver asks for output "
                "memory, which a write does not have."
            ),
        }
        explanation = _(
            "A write request has no output buffer: WdfRequestRetrieveOutputMemory returns "
            "STATUS_INVALID_DEVICE_REQUEST."
        )
    else:  # "fits"
        diagnoses = {
            (STATUS_INVALID_BUFFER_SIZE, 0): _(
                "Offset {offset} + {count} bytes = {total}: that fits in the {length}-byte "
                "output memory."
            ).format(**sizes),
            (STATUS_SUCCESS, length): _(
                "Information is what the driver passes to WdfRequestCompleteWithInformation, "
                "not the buffer's size."
            ),
        }
        explanation = _(
            "Offset {offset} + {count} bytes fits in the {length}-byte output memory: the copy "
            "succeeds and the driver reports the {count} bytes it copied."
        ).format(**sizes)
    return Problem(
        label,
        story
        + listing(lines)
        + _("What status and Information does the application get? Answer (status, information)."),
        Several(STATUS, COUNT),
        solution,
        explanation
        + " "
        + _("The driver completes with the status it got, and 0 bytes when it failed."),
        diagnoses=diagnoses,
        hint=_("Follow the status through each line: which call returns what, on this request?"),
    )


PROBLEMS = {
    "07-ex1": draw_late_use,
    "07-ex2": draw_what_arrives,
    "07-ex3": draw_request_rules,
}
