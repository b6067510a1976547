"""Lesson 11's check-yourself problems (scenario 5: reuse a request you created).

The driver creates one request and one 64-byte memory object at its first read and sends that
request once per application read, as the lesson's scenario does.  What varies is what it
does again before each send (reuse, format, set the routine) and where it calls
WdfRequestReuse, the number of reads, which read the lower device fails, and where the status
the application gets comes from.  KMDF's rules behind them: FxRequest::Reuse (fxrequest.cpp)
releases the format's references, clears the completion routine and sets the status from
WDF_REQUEST_REUSE_PARAMS; completing a send clears the routine
(FxRequestBase::CompleteSubmitted) and, with KMDF Verifier, the formatted mark, so an
unformatted send is refused with STATUS_REQUEST_NOT_ACCEPTED (FxIoTarget::VerifySubmitLocked).
"""

import random

from ...ddi.wdfdevice import WdfDeviceGetIoTarget
from ...ddi.wdfio import WdfIoQueueGetDevice
from ...ddi.wdfiotarget import WdfIoTargetFormatRequestForRead
from ...ddi.wdfmemory import WdfMemoryCreate
from ...ddi.wdfobject import WDF_NO_CONTEXT, WDF_NO_OBJECT_ATTRIBUTES
from ...ddi.wdfrequest import (
    WDF_NO_SEND_OPTIONS,
    WdfRequestComplete,
    WdfRequestCompleteWithInformation,
    WdfRequestCreate,
    WdfRequestGetStatus,
    WdfRequestSend,
    WdfRequestSetCompletionRoutine,
)
from ...kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_DEVICE_BUSY,
    STATUS_IO_DEVICE_ERROR,
    STATUS_PENDING,
    STATUS_SUCCESS,
    STATUS_UNSUCCESSFUL,
)
from ...kernel.pool import NonPagedPoolNx
from ...language import N_, _, listed
from .. import scenarios
from ..answers import COUNT, STATUS, Several
from ..problem import Problem
from ._forwarding import reuse, run, status_text


def reusing_driver(
    every_send=("reuse", "format", "routine"),
    reuse_in_routine=False,
    status_from="params",
    reuse_status=STATUS_SUCCESS,
):
    """EvtIoRead of a driver that sends one created request per read.

    *every_send* says what it does again before each send (the first send always formats and
    sets the routine); *reuse_in_routine* moves WdfRequestReuse into the completion routine,
    before it completes the application's read with the status *status_from* says:
    ``"params"`` (Params->IoStatus.Status), ``"before reuse"`` or ``"after reuse"``
    (WdfRequestGetStatus of the reused request, read then).
    """
    shared = {}

    def EvtReusedDone(Request, Target, Params, Context):
        status = Params.IoStatus.Status
        if status_from == "before reuse":
            status = WdfRequestGetStatus(Request)
        if reuse_in_routine:
            reuse(Request, reuse_status)
        if status_from == "after reuse":
            status = WdfRequestGetStatus(Request)
        WdfRequestCompleteWithInformation(shared["original"], status, 0)

    def EvtIoRead(Queue, Request, Length):
        ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        first = "request" not in shared
        if first:
            status, shared["request"] = WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, ioTarget)
            status, shared["memory"], _buffer = WdfMemoryCreate(
                WDF_NO_OBJECT_ATTRIBUTES,
                NonPagedPoolNx,
                scenarios.READ_TAG,
                scenarios.READ_BUFFER_SIZE,
            )
        reused = shared["request"]
        shared["original"] = Request
        if "reuse" in every_send and not reuse_in_routine:
            reuse(reused, reuse_status)
        if first or "format" in every_send:
            WdfIoTargetFormatRequestForRead(ioTarget, reused, shared["memory"], None, None)
        if first or "routine" in every_send:
            WdfRequestSetCompletionRoutine(reused, EvtReusedDone, WDF_NO_CONTEXT)
        if not WdfRequestSend(reused, ioTarget, WDF_NO_SEND_OPTIONS):
            WdfRequestComplete(Request, WdfRequestGetStatus(reused))

    return EvtIoRead


def _overlapped_reads(count: int):
    """The application issues *count* overlapped reads at once and waits 1 s."""

    def application(machine, app):
        pending = [app.ReadFile(bytearray(16), overlapped=True) for _read in range(count)]
        machine.advance(1.0)
        return [io.IoStatus for io in pending]

    return application


MOVES = {
    "all": ("reuse", "format", "routine"),
    "routine once": ("reuse", "format"),
    "format once": ("reuse", "routine"),
}
MOVE_TEXT = {
    "all": N_("calls WdfRequestReuse, formats it and sets its completion routine"),
    "routine once": N_(
        "calls WdfRequestReuse and formats it (the completion routine was set once, before the "
        "first send)"
    ),
    "format once": N_(
        "calls WdfRequestReuse and sets its completion routine (the request was formatted "
        "once, before the first send)"
    ),
}
"""What the driver does before each send of its request, after "before each send of it,"."""


