"""Automatic synchronization: the lock KMDF holds around a driver's event callbacks.

``SynchronizationScope`` and ``ExecutionLevel`` in an object's attributes (or its parent's, when
they say InheritFromParent; a device inherits the driver's, which in kernel mode are
WdfSynchronizationScopeNone and WdfExecutionLevelDispatch) decide the *callback lock*.  With
WdfSynchronizationScopeQueue a queue's event callbacks run holding the queue's own lock, with
WdfSynchronizationScopeDevice the device's; with WdfSynchronizationScopeNone no lock is taken and
a callback runs on the thread and at the IRQL that called it (PASSIVE_LEVEL for an application's
read, DISPATCH_LEVEL from a completion routine's DPC).  The lock is a spin lock — the callback
runs at DISPATCH_LEVEL, so paged pool is out of reach in it — unless the execution level is
WdfExecutionLevelPassive: then a passive lock (a fast mutex in a critical region, IRQL
unchanged).

Mirrors: fxdevicebase.cpp (FxDeviceBase::ConfigureConstraints, GetConstraints), fxioqueue.cpp
(ConfigureConstraints), fxcallback.hpp (FxLockedCallback), fxcallbackspinlock.hpp,
fxcallbackmutexlock.hpp.
"""

from ..kernel.pool import DISPATCH_LEVEL
from .verifier import INHERIT_FROM_PARENT

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
