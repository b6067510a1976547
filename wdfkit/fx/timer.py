"""FxTimer (WDFTIMER): a kernel timer whose DPC calls the driver's EvtTimerFunc.

``WdfTimerStart`` sets the kernel timer: a negative DueTime is relative (100 ns units from now),
a positive one absolute; a periodic timer then fires every ``Period`` milliseconds until it is
stopped.  When it expires its DPC runs at DISPATCH_LEVEL and calls ``EvtTimerFunc(Timer)`` there
— or, for a timer created with ``WdfExecutionLevelPassive``, queues a system work item that calls
it at PASSIVE_LEVEL (only one at a time: an expiry while the last call is still queued queues
nothing).  With ``AutomaticSerialization`` the callback runs holding the callback lock of the
parent's nearest object with callback constraints (its queue or its device) when that object's
synchronization scope is Device or Queue.

The timer keeps a reference on its parent and one on itself until it is run down: deleting it
(or its parent) disposes it, which stops the timer, waits for a callback in flight and releases
both (FxTimer::Dispose → FlushAndRundown).  KMDF disposes a timer only at PASSIVE_LEVEL (it is
marked "passive dispose"): deleted above it — from its own DPC, say — the rundown is deferred to
a work item, which wdfkit schedules on the virtual clock right away.

Mirrors: fxtimer.cpp (FxTimer::_Create, Initialize, TimerHandler, _FxTimerDpcThunk,
_FxTimerWorkItemCallback, Dispose, FlushAndRundown, Start, Stop), fxtimer.hpp (GetObject),
fxobject.cpp (FxObject::_GetEffectiveLock), fxdevicebase.cpp (FxDeviceBase::_SearchForDevice),
mxtimerkm.h (MxTimer::StartWithReturn: ExSetTimer with the period in ms × 10,000; Stop:
ExCancelTimer).
Simplified: one processor, so a callback never runs beside the thread that stops the timer
(WdfTimerStop(Wait=TRUE) runs a work item still queued at once instead of waiting for a worker
thread); ``TolerableDelay`` and ``UseHighResolutionTimer`` are checked but the virtual clock fires
every timer at its exact due time; the system time a positive DueTime names is the machine's time
since boot, as for request timeouts; the EX_TIMER and work item KMDF allocates are not pool
blocks in wdfkit.  A timer deleted above PASSIVE_LEVEL runs its EvtCleanupCallback at once (KMDF
runs it in the deferred dispose).  A passive timer whose callback falls due while another
callback holding the same passive callback lock waits (a synchronous send) runs nested in it:
on Windows its work item would block on the lock until that callback returns.
"""

from ..kernel.clock import TICKS_PER_SECOND
from ..kernel.ntstatus import (
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_SUCCESS,
    STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL,
)
from ..kernel.pool import DISPATCH_LEVEL, PASSIVE_LEVEL
from ..sim.snapshot import TimerDetail
from .call import named
from .object import FxObject
from .request import FxRequest
from .synchronization import (
    EXECUTION_LEVEL_PASSIVE,
    SYNCHRONIZATION_SCOPE_DEVICE,
    SYNCHRONIZATION_SCOPE_QUEUE,
)

FX_TYPE_TIMER = 0x1028  # fxtypes.h: FX_TYPES_BASE + 0x28
TICKS_PER_MS = TICKS_PER_SECOND // 1000


