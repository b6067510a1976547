"""Cancellation: requests cancelled while they wait in a queue, and requests the driver holds
marked cancelable (WdfRequestMarkCancelable / …Ex / WdfRequestUnmarkCancelable /
WdfRequestIsCanceled, EvtRequestCancel, EvtIoCanceledOnQueue).

The application's side is IoCancelIrp on the request's IRP (what CancelIo, CancelIoEx and
closing the handle do).  Source: fxrequestapi.cpp (WdfRequestMarkCancelable,
WdfRequestMarkCancelableEx, WdfRequestUnmarkCancelable, WdfRequestIsCanceled), fxioqueue.cpp
(RequestCancelable, VerifyRequestCancelable, CancelForQueue, _IrpCancelForQueue,
CancelForDriver, _IrpCancelForDriver, ProcessCancelledRequests,
ProcessCancelledRequestsOnQueue), fxrequest.cpp (VerifyCompleteInternal, RemoveFromIrpQueue,
VerifyRequestIsCancelable / IsNotCancelable).
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest
from test_queue_control import build, keep

from wdfkit import *


def cancel(machine, io):
    """IoCancelIrp on an application's pending I/O, as CancelIoEx does."""
    return machine.within("CancelIoEx", io.irp.cancel)


def parallel(options=None, **callbacks):
    owned = []
    spec = {"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep(owned)}
    spec.update(callbacks)
    machine, device, q = build(default=spec, options=options)
    return machine, q["default"], owned


# -- cancelled while waiting in the queue ----------------------------------------------------------
def test_a_request_cancelled_while_waiting_is_completed_cancelled_without_the_driver():
    owned = []
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchSequential, "EvtIoRead": keep(owned)},
        options={"timeline": True},
    )
    app = machine.application()
    app.ReadFile(bytearray(4), overlapped=True)
    waiting = app.ReadFile(bytearray(4), overlapped=True)
    assert waiting.irp.CancelRoutine is not None  # the queue's own cancel routine
    assert cancel(machine, waiting) is True
    assert waiting.IoStatus.Status == STATUS_CANCELLED and len(owned) == 1
    assert WdfIoQueueGetState(q["default"])[1:] == (0, 1)
    text = machine.timeline.text()
    assert "cancelled: cancelled while waiting in its queue" in text
    assert "completed: handle invalid" in text.split("cancelled while waiting")[1]


def test_the_request_the_driver_owns_is_not_cancelled_unless_marked():
    machine, queue, owned = parallel()
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    assert io.irp.CancelRoutine is None  # presented: the queue's routine is gone
    assert cancel(machine, io) is False
    assert not io.done and WdfRequestIsCanceled(owned[0]) is True
    WdfRequestComplete(owned[0], STATUS_CANCELLED)
    assert io.IoStatus.Status == STATUS_CANCELLED


def test_evt_io_canceled_on_queue_gets_a_request_the_driver_had_before():
    got, cancelled = [], []

    def EvtIoCanceledOnQueue(Queue, Request):
        cancelled.append((Queue, Request))
        WdfRequestComplete(Request, STATUS_CANCELLED)

    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep(got)},
        parked={"dispatch": WdfIoQueueDispatchManual, "EvtIoCanceledOnQueue": EvtIoCanceledOnQueue},
    )
    app = machine.application()
    forwarded = app.ReadFile(bytearray(4), overlapped=True)
    assert WdfRequestForwardToIoQueue(got[0], q["parked"]) == STATUS_SUCCESS
    cancel(machine, forwarded)
    assert cancelled == [(q["parked"], got[0])]
    assert forwarded.IoStatus.Status == STATUS_CANCELLED


def test_evt_io_canceled_on_queue_is_not_called_for_a_request_never_presented():
    calls = []
    machine, device, q = build(
        default={
            "dispatch": WdfIoQueueDispatchManual,
            "EvtIoCanceledOnQueue": lambda Queue, Request: calls.append(Request),
        }
    )
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    cancel(machine, io)
    assert calls == [] and io.IoStatus.Status == STATUS_CANCELLED


