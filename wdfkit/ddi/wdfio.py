"""wdfio.h: I/O queues, where requests wait for the driver, and how the driver controls them.

Mirrors: fxioqueueapi.cpp (WdfIoQueueCreate, WdfIoQueueGetDevice, WdfIoQueueStart, Stop,
StopSynchronously, Purge, PurgeSynchronously, RetrieveNextRequest, GetState), fxioqueue.cpp
(FxIoQueue::QueueStart, QueueIdle, QueuePurge, GetRequest, GetState, FatalError),
fxdeviceapi.cpp (WdfDeviceConfigureRequestDispatching) and fxpkgio.cpp (ConfigureForwarding).
WdfDeviceConfigureRequestDispatching is declared in wdfdevice.h; it lives here, with the
queues it configures.
"""

import copy
from dataclasses import dataclass
from typing import Any

from ..fx.call import named
from ..fx.handles import FX_TYPE_DEVICE, FX_TYPE_QUEUE, WDFHANDLE, get_object
from ..fx.queue import (
    FORWARDABLE_HANDLERS,
    QUEUE_ACCEPT_REQUESTS,
    QUEUE_DISPATCH_REQUESTS,
    QUEUE_DRIVER_NO_REQUESTS,
    QUEUE_NO_REQUESTS,
    QUEUE_PNP_HELD,
    FxIoQueue,
    configure_forwarding,
    create_queue,
)
from ..fx.verifier import (
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED,
    check_irql,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INVALID_PARAMETER,
)
from ..kernel.pool import PASSIVE_LEVEL
from . import _struct as ft
from ._entry import callback, ddi, macro
from .wdfobject import attributes_arg

__all__ = [
    "WDF_IO_QUEUE_CONFIG",
    "WDF_IO_QUEUE_CONFIG_INIT",
    "WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE",
    "WdfDeviceConfigureRequestDispatching",
    "WdfIoQueueAcceptRequests",
    "WdfIoQueueCreate",
    "WdfIoQueueDispatchInvalid",
    "WdfIoQueueDispatchManual",
    "WdfIoQueueDispatchParallel",
    "WdfIoQueueDispatchRequests",
    "WdfIoQueueDispatchSequential",
    "WdfIoQueueDriverNoRequests",
    "WdfIoQueueGetDevice",
    "WdfIoQueueGetState",
    "WdfIoQueueNoRequests",
    "WdfIoQueuePnpHeld",
    "WdfIoQueuePurge",
    "WdfIoQueuePurgeSynchronously",
    "WdfIoQueueRetrieveNextRequest",
    "WdfIoQueueStart",
    "WdfIoQueueStop",
    "WdfIoQueueStopSynchronously",
    "WDF_IO_QUEUE_IDLE",
    "WDF_IO_QUEUE_PURGED",
    "WDF_IO_QUEUE_READY",
    "WDF_IO_QUEUE_STOPPED",
]

# WDF_IO_QUEUE_DISPATCH_TYPE: how a queue presents its requests.
WdfIoQueueDispatchInvalid = 0
WdfIoQueueDispatchSequential = 1
WdfIoQueueDispatchParallel = 2
WdfIoQueueDispatchManual = 3

# WDF_IO_QUEUE_STATE: what WdfIoQueueGetState reports, bit by bit.
WdfIoQueueAcceptRequests = QUEUE_ACCEPT_REQUESTS
WdfIoQueueDispatchRequests = QUEUE_DISPATCH_REQUESTS
WdfIoQueueNoRequests = QUEUE_NO_REQUESTS
WdfIoQueueDriverNoRequests = QUEUE_DRIVER_NO_REQUESTS
WdfIoQueuePnpHeld = QUEUE_PNP_HELD


