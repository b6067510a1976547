"""Lesson 09's check-yourself problems (scenario 3: a new request that uses existing memory).

The drivers create their own request per application request and format it with the
original request's memory, as the lesson's scenario does; what varies is the request type
(a read formats one memory object, an IOCTL two), what else holds references, what the
completion routine does before completing the original, and the window the lower driver is
shown.  KMDF's rule behind them: a request's own memory counts its references on the
request's IRP (FxRequest::AddRefOverride in fxrequest.cpp), a format takes one per memory
object and only reuse, reformat or delete releases it (FxRequestBase::ContextReleaseAndRestore,
fxrequestbase.cpp), and FxRequest::CompleteInternal bug-checks 0x10D/0x3 with the count in
parameter 3 when some are left.
"""

import random

from ...ddi.wdfdevice import WdfDeviceGetIoTarget, WdfDeviceIoBuffered, WdfDeviceIoDirect
from ...ddi.wdfio import WdfIoQueueGetDevice
from ...ddi.wdfiotarget import WdfIoTargetFormatRequestForIoctl, WdfIoTargetFormatRequestForRead
from ...ddi.wdfmemory import WDFMEMORY_OFFSET, WdfMemoryCopyFromBuffer
from ...ddi.wdfobject import (
    WDF_NO_OBJECT_ATTRIBUTES,
    WdfObjectDelete,
    WdfObjectDereference,
    WdfObjectReference,
)
from ...ddi.wdfrequest import (
    WDF_NO_SEND_OPTIONS,
    WdfRequestCompleteWithInformation,
    WdfRequestCreate,
    WdfRequestRetrieveInputMemory,
    WdfRequestRetrieveOutputMemory,
    WdfRequestSend,
    WdfRequestSetCompletionRoutine,
)
from ...kernel.ntstatus import NT_SUCCESS, STATUS_IO_DEVICE_ERROR
from ...language import N_, _
from ...sim.machine import current_machine
from .. import scenarios
from ..answers import COUNT, Several
from ..problem import Problem
from ._forwarding import irp_references, reuse, run, status_text


def _application(ioctl: bool, length: int = 16):
    """The application's one call: a read, or IOCTL_TOASTER_GET_DATA with 5 bytes of input."""

    def application(machine, app):
        if ioctl:
            return app.DeviceIoControl(
                scenarios.IOCTL_TOASTER_GET_DATA, b"query", bytearray(length)
            )
        return app.ReadFile(bytearray(length))

    return application


def _driver(format_new, send_hook=None, completion=None):
    """EvtIoRead and EvtIoDeviceControl that create a request, format it with
    *format_new(target, new, inMemory, outMemory)* and send it; *send_hook(original, memory)*
    runs after the send, *completion(new, params, original, memory)* is the routine's body."""

    def EvtRequestDone(Request, Target, Params, Context):
        original, memory = Context
        completion(Request, Params, original, memory)

    def send(Queue, Request, inMemory, outMemory):
        ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        status, newRequest = WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, ioTarget)
        format_new(ioTarget, newRequest, inMemory, outMemory)
        WdfRequestSetCompletionRoutine(newRequest, EvtRequestDone, (Request, outMemory))
        WdfRequestSend(newRequest, ioTarget, WDF_NO_SEND_OPTIONS)
        if send_hook is not None:
            send_hook(Request, outMemory)

    def EvtIoRead(Queue, Request, Length):
        status, outMemory = WdfRequestRetrieveOutputMemory(Request)
        send(Queue, Request, None, outMemory)

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
        status, inMemory = WdfRequestRetrieveInputMemory(Request)
        status, outMemory = WdfRequestRetrieveOutputMemory(Request)
        send(Queue, Request, inMemory, outMemory)

    return {"EvtIoRead": EvtIoRead, "EvtIoDeviceControl": EvtIoDeviceControl}


