"""grade(): a correct driver passes many seeds; each kind of bug fails with its exact reason.

The drivers here are small forwarding drivers in the shape lesson 08 and lesson 13 use: one
that sends the application's own request down, one that sends a request and memory of its own
and copies the data back (the lesson-13 shape), and one broken copy of them per failure kind.
"""

import itertools
import re

import pytest

from wdfkit import (
    CTL_CODE,
    FILE_ANY_ACCESS,
    FILE_DEVICE_UNKNOWN,
    METHOD_BUFFERED,
    NT_SUCCESS,
    STATUS_CANCELLED,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_PENDING,
    STATUS_SUCCESS,
    WDF_NO_CONTEXT,
    WDF_NO_OBJECT_ATTRIBUTES,
    WDF_NO_SEND_OPTIONS,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    ExAllocatePoolWithTag,
    NonPagedPoolNx,
    WdfDeviceGetIoTarget,
    WdfDeviceIoBuffered,
    WdfDeviceIoDirect,
    WdfIoQueueGetDevice,
    WdfIoTargetFormatRequestForIoctl,
    WdfIoTargetFormatRequestForRead,
    WdfIoTargetFormatRequestForWrite,
    WdfMemoryCopyFromBuffer,
    WdfMemoryCopyToBuffer,
    WdfMemoryCreate,
    WdfObjectDelete,
    WdfObjectReference,
    WdfRequestComplete,
    WdfRequestCompleteWithInformation,
    WdfRequestCreate,
    WdfRequestGetStatus,
    WdfRequestRetrieveInputMemory,
    WdfRequestRetrieveOutputMemory,
    WdfRequestSend,
    WdfRequestSetCompletionRoutine,
)
from wdfkit.course import grade as reexported_grade
from wdfkit.course.grader import (
    DEFAULT_SEEDS,
    FORWARD_READS,
    IDLE_SECONDS,
    LOG_LINES,
    MOST_SEEDS,
    TIMELINE_ROWS,
    Expected,
    Operation,
    Spec,
    _Run,
    answering_reads,
    forwarding,
    grade,
)
from wdfkit.course.scenarios import queue_driver
from wdfkit.kernel.text import WIDTH

IOCTL_GET = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)


# -- correct drivers ------------------------------------------------------------------------------
def CompleteWithLowerStatus(Request, Target, CompletionParams, Context):
    WdfRequestComplete(Request, CompletionParams.IoStatus.Status)


def SendDown(Queue, Request, make_format):
    ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
    status = make_format(ioTarget)
    if NT_SUCCESS(status):
        WdfRequestSetCompletionRoutine(Request, CompleteWithLowerStatus, WDF_NO_CONTEXT)
        if WdfRequestSend(Request, ioTarget, WDF_NO_SEND_OPTIONS):
            return
        status = WdfRequestGetStatus(Request)
    WdfRequestComplete(Request, status)


def ForwardEvtIoRead(Queue, Request, Length):
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    SendDown(
        Queue,
        Request,
        lambda target: WdfIoTargetFormatRequestForRead(target, Request, memory, None, None),
    )


def ForwardEvtIoWrite(Queue, Request, Length):
    status, memory = WdfRequestRetrieveInputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    SendDown(
        Queue,
        Request,
        lambda target: WdfIoTargetFormatRequestForWrite(target, Request, memory, None, None),
    )


def ForwardEvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
    inMemory = outMemory = None
    if InputBufferLength:
        _, inMemory = WdfRequestRetrieveInputMemory(Request)
    if OutputBufferLength:
        _, outMemory = WdfRequestRetrieveOutputMemory(Request)
    SendDown(
        Queue,
        Request,
        lambda target: WdfIoTargetFormatRequestForIoctl(
            target, Request, IoControlCode, inMemory, None, outMemory, None
        ),
    )


ForwardEvtDriverDeviceAdd = queue_driver(
    WdfDeviceIoBuffered,
    {
        "EvtIoRead": ForwardEvtIoRead,
        "EvtIoWrite": ForwardEvtIoWrite,
        "EvtIoDeviceControl": ForwardEvtIoDeviceControl,
    },
    parallel=True,
)