# -- cancelable requests the driver holds ------------------------------------------------------
def test_evt_request_cancel_runs_under_the_queue_lock_and_completes_the_request():
    seen = []

    def EvtRequestCancel(Request):
        seen.append((Request, KeGetCurrentIrql()))
        WdfRequestComplete(Request, STATUS_CANCELLED)

    def EvtIoRead(Queue, Request, Length):
        WdfRequestMarkCancelable(Request, EvtRequestCancel)
        seen.append(Request)

    machine, device, q = build(
        default={
            "dispatch": WdfIoQueueDispatchParallel,
            "EvtIoRead": EvtIoRead,
            "scope": WdfSynchronizationScopeQueue,
        }
    )
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    assert cancel(machine, io) is True
    request = seen[0]
    assert seen[1] == (request, DISPATCH_LEVEL)  # the queue's spin lock is held
    assert io.IoStatus.Status == STATUS_CANCELLED and KeGetCurrentIrql() == PASSIVE_LEVEL


def test_unmark_then_complete_is_the_safe_path():
    machine, queue, owned = parallel()
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    WdfRequestMarkCancelable(owned[0], lambda Request: None)
    assert WdfRequestUnmarkCancelable(owned[0]) == STATUS_SUCCESS
    assert io.irp.CancelRoutine is None
    WdfRequestCompleteWithInformation(owned[0], STATUS_SUCCESS, 4)
    assert io.IoStatus.Information == 4


def test_unmark_after_the_cancel_routine_took_it_answers_cancelled():
    cancelled = []
    machine, queue, owned = parallel()
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    WdfRequestMarkCancelableEx(owned[0], lambda Request: cancelled.append(Request))
    cancel(machine, io)
    assert cancelled == [owned[0]]
    assert WdfRequestUnmarkCancelable(owned[0]) == STATUS_CANCELLED
    WdfRequestComplete(owned[0], STATUS_CANCELLED)  # no 0x48: the routine is off the IRP
    assert io.IoStatus.Status == STATUS_CANCELLED


def test_mark_cancelable_ex_on_a_cancelled_irp_answers_cancelled_and_calls_nothing():
    calls, answers = [], []

    def EvtIoRead(Queue, Request, Length):
        answers.append(WdfRequestMarkCancelableEx(Request, lambda R: calls.append(R)))
        WdfRequestComplete(Request, STATUS_CANCELLED)

    machine, device, q = build(default={"dispatch": WdfIoQueueDispatchManual})
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    io.irp.Cancel = True  # cancelled while a routine was not set (IoCancelIrp's flag)
    status, request = WdfIoQueueRetrieveNextRequest(q["default"])
    assert WdfRequestMarkCancelableEx(request, lambda R: calls.append(R)) == STATUS_CANCELLED
    assert calls == [] and io.irp.CancelRoutine is None
    WdfRequestComplete(request, STATUS_CANCELLED)
    assert io.IoStatus.Status == STATUS_CANCELLED


def test_mark_cancelable_on_a_cancelled_irp_calls_the_routine_after_the_callback_returns():
    order = []

    def EvtRequestCancel(Request):
        order.append("EvtRequestCancel")
        WdfRequestComplete(Request, STATUS_CANCELLED)

    def EvtIoRead(Queue, Request, Length):
        machine.within("CancelIoEx", pending[0].irp.cancel)  # another thread cancels meanwhile
        WdfRequestMarkCancelable(Request, EvtRequestCancel)
        order.append("EvtIoRead returns")

    pending = []
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchManual},
        second={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": EvtIoRead},
    )
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    pending.append(io)
    status, request = WdfIoQueueRetrieveNextRequest(q["default"])
    WdfRequestForwardToIoQueue(request, q["second"])
    assert order == ["EvtIoRead returns", "EvtRequestCancel"]
    assert io.IoStatus.Status == STATUS_CANCELLED


def test_completing_a_request_still_marked_cancelable_is_bug_check_0x48():
    machine, queue, owned = parallel()
    machine.application().ReadFile(bytearray(4), overlapped=True)
    WdfRequestMarkCancelable(owned[0], lambda Request: None)
    with pytest.raises(BugCheck) as crash:
        WdfRequestComplete(owned[0], STATUS_SUCCESS)
    assert crash.value.code == CANCEL_STATE_IN_COMPLETED_IRP
    assert any("completing cancelable" in line for line in machine.log_lines())


