"""Lesson 10's check-yourself problems (scenario 4: a new request with new memory).

The driver here is the lesson's scenario-4 driver in small: each application read gets a new
request and a 64-byte buffer of the drawn kind (WdfMemoryCreate, a lookaside list created once
at device add, or the driver's pool behind WdfMemoryCreatePreallocated), formatted with a
WDFMEMORY_OFFSET window of the read's length; the completion routine copies the data out
through the buffer address kept in the request's context and lets everything go.  What
varies is the kind, the verifier, the number and length of the reads, and the order in which
the completion routine lets go.  The rules behind them: an owned buffer lives as long as its
memory object's last reference, and a format holds one until the request is reused,
reformatted or deleted (FxRequestBase::ContextReleaseAndRestore, fxrequestbase.cpp); a
preallocated buffer is the driver's (FxMemoryBufferPreallocated never frees it); a window past
the buffer's end fails the format with STATUS_INTEGER_OVERFLOW
(IFxMemory::ValidateMemoryOffsets, ifxmemory.hpp); Driver Verifier holds lookaside lists at
Depth 0 (ExMinimumLookasideDepth 0; whether for every list or only a verified driver's is not
confirmed, so the problems do not say).
"""

import random

from ...ddi.wdfdevice import WdfDeviceGetIoTarget
from ...ddi.wdfio import WdfIoQueueGetDevice
from ...ddi.wdfiotarget import WdfIoTargetFormatRequestForRead
from ...ddi.wdfmemory import (
    WDFMEMORY_OFFSET,
    WdfMemoryCopyFromBuffer,
)
from ...ddi.wdfobject import (
    WDF_NO_CONTEXT,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
    WdfObjectDelete,
)
from ...ddi.wdfrequest import (
    WDF_NO_SEND_OPTIONS,
    WdfRequestComplete,
    WdfRequestCompleteWithInformation,
    WdfRequestCreate,
    WdfRequestGetStatus,
    WdfRequestRetrieveOutputMemory,
    WdfRequestSend,
    WdfRequestSetCompletionRoutine,
)
from ...ddi.wdm import ExFreePoolWithTag
from ...kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_INTEGER_OVERFLOW,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from ...language import N_, _, listed
from .. import scenarios
from ..answers import COUNT, STATUS, Choice, Several
from ..problem import Problem
from ._forwarding import run

TAG = scenarios.READ_TAG
SHOWN_TAG = "Bub1"  # the tag as a pool dump shows it (its bytes in memory order)
BUFFER_SIZE = scenarios.READ_BUFFER_SIZE
KINDS = scenarios.MEMORY_KINDS
FROM = {
    "WdfMemoryCreate": "WdfMemoryCreate",
    "lookaside": N_("its lookaside list (WdfMemoryCreateFromLookaside)"),
    "preallocated": N_("its own pool (ExAllocatePoolWithTag) behind WdfMemoryCreatePreallocated"),
}
"""Where the driver's buffers come from, after "with buffers from" (a DDI's name alone is
not translated)."""


def _source(kind: str) -> str:
    """Where buffers of *kind* come from, in the learner's language."""
    return FROM[kind] if kind == "WdfMemoryCreate" else _(FROM[kind])