def CopyBackCompletion(Request, Target, Params, Context):
    """The driver's own read came back: copy its data into the original, delete it, complete."""
    original = Context
    status, information = Params.IoStatus.Status, Params.IoStatus.Information
    if NT_SUCCESS(status) and information:
        _, outMemory = WdfRequestRetrieveOutputMemory(original)
        data = bytearray(information)
        WdfMemoryCopyToBuffer(Params.Parameters.Read.Buffer, 0, data, information)
        status = WdfMemoryCopyFromBuffer(outMemory, 0, bytes(data), information)
    WdfObjectDelete(Request)  # and its memory, the request's child
    WdfRequestCompleteWithInformation(original, status, information if NT_SUCCESS(status) else 0)


def OwnRequestEvtIoRead(Queue, Request, Length):
    """Lesson 13's shape: a request and memory of the driver's own, the data copied back."""
    ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
    status, newRequest = WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, ioTarget)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.ParentObject = newRequest
    status, memory, _ = WdfMemoryCreate(attributes, NonPagedPoolNx, "pwnO", Length)
    if NT_SUCCESS(status):
        status = WdfIoTargetFormatRequestForRead(ioTarget, newRequest, memory, None, None)
    if NT_SUCCESS(status):
        WdfRequestSetCompletionRoutine(newRequest, CopyBackCompletion, Request)
        if WdfRequestSend(newRequest, ioTarget, WDF_NO_SEND_OPTIONS):
            return
        status = WdfRequestGetStatus(newRequest)
    WdfObjectDelete(newRequest)
    WdfRequestComplete(Request, status)


OwnRequestEvtDriverDeviceAdd = queue_driver(
    WdfDeviceIoDirect, {"EvtIoRead": OwnRequestEvtIoRead}, parallel=True
)

GREETING = b"hello from the driver\0"


def AnswerEvtIoRead(Queue, Request, Length):
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    count = min(Length, len(GREETING))
    if NT_SUCCESS(status):
        status = WdfMemoryCopyFromBuffer(memory, 0, GREETING, count)
    WdfRequestCompleteWithInformation(Request, status, count if NT_SUCCESS(status) else 0)


AnswerEvtDriverDeviceAdd = queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": AnswerEvtIoRead})


# -- broken drivers, one per failure kind --------------------------------------------------------
def WrongDataEvtIoRead(Queue, Request, Length):
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length)  # copies nothing


def WrongStatusEvtIoRead(Queue, Request, Length):
    WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST)


def WrongInformationCompletion(Request, Target, Params, Context):
    WdfRequestCompleteWithInformation(Request, Params.IoStatus.Status, 0)


def SendReadWith(Queue, Request, completion):
    """Send the read down with *completion* as its completion routine (no status checked)."""
    ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
    _, memory = WdfRequestRetrieveOutputMemory(Request)
    WdfIoTargetFormatRequestForRead(ioTarget, Request, memory, None, None)
    WdfRequestSetCompletionRoutine(Request, completion, WDF_NO_CONTEXT)
    WdfRequestSend(Request, ioTarget, WDF_NO_SEND_OPTIONS)


def WrongInformationEvtIoRead(Queue, Request, Length):
    SendReadWith(Queue, Request, WrongInformationCompletion)


def NeverCompletesEvtIoRead(Queue, Request, Length):
    pass  # keeps every read for ever


def LeakingEvtIoRead(Queue, Request, Length):
    ExAllocatePoolWithTag(NonPagedPoolNx, 32, "kaeL")  # never freed
    ForwardEvtIoRead(Queue, Request, Length)


HELD_REFERENCES = []


def ReferenceKeptEvtDriverDeviceAdd(Driver, DeviceInit):
    """Forwards reads; its device add takes a reference on a memory object it never drops."""
    status = ForwardEvtDriverDeviceAdd(Driver, DeviceInit)
    _, memory, _ = WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, "feRK", 16)
    WdfObjectReference(memory)
    WdfObjectDelete(memory)
    return status


