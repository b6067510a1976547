"""Lesson 12's skeleton driver: as committed it reports "not done yet"; filled in, "All done".

The skeleton is read from the lesson itself (the cell that defines MyEvtIoRead), so the test and
the lesson cannot drift apart; the solution below fills its four TODOs, as the learner would.
Broken fillings are reported at the step they break, not as a crash.
"""

import json
from pathlib import Path

import pytest

from wdfkit import (
    NT_SUCCESS,
    STATUS_CANCELLED,
    STATUS_SUCCESS,
    WdfMemoryCopyFromBuffer,
    WdfRequestComplete,
    WdfRequestCompleteWithInformation,
    WdfRequestGetIoQueue,
    WdfRequestMarkCancelable,
    WdfRequestRetrieveOutputMemory,
    WdfRequestSetInformation,
    WdfRequestUnmarkCancelable,
    WdfTimerGetParentObject,
)
from wdfkit.course.grader import grade, held_reads
from wdfkit.course.yourdriver import try_your_driver
from wdfkit.kernel.text import WIDTH

LESSON = Path(__file__).parent.parent / "notebooks" / "12_your_own_driver.ipynb"


def grade_cell() -> str:
    """The lesson's cell that grades the learner's driver."""
    cells = json.loads(LESSON.read_text(encoding="utf-8"))["cells"]
    (source,) = ["".join(c["source"]) for c in cells if "report = grade(" in "".join(c["source"])]
    return source


def skeleton() -> dict:
    """The lesson's skeleton cell, run without its last line (the call of the checker)."""
    cells = json.loads(LESSON.read_text(encoding="utf-8"))["cells"]
    (source,) = ["".join(c["source"]) for c in cells if "def MyEvtIoRead" in "".join(c["source"])]
    assert source.rstrip().endswith("print(try_your_driver(MyDriverEntry, GUID_DEVINTERFACE_MINE))")
    namespace: dict = {}
    exec(source.rstrip().rsplit("\n", 1)[0], namespace)
    return namespace


def fill_in(ns: dict, timer_unmarks: bool = True) -> None:
    """The four TODOs, written in the namespace the skeleton's driver looks its routines up in."""

    def MyEvtIoRead(Queue, Request, Length):
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        if not NT_SUCCESS(status):
            WdfRequestCompleteWithInformation(Request, status, 0)
            return
        count = min(Length, len(ns["MY_DATA"]))
        WdfMemoryCopyFromBuffer(memory, 0, ns["MY_DATA"], count)
        WdfRequestSetInformation(Request, count)
        WdfRequestMarkCancelable(Request, ns["MyEvtRequestCancel"])
        ns["GetMyQueueContext"](Queue).Held = Request

    def MyEvtRequestCancel(Request):
        context = ns["GetMyQueueContext"](WdfRequestGetIoQueue(Request))  # before: then dead
        WdfRequestCompleteWithInformation(Request, STATUS_CANCELLED, 0)
        context.Held = None

    def MyEvtTimerFunc(Timer):
        context = ns["GetMyQueueContext"](WdfTimerGetParentObject(Timer))
        Request = context.Held
        if Request is None:
            return
        if not timer_unmarks or WdfRequestUnmarkCancelable(Request) != STATUS_CANCELLED:
            context.Held = None
            WdfRequestComplete(Request, STATUS_SUCCESS)

    ns.update(
        MyEvtIoRead=MyEvtIoRead,
        MyEvtRequestCancel=MyEvtRequestCancel,
        MyEvtTimerFunc=MyEvtTimerFunc,
    )


def test_the_skeleton_as_committed_is_not_done_yet():
    ns = skeleton()
    report = try_your_driver(ns["MyDriverEntry"], ns["GUID_DEVINTERFACE_MINE"])
    assert "Not done yet: a read is held by the driver" in report
    assert "STATUS_INVALID_DEVICE_REQUEST" in report


def test_the_skeleton_filled_in_is_all_done():
    ns = skeleton()
    fill_in(ns)
    report = try_your_driver(ns["MyDriverEntry"], ns["GUID_DEVINTERFACE_MINE"])
    assert report.endswith("as Windows expects."), report
    assert report.count("ok  ") == 8


def test_a_timer_that_forgets_to_unmark_is_reported_with_its_bug_check():
    ns = skeleton()
    fill_in(ns, timer_unmarks=False)
    report = try_your_driver(ns["MyDriverEntry"], ns["GUID_DEVINTERFACE_MINE"])
    assert "Not done yet: while the timer ticked with a read held (MyEvtTimerFunc)" in report
    assert "0x48 CANCEL_STATE_IN_COMPLETED_IRP" in report
    assert "in\n    WdfRequestComplete: An IRP was completed with its cancel routine" in report