@ft.fields(
    Size=ft.ULONG,
    DispatchType=ft.ENUM,
    PowerManaged=ft.ENUM,
    AllowZeroLengthRequests=ft.BOOLEAN,
    DefaultQueue=ft.BOOLEAN,
    EvtIoDefault=ft.callback,
    EvtIoRead=ft.callback,
    EvtIoWrite=ft.callback,
    EvtIoDeviceControl=ft.callback,
    EvtIoInternalDeviceControl=ft.callback,
    EvtIoStop=ft.callback,
    EvtIoResume=ft.callback,
    EvtIoCanceledOnQueue=ft.callback,
)
@dataclass
class WDF_IO_QUEUE_CONFIG:
    """Queue configuration, fields in C order up to EvtIoCanceledOnQueue (KMDF 1.7's
    structure; Settings.Parallel.NumberOfPresentedRequests and Driver, which later versions
    add, are not modelled).  PowerManaged is a WDF_TRI_STATE: WdfUseDefault makes the queue
    power-managed (FxIoQueue::Initialize), except on a control device.

    ``EvtIoStop(Queue, Request, ActionFlags)``: a power-down or removal asks the driver about
    a request it owns; it completes it or calls WdfRequestStopAcknowledge.
    ``EvtIoResume(Queue, Request)``: power is back for a request it acknowledged.
    ``EvtIoCanceledOnQueue(Queue, Request)``: a request that had been with the driver
    (forwarded or requeued) was cancelled while waiting in this queue; the driver owns it
    again and must complete it."""

    Size: int = 0
    DispatchType: int = 0
    PowerManaged: int = 2  # WdfUseDefault
    AllowZeroLengthRequests: bool = False
    DefaultQueue: bool = False
    EvtIoDefault: Any = None
    EvtIoRead: Any = None
    EvtIoWrite: Any = None
    EvtIoDeviceControl: Any = None
    EvtIoInternalDeviceControl: Any = None
    EvtIoStop: Any = None
    EvtIoResume: Any = None
    EvtIoCanceledOnQueue: Any = None


# sizeof(WDF_IO_QUEUE_CONFIG) on x64, and of the older versions WdfIoQueueCreate still accepts
# (fxversionedstructures.h): 1.7 ends with the callbacks, 1.9 adds Settings, 1.11 Driver.
WDF_IO_QUEUE_CONFIG_SIZE = 0x60
WDF_IO_QUEUE_CONFIG_V1_9_SIZE = 0x58
WDF_IO_QUEUE_CONFIG_V1_7_SIZE = 0x50


@macro
def WDF_IO_QUEUE_CONFIG_INIT(Config: WDF_IO_QUEUE_CONFIG, DispatchType: int) -> None:
    """Zero *Config*, set Size and the dispatch type."""
    ft.struct_arg("Config", Config, WDF_IO_QUEUE_CONFIG)
    Config.__init__(Size=WDF_IO_QUEUE_CONFIG_SIZE, DispatchType=DispatchType)


@macro
def WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(Config: WDF_IO_QUEUE_CONFIG, DispatchType: int) -> None:
    """As WDF_IO_QUEUE_CONFIG_INIT, and make it the device's default queue."""
    ft.struct_arg("Config", Config, WDF_IO_QUEUE_CONFIG)
    WDF_IO_QUEUE_CONFIG_INIT(Config, DispatchType)
    Config.DefaultQueue = True