def draw_repeated_moves(label: str, rng: random.Random) -> Problem:
    """Predict how many reads succeed and how many stay pending, by what is redone per send."""
    move = rng.choice(list(MOVES))
    reads = rng.randint(3, 6)
    outcome = run(_overlapped_reads(reads), EvtIoRead=reusing_driver(MOVES[move]))
    statuses = [result.Status for result in outcome.result]
    succeeded = sum(1 for s in statuses if NT_SUCCESS(s) and s != STATUS_PENDING)
    pending = sum(1 for s in statuses if s == STATUS_PENDING)
    solution = (succeeded, pending)
    diagnoses = {
        (reads, 0): _(
            "Something the first send had is gone by the second. What do a completed send and "
            "WdfRequestReuse clear (with KMDF Verifier on), and does this driver redo it "
            "before each send?"
        ),
    }
    if move == "routine once":
        diagnoses[(1, 0)] = _(
            "That has the later reads completed, but with a failure. Are the later sends "
            "refused? They are formatted. Is a completion routine still set at the second "
            "send, and if not, who completes the application's read?"
        )
    elif move == "format once":
        diagnoses[(1, reads - 1)] = _(
            "That leaves the later reads pending, as a send with no completion routine would; "
            "this driver sets its routine before every send but formats only once. With KMDF "
            "Verifier on, what does WdfRequestSend do with a request no longer formatted?"
        )
    else:
        diagnoses[(1, reads - 1)] = _(
            "That is a second send missing something the first had. List what WdfRequestReuse "
            "and a completed send clear, and check it against what this driver does before "
            "each send."
        )
    return Problem(
        label,
        _("Predict first.")
        + " "
        + _(
            "KMDF Verifier is on. The driver creates one request at its first read and, before "
            "each send of it, {moves}. Its queue is sequential. The application issues {reads} "
            "overlapped reads at once and waits a second. How many reads complete with "
            "success, and how many are still pending? Answer (succeeded, pending)."
        ).format(moves=_(MOVE_TEXT[move]), reads=reads),
        Several(COUNT, COUNT),
        solution,
        _(
            "WdfRequestReuse clears the completion routine, and completing a send clears it "
            "too; with KMDF Verifier completion also clears the formatted mark, so an "
            "unformatted send is refused (STATUS_REQUEST_NOT_ACCEPTED) and the driver "
            "completes the read with it. A send without a routine completes below with nobody "
            "told: the read stays pending, and the sequential queue holds the others behind it."
        ),
        diagnoses,
        hint=_(
            "After the first send completes, what does the request still have: a routine, a format?"
        ),
        prediction=True,
        outcome=_("The reads: {statuses}.").format(
            statuses=listed(status_text(s) for s in statuses)
        ),
    )


WHERE = {
    "before send": N_(
        "calls WdfRequestReuse before each send, in EvtIoRead (as the lesson's driver does)"
    ),
    "in routine": N_(
        "calls WdfRequestReuse in its completion routine, before completing the application's "
        "read (as the Toaster sample's toastmon does)"
    ),
    "never": N_("never calls WdfRequestReuse (it formats the request again before each send)"),
}
"""Where the driver calls WdfRequestReuse, after "once per read, and"."""


def draw_releases(label: str, rng: random.Random) -> Problem:
    """Count the releases of the target's reference over N reads, and what is left held."""
    where = rng.choice(list(WHERE))
    reads = rng.randint(2, 7)
    every_send = ("format", "routine") if where == "never" else ("reuse", "format", "routine")
    outcome = run(
        lambda machine, app: [app.ReadFile(bytearray(16)) for _read in range(reads)],
        EvtIoRead=reusing_driver(every_send, reuse_in_routine=where == "in routine"),
        timeline=True,
    )
    timeline = outcome.machine.snapshot().timeline
    targets = [e for e in timeline.events if e.label.startswith("target's reference")]
    released = sum(1 for e in targets if e.text == "released")
    held = sum(1 for e in targets if e.text != "released") - released
    solution = (released, held)
    diagnoses = {}
    if where == "in routine":
        diagnoses[(reads - 1, 1)] = _(
            "That leaves the last send's reference held, as a driver that reuses before the "
            "next send does. This one reuses in the completion routine: when does that "
            "run, for each send?"
        )
    else:
        diagnoses[(reads, 0)] = _(
            "That releases every send's reference, the last one too. The target keeps a "
            "reference until the request is reused, reformatted or deleted: after the last "
            "read, has any of those happened yet?"
        )
        if where == "never":
            diagnoses[(0, reads)] = _(
                "That lets every reference pile up. Without WdfRequestReuse, what does each "
                "format do first with what the previous one took?"
            )
    return Problem(
        label,
        _(
            "The driver sends its one created request, formatted with its own 64-byte memory "
            "object, once per read, and {where}. The application makes {reads} reads, one "
            "after the other. Over those reads, how many times is the target's reference on "
            "the memory released, and how many such references are still held when the last "
            "read has completed? Answer (released, still_held)."
        ).format(where=_(WHERE[where]), reads=reads),
        Several(COUNT, COUNT),
        solution,
        _(
            "Each format takes one reference on the memory for the target; WdfRequestReuse or "
            "the next format releases it. Reusing before the send releases the previous send's "
            "reference, so the last one stays until the next read (or the request's deletion); "
            "reusing in the completion routine releases each one as soon as its send is done."
        ),
        diagnoses,
        hint=_("Pair each format with the call that releases it; which format has no partner yet?"),
        outcome=_(
            "After the {reads} reads the memory object holds {held} reference(s) for the target."
        ).format(reads=reads, held=held),
    )