def test_a_read_held_but_never_completed_is_reported_not_hung():
    ns = skeleton()
    fill_in(ns)
    ns["MyEvtTimerFunc"] = lambda Timer: None
    report = try_your_driver(ns["MyDriverEntry"], ns["GUID_DEVINTERFACE_MINE"])
    assert "the timer completes the held read. Instead, it is still pending (TODO 4)" in report


def cancel_uses_the_dead_request(ns: dict) -> None:
    """Give the filled-in skeleton a cancel routine that completes the held read and only then
    clears Held through the request: a use of the dead request (0x10D/0x5)."""

    def MyEvtRequestCancel(Request):
        WdfRequestCompleteWithInformation(Request, STATUS_CANCELLED, 0)
        ns["GetMyQueueContext"](WdfRequestGetIoQueue(Request)).Held = None  # after: dead

    ns["MyEvtRequestCancel"] = MyEvtRequestCancel


def test_a_bug_check_names_the_step_the_ddi_and_its_meaning():
    ns = skeleton()
    fill_in(ns)
    cancel_uses_the_dead_request(ns)
    report = try_your_driver(ns["MyDriverEntry"], ns["GUID_DEVINTERFACE_MINE"])
    last = " ".join(report.split("ok  ")[-1].split())
    assert last.startswith("the timer completes the held read with data (16 bytes) Not done yet: ")
    assert "while the application cancelled its reads (CancelIo)" in last
    assert "0x10D WDF_VIOLATION (0x5," in last
    assert "in WdfRequestGetIoQueue: WDF_INVALID_HANDLE: Request WDFREQUEST" in last
    assert "names an object that no longer exists" in last
    assert "create a new Machine" not in report
    assert all(len(line) <= WIDTH for line in report.splitlines())


def wrong_unpacking(ns: dict) -> None:
    """MyEvtIoRead taking the (status, memory) pair for the memory."""

    def MyEvtIoRead(Queue, Request, Length):
        memory = WdfRequestRetrieveOutputMemory(Request)
        WdfMemoryCopyFromBuffer(memory, 0, ns["MY_DATA"], 4)

    ns["MyEvtIoRead"] = MyEvtIoRead


def test_a_python_exception_in_the_driver_is_reported_with_its_step():
    ns = skeleton()
    fill_in(ns)
    wrong_unpacking(ns)
    report = try_your_driver(ns["MyDriverEntry"], ns["GUID_DEVINTERFACE_MINE"])
    flat = " ".join(report.split())
    assert "Not done yet: the application sent a read (ReadFile): TypeError: " in flat
    assert "WdfMemoryCopyFromBuffer: DestinationMemory must be a WDF handle, not tuple" in flat
    assert "show_traceback=True" in flat
    assert "create a new Machine" not in report
    assert all(len(line) <= WIDTH for line in report.splitlines())


def test_show_traceback_raises_the_drivers_exception_with_a_note_for_the_lesson():
    ns = skeleton()
    fill_in(ns)
    wrong_unpacking(ns)
    with pytest.raises(TypeError, match="DestinationMemory must be a WDF handle") as raised:
        try_your_driver(ns["MyDriverEntry"], ns["GUID_DEVINTERFACE_MINE"], show_traceback=True)
    notes = raised.value.__notes__
    assert not any("create a new Machine" in note for note in notes)
    assert any("while the application sent a read (ReadFile)" in note for note in notes)


# -- the same driver, graded -----------------------------------------------------------------------
def graded(ns: dict, seeds=None):
    """What the lesson's grading cell returns for the driver in *ns*."""
    namespace = dict(ns)
    exec(grade_cell().rsplit("\n", 1)[0], namespace)
    if seeds is not None:
        return grade(None, held_reads(ns["MY_DATA"]), DriverEntry=ns["MyDriverEntry"], seeds=seeds)
    return namespace["report"]


def test_the_skeleton_as_committed_fails_grade_on_its_first_read():
    report = graded(skeleton())
    assert not report
    assert (report.reason, report.seed) == ("wrong status", 0)
    text = str(report)
    assert "Request: step 0: read of " in text
    assert "Got:      STATUS_INVALID_DEVICE_REQUEST, Information 0" in text
    assert report.reproduce == (
        "grade(None, held_reads(MY_DATA), DriverEntry=MyDriverEntry, seeds=[0])"
    )
    assert all(len(line) <= WIDTH for line in text.splitlines())


def test_the_skeleton_filled_in_passes_grade_for_50_seeds():
    ns = skeleton()
    fill_in(ns)
    assert graded(ns)
    report = graded(ns, seeds=range(50))
    assert report, str(report)


def test_grade_finds_the_timer_that_forgets_to_unmark():
    ns = skeleton()
    fill_in(ns, timer_unmarks=False)
    report = graded(ns)
    assert report.reason == "bug check 0x48"
    assert "*** STOP: 0x00000048 CANCEL_STATE_IN_COMPLETED_IRP" in str(report)


