"""The five buffer life-cycle scenarios, as small drivers the lessons and labs run.

Each ``scenarioN(**choices)`` loads a driver on a fresh machine with the timeline on, lets the
application send it one request (scenario 5: several), and returns a :class:`Run`: the machine
(its timeline, log and bug check), what the application got back, and the bytes it read.
A bug check is caught and kept in the run, never raised; so is an exception that escaped the
driver's code and stopped the machine (a Python error in a learner's routine).

Two kinds of choice.  The **setting** choices change the world around the driver: the
buffering method its device add asks for, a lower device that fails, how many reads the
application sends and whether they overlap, a read or an IOCTL.  The **driver moves** change
the package's own driver — the right line by default, a wrong one on purpose (leave out
``WdfRequestReuse``, free a buffer early…); :data:`DRIVER_MOVES` lists them.

The driver's routines can be passed in, by their KMDF names and with their KMDF signatures:
``scenario2(EvtIoRead=EvtIoRead, RequestCompletionRoutine=RequestCompletionRoutine)`` runs
the routines a learner wrote in a notebook cell, in the place of the package's copies (which
stay the reference the tests use).  A scenario takes the routines its harness registers (the
queue's EvtIo… callbacks, or a whole EvtDriverDeviceAdd) and the completion routine the
package's EvtIo… sets; a routine of yours finds the others (its completion routine, its
helpers) by name, as C code does.  :func:`routine_names` says which a scenario takes.

Why the driver moves do not reach into your routines: a move is a line of the package's
driver, and in your routines the lines are yours.  To leave out ``WdfRequestReuse`` in your
driver, delete the line and run again; that is the edit the lessons ask for, and it shows in
the code you read beside its C.  (A settings object your routines would read, or switches
patched into your code, would put lines in your driver that no C driver has.)  So a move
other than its default together with any routine of yours is a ValueError, while the
settings apply to any driver.  The labs follow the same rule: they run "your driver" (the
routines from your cells) with the setting switches, or the package's copy with its moves.
"""

import inspect
from dataclasses import dataclass

from ..ddi.wdfdevice import (
    WdfDeviceCreate,
    WdfDeviceGetIoTarget,
    WdfDeviceInitSetIoType,
    WdfDeviceIoBuffered,
    WdfDeviceIoDirect,
)
from ..ddi.wdfio import (
    WDF_IO_QUEUE_CONFIG,
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
    WdfIoQueueCreate,
    WdfIoQueueDispatchParallel,
    WdfIoQueueDispatchSequential,
    WdfIoQueueGetDevice,
)
from ..ddi.wdfiotarget import (
    WdfIoTargetFormatRequestForIoctl,
    WdfIoTargetFormatRequestForRead,
)
from ..ddi.wdflookaside import WdfLookasideListCreate, WdfMemoryCreateFromLookaside
from ..ddi.wdfmemory import (
    WDFMEMORY_OFFSET,
    WdfMemoryCopyFromBuffer,
    WdfMemoryCreate,
    WdfMemoryCreatePreallocated,
    WdfMemoryGetBuffer,
)
from ..ddi.wdfobject import (
    WDF_DECLARE_CONTEXT_TYPE_WITH_NAME,
    WDF_NO_CONTEXT,
    WDF_NO_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
    WdfObjectDelete,
    WdfObjectDereference,
    WdfObjectReference,
)
from ..ddi.wdfrequest import (
    WDF_NO_SEND_OPTIONS,
    WDF_REQUEST_REUSE_NO_FLAGS,
    WDF_REQUEST_REUSE_PARAMS,
    WDF_REQUEST_REUSE_PARAMS_INIT,
    WdfRequestComplete,
    WdfRequestCompleteWithInformation,
    WdfRequestCreate,
    WdfRequestGetStatus,
    WdfRequestRetrieveInputMemory,
    WdfRequestRetrieveOutputMemory,
    WdfRequestReuse,
    WdfRequestSend,
    WdfRequestSetCompletionRoutine,
)
from ..ddi.wdm import (
    CTL_CODE,
    FILE_ANY_ACCESS,
    FILE_DEVICE_UNKNOWN,
    METHOD_BUFFERED,
    ExAllocatePoolWithTag,
    ExFreePoolWithTag,
)
from ..kernel.bugcheck import BugCheck
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_IO_DEVICE_ERROR,
    STATUS_SUCCESS,
)
from ..kernel.pool import NonPagedPoolNx
from ..kernel.text import fill
from ..language import _
from ..sim.machine import Machine