def search_for_device(obj: FxObject):
    """FxDeviceBase::_SearchForDevice (fxdevicebase.cpp): ``(device, callbacks)`` for *obj*.

    The device is *obj*'s device base (itself or its nearest device ancestor; a request a
    queue presented has no parent, and KMDF keeps its device: the queue's).  *callbacks* is the
    nearest object from *obj* up that has callback constraints (answers FX_TYPE_IHASCALLBACKS:
    a device or a queue, in wdfkit the objects with a ``callback_lock``), else the device.
    ``(None, None)`` when *obj* belongs to no device.  Simplified: KMDF keeps each object's
    device (m_DeviceBase) for its whole life; wdfkit finds it through the parent links, which a
    deletion cuts, so a deleted but still referenced parent answers "no device" here where
    KMDF's Commit would answer STATUS_DELETE_PENDING.
    """
    device = obj.device_base()
    if device is None and isinstance(obj, FxRequest) and obj.queue is not None:
        device = obj.queue.device
    if device is None:
        return None, None
    walk = obj
    while walk is not None:
        if hasattr(walk, "callback_lock"):
            return device, walk
        walk = walk.parent
    return device, device


def passive_callbacks(obj: FxObject) -> bool:
    """FxObject::IsPassiveCallbacks for the objects wdfkit records it for: a queue or device
    (the objects with a resolved ``execution_level``; a timer's parent is never the driver)
    whose execution level is WdfExecutionLevelPassive.  (KMDF also marks any object created with
    that level, and paged-pool memory; wdfkit takes every other object as not passive.)"""
    return getattr(obj, "execution_level", None) == EXECUTION_LEVEL_PASSIVE


def effective_lock(parent: FxObject, callbacks: FxObject, automatic: bool, passive: bool):
    """FxObject::_GetEffectiveLock (fxobject.cpp): ``(status, lock)``.

    No automatic serialization, or a scope of None (or InheritFromParent): no lock.  A scope of
    Device or Queue: the callbacks object's lock, unless the timer's level and the parent's
    disagree (a passive timer on a dispatch-level parent or the reverse):
    STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL, after a Verifier debug break.
    """
    if not automatic:
        return STATUS_SUCCESS, None
    if callbacks.synchronization_scope not in (
        SYNCHRONIZATION_SCOPE_DEVICE,
        SYNCHRONIZATION_SCOPE_QUEUE,
    ):
        return STATUS_SUCCESS, None
    if passive != passive_callbacks(parent):
        parent.machine.trace(
            "%r cannot automatically synchronize callbacks with a %s-level timer: "
            "set AutomaticSerialization to FALSE (%sdebug break)",
            parent.handle,
            "passive" if passive else "dispatch",
            "Verifier " if parent.machine.kmdf_verifier else "no ",
        )
        return STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL, None
    return STATUS_SUCCESS, callbacks.callback_lock


