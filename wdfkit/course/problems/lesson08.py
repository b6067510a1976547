"""Lesson 08's check-yourself problems (scenario 2: forward the request to the I/O target).

Each problem runs the documentation's forwarding ``EvtIoRead`` (transcribed below as the
lesson shows it) on a fresh machine, with the lower device and the application drawn from
the seed, and reads the answer off the run.  The KMDF behaviour they turn on, from the
source: ``FxRequest::Complete`` (fxrequest.hpp) sets the status only, so a forwarded IRP
keeps the Information the lower driver put in it; ``FxIoQueue`` (fxioqueue.cpp) completes a
zero-length read with STATUS_SUCCESS itself unless the queue allows zero-length requests;
``FxIoTarget`` (fxiotarget.cpp) turns a send cancelled by its timer into STATUS_IO_TIMEOUT,
asynchronous or not; WdfRequestSend refuses options of the wrong Size with
STATUS_INVALID_PARAMETER (fxrequestapi.cpp).
"""

import random

from ...ddi.wdfcore import WDF_REL_TIMEOUT_IN_MS
from ...ddi.wdfrequest import (
    WDF_REQUEST_SEND_OPTION_TIMEOUT,
    WDF_REQUEST_SEND_OPTIONS,
    WDF_REQUEST_SEND_OPTIONS_INIT,
    WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT,
)
from ...kernel.ntstatus import (
    STATUS_CANCELLED,
    STATUS_DEVICE_BUSY,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_IO_DEVICE_ERROR,
    STATUS_IO_TIMEOUT,
    STATUS_NO_SUCH_DEVICE,
    STATUS_SUCCESS,
)
from ...language import _
from .. import scenarios
from ..answers import COUNT, IRQL, STATUS, Several
from ..problem import Problem
from ._forwarding import run, status_text


def draw_result(label: str, rng: random.Random) -> Problem:
    """Predict the (status, Information) of a forwarded read, the lower device failing or not."""
    length = rng.choice([0, 1, 7, 16, 100, 512])
    fail = rng.choice(
        [None, None, STATUS_IO_DEVICE_ERROR, STATUS_DEVICE_BUSY, STATUS_NO_SUCH_DEVICE]
    )
    outcome = run(
        lambda machine, app: app.ReadFile(bytearray(length)),
        EvtIoRead=scenarios.forwarding_read(),
        fail_status=fail,
    )
    got = outcome.result
    lower = (
        _("The lower device succeeds and fills the buffer it is given.")
        if fail is None
        else _("The lower device fails every transfer with {status}.").format(
            status=status_text(fail)
        )
    )
    diagnoses = {}
    if length == 0:
        if fail is not None:
            diagnoses[(fail, 0)] = _(
                "A zero-length read never reaches EvtIoRead: KMDF's queue completes it itself "
                "(AllowZeroLengthRequests is FALSE by default), so the lower device never sees "
                "it and cannot fail it. With which status does the queue complete it?"
            )
        diagnoses[(STATUS_INVALID_DEVICE_REQUEST, 0)] = _(
            "Reading 0 bytes is not refused as a bad request: KMDF's queue completes a "
            "zero-length read itself, before any driver callback runs. With which status?"
        )
    elif fail is not None:
        diagnoses[(fail, length)] = _(
            "The status is right. Information is what the lower device put in the IRP, and "
            "nothing in the driver changes it: how many bytes does a failed transfer move?"
        )
        diagnoses[(STATUS_SUCCESS, length)] = _(
            "That is what a lower device that succeeds gives. Read RequestCompletionRoutine: "
            "which status does it complete the request with?"
        )
        diagnoses[(STATUS_INVALID_DEVICE_REQUEST, 0)] = _(
            "That is the Break-it run, where the completion routine was missing; here it is "
            "set and the request goes down. What does the lower device say, and what does the "
            "routine do with it?"
        )
    else:
        diagnoses[(STATUS_SUCCESS, 0)] = _(
            "WdfRequestComplete sets no Information, true — but the driver forwarded the "
            "application's own IRP, and the lower device sets Information in it when it "
            "completes it. Does completing the request change that number?"
        )
    reads = (
        _(
            "The application reads {length} byte from the lesson's forwarding driver (the "
            "documentation's EvtIoRead and RequestCompletionRoutine, unchanged)."
        )
        if length == 1
        else _(
            "The application reads {length} bytes from the lesson's forwarding driver (the "
            "documentation's EvtIoRead and RequestCompletionRoutine, unchanged)."
        )
    ).format(length=length)
    return Problem(
        label,
        " ".join(
            [
                _("Predict first."),
                reads,
                lower,
                _(
                    "What status and what Information does the application get? Answer "
                    "(status, information)."
                ),
            ]
        ),
        Several(STATUS, COUNT),
        (int(got.Status), got.Information),
        _(
            "A zero-length read is completed by the queue with success before EvtIoRead runs. "
            "Any other read goes down in the application's own IRP: the lower device sets its "
            "status and Information (0 when it fails), and RequestCompletionRoutine completes "
            "the request with that status, keeping the Information."
        ),
        diagnoses,
        hint=_("Follow the IRP: who sets its status and its Information, and who changes them?"),
        prediction=True,
        outcome=_("ReadFile returned {result}.").format(result=got) + "\n" + outcome.log(3),
    )