def _format(ioctl: bool, times: int):
    """Format the new request *times* times with the original's memory."""

    def format_new(target, new, inMemory, outMemory):
        for _time in range(times):
            if ioctl:
                WdfIoTargetFormatRequestForIoctl(
                    target, new, scenarios.IOCTL_TOASTER_GET_DATA, inMemory, None, outMemory, None
                )
            else:
                WdfIoTargetFormatRequestForRead(target, new, outMemory, None, None)

    return format_new


WHAT = {
    True: N_(
        "IOCTL_TOASTER_GET_DATA (5 bytes in, 16 out), which it formats with both the input "
        "and the output memory (WdfIoTargetFormatRequestForIoctl)"
    ),
    False: N_("a 16-byte read, which it formats with the output memory"),
}
"""What the driver receives, an IOCTL or a read, and the memory it formats its new request with."""


def _what(ioctl: bool) -> str:
    return _(WHAT[ioctl])


def draw_references_in_flight(label: str, rng: random.Random) -> Problem:
    """Predict the original request's IRP references while the new request is down."""
    ioctl = rng.random() < 0.5
    formats = rng.choice([1, 1, 2])
    extra = rng.choice([0, 0, 1])
    seen = {}

    def send_hook(original, memory):
        seen["during"] = irp_references(current_machine(), original)

    def take_extra(target, new, inMemory, outMemory):
        _format(ioctl, formats)(target, new, inMemory, outMemory)
        if extra:
            WdfObjectReference(outMemory)

    def completion(new, params, original, memory):
        if extra:
            WdfObjectDereference(memory)
        status, information = params.IoStatus.Status, params.IoStatus.Information
        reuse(new)  # WdfRequestReuse clears Params too (InitCompletionParams): read it first
        WdfRequestCompleteWithInformation(original, status, information)
        WdfObjectDelete(new)

    callbacks = _driver(take_extra, send_hook, completion)
    outcome = run(_application(ioctl), latency=0.002, **callbacks)
    count = seen["during"]
    memories = 2 if ioctl else 1
    moves = [_("The driver receives {what}.").format(what=_what(ioctl))]
    if formats == 2:
        moves.append(_("It formats its new request twice in a row with the same memory."))
    if extra:
        moves.append(
            _(
                "Before sending, it also calls WdfObjectReference on the original's output "
                "memory (and WdfObjectDereference in the completion routine)."
            )
        )
    diagnoses = {
        0: _(
            "The lower device has not finished yet, and even when it has, the target keeps the "
            "format's reference until the new request is reused, reformatted or deleted."
        ),
    }
    if formats == 2:
        diagnoses[memories * 2 + extra] = _(
            "That counts both formats' references as if both stayed. What does a format do "
            "first with what the previous format took (ValidateTarget → "
            "ContextReleaseAndRestore)?"
        )
    if extra:
        diagnoses[memories] = _(
            "That counts the format's references only. The driver also calls "
            "WdfObjectReference on the original's memory: is that counted on the request's "
            "IRP too?"
        )
    if ioctl:
        diagnoses.setdefault(
            1 + extra,
            _(
                "Count the memory objects an IOCTL's format stores (it has an input and an "
                "output buffer): each holds its own reference on the original request."
            ),
        )
    return Problem(
        label,
        " ".join(
            [
                _("Predict first."),
                *moves,
                _(
                    "While the new request is at the lower device (it takes 2 ms), how many "
                    "references does the original request's IRP hold for its memory objects?"
                ),
            ]
        ),
        COUNT,
        count,
        _(
            "A format takes one reference per memory object it stores — one for a read, two "
            "for an IOCTL's input and output — and a reformat first releases the previous "
            "ones. A WdfObjectReference on a request's memory is counted on the request as "
            "well. The send and the lower device's completion release nothing."
        ),
        diagnoses,
        hint=_(
            "Count what holds the original's memory: each format's references, and the "
            "driver's own."
        ),
        prediction=True,
        outcome=_(
            "During the send the original request held {count} reference(s); the application "
            "got {result}."
        ).format(count=count, result=outcome.result),
    )