def test_grade_finds_a_read_never_completed():
    ns = skeleton()
    fill_in(ns)
    ns["MyEvtTimerFunc"] = lambda Timer: None
    assert graded(ns).reason == "not completed"


def test_grade_finds_a_cancel_routine_that_uses_the_dead_request():
    ns = skeleton()
    fill_in(ns)
    cancel_uses_the_dead_request(ns)
    report = graded(ns, seeds=range(50))
    assert report.reason == "bug check 0x10D/0x5"
    assert report.bugcheck.ddi == "WdfRequestGetIoQueue"


def cancel_leaves_it_held(ns: dict) -> None:
    """MyEvtRequestCancel completes the read but leaves it in Held: the line
    ``GetMyQueueContext(WdfRequestGetIoQueue(Request)).Held = None`` left out."""

    def MyEvtRequestCancel(Request):
        WdfRequestCompleteWithInformation(Request, STATUS_CANCELLED, 0)

    ns["MyEvtRequestCancel"] = MyEvtRequestCancel


def timer_leaves_it_held(ns: dict) -> None:
    """MyEvtTimerFunc unmarks and completes the read but leaves it in Held."""

    def MyEvtTimerFunc(Timer):
        Request = ns["GetMyQueueContext"](WdfTimerGetParentObject(Timer)).Held
        if Request is not None and WdfRequestUnmarkCancelable(Request) != STATUS_CANCELLED:
            WdfRequestComplete(Request, STATUS_SUCCESS)

    ns["MyEvtTimerFunc"] = MyEvtTimerFunc


def timer_does_not_unmark(ns: dict) -> None:
    """MyEvtTimerFunc completes the read while it is still cancelable."""
    fill_in(ns, timer_unmarks=False)


def cancel_does_not_complete(ns: dict) -> None:
    """MyEvtRequestCancel forgets the read (Held = None) but never completes it."""

    def MyEvtRequestCancel(Request):
        ns["GetMyQueueContext"](WdfRequestGetIoQueue(Request)).Held = None

    ns["MyEvtRequestCancel"] = MyEvtRequestCancel


@pytest.mark.parametrize(
    "mutation, reason, ddi",
    [
        (cancel_leaves_it_held, "bug check 0x10D/0x5", "WdfRequestUnmarkCancelable"),
        (timer_leaves_it_held, "bug check 0x10D/0x5", "WdfRequestUnmarkCancelable"),
        (timer_does_not_unmark, "bug check 0x48", "WdfRequestComplete"),
    ],
)
def test_grade_fails_one_line_wrong_with_the_bug_check_try_your_driver_shows(mutation, reason, ddi):
    ns = skeleton()
    fill_in(ns)
    mutation(ns)
    report = graded(ns)
    assert not report
    assert (report.reason, report.bugcheck.ddi) == (reason, ddi), str(report)
    assert report.seed in range(16)
    tried = " ".join(try_your_driver(ns["MyDriverEntry"], ns["GUID_DEVINTERFACE_MINE"]).split())
    code = reason.split()[-1].split("/")[0]
    assert f"the machine stopped with bug check {code} " in tried
    assert f" in {ddi}: " in tried


@pytest.mark.parametrize("mutation", [cancel_leaves_it_held, timer_leaves_it_held])
def test_a_request_kept_after_completion_is_found_while_the_application_is_idle(mutation):
    """No new read replaces the dead one in Held while the application sends nothing: the
    timer's next tick unmarks a request that no longer exists."""
    ns = skeleton()
    fill_in(ns)
    mutation(ns)
    report = graded(ns)
    assert "the application is idle for" in report.timeline[-2]
    assert "*** bug check 0x10D WDF_VIOLATION in WdfRequestUnmarkCancelable" in report.timeline[-1]
    assert "WDF_INVALID_HANDLE: Request WDFREQUEST" in str(report)
    assert report.reproduce.endswith(f"seeds=[{report.seed}])")
    again = graded(ns, seeds=[report.seed])  # the reproduce line: the same failure
    assert (again.reason, again.timeline) == (report.reason, report.timeline)


def test_grade_finds_a_cancel_routine_that_never_completes():
    ns = skeleton()
    fill_in(ns)
    cancel_does_not_complete(ns)
    report = graded(ns)
    assert report.reason == "not completed"
    assert report.operation.ended_by == "CancelIo"


def test_grade_reports_a_python_error_in_the_driver():
    ns = skeleton()
    fill_in(ns)
    wrong_unpacking(ns)
    report = graded(ns)
    assert report.reason == "driver raised TypeError"
    assert "DestinationMemory must be a WDF handle, not tuple" in str(report)