def test_verifier_refuses_double_marks_unmarking_unmarked_and_is_canceled_on_cancelable():
    machine, queue, owned = parallel()
    machine.application().ReadFile(bytearray(4), overlapped=True)
    request = owned[0]
    assert WdfRequestUnmarkCancelable(request) == STATUS_INVALID_DEVICE_REQUEST
    assert WdfRequestMarkCancelableEx(request, lambda R: None) == STATUS_SUCCESS
    assert WdfRequestMarkCancelableEx(request, lambda R: None) == STATUS_INVALID_DEVICE_REQUEST
    assert WdfRequestIsCanceled(request) is False
    assert "is marked cancelable" in machine.log_lines()[-1]
    assert WdfRequestUnmarkCancelable(request) == STATUS_SUCCESS
    WdfRequestComplete(request, STATUS_SUCCESS)


def test_without_verifier_unmarking_an_unmarked_request_answers_cancelled():
    machine, queue, owned = parallel(options={"verifier": False})
    machine.application().ReadFile(bytearray(4), overlapped=True)
    assert WdfRequestUnmarkCancelable(owned[0]) == STATUS_CANCELLED
    WdfRequestMarkCancelable(owned[0], lambda R: None)
    with pytest.raises(ValueError, match="WdfRequestMarkCancelable: .*already marked"):
        WdfRequestMarkCancelable(owned[0], lambda R: None)


def test_mark_cancelable_arguments():
    machine, queue, owned = parallel()
    machine.application().ReadFile(bytearray(4), overlapped=True)
    with pytest.raises(TypeError, match="WdfRequestMarkCancelableEx: EvtRequestCancel"):
        WdfRequestMarkCancelableEx(owned[0], "cancel")
    status, own = WdfRequestCreate(None, None)
    assert WdfRequestMarkCancelableEx(own, lambda R: None) == STATUS_INVALID_DEVICE_REQUEST
    assert WdfRequestUnmarkCancelable(own) == STATUS_INVALID_DEVICE_REQUEST
    WdfRequestMarkCancelable(own, lambda R: None)  # a debug break, nothing else
    with pytest.raises(BugCheck) as crash:
        WdfRequestMarkCancelable(owned[0], None)
    assert crash.value.parameters[0] == WDF_REQUIRED_PARAMETER_IS_NULL


def test_a_purge_cancels_the_drivers_cancelable_requests_without_cancelling_the_irp():
    cancelled = []

    def EvtRequestCancel(Request):
        cancelled.append(WdfRequestIsCanceled.__name__)
        WdfRequestComplete(Request, STATUS_CANCELLED)

    machine, queue, owned = parallel()
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    WdfRequestMarkCancelable(owned[0], EvtRequestCancel)
    WdfIoQueuePurgeSynchronously(queue)
    assert cancelled and io.IoStatus.Status == STATUS_CANCELLED and io.irp.Cancel is False


def test_during_a_purge_a_new_mark_cancelable_ex_answers_cancelled():
    machine, queue, owned = parallel()
    machine.application().ReadFile(bytearray(4), overlapped=True)
    WdfIoQueuePurge(queue, None, None)
    assert WdfRequestMarkCancelableEx(owned[0], lambda R: None) == STATUS_CANCELLED
    WdfRequestComplete(owned[0], STATUS_CANCELLED)


def test_a_cancelled_requests_memory_dies_at_its_completion():
    kept = {}

    def EvtRequestCancel(Request):
        WdfRequestComplete(Request, STATUS_CANCELLED)

    def EvtIoRead(Queue, Request, Length):
        kept["memory"] = WdfRequestRetrieveOutputMemory(Request)[1]
        WdfRequestMarkCancelable(Request, EvtRequestCancel)

    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": EvtIoRead},
        options={"timeline": True},
    )
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    cancel(machine, io)
    with pytest.raises(BugCheck, match="no longer exists"):
        WdfMemoryGetBuffer(kept["memory"])
    text = machine.timeline.text()
    assert "cancelled: EvtRequestCancel called" in text
    assert "invalid: request completed" in text