ROUTINES = {
    "reuse if success": N_(
        "calls WdfRequestReuse on the new request only when the lower device's status is a "
        "success, then completes the original"
    ),
    "complete first if success": N_(
        "on success completes the original first and then calls WdfRequestReuse; on failure "
        "calls WdfRequestReuse first, then completes the original"
    ),
    "reuse always": N_("calls WdfRequestReuse on the new request, then completes the original"),
    "delete if failure": N_(
        "on failure deletes the new request (WdfObjectDelete) before completing the original; "
        "on success just completes the original, keeping the new request for later"
    ),
}
"""What the completion routine does, after "its completion routine"."""


def draw_references_at_completion(label: str, rng: random.Random) -> Problem:
    """How many references are left when the routine completes the original (Arg3, or 0)."""
    ioctl = rng.random() < 0.5
    branches = ["reuse if success", "complete first if success", "delete if failure"]
    routine = rng.choice([*branches, *branches, "reuse always"])  # mostly a branch
    fail = rng.choice([None, STATUS_IO_DEVICE_ERROR])

    def completion(new, params, original, memory):
        succeeded = NT_SUCCESS(params.IoStatus.Status)
        status, information = params.IoStatus.Status, params.IoStatus.Information
        if routine == "reuse always" or (routine == "reuse if success" and succeeded):
            reuse(new)
        elif routine == "complete first if success":
            if succeeded:
                WdfRequestCompleteWithInformation(original, status, information)
                reuse(new)
                return
            reuse(new)
        elif routine == "delete if failure" and not succeeded:
            WdfObjectDelete(new)
        WdfRequestCompleteWithInformation(original, status, information)

    outcome = run(
        _application(ioctl),
        fail_status=fail,
        **_driver(_format(ioctl, 1), completion=completion),
    )
    held = outcome.bugcheck.parameters[2] if outcome.bugcheck is not None else 0
    memories = 2 if ioctl else 1
    lower = (
        _("The lower device succeeds.")
        if fail is None
        else _("The lower device fails the transfer with {status}.").format(
            status=status_text(fail)
        )
    )
    diagnoses = {}
    if held:
        diagnoses[0] = _(
            "0 means nothing held the original's memory when it was completed. Follow the "
            "routine's branch for this lower device: does anything on it release the format's "
            "references before WdfRequestComplete?"
        )
        diagnoses[3 - held] = _(
            "Count the memory objects the format stored for this request (a read and an IOCTL "
            "differ): each holds one reference until something releases it."
        )
    else:
        diagnoses[memories] = _(
            "That is what the format took. Follow the routine's branch for this lower device: "
            "what does it call on the new request before it completes the original, and what "
            "does that call release?"
        )
    return Problem(
        label,
        " ".join(
            [
                _(
                    "The driver receives {what}, sends its new request, and its completion "
                    "routine {routine}."
                ).format(what=_what(ioctl), routine=_(ROUTINES[routine])),
                lower,
                _(
                    "When the original is completed, how many references on its memory are "
                    "still held? (That is Arg3 of the blue screen if the machine stops; answer 0 "
                    "if it does not stop.)"
                ),
            ]
        ),
        COUNT,
        held,
        _(
            "The target keeps the format's references (one per memory object: 1 for a read, 2 "
            "for an IOCTL) until the new request is reused, reformatted or deleted; the lower "
            "device completing it releases nothing. Completing the original with any left is "
            "0x10D/0x3 with their count in Arg3."
        ),
        diagnoses,
        hint=_(
            "Which branch of the routine runs for this lower device, and does it release the "
            "format's references before completing the original?"
        ),
        outcome=outcome.bugcheck.blue_screen()
        if outcome.bugcheck is not None
        else _("The application got {result}.").format(result=outcome.result),
    )