def TypeErrorEvtIoRead(Queue, Request, Length):
    memory = WdfRequestRetrieveOutputMemory(Request)  # forgot the status: a tuple
    WdfMemoryCopyFromBuffer(memory, 0, GREETING, 1)


def CompletesTwiceCompletion(Request, Target, Params, Context):
    WdfRequestComplete(Request, Params.IoStatus.Status)
    WdfRequestComplete(Request, Params.IoStatus.Status)  # KMDF Verifier breaks on the second


def CompletesTwiceEvtIoRead(Queue, Request, Length):
    SendReadWith(Queue, Request, CompletesTwiceCompletion)


def MemoryAfterCompletionEvtIoRead(Queue, Request, Length):
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0)
    WdfMemoryCopyFromBuffer(memory, 0, GREETING, 1)  # the request's memory died with it


def reads(callback, parallel=True):
    return queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": callback}, parallel=parallel)


WrongDataAdd = reads(WrongDataEvtIoRead)
WrongStatusAdd = reads(WrongStatusEvtIoRead)
WrongInformationAdd = reads(WrongInformationEvtIoRead)
NeverCompletesAdd = reads(NeverCompletesEvtIoRead, parallel=False)
LeakingAdd = reads(LeakingEvtIoRead)
TypeErrorAdd = reads(TypeErrorEvtIoRead)
CompletesTwiceAdd = reads(CompletesTwiceEvtIoRead)
MemoryAfterCompletionAdd = reads(MemoryAfterCompletionEvtIoRead)


# -- passing -------------------------------------------------------------------------------------
def test_a_correct_forwarding_driver_passes_for_50_seeds():
    report = grade(ForwardEvtDriverDeviceAdd, FORWARD_READS, seeds=range(50))
    assert report, str(report)
    assert report.passed and report.reason is None and report.seed is None
    assert report.bugcheck is None
    assert report.seeds_run == tuple(range(50))
    assert str(report).startswith("PASSED: reads forwarded")
    assert "50 seeds (0-49)" in str(report)


def test_a_driver_with_its_own_request_and_memory_passes_for_50_seeds():
    report = grade(OwnRequestEvtDriverDeviceAdd, FORWARD_READS, seeds=range(50))
    assert report, str(report)


def test_writes_and_ioctls_forwarded_pass_for_50_seeds():
    spec = forwarding(("read", "write", "ioctl"), ioctl_codes=(IOCTL_GET,), sizes=(0, 33))
    report = grade(ForwardEvtDriverDeviceAdd, spec, seeds=range(50))
    assert report, str(report)


def test_a_driver_answering_reads_itself_passes():
    report = grade(AnswerEvtDriverDeviceAdd, answering_reads(GREETING), seeds=range(50))
    assert report, str(report)
    assert "reads answered with b'hello from the driver\\x00'" in str(report)


def test_the_reexport_and_the_default_seeds():
    assert reexported_grade is grade
    report = grade(ForwardEvtDriverDeviceAdd, FORWARD_READS)
    assert report.seeds == DEFAULT_SEEDS == tuple(range(16))


# -- failing, each with its exact reason ---------------------------------------------------------
@pytest.mark.parametrize(
    "driver, reason",
    [
        (WrongDataAdd, "wrong data"),
        (WrongStatusAdd, "wrong status"),
        (WrongInformationAdd, "wrong Information"),
        (NeverCompletesAdd, "not completed"),
        (LeakingAdd, "bug check 0xC4/0x62"),
        (ReferenceKeptEvtDriverDeviceAdd, "leak at unload"),
        (TypeErrorAdd, "driver raised TypeError"),
    ],
)
def test_a_broken_driver_fails_with_its_reason(driver, reason):
    report = grade(driver, FORWARD_READS)
    assert not report
    assert report.passed is False
    assert report.reason == reason, str(report)
    assert report.seed == 0
    text = str(report)
    assert text.startswith(f"FAILED: {reason}, seed 0.")
    assert all(len(line) <= WIDTH for line in text.splitlines()), text