@ddi
def WdfIoQueueCreate(machine, Device: WDFHANDLE, Config: WDF_IO_QUEUE_CONFIG, QueueAttributes):
    """Create a queue for *Device*: ``(status, Queue)``.

    In KMDF's order: an attribute status (FxValidateObjectAttributes; an execution level and a
    synchronization scope are allowed); STATUS_INFO_LENGTH_MISMATCH for a Config.Size that is
    neither the current structure's nor that of version 1.9 or 1.7; STATUS_INVALID_DEVICE_REQUEST
    for a ParentObject that is not the device or under it; STATUS_INVALID_PARAMETER for a bad
    dispatch type; STATUS_WDF_NO_CALLBACK for a sequential or parallel queue without any EvtIo…
    callback; STATUS_UNSUCCESSFUL for a second default queue (it is created, then deleted
    again).
    A manual queue presents nothing: the driver takes requests with
    WdfIoQueueRetrieveNextRequest.
    Bug checks: 0x10D/0x5 for a bad Device, or a bad ParentObject once the attributes are
    valid; 0x10D/0x4 for a NULL Config.

    Fidelity: fxioqueueapi.cpp (WdfIoQueueCreate: FxValidateObjectAttributes with
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED and _SYNCHRONIZATION_SCOPE_ALLOWED, Config.Size,
    then FxPkgIo::CreateQueue and InitializeDefaultQueue, fxpkgio.cpp; FxIoQueue::Initialize,
    fxioqueue.cpp).  See :func:`wdfkit.fx.queue.create_queue`.
    """
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    if Config is None:
        raise null_bugcheck(machine, "Config")
    if not isinstance(Config, WDF_IO_QUEUE_CONFIG):
        raise TypeError(named("Config must be a WDF_IO_QUEUE_CONFIG"))
    attributes = attributes_arg("QueueAttributes", QueueAttributes)
    allowed = FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED
    allowed |= FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED
    status = validate_object_attributes(attributes, allowed)
    if not NT_SUCCESS(status):
        return status, None
    if Config.Size not in (
        WDF_IO_QUEUE_CONFIG_SIZE,
        WDF_IO_QUEUE_CONFIG_V1_9_SIZE,
        WDF_IO_QUEUE_CONFIG_V1_7_SIZE,
    ):
        return STATUS_INFO_LENGTH_MISMATCH, None
    # KMDF keeps no pointer to the caller's Config: FxIoQueue::Initialize (fxioqueue.cpp)
    # copies the dispatch type, AllowZeroLengthRequests and each EvtIo… into the queue, so
    # re-initialising the stack variable afterwards changes nothing.  wdfkit keeps a copy.
    status, queue = create_queue(device, attributes, copy.copy(Config))
    return status, queue and queue.handle


@ddi
def WdfIoQueueGetDevice(machine, Queue: WDFHANDLE) -> WDFHANDLE:
    """The device a queue belongs to."""
    queue = get_object(machine, Queue, FX_TYPE_QUEUE, "Queue")
    return queue.device.handle


# -- queue control (FxIoQueue::QueueStart, QueueIdle, QueuePurge, GetRequest) --------------------
def _queue(machine, handle) -> FxIoQueue:
    return get_object(machine, handle, FX_TYPE_QUEUE, "Queue")


def _state_callback(param: str, value):
    return None if value is None else callback(param, value)


@ddi
def WdfIoQueueStart(machine, Queue: WDFHANDLE) -> None:
    """Let a queue accept and present requests again, and present what waits.

    A queue a removal has shut down stays closed to new requests.  Fidelity: fxioqueueapi.cpp
    (WdfIoQueueStart), fxioqueue.cpp (FxIoQueue::QueueStart: SetState(accept | dispatch),
    DispatchEvents).
    """
    _queue(machine, Queue).start()


@ddi
def WdfIoQueueStop(machine, Queue: WDFHANDLE, StopComplete, Context=None) -> None:
    """Stop presenting requests; the queue keeps accepting them (they wait).

    ``StopComplete(Queue, Context)`` (EvtIoQueueState, optional) runs — under the queue's
    callback lock — once the driver owns none of the queue's requests, at once if it owns
    none now.  Requests the driver holds are not touched: stopping does not call EvtIoStop
    (that is for power-downs) nor cancel anything.  A second StopComplete while one is still
    registered is WDF_VIOLATION 0x10D / WDF_QUEUE_FATAL_ERROR (0xA).
    Fidelity: fxioqueueapi.cpp (WdfIoQueueStop → FxIoQueue::QueueIdle(FALSE, …), FatalError).
    """
    queue = _queue(machine, Queue)
    routine = _state_callback("StopComplete", StopComplete)
    status = queue.stop(routine, Context)
    if not NT_SUCCESS(status):
        raise queue.fatal_error(status)


@ddi
def WdfIoQueueStopSynchronously(machine, Queue: WDFHANDLE) -> None:
    """Stop presenting requests and wait until the driver owns none of the queue's requests.

    Virtual time runs while it waits, so a request the driver completes from a timer or a
    lower driver's completion ends the wait.  One that nothing will complete — the calling
    callback's own request on a sequential queue, say — would block the thread for ever on
    Windows; wdfkit reports it as that hang (a RuntimeError naming the requests) instead.
    Under KMDF Verifier a call above PASSIVE_LEVEL does nothing (a debug break).
    Fidelity: fxioqueueapi.cpp (WdfIoQueueStopSynchronously: FxVerifierCheckIrqlLevel, then
    FxIoQueue::QueueIdleSynchronously: QueueIdle with _IdleComplete and a wait on an event).
    Simplified: KMDF Verifier breaks into the debugger after its wait timeout and waits on;
    wdfkit gives up after the machine's hang limit.
    """
    queue = _queue(machine, Queue)
    _synchronously(machine, queue, queue.stop, "WdfIoQueueStopSynchronously")