class FxTimer(FxObject):
    """A WDFTIMER: the kernel timer, its callback, its parent and the lock it runs under."""

    TYPE = FX_TYPE_TIMER
    HANDLE_NAME = "WDFTIMER"
    OBJECT_SIZE = 0xE0

    def __init__(self, machine, block, config, passive: bool) -> None:
        FxObject.__init__(self, machine, block)
        self.callback = config.EvtTimerFunc
        self.period_ms = config.Period
        self.passive = passive
        """Created with WdfExecutionLevelPassive: the DPC queues a work item (m_SystemWorkItem)."""
        self.lock = None
        """m_CallbackLock: the parent's callback lock EvtTimerFunc runs under, or None."""
        self.object: FxObject | None = None
        """m_Object: the parent it holds a reference on, until the rundown (GetObject)."""
        self.entry = None
        """The kernel timer's next expiry on the virtual clock (a Scheduled entry), or None."""
        self.work_item = None
        """The passive work item queued on the clock and not yet run, or None."""
        self.running_down = False  # m_RunningDown
        self.in_callback = False  # m_CallbackThread == the current thread
        self.stopping = False  # m_StopThread != NULL
        self.start_aborted = False  # m_StartAborted
        self.fired = 0
        """How many times the kernel timer has expired (for the object tree and tests)."""

    @classmethod
    def create_timer(cls, machine, config, attributes, parent: FxObject):
        """FxTimer::_Create and Initialize, after WdfTimerCreate's checks: ``(status, timer)``.

        The order is KMDF's: allocate (STATUS_INSUFFICIENT_RESOURCES), take the timer's
        reference on itself, find the parent's device (none: STATUS_INVALID_DEVICE_REQUEST),
        choose the lock (STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL), reference the parent, then
        Commit (STATUS_DELETE_PENDING for a parent being deleted).  A failure deletes the timer
        again without calling the driver's callbacks (DeleteFromFailedCreate).  Only an
        *explicit* WdfExecutionLevelPassive in *attributes* makes a passive timer: KMDF ignores
        an inherited one (the comment in FxTimer::Initialize).
        """
        passive = attributes.ExecutionLevel == EXECUTION_LEVEL_PASSIVE
        timer = cls.construct(machine, config, passive)
        if timer is None:
            return STATUS_INSUFFICIENT_RESOURCES, None
        timer.add_ref("self")  # ADDREF(this): FlushAndRundown drops it, even after a failure
        status = timer._initialize(config, attributes, parent)
        if status is not STATUS_SUCCESS:
            timer.delete_from_failed_create()
            return status, None
        return status, timer

    def _initialize(self, config, attributes, parent: FxObject):
        device, callbacks = search_for_device(parent)
        if device is None:
            self.machine.trace("%r does not have a WDFDEVICE as an ancestor", parent.handle)
            return STATUS_INVALID_DEVICE_REQUEST
        status, self.lock = effective_lock(
            parent, callbacks, bool(config.AutomaticSerialization), self.passive
        )
        if status is not STATUS_SUCCESS:
            return status
        parent.add_ref(self)
        self.object = parent
        return self.commit(attributes, parent)

    # -- the kernel timer ----------------------------------------------------------------------
    def start(self, due_time: int) -> bool:
        """FxTimer::Start: (re)set the timer; TRUE if it was set already (ExSetTimer's answer).

        Refused while the timer runs down (a Verifier debug break; KMDF warns that it "will lead
        to a crash") or while WdfTimerStop(Wait=TRUE) is stopping it (the start is dropped and
        the stop returns TRUE)."""
        machine = self.machine
        if self.running_down:
            machine.trace(
                "WdfTimerStart: %r is running down: starting it will lead to a crash "
                "(%sdebug break)",
                self.handle,
                "Verifier " if machine.kmdf_verifier else "no ",
            )
            return False
        if self.stopping:
            machine.trace("WdfTimerStart: %r is being stopped; start ignored", self.handle)
            self.start_aborted = True
            return False
        was_set = self.entry is not None and machine.clock.cancel(self.entry)
        delay = -due_time if due_time < 0 else max(0, due_time - machine.clock.ticks)
        self.entry = machine.clock.schedule(delay, self._expire)
        machine.trace(
            "%r set: due in %.6f s%s",
            self.handle,
            delay / TICKS_PER_SECOND,
            f", then every {self.period_ms} ms" if self.period_ms else "",
        )
        return was_set

    def cancel(self) -> bool:
        """MxTimer::Stop (ExCancelTimer): TRUE if the timer was set."""
        entry, self.entry = self.entry, None
        return entry is not None and self.machine.clock.cancel(entry)

    def stop(self, wait: bool) -> bool:
        """FxTimer::Stop: cancel the timer; with *wait*, also let a callback in flight finish.

        Waiting from inside the timer's own callback would deadlock: KMDF breaks into the
        debugger (with Verifier) and returns FALSE without stopping anything.  Otherwise a
        passive timer's work item that is queued but not yet run runs now (the wait for it),
        and a WdfTimerStart it makes meanwhile is dropped, making the stop return TRUE.
        """
        machine = self.machine
        if not wait:
            return self.cancel()
        if self.in_callback:
            machine.trace(
                "WdfTimerStop: calling it with Wait=TRUE from within the callback of %r will "
                "lead to deadlock (%sdebug break); FALSE",
                self.handle,
                "Verifier " if machine.kmdf_verifier else "no ",
            )
            return False
        self.start_aborted = False
        self.stopping = True
        try:
            result = self.cancel()
            work_item = self.work_item
            if work_item is not None:  # WaitForExit: the queued work item runs to its end
                machine.clock.cancel(work_item)
                self._work_item()
        finally:
            self.stopping = False
        if self.start_aborted:
            self.start_aborted = False
            result = True
        return result

    def _expire(self) -> None:
        """The kernel timer expired: re-arm a periodic one, then its DPC runs at DISPATCH_LEVEL
        (_FxTimerExtCallbackThunk): the callback, or for a passive timer a work item queued
        unless one is queued already (TryToEnqueue)."""
        machine = self.machine
        self.entry = None
        self.fired += 1
        if self.period_ms:
            self.entry = machine.clock.schedule(self.period_ms * TICKS_PER_MS, self._expire)
        if self.passive:
            if self.work_item is None:
                self.work_item = machine.clock.schedule(0, self._work_item)
            return
        saved, machine.irql = machine.irql, DISPATCH_LEVEL
        try:
            self._timer_handler()
        finally:
            machine.irql = saved

    def _work_item(self) -> None:
        """_FxTimerWorkItemCallback: the callback on a system worker thread at PASSIVE_LEVEL."""
        machine = self.machine
        self.work_item = None
        saved, machine.irql = machine.irql, PASSIVE_LEVEL
        try:
            self._timer_handler()
        finally:
            machine.irql = saved

    def _timer_handler(self) -> None:
        """FxTimer::TimerHandler: EvtTimerFunc(Timer), under the callback lock if it has one."""
        if self.callback is None:
            return
        machine = self.machine
        lock = self.lock
        self.in_callback = True
        previous_irql = lock.acquire() if lock is not None else None
        try:
            machine.trace("EvtTimerFunc(%r)", self.handle)
            machine.run_callback("EvtTimerFunc", self.callback, self.handle)
        finally:
            if lock is not None:
                lock.release(previous_irql)
            self.in_callback = False

    # -- rundown -------------------------------------------------------------------------------
    def dispose(self) -> None:
        """FxTimer::Dispose: mark the timer running down, then FlushAndRundown — at once at
        PASSIVE_LEVEL, else in a work item (a passive-dispose object deleted above PASSIVE).

        A passive timer deleted from its own callback deadlocks on Windows: the rundown waits
        for the work item it is running in.  wdfkit reports that hang as a RuntimeError, which
        stops the machine (the driver's worker thread would never return)."""
        machine = self.machine
        self.running_down = True
        if machine.irql > PASSIVE_LEVEL:
            machine.clock.schedule(0, self._flush_and_rundown)
            return
        if self.in_callback:
            machine.trace(
                "Deleting %r from within its callback will lead to deadlock (%sdebug break)",
                self.handle,
                "Verifier " if machine.kmdf_verifier else "no ",
            )
            raise RuntimeError(
                named(
                    f"deleting {self.handle!r} (or its parent) inside its own passive-level "
                    "EvtTimerFunc deadlocks: the rundown waits for the work item that is running "
                    "the callback. Stop it with WdfTimerStop(Timer, FALSE) there and delete it "
                    "elsewhere."
                )
            )
        self._flush_and_rundown()

    def _flush_and_rundown(self) -> None:
        """FxTimer::FlushAndRundown: Stop(TRUE), drop the work item, release the parent and
        the timer's own reference."""
        machine = self.machine
        saved, machine.irql = machine.irql, PASSIVE_LEVEL
        try:
            self.stop(True)
            if self.work_item is not None:
                machine.clock.cancel(self.work_item)
                self.work_item = None
        finally:
            machine.irql = saved
        parent, self.object = self.object, None
        if parent is not None:
            parent.release(self)
        self.release("self")

    def detail(self) -> TimerDetail:
        return TimerDetail(
            self.period_ms,
            self.passive,
            self.entry is not None,
            None if self.entry is None else self.entry.when / TICKS_PER_SECOND,
            self.fired,
        )