IOCTL_TOASTER_GET_DATA = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
READ_LENGTH = 16
BUFFERINGS = {"buffered": WdfDeviceIoBuffered, "direct": WdfDeviceIoDirect}


@dataclass
class Run:
    """One scenario run: the machine, the application's result and bytes, any bug check."""

    machine: Machine
    io_status: object = None
    data: bytes = b""
    bugcheck: BugCheck | None = None
    error: str = ""  # an exception that stopped the machine, or a device add that failed

    @property
    def outcome(self) -> str:
        """One sentence: how the run ended (wrapped, as everything printed, at 100 columns)."""
        if self.bugcheck is not None:
            return fill(
                _("bug check {summary} in {ddi}").format(
                    summary=self.bugcheck.summary(), ddi=self.bugcheck.ddi
                )
            )
        if self.error:
            return self.error
        s = self.io_status
        return _("the application got {status} with Information {information}").format(
            status=s.Status, information=s.Information
        )


def queue_driver(io_type: int, callbacks: dict, setup=None, parallel: bool = False):
    """EvtDriverDeviceAdd for a device with *io_type* and a default queue with *callbacks*
    (``{"EvtIoRead": ..., ...}``); *setup(device)*, if given, runs once the device exists.

    A queue needs at least one EvtIo… callback (KMDF refuses one without:
    STATUS_WDF_NO_CALLBACK), so with none given it gets :func:`EvtIoDefaultRefuse`."""
    if not any(callbacks.values()):
        callbacks = {"EvtIoDefault": EvtIoDefaultRefuse}

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        WdfDeviceInitSetIoType(DeviceInit, io_type)
        status, device = WdfDeviceCreate(DeviceInit, WDF_NO_OBJECT_ATTRIBUTES)
        if not NT_SUCCESS(status):
            return status
        if setup is not None:
            setup(device)
        config = WDF_IO_QUEUE_CONFIG()
        dispatch = WdfIoQueueDispatchParallel if parallel else WdfIoQueueDispatchSequential
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, dispatch)
        for name, callback in callbacks.items():
            setattr(config, name, callback)
        status, queue = WdfIoQueueCreate(device, config, WDF_NO_OBJECT_ATTRIBUTES)
        return status

    return EvtDriverDeviceAdd


def EvtIoDefaultRefuse(Queue, Request):
    """The callback of a harness queue given none: fail every request, as a queue does for a
    request type it has no callback for."""
    WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST)


def _device_add(io_type: int, read=None, ioctl=None, parallel: bool = False):
    """EvtDriverDeviceAdd of a device with *io_type* and a default queue with these callbacks."""
    return queue_driver(
        io_type, {"EvtIoRead": read, "EvtIoDeviceControl": ioctl}, parallel=parallel
    )


def _run(
    EvtDriverDeviceAdd, application, buffer: bytearray | None = None, lower_fails: bool = False
) -> Run:
    """Boot a machine, add the device, let *application(machine)* make its calls and return its
    last result; keep a bug check, or an exception that escaped the driver and stopped it.

    *buffer* is the application's buffer whose bytes the run reports; *lower_fails* makes the
    lower device fail every request with STATUS_IO_DEVICE_ERROR.
    """
    run = Run(Machine("Toaster", timeline=True))
    machine = run.machine
    try:
        with machine:
            status = machine.add_device(EvtDriverDeviceAdd)
            if not NT_SUCCESS(status):
                run.error = _(
                    "EvtDriverDeviceAdd returned {status}: no device to send I/O to"
                ).format(status=status)
                return run
            if lower_fails:
                machine.lower_device.fail_status = STATUS_IO_DEVICE_ERROR
            run.io_status = application(machine)
    except BugCheck as bugcheck:
        run.bugcheck = bugcheck
    except Exception as error:
        if not machine.stopped_by:  # not the driver's: a fault of the harness, let it show
            raise
        run.error = _("{stopped_by} ({error}); the machine stopped").format(
            stopped_by=machine.stopped_by, error=error
        )
    run.data = b"" if buffer is None else bytes(buffer)
    return run


