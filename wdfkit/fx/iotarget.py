"""FxIoTarget (WDFIOTARGET): where a driver sends requests, and the rules for sending.

Every device has a *default* (local) target: the driver below it in the stack, here a
:class:`~wdfkit.kernel.lowerdevice.LowerDevice`.  A *remote* target is one the driver creates
and opens itself.  A target is Started, Stopped (requests wait in it until it starts again) or
Closed (requests are refused with STATUS_INVALID_DEVICE_STATE).

Sending takes a reference on the request until the target completes it; the completion routine
then runs — at DISPATCH_LEVEL when the lower device completes from its DPC — with the
completion parameters filled in.  Asynchronous completion leaves the format's memory references
in place: only reformatting, reuse, completion or deletion release them.

Mirrors: fxiotarget.cpp (SubmitLocked, SubmitSync, CompleteRequest), fxrequestbase.cpp
(CompleteSubmitted), fxiotargetremote.cpp (FxIoTargetRemote::_Create), fxdevicebase.cpp
(AllocateTarget), fxiotargetapi.cpp.
The completion routine runs once: CompleteSubmitted calls it through ClearCompletionRoutine(),
and under Verifier clears the formatted mark (a send without a new format is then refused,
VerifySubmitLocked).  A synchronous ``WdfRequestSend`` still calls the driver's routine (SubmitSync
with SubmitSyncCallCompletion) before it returns; the ``WdfIoTargetSend…Synchronously`` methods
install their own routine over the driver's (SubmitSync), so the driver's is gone afterwards.
Simplified: no stack-location counting, no purge, no query-remove; a timed-out request is
cancelled at its deadline.
"""

from dataclasses import dataclass, field, replace

from ..kernel.bugcheck import (
    WDF_REQUEST_FATAL_ERROR,
    WDF_REQUEST_FATAL_ERROR_REQUEST_ALREADY_SENT,
    WDF_VIOLATION,
    BugCheck,
)
from ..kernel.irp import IO_STATUS_BLOCK, IRP_MJ_READ, IRP_MJ_WRITE
from ..kernel.lowerdevice import LowerDevice, Transfer
from ..kernel.ntstatus import (
    NTSTATUS,
    STATUS_CANCELLED,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_DEVICE_STATE,
    STATUS_IO_TIMEOUT,
    STATUS_REQUEST_NOT_ACCEPTED,
    STATUS_SUCCESS,
)
from ..kernel.pool import APC_LEVEL
from ..language import _
from ..sim.events import Event
from ..sim.snapshot import IoTargetDetail, IoTargetState
from .handles import FX_TYPE_IO_TARGET
from .object import FxObject, attributes_parent
from .request import FxRequest, WdfRequestTypeNoFormat, format_completion_params

# WDF_IO_TARGET_STATE (wdfiotarget.h; a driver's names are in wdfkit.ddi.wdfiotarget).
STARTED, STOPPED, CLOSED_FOR_QUERY_REMOVE, CLOSED, DELETED = 1, 2, 3, 4, 5

# WDF_REQUEST_SEND_OPTIONS_FLAGS (wdfrequest.h; a driver's names are in wdfkit.ddi.wdfrequest).
SEND_TIMEOUT, SEND_SYNCHRONOUS, SEND_IGNORE_TARGET_STATE, SEND_AND_FORGET = 0x1, 0x2, 0x4, 0x8


@dataclass
class WDF_REQUEST_COMPLETION_PARAMS_READ_WRITE:
    Buffer: object = None  # the WDFMEMORY that was formatted
    Length: int = 0
    Offset: int = 0


@dataclass
class WDF_REQUEST_COMPLETION_PARAMS_IOCTL_BUFFER:
    Buffer: object = None
    Offset: int = 0
    Length: int = 0


@dataclass
class WDF_REQUEST_COMPLETION_PARAMS_IOCTL:
    IoControlCode: int = 0
    Input: WDF_REQUEST_COMPLETION_PARAMS_IOCTL_BUFFER = field(
        default_factory=WDF_REQUEST_COMPLETION_PARAMS_IOCTL_BUFFER
    )
    Output: WDF_REQUEST_COMPLETION_PARAMS_IOCTL_BUFFER = field(
        default_factory=WDF_REQUEST_COMPLETION_PARAMS_IOCTL_BUFFER
    )