@ddi
def WdfIoQueuePurge(machine, Queue: WDFHANDLE, PurgeComplete, Context=None) -> None:
    """Refuse new requests, cancel what waits, cancel what the driver marked cancelable.

    Waiting requests are completed with STATUS_CANCELLED (or, if the driver had them before
    and registered EvtIoCanceledOnQueue, handed back to it there); each request the driver
    marked cancelable gets its EvtRequestCancel; requests the driver holds otherwise stay
    with it.  ``PurgeComplete(Queue, Context)`` runs once the queue and the driver hold none
    of its requests.  New requests then fail with STATUS_INVALID_DEVICE_STATE until
    WdfIoQueueStart.  A second PurgeComplete while one is registered is 0x10D/0xA.
    Fidelity: fxioqueueapi.cpp (WdfIoQueuePurge → FxIoQueue::QueuePurge(TRUE, TRUE, …)).
    """
    queue = _queue(machine, Queue)
    routine = _state_callback("PurgeComplete", PurgeComplete)
    status = queue.purge(routine, Context)
    if not NT_SUCCESS(status):
        raise queue.fatal_error(status)


@ddi
def WdfIoQueuePurgeSynchronously(machine, Queue: WDFHANDLE) -> None:
    """As WdfIoQueuePurge, then wait until the queue and the driver hold none of its
    requests (virtual time runs; a wait nothing can end is reported as the hang it is, as
    for WdfIoQueueStopSynchronously).  PASSIVE_LEVEL only (Verifier).
    Fidelity: fxioqueueapi.cpp (WdfIoQueuePurgeSynchronously), fxioqueue.cpp
    (QueuePurgeSynchronously)."""
    queue = _queue(machine, Queue)
    _synchronously(machine, queue, queue.purge, "WdfIoQueuePurgeSynchronously")


def _synchronously(machine, queue: FxIoQueue, operation, who: str) -> None:
    """QueueIdleSynchronously / QueuePurgeSynchronously: PASSIVE_LEVEL only (Verifier), then
    *operation* (the queue's stop or purge) with the framework's own completion signal, and
    the wait for that signal, on virtual time."""
    if not NT_SUCCESS(check_irql(machine, PASSIVE_LEVEL)):
        return
    done = []
    status = operation(lambda: done.append(True), None, drivers=False)
    if not NT_SUCCESS(status):
        raise queue.fatal_error(status)
    if done or machine.wait_for(lambda: bool(done), None, who):
        return
    owned = ", ".join(repr(r.handle) for r in (*queue.presented, *queue.waiting)) or "nothing"
    raise RuntimeError(
        named(
            f"{queue.handle!r} still holds {owned} and nothing will complete it: on Windows "
            "this thread would wait for ever (a hang). Complete the driver's requests (for "
            "example from a timer), or stop the queue asynchronously with a callback."
        )
    )


@ddi
def WdfIoQueueRetrieveNextRequest(machine, Queue: WDFHANDLE):
    """Take the next request from a manual (or sequential) queue: ``(status, Request)``.

    STATUS_SUCCESS and the request, which the driver now owns and must complete;
    STATUS_NO_MORE_ENTRIES (a warning: NT_SUCCESS is false) when none waits;
    STATUS_WDF_PAUSED when the queue is stopped or powered off; STATUS_INVALID_DEVICE_STATE on
    a parallel queue.  A zero-length read or write is completed with STATUS_SUCCESS on the way
    unless the queue allows them.  Request is None on failure.
    Fidelity: fxioqueueapi.cpp (WdfIoQueueRetrieveNextRequest), fxioqueue.cpp
    (FxIoQueue::GetRequest, VerifyGetRequestUpdateFlags).
    """
    status, request = _queue(machine, Queue).retrieve_next()
    return status, None if request is None else request.handle


