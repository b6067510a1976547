"""FxDevice (WDFDEVICE) and FxIoQueue (WDFQUEUE): where requests arrive and wait.

``EvtDriverDeviceAdd`` gets a WDFDEVICE_INIT, chooses the buffering method for reads and writes
(``WdfDeviceInitSetIoType``), creates the device and its default queue.  The device's default
I/O target is the driver below it.  The queue turns each IRP into a WDFREQUEST and presents it
to the driver's callback for its type — one at a time (sequential: the next waits until the
driver completes the current one) or all at once (parallel).  A type with no callback is
completed with STATUS_INVALID_DEVICE_REQUEST; a zero-length read or write is completed with
STATUS_SUCCESS unless the queue allows zero-length requests.

Automatic synchronization.  ``SynchronizationScope`` and ``ExecutionLevel`` in the queue's
attributes (or the device's, when the queue says InheritFromParent; the device inherits the
driver's, which in kernel mode are WdfSynchronizationScopeNone and WdfExecutionLevelDispatch)
decide the queue's *callback lock*.  With WdfSynchronizationScopeQueue the queue's event
callbacks run holding the queue's own lock, with WdfSynchronizationScopeDevice the device's; with
WdfSynchronizationScopeNone no lock is taken and a callback runs on the thread and at the IRQL
that presented the request (PASSIVE_LEVEL for an application's read, DISPATCH_LEVEL from a
completion routine's DPC).  The lock is a spin lock — the callback runs at DISPATCH_LEVEL, so
paged pool is out of reach in it — unless the execution level is WdfExecutionLevelPassive: then
a passive lock (a fast mutex in a critical region, IRQL unchanged), and a queue asked to present
a request above PASSIVE_LEVEL defers the presentation to its system work item.

Mirrors: fxdevice.cpp (FxDevice::_Create), fxdevicebase.cpp (FxDeviceBase::ConfigureConstraints,
GetConstraints), fxioqueue.cpp (ConfigureConstraints, CanThreadDispatchEventsLocked,
DispatchEvents, DispatchRequestToDriver, DeferredDispatchRequestsFromWorkerThread, the presented
and driver-owned lists), fxioqueuecallbacks.hpp (FxIoQueueIoRead::Invoke: CallbackStart/End
around the driver's routine), fxcallback.hpp (FxLockedCallback), fxcallbackspinlock.hpp,
fxcallbackmutexlock.hpp, fxpkgio.cpp (Dispatch, CreateQueue, InitializeDefaultQueue),
fxdeviceinit.cpp.
Simplified: one device, one default queue, no power management.  One processor and one
thread: on Windows a parallel queue without a scope runs callbacks on several processors at once
and a scope's lock makes them take turns; wdfkit can show the difference only where a callback
gives the processor up.  While a callback waits (a synchronous send, which needs PASSIVE_LEVEL,
so a passive queue) and virtual time brings another thread's request, that request's callback
runs nested in the waiting one when the queue has no lock, and only after the waiting one
returns when it has.  What the scope changes besides is the IRQL a callback runs at and, for a
passive queue, where a presentation is deferred.  KMDF also defers to a DPC or work item when
the presenting thread already owns the callback lock; no wdfkit path presents a request while
the same thread holds the lock (a completion inside a callback waits for the running loop, as
m_Dispatching makes KMDF do), so that branch is not modelled.
"""

from collections import deque

from ..kernel.irp import (
    DO_BUFFERED_IO,
    DO_DIRECT_IO,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
)
from ..kernel.lowerdevice import LowerDevice
from ..kernel.ntstatus import (
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    STATUS_UNSUCCESSFUL,
    STATUS_WDF_NO_CALLBACK,
)
from ..kernel.pool import DISPATCH_LEVEL, PASSIVE_LEVEL
from ..sim.events import Event
from ..sim.snapshot import DeviceDetail, DeviceIoType, QueueDetail, QueueDispatch
from .call import named
from .handles import FX_TYPE_DEVICE, FX_TYPE_QUEUE
from .iotarget import FxIoTarget
from .object import FxObject, attributes_parent
from .request import FxRequest
from .verifier import INHERIT_FROM_PARENT