def _read(EvtDriverDeviceAdd, steps=None, lower_fails: bool = False) -> Run:
    """The application reads READ_LENGTH bytes; then *steps* (driver code after the fact) run."""
    buffer = bytearray(READ_LENGTH)

    def application(machine):
        result = machine.application().ReadFile(buffer)
        if steps is not None:
            steps()
        return result

    return _run(EvtDriverDeviceAdd, application, buffer, lower_fails)


DRIVER_MOVES = {
    "life_cycle": ("buffer", "hold_reference"),
    "scenario1": ("after_complete",),
    "scenario2": ("completion_routine",),
    "scenario3": ("reuse_first",),
    "scenario4": ("kind", "free_early"),
    "scenario5": ("reuse",),
}
"""For each scenario, the choices that are lines of the package's driver (the rest are settings)."""


def routine_names(scenario) -> tuple[str, ...]:
    """The routines *scenario* takes in the place of the package's: its keyword-only
    parameters, each named after the KMDF routine it is."""
    parameters = inspect.signature(scenario).parameters.values()
    return tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)


def _check_routines(scenario, choices: dict, routines: dict) -> None:
    """Refuse a routine that is not callable, and a driver move other than its default when any
    routine is yours: the move is a line of the package's copy, and your routines name each
    other (your EvtIoRead sets your completion routine), so it would silently not happen."""
    name = scenario.__name__
    for routine_name, routine in routines.items():
        if routine is not None and not callable(routine):
            kind = type(routine).__name__
            raise TypeError(f"{name}: {routine_name} must be a function, not {kind}")
    if not any(routine is not None for routine in routines.values()):
        return
    defaults = {p.name: p.default for p in inspect.signature(scenario).parameters.values()}
    for move in DRIVER_MOVES[name]:
        if choices[move] != defaults[move]:
            raise ValueError(
                f"{name}: {move}={choices[move]!r} changes a line of the package's driver, and "
                "you passed routines of your own: make that change in your code instead"
            )


# -- lesson 06: a request's memory and the driver's own -----------------------------------------
BUFFER_SOURCES = ("the request's", "WdfMemoryCreate")


def life_cycle(
    buffer: str = "the request's", hold_reference: bool = False, *, EvtIoRead=None
) -> Run:
    """The driver answers a read from the request's memory or from its own (lesson 06's lab).

    *buffer* "the request's": it copies the data straight into the request's output memory, a
    memory object built into the request over the I/O manager's buffer.  "WdfMemoryCreate": it
    fills a memory object of its own, which owns a new pool buffer, copies that into the
    request and deletes the object.

    *hold_reference* takes a reference on that memory object (``WdfObjectReference``) and drops
    it only after completing the request.  The driver's own object then outlives
    ``WdfObjectDelete`` until the last reference goes, and its buffer with it.  On the
    request's memory the reference counts on the request, and completing a request that still
    has one is a bug check (lesson 09).

    *EvtIoRead*: your own, in the place of the package's (then *buffer* and *hold_reference*
    are in your code).
    """
    if buffer not in BUFFER_SOURCES:
        raise ValueError(f"life_cycle: buffer must be one of {BUFFER_SOURCES}")
    yours = {"EvtIoRead": EvtIoRead}
    _check_routines(life_cycle, locals(), yours)

    def EvtIoRead(Queue, Request, Length):
        status, outMemory = WdfRequestRetrieveOutputMemory(Request)
        if NT_SUCCESS(status) and buffer == "WdfMemoryCreate":
            status, memory, _buffer = WdfMemoryCreate(
                WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, "1buB", Length
            )
        else:
            memory = outMemory
        if not NT_SUCCESS(status):
            WdfRequestComplete(Request, status)
            return
        if hold_reference:
            WdfObjectReference(memory)
        data = bytes(range(0xA0, 0xA0 + Length))  # what the device "read"
        status = WdfMemoryCopyFromBuffer(memory, 0, data, Length)
        if memory != outMemory:  # the driver's own: copy it over, then delete it
            local, _length = WdfMemoryGetBuffer(memory)
            status = WdfMemoryCopyFromBuffer(outMemory, 0, local, Length)
            WdfObjectDelete(memory)
        WdfRequestCompleteWithInformation(Request, status, Length if NT_SUCCESS(status) else 0)
        if hold_reference:
            WdfObjectDereference(memory)

    return _read(_device_add(WdfDeviceIoBuffered, read=yours["EvtIoRead"] or EvtIoRead))