def test_a_wrong_result_names_the_request_and_shows_expected_and_got():
    report = grade(WrongDataAdd, FORWARD_READS, seeds=[3])
    assert report.operation is not None and report.operation.kind == "read"
    text = str(report)
    assert f"Request: step {report.operation.step}: read of {report.operation.length} B" in text
    assert "    Expected: STATUS_SUCCESS, Information" in text
    assert "    Got:      STATUS_SUCCESS, Information" in text
    assert "data 00 01 02" in text  # the lower device's pattern
    got = text.split("    Got:      STATUS_SUCCESS, Information 8, data ")[1]
    assert not got.startswith("00 01 02")  # the system buffer's stale bytes, not the pattern


def test_a_bug_check_is_shown_as_its_blue_screen():
    report = grade(MemoryAfterCompletionAdd, FORWARD_READS)
    assert report.reason == "bug check 0x10D/0x5", str(report)
    assert report.bugcheck is not None and report.bugcheck.code == 0x10D
    assert report.bugcheck.parameters[0] == 0x5
    text = str(report)
    assert "*** STOP: 0x0000010D WDF_VIOLATION" in text
    assert "    while calling WdfMemoryCopyFromBuffer" in text
    assert "*** bug check 0x10D WDF_VIOLATION in WdfMemoryCopyFromBuffer" in text  # timeline


def test_a_kmdf_verifier_break_fails_the_driver():
    report = grade(CompletesTwiceAdd, FORWARD_READS)
    assert report.reason == "KMDF Verifier break"
    assert "is already completed and cannot be completed" in report.detail


def test_a_driver_exception_is_a_failure_with_its_message_not_a_crash():
    report = grade(TypeErrorAdd, FORWARD_READS)
    text = str(report)
    assert "TypeError: WdfMemoryCopyFromBuffer: DestinationMemory must be a WDF handle" in text
    assert "*** TypeError raised in the driver's EvtIoRead" in text


def test_a_request_never_completed_does_not_hang_and_says_so():
    report = grade(NeverCompletesAdd, FORWARD_READS, seeds=range(20))
    assert report.reason == "not completed"
    text = str(report)
    assert (
        "The synchronous call never returned" in text
        or "Still pending" in text
        or ("The driver holds this request" in text)
    )


def test_not_completed_names_the_request_the_driver_holds_not_one_queued_behind_it():
    # seed 0: step 0 (overlapped) is presented and never completed; step 1, a synchronous read,
    # waits in the queue behind it: the report names step 0
    report = grade(NeverCompletesAdd, FORWARD_READS, seeds=[0])
    assert report.reason == "not completed"
    assert report.operation.step == 0 and report.operation.overlapped
    text = " ".join(str(report).split())
    assert "Request: step 0: read of 38 B, overlapped" in text
    assert "The driver holds this request (presented to it) and never completed it." in text
    assert "Step 1, a synchronous call sent after it, waits behind it" in text


def test_the_report_has_the_seed_log_timeline_and_reproduce_line():
    report = grade(WrongStatusAdd, FORWARD_READS, seeds=[17, 18])
    assert report.seed == 17 and report.seeds_run == (17,)
    text = str(report)
    assert "seed 17" in text
    assert "\nLog:\n    [  0.0" in text
    assert "\nThe application's actions (and the PnP manager's):\n" in text
    assert "the PnP manager adds the device" in text
    assert text.endswith("Reproduce: grade(EvtDriverDeviceAdd, FORWARD_READS, seeds=[17])")
    assert repr(report) == text


def test_the_reproduce_line_fails_the_same_way():
    report = grade(WrongDataAdd, FORWARD_READS, seeds=range(5, 9))
    line = report.reproduce
    assert line == "grade(EvtDriverDeviceAdd, FORWARD_READS, seeds=[5])"
    again = eval(line, {"grade": grade, "EvtDriverDeviceAdd": WrongDataAdd, **globals()})
    assert (again.reason, again.seed, again.detail) == (report.reason, 5, report.detail)
    assert again.timeline == report.timeline