# WDF_DEVICE_IO_TYPE (wdfdevice.h; a driver's names are WdfDeviceIo…, in wdfkit.ddi.wdfdevice)
# and the device-object flag FxDevice::CreateDevice sets for each (fxdevice.cpp).
IO_BUFFERED, IO_NEITHER, IO_DIRECT = 1, 2, 3
IO_TYPE_FLAGS = {IO_BUFFERED: DO_BUFFERED_IO, IO_NEITHER: 0, IO_DIRECT: DO_DIRECT_IO}
IO_TYPE_NAMES = {IO_BUFFERED: "buffered", IO_NEITHER: "neither", IO_DIRECT: "direct"}
# WDF_IO_QUEUE_DISPATCH_TYPE (wdfio.h; WdfIoQueueDispatch…, in wdfkit.ddi.wdfio).
DISPATCH_SEQUENTIAL, DISPATCH_PARALLEL, DISPATCH_MANUAL = 1, 2, 3
DISPATCH_NAMES = {DISPATCH_SEQUENTIAL: "sequential", DISPATCH_PARALLEL: "parallel"}
DISPATCH_NAMES[DISPATCH_MANUAL] = "manual"
# WDF_EXECUTION_LEVEL and WDF_SYNCHRONIZATION_SCOPE values beside fx.verifier's (wdfobject.h; a
# driver's names, WdfExecutionLevel… and WdfSynchronizationScope…, are in wdfkit.ddi.wdfobject).
EXECUTION_LEVEL_PASSIVE = 2
SYNCHRONIZATION_SCOPE_DEVICE, SYNCHRONIZATION_SCOPE_QUEUE = 2, 3


def constraints(attributes, parent_level: int, parent_scope: int) -> tuple[int, int]:
    """``(execution level, synchronization scope)`` from *attributes*, each InheritFromParent
    (or no attributes at all) replaced by the parent's.  As FxDeviceBase::ConfigureConstraints
    and FxIoQueue::ConfigureConstraints do before they choose a lock."""
    level = scope = INHERIT_FROM_PARENT
    if attributes is not None:
        level, scope = attributes.ExecutionLevel, attributes.SynchronizationScope
    if level == INHERIT_FROM_PARENT:
        level = parent_level
    if scope == INHERIT_FROM_PARENT:
        scope = parent_scope
    return level, scope


class FxCallbackLock:
    """The lock KMDF holds around a driver's event callbacks under automatic synchronization.

    A spin lock (FxCallbackSpinLock: MxLock::Acquire, KeAcquireSpinLock) raises the IRQL to
    DISPATCH_LEVEL while it is held; a passive lock (FxCallbackMutexLock, for
    WdfExecutionLevelPassive: MxEnterCriticalRegion and ExAcquireFastMutexUnsafe) leaves the
    IRQL at PASSIVE_LEVEL.  KMDF initialises one for every device and both kinds for every
    queue, used or not; wdfkit builds a queue's own lock only when its scope is Queue.
    Mirrors fxcallbackspinlock.hpp and fxcallbackmutexlock.hpp (Lock, Unlock).
    Simplified: no owner thread (one thread; see the module docstring), so the recursive
    acquire that KMDF bug-checks as WDF_RECURSIVE_LOCK cannot be reached and is not modelled.
    """

    def __init__(self, machine, passive: bool) -> None:
        self.machine = machine
        self.passive = passive
        self.held = False

    def acquire(self) -> int:
        """Lock: returns the IRQL to restore."""
        machine = self.machine
        previous = machine.irql
        self.held = True
        if not self.passive:
            machine.irql = DISPATCH_LEVEL
        return previous

    def release(self, previous_irql: int) -> None:
        """Unlock: back to the IRQL before :meth:`acquire`."""
        self.held = False
        self.machine.irql = previous_irql


class WDFDEVICE_INIT:
    """What EvtDriverDeviceAdd receives: settings for the device about to be created."""

    def __init__(self) -> None:
        self.IoType = IO_BUFFERED
        self.used = False


