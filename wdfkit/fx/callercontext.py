"""EvtIoInCallerContext: the one place a KMDF driver runs in its requestor's thread.

A driver that registered ``EvtIoInCallerContext`` (WdfDeviceInitSetIoInCallerContextCallback)
sees every read, write and device control before any queue does.  FxPkgIo::DispatchStep2
(fxpkgio.cpp) makes the request and, instead of queueing it, calls
DispatchToInCallerContextCallback: the IRP is marked pending, the request is the driver's
(under KMDF Verifier the flags FXREQUEST_FLAG_DRIVER_INPROCESS_CONTEXT and _DRIVER_OWNED are
set) and the callback runs right there, in the thread that sent the I/O — for an application's
request, in its process at PASSIVE_LEVEL, so its user buffers can be probed and locked.  The
driver then completes the request or hands it back with WdfDeviceEnqueueRequest, which queues
it to the queue the dispatch table chose (the request's "internal context") without calling the
callback again.  A request it does neither with stays the driver's: no queue knows it, removal
does not wait for it, and the application waits on.

Only the I/O package's major functions come here: IRP_MJ_READ, _WRITE, _DEVICE_CONTROL and
_INTERNAL_DEVICE_CONTROL (FxDevice::GetDispatchPackage: create, cleanup and close go to the
general package and never reach EvtIoInCallerContext).

Mirrors: fxpkgio.cpp (DispatchStep2, DispatchToInCallerContextCallback, EnqueueRequest,
VerifyEnqueueRequestUpdateFlags / RestoreFlags), fxrequest.cpp (VerifyRequestIsInCallerContext).
Simplified: a device with no queue for the request's type refuses the IRP before the callback,
where KMDF would still call it.
"""

from ..kernel.irp import (
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
)
from ..kernel.ntstatus import NT_SUCCESS, STATUS_INVALID_DEVICE_REQUEST
from ..sim.events import Event
from .call import named
from .request import FxRequest

IO_PACKAGE_MAJORS = frozenset(
    (IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL)
)
"""The major functions FxPkgIo dispatches (FxDevice::GetDispatchPackage, fxdevice.hpp)."""


def dispatch_in_caller_context(device, queue, irp) -> None:
    """DispatchStep2 with an in-caller-context callback: make the request, attach the
    requestor's process and call ``EvtIoInCallerContext(Device, Request)``; the request
    remembers *queue* for WdfDeviceEnqueueRequest."""
    machine = device.machine
    status, request = FxRequest.create_internal(machine, irp, queue)
    if request is None:
        irp.complete(status, 0)
        return
    callback = device.io_in_caller_context
    request.in_caller_context = True
    events = machine.events
    if events.listeners:  # SetPresented: the driver has it (a queue presenting it later adds none)
        events.emit(Event.REQUEST_PRESENTED, request.handle, irp.major_name, irp.requestor_mode)
    machine.trace("EvtIoInCallerContext(%r, %r)", device.handle, request.handle)
    with machine.user_memory.attached(irp.process):  # the requestor's own thread
        machine.run_callback("EvtIoInCallerContext", callback, device.handle, request.handle)
    if request.in_caller_context and not request.completed:
        machine.trace(
            "%r: EvtIoInCallerContext neither completed nor enqueued it; the driver owns it "
            "and no queue knows of it",
            request.handle,
        )


def enqueue_request(device, request: FxRequest):
    """FxPkgIo::EnqueueRequest (fxpkgio.cpp): hand a request back to the I/O package.

    Under KMDF Verifier the request must have been given to EvtIoInCallerContext and not
    enqueued since (VerifyEnqueueRequestUpdateFlags: FXREQUEST_FLAG_DRIVER_INPROCESS_CONTEXT,
    which DispatchToInCallerContextCallback sets and only this clears, so a request the
    callback kept may be enqueued after it returned): else STATUS_INVALID_DEVICE_REQUEST and a
    debug break.
    The queue is the one chosen when the request was dispatched — KMDF does not look at
    *device* for it, so a request of another device goes to its own device's queue — and the
    request leaves its caller's context (the in-process flag is cleared; restored if the queue
    refuses).  The queue presents it in an arbitrary thread: the user context is detached
    while it does, even when it presents at once, nested in EvtIoInCallerContext.
    Simplified: without Verifier KMDF checks nothing: a request already queued or presented
    would be inserted twice (the queue's lists corrupted), one the driver created routed by
    its major function; wdfkit refuses both with a ValueError.
    """
    machine = device.machine
    if not request.in_caller_context or request.completed:  # …InCallerContext, …DriverOwned
        if machine.kmdf_verifier:
            machine.trace(
                "KMDF Verifier: %r: WdfDeviceEnqueueRequest is valid only in "
                "EvtIoInCallerContext (debug break)",
                request.handle,
            )
            return STATUS_INVALID_DEVICE_REQUEST
        raise ValueError(
            named(
                f"{request.handle!r} is not in its EvtIoInCallerContext: KMDF (Verifier off) "
                "would insert it into a queue a second time; wdfkit does not simulate that"
            )
        )
    request.in_caller_context = False
    with machine.user_memory.detached():
        status = request.queue.enqueue(request, from_driver=True)
    if not NT_SUCCESS(status):
        request.in_caller_context = True
    return status