# -- scenario 1: receive, handle, complete -----------------------------------------------------
def scenario1(
    buffering: str = "buffered", after_complete: str = "nothing", *, EvtIoRead=None
) -> Run:
    """The driver fills the read itself and completes it.

    *buffering*: the device's "buffered" or "direct" I/O.  *after_complete* (a move of the
    package's EvtIoRead): "nothing" (right), "memory handle" (call WdfMemoryGetBuffer on the
    request's memory afterwards) or "buffer pointer" (write through the saved pointer).
    *EvtIoRead*: your own, in the place of the package's.
    """
    if buffering not in BUFFERINGS:
        raise ValueError(f"scenario1: buffering must be one of {tuple(BUFFERINGS)}")
    yours = {"EvtIoRead": EvtIoRead}
    _check_routines(scenario1, locals(), yours)
    kept = {}

    def EvtIoRead(Queue, Request, Length):
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        if not NT_SUCCESS(status):
            WdfRequestComplete(Request, status)
            return
        data = bytes(range(0xA0, 0xA0 + Length))  # what the device "read"
        status = WdfMemoryCopyFromBuffer(memory, 0, data, Length)
        kept["memory"], kept["buffer"] = memory, WdfMemoryGetBuffer(memory)[0]
        WdfRequestCompleteWithInformation(Request, status, Length if NT_SUCCESS(status) else 0)

    def later():
        if after_complete == "memory handle":
            WdfMemoryGetBuffer(kept["memory"])
        elif after_complete == "buffer pointer":
            kept["buffer"].write(b"late")

    return _read(_device_add(BUFFERINGS[buffering], read=yours["EvtIoRead"] or EvtIoRead), later)


# -- scenario 2: forward to the I/O target -----------------------------------------------------
def RequestCompletionRoutine(Request, Target, CompletionParams, Context):
    """The documentation's routine: complete the request with the lower device's status."""
    WdfRequestComplete(Request, CompletionParams.IoStatus.Status)


DocumentationCompletionRoutine = RequestCompletionRoutine  # (scenario2's parameter hides it)


def forwarding_read(completion=RequestCompletionRoutine, send_options=None):
    """The documentation's EvtIoRead: retrieve the output memory, format the request for a
    read from the device's default I/O target, set *completion* as its completion routine
    (None: none is set), send it with *send_options()* (None: WDF_NO_SEND_OPTIONS), and
    complete it at once, with the status, when any step fails."""

    def EvtIoRead(Queue, Request, Length):
        ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        if NT_SUCCESS(status):
            status = WdfIoTargetFormatRequestForRead(ioTarget, Request, memory, None, None)
        if NT_SUCCESS(status):
            if completion is not None:
                WdfRequestSetCompletionRoutine(Request, completion, WDF_NO_CONTEXT)
            options = WDF_NO_SEND_OPTIONS if send_options is None else send_options()
            if WdfRequestSend(Request, ioTarget, options):
                return
            status = WdfRequestGetStatus(Request)
        WdfRequestComplete(Request, status)  # End:

    return EvtIoRead


def scenario2(
    completion_routine: bool = True,
    lower_fails: bool = False,
    *,
    EvtIoRead=None,
    RequestCompletionRoutine=None,
) -> Run:
    """The documentation's EvtIoRead: retrieve, format, set the routine, send, complete there.

    *completion_routine* False leaves out WdfRequestSetCompletionRoutine (a move of the
    package's EvtIoRead); *lower_fails* makes the lower device fail the read.  *EvtIoRead*,
    *RequestCompletionRoutine*: your own (your EvtIoRead names its completion routine itself;
    the package's EvtIoRead sets the *RequestCompletionRoutine* given, else the package's).
    """
    yours = {"EvtIoRead": EvtIoRead, "RequestCompletionRoutine": RequestCompletionRoutine}
    _check_routines(scenario2, locals(), yours)
    completion = RequestCompletionRoutine or DocumentationCompletionRoutine

    EvtIoRead = forwarding_read(completion if completion_routine else None)
    driver = _device_add(WdfDeviceIoBuffered, read=yours["EvtIoRead"] or EvtIoRead)
    return _read(driver, lower_fails=lower_fails)