class FxDevice(FxObject):
    """A WDFDEVICE: its buffering method, its default queue and its default I/O target.

    To the I/O manager it is a DEVICE_OBJECT (wdfkit.kernel.iomanager): ``Flags`` and
    ``dispatch``.
    """

    TYPE = FX_TYPE_DEVICE
    HANDLE_NAME = "WDFDEVICE"
    OBJECT_SIZE = 0x300
    no_delete_ddi = True

    def __init__(self, machine, block, io_type: int) -> None:
        FxObject.__init__(self, machine, block)
        self.io_type = io_type
        self.Flags = IO_TYPE_FLAGS[io_type]
        """DEVICE_OBJECT.Flags: DO_BUFFERED_IO or DO_DIRECT_IO, from the WDF_DEVICE_IO_TYPE."""
        self.default_queue: FxIoQueue | None = None
        self.lower = LowerDevice(machine)
        self.target: FxIoTarget | None = None
        self.configure_constraints(None)  # until create() applies the attributes

    @classmethod
    def create(cls, machine, attributes, device_init: WDFDEVICE_INIT):
        """FxDevice::_Create: construct the device and commit it under the driver, then give
        it its default I/O target (FxPkgFdo::PostCreateDeviceInitialize), the driver below it.
        *device_init* is used up.  ``(status, device)``.  Mirrors fxdevice.cpp."""
        status, device = super().create(machine, attributes, machine.driver, device_init.IoType)
        if device is None:
            return status, None
        device.configure_constraints(attributes)
        status, device.target = FxIoTarget.create_default(device)
        if device.target is None:
            device.delete_from_failed_create()
            return status, None
        device_init.used = True
        machine.devices.append(device)
        return status, device

    def configure_constraints(self, attributes) -> None:
        """FxDeviceBase::ConfigureConstraints: the device's execution level and scope (the
        driver's where the attributes inherit) and its callback lock, a passive one for
        WdfExecutionLevelPassive, else a spin lock.  Queues with WdfSynchronizationScopeDevice
        share this lock; a queue inherits level and scope from here (GetConstraints)."""
        driver = self.machine.driver
        self.execution_level, self.synchronization_scope = constraints(
            attributes, driver.execution_level, driver.synchronization_scope
        )
        self.callback_lock = FxCallbackLock(
            self.machine, self.execution_level == EXECUTION_LEVEL_PASSIVE
        )

    def create_queue(self, attributes, config):
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
        machine = self.machine
        parent = attributes_parent(machine, attributes)
        if parent is None:
            parent = self
        elif parent.device_base() is not self:
            return STATUS_INVALID_DEVICE_REQUEST, None
        status = queue_config_status(config)
        if status is not STATUS_SUCCESS:
            return status, None
        if config.DispatchType == DISPATCH_MANUAL:
            raise ValueError(named("wdfkit does not simulate manual queues"))
        level, scope = constraints(attributes, self.execution_level, self.synchronization_scope)
        if scope == SYNCHRONIZATION_SCOPE_DEVICE and level != self.execution_level:
            return STATUS_INVALID_PARAMETER, None
        status, queue = FxIoQueue.create(machine, attributes, parent, self, config, level, scope)
        if queue is not None and config.DefaultQueue:
            if self.default_queue is not None:
                queue.delete_from_failed_create()
                return STATUS_UNSUCCESSFUL, None
            self.default_queue = queue
        return status, queue

    def dispatch(self, irp) -> None:
        """FxPkgIo::Dispatch: hand the IRP to the default queue, or refuse it."""
        if self.default_queue is None:
            irp.complete(STATUS_INVALID_DEVICE_REQUEST, 0)
            return
        self.default_queue.receive(irp)

    def detail(self) -> DeviceDetail:
        return DeviceDetail(DeviceIoType(self.io_type))


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

    def __init__(self, machine, block, device: FxDevice, config, level: int, scope: int):
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
        """A new IRP: wrap it in a request and dispatch."""
        status, request = FxRequest.create_internal(self.machine, irp, self)
        if request is None:
            irp.complete(status, 0)
            return
        self.requests_seen += 1
        self.waiting.append(request)
        self._dispatch(new_io=True)

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

    def detail(self) -> QueueDetail:
        return QueueDetail(
            QueueDispatch(self.config.DispatchType),
            bool(self.config.DefaultQueue),
            len(self.presented),
        )