def test_the_reproduce_line_of_a_whole_driver_names_its_driver_entry():
    from wdfkit import WDF_DRIVER_CONFIG, WDF_DRIVER_CONFIG_INIT, WdfDriverCreate

    def MyDriverEntry(DriverObject, RegistryPath):
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, WrongStatusAdd)
        return WdfDriverCreate(DriverObject, RegistryPath, None, config)[0]

    report = grade(None, FORWARD_READS, DriverEntry=MyDriverEntry, seeds=[2])
    assert report.reason == "wrong status"
    assert report.reproduce == "grade(None, FORWARD_READS, DriverEntry=MyDriverEntry, seeds=[2])"


def test_the_same_seed_gives_the_same_report():
    first = str(grade(WrongDataAdd, FORWARD_READS, seeds=[4]))
    second = str(grade(WrongDataAdd, FORWARD_READS, seeds=[4]))
    assert first == second
    assert "machine #" not in first


def test_the_workload_of_different_seeds_differs():
    def workload(seed):
        run = _Run(ForwardEvtDriverDeviceAdd, None, FORWARD_READS, seed)
        run.run()
        return [line.split("s  ", 1)[1] for line in run.timeline]

    loads = [workload(seed) for seed in range(6)]
    assert len({tuple(load) for load in loads}) == 6
    assert workload(3) == loads[3]
    joined = "\n".join(line for load in loads for line in load)
    for event in ("overlapped", "synchronous", "read of 0 B", "CancelIo", "CloseHandle"):
        assert event in joined
    assert "removal with" in joined and "surprise removal with" in joined
    assert re.search(r"read of \d*[13579] B", joined)