def read_driver(kind: str, order: str = "copy first"):
    """EvtDriverDeviceAdd of the scenario-4 driver with buffers of *kind*; its completion
    routine lets go in *order* (see :data:`ORDERS`)."""

    def ReleaseBuffer(read):
        """Let go of the buffer the way its kind is let go of."""
        WdfObjectDelete(read.Memory)
        if kind == "preallocated":
            ExFreePoolWithTag(read.Buffer, TAG)

    def EvtReadDone(Request, Target, Params, Context):
        read = scenarios.GetReadContext(Request)
        original = read.Original
        status, information = Params.IoStatus.Status, Params.IoStatus.Information
        _status, outMemory = WdfRequestRetrieveOutputMemory(original)  # status stays the lower one
        if order == "copy first":
            WdfMemoryCopyFromBuffer(outMemory, 0, read.Buffer, information)
            ReleaseBuffer(read)
            WdfObjectDelete(Request)
        elif order == "buffer first":
            ReleaseBuffer(read)
            WdfMemoryCopyFromBuffer(outMemory, 0, read.Buffer, information)
            WdfObjectDelete(Request)
        else:  # "request first"
            WdfObjectDelete(read.Memory)
            WdfObjectDelete(Request)
            WdfMemoryCopyFromBuffer(outMemory, 0, read.Buffer, information)
            if kind == "preallocated":
                ExFreePoolWithTag(read.Buffer, TAG)
        WdfRequestCompleteWithInformation(original, status, information)

    def EvtIoRead(Queue, Request, Length):
        device = WdfIoQueueGetDevice(Queue)
        ioTarget = WdfDeviceGetIoTarget(device)
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, scenarios.READ_CONTEXT)
        status, newRequest = WdfRequestCreate(attributes, ioTarget)
        if not NT_SUCCESS(status):
            WdfRequestComplete(Request, status)
            return
        read = scenarios.GetReadContext(newRequest)
        read.Original = Request
        status = scenarios.allocate_read_buffer(kind, device, read)
        if NT_SUCCESS(status):
            window = WDFMEMORY_OFFSET(0, Length)
            status = WdfIoTargetFormatRequestForRead(
                ioTarget, newRequest, read.Memory, window, None
            )
        if NT_SUCCESS(status):
            WdfRequestSetCompletionRoutine(newRequest, EvtReadDone, WDF_NO_CONTEXT)
            if WdfRequestSend(newRequest, ioTarget, WDF_NO_SEND_OPTIONS):
                return
            status = WdfRequestGetStatus(newRequest)
        if read.Memory is not None:
            ReleaseBuffer(read)
        WdfObjectDelete(newRequest)
        WdfRequestComplete(Request, status)

    return scenarios.read_buffer_driver(kind, EvtIoRead)


def _reads(count: int, length: int = 16):
    def application(machine, app):
        return [app.ReadFile(bytearray(length)) for _read in range(count)]

    return application


def draw_pool_traffic(label: str, rng: random.Random) -> Problem:
    """Predict how many pool allocations N reads cost, by buffer kind and Driver Verifier."""
    kind = rng.choice(["WdfMemoryCreate", "lookaside", "lookaside"])
    verifier = rng.random() < 0.5
    reads = rng.randint(3, 8)
    outcome = run(_reads(reads), read_driver(kind), verifier=verifier)
    tags = outcome.machine.snapshot().tags
    allocations = sum(row.allocs for row in tags if row.tag == SHOWN_TAG)
    where = (
        _("WdfMemoryCreate (a new memory object and buffer per read)")
        if kind == "WdfMemoryCreate"
        else _("WdfMemoryCreateFromLookaside, from the one lookaside list it created at device add")
    )
    diagnoses = {
        0: _("The first read always costs an allocation: a new lookaside list holds no buffers.")
        if kind == "lookaside"
        else _("Every WdfMemoryCreate allocates its buffer from pool: the first read costs one."),
    }
    if kind == "WdfMemoryCreate":
        diagnoses[1] = _(
            "One allocation in all means something kept the first read's buffer for the "
            "next. Does WdfMemoryCreate keep anything once the driver deletes its memory?"
        )
    elif verifier:
        diagnoses[1] = _(
            "One allocation in all means the list kept the first read's buffer for the "
            "next. Driver Verifier is on: what does it do to a lookaside list's Depth "
            "(lesson 02)?"
        )
    else:
        diagnoses[reads] = _(
            "One allocation per read is what a source that keeps nothing costs. A lookaside "
            "list with Driver Verifier off: what does it do with the buffer a read gives back "
            "(lesson 02)?"
        )
    return Problem(
        label,
        " ".join(
            [
                _("Predict first."),
                _("Driver Verifier is on.") if verifier else _("Driver Verifier is off."),
                _(
                    "The lesson's scenario-4 driver gets each read's 64-byte buffer from "
                    "{where}, tag '{tag}'."
                ).format(where=where, tag=TAG),
                _(
                    "The application makes {reads} reads of 16 bytes, one after the other. How "
                    "many pool allocations tagged '{tag}' do they cost (what !poolused counts "
                    "as Allocs)?"
                ).format(reads=reads, tag=TAG),
            ]
        ),
        COUNT,
        allocations,
        _(
            "WdfMemoryCreate allocates a block per memory object. A lookaside list allocates "
            "only when it has no free block: with one read at a time, the first read's buffer "
            "comes back to the list and serves every later read — unless Driver Verifier holds "
            "the list at Depth 0, when every allocation and free goes to pool."
        ),
        diagnoses,
        hint=_("Does anything keep the first read's buffer for the second?"),
        prediction=True,
        outcome=_("!poolused, tag {tag}: {rows}").format(
            tag=SHOWN_TAG,
            rows=listed(
                _("Allocs {allocs}, Frees {frees}, in use {size} bytes").format(
                    allocs=row.allocs, frees=row.frees, size=row.bytes_in_use
                )
                for row in tags
                if row.tag == SHOWN_TAG
            ),
        ),
    )