# -- scenario 3: a new request that uses the original request's memory -------------------------
def scenario3(
    reuse_first: bool = True,
    ioctl: bool = False,
    *,
    EvtIoRead=None,
    EvtIoDeviceControl=None,
    EvtDriverCreatedRequestCompletion=None,
) -> Run:
    """The driver sends its own request with the original's memory, then completes the original.

    *reuse_first* False leaves out WdfRequestReuse in the completion routine: the target's
    reference on the original's memory is still held (two with *ioctl*, which formats both
    the input and the output memory).  *ioctl*: the application sends an IOCTL instead of a
    read.  The three routines: your own, in the place of the package's (the package's EvtIo…
    set the *EvtDriverCreatedRequestCompletion* given, else the package's).
    """
    yours = {
        "EvtIoRead": EvtIoRead,
        "EvtIoDeviceControl": EvtIoDeviceControl,
        "EvtDriverCreatedRequestCompletion": EvtDriverCreatedRequestCompletion,
    }
    _check_routines(scenario3, locals(), yours)
    created = {}

    def EvtDriverCreatedRequestCompletion(Request, Target, Params, Context):
        original = Context
        status, information = Params.IoStatus.Status, Params.IoStatus.Information
        if reuse_first:  # WdfRequestReuse zeroes Params too: they were saved first
            params = WDF_REQUEST_REUSE_PARAMS()
            WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS)
            WdfRequestReuse(Request, params)
        WdfRequestCompleteWithInformation(original, status, information)

    def send_copy(Queue, Request, make_format):
        ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        if "request" not in created:
            status, created["request"] = WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, ioTarget)
        newRequest = created["request"]
        status = make_format(ioTarget, newRequest)
        if NT_SUCCESS(status):
            WdfRequestSetCompletionRoutine(newRequest, completion, Request)
            if WdfRequestSend(newRequest, ioTarget, WDF_NO_SEND_OPTIONS):
                return
            status = WdfRequestGetStatus(newRequest)
        WdfRequestComplete(Request, status)

    completion = yours["EvtDriverCreatedRequestCompletion"] or EvtDriverCreatedRequestCompletion

    def EvtIoRead(Queue, Request, Length):
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        if not NT_SUCCESS(status):
            WdfRequestComplete(Request, status)
            return
        send_copy(
            Queue,
            Request,
            lambda target, new: WdfIoTargetFormatRequestForRead(target, new, memory, None, None),
        )

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
        status, inMemory = WdfRequestRetrieveInputMemory(Request)
        if NT_SUCCESS(status):
            status, outMemory = WdfRequestRetrieveOutputMemory(Request)
        if not NT_SUCCESS(status):
            WdfRequestComplete(Request, status)
            return
        send_copy(
            Queue,
            Request,
            lambda target, new: WdfIoTargetFormatRequestForIoctl(
                target, new, IoControlCode, inMemory, None, outMemory, None
            ),
        )

    driver = _device_add(
        WdfDeviceIoBuffered,
        read=yours["EvtIoRead"] or EvtIoRead,
        ioctl=yours["EvtIoDeviceControl"] or EvtIoDeviceControl,
    )
    if not ioctl:
        return _read(driver)
    out = bytearray(READ_LENGTH)

    def application(machine):
        return machine.application().DeviceIoControl(IOCTL_TOASTER_GET_DATA, b"query", out)

    return _run(driver, application, out)


# -- scenario 4: a new request with new memory -------------------------------------------------
MEMORY_KINDS = ("WdfMemoryCreate", "lookaside", "preallocated")
READ_BUFFER_SIZE = 64  # the driver's read buffers: room for any read up to 64 bytes
READ_TAG = "1buB"  # the tag of the driver's read buffers (pool views: 'Bub1')


class DEVICE_CONTEXT:
    """Scenario 4's device context: the lookaside list its read buffers come from."""

    ReadLookaside = None


class READ_CONTEXT:
    """The context of each request scenario 4 creates: the read it serves and its buffer."""

    Original = None  # the application's request, completed when the lower read is done
    Memory = None  # the memory object formatted into the request (None once let go)
    Buffer = None  # the buffer's address, kept to copy the data out in the completion routine


GetDeviceContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, "GetDeviceContext")
GetReadContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(READ_CONTEXT, "GetReadContext")