@ddi
def WdfIoQueueGetState(machine, Queue: WDFHANDLE):
    """The queue's WDF_IO_QUEUE_STATE and its counts: ``(State, QueueRequests,
    DriverRequests)`` — requests waiting, and requests the driver owns.

    Test the state with WDF_IO_QUEUE_IDLE, _READY, _STOPPED, _PURGED.
    Fidelity: fxioqueueapi.cpp (WdfIoQueueGetState), fxioqueue.cpp (FxIoQueue::GetState).
    """
    queue = _queue(machine, Queue)
    return queue.queue_state(), len(queue.waiting), len(queue.presented)


def _state_arg(State) -> int:
    if isinstance(State, bool) or not isinstance(State, int):
        raise TypeError(named(f"State must be a WDF_IO_QUEUE_STATE (an int), not {State!r}"))
    return State


@macro
def WDF_IO_QUEUE_IDLE(State: int) -> bool:
    """No request waits and the driver owns none."""
    state = _state_arg(State)
    return bool(state & WdfIoQueueNoRequests and state & WdfIoQueueDriverNoRequests)


@macro
def WDF_IO_QUEUE_READY(State: int) -> bool:
    """The queue accepts and dispatches and is not held for a power change."""
    state = _state_arg(State)
    return bool(
        state & WdfIoQueueDispatchRequests
        and state & WdfIoQueueAcceptRequests
        and not state & WdfIoQueuePnpHeld
    )


@macro
def WDF_IO_QUEUE_STOPPED(State: int) -> bool:
    """Accepting, not dispatching, and the driver owns none of its requests."""
    state = _state_arg(State)
    return bool(
        not state & WdfIoQueueDispatchRequests
        and state & WdfIoQueueAcceptRequests
        and state & WdfIoQueueDriverNoRequests
    )


@macro
def WDF_IO_QUEUE_PURGED(State: int) -> bool:
    """Not accepting, nothing waiting and nothing with the driver."""
    state = _state_arg(State)
    return bool(
        not state & WdfIoQueueAcceptRequests
        and state & WdfIoQueueNoRequests
        and state & WdfIoQueueDriverNoRequests
    )


# -- per-type queues (FxPkgIo::ConfigureForwarding) ------------------------------------------------
@ddi
def WdfDeviceConfigureRequestDispatching(
    machine, Device: WDFHANDLE, Queue: WDFHANDLE, RequestType: int
) -> int:
    """Send every request of *RequestType* to *Queue* instead of the default queue.

    In KMDF's order: STATUS_INVALID_PARAMETER for a type other than WdfRequestTypeCreate,
    Read, Write, DeviceIoControl or DeviceIoControlInternal; 0x10D/0x5 for a bad Queue;
    STATUS_INVALID_DEVICE_REQUEST for another device's queue, for a queue that could not
    present the type (not manual, no EvtIoDefault and no callback for it; a create needs
    EvtIoDefault) and for the default queue itself; STATUS_WDF_BUSY when the type already
    goes to a queue (the same one too).  The queue can no longer be deleted with
    WdfObjectDelete.
    Fidelity: fxdeviceapi.cpp (WdfDeviceConfigureRequestDispatching), fxpkgio.cpp
    (FxPkgIo::ConfigureForwarding), fxioqueue.cpp (IsIoEventHandlerRegistered).
    Simplified: KMDF accepts the call only before the device starts (a control device:
    before WdfControlFinishInitializing), else STATUS_INVALID_DEVICE_STATE; wdfkit does not
    check the device's PnP state.  Creates use FxPkgGeneral's forwarding, whose own checks
    wdfkit does not model beyond the handler test.
    """
    device = get_object(machine, Device, FX_TYPE_DEVICE, "Device")
    if isinstance(RequestType, bool) or not isinstance(RequestType, int):
        raise TypeError(named(f"RequestType must be a WDF_REQUEST_TYPE, not {RequestType!r}"))
    if RequestType not in FORWARDABLE_HANDLERS:
        return STATUS_INVALID_PARAMETER
    return configure_forwarding(device, _queue(machine, Queue), RequestType)