def draw_timing(label: str, rng: random.Random) -> Problem:
    """When and at which IRQL the completion routine of the k-th read runs."""
    latency_ms = rng.choice([0, 1, 2, 5, 10, 25])
    reads = rng.randint(1, 4)

    def application(machine, app):
        for _read in range(reads):
            app.ReadFile(bytearray(16))

    outcome = run(application, EvtIoRead=scenarios.forwarding_read(), latency=latency_ms / 1000)
    routines = [e for e in outcome.machine.snapshot().log if "completion routine for" in e.message]
    last = routines[reads - 1]
    at_ms, irql = round(last.seconds * 1000), last.irql
    diagnoses = {}
    if latency_ms:
        diagnoses[(at_ms, 0)] = _(
            "The time is right; the IRQL is not. A lower device that takes time finishes "
            "from a DPC, and the completion routine runs inside it: at which IRQL do DPCs "
            "run? The log of Try it shows it."
        )
        if reads > 1:
            diagnoses[(latency_ms, 2)] = _(
                "That is the first read's time. The application waits for each read before "
                "it issues the next: when does read {reads} start?"
            ).format(reads=reads)
    else:
        diagnoses[(0, 2)] = _(
            "With no latency the lower device completes the IRP inside IoCallDriver: the "
            "completion routine runs inside WdfRequestSend, on EvtIoRead's own call. "
            "DISPATCH_LEVEL comes with a DPC, later; at which IRQL was EvtIoRead called?"
        )
    question = (
        _(
            "The lesson's forwarding driver, a lower device that takes {latency} ms per "
            "transfer, and an application that issues {reads} reads of 16 bytes one after the "
            "other, starting at time 0, each waiting for the one before. At what virtual time "
            "(in milliseconds) and at what IRQL does RequestCompletionRoutine run for read "
            "{reads}? Answer (milliseconds, IRQL)."
        )
        if reads > 1
        else _(
            "The lesson's forwarding driver, a lower device that takes {latency} ms per "
            "transfer, and an application that issues one read of 16 bytes at time 0. At what "
            "virtual time (in milliseconds) and at what IRQL does RequestCompletionRoutine run "
            "for it? Answer (milliseconds, IRQL)."
        )
    )
    return Problem(
        label,
        question.format(latency=latency_ms, reads=reads),
        Several(COUNT, IRQL),
        (at_ms, irql),
        _(
            "Each read goes down when the one before it has completed, so read k's routine "
            "runs at k × the latency. A lower device that takes time completes from a DPC, so "
            "the routine runs at DISPATCH_LEVEL (2); one that completes at once does it inside "
            "IoCallDriver, so the routine runs inside WdfRequestSend at the caller's IRQL."
        ),
        diagnoses,
        hint=_("Look at the log of the lesson's Try it: the time and IRQL of the routine's line."),
        outcome=outcome.log(4),
    )


