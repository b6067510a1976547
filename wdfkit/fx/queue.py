"""FxIoQueue (WDFQUEUE): where requests wait, and how they are presented to the driver.

The queue turns each IRP into a WDFREQUEST and presents it to the driver's callback for its
type — one at a time (sequential: the next waits until the driver completes the current one),
all at once (parallel), or not at all (manual: the driver takes them with
WdfIoQueueRetrieveNextRequest).  A type with no callback is completed with
STATUS_INVALID_DEVICE_REQUEST; a zero-length read or write is completed with STATUS_SUCCESS
unless the queue allows zero-length requests.  Its callbacks run under the lock its
synchronization scope chooses (wdfkit.fx.synchronization); a queue asked to present a request
above PASSIVE_LEVEL when its execution level is passive defers the presentation to its system
work item.

The driver controls the queue — start, stop, purge, forward requests between queues — and
so do power changes and removal (EvtIoStop, EvtIoResume); requests are cancelled while they
wait (the queue's cancel routine on the IRP) or, once marked cancelable, while the driver holds
them (EvtRequestCancel).  All of it runs through one event loop, as in KMDF (DispatchEvents):
whatever a callback causes is delivered when the running loop gets to it, never on top of it.

Mirrors: fxioqueue.cpp (ConfigureConstraints, CanThreadDispatchEventsLocked, DispatchEvents,
DispatchRequestToDriver, DeferredDispatchRequestsFromWorkerThread, the presented and driver-owned
lists, QueueStart/Idle/Purge, GetRequest, ForwardRequest, RequestCancelable, CancelForQueue,
CancelForDriver, ProcessPowerEvents, StopProcessingForPower, ResumeProcessingForPower, Dispose),
fxioqueuecallbacks.hpp (FxIoQueueIoRead::Invoke: CallbackStart/End around the driver's
routine), fxpkgio.cpp (CreateQueue, InitializeDefaultQueue, ConfigureForwarding).
Not modelled: WdfIoQueueReadyNotify, WdfIoQueueFindRequest and the retrieve-by-file-object
variants, WdfIoQueueDrain, WdfIoQueueStopAndPurge, forward-progress queues, and
NumberOfPresentedRequests on parallel queues.
Simplified: one processor and one thread: on Windows a parallel queue without a scope runs
callbacks on several processors at once and a scope's lock makes them take turns; wdfkit can show
the difference only where a callback gives the processor up.  While a callback waits (a
synchronous send, which needs PASSIVE_LEVEL, so a passive queue) and virtual time brings another
thread's request, that request's callback runs nested in the waiting one when the queue has no
lock, and only after the waiting one returns when it has.  What the scope changes besides is the
IRQL a callback runs at and, for a passive queue, where a presentation is deferred.  KMDF also
defers to a DPC or work item when the presenting thread already owns the callback lock; no
wdfkit path presents a request while the same thread holds the lock (a completion inside a
callback waits for the running loop, as m_Dispatching makes KMDF do), so that branch is not
modelled.
"""

from collections import deque

from ..kernel.bugcheck import WDF_QUEUE_FATAL_ERROR, WDF_VIOLATION, BugCheck
from ..kernel.irp import (
    IRP_MJ_CREATE,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
)
from ..kernel.ntstatus import (
    STATUS_CANCELLED,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_DEVICE_STATE,
    STATUS_INVALID_PARAMETER,
    STATUS_NO_MORE_ENTRIES,
    STATUS_SUCCESS,
    STATUS_UNSUCCESSFUL,
    STATUS_WDF_BUSY,
    STATUS_WDF_NO_CALLBACK,
    STATUS_WDF_PAUSED,
)
from ..kernel.pool import PASSIVE_LEVEL
from ..language import _
from ..sim.events import Event
from ..sim.snapshot import QueueDetail, QueueDispatch
from .handles import FX_TYPE_QUEUE
from .object import FxObject, attributes_parent
from .request import FxRequest
from .synchronization import (
    EXECUTION_LEVEL_PASSIVE,
    SYNCHRONIZATION_SCOPE_DEVICE,
    SYNCHRONIZATION_SCOPE_QUEUE,
    FxCallbackLock,
    constraints,
)

# WDF_IO_QUEUE_DISPATCH_TYPE (wdfio.h; WdfIoQueueDispatch…, in wdfkit.ddi.wdfio).
DISPATCH_SEQUENTIAL, DISPATCH_PARALLEL, DISPATCH_MANUAL = 1, 2, 3


def create_queue(device, attributes, config):
    """FxPkgIo::CreateQueue, then InitializeDefaultQueue for a default queue, after
    WdfIoQueueCreate has validated *attributes* and Config.Size: ``(status, queue)``.

    In KMDF's order (fxpkgio.cpp, fxioqueue.cpp):

    1. the parent: the attributes' ParentObject (looked up only now: 0x10D/0x5 for a bad
       handle), which must belong to this device (STATUS_INVALID_DEVICE_REQUEST), else the
       device — KMDF's default parent is the device's I/O package (FxPkgIo), which wdfkit
       does not model as an object;
    2. FxIoQueue::Initialize's checks (:func:`queue_config_status`);
    3. the execution level and scope (FxIoQueue::ConfigureConstraints, from
       FxIoQueue::Initialize): WdfSynchronizationScopeDevice with a level other than the
       device's is STATUS_INVALID_PARAMETER (KMDF deletes the queue it had allocated;
       wdfkit refuses before allocating);
    4. construct and commit the queue;
    5. a second default queue: InitializeDefaultQueue answers STATUS_UNSUCCESSFUL and the
       queue is deleted again (DeleteFromFailedCreate), without the driver's callbacks.

    Simplified: FxIoQueue::_Create allocates the queue before Initialize checks the
    config, so with pool exhausted KMDF answers STATUS_INSUFFICIENT_RESOURCES even for a
    bad config; wdfkit checks the config first and leaves pool untouched.
    """
    machine = device.machine
    parent = attributes_parent(machine, attributes)
    if parent is None:
        parent = device
    elif parent.device_base() is not device:
        return STATUS_INVALID_DEVICE_REQUEST, None
    status = queue_config_status(config)
    if status is not STATUS_SUCCESS:
        return status, None
    level, scope = constraints(attributes, device.execution_level, device.synchronization_scope)
    if scope == SYNCHRONIZATION_SCOPE_DEVICE and level != device.execution_level:
        return STATUS_INVALID_PARAMETER, None
    status, queue = FxIoQueue.create(machine, attributes, parent, device, config, level, scope)
    if queue is not None and config.DefaultQueue:
        if device.default_queue is not None:
            queue.delete_from_failed_create()
            return STATUS_UNSUCCESSFUL, None
        device.default_queue = queue
    if queue is not None:
        device.queues.append(queue)
    return status, queue