def read_buffer_driver(kind: str, EvtIoRead):
    """EvtDriverDeviceAdd of scenario 4's device: buffered I/O with a :class:`DEVICE_CONTEXT`;
    for *kind* "lookaside", the list its read buffers come from, created once here and
    parented to the device (so it goes with it); a sequential default queue with
    *EvtIoRead*."""

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoBuffered)
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, DEVICE_CONTEXT)
        status, device = WdfDeviceCreate(DeviceInit, attributes)
        if not NT_SUCCESS(status):
            return status
        if kind == "lookaside":  # one list for the device's life, not one per read
            WDF_OBJECT_ATTRIBUTES_INIT(attributes)
            attributes.ParentObject = device
            status, lookaside = WdfLookasideListCreate(
                attributes, READ_BUFFER_SIZE, NonPagedPoolNx, WDF_NO_OBJECT_ATTRIBUTES, READ_TAG
            )
            if not NT_SUCCESS(status):
                return status
            GetDeviceContext(device).ReadLookaside = lookaside
        config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchSequential)
        config.EvtIoRead = EvtIoRead
        status, queue = WdfIoQueueCreate(device, config, WDF_NO_OBJECT_ATTRIBUTES)
        return status

    return EvtDriverDeviceAdd


def allocate_read_buffer(kind: str, Device, read: READ_CONTEXT):
    """Give *read* a READ_BUFFER_SIZE buffer and a memory object for it, from *kind*; the
    status (STATUS_INSUFFICIENT_RESOURCES when the driver's own pool allocation fails)."""
    if kind == "WdfMemoryCreate":
        status, read.Memory, read.Buffer = WdfMemoryCreate(
            WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, READ_TAG, READ_BUFFER_SIZE
        )
        return status
    if kind == "lookaside":
        lookaside = GetDeviceContext(Device).ReadLookaside
        status, read.Memory = WdfMemoryCreateFromLookaside(lookaside)
        if NT_SUCCESS(status):
            read.Buffer, _length = WdfMemoryGetBuffer(read.Memory)
        return status
    read.Buffer = ExAllocatePoolWithTag(NonPagedPoolNx, READ_BUFFER_SIZE, READ_TAG)
    if read.Buffer is None:
        return STATUS_INSUFFICIENT_RESOURCES
    status, read.Memory = WdfMemoryCreatePreallocated(
        WDF_NO_OBJECT_ATTRIBUTES, read.Buffer, READ_BUFFER_SIZE
    )
    return status


def scenario4(
    kind: str = "WdfMemoryCreate", free_early: bool = False, *, EvtDriverDeviceAdd=None
) -> Run:
    """The driver reads from the lower device into a buffer of its own, asynchronously.

    *kind* is where the buffer comes from: ``WdfMemoryCreate``, the lookaside list the driver
    created once at device add (parented to the device, so it goes with it), or the driver's
    own pool behind ``WdfMemoryCreatePreallocated``.  Each read gets a new request; its context
    keeps the original request, the memory object and the buffer's address.

    *free_early* lets go of the buffer as soon as the request is formatted, before it is sent:
    ``WdfObjectDelete`` on the memory object for the first two kinds (safe: the format's
    reference keeps the buffer alive, so the address the driver kept stays valid until the
    request is deleted), ``ExFreePoolWithTag`` on the preallocated buffer (the bug: the memory
    object and the kept address now point at freed pool, and the lower device writes there).

    *EvtDriverDeviceAdd*: your whole driver, in the place of the package's (it registers its
    EvtIoRead, which sets its completion routine; *kind* and *free_early* are then your code).
    """
    if kind not in MEMORY_KINDS:
        raise ValueError(f"scenario4: kind must be one of {MEMORY_KINDS}")
    yours = {"EvtDriverDeviceAdd": EvtDriverDeviceAdd}
    _check_routines(scenario4, locals(), yours)

    def DeleteRead(Request, read):
        """Delete the created request and what its *read* holds; return the original request."""
        original = read.Original
        if read.Memory is not None:
            WdfObjectDelete(read.Memory)
        if kind == "preallocated" and read.Buffer is not None:
            ExFreePoolWithTag(read.Buffer, READ_TAG)  # the driver's pool: the driver frees it
        WdfObjectDelete(Request)  # drops the format's reference: an owned buffer is freed
        return original

    def EvtReadDone(Request, Target, Params, Context):
        read = GetReadContext(Request)
        status, information = Params.IoStatus.Status, Params.IoStatus.Information
        if NT_SUCCESS(status) and information > 0:
            status, outMemory = WdfRequestRetrieveOutputMemory(read.Original)
            if NT_SUCCESS(status):
                status = WdfMemoryCopyFromBuffer(outMemory, 0, read.Buffer, information)
        original = DeleteRead(Request, read)
        WdfRequestCompleteWithInformation(
            original, status, information if NT_SUCCESS(status) else 0
        )

    def EvtIoRead(Queue, Request, Length):
        device = WdfIoQueueGetDevice(Queue)
        ioTarget = WdfDeviceGetIoTarget(device)
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, READ_CONTEXT)
        status, newRequest = WdfRequestCreate(attributes, ioTarget)
        if not NT_SUCCESS(status):
            WdfRequestComplete(Request, status)
            return
        read = GetReadContext(newRequest)
        read.Original = Request
        status = allocate_read_buffer(kind, device, read)
        if NT_SUCCESS(status):
            window = WDFMEMORY_OFFSET(0, Length)  # read no more than the application asked for
            status = WdfIoTargetFormatRequestForRead(
                ioTarget, newRequest, read.Memory, window, None
            )
        if NT_SUCCESS(status):
            if free_early and kind == "preallocated":
                ExFreePoolWithTag(read.Buffer, READ_TAG)  # the bug: the memory object points at it
            elif free_early:
                WdfObjectDelete(read.Memory)  # the format's reference keeps the buffer
                read.Memory = None
            WdfRequestSetCompletionRoutine(newRequest, EvtReadDone, WDF_NO_CONTEXT)
            if WdfRequestSend(newRequest, ioTarget, WDF_NO_SEND_OPTIONS):
                return
            status = WdfRequestGetStatus(newRequest)
        WdfRequestComplete(DeleteRead(newRequest, read), status)

    return _read(yours["EvtDriverDeviceAdd"] or read_buffer_driver(kind, EvtIoRead))