def draw_send_options(label: str, rng: random.Random) -> Problem:
    """What the application gets when the driver sends with a timeout, or with bad options."""
    latency_ms = rng.choice([2, 5, 10, 20])
    timeout_ms = rng.choice([t for t in (1, 3, 8, 15, 30) if t != latency_ms])
    initialized = rng.random() < 0.75

    def send_options():
        options = WDF_REQUEST_SEND_OPTIONS()
        if initialized:
            WDF_REQUEST_SEND_OPTIONS_INIT(options, WDF_REQUEST_SEND_OPTION_TIMEOUT)
            WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT(options, WDF_REL_TIMEOUT_IN_MS(timeout_ms))
        else:  # the fields set by hand, Size left 0
            options.Flags = WDF_REQUEST_SEND_OPTION_TIMEOUT
            options.Timeout = WDF_REL_TIMEOUT_IN_MS(timeout_ms)
        return options

    outcome = run(
        lambda machine, app: (app.ReadFile(bytearray(16)), machine.clock.seconds),
        EvtIoRead=scenarios.forwarding_read(send_options=send_options),
        latency=latency_ms / 1000,
    )
    got, seconds = outcome.result
    solution = (int(got.Status), round(seconds * 1000))
    how = (
        _("The lesson's forwarding driver sends the read with {init} and {set_timeout}.").format(
            init="WDF_REQUEST_SEND_OPTIONS_INIT(&options, WDF_REQUEST_SEND_OPTION_TIMEOUT)",
            set_timeout="WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT(&options, "
            f"WDF_REL_TIMEOUT_IN_MS({timeout_ms}))",
        )
        if initialized
        else _(
            "The lesson's forwarding driver sends the read with a WDF_REQUEST_SEND_OPTIONS "
            "whose Flags (WDF_REQUEST_SEND_OPTION_TIMEOUT) and Timeout "
            "(WDF_REL_TIMEOUT_IN_MS({timeout})) it sets by hand, without "
            "WDF_REQUEST_SEND_OPTIONS_INIT."
        ).format(timeout=timeout_ms)
    )
    fires = initialized and timeout_ms < latency_ms
    if fires:
        cancelled = _(
            "The timer does cancel the request, but the I/O target reports a request its own "
            "timer cancelled with another status (Try it's send options)."
        )
    elif initialized:
        cancelled = _(
            "That is a send whose timer fired: compare the lower device's time with the timeout."
        )
    else:
        cancelled = _(
            "That is a send whose timer fired. Did WdfRequestSend accept these options at all?"
        )
    diagnoses = {(STATUS_CANCELLED, timeout_ms): cancelled}
    if not initialized:
        diagnoses[(STATUS_IO_TIMEOUT, timeout_ms)] = _(
            "That assumes the options took effect, but the driver filled them in without "
            "WDF_REQUEST_SEND_OPTIONS_INIT. What does WdfRequestSend check first, and what "
            "does the driver's End: path do when the send fails?"
        )
        diagnoses[(STATUS_SUCCESS, latency_ms)] = diagnoses[(STATUS_IO_TIMEOUT, timeout_ms)]
    elif timeout_ms < latency_ms:
        diagnoses[(STATUS_SUCCESS, latency_ms)] = _(
            "That is what the lower device alone would give; compare its time with the "
            "send's timeout. What does the I/O target do when the timer fires first?"
        )
    else:
        diagnoses[(STATUS_IO_TIMEOUT, timeout_ms)] = _(
            "That is a timer that fires; compare the lower device's time with the timeout. "
            "Completing the request stops the timer."
        )
    return Problem(
        label,
        how
        + " "
        + _(
            "The lower device takes {latency} ms. The application reads 16 bytes at time 0. "
            "What status does it get, and at what virtual time (in milliseconds) is its read "
            "completed? Answer (status, milliseconds)."
        ).format(latency=latency_ms),
        Several(STATUS, COUNT),
        solution,
        _(
            "WdfRequestSend checks the options first: a Size other than "
            "sizeof(WDF_REQUEST_SEND_OPTIONS) is refused (FALSE, STATUS_INVALID_PARAMETER) and "
            "EvtIoRead completes the read at once. A timeout shorter than the lower device "
            "cancels the request when it fires, and KMDF turns that STATUS_CANCELLED into "
            "STATUS_IO_TIMEOUT; a longer one never fires."
        ),
        diagnoses,
        hint=_(
            "Who completes the read, and when: the lower device, the send's timer, or the End: "
            "path of EvtIoRead?"
        ),
        outcome=_("ReadFile returned {result} at {milliseconds:g} ms.").format(
            result=got, milliseconds=seconds * 1000
        )
        + "\n"
        + outcome.log(3),
    )


PROBLEMS = {"08-ex1": draw_result, "08-ex2": draw_timing, "08-ex3": draw_send_options}