@dataclass
class WDF_REQUEST_COMPLETION_PARAMS_UNION:
    Read: WDF_REQUEST_COMPLETION_PARAMS_READ_WRITE = field(
        default_factory=WDF_REQUEST_COMPLETION_PARAMS_READ_WRITE
    )
    Write: WDF_REQUEST_COMPLETION_PARAMS_READ_WRITE = field(
        default_factory=WDF_REQUEST_COMPLETION_PARAMS_READ_WRITE
    )
    Ioctl: WDF_REQUEST_COMPLETION_PARAMS_IOCTL = field(
        default_factory=WDF_REQUEST_COMPLETION_PARAMS_IOCTL
    )


@dataclass
class WDF_REQUEST_COMPLETION_PARAMS:
    """What the completion routine is told: ``CompletionParams.IoStatus.Status`` and so on."""

    Size: int = 0x48
    Type: int = 0  # WDF_REQUEST_TYPE: the major function that was sent
    IoStatus: IO_STATUS_BLOCK = field(default_factory=IO_STATUS_BLOCK)
    Parameters: WDF_REQUEST_COMPLETION_PARAMS_UNION = field(
        default_factory=WDF_REQUEST_COMPLETION_PARAMS_UNION
    )


def completion_params(request, status, information) -> WDF_REQUEST_COMPLETION_PARAMS:
    """What CompleteSubmitted hands the routine (fxrequestbase.cpp).  With no request context
    (never formatted by a target, e.g. FormatRequestUsingCurrentType): CompleteSubmittedNoContext's
    ``Type = WdfRequestTypeNoFormat``, zeroed Parameters, the IoStatus.  With one: its params
    (FxIoContext::CopyParameters fills the length); a context whose references were released
    since (InitCompletionParams) is back to NoFormat, with only that length."""
    fmt = request.context
    params = WDF_REQUEST_COMPLETION_PARAMS(Type=WdfRequestTypeNoFormat)
    params.IoStatus = IO_STATUS_BLOCK(status, information)
    if fmt is None:
        return params
    if not request.context_cleared:
        format_completion_params(params, fmt)
    if fmt.major == IRP_MJ_READ:
        params.Parameters.Read.Length = information
    elif fmt.major == IRP_MJ_WRITE:
        params.Parameters.Write.Length = information
    else:
        params.Parameters.Ioctl.Output.Length = information
    return params


def context_completion_params(request) -> WDF_REQUEST_COMPLETION_PARAMS | None:
    """The request context's m_CompletionParams as they stand (None: the request has no
    context): what the last completion routine was handed, as ReleaseAndRestore and later
    formats have left it; before any completion, the format's Type and buffers (or, once
    released, InitCompletionParams's zeroes and NoFormat) with a zero IoStatus."""
    if request.context is None:
        return None
    if request.completion_params is not None:
        return request.completion_params
    params = WDF_REQUEST_COMPLETION_PARAMS(
        Type=WdfRequestTypeNoFormat, IoStatus=IO_STATUS_BLOCK(STATUS_SUCCESS, 0)
    )
    if not request.context_cleared:
        format_completion_params(params, request.context)
    return params


def copy_completion_params(target, source) -> None:
    """RtlCopyMemory of one WDF_REQUEST_COMPLETION_PARAMS over another: *target* shares
    nothing with *source* afterwards."""
    p, ioctl = source.Parameters, source.Parameters.Ioctl
    target.__init__(
        source.Size,
        source.Type,
        IO_STATUS_BLOCK(source.IoStatus.Status, source.IoStatus.Information),
        WDF_REQUEST_COMPLETION_PARAMS_UNION(
            replace(p.Read),
            replace(p.Write),
            WDF_REQUEST_COMPLETION_PARAMS_IOCTL(
                ioctl.IoControlCode, replace(ioctl.Input), replace(ioctl.Output)
            ),
        ),
    )