def draw_reused_status(label: str, rng: random.Random) -> Problem:
    """What status an application read gets when the driver reads it off the reused request."""
    status_from = rng.choice(["params", "before reuse", "after reuse", "after reuse"])
    reuse_status = rng.choice([STATUS_SUCCESS, STATUS_SUCCESS, STATUS_UNSUCCESSFUL])
    fail = rng.choice([STATUS_IO_DEVICE_ERROR, STATUS_DEVICE_BUSY])
    reads = rng.randint(2, 4)
    failing = rng.randint(1, reads)
    asked = (
        failing
        if rng.random() < 0.75
        else rng.choice([n for n in range(1, reads + 1) if n != failing])
    )

    def application(machine, app):
        results = []
        for number in range(1, reads + 1):
            machine.lower_device.fail_status = fail if number == failing else None
            results.append(app.ReadFile(bytearray(16)))
        return results

    outcome = run(
        application,
        EvtIoRead=reusing_driver(
            reuse_in_routine=True, status_from=status_from, reuse_status=reuse_status
        ),
    )
    got = outcome.result[asked - 1].Status
    source = {
        "params": N_("Params->IoStatus.Status, saved before WdfRequestReuse"),
        "before reuse": N_(
            "WdfRequestGetStatus of the reused request, read before WdfRequestReuse"
        ),
        "after reuse": N_("WdfRequestGetStatus of the reused request, read after WdfRequestReuse"),
    }[status_from]
    lower_status = fail if asked == failing else STATUS_SUCCESS
    diagnoses = {}
    if status_from == "after reuse":
        diagnoses[lower_status] = _(
            "That is the send's status, but the driver reads the status after "
            "WdfRequestReuse. What does WdfRequestReuse do to the request's status, and with "
            "what from WDF_REQUEST_REUSE_PARAMS?"
        )
    else:
        diagnoses[reuse_status] = _(
            "That is the status WdfRequestReuse puts in the request, but the driver reads it "
            "before WdfRequestReuse runs. What is the request's status at that point?"
        )
    if asked != failing:
        diagnoses[fail] = _(
            "The lower device failed read {failing}, not read {asked}: each send's status is "
            "its own."
        ).format(failing=failing, asked=asked)
    return Problem(
        label,
        _(
            "The driver's completion routine calls WdfRequestReuse on its one created request "
            "with {init}, then completes the application's read with the status from {source}. "
            "The application makes {reads} reads, one after the other; the lower device fails "
            "read {failing} with {status} and succeeds the others. What status does read "
            "{asked} get?"
        ).format(
            init="WDF_REQUEST_REUSE_PARAMS_INIT(&params, WDF_REQUEST_REUSE_NO_FLAGS, "
            f"{_name(reuse_status)})",
            source=_(source),
            reads=reads,
            failing=failing,
            status=status_text(fail),
            asked=asked,
        ),
        STATUS,
        int(got),
        _(
            "WdfRequestReuse puts the status given in WDF_REQUEST_REUSE_PARAMS into the "
            "request (FxRequest::Reuse), so WdfRequestGetStatus after it returns that, "
            "whatever the send ended with. Before it, WdfRequestGetStatus and "
            "Params->IoStatus.Status both give the lower device's status (WdfRequestReuse "
            "clears Params too, so save it first)."
        ),
        diagnoses,
        hint=_("When does the request's status stop being the send's status?"),
        outcome=listed(
            _("read {number}: {status}").format(number=n, status=status_text(r.Status))
            for n, r in enumerate(outcome.result, 1)
        ),
    )


def _name(status: int) -> str:
    """The status's name alone, as C code spells it."""
    return status_text(status).split()[0]


PROBLEMS = {
    "11-ex1": draw_repeated_moves,
    "11-ex2": draw_releases,
    "11-ex3": draw_reused_status,
}