def draw_read_length(label: str, rng: random.Random) -> Problem:
    """What the application gets when its read is shorter, as long, or longer than the
    driver's own buffer, which the format's window is laid over."""
    kind = rng.choice(KINDS)
    length = rng.choice([65, 16, 63, 64, 100, 4096])
    outcome = run(_reads(1, length), read_driver(kind))
    got = outcome.result[0]
    solution = (int(got.Status), got.Information)
    diagnoses = {}
    if length > BUFFER_SIZE:
        diagnoses[(STATUS_SUCCESS, BUFFER_SIZE)] = _(
            "The driver does not clip the window to its buffer: it asks for "
            "WDFMEMORY_OFFSET(0, {length}) on a {size}-byte buffer. What does a format do with "
            "a window that runs past the end of the memory (lesson 01)?"
        ).format(length=length, size=BUFFER_SIZE)
        diagnoses[(STATUS_SUCCESS, length)] = diagnoses[(STATUS_SUCCESS, BUFFER_SIZE)]
        diagnoses[(STATUS_BUFFER_TOO_SMALL, 0)] = _(
            "The format does refuse it, but not as a small buffer: a window that ends past the "
            "memory's end fails IFxMemory's offset check. Lesson 01 shows its status."
        )
        diagnoses[(STATUS_INVALID_PARAMETER, 0)] = _(
            "The format does refuse it, but not as a bad parameter: the window itself is "
            "well formed, it only ends past the memory's end. Lesson 01 runs such a window "
            "and shows its status."
        )
    else:
        diagnoses[(STATUS_INTEGER_OVERFLOW, 0)] = _(
            "That is the refusal of a window past the end; WDFMEMORY_OFFSET(0, {length}) ends "
            "inside the {size}-byte buffer (at its end at most)."
        ).format(length=length, size=BUFFER_SIZE)
        diagnoses[(STATUS_SUCCESS, BUFFER_SIZE)] = _(
            "The buffer is 64 bytes, but the format's window, WDFMEMORY_OFFSET(0, Length), "
            "shows the lower device only the bytes the application asked for."
        )
    return Problem(
        label,
        " ".join(
            [
                _(
                    "The lesson's scenario-4 driver, with buffers from {source} ({size} bytes "
                    "each), formats its new request with WDFMEMORY_OFFSET(0, Length), Length "
                    "being the application's read length."
                ).format(source=_source(kind), size=BUFFER_SIZE),
                (
                    _("The application reads {length} bytes.")
                    if length > 1
                    else _("The application reads {length} byte.")
                ).format(length=length),
                _("What status and what Information does it get? Answer (status, information)."),
            ]
        ),
        Several(STATUS, COUNT),
        solution,
        _(
            "The window decides what the lower device sees: Length bytes from offset 0. A "
            "window that ends past the buffer's end fails the format with "
            "STATUS_INTEGER_OVERFLOW (IFxMemory's offset check), and EvtIoRead completes the "
            "read with it."
        ),
        diagnoses,
        hint=_(
            "Compare the window with the buffer the driver owns; lesson 01 shows what a format "
            "does with a window past the memory's end."
        ),
        outcome=_("ReadFile returned {result}.").format(result=got) + "\n" + outcome.log(3),
    )