# -- the WDK echo sample's pattern (queue.c: EvtIoRead, EvtRequestCancel, EvtIoStop), our words --
def echo_like_machine():
    """A sequential queue at queue scope that parks each read, marked cancelable, until a
    'timer' (a clock entry standing in for WDFTIMER) completes it; EvtIoStop acknowledges a
    suspend and finishes the request for a purge."""
    context = {"current": None, "cancelled": []}

    def EvtRequestCancel(Request):
        context["cancelled"].append(Request)
        context["current"] = None
        WdfRequestComplete(Request, STATUS_CANCELLED)

    def EvtIoRead(Queue, Request, Length):
        status = WdfRequestMarkCancelableEx(Request, EvtRequestCancel)
        if not NT_SUCCESS(status):
            WdfRequestComplete(Request, status)
            return
        context["current"] = Request

    def EvtIoStop(Queue, Request, ActionFlags):
        if ActionFlags & WdfRequestStopActionSuspend:
            WdfRequestStopAcknowledge(Request, False)
        elif ActionFlags & WdfRequestStopActionPurge:
            if WdfRequestUnmarkCancelable(Request) != STATUS_CANCELLED:
                context["current"] = None
                WdfRequestComplete(Request, STATUS_CANCELLED)

    def timer():
        request = context["current"]
        if request is not None and WdfRequestUnmarkCancelable(request) != STATUS_CANCELLED:
            context["current"] = None
            WdfRequestCompleteWithInformation(request, STATUS_SUCCESS, 0)

    machine, device, q = build(
        default={
            "dispatch": WdfIoQueueDispatchSequential,
            "EvtIoRead": EvtIoRead,
            "EvtIoStop": EvtIoStop,
            "scope": WdfSynchronizationScopeQueue,
        }
    )
    return machine, q["default"], context, timer


def test_echo_pattern_a_timer_completes_a_read_and_cancel_takes_the_next():
    machine, queue, context, timer = echo_like_machine()
    app = machine.application()
    first = app.ReadFile(bytearray(8), overlapped=True)
    second = app.ReadFile(bytearray(8), overlapped=True)
    machine.clock.schedule(20_000_000, timer)
    machine.advance(2)
    assert first.IoStatus.Status == STATUS_SUCCESS  # and the second is presented now
    assert context["current"] is not None
    cancel(machine, second)
    assert second.IoStatus.Status == STATUS_CANCELLED and context["current"] is None
    machine.clock.schedule(20_000_000, timer)
    machine.advance(2)  # the timer finds nothing to complete


def test_echo_pattern_a_removal_purge_finishes_the_parked_read_in_evt_io_stop():
    machine, queue, context, timer = echo_like_machine()
    app = machine.application()
    parked = app.ReadFile(bytearray(8), overlapped=True)
    waiting = app.ReadFile(bytearray(8), overlapped=True)
    fxq = machine.devices[0].default_queue
    assert fxq.stop_processing_for_power("stop") is True  # suspend: acknowledged, kept
    assert not parked.done
    assert fxq.stop_processing_for_power("purge") is True
    assert waiting.IoStatus.Status == STATUS_CANCELLED
    assert parked.IoStatus.Status == STATUS_CANCELLED and fxq.idle
    assert context["cancelled"] == [context["cancelled"][0]]  # EvtRequestCancel, by the purge


def test_a_passive_queue_defers_evt_request_cancel_from_dispatch_level_to_its_work_item():
    seen = []

    def EvtRequestCancel(Request):
        seen.append(KeGetCurrentIrql())
        WdfRequestComplete(Request, STATUS_CANCELLED)

    def EvtIoRead(Queue, Request, Length):
        WdfRequestMarkCancelable(Request, EvtRequestCancel)

    made = {}

    def add(Driver, DeviceInit):
        status, device = WdfDeviceCreate(DeviceInit, None)
        config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchParallel)
        config.EvtIoRead = EvtIoRead
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        attributes.ExecutionLevel = WdfExecutionLevelPassive
        attributes.SynchronizationScope = WdfSynchronizationScopeQueue
        status, made["queue"] = WdfIoQueueCreate(device, config, attributes)
        return status

    machine = boot("Toaster")
    machine.add_device(add)
    io = machine.application().ReadFile(bytearray(4), overlapped=True)

    def dpc():  # a DPC (at DISPATCH_LEVEL, as a timer's) cancels the read
        saved, machine.irql = machine.irql, DISPATCH_LEVEL
        try:
            machine.within("a DPC", io.irp.cancel)
        finally:
            machine.irql = saved

    machine.clock.schedule(10_000, dpc)
    machine.advance(0.001)
    assert seen == [PASSIVE_LEVEL] and io.IoStatus.Status == STATUS_CANCELLED
    assert any("deferred to a work item" in line for line in machine.log_lines())