# -- scenario 5: one driver-created request, reused ---------------------------------------------
def scenario5(
    sends: int = 4,
    reuse: bool = True,
    overlap: bool = False,
    *,
    EvtDriverDeviceAdd=None,
    EvtIoRead=None,
) -> Run:
    """The driver creates one request at start-up and sends it once per application read.

    *sends*: how many reads the application sends.  *reuse* False skips WdfRequestReuse before
    each new send (a move of the package's EvtIoRead); *overlap* lets the application's reads
    arrive together, overlapped (on the package's driver, a parallel queue), so the second send
    finds the request still outstanding.  *EvtDriverDeviceAdd*: your whole driver (its queue
    decides whether reads can overlap in it); *EvtIoRead*: yours on the package's device.
    """
    yours = {"EvtDriverDeviceAdd": EvtDriverDeviceAdd, "EvtIoRead": EvtIoRead}
    _check_routines(scenario5, locals(), yours)
    shared = {}

    def EvtReusedDone(Request, Target, Params, Context):
        WdfRequestCompleteWithInformation(Context, Params.IoStatus.Status, 0)

    def EvtIoRead(Queue, Request, Length):
        ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        if "request" not in shared:
            status, shared["request"] = WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, ioTarget)
            status, shared["memory"], _buffer = WdfMemoryCreate(
                WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, READ_TAG, READ_BUFFER_SIZE
            )
        reused = shared["request"]
        if reuse:
            params = WDF_REQUEST_REUSE_PARAMS()
            WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS)
            WdfRequestReuse(reused, params)
        WdfIoTargetFormatRequestForRead(ioTarget, reused, shared["memory"], None, None)
        WdfRequestSetCompletionRoutine(reused, EvtReusedDone, Request)
        if not WdfRequestSend(reused, ioTarget, WDF_NO_SEND_OPTIONS):
            WdfRequestComplete(Request, WdfRequestGetStatus(reused))

    driver = yours["EvtDriverDeviceAdd"] or _device_add(
        WdfDeviceIoBuffered, read=yours["EvtIoRead"] or EvtIoRead, parallel=overlap
    )

    def application(machine):
        app = machine.application()
        results = [
            app.ReadFile(bytearray(READ_LENGTH), overlapped=overlap) for _send in range(sends)
        ]
        if not overlap:
            return results[-1]
        machine.advance(0.01)
        return results[-1].IoStatus

    return _run(driver, application)
