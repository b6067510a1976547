"""Nothing is left behind after an error (issue 15, item 13).

A DDI that refuses a Python type mistake (TypeError / ValueError) does so before it allocates
anything, as C's compiler would have refused the call: pool and the live framework objects are
exactly as before.  A synchronous send that nothing completes is cancelled and cleaned up
(FxIoTarget::SubmitSync, fxiotarget.cpp: on a timeout it cancels the request and waits for its
completion; ~FxSyncRequest releases the rest), so no hidden request stays in the target.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios

IOCTL_BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
BAD_VALUES = ("x", 1.5, -1, 1 << 64, [], b"\x00", object())


def _world():
    """A machine with a device, its default queue and target, and one of most objects."""
    holder = {}

    def setup(device):
        holder["device"] = device

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {}, setup))
    device = holder["device"]
    w = {"machine": machine, "device": device, "target": WdfDeviceGetIoTarget(device)}
    w["memory"] = WdfMemoryCreate(None, NonPagedPoolNx, "tseT", 64)[1]
    w["lookaside"] = WdfLookasideListCreate(None, 64, NonPagedPoolNx, None, "tseT")[1]
    w["request"] = WdfRequestCreate(None, w["target"])[1]
    w["buffer"] = ExAllocatePoolWithTag(NonPagedPoolNx, 0x100, "tseT")
    w["mdl"] = IoAllocateMdl(w["buffer"], 0x100, False, False, None)
    config = WDF_DMA_ENABLER_CONFIG()
    WDF_DMA_ENABLER_CONFIG_INIT(config, WdfDmaProfileScatterGather64, 0x2000)
    w["dma_config"] = config
    w["enabler"] = WdfDmaEnablerCreate(device, config, None)[1]
    w["descriptor"] = descriptor = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(descriptor, w["memory"], None)
    w["attributes"] = attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    return w


def _state(machine):
    """What an error must not change: the live pool blocks, bytes in use, the live objects,
    the kernel lookaside lists the balance-set manager tunes, the devices."""
    return (
        tuple(block.address for block in machine.pool.live_blocks()),
        dict(machine.pool.in_use),
        tuple(sorted(machine.objects)),
        len(machine.balance.snapshot().lists),
        len(machine.devices),
    )


# A sample of calls that allocate when they succeed: (name, ddi, arguments from the world).
CALLS = [
    ("WdfMemoryCreate", WdfMemoryCreate, lambda w: [w["attributes"], NonPagedPoolNx, "tseT", 64]),
    (
        "WdfMemoryCreatePreallocated",
        WdfMemoryCreatePreallocated,
        lambda w: [w["attributes"], w["buffer"], 0x100],
    ),
    (
        "WdfLookasideListCreate",
        WdfLookasideListCreate,
        lambda w: [w["attributes"], 64, NonPagedPoolNx, None, "tseT"],
    ),
    ("WdfMemoryCreateFromLookaside", WdfMemoryCreateFromLookaside, lambda w: [w["lookaside"]]),
    ("WdfObjectCreate", WdfObjectCreate, lambda w: [w["attributes"]]),
    ("WdfRequestCreate", WdfRequestCreate, lambda w: [w["attributes"], w["target"]]),
    ("WdfIoTargetCreate", WdfIoTargetCreate, lambda w: [w["device"], w["attributes"]]),
    (
        "WdfDmaEnablerCreate",
        WdfDmaEnablerCreate,
        lambda w: [w["device"], w["dma_config"], w["attributes"]],
    ),
    ("WdfDmaTransactionCreate", WdfDmaTransactionCreate, lambda w: [w["enabler"], None]),
    ("ExAllocatePoolWithTag", ExAllocatePoolWithTag, lambda w: [NonPagedPoolNx, 64, "tseT"]),
    ("ExAllocatePool2", ExAllocatePool2, lambda w: [POOL_FLAG_NON_PAGED, 64, "tseT"]),
    ("IoAllocateMdl", IoAllocateMdl, lambda w: [w["buffer"], 0x100, False, False, None]),
    (
        "ExInitializeNPagedLookasideList",
        ExInitializeNPagedLookasideList,
        lambda w: [NPAGED_LOOKASIDE_LIST(), None, None, 0, 64, "tseT", 0],
    ),
    (
        "WdfIoTargetFormatRequestForRead",
        WdfIoTargetFormatRequestForRead,
        lambda w: [w["target"], w["request"], w["memory"], None, None],
    ),
    (
        "WdfIoTargetSendReadSynchronously",
        WdfIoTargetSendReadSynchronously,
        lambda w: [w["target"], None, w["descriptor"], None, None],
    ),
    (
        "WdfIoTargetSendIoctlSynchronously",
        WdfIoTargetSendIoctlSynchronously,
        lambda w: [w["target"], None, IOCTL_BUFFERED, w["descriptor"], w["descriptor"], None],
    ),
    (
        "Application.ReadFile",
        lambda *args: w_app(args[0]).ReadFile(*args[1:]),
        lambda w: [w["machine"], bytearray(64), 64],
    ),
    (
        "Application.DeviceIoControl",
        lambda *args: w_app(args[0]).DeviceIoControl(*args[1:]),
        lambda w: [w["machine"], IOCTL_BUFFERED, b"in", bytearray(8)],
    ),
]


def w_app(machine):
    return machine.application()


@pytest.mark.parametrize("name, function, arguments", CALLS, ids=[c[0] for c in CALLS])
def test_a_refused_call_leaves_pool_and_objects_as_they_were(name, function, arguments):
    """Each argument of the call replaced in turn by values C would not compile (a string, a
    float, a negative or too-large size, a list, bytes, an arbitrary object): whenever the
    call raises TypeError or ValueError, the pool's live blocks and bytes in use, the live
    framework objects and the kernel lookaside lists are exactly as before it.  (Values that
    make a bug check instead stop that machine; a new world is built for each value.)"""
    refused = 0
    for position in range(len(arguments(_world()))):
        for bad in BAD_VALUES:
            w = _world()
            args = arguments(w)
            if name.startswith("Application") and position == 0:
                continue  # the machine itself, not an argument of the call
            args[position] = bad
            before = _state(w["machine"])
            try:
                function(*args)
            except (TypeError, ValueError):
                refused += 1
                assert _state(w["machine"]) == before, (name, position, bad)
            except BugCheck:
                assert w["machine"].state == "crashed"
    assert refused > 0  # the sample does exercise refusals


def test_wdfiotargetcreate_with_bad_attributes_leaves_no_pool_block():
    """The issue's report: WdfIoTargetCreate(dev, 0) raised but left its pool block allocated.
    Since creation was reworked, the attributes are checked before FxIoTargetRemote::_Create
    allocates (fxiotargetapi.cpp: FxValidateObjectAttributes comes first), so nothing is
    allocated: this pins it."""
    w = _world()
    before = _state(w["machine"])
    with pytest.raises(TypeError, match="^WdfIoTargetCreate: IoTargetAttributes"):
        WdfIoTargetCreate(w["device"], 0)
    assert _state(w["machine"]) == before


def _stopped_target():
    w = _world()
    WdfIoTargetStop(w["target"], WdfIoTargetLeaveSentIoPending)
    return w


def test_a_synchronous_send_that_hangs_leaves_no_hidden_request():
    """A synchronous read to a stopped target with no timeout would wait forever on Windows.
    wdfkit gives up when nothing scheduled can complete it (Machine.wait_for): as SubmitSync
    does when its wait times out
    (fxiotarget.cpp: Request->Cancel(), then wait for the completion) it cancels the
    FxSyncRequest, which the stopped target completes at once (STATUS_CANCELLED), releases
    the format's reference on the memory and deletes the request (~FxSyncRequest), and raises
    a RuntimeError saying a real thread would hang.  It used to leave the request queued in
    the target, which sent it once the target was started again."""
    w = _stopped_target()
    machine, memory = w["machine"], w["memory"]
    before = _state(machine)
    with pytest.raises(RuntimeError, match="^WdfIoTargetSendReadSynchronously: .*cancelled"):
        WdfIoTargetSendReadSynchronously(w["target"], None, w["descriptor"], None, None)
    assert _state(machine) == before
    assert machine.objects[memory.value].refcnt == 1  # the format's reference is released
    assert WdfIoTargetStart(w["target"]) == STATUS_SUCCESS
    machine.advance(1)
    assert _state(machine) == before  # nothing was queued to be sent now
    assert machine.log_lines()[-1].endswith("is now Started")  # and nothing was sent


def test_a_synchronous_send_that_times_out_leaves_nothing():
    """With a timeout, SubmitSync cancels the request at the deadline and reports
    STATUS_IO_TIMEOUT (FX_REQUEST_CANCELLED_FROM_TIMER); the FxSyncRequest is gone afterwards."""
    w = _stopped_target()
    machine = w["machine"]
    before = _state(machine)
    options = WDF_REQUEST_SEND_OPTIONS()
    WDF_REQUEST_SEND_OPTIONS_INIT(options, 0)
    WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT(options, WDF_REL_TIMEOUT_IN_MS(10))
    result = WdfIoTargetSendReadSynchronously(w["target"], None, w["descriptor"], None, options)
    assert result == (STATUS_IO_TIMEOUT, 0)
    assert _state(machine) == before


def test_a_driver_request_sent_synchronously_that_hangs_is_cancelled_back_to_the_driver():
    """WdfRequestSend with WDF_REQUEST_SEND_OPTION_SYNCHRONOUS and no timeout, to a stopped
    target: at the hang limit the request is cancelled; its completion routine runs with
    STATUS_CANCELLED (SubmitSyncCallCompletion keeps the driver's routine), the target's
    reference is dropped, and the request is the driver's again — not queued in the target."""
    w = _stopped_target()
    machine, request, target = w["machine"], w["request"], w["target"]
    seen = []

    def routine(Request, Target, Params, Context):
        seen.append(Params.IoStatus.Status)

    WdfIoTargetFormatRequestForRead(target, request, w["memory"], None, None)
    WdfRequestSetCompletionRoutine(request, routine, None)
    options = WDF_REQUEST_SEND_OPTIONS()
    WDF_REQUEST_SEND_OPTIONS_INIT(options, WDF_REQUEST_SEND_OPTION_SYNCHRONOUS)
    with pytest.raises(RuntimeError, match="^WdfRequestSend: the synchronous send never"):
        WdfRequestSend(request, target, options)
    assert seen == [STATUS_CANCELLED]
    assert WdfRequestGetStatus(request) == STATUS_CANCELLED
    assert machine.objects[request.value].refcnt == 1
    before = _state(machine)
    WdfIoTargetStart(target)
    machine.advance(1)
    assert seen == [STATUS_CANCELLED]  # not sent again when the target starts
    assert _state(machine) == before