class RecordingRun(_Run):
    """A seed's run that also records, in order, each batch (what ended it, or "batch") and
    each idle period ("idle")."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.events: list[str] = []

    def batch(self, latency, removal):
        ending = super().batch(latency, removal)
        self.events.append(ending or "batch")
        return ending

    def idle(self) -> None:
        self.events.append("idle")
        super().idle()


@pytest.mark.parametrize("removal", [True, False])
def test_the_application_is_idle_after_a_cancel_or_close_and_before_the_end(removal):
    spec = forwarding(("read",), removal=removal)
    chosen = 0  # idle periods no rule asks for
    for seed in range(12):
        run = RecordingRun(ForwardEvtDriverDeviceAdd, None, spec, seed)
        run.run()
        events = run.events
        at_the_end = len(events) - (2 if removal else 1)  # the idle period the end asks for
        for index, event in enumerate(events[:-1]):
            if event in ("CancelIo", "CloseHandle"):
                assert events[index + 1] == "idle"
            elif event == "batch" and events[index + 1] == "idle" and index + 1 != at_the_end:
                chosen += 1
        if removal:  # idle after the batch before the removal's batch, none after the removal
            assert events[-2:] in (["idle", "removal"], ["idle", "surprise removal"])
        else:  # idle after the last batch, then the handle is closed and the driver unloaded
            assert events[-1] == "idle"
            assert [row.split("s  ", 1)[1] for row in run.timeline[-2:]] == [
                "CloseHandle",
                "the driver is unloaded",
            ]
        for index, row in enumerate(run.timeline):
            idle = re.fullmatch(r"\s*([\d.]+)s  the application is idle for ([\d.]+) s", row)
            if idle:  # as long as it says, with nothing sent meanwhile
                start, seconds = float(idle[1]), float(idle[2])
                assert IDLE_SECONDS[0] <= seconds <= IDLE_SECONDS[1]
                after = float(run.timeline[index + 1].split("s  ", 1)[0])
                assert after >= start + seconds - 1e-6
        assert events.count("idle") == sum(1 for row in run.timeline if "is idle for" in row)
    assert chosen > 0


def test_expect_sees_each_operation_as_it_was():
    seen = []

    def expect(op):
        seen.append(op)
        return Expected()

    grade(ForwardEvtDriverDeviceAdd, Spec("everything", expect, lower_faults=True, cancels=True))
    assert all(isinstance(op, Operation) for op in seen)
    assert {op.kind for op in seen} == {"read"}
    assert any(op.fail_status is not None for op in seen)
    assert any(op.ended_by == "CancelIo" for op in seen)
    assert any(op.length == 0 for op in seen) and any(op.length == 64 for op in seen)
    assert all(0 <= op.length <= 64 for op in seen)


def test_a_cancelled_read_may_come_back_cancelled():
    op = Operation(0, "read", 8, ended_by="CancelIo")
    done, cancelled = FORWARD_READS.expect(op)
    assert cancelled == Expected(STATUS_CANCELLED, 0)
    assert done.data == bytes(range(8))


# -- bad arguments -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, kwargs, error, words",
    [
        (("not a function", FORWARD_READS), {}, TypeError, "grade: EvtDriverDeviceAdd"),
        ((None, FORWARD_READS), {}, ValueError, "grade: give EvtDriverDeviceAdd"),
        ((None, FORWARD_READS), {"DriverEntry": 3}, TypeError, "grade: DriverEntry"),
        ((WrongDataAdd, "FORWARD_READS"), {}, TypeError, "grade: spec must be a Spec"),
        ((WrongDataAdd, FORWARD_READS), {"seeds": 5}, TypeError, "grade: seeds"),
        ((WrongDataAdd, FORWARD_READS), {"seeds": []}, ValueError, "grade: seeds"),
        ((WrongDataAdd, FORWARD_READS), {"seeds": ["1"]}, TypeError, "grade: seeds"),
        ((WrongDataAdd, FORWARD_READS), {"seeds": [-1]}, ValueError, "grade: each seed"),
    ],
)
def test_bad_arguments_name_grade_and_the_parameter(args, kwargs, error, words):
    with pytest.raises(error, match=re.escape(words)):
        grade(*args, **kwargs)


@pytest.mark.parametrize(
    "fields, error, words",
    [
        ({"name": ""}, TypeError, "Spec: name"),
        ({"expect": None}, TypeError, "Spec: expect"),
        ({"operations": ("peek",)}, ValueError, "Spec: operations"),
        ({"sizes": (5, 2)}, ValueError, "Spec: sizes"),
        ({"operations": ("ioctl",)}, ValueError, "Spec: an 'ioctl' operation needs ioctl_codes"),
        ({"cancels": 1}, TypeError, "Spec: cancels"),
        ({"requests": 0}, ValueError, "Spec: requests"),
    ],
)
def test_a_bad_spec_names_its_field(fields, error, words):
    values = {"name": "a spec", "expect": lambda op: Expected(), **fields}
    with pytest.raises(error, match=re.escape(words)):
        Spec(**values)


def test_expected_checks_its_fields():
    with pytest.raises(TypeError, match="Expected: status"):
        Expected(status="STATUS_SUCCESS")
    with pytest.raises(TypeError, match="Expected: data"):
        Expected(data="abc")
    assert str(Expected((STATUS_SUCCESS, STATUS_CANCELLED), 0)) == (
        "STATUS_SUCCESS or STATUS_CANCELLED, Information 0"
    )


def test_an_expect_returning_something_else_is_a_type_error_naming_grade():
    spec = Spec("bad expect", lambda op: None)
    with pytest.raises(TypeError, match="grade: the spec's expect must return an Expected"):
        grade(ForwardEvtDriverDeviceAdd, spec, seeds=[0])


# -- loading, adding and opening that fail ---------------------------------------------------------
def driver_entry(returns, device_add=ForwardEvtDriverDeviceAdd, create=True):
    from wdfkit import WDF_DRIVER_CONFIG, WDF_DRIVER_CONFIG_INIT, WdfDriverCreate

    def MyDriverEntry(DriverObject, RegistryPath):
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, device_add)
        if create:
            WdfDriverCreate(DriverObject, RegistryPath, None, config)
        return returns

    return MyDriverEntry


def test_a_driver_entry_that_fails_or_returns_no_status_is_reported():
    from wdfkit import STATUS_INSUFFICIENT_RESOURCES

    report = grade(None, FORWARD_READS, DriverEntry=driver_entry(STATUS_INSUFFICIENT_RESOURCES))
    assert (report.reason, report.seed) == ("DriverEntry failed", 0)
    assert "DriverEntry returned STATUS_INSUFFICIENT_RESOURCES" in report.detail
    report = grade(None, FORWARD_READS, DriverEntry=driver_entry(None))
    assert report.reason == "DriverEntry failed"
    assert "DriverEntry" in report.detail and "NTSTATUS" in report.detail
    report = grade(None, FORWARD_READS, DriverEntry=driver_entry(STATUS_SUCCESS, create=False))
    assert report.reason == "DriverEntry failed"
    assert "without calling WdfDriverCreate" in report.detail


def test_a_driver_entry_that_raises_is_a_driver_exception():
    def MyDriverEntry(DriverObject, RegistryPath):
        return undefined_name  # noqa: F821

    report = grade(None, FORWARD_READS, DriverEntry=MyDriverEntry)
    assert report.reason == "driver raised NameError"
    assert "undefined_name" in str(report)
    assert "\nGraded: MyDriverEntry (DriverEntry).\n" in str(report)  # what it was given


def test_a_device_add_that_fails_is_reported():
    from wdfkit import STATUS_INSUFFICIENT_RESOURCES

    def MyEvtDriverDeviceAdd(Driver, DeviceInit):
        return STATUS_INSUFFICIENT_RESOURCES

    report = grade(MyEvtDriverDeviceAdd, FORWARD_READS, [5])
    assert (report.reason, report.seed) == ("device add failed", 5)
    assert report.reproduce == "grade(MyEvtDriverDeviceAdd, FORWARD_READS, seeds=[5])"
    assert "\nGraded: MyEvtDriverDeviceAdd (EvtDriverDeviceAdd).\n" in str(report)


def test_a_device_that_refuses_every_open_is_reported():
    from wdfkit import (
        STATUS_ACCESS_DENIED,
        WDF_FILEOBJECT_CONFIG,
        WDF_FILEOBJECT_CONFIG_INIT,
        WdfDeviceInitSetFileObjectConfig,
    )

    def RefuseCreate(Device, Request, FileObject):
        WdfRequestComplete(Request, STATUS_ACCESS_DENIED)

    def MyEvtDriverDeviceAdd(Driver, DeviceInit):
        config = WDF_FILEOBJECT_CONFIG()
        WDF_FILEOBJECT_CONFIG_INIT(config, RefuseCreate, None, None)
        WdfDeviceInitSetFileObjectConfig(DeviceInit, config, None)
        return ForwardEvtDriverDeviceAdd(Driver, DeviceInit)

    report = grade(MyEvtDriverDeviceAdd, FORWARD_READS)
    assert report.reason == "open failed"
    assert "STATUS_ACCESS_DENIED" in report.detail


def test_a_non_pnp_driver_is_refused_naming_grade():
    from wdfkit.course import samples

    with pytest.raises(ValueError, match="grade: the driver's WDF_DRIVER_CONFIG names no"):
        grade(None, FORWARD_READS, DriverEntry=samples.NonPnpDriverEntry)


# -- odd drivers and odd arguments: a short, true report ------------------------------------------
def PendingStatusEvtIoRead(Queue, Request, Length):
    WdfRequestComplete(Request, STATUS_PENDING)  # completed, with a status that says it is not


def test_a_request_completed_with_status_pending_is_a_wrong_status_not_a_hang():
    """A synchronous read the driver completed with STATUS_PENDING was reported as "never
    returned: the driver did not complete it ()" (the I/O status alone cannot tell)."""
    driver = reads(PendingStatusEvtIoRead, parallel=False)
    synchronous = 0
    for seed in range(4):
        report = grade(driver, FORWARD_READS, seeds=[seed])
        assert report.reason == "wrong status", str(report)
        assert "Got:      STATUS_PENDING" in report.detail
        synchronous += not report.operation.overlapped
    assert synchronous  # seed 2 starts with a synchronous read