class FxIoTarget(FxObject):
    """A WDFIOTARGET in front of a lower device: as made, a device's default target."""

    TYPE = FX_TYPE_IO_TARGET
    HANDLE_NAME = "WDFIOTARGET"
    OBJECT_SIZE = 0x1C0
    remote = False
    no_delete_ddi = True  # the default target belongs to the device

    def __init__(self, machine, block, lower=None) -> None:
        FxObject.__init__(self, machine, block)
        self.lower = lower
        self.target_state = STARTED if lower is not None else CLOSED
        self.waiting: list = []  # (request, flags) sent while Stopped

    @classmethod
    def create_default(cls, device):
        """FxDeviceBase::AllocateTarget: the device's default target, in front of the driver
        below it, parented to the device; ``(status, target)``."""
        return cls.create(device.machine, None, device, device.lower)

    # -- state (WdfIoTargetStart / Stop / Open / Close) ---------------------------------------
    @property
    def closed(self) -> bool:
        """Closed or deleted: nothing can be formatted for it or sent to it."""
        return self.target_state in (CLOSED, DELETED)

    def start(self):
        """Requests queued while stopped go down now; a closed target cannot start."""
        if self.closed:
            return STATUS_INVALID_DEVICE_STATE
        self._change_state(STARTED)
        return STATUS_SUCCESS

    def stop(self) -> None:
        """New requests wait in the target (sent I/O is left pending, whatever the action)."""
        if self.target_state == STARTED:
            self._change_state(STOPPED)

    def open(self, device_name: str) -> None:
        """A remote target opened by name is Started, in front of that device."""
        self.lower = LowerDevice(self.machine, device_name)
        self._change_state(STARTED)

    def close(self) -> None:
        """Queued requests are cancelled and new sends refused; a default target stays open."""
        if not self.remote:
            self.machine.trace(
                "WdfIoTargetClose: %r is a default target (debug break)", self.handle
            )
            return
        self._change_state(CLOSED)

    def _change_state(self, state: int) -> None:
        self.target_state = state
        self.machine.trace("%r is now %s", self.handle, IoTargetState(state).name)
        waiting, self.waiting = self.waiting, []
        if state == STARTED:
            for request in waiting:
                self.lower.start(request.transfer)
        elif state in (CLOSED, DELETED):
            for request in waiting:  # queued requests are cancelled when the target closes
                request.transfer.done(STATUS_CANCELLED, 0)
        else:
            self.waiting = waiting

    # -- sending ----------------------------------------------------------------------------
    def send(self, request, flags: int, timeout: int | None, who: str) -> int | None:
        """Submit *request*; a synchronous send runs virtual time until it is done or times
        out (then it is cancelled).  A status when the send is refused, else None.

        KMDF has no IRQL check of its own for a synchronous ``WdfRequestSend`` (fxrequestapi.cpp
        WdfRequestSend, fxiotarget.cpp SubmitSync); the thread then waits in KeWaitForSingleObject
        (FxCREvent::EnterCRAndWait), which the kernel allows only at IRQL ≤ APC_LEVEL.  wdfkit
        does not model what the kernel does with such a wait: it refuses to simulate it.
        """
        synchronous = bool(flags & SEND_SYNCHRONOUS)
        if synchronous and self.machine.irql > APC_LEVEL:
            raise RuntimeError(
                f"{who}: a synchronous send waits (KeWaitForSingleObject), which is allowed only "
                f"at IRQL <= APC_LEVEL; this thread is at IRQL {self.machine.irql}"
            )
        status = self.submit(request, flags)
        if status is not None or request.completed:
            return status
        if not synchronous:
            if timeout is not None:
                transfer = request.transfer
                self.machine.clock.schedule(
                    timeout, lambda: request.transfer is transfer and self.cancel(request)
                )
            return None
        if not self.machine.wait_for(lambda: request.transfer is None, timeout, who):
            # SubmitSync (fxiotarget.cpp) on STATUS_TIMEOUT: mark the request cancelled from
            # the timer (its status becomes STATUS_IO_TIMEOUT), Request->Cancel(), then wait
            # without a timeout for the completion.  wdfkit's cancel completes at once (the
            # lower device and a stopped target complete a cancelled request there and then),
            # so that wait is already over.
            self.cancel(request, timed_out=timeout is not None)
            if timeout is None:
                raise RuntimeError(
                    f"{who}: the synchronous send never completed; on a real machine this "
                    f"thread would wait forever (is the target stopped?). wdfkit gave up "
                    f"({self.machine.last_hang}) and cancelled the request "
                    "(STATUS_CANCELLED), so that nothing is left behind."
                )
        return None

    def send_synchronously(
        self, request, major: int, code: int, inputs, outputs, device_offset: int, flags: int,
        timeout: int | None, who: str,
    ):  # fmt: skip
        """The WdfIoTargetSend…Synchronously methods once their arguments are checked: format
        *request* — or, when the driver passed none, the FxSyncRequest KMDF builds on its
        stack — send it, wait for it; ``(status, information)``.

        *inputs* and *outputs* are ``(memory or None, (address, length), offset)``.  A
        driver's request: FxSyncRequest releases its earlier format and gives it a stack
        context; SubmitSync sets its own completion routine over the driver's (only
        WdfRequestSend passes SubmitSyncCallCompletion to keep and call it), and completion
        clears that one: the driver's routine is gone afterwards and is never called.  (Were
        the send refused, KMDF would leave its own routine with a dead stack context in the
        request; wdfkit leaves none.)  On return the format's references are released and
        the stack context taken away (~FxSyncRequest): the request has no context.
        A send with no timeout that nothing completes would wait forever on Windows; wdfkit
        cancels it when the wait gives up (Machine.wait_for: nothing scheduled could complete
        it, or the hang cap; see :meth:`send`), cleans up as on return — the
        FxSyncRequest gone, the format's references released — and raises RuntimeError, so
        no hidden request is left in the target to be sent later.
        Mirrors fxiotargetapi.cpp (FxIoTargetSendIo, FxIoTargetSendIoctl), fxsyncrequest.cpp
        and fxiotarget.cpp (SubmitSync, _SyncCompletionRoutine).
        """
        stack_request = request is None
        if stack_request:
            status, request = FxRequest.create_internal(self.machine, irp=None, queue=None)
            if request is None:
                return status, 0
        request.release_context()
        request.set_format(major, code, inputs, outputs, device_offset)
        request.completion_routine = request.completion_context = None  # _SyncCompletionRoutine
        synchronous = flags | SEND_SYNCHRONOUS
        try:
            status = self.send(request, synchronous, timeout, who)
        except RuntimeError:  # the hang limit: the request was cancelled and has completed
            self._end_sync(request, stack_request)
            raise
        if status is None:
            status, information = request.irp.IoStatus.Status, request.irp.IoStatus.Information
        else:
            information = 0
        self._end_sync(request, stack_request)
        return NTSTATUS(status), information

    @staticmethod
    def _end_sync(request, stack_request: bool) -> None:
        """~FxSyncRequest and the end of FxIoTargetSendIo: release the format's references,
        take the stack context away, clear the routine; the FxSyncRequest itself goes."""
        request.release_context()
        request.context = request.completion_params = None
        request.completion_routine = request.completion_context = None
        if stack_request:
            request.release()

    def submit(self, request, flags: int) -> int | None:
        """SubmitLocked: start *request*, or queue it; a status when it is refused instead."""
        if request.transfer is not None:
            raise BugCheck(
                WDF_VIOLATION,
                (
                    WDF_REQUEST_FATAL_ERROR,
                    WDF_REQUEST_FATAL_ERROR_REQUEST_ALREADY_SENT,
                    request.handle.value,
                    self.machine.driver_globals,
                ),
                _("REQUEST_ALREADY_SENT: {handle} is still outstanding on a target.").format(
                    handle=repr(request.handle)
                ),
            )
        machine = self.machine
        forget = bool(flags & SEND_AND_FORGET)
        if forget:  # WdfRequestSend (fxrequestapi.cpp): a queue request with no format context
            if request.queue is None:
                return STATUS_INVALID_DEVICE_STATE
            if request.context is not None:  # HasContext(): a target format, even released
                machine.trace(
                    "%r has a target format's context: cannot send and forget (debug break)",
                    request.handle,
                )
                return STATUS_INVALID_DEVICE_REQUEST
        elif (
            request.queue is not None
            and not flags & SEND_SYNCHRONOUS
            and request.completion_routine is None
        ):
            machine.trace("%r: no completion routine and not send-and-forget", request.handle)
            return STATUS_INVALID_DEVICE_REQUEST
        if not forget and machine.kmdf_verifier and not request.formatted:
            # VerifySubmitLocked, before SubmitLocked looks at the target's state: no format
            # since the last completion (or ever)
            machine.trace("KMDF Verifier: %r has not been formatted, cannot send", request.handle)
            return STATUS_REQUEST_NOT_ACCEPTED
        if self.closed or self.target_state == CLOSED_FOR_QUERY_REMOVE:
            # Simplified for send-and-forget: KMDF's WdfRequestSend never calls Submit for it
            # and so never looks at the target's state; wdfkit refuses a closed target anyway.
            return STATUS_INVALID_DEVICE_STATE
        if request.format is None and not forget:
            request.format = request.current_format()  # the stack location as it stands
        if forget:
            self._forget(request)
            return None
        request.add_ref()  # the target's reference on the request while it is sent
        fmt = request.format
        transfer = Transfer(fmt.major, fmt.input, fmt.output, fmt.device_offset, None)
        transfer.done = lambda status, info: self._completed(request, status, info)
        request.transfer = transfer
        if self.target_state == STOPPED and not (flags & SEND_IGNORE_TARGET_STATE):
            self.waiting.append(request)
            machine.trace("%r queued: %r is stopped", request.handle, self.handle)
        else:
            self.lower.start(transfer)
        return None

    def _forget(self, request) -> None:
        """Send-and-forget: the IRP goes down as it is and completes straight to its caller."""
        fmt, irp = request.current_format(), request.irp
        if request.completion_routine is not None and self.machine.kmdf_verifier:  # VerifyPreProc…
            self.machine.trace(
                "KMDF Verifier: %r is sent and forgotten; its completion routine will not run "
                "(debug break)",
                request.handle,
            )
        transfer = Transfer(fmt.major, fmt.input, fmt.output, fmt.device_offset, None)
        transfer.done = lambda status, info: irp.complete(status, info)
        self.machine.trace("WdfRequestSend(%r): sent and forgotten", request.handle)
        request.forget()
        self.lower.start(transfer)

    def _completed(self, request, status, information) -> None:
        """CompleteSubmitted (fxrequestbase.cpp): under Verifier clear the formatted mark, fill
        the params, call the completion routine through ClearCompletionRoutine() — it runs
        once; a request sent again needs WdfRequestSetCompletionRoutine again — and drop the
        target's reference.
        """
        machine = self.machine
        status = NTSTATUS(status)
        if request.timed_out and status == STATUS_CANCELLED:
            status = STATUS_IO_TIMEOUT
        request.transfer = None
        request.clear_formatted()
        request.irp.IoStatus = IO_STATUS_BLOCK(status, information)
        params = completion_params(request, status, information)
        if request.context is not None:  # &m_RequestContext->m_CompletionParams
            request.completion_params = params
        routine, context = request.clear_completion_routine()
        events = machine.events
        if events.listeners:
            events.emit(Event.SENT_REQUEST_COMPLETED, request.handle, status)
        if routine is not None:
            machine.trace("completion routine for %r: %s", request.handle, status)
            machine.run_callback(
                "CompletionRoutine", routine, request.handle, self.handle, params, context
            )
        request.release()

    def cancel(self, request, timed_out: bool = True) -> None:
        """Cancel a sent request: its timeout expired (*timed_out*: it completes with
        STATUS_IO_TIMEOUT, as FX_REQUEST_CANCELLED_FROM_TIMER makes KMDF report), or a wait
        gave up (STATUS_CANCELLED)."""
        request.timed_out = timed_out
        if request in self.waiting:
            self.waiting.remove(request)
            request.transfer.done(STATUS_CANCELLED, 0)
        elif request.transfer is not None:
            self.lower.cancel(request.transfer)

    def detail(self) -> IoTargetDetail:
        lower = self.lower.name if self.lower is not None else None
        return IoTargetDetail(self.remote, IoTargetState(self.target_state), lower)


class FxIoTargetRemote(FxIoTarget):
    """A WDFIOTARGET the driver creates (WdfIoTargetCreate): Closed until it is opened, and
    the driver's to delete."""

    remote = True
    no_delete_ddi = False

    @classmethod
    def create(cls, machine, attributes, device):
        """FxIoTargetRemote::_Create (fxiotargetremote.cpp), after WdfIoTargetCreate has
        validated *attributes*: the parent is their ParentObject (looked up only now: 0x10D/0x5
        for a bad handle), which must belong to *device* (STATUS_INVALID_DEVICE_REQUEST
        otherwise), else *device*; then construct and commit.  ``(status, target)``."""
        parent = attributes_parent(machine, attributes)
        if parent is None:
            parent = device
        elif parent.device_base() is not device:
            return STATUS_INVALID_DEVICE_REQUEST, None
        return super().create(machine, attributes, parent)