def queue_config_status(config):
    """FxIoQueue::Initialize's checks of WDF_IO_QUEUE_CONFIG (fxioqueue.cpp): a DispatchType
    out of range is STATUS_INVALID_PARAMETER; a queue that is not manual needs at least one of
    EvtIoDefault, EvtIoRead, EvtIoWrite, EvtIoDeviceControl, EvtIoInternalDeviceControl, else
    STATUS_WDF_NO_CALLBACK; a manual queue must set none of them (STATUS_INVALID_PARAMETER)."""
    if not DISPATCH_SEQUENTIAL <= config.DispatchType <= DISPATCH_MANUAL:
        return STATUS_INVALID_PARAMETER
    has_callback = (
        config.EvtIoDefault is not None
        or config.EvtIoRead is not None
        or config.EvtIoWrite is not None
        or config.EvtIoDeviceControl is not None
        or config.EvtIoInternalDeviceControl is not None
    )
    if config.DispatchType != DISPATCH_MANUAL:
        return STATUS_SUCCESS if has_callback else STATUS_WDF_NO_CALLBACK
    return STATUS_INVALID_PARAMETER if has_callback else STATUS_SUCCESS


FORWARDABLE_HANDLERS = {
    IRP_MJ_CREATE: None,
    IRP_MJ_READ: "EvtIoRead",
    IRP_MJ_WRITE: "EvtIoWrite",
    IRP_MJ_DEVICE_CONTROL: "EvtIoDeviceControl",
    IRP_MJ_INTERNAL_DEVICE_CONTROL: "EvtIoInternalDeviceControl",
}
"""The WDF_REQUEST_TYPE values WdfDeviceConfigureRequestDispatching takes (each is its
IRP_MJ_ code) and the queue callback each needs when the queue has no EvtIoDefault."""


def configure_forwarding(device, queue, request_type: int) -> int:
    """FxPkgIo::ConfigureForwarding (fxpkgio.cpp), for WdfDeviceConfigureRequestDispatching
    once it has checked *request_type* (a key of FORWARDABLE_HANDLERS): send that type to
    *queue*.  STATUS_INVALID_DEVICE_REQUEST for another device's queue, for a queue that could
    not present the type (IsIoEventHandlerRegistered, fxioqueue.cpp: not manual, no
    EvtIoDefault and no callback for it) and for the default queue; STATUS_WDF_BUSY when the
    type already goes to a queue (the same one too).  The queue can no longer be deleted with
    WdfObjectDelete (MarkNoDeleteDDI)."""
    if queue.device is not device:
        return STATUS_INVALID_DEVICE_REQUEST
    config = queue.config
    handler = FORWARDABLE_HANDLERS[request_type]
    registered = (
        queue.manual
        or config.EvtIoDefault is not None
        or (handler is not None and getattr(config, handler) is not None)
    )
    if not registered or queue is device.default_queue:
        device.machine.trace(
            "KMDF: %r cannot take request type %#x (debug break)", queue.handle, request_type
        )
        return STATUS_INVALID_DEVICE_REQUEST
    if request_type in device.dispatch_table:  # even for the same queue
        return STATUS_WDF_BUSY
    device.dispatch_table[request_type] = queue
    queue.no_delete_ddi = True  # MarkNoDeleteDDI
    return STATUS_SUCCESS


# WDF_TRI_STATE (wdftypes.h), for WDF_IO_QUEUE_CONFIG.PowerManaged.
WDF_FALSE, WDF_TRUE, WDF_USE_DEFAULT = 0, 1, 2

# WDF_IO_QUEUE_STATE bits (wdfio.h; WdfIoQueue… in wdfkit.ddi.wdfio).
QUEUE_ACCEPT_REQUESTS = 0x01
QUEUE_DISPATCH_REQUESTS = 0x02
QUEUE_NO_REQUESTS = 0x04
QUEUE_DRIVER_NO_REQUESTS = 0x08
QUEUE_PNP_HELD = 0x10

# WDF_REQUEST_STOP_ACTION_FLAGS (wdfrequest.h; WdfRequestStop… in wdfkit.ddi.wdfrequest).
STOP_ACTION_SUSPEND = 0x01
STOP_ACTION_PURGE = 0x02
STOP_REQUEST_CANCELABLE = 0x10000000

# FX_IO_QUEUE_POWER_STATE (fxioqueue.hpp), the states wdfkit passes through.
POWER_ON = "on"
POWER_OFF = "off"
POWER_STOPPING = "stopping"  # FxIoQueuePowerStopping: a hold asked for
POWER_PURGE = "purge"  # FxIoQueuePowerPurge: a removal's purge asked for
POWER_NOTIFYING = "notifying driver"  # …StoppingNotifyingDriver / …PurgeNotifyingDriver
POWER_NOTIFIED = "driver notified"  # …StoppingDriverNotified / …PurgeDriverNotified
POWER_RESTARTING = "restarting"
POWER_RESTART_NOTIFYING = "restart notifying driver"
POWER_RESTART_NOTIFIED = "restart driver notified"