def draw_window(label: str, rng: random.Random) -> Problem:
    """A header written by the driver, the rest by the lower device through an offset."""
    buffered = rng.random() < 0.5
    length = rng.choice([16, 24, 32])
    header = rng.choice([4, 8, 12])
    adds_header = rng.random() < 0.5

    def format_tail(target, new, inMemory, outMemory):
        WdfMemoryCopyFromBuffer(outMemory, 0, b"\xaa" * header, header)
        tail = WDFMEMORY_OFFSET(BufferOffset=header, BufferLength=length - header)
        WdfIoTargetFormatRequestForRead(target, new, outMemory, tail, None)

    def completion(new, params, original, memory):
        status = params.IoStatus.Status
        information = params.IoStatus.Information + (header if adds_header else 0)
        reuse(new)  # WdfRequestReuse clears Params too (InitCompletionParams): read it first
        WdfRequestCompleteWithInformation(original, status, information)
        WdfObjectDelete(new)

    buffer = bytearray(b"\xee" * length)  # what the application's buffer held before
    outcome = run(
        lambda machine, app: app.ReadFile(buffer),
        io_type=WdfDeviceIoBuffered if buffered else WdfDeviceIoDirect,
        **_driver(format_tail, completion=completion),
    )
    information = outcome.result.Information
    lower_bytes = sum(1 for i in range(header, length) if buffer[i] == i - header)
    completes_with = (
        _(
            "Its completion routine saves Params->IoStatus, reuses the new request and "
            "completes the original with Information = the saved IoStatus.Information + the "
            "header's length."
        )
        if adds_header
        else _(
            "Its completion routine saves Params->IoStatus, reuses the new request and "
            "completes the original with Information = the saved IoStatus.Information."
        )
    )
    shown_all = length - header
    diagnoses = {}
    if buffered:
        diagnoses[(information, shown_all)] = _(
            "The lower device did write all its bytes — into the system buffer. With buffered "
            "I/O the I/O manager copies back only Information bytes, from the start of the "
            "system buffer, into the application's buffer."
        )
    else:
        diagnoses[(information, max(0, information - header))] = _(
            "With direct I/O there is no copy back: the lower device wrote straight into the "
            "application's pages (through the MDL), so everything it wrote is there whatever "
            "Information says."
        )
    if adds_header:
        diagnoses[(length - header, lower_bytes)] = _(
            "That is the lower device's count, the window it filled. Read the driver's "
            "completion again: what does it add to the saved Information?"
        )
    else:
        diagnoses[(length, lower_bytes)] = _(
            "Information is not the read's length: the lower device reports only the bytes it "
            "was shown, and the driver completes with the number it saved. Does it add the "
            "header?"
        )
    solution = (information, lower_bytes)
    writes = (
        _(
            "The driver writes an {header}-byte header at the start of the request's output "
            "memory, then formats its new request with that memory and "
            "WDFMEMORY_OFFSET(BufferOffset={header}, BufferLength={rest}), so that the lower "
            "device fills the rest."
        )
        if header == 8
        else _(
            "The driver writes a {header}-byte header at the start of the request's output "
            "memory, then formats its new request with that memory and "
            "WDFMEMORY_OFFSET(BufferOffset={header}, BufferLength={rest}), so that the lower "
            "device fills the rest."
        )
    ).format(header=header, rest=length - header)
    return Problem(
        label,
        " ".join(
            [
                _("A device with buffered I/O.") if buffered else _("A device with direct I/O."),
                _("The application reads {length} bytes.").format(length=length),
                writes,
                completes_with,
                _(
                    "How many bytes does ReadFile report, and how many of the lower device's "
                    "bytes end up in the application's buffer? Answer (information, "
                    "lower_device_bytes)."
                ),
            ]
        ),
        Several(COUNT, COUNT),
        solution,
        _(
            "The lower device writes only the window it was shown, and reports that window's "
            "length. With buffered I/O it writes into the system buffer and the I/O manager "
            "copies back Information bytes from its start; with direct I/O it writes into the "
            "application's own pages, so all of it is there."
        ),
        diagnoses,
        hint=_(
            "Which memory does the lower device write — the system buffer or the "
            "application's pages — and what does Information decide?"
        ),
        outcome=_("ReadFile returned {result}; the application's buffer: {contents}").format(
            result=outcome.result, contents=bytes(buffer).hex(" ")
        ),
    )


PROBLEMS = {
    "09-ex1": draw_references_in_flight,
    "09-ex2": draw_references_at_completion,
    "09-ex3": draw_window,
}
