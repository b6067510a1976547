"""Queue control: manual queues, start/stop/purge, retrieving, forwarding, per-type queues, and
the power stop/purge the removal path drives (FxIoQueue::StopProcessingForPower).

Source: fxioqueueapi.cpp (WdfIoQueueStart, Stop, StopSynchronously, Purge,
PurgeSynchronously, RetrieveNextRequest, GetState), fxioqueue.cpp (QueueStart, QueueIdle,
QueuePurge, GetRequest, ForwardRequest, QueueRequest, QueueRequestFromForward,
ProcessPowerEvents, ProcessAcknowledgedRequests, StopProcessingForPower,
ResumeProcessingForPower, FatalError), fxrequestapi.cpp (WdfRequestForwardToIoQueue,
WdfRequestGetIoQueue, WdfRequestStopAcknowledge), fxdeviceapi.cpp and fxpkgio.cpp
(WdfDeviceConfigureRequestDispatching, ConfigureForwarding).
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.fx.handles import FX_TYPE_QUEUE, get_object

# WDF_REQUEST_TYPE values (wdfrequest.h: each is its IRP_MJ_ code) and WDF_TRI_STATE's WdfFalse
# (wdftypes.h), as the driver writes them.
WdfRequestTypeRead, WdfRequestTypeWrite = 0x3, 0x4
WdfFalse = 0


def build(default=None, options=None, **others):
    """A machine with a device and queues: *default* (or None) and named *others*, each a dict
    of WDF_IO_QUEUE_CONFIG fields plus ``dispatch`` and optional ``scope``.
    *options* go to boot().  Returns ``(machine, device handle, {name: queue handle})``."""
    made = {}

    def add(Driver, DeviceInit):
        status, device = WdfDeviceCreate(DeviceInit, None)
        made["device"] = device
        specs = ([("default", default, True)] if default is not None else []) + [
            (name, spec, False) for name, spec in others.items()
        ]
        for name, spec, is_default in specs:
            spec = dict(spec)
            config = WDF_IO_QUEUE_CONFIG()
            init = (
                WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE if is_default else WDF_IO_QUEUE_CONFIG_INIT
            )
            init(config, spec.pop("dispatch"))
            attributes = None
            scope = spec.pop("scope", None)
            if scope is not None:
                attributes = WDF_OBJECT_ATTRIBUTES()
                WDF_OBJECT_ATTRIBUTES_INIT(attributes)
                attributes.SynchronizationScope = scope
            for field, value in spec.items():
                setattr(config, field, value)
            status, made[name] = WdfIoQueueCreate(device, config, attributes)
            assert status == STATUS_SUCCESS, (name, status)
        return status

    machine = boot("Toaster", **(options or {}))
    machine.add_device(add)
    device = made.pop("device")
    return machine, device, made


def fx(machine, handle):
    return get_object(machine, handle, FX_TYPE_QUEUE, "Queue")


def keep(store):
    """An EvtIo callback that keeps every request it is given."""

    def callback(Queue, Request, *lengths):
        store.append(Request)

    return callback


# -- manual queues and WdfIoQueueRetrieveNextRequest ----------------------------------------------
def test_a_manual_queue_keeps_requests_until_the_driver_retrieves_them():
    machine, device, q = build(default={"dispatch": WdfIoQueueDispatchManual})
    app = machine.application()
    first = app.ReadFile(bytearray(4), overlapped=True)
    second = app.ReadFile(bytearray(4), overlapped=True)
    assert not first.done and not second.done
    state, waiting, owned = WdfIoQueueGetState(q["default"])
    assert (waiting, owned) == (2, 0) and WDF_IO_QUEUE_READY(state)

    status, request = WdfIoQueueRetrieveNextRequest(q["default"])
    assert status == STATUS_SUCCESS and WdfRequestGetIoQueue(request) == q["default"]
    WdfRequestCompleteWithInformation(request, STATUS_SUCCESS, 4)
    assert first.IoStatus.Status == STATUS_SUCCESS and first.IoStatus.Information == 4
    status, request = WdfIoQueueRetrieveNextRequest(q["default"])
    WdfRequestComplete(request, STATUS_SUCCESS)
    assert second.done
    assert WdfIoQueueRetrieveNextRequest(q["default"]) == (STATUS_NO_MORE_ENTRIES, None)
    assert not NT_SUCCESS(STATUS_NO_MORE_ENTRIES)


def test_retrieve_is_refused_on_a_parallel_queue_and_paused_on_a_stopped_one():
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep([])},
        manual={"dispatch": WdfIoQueueDispatchManual},
    )
    assert WdfIoQueueRetrieveNextRequest(q["default"]) == (STATUS_INVALID_DEVICE_STATE, None)
    WdfIoQueueStop(q["manual"], None, None)
    assert WdfIoQueueRetrieveNextRequest(q["manual"]) == (STATUS_WDF_PAUSED, None)
    WdfIoQueueStart(q["manual"])
    assert WdfIoQueueRetrieveNextRequest(q["manual"]) == (STATUS_NO_MORE_ENTRIES, None)


def test_retrieve_completes_zero_length_reads_on_the_way():
    machine, device, q = build(default={"dispatch": WdfIoQueueDispatchManual})
    app = machine.application()
    empty = app.ReadFile(bytearray(0), overlapped=True)
    full = app.ReadFile(bytearray(8), overlapped=True)
    status, request = WdfIoQueueRetrieveNextRequest(q["default"])
    assert empty.done and empty.IoStatus.Status == STATUS_SUCCESS
    assert status == STATUS_SUCCESS and not full.done
    WdfRequestComplete(request, STATUS_SUCCESS)


def test_a_manual_queue_with_a_callback_is_refused():
    machine, device, _ = build()

    def add_manual():
        config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT(config, WdfIoQueueDispatchManual)
        config.EvtIoRead = keep([])
        return WdfIoQueueCreate(device, config, None)

    assert add_manual() == (STATUS_INVALID_PARAMETER, None)


# -- stop, start, purge ---------------------------------------------------------------------------
def test_stop_holds_new_requests_and_calls_back_once_the_driver_owns_none():
    owned, calls = [], []
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep(owned)}
    )
    app = machine.application()
    app.ReadFile(bytearray(4), overlapped=True)
    WdfIoQueueStop(q["default"], lambda Queue, Context: calls.append((Queue, Context)), "ctx")
    assert calls == []  # the driver still owns one
    held = app.ReadFile(bytearray(4), overlapped=True)
    assert len(owned) == 1 and not held.done  # accepted, not presented
    state, waiting, driver = WdfIoQueueGetState(q["default"])
    assert not WDF_IO_QUEUE_STOPPED(state) and (waiting, driver) == (1, 1)
    WdfRequestComplete(owned.pop(), STATUS_SUCCESS)
    assert calls == [(q["default"], "ctx")]
    assert WDF_IO_QUEUE_STOPPED(WdfIoQueueGetState(q["default"])[0])
    WdfIoQueueStart(q["default"])
    assert len(owned) == 1  # the held read is presented now
    WdfRequestComplete(owned.pop(), STATUS_SUCCESS)
    assert held.IoStatus.Status == STATUS_SUCCESS


def test_a_second_stop_callback_while_one_is_pending_is_a_queue_fatal_error():
    owned = []
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep(owned)}
    )
    machine.application().ReadFile(bytearray(4), overlapped=True)
    WdfIoQueueStop(q["default"], lambda Queue, Context: None, None)
    with pytest.raises(BugCheck) as crash:
        WdfIoQueueStop(q["default"], lambda Queue, Context: None, None)
    assert crash.value.code == WDF_VIOLATION
    assert crash.value.parameters[0] == WDF_QUEUE_FATAL_ERROR
    assert machine.bugcheck is crash.value


def test_stop_synchronously_waits_on_virtual_time_for_the_driver():
    owned = []
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep(owned)}
    )
    app = machine.application()
    app.ReadFile(bytearray(4), overlapped=True)
    machine.clock.schedule(
        10_000_000, lambda: WdfRequestComplete(owned.pop(), STATUS_SUCCESS)
    )  # one virtual second
    start = machine.clock.ticks
    WdfIoQueueStopSynchronously(q["default"])
    assert machine.clock.ticks - start == 10_000_000 and not owned


def test_stop_synchronously_that_nothing_can_finish_is_reported_not_hung():
    owned = []
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep(owned)}
    )
    machine.application().ReadFile(bytearray(4), overlapped=True)
    with pytest.raises(RuntimeError, match="WdfIoQueueStopSynchronously: .*wait for ever"):
        WdfIoQueueStopSynchronously(q["default"])


def test_purge_cancels_waiting_requests_and_refuses_new_ones():
    owned, calls = [], []
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchSequential, "EvtIoRead": keep(owned)}
    )
    app = machine.application()
    with_driver = app.ReadFile(bytearray(4), overlapped=True)
    waiting = app.ReadFile(bytearray(4), overlapped=True)
    WdfIoQueuePurge(q["default"], lambda Queue, Context: calls.append(Context), 7)
    assert waiting.IoStatus.Status == STATUS_CANCELLED and not with_driver.done
    refused = app.ReadFile(bytearray(4), overlapped=True)
    assert refused.IoStatus.Status == STATUS_INVALID_DEVICE_STATE
    assert calls == []
    WdfRequestComplete(owned.pop(), STATUS_SUCCESS)
    assert calls == [7] and WDF_IO_QUEUE_PURGED(WdfIoQueueGetState(q["default"])[0])
    WdfIoQueueStart(q["default"])
    assert app.ReadFile(bytearray(4), overlapped=True).done is False  # accepted again


def test_purge_synchronously_returns_at_once_when_nothing_is_left():
    machine, device, q = build(default={"dispatch": WdfIoQueueDispatchManual})
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    WdfIoQueuePurgeSynchronously(q["default"])
    assert io.IoStatus.Status == STATUS_CANCELLED


def test_synchronous_stop_and_purge_above_passive_do_nothing_under_verifier():
    machine, device, q = build(default={"dispatch": WdfIoQueueDispatchManual})
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    machine.irql = DISPATCH_LEVEL
    WdfIoQueuePurgeSynchronously(q["default"])
    WdfIoQueueStopSynchronously(q["default"])
    machine.irql = PASSIVE_LEVEL
    assert not io.done and WDF_IO_QUEUE_READY(WdfIoQueueGetState(q["default"])[0])


def test_state_callbacks_and_macros_check_their_arguments():
    machine, device, q = build(default={"dispatch": WdfIoQueueDispatchManual})
    with pytest.raises(TypeError, match="WdfIoQueueStop: StopComplete"):
        WdfIoQueueStop(q["default"], "not a function", None)
    with pytest.raises(TypeError, match="WDF_IO_QUEUE_IDLE: State"):
        WDF_IO_QUEUE_IDLE("x")
    assert WDF_IO_QUEUE_IDLE(WdfIoQueueNoRequests | WdfIoQueueDriverNoRequests)


# -- forwarding ---------------------------------------------------------------------------------
def forwarding_machine(**second):
    got = {"default": [], "second": []}
    spec = {"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep(got["second"])}
    spec.update(second)
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep(got["default"])},
        second=spec,
    )
    return machine, device, q, got


def test_forward_moves_ownership_to_the_destination_queue():
    machine, device, q, got = forwarding_machine()
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    request = got["default"][0]
    assert WdfRequestForwardToIoQueue(request, q["second"]) == STATUS_SUCCESS
    assert got["second"] == [request] and WdfRequestGetIoQueue(request) == q["second"]
    assert WdfIoQueueGetState(q["default"])[2] == 0
    assert WdfIoQueueGetState(q["second"])[2] == 1
    WdfRequestComplete(request, STATUS_SUCCESS)
    assert io.IoStatus.Status == STATUS_SUCCESS


def test_forward_refusals_leave_the_driver_owning_the_request():
    machine, device, q, got = forwarding_machine()
    machine.application().ReadFile(bytearray(4), overlapped=True)
    request = got["default"][0]
    assert WdfRequestForwardToIoQueue(request, q["default"]) == STATUS_INVALID_DEVICE_REQUEST
    WdfRequestMarkCancelable(request, lambda Request: None)
    assert WdfRequestForwardToIoQueue(request, q["second"]) == STATUS_INVALID_DEVICE_REQUEST
    assert WdfRequestUnmarkCancelable(request) == STATUS_SUCCESS
    WdfIoQueuePurge(q["second"], None, None)
    assert WdfRequestForwardToIoQueue(request, q["second"]) == STATUS_WDF_BUSY
    assert WdfRequestGetIoQueue(request) == q["default"]
    WdfRequestComplete(request, STATUS_SUCCESS)
    with pytest.raises(BugCheck, match="no longer exists"):  # a completed request's handle
        WdfRequestForwardToIoQueue(request, q["second"])


def test_forward_to_a_manual_queue_waits_for_retrieval():
    machine, device, q, got = forwarding_machine(dispatch=WdfIoQueueDispatchManual, EvtIoRead=None)
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    request = got["default"][0]
    assert WdfRequestForwardToIoQueue(request, q["second"]) == STATUS_SUCCESS
    assert WdfIoQueueRetrieveNextRequest(q["second"]) == (STATUS_SUCCESS, request)
    WdfRequestComplete(request, STATUS_SUCCESS)
    assert io.done


def test_forward_needs_a_queue_handle_and_a_queue_request():
    machine, device, q, got = forwarding_machine()
    with pytest.raises(BugCheck):
        WdfRequestForwardToIoQueue(None, None)
    machine = forwarding_machine()[0]
    status, own = WdfRequestCreate(None, None)
    with pytest.raises(ValueError, match="WdfRequestForwardToIoQueue"):
        WdfRequestForwardToIoQueue(own, fx(machine, machine.devices[0].default_queue.handle).handle)
    assert WdfRequestGetIoQueue(own) is None


# -- per-type dispatching ------------------------------------------------------------------------
def test_configure_request_dispatching_routes_a_type_to_its_queue():
    reads, writes = [], []
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep(reads)},
        writes={"dispatch": WdfIoQueueDispatchParallel, "EvtIoWrite": keep(writes)},
    )
    assert (
        WdfDeviceConfigureRequestDispatching(device, q["writes"], WdfRequestTypeWrite)
        == STATUS_SUCCESS
    )
    app = machine.application()
    app.WriteFile(b"abcd", overlapped=True)
    app.ReadFile(bytearray(4), overlapped=True)
    assert len(writes) == 1 and len(reads) == 1
    assert WdfRequestGetIoQueue(writes[0]) == q["writes"]
    assert (
        WdfDeviceConfigureRequestDispatching(device, q["writes"], WdfRequestTypeWrite)
        == STATUS_WDF_BUSY
    )
    WdfObjectDelete(q["writes"])  # refused: it dispatches a type now
    assert fx(machine, q["writes"]) is not None


def test_configure_request_dispatching_refusals():
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep([])},
        writes={"dispatch": WdfIoQueueDispatchParallel, "EvtIoWrite": keep([])},
    )
    assert WdfDeviceConfigureRequestDispatching(device, q["writes"], 0x5) == (
        STATUS_INVALID_PARAMETER
    )
    assert (
        WdfDeviceConfigureRequestDispatching(device, q["writes"], WdfRequestTypeRead)
        == STATUS_INVALID_DEVICE_REQUEST
    )
    assert (
        WdfDeviceConfigureRequestDispatching(device, q["default"], WdfRequestTypeRead)
        == STATUS_INVALID_DEVICE_REQUEST
    )
    with pytest.raises(TypeError, match="WdfDeviceConfigureRequestDispatching: RequestType"):
        WdfDeviceConfigureRequestDispatching(device, q["writes"], "write")


# -- the power stop and purge the removal path drives ---------------------------------------------
def stop_machine(**extra):
    owned, stops, resumes = [], [], []

    def EvtIoStop(Queue, Request, ActionFlags):
        stops.append((Request, ActionFlags))
        if extra.get("acknowledge") is not None:
            WdfRequestStopAcknowledge(Request, extra["acknowledge"])

    spec = {
        "dispatch": WdfIoQueueDispatchSequential,
        "EvtIoRead": keep(owned),
        "EvtIoStop": EvtIoStop,
        "EvtIoResume": lambda Queue, Request: resumes.append(Request),
    }
    spec.update({k: v for k, v in extra.items() if k != "acknowledge"})
    machine, device, q = build(default=spec)
    return machine, fx(machine, q["default"]), owned, stops, resumes


def test_a_power_stop_asks_evt_io_stop_and_powers_off_once_acknowledged():
    machine, queue, owned, stops, resumes = stop_machine(acknowledge=False)
    app = machine.application()
    app.ReadFile(bytearray(4), overlapped=True)
    waiting = app.ReadFile(bytearray(4), overlapped=True)
    assert queue.stop_processing_for_power("stop") is True
    assert stops == [(owned[0], WdfRequestStopActionSuspend)] and queue.power_off
    assert WdfIoQueueGetState(queue.handle)[0] & WdfIoQueuePnpHeld
    WdfRequestComplete(owned.pop(), STATUS_SUCCESS)
    assert not waiting.done and not owned  # held while powered off
    queue.resume_processing_for_power()
    assert resumes == [] and len(owned) == 1  # completed, so no resume; the next is presented


def test_resume_calls_evt_io_resume_for_what_the_driver_kept():
    machine, queue, owned, stops, resumes = stop_machine(acknowledge=False)
    machine.application().ReadFile(bytearray(4), overlapped=True)
    queue.stop_processing_for_power("stop")
    queue.resume_processing_for_power()
    assert resumes == [owned[0]] and not queue.power_off


def test_an_acknowledgement_with_requeue_presents_the_request_again_on_resume():
    machine, queue, owned, stops, resumes = stop_machine(acknowledge=True)
    machine.application().ReadFile(bytearray(4), overlapped=True)
    first = owned.pop()
    queue.stop_processing_for_power("stop")
    assert queue.power_off and len(queue.waiting) == 1 and not queue.presented
    queue.resume_processing_for_power()
    assert owned == [first] and resumes == []


def test_a_stop_waits_for_the_driver_without_evt_io_stop():
    machine, queue, owned, stops, resumes = stop_machine(EvtIoStop=None)
    machine.application().ReadFile(bytearray(4), overlapped=True)
    assert queue.stop_processing_for_power("stop") is False
    WdfRequestComplete(owned.pop(), STATUS_SUCCESS)
    assert queue.power_off


def test_an_acknowledgement_after_evt_io_stop_returns_is_seen():
    machine, queue, owned, stops, resumes = stop_machine()
    machine.application().ReadFile(bytearray(4), overlapped=True)
    assert queue.stop_processing_for_power("stop") is False
    WdfRequestStopAcknowledge(owned[0], False)
    assert queue.power_off


def test_a_non_power_managed_queue_ignores_a_power_stop():
    machine, queue, owned, stops, resumes = stop_machine(PowerManaged=WdfFalse)
    machine.application().ReadFile(bytearray(4), overlapped=True)
    assert queue.stop_processing_for_power("stop") is True
    assert stops == [] and not queue.power_off


def test_a_removal_purge_cancels_what_waits_and_tells_evt_io_stop():
    machine, queue, owned, stops, resumes = stop_machine(acknowledge=False)
    app = machine.application()
    app.ReadFile(bytearray(4), overlapped=True)
    waiting = app.ReadFile(bytearray(4), overlapped=True)
    assert queue.stop_processing_for_power("purge") is True
    assert waiting.IoStatus.Status == STATUS_CANCELLED
    assert stops == [(owned[0], WdfRequestStopActionPurge)]
    assert not queue.idle  # the driver still holds one
    WdfRequestComplete(owned.pop(), STATUS_SUCCESS)
    assert queue.idle
    assert app.ReadFile(bytearray(4), overlapped=True).IoStatus.Status == (
        STATUS_INVALID_DEVICE_STATE
    )
    WdfIoQueueStart(queue.handle)  # a removal's shutdown is for good
    assert not WdfIoQueueGetState(queue.handle)[0] & WdfIoQueueAcceptRequests


def test_stop_acknowledge_outside_evt_io_stop_is_a_verifier_break():
    machine, queue, owned, stops, resumes = stop_machine()
    machine.application().ReadFile(bytearray(4), overlapped=True)
    WdfRequestStopAcknowledge(owned[0], True)
    assert owned[0].value and "was not given to EvtIoStop" in machine.log_lines()[-1]
    with pytest.raises(TypeError, match="WdfRequestStopAcknowledge: Requeue"):
        WdfRequestStopAcknowledge(owned[0], "yes")


def test_stop_processing_for_power_names_its_actions():
    machine, queue, owned, stops, resumes = stop_machine()
    with pytest.raises(ValueError, match="'stop' or 'purge'"):
        queue.stop_processing_for_power("hold")


def test_the_presentation_path_still_serves_a_sequential_queue_in_order():
    seen = []

    def EvtIoRead(Queue, Request, Length):
        seen.append(Length)
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length)

    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchSequential, "EvtIoRead": EvtIoRead}
    )
    app = machine.application()
    for n in (1, 2, 3):
        assert app.ReadFile(bytearray(n)).Information == n
    assert seen == [1, 2, 3]


def test_deleting_a_queue_cancels_the_requests_waiting_in_it():
    machine, device, q = build(
        default={"dispatch": WdfIoQueueDispatchParallel, "EvtIoRead": keep([])},
        manual={"dispatch": WdfIoQueueDispatchManual},
    )
    assert (
        WdfDeviceConfigureRequestDispatching(device, q["manual"], WdfRequestTypeWrite)
        == STATUS_SUCCESS
    )
    io = machine.application().WriteFile(b"data", overlapped=True)
    queue = fx(machine, q["manual"])
    queue.delete_object()  # as the device's deletion does (WdfObjectDelete refuses)
    assert io.IoStatus.Status == STATUS_CANCELLED
    assert fx(machine, q["default"]).device.dispatch_table == {}  # writes go to the default