# What one visit of the event loop decided (DispatchEvents: `continue`, `goto Done`, fall on).
_AGAIN, _DONE, _ON = 0, 1, 2

# Parameter 2 of 0x10D/0xA points at a WDF_QUEUE_FATAL_ERROR_DATA, a local of the thread in
# KMDF (FxIoQueue::FatalError); wdfkit places it here, inside the queue object.
QUEUE_FATAL_ERROR_DATA_OFFSET = 0x200


class FxIoQueue(FxObject):
    """A WDFQUEUE: makes requests from IRPs and presents them to the driver's callbacks.

    ``execution_level`` and ``synchronization_scope`` are the resolved constraints (never
    InheritFromParent); ``callback_lock`` is the lock the callbacks run under, or None when
    the scope is None (FxIoQueue::ConfigureConstraints: no automatic locking).

    The lists KMDF keeps (fxioqueue.hpp): ``waiting`` is m_Queue (requests not yet with the
    driver, each with the queue's cancel routine on its IRP); ``presented`` the requests the
    driver owns (m_DriverOwned, its length m_DriverIoCount); ``driver_cancelable``
    m_DriverCancelable (requests the driver marked cancelable, the driver's cancel routine
    waiting on their IRP); ``cancelled`` m_Cancelled (cancelled cancelable requests whose
    EvtRequestCancel the event loop is still to call); ``canceled_on_queue``
    m_CanceledOnQueueList; ``power_notify`` / ``power_notified`` m_PowerNotify and
    m_PowerDriverNotified (driver-owned requests a power stop is to tell or has told the
    driver about with EvtIoStop, until it acknowledges or completes them).
    """

    TYPE = FX_TYPE_QUEUE
    HANDLE_NAME = "WDFQUEUE"
    OBJECT_SIZE = 0x2A0
    off_logged = False  # "is powered off" is in the log since the queue last powered on

    def __init__(self, machine, block, device, config, level: int, scope: int):
        FxObject.__init__(self, machine, block)
        self.device = device
        self.config = config
        self.no_delete_ddi = bool(config.DefaultQueue)
        self.waiting: deque[FxRequest] = deque()
        self.presented: dict[FxRequest, None] = {}  # driver-owned, in order
        self.driver_cancelable: dict[FxRequest, None] = {}
        self.cancelled: deque[FxRequest] = deque()
        self.canceled_on_queue: deque[FxRequest] = deque()
        self.power_notify: deque[FxRequest] = deque()
        self.power_notified: dict[FxRequest, None] = {}
        self._dispatching = 0  # m_Dispatching: presenting loops running (nested: see _dispatch)
        self.requests_seen = 0
        self.execution_level, self.synchronization_scope = level, scope
        self.passive_level = level == EXECUTION_LEVEL_PASSIVE  # m_PassiveLevel
        self._work_item_queued = False  # m_WorkItemQueued
        self.callback_lock: FxCallbackLock | None = None
        if scope == SYNCHRONIZATION_SCOPE_QUEUE:
            self.callback_lock = FxCallbackLock(machine, self.passive_level)
        elif scope == SYNCHRONIZATION_SCOPE_DEVICE:
            self.callback_lock = device.callback_lock
        self.manual = config.DispatchType == DISPATCH_MANUAL
        self.accepting = True  # WdfIoQueueAcceptRequests
        self.dispatch_enabled = True  # WdfIoQueueDispatchRequests
        self.shutdown = False  # FxIoQueueShutdown: a removal's purge; Start cannot reopen it
        self.cancel_dispatched = False  # m_CancelDispatchedRequests
        self.idle_complete = None  # m_IdleComplete: (callback, context, driver's?) or None
        self.purge_complete = None  # m_PurgeComplete, likewise
        # FxIoQueue::Initialize: WdfUseDefault is power-managed unless the device is a filter
        # (wdfkit has none); a control (legacy, non-PnP) device's queues never are.
        power_managed = config.PowerManaged != WDF_FALSE
        self.power_managed = power_managed and not getattr(device, "is_control", False)
        self.power_state = POWER_ON
        self._stop_action = STOP_ACTION_SUSPEND
        self.events_pending = False
        """Something for the event loop to deliver before presenting (a cancel, a stop's or
        purge's callback, a power change): set where one arises, cleared by the loop once
        none is left, so presenting costs one test while nothing is pending."""

    # -- requests arriving ----------------------------------------------------------------
    def receive(self, irp) -> None:
        """A new IRP: wrap it in a request and hand it to :meth:`enqueue`."""
        status, request = FxRequest.create_internal(self.machine, irp, self)
        if request is None:
            irp.complete(status, 0)
            return
        self.enqueue(request)

    def enqueue(self, request: FxRequest, from_driver: bool = False):
        """Queue a request made already and present what the dispatch type allows; a request
        the loop does not present at once waits with the queue's cancel routine on its IRP.
        Returns STATUS_SUCCESS (the request is the queue's now) or a failure.

        A new IRP's request (FxIoQueue::QueueRequest) that the queue does not accept is
        completed with STATUS_INVALID_DEVICE_STATE.  One the driver hands back from
        EvtIoInCallerContext (*from_driver*: WdfDeviceEnqueueRequest → FxPkgIo::EnqueueRequest
        → QueueRequestFromForward, fxioqueue.cpp) is refused with STATUS_WDF_BUSY instead and
        stays the driver's, to complete itself."""
        self.requests_seen += 1
        if not self.accepting:
            self.machine.trace("%r is not accepting requests", self.handle)
            if from_driver:
                return STATUS_WDF_BUSY
            request.complete(STATUS_INVALID_DEVICE_STATE, 0)
            return STATUS_INVALID_DEVICE_STATE
        request.queue, request.on_queue = self, True  # SetCurrentQueue
        self.waiting.append(request)
        self._dispatch(new_io=True)
        if request.on_queue and request.irp.CancelRoutine is None:
            self._arm_cancel(request)
        return STATUS_SUCCESS

    def _arm_cancel(self, request: FxRequest) -> None:
        """InsertTailIrpQueue's cancel-safe step: set the queue's cancel routine; an IRP
        cancelled already is cancelled now instead (FxIoQueue::CancelForQueue)."""
        irp = request.irp
        irp.set_cancel_routine(request.irp_cancel_for_queue)
        if irp.Cancel and irp.set_cancel_routine(None) is not None:
            self.cancel_for_queue(request)

    def _take_waiting(self, request: FxRequest | None = None) -> FxRequest:
        """GetNextRequest: off the queue (the first, or *request*); no longer cancelable."""
        if request is None:
            request = self.waiting.popleft()
        else:
            self.waiting.remove(request)
        request.on_queue = False
        if request.irp.CancelRoutine is not None:
            request.irp.set_cancel_routine(None)
        return request

    # -- the event loop ---------------------------------------------------------------------
    def _dispatch(self, new_io: bool = False) -> None:
        """FxIoQueue::DispatchEvents: deliver pending events, then present waiting requests
        while the dispatch type allows.

        Each visit first delivers what is pending, in KMDF's order: cancel routines of
        cancelled cancelable requests (EvtRequestCancel), EvtIoCanceledOnQueue, a stop's and
        a purge's completion callback once the queue is idle or empty, and the steps of a
        power stop or restart (EvtIoStop, EvtIoResume).  Requests are presented only while
        the queue dispatches (not stopped, not powered off) and is not manual.

        A completion during a presentation (the driver completing inside its callback) does
        not present again on the same stack; the running loop continues once the callback
        returns (PostRequestCompletedCallback → DispatchInternalEvents, m_Dispatching).
        A passive-level queue asked to present above PASSIVE_LEVEL (a request completed in a
        DPC, with more waiting) posts its work item instead (CanThreadDispatchEventsLocked).

        A new request (*new_io*) that arrives while a callback is running — in wdfkit, while a
        callback waits (a synchronous send) and virtual time brings another thread's I/O —
        is presented at once by the arriving thread when the queue has no callback lock
        (QueueRequest → DispatchEvents; wdfkit shows that thread's callback nested in the
        waiting one).  With a scope's lock the arriving thread would block in CallbackStart
        until the running callback returns, so its request is presented after that return.
        """
        if self._dispatching and not (new_io and self.callback_lock is None):
            return
        if self.passive_level and self.machine.irql > PASSIVE_LEVEL:
            if not self._work_item_queued:
                self._work_item_queued = True
                self.machine.trace("%r: presentation deferred to a work item", self.handle)
                self.machine.clock.schedule(0, self._deferred_dispatch)
            return
        self._dispatching += 1
        try:
            sequential = self.config.DispatchType == DISPATCH_SEQUENTIAL
            waiting, presented = self.waiting, self.presented
            while True:
                if self.events_pending:
                    step = self._deliver_event()
                    if step == _AGAIN:
                        continue
                    if step == _DONE:
                        break
                if not waiting or self.manual or not self.dispatch_enabled:
                    break
                if sequential and presented:
                    break
                request = waiting.popleft()  # GetNextRequest: no longer cancelable
                request.on_queue = False
                if request.irp.CancelRoutine is not None:
                    request.irp.set_cancel_routine(None)
                presented[request] = None
                self._present(request)
        finally:
            self._dispatching -= 1

    def _deliver_event(self) -> int:
        """One pending event of DispatchEvents' loop: ``_AGAIN`` (visit again), ``_DONE``
        (leave the loop) or ``_ON`` (nothing to deliver: go on to presenting)."""
        notifying = self.power_state in (POWER_NOTIFYING, POWER_RESTART_NOTIFYING)
        if self.cancelled and not notifying:  # ProcessCancelledRequests
            request = self.cancelled.popleft()
            request.cancel_delivered = True  # FXREQUEST_FLAG_CANCELLED
            routine, request.cancel_routine = request.cancel_routine, None
            self._announce_cancel(request, "EvtRequestCancel called")
            self._invoke("EvtRequestCancel", routine, request.handle)
            return _AGAIN
        if self.canceled_on_queue and not notifying:  # ProcessCancelledRequestsOnQueue
            request = self.canceled_on_queue.popleft()
            request.cancel_delivered = True
            self._announce_cancel(request, "EvtIoCanceledOnQueue called")
            self._invoke(
                "EvtIoCanceledOnQueue",
                self.config.EvtIoCanceledOnQueue,
                self.handle,
                request.handle,
            )
            return _AGAIN
        if self.idle_complete is not None and self._dispatching == 1 and not self.presented:
            (callback, context, drivers), self.idle_complete = self.idle_complete, None
            self.cancel_dispatched = False
            self._state_callback("EvtIoQueueState", callback, context, drivers)
            return _AGAIN
        if (
            self.purge_complete is not None
            and self._dispatching == 1
            and not self.presented
            and not self.waiting
        ):
            (callback, context, drivers), self.purge_complete = self.purge_complete, None
            self.cancel_dispatched = False
            self._state_callback("EvtIoQueueState", callback, context, drivers)
            return _AGAIN
        state = self.power_state
        if state is POWER_ON:
            self.events_pending = bool(
                self.cancelled
                or self.canceled_on_queue
                or self.idle_complete is not None
                or self.purge_complete is not None
            )
            return _ON
        if state is POWER_OFF:
            return _DONE
        return self._power_event(state)

    def _power_event(self, state: str) -> int:
        """FxIoQueue::ProcessPowerEvents: one step of a power stop, purge or restart."""
        if state is POWER_STOPPING or state is POWER_PURGE or state is POWER_RESTARTING:
            self.power_notify.extend(r for r in self.presented if r not in self.power_notified)
            self.power_state = (
                POWER_RESTART_NOTIFYING if state is POWER_RESTARTING else POWER_NOTIFYING
            )
            return _AGAIN
        if state is POWER_NOTIFYING:
            if not self.power_notify:
                self.power_state = POWER_NOTIFIED
                return _AGAIN
            request = self.power_notify.popleft()
            self.power_notified[request] = None
            if self._stop_action == STOP_ACTION_PURGE:
                request.stop_state = None  # ClearPowerStopState
            if self.config.EvtIoStop is not None and not request.canceled:
                flags = self._stop_action
                if request in self.driver_cancelable:
                    flags |= STOP_REQUEST_CANCELABLE
                request.in_evt_io_stop = True  # FXREQUEST_FLAG_DRIVER_IN_EVTIOSTOP_CONTEXT
                self._invoke("EvtIoStop", self.config.EvtIoStop, self.handle, request.handle, flags)
            return _AGAIN
        if state is POWER_NOTIFIED:
            acknowledged = [r for r in self.power_notified if r.stop_state is not None]
            for request in acknowledged:
                self._process_acknowledged(request)
            if self.power_notified:
                return _AGAIN if acknowledged else _DONE  # awaiting the driver
            if self._dispatching == 1:
                self.power_state = POWER_OFF
                if not self.off_logged:  # a removal's purge after a power-down: said already
                    self.off_logged = True
                    self.machine.trace("%r is powered off", self.handle)
                return _AGAIN
            return _AGAIN if acknowledged else _DONE
        if state is POWER_RESTART_NOTIFYING:
            if not self.power_notify:
                self.power_state = POWER_RESTART_NOTIFIED
                return _AGAIN
            request = self.power_notify.popleft()
            if self.config.EvtIoResume is not None and not request.canceled:
                self._invoke("EvtIoResume", self.config.EvtIoResume, self.handle, request.handle)
            return _AGAIN
        self.power_state = POWER_ON  # POWER_RESTART_NOTIFIED
        self.off_logged = False
        return _DONE

    def _process_acknowledged(self, request: FxRequest) -> None:
        """FxIoQueue::ProcessAcknowledgedRequests: a request the driver acknowledged in (or
        after) EvtIoStop stays driver-owned; with Requeue it goes back to the head of the
        queue, to be presented again once the queue runs — or, while a purge is cancelling
        what the driver hands back (m_CancelDispatchedRequests), is cancelled instead."""
        requeue = request.stop_state == "requeue"
        request.stop_state = None
        request.in_evt_io_stop = False
        del self.power_notified[request]
        if not requeue:
            return
        self.presented.pop(request, None)
        if self.cancel_dispatched:
            self.cancel_for_queue(request)
            return
        request.on_queue = True
        self.waiting.appendleft(request)
        self._arm_cancel(request)

    def _invoke(self, name: str, callback, *args):
        """A queue event callback through its FxLockedCallback: under the callback lock when
        the queue has a synchronization scope (CallbackStart / CallbackEnd)."""
        lock = self.callback_lock
        previous_irql = lock.acquire() if lock is not None else None
        try:
            self.machine.trace("%s(%s)", name, ", ".join(repr(a) for a in args))
            return self.machine.run_callback(name, callback, *args)
        finally:
            if lock is not None:
                lock.release(previous_irql)

    def _state_callback(self, name: str, callback, context, drivers: bool) -> None:
        """ProcessIdleComplete / ProcessPurgeComplete: the driver's EvtIoQueueState(Queue,
        Context) under the callback lock, or the framework's own signal for a synchronous
        stop or purge (_IdleComplete / _PurgeComplete setting an event)."""
        if drivers:
            self._invoke(name, callback, self.handle, context)
        else:
            callback()

    def _deferred_dispatch(self) -> None:
        """FxIoQueue::DeferredDispatchRequestsFromWorkerThread: the system work item, on a
        worker thread at PASSIVE_LEVEL."""
        machine = self.machine
        self._work_item_queued = False
        saved, machine.irql = machine.irql, PASSIVE_LEVEL
        try:
            self._dispatch()
        finally:
            machine.irql = saved

    def _present(self, request: FxRequest) -> None:
        machine, irp, config = self.machine, request.irp, self.config
        request.presented_ever = True  # SetPresented (m_Presented)
        major = irp.major
        events = machine.events
        if events.listeners:
            events.emit(Event.REQUEST_PRESENTED, request.handle, irp.major_name, irp.requestor_mode)
        if major in (IRP_MJ_READ, IRP_MJ_WRITE) and irp.length == 0:
            if not config.AllowZeroLengthRequests:
                request.complete(STATUS_SUCCESS, 0)
                return
        callback, args, name, shown = None, (), "", ""  # shown: the args as the log prints them
        if major == IRP_MJ_READ:
            callback, args, name = config.EvtIoRead, (irp.length,), "EvtIoRead"
            shown = f", {irp.length}"
        elif major == IRP_MJ_WRITE:
            callback, args, name = config.EvtIoWrite, (irp.length,), "EvtIoWrite"
            shown = f", {irp.length}"
        elif major == IRP_MJ_DEVICE_CONTROL or major == IRP_MJ_INTERNAL_DEVICE_CONTROL:
            if major == IRP_MJ_DEVICE_CONTROL:
                callback, name = config.EvtIoDeviceControl, "EvtIoDeviceControl"
            else:
                callback, name = config.EvtIoInternalDeviceControl, "EvtIoInternalDeviceControl"
            args = (irp.output_length, irp.input_length, irp.ioctl_code)
            shown = f", {irp.output_length}, {irp.input_length}, {irp.ioctl_code:#x}"  # as CTL_CODE
        if callback is None and config.EvtIoDefault is not None:
            callback, args, name, shown = config.EvtIoDefault, (), "EvtIoDefault", ""
        if callback is None:
            request.complete(STATUS_INVALID_DEVICE_REQUEST, 0)
            return
        lock = self.callback_lock
        previous_irql = lock.acquire() if lock is not None else None  # CallbackStart
        try:
            machine.trace(
                "%s(%r, %r%s)",
                getattr(callback, "__name__", "callback"),
                self.handle,
                request.handle,
                shown,
            )
            machine.run_callback(name, callback, self.handle, request.handle, *args)
        finally:
            if lock is not None:
                lock.release(previous_irql)  # CallbackEnd

    def request_done(self, request: FxRequest) -> None:
        """The driver completed (or forgot) a request it owned: present the next one."""
        self.presented.pop(request, None)
        if self.power_notified:
            self.power_notified.pop(request, None)
        self._dispatch()

    # -- cancellation ------------------------------------------------------------------------
    def _announce_cancel(self, request: FxRequest, how: str) -> None:
        events = self.machine.events
        if events.listeners:
            events.emit(Event.REQUEST_CANCELLED, request.handle, how)

    def cancel_for_queue(self, request: FxRequest) -> None:
        """FxIoQueue::CancelForQueue: a request cancelled before the driver owns it (its IRP
        cancelled while it waits, or a purge).  With EvtIoCanceledOnQueue registered and the
        request presented to the driver before (m_Presented: forwarded or requeued), the
        driver owns it again and the event loop calls EvtIoCanceledOnQueue; otherwise the
        framework completes it with STATUS_CANCELLED."""
        if request.on_queue:
            self._take_waiting(request)
        request.canceled = True
        self.machine.trace("%r was cancelled while on %r", request.handle, self.handle)
        if self.config.EvtIoCanceledOnQueue is not None and request.presented_ever:
            self.presented[request] = None
            self.canceled_on_queue.append(request)
            self.events_pending = True
        else:
            self._announce_cancel(request, "cancelled while waiting in its queue")
            request.complete(STATUS_CANCELLED, 0)
        self._dispatch()

    def mark_cancelable(self, request: FxRequest, routine, fail_if_cancelled: bool) -> int:
        """FxIoQueue::RequestCancelable(Cancelable=TRUE): put the request on the driver's
        cancelable list with the queue's cancel routine on its IRP.  An IRP cancelled already
        — or a purge under way (m_CancelDispatchedRequests) — gives STATUS_CANCELLED:
        WdfRequestMarkCancelableEx returns it and the cancel routine is not called; with
        WdfRequestMarkCancelable the cancel routine is scheduled (CancelForDriver) and the
        answer is success.  The caller has done Verifier's checks."""
        request.cancel_routine = routine
        request.cancelable = True  # FXREQUEST_FLAG_DRIVER_CANCELABLE
        irp = request.irp
        cancelled = self.cancel_dispatched
        if not cancelled:
            irp.set_cancel_routine(request.irp_cancel_for_driver)
            cancelled = irp.Cancel and irp.set_cancel_routine(None) is not None
            if not cancelled:
                self.driver_cancelable[request] = None
                return STATUS_SUCCESS
        if fail_if_cancelled:
            request.cancel_routine = None
            request.cancelable = False
            return STATUS_CANCELLED
        self.cancel_for_driver(request)
        return STATUS_SUCCESS

    def unmark_cancelable(self, request: FxRequest) -> int:
        """FxIoQueue::RequestCancelable(Cancelable=FALSE): RemoveFromIrpQueue.  STATUS_CANCELLED
        when the request is no longer on the cancelable list — the cancel routine has it
        (its EvtRequestCancel is called or about to be) — else success."""
        if request not in self.driver_cancelable:
            return STATUS_CANCELLED
        del self.driver_cancelable[request]
        request.irp.set_cancel_routine(None)
        request.cancel_routine = None
        request.cancelable = False
        return STATUS_SUCCESS

    def cancel_for_driver(self, request: FxRequest) -> None:
        """FxIoQueue::CancelForDriver: a driver-owned cancelable request was cancelled (its
        IRP, or a purge): off the cancelable list, onto m_Cancelled, and the event loop calls
        its EvtRequestCancel — at once, or when the running loop gets to it (a cancel during
        the driver's own callback waits for that callback to return)."""
        request.canceled = True
        self.driver_cancelable.pop(request, None)
        self.cancelled.append(request)
        self.events_pending = True
        self._dispatch()

    # -- queue control (WdfIoQueueStart / Stop / Purge / RetrieveNextRequest) ---------------
    def start(self) -> None:
        """FxIoQueue::QueueStart: accept (unless shut down for a removal) and dispatch again,
        then run the event loop."""
        if not self.shutdown:
            self.accepting = True
        self.dispatch_enabled = True
        self.cancel_dispatched = False
        self._dispatch()

    def stop(self, callback=None, context=None, drivers: bool = True) -> int:
        """FxIoQueue::QueueIdle(CancelRequests=FALSE): keep accepting, stop presenting; the
        stop's callback runs once the driver owns no request of this queue.  A second
        callback while one is registered: STATUS_INVALID_DEVICE_REQUEST."""
        if callback is not None:
            if self.idle_complete is not None:
                return STATUS_INVALID_DEVICE_REQUEST
            self.idle_complete = (callback, context, drivers)
            self.events_pending = True
        if not self.shutdown:
            self.accepting = True
        self.dispatch_enabled = False
        self._dispatch()
        return STATUS_SUCCESS

    def purge(self, callback=None, context=None, drivers: bool = True) -> int:
        """FxIoQueue::QueuePurge(TRUE, TRUE): accept nothing more; every waiting request is
        cancelled (:meth:`cancel_for_queue`), every request the driver marked cancelable has
        its EvtRequestCancel called; requests the driver holds otherwise stay with it, and
        what it hands back meanwhile (a requeue, a new MarkCancelable) is cancelled too.  The
        purge's callback runs once the queue and the driver hold none of its requests."""
        if callback is not None:
            if self.purge_complete is not None:
                return STATUS_INVALID_DEVICE_REQUEST
            self.purge_complete = (callback, context, drivers)
            self.events_pending = True
        self.accepting = False
        self.cancel_dispatched = True
        while self.waiting:
            self.cancel_for_queue(self.waiting[0])
        for request in list(self.driver_cancelable):
            if request in self.driver_cancelable:
                request.irp.set_cancel_routine(None)
                self.cancel_for_driver(request)
        self._dispatch()
        return STATUS_SUCCESS

    def fatal_error(self, status: int) -> BugCheck:
        """FxIoQueue::FatalError: WDF_VIOLATION 0x10D / WDF_QUEUE_FATAL_ERROR (0xA), parameter 2
        the address of a WDF_QUEUE_FATAL_ERROR_DATA (this queue, no request, *status*)."""
        return BugCheck(
            WDF_VIOLATION,
            (
                WDF_QUEUE_FATAL_ERROR,
                self.address + QUEUE_FATAL_ERROR_DATA_OFFSET,
                0,
                self.machine.driver_globals,
            ),
            _(
                "WDF_QUEUE_FATAL_ERROR: {handle} refused a stop or purge ({status}): one with a "
                "completion callback was already under way."
            ).format(handle=repr(self.handle), status=status),
        )

    def retrieve_next(self):
        """FxIoQueue::GetRequest for WdfIoQueueRetrieveNextRequest: ``(status, request)``.

        STATUS_INVALID_DEVICE_STATE on a parallel queue; STATUS_WDF_PAUSED while the queue is
        powered off or stopped; STATUS_NO_MORE_ENTRIES when nothing waits.  A zero-length read
        or write the queue does not allow is completed with STATUS_SUCCESS and the next one
        taken.  Under KMDF Verifier, retrieving from a sequential queue while the driver owns
        none of its requests is a debug break (a race with the queue's own presentation)."""
        machine = self.machine
        sequential = self.config.DispatchType == DISPATCH_SEQUENTIAL
        if machine.kmdf_verifier and sequential and not self.presented:
            machine.trace(
                "KMDF Verifier: WdfIoQueueRetrieveNextRequest on sequential %r with no "
                "outstanding request races its dispatching (debug break)",
                self.handle,
            )
        if not (self.manual or sequential):
            return STATUS_INVALID_DEVICE_STATE, None
        if self.power_state is POWER_OFF or not self.dispatch_enabled:
            return STATUS_WDF_PAUSED, None
        while True:
            if not self.waiting:
                return STATUS_NO_MORE_ENTRIES, None
            request = self._take_waiting()
            self.presented[request] = None
            irp = request.irp
            if (
                irp.major in (IRP_MJ_READ, IRP_MJ_WRITE)
                and irp.length == 0
                and not self.config.AllowZeroLengthRequests
            ):
                request.complete(STATUS_SUCCESS, 0)
                continue
            request.presented_ever = True
            events = machine.events
            if events.listeners:
                events.emit(
                    Event.REQUEST_PRESENTED, request.handle, irp.major_name, irp.requestor_mode
                )
            return STATUS_SUCCESS, request

    def forward(self, request: FxRequest, destination: "FxIoQueue") -> int:
        """FxIoQueue::ForwardRequest → ForwardRequestWorker: hand a driver-owned request to
        *destination*.  Verifier's checks (VerifyForwardRequest): the driver must own it and
        not have it marked cancelable, the destination may not be this queue nor another
        device's (STATUS_INVALID_DEVICE_REQUEST each).  A destination that does not accept
        requests answers STATUS_WDF_BUSY and the driver keeps the request; otherwise the
        request leaves this queue's driver-owned list and waits on the destination, which
        presents it by its own rules."""
        machine = self.machine
        refusal = request_ownership_check(request, self)
        if refusal is None and machine.kmdf_verifier:
            if destination is self:
                refusal = "cannot be forwarded to the queue it is on"
            elif destination.device is not self.device:
                refusal = "cannot be forwarded to another device's queue"
        if refusal is not None:
            machine.trace("KMDF Verifier: %r %s (debug break)", request.handle, refusal)
            return STATUS_INVALID_DEVICE_REQUEST
        if not destination.accepting:  # QueueRequestFromForward
            machine.trace("%r is not accepting requests", destination.handle)
            return STATUS_WDF_BUSY
        del self.presented[request]
        request.queue = destination
        request.on_queue = True
        destination.waiting.append(request)
        destination._arm_cancel(request)
        destination._dispatch()
        self._dispatch()
        return STATUS_SUCCESS

    def acknowledged(self) -> None:
        """WdfRequestStopAcknowledge recorded an acknowledgement: let the event loop see it
        (from within a running loop it does so on its next pass)."""
        if not self._dispatching:
            self._dispatch()

    # -- what the removal path and the queue DDIs read ------------------------------------
    @property
    def idle(self) -> bool:
        """No request waits in the queue and the driver owns none of its requests
        (WDF_IO_QUEUE_IDLE: WdfIoQueueNoRequests and WdfIoQueueDriverNoRequests)."""
        return not self.waiting and not self.presented

    @property
    def power_off(self) -> bool:
        """A power stop or purge has finished: every request the driver owned when it began
        is acknowledged or completed (FxIoQueuePowerOff; StopProcessingForPower returns)."""
        return self.power_state is POWER_OFF

    def queue_state(self) -> int:
        """FxIoQueue::GetState: the WDF_IO_QUEUE_STATE bits."""
        bits = (QUEUE_ACCEPT_REQUESTS if self.accepting else 0) | (
            QUEUE_DISPATCH_REQUESTS if self.dispatch_enabled else 0
        )
        if not self.waiting:
            bits |= QUEUE_NO_REQUESTS
        if not self.presented:
            bits |= QUEUE_DRIVER_NO_REQUESTS
        if self.power_managed and self.power_state is not POWER_ON:
            bits |= QUEUE_PNP_HELD
        return bits

    def stop_processing_for_power(self, action: str) -> bool:
        """FxIoQueue::StopProcessingForPower, for FxPkgIo::StopProcessingForPower.

        *action* ``"stop"`` (FxIoStopProcessingForPowerHold, a power-down): only a
        power-managed queue stops; each request the driver owns gets EvtIoStop(Queue,
        Request, WdfRequestStopActionSuspend), and the queue is powered off once the driver
        has acknowledged (WdfRequestStopAcknowledge) or completed every one of them; the
        requests waiting stay queued.  ``"purge"`` (a removal: FxIoStopProcessingForPower-
        PurgeManaged and …NonManaged between them reach every queue): the queue is shut down
        for good and purged (:meth:`purge`), then each request the driver still owns gets
        EvtIoStop(…, WdfRequestStopActionPurge).  WdfRequestStopRequestCancelable is added
        for a request marked cancelable; a request already cancelled gets no EvtIoStop, and
        with no EvtIoStop at all the driver must complete its requests.

        Returns :attr:`power_off`: KMDF's caller blocks on m_PowerIdle until it is true; the
        caller in wdfkit runs virtual time with ``machine.wait_for(lambda: queue.power_off,
        …)`` when it is not, and waits for :attr:`idle` before the device goes away.
        Simplified: FxPkgIo first moves every queue to FxIoQueuePowerStartingTransition so
        none presents while another stops; the removal path calls this for each queue in turn.
        """
        if action == "stop":
            if not self.power_managed:
                return True
            self._stop_action = STOP_ACTION_SUSPEND
            self.power_state = POWER_STOPPING
            self.events_pending = True
        elif action == "purge":
            self.shutdown, self.accepting = True, False  # SetStateForShutdown
            self.purge(drivers=False)
            self._stop_action = STOP_ACTION_PURGE
            self.power_state = POWER_PURGE
            self.events_pending = True
        else:
            raise ValueError(
                f"FxIoQueue.stop_processing_for_power: action must be 'stop' or 'purge', "
                f"not {action!r}"
            )
        self._dispatch()
        return self.power_off

    def resume_processing_for_power(self) -> None:
        """FxIoQueue::ResumeProcessingForPower, then StartPowerTransitionOn: a power-managed
        queue that was stopped calls EvtIoResume(Queue, Request) for each request the driver
        still owns (not cancelled), powers on and presents what waits.  A queue purged for a
        removal stays shut down.  Simplified: FxPkgIo resumes every queue before it starts
        any; wdfkit starts each as it resumes."""
        if not self.power_managed or self.power_state is not POWER_OFF:
            return
        self.power_state = POWER_RESTARTING
        self.events_pending = True
        self._dispatch()
        self._dispatch()

    def dispose(self) -> None:
        """FxIoQueue::Dispose: a queue being deleted purges itself (no callback) — what waits
        is cancelled, what the driver marked cancelable gets EvtRequestCancel — and waits
        until the driver has completed the rest (m_FinishDisposing).  wdfkit waits on virtual
        time; a wait nothing can end is logged as the hang it would be on Windows and the
        deletion goes on."""
        if not self.waiting and not self.presented:
            self.accepting = False
            return
        self.purge(drivers=False)
        machine = self.machine
        if not self.idle and not machine.wait_for(
            lambda: self.idle, None, f"Deleting {self.handle!r}"
        ):
            machine.trace(
                "%r is deleted while the driver still owns %s: on Windows the deleting thread "
                "waits for ever",
                self.handle,
                ", ".join(repr(r.handle) for r in self.presented),
            )

    def on_destroy(self) -> None:
        """FxPkgIo::RemoveIoQueue and RemoveQueueReferences: the device forgets the queue,
        and the request types it took go to the default queue again."""
        device = self.device
        if self in device.queues:
            device.queues.remove(self)
        for major in [m for m, queue in device.dispatch_table.items() if queue is self]:
            del device.dispatch_table[major]

    def detail(self) -> QueueDetail:
        return QueueDetail(
            QueueDispatch(self.config.DispatchType),
            bool(self.config.DefaultQueue),
            len(self.presented),
        )


def request_ownership_check(request: FxRequest, queue: FxIoQueue) -> str | None:
    """VerifyRequestIsDriverOwned and VerifyRequestIsNotCancelable (fxrequest.cpp): why the
    driver may not hand *request* on, or None.  wdfkit checks these with or without KMDF
    Verifier: without it KMDF would unlink the request from a list it is not on."""
    if request.completed or request not in queue.presented:
        return "is not owned by the driver"
    if request.cancelable:
        return "is marked cancelable: call WdfRequestUnmarkCancelable first"
    return None