ORDERS = {
    "copy first": N_(
        "copies the data into the application's request, then lets go of the buffer, then "
        "deletes the request"
    ),
    "buffer first": N_(
        "first lets go of the buffer (WdfObjectDelete of the memory object; for the "
        "preallocated kind also ExFreePoolWithTag of the buffer), then copies the data out "
        "through the buffer address it kept, then deletes the request"
    ),
    "request first": N_(
        "first deletes the memory object and the request (WdfObjectDelete of each), then "
        "copies the data out through the buffer address it kept (then, for the preallocated "
        "kind, frees the buffer)"
    ),
}
"""What the completion routine does, in order, after "Its completion routine"."""
OUTCOMES = Choice(
    {
        "safe": ("works", "fine", "ok", "no crash", "安全", "不会蓝屏"),
        "bug check": ("crash", "crashes", "bugcheck", "blue screen", "蓝屏", "错误检查"),
    }
)
"""The answer to "safe or bug check?", in the words a learner might use (in English or
Chinese)."""


def draw_release_order(label: str, rng: random.Random) -> Problem:
    """Which order of letting go in the completion routine is safe, for a buffer kind."""
    kind = rng.choice(KINDS)
    order = rng.choice(
        ["buffer first", "request first", "buffer first", "request first", "copy first"]
    )
    outcome = run(_reads(1), read_driver(kind, order))
    solution = "bug check" if outcome.bugcheck is not None else "safe"
    owned = kind != "preallocated"
    if solution == "safe":
        why = (
            _(
                "Deleting the memory object first is not the whole story: at the copy, what "
                "else still held a reference on it, and how long does an owned buffer live?"
            )
            if owned and order == "buffer first"
            else _(
                "What did the driver free before the copy: the buffer itself, or only the "
                "objects around it? Who owns a preallocated buffer?"
            )
            if order == "request first"
            else _("Look at the order: what had the driver let go of when the copy ran?")
        )
        diagnoses = {"bug check": why}
    else:
        why = (
            _(
                "Follow the references: once the driver has deleted the request, what still "
                "holds the memory object, and what happens to an owned buffer when its "
                "object's last reference goes?"
            )
            if owned
            else _(
                "Does any reference keep pool the driver allocated itself? Look at what "
                "ExFreePoolWithTag does, and when the copy runs after it."
            )
        )
        diagnoses = {"safe": why}
    return Problem(
        label,
        " ".join(
            [
                _(
                    "The lesson's scenario-4 driver, with buffers from {source}, Driver "
                    "Verifier on."
                ).format(source=_source(kind)),
                _("Its completion routine {order}.").format(order=_(ORDERS[order])),
                _(
                    "The application reads 16 bytes. Is that safe, or does the machine stop "
                    "with a bug check? Answer 'safe' or 'bug check'."
                ),
            ]
        ),
        OUTCOMES,
        solution,
        _(
            "An owned buffer (WdfMemoryCreate, a lookaside list) lives while its memory object "
            "has a reference, and the formatted request holds one until it is deleted; a "
            "preallocated buffer lives until the driver frees it, whatever happens to the "
            "object and the request."
        ),
        diagnoses,
        hint=_("What keeps the buffer alive at the moment of the copy?"),
        outcome=outcome.bugcheck.blue_screen()
        if outcome.bugcheck is not None
        else _("ReadFile returned {result}.").format(result=outcome.result[0]),
    )


PROBLEMS = {
    "10-ex1": draw_pool_traffic,
    "10-ex2": draw_read_length,
    "10-ex3": draw_release_order,
}