def ThousandsLeakedEvtIoRead(Queue, Request, Length):
    for _ in range(500):
        _, memory, _ = WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, "kaeL", 16)
        WdfObjectReference(memory)  # never dereferenced: still referenced at unload
        WdfObjectDelete(memory)
    ForwardEvtIoRead(Queue, Request, Length)


def test_a_leak_of_thousands_of_objects_names_a_few_and_counts_the_rest():
    """Every leaked handle was listed: 750,000 characters of report for 3,000 objects."""
    report = grade(reads(ThousandsLeakedEvtIoRead), FORWARD_READS, seeds=[0])
    assert report.reason == "leak at unload", str(report)
    assert re.search(r"WDFMEMORY 0x[0-9a-f]+ and \d+ more", " ".join(report.detail.split()))
    assert len(report.detail) < 1000 and len(str(report)) < 6000


def test_endless_or_too_many_seeds_are_refused_naming_grade():
    """tuple(seeds) of itertools.count() never returned."""
    for seeds in (itertools.count(), range(MOST_SEEDS + 1)):
        with pytest.raises(ValueError, match=f"grade: seeds must name at most {MOST_SEEDS}"):
            grade(ForwardEvtDriverDeviceAdd, FORWARD_READS, seeds=seeds)


def CompletesTwiceThenLogsMuchCompletion(Request, Target, Params, Context):
    CompletesTwiceCompletion(Request, Target, Params, Context)
    for _ in range(300):  # 300 log lines: more than the framework log's ring holds
        _, memory, _ = WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, "ysoN", 8)
        WdfObjectDelete(memory)


