"""FxIoQueue (WDFQUEUE): where requests wait, and how they are presented to the driver.

The queue turns each IRP into a WDFREQUEST and presents it to the driver's callback for its
type — one at a time (sequential: the next waits until the driver completes the current one) or
all at once (parallel).  A type with no callback is completed with STATUS_INVALID_DEVICE_REQUEST;
a zero-length read or write is completed with STATUS_SUCCESS unless the queue allows zero-length
requests.  Its callbacks run under the lock its synchronization scope chooses
(wdfkit.fx.synchronization); a queue asked to present a request above PASSIVE_LEVEL when its
execution level is passive defers the presentation to its system work item.

Mirrors: fxioqueue.cpp (ConfigureConstraints, CanThreadDispatchEventsLocked, DispatchEvents,
DispatchRequestToDriver, DeferredDispatchRequestsFromWorkerThread, the presented and driver-owned
lists), fxioqueuecallbacks.hpp (FxIoQueueIoRead::Invoke: CallbackStart/End around the driver's
routine), fxpkgio.cpp (CreateQueue, InitializeDefaultQueue).
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

from ..kernel.irp import (
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
)
from ..kernel.ntstatus import (
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    STATUS_UNSUCCESSFUL,
    STATUS_WDF_NO_CALLBACK,
)
from ..kernel.pool import PASSIVE_LEVEL
from ..sim.events import Event
from ..sim.snapshot import QueueDetail, QueueDispatch
from .call import named
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
    2. FxIoQueue::Initialize's checks (:func:`queue_config_status`); a manual queue that
       passes them is a ValueError: wdfkit does not simulate manual queues;
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
    if config.DispatchType == DISPATCH_MANUAL:
        raise ValueError(named("wdfkit does not simulate manual queues"))
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


class FxIoQueue(FxObject):
    """A WDFQUEUE: makes requests from IRPs and presents them to the driver's callbacks.

    ``execution_level`` and ``synchronization_scope`` are the resolved constraints (never
    InheritFromParent); ``callback_lock`` is the lock the callbacks run under, or None when
    the scope is None (FxIoQueue::ConfigureConstraints: no automatic locking).
    """

    TYPE = FX_TYPE_QUEUE
    HANDLE_NAME = "WDFQUEUE"
    OBJECT_SIZE = 0x2A0

    def __init__(self, machine, block, device, config, level: int, scope: int):
        FxObject.__init__(self, machine, block)
        self.device = device
        self.config = config
        self.no_delete_ddi = bool(config.DefaultQueue)
        self.waiting: deque[FxRequest] = deque()
        self.presented: dict[FxRequest, None] = {}  # driver-owned, in order
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

    def receive(self, irp) -> None:
        """A new IRP: wrap it in a request and queue it."""
        status, request = FxRequest.create_internal(self.machine, irp, self)
        if request is None:
            irp.complete(status, 0)
            return
        self.enqueue(request)

    def enqueue(self, request: FxRequest):
        """FxIoQueue::QueueRequest / QueueRequestFromForward: queue a request made already (a
        new IRP's, or one WdfDeviceEnqueueRequest hands back from EvtIoInCallerContext) and
        present what the dispatch type allows.  Returns STATUS_SUCCESS (the request is the
        queue's now)."""
        self.requests_seen += 1
        self.waiting.append(request)
        self._dispatch(new_io=True)
        return STATUS_SUCCESS

    def _dispatch(self, new_io: bool = False) -> None:
        """FxIoQueue::DispatchEvents: present waiting requests while the dispatch type allows.

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
            while self.waiting and not (sequential and self.presented):
                request = self.waiting.popleft()
                self.presented[request] = None
                self._present(request)
        finally:
            self._dispatching -= 1

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
        major = irp.major
        events = machine.events
        if events.listeners:
            events.emit(Event.REQUEST_PRESENTED, request.handle, irp.major_name, irp.requestor_mode)
        if major in (IRP_MJ_READ, IRP_MJ_WRITE) and irp.length == 0:
            if not config.AllowZeroLengthRequests:
                request.complete(STATUS_SUCCESS, 0)
                return
        callback, args, name = None, (), ""
        if major == IRP_MJ_READ:
            callback, args, name = config.EvtIoRead, (irp.length,), "EvtIoRead"
        elif major == IRP_MJ_WRITE:
            callback, args, name = config.EvtIoWrite, (irp.length,), "EvtIoWrite"
        elif major == IRP_MJ_DEVICE_CONTROL:
            callback, name = config.EvtIoDeviceControl, "EvtIoDeviceControl"
            args = (irp.output_length, irp.input_length, irp.ioctl_code)
        elif major == IRP_MJ_INTERNAL_DEVICE_CONTROL:
            callback, name = config.EvtIoInternalDeviceControl, "EvtIoInternalDeviceControl"
            args = (irp.output_length, irp.input_length, irp.ioctl_code)
        if callback is None and config.EvtIoDefault is not None:
            callback, args, name = config.EvtIoDefault, (), "EvtIoDefault"
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
                "".join(f", {a}" for a in args),
            )
            machine.run_callback(name, callback, self.handle, request.handle, *args)
        finally:
            if lock is not None:
                lock.release(previous_irql)  # CallbackEnd

    def request_done(self, request: FxRequest) -> None:
        """The driver completed (or forgot) a request it owned: present the next one."""
        self.presented.pop(request, None)
        self._dispatch()

    def on_destroy(self) -> None:
        """FxPkgIo::RemoveIoQueue: the device forgets the queue."""
        if self in self.device.queues:
            self.device.queues.remove(self)

    def detail(self) -> QueueDetail:
        return QueueDetail(
            QueueDispatch(self.config.DispatchType),
            bool(self.config.DefaultQueue),
            len(self.presented),
        )