def CompletesTwiceThenLogsMuchEvtIoRead(Queue, Request, Length):
    SendReadWith(Queue, Request, CompletesTwiceThenLogsMuchCompletion)


def test_a_verifier_break_pushed_out_of_the_log_ring_still_fails_the_driver():
    """The grader looked for breaks in the 200-line log only: a driver that completed twice
    and then created 300 objects passed."""
    report = grade(reads(CompletesTwiceThenLogsMuchEvtIoRead), FORWARD_READS, seeds=[0])
    assert report.reason == "KMDF Verifier break", str(report)
    assert "is already completed and cannot be completed" in report.detail


def test_the_report_names_the_driver_it_graded():
    passed = grade(AnswerEvtDriverDeviceAdd, answering_reads(GREETING), seeds=[0])
    assert passed.callbacks == (
        ("EvtDriverDeviceAdd", AnswerEvtDriverDeviceAdd),
        ("EvtIoRead", AnswerEvtIoRead),
    )
    assert str(passed).endswith(
        "\nGraded: EvtDriverDeviceAdd, which set up AnswerEvtIoRead (EvtIoRead)."
    )
    assert passed.machine is None and passed.warning == ""
    failed = grade(WrongStatusAdd, FORWARD_READS, seeds=[0])
    assert "\nGraded: EvtDriverDeviceAdd, which set up WrongStatusEvtIoRead (EvtIoRead).\n" in (
        str(failed)
    )


def test_the_report_says_what_it_left_out_and_keeps_it_all():
    report = grade(LeakingAdd, FORWARD_READS, seeds=[0])
    assert report.reason == "bug check 0xC4/0x62"
    lines = report.machine.log_lines()
    assert report.full_log() == "\n".join(lines) and len(lines) > LOG_LINES
    assert len(report.actions) > len(report.timeline) == TIMELINE_ROWS
    assert report.full_actions().splitlines()[0].endswith("the PnP manager adds the device")
    text = " ".join(str(report).split())
    assert f"Log, the last lines ({len(lines) - LOG_LINES} earlier left out; full_log()" in text
    left_out = len(report.actions) - TIMELINE_ROWS
    assert f"application's actions, the last ({left_out} earlier left out; full_actions()" in text
