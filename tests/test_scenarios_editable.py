"""The scenario drivers a learner edits: routines passed in by their KMDF names run in the place
of the package's, the labs run them, and the notebooks' copies behave as the package's do."""

import inspect
import json
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest

import wdfkit
from wdfkit import (
    STATUS_DEVICE_BUSY,
    STATUS_SUCCESS,
    WdfRequestComplete,
    WdfRequestCompleteWithInformation,
)
from wdfkit.course import dma_examples, scenarios

matplotlib.use("Agg")

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


def notebook_routines(name: str, *cell_ids: str) -> dict:
    """Run the code cells *cell_ids* of notebook *name* in a namespace of their own, as the
    notebook's kernel does (``from wdfkit import *`` first), and return that namespace."""
    cells = {c["id"]: c for c in json.loads((NOTEBOOKS / name).read_text("utf-8"))["cells"]}
    namespace = {"scenarios": scenarios, "dma_examples": dma_examples}
    exec("from wdfkit import *", namespace)
    for cell_id in cell_ids:
        source = "".join(cells[cell_id]["source"])
        exec(compile(source, f"{name}:{cell_id}", "exec"), namespace)
    return namespace


# -- a learner's routine changes the run ---------------------------------------------------------
def test_an_edited_status_is_what_the_application_gets():
    def EvtIoRead(Queue, Request, Length):
        WdfRequestCompleteWithInformation(Request, STATUS_DEVICE_BUSY, 0)

    run = scenarios.scenario1(EvtIoRead=EvtIoRead)
    assert run.bugcheck is None and run.io_status.Status == STATUS_DEVICE_BUSY
    assert "STATUS_DEVICE_BUSY" in run.outcome


def test_an_edited_completion_routine_is_the_one_that_runs():
    """The package's EvtIoRead sets the completion routine passed in."""

    def RequestCompletionRoutine(Request, Target, CompletionParams, Context):
        WdfRequestComplete(Request, STATUS_DEVICE_BUSY)  # whatever the lower device said

    run = scenarios.scenario2(RequestCompletionRoutine=RequestCompletionRoutine)
    assert run.io_status.Status == STATUS_DEVICE_BUSY
    assert scenarios.scenario2().io_status.Status == STATUS_SUCCESS  # the package's: unchanged


def test_a_bug_in_the_learners_routine_gives_its_bug_check():
    """Lesson 07's edit: take the '#' off one of the two lines after the completion."""
    ns = notebook_routines("07_scenario1_complete.ipynb", "587f868c")
    cells = json.loads((NOTEBOOKS / "07_scenario1_complete.ipynb").read_text("utf-8"))["cells"]
    (cell,) = [c for c in cells if c["id"] == "587f868c"]
    source = "".join(cell["source"])
    exec(source.replace('# buffer.write(b"late")', 'buffer.write(b"late")'), ns)
    run = scenarios.scenario1(EvtIoRead=ns["EvtIoRead"])
    assert run.bugcheck.code == 0x50 and run.bugcheck.parameters[1] == 2  # a write
    exec(source.replace("# WdfMemoryGetBuffer(memory)", "WdfMemoryGetBuffer(memory)"), ns)
    run = scenarios.scenario1(EvtIoRead=ns["EvtIoRead"])
    assert run.bugcheck.code == 0x10D and run.bugcheck.parameters[0] == 0x5


def test_the_learners_completion_routine_without_reuse_is_0x10d_3():
    ns = notebook_routines("09_scenario3_existing_memory.ipynb", "52f28c90", "g9cpl002")

    def EvtDriverCreatedRequestCompletion(Request, Target, Params, Context):  # no reuse
        WdfRequestCompleteWithInformation(Context, Params.IoStatus.Status, 0)
        wdfkit.WdfObjectDelete(Request)

    ns["EvtDriverCreatedRequestCompletion"] = EvtDriverCreatedRequestCompletion  # as re-run
    for ioctl, held in ((False, 1), (True, 2)):
        run = scenarios.scenario3(
            ioctl=ioctl,
            EvtIoRead=ns["EvtIoRead"],
            EvtIoDeviceControl=ns["EvtIoDeviceControl"],
        )
        assert run.bugcheck.code == 0x10D and run.bugcheck.parameters[0] == 0x3
        assert run.bugcheck.parameters[2] == held


def test_a_python_error_in_a_routine_is_the_runs_outcome_not_a_crash():
    def EvtIoRead(Queue, Request, Length):
        WdfRequestComplete(Request)  # a parameter short: a TypeError, as C would not compile

    run = scenarios.scenario1(EvtIoRead=EvtIoRead)
    assert run.bugcheck is None and run.io_status is None
    assert run.outcome.startswith("TypeError raised in the driver's EvtIoRead")
    assert run.outcome.endswith("the machine stopped")


def test_an_exception_in_the_learners_device_add_is_kept_too():
    def EvtDriverDeviceAdd(Driver, DeviceInit):
        raise NameError("name 'ReadBufferKnd' is not defined")

    run = scenarios.scenario4(EvtDriverDeviceAdd=EvtDriverDeviceAdd)
    assert run.outcome.startswith("NameError raised in the driver's EvtDriverDeviceAdd")


def test_a_device_add_that_fails_says_so():
    run = scenarios.scenario5(EvtDriverDeviceAdd=lambda Driver, DeviceInit: STATUS_DEVICE_BUSY)
    assert run.outcome.startswith("EvtDriverDeviceAdd returned STATUS_DEVICE_BUSY")


# -- the rules of passing routines ---------------------------------------------------------------
def test_routine_names_are_each_scenarios_keyword_only_parameters():
    assert scenarios.routine_names(scenarios.scenario2) == ("EvtIoRead", "RequestCompletionRoutine")
    assert scenarios.routine_names(scenarios.scenario4) == ("EvtDriverDeviceAdd",)
    for name, moves in scenarios.DRIVER_MOVES.items():
        scenario = getattr(scenarios, name)
        assert scenarios.routine_names(scenario)  # every scenario takes a routine of yours
        assert set(moves) <= set(inspect.signature(scenario).parameters)


def test_a_driver_move_in_a_routine_you_replaced_is_refused():
    def EvtIoRead(Queue, Request, Length):
        WdfRequestComplete(Request, STATUS_SUCCESS)

    with pytest.raises(ValueError, match="scenario1: after_complete='buffer pointer' changes"):
        scenarios.scenario1(after_complete="buffer pointer", EvtIoRead=EvtIoRead)
    with pytest.raises(ValueError, match="scenario3: reuse_first=False changes a line"):
        scenarios.scenario3(reuse_first=False, EvtIoRead=EvtIoRead)  # yours names your routine
    with pytest.raises(ValueError, match="scenario4: free_early=True"):
        scenarios.scenario4(free_early=True, EvtDriverDeviceAdd=lambda d, i: STATUS_SUCCESS)
    # A move at its default is no change; a setting applies to any driver.
    assert scenarios.scenario1(after_complete="nothing", EvtIoRead=EvtIoRead).bugcheck is None
    ns = notebook_routines("08_scenario2_forward.ipynb", "b499efdb")
    run = scenarios.scenario2(lower_fails=True, EvtIoRead=ns["EvtIoRead"])
    assert run.io_status.Status == wdfkit.STATUS_IO_DEVICE_ERROR


def test_a_routine_that_is_not_a_function_is_a_type_error():
    with pytest.raises(TypeError, match="scenario2: EvtIoRead must be a function, not str"):
        scenarios.scenario2(EvtIoRead="EvtIoRead")
    with pytest.raises(TypeError, match="dma_write: EvtIoWrite must be a function"):
        dma_examples.dma_write(EvtIoWrite=1)


# -- the notebooks' copies are the package's -------------------------------------------------------
def test_the_notebooks_drivers_run_as_the_packages_copies_do():
    """Lessons 06, 07, 08 and 10 transcribe the package's driver: the same timeline, event for
    event; lessons 09 and 11 write a driver of their own shape that gives the same result."""
    same = [
        ("06_buffer_life_cycle.ipynb", ("g06rd001",), scenarios.life_cycle, "EvtIoRead"),
        ("07_scenario1_complete.ipynb", ("587f868c",), scenarios.scenario1, "EvtIoRead"),
        ("08_scenario2_forward.ipynb", ("b499efdb",), scenarios.scenario2, "EvtIoRead"),
        (
            "10_scenario4_new_memory.ipynb",
            ("d1675feb", "g10add02", "g10buf02", "g10io002", "g10done2"),
            scenarios.scenario4,
            "EvtDriverDeviceAdd",
        ),
    ]
    for name, cells, scenario, routine in same:
        ns = notebook_routines(name, *cells)
        mine = scenario(**{routine: ns[routine]})
        assert mine.machine.timeline.text() == scenario().machine.timeline.text(), name
    ns = notebook_routines("09_scenario3_existing_memory.ipynb", "52f28c90", "g9cpl002")
    for ioctl in (False, True):
        run = scenarios.scenario3(
            ioctl=ioctl, EvtIoRead=ns["EvtIoRead"], EvtIoDeviceControl=ns["EvtIoDeviceControl"]
        )
        assert run.bugcheck is None and run.data == scenarios.scenario3(ioctl=ioctl).data
    ns = notebook_routines("11_scenario5_reuse_request.ipynb", "c639141d", "g11io002")
    for sends, overlap in ((4, False), (2, True)):
        run = scenarios.scenario5(
            sends, overlap=overlap, EvtDriverDeviceAdd=ns["EvtDriverDeviceAdd"]
        )
        theirs = scenarios.scenario5(sends, overlap=overlap)
        assert run.io_status == theirs.io_status
        assert (run.bugcheck and run.bugcheck.parameters[:2]) == (
            theirs.bugcheck and theirs.bugcheck.parameters[:2]
        )


def test_lesson_03s_dma_driver_programs_the_device_as_the_packages_does():
    ns = notebook_routines("03_mdls.ipynb", "217b04f3")
    for profile in dma_examples.PROFILES:
        mine = dma_examples.dma_write(profile=profile, EvtIoWrite=ns["EvtIoWrite"])
        theirs = dma_examples.dma_write(profile=profile)
        assert mine.status.Status == STATUS_SUCCESS and mine.mdl == theirs.mdl
        assert [sg.Elements for sg in mine.transfers] == [sg.Elements for sg in theirs.transfers]
        assert mine.statuses == theirs.statuses


# -- the lab runs them ---------------------------------------------------------------------------
def test_the_lab_runs_the_routines_it_is_given_and_hides_the_moves():
    from wdfkit.show import widgets

    def EvtIoRead(Queue, Request, Length):
        WdfRequestCompleteWithInformation(Request, STATUS_DEVICE_BUSY, 0)

    lab = widgets.ScenarioLab(
        scenarios.scenario1,
        {"buffering": ("buffered", "direct"), "after_complete": ("nothing", "buffer pointer")},
        "S1",
        routines={"EvtIoRead": EvtIoRead, "unrelated": 1},
    )
    assert lab.routines == {"EvtIoRead": EvtIoRead}
    assert lab.message.value.startswith("Your EvtIoRead ran. Outcome: the application got ")
    assert "STATUS_DEVICE_BUSY" in lab.message.value
    shown = {name: c.layout.display != "none" for name, c in lab.controls.items()}
    assert shown == {"buffering": True, "after_complete": False}
    lab.controls["buffering"].value = "direct"  # a setting: your driver runs again
    assert lab.run.io_status.Status == STATUS_DEVICE_BUSY
    lab.driver.value = widgets.ScenarioLab.PACKAGES  # the package's, with its moves
    assert lab.controls["after_complete"].layout.display != "none"
    lab.controls["after_complete"].value = "buffer pointer"
    assert lab.message.value.startswith("The package's driver ran. Outcome: bug check 0x50")
    plt.close("all")


def test_the_lab_shows_a_routines_type_error_as_its_outcome():
    from wdfkit.show import widgets

    def EvtIoRead(Queue, Request, Length):
        WdfRequestComplete(Request, "STATUS_SUCCESS")  # a string where C has an NTSTATUS

    lab = widgets.ScenarioLab(
        scenarios.scenario2, {"lower_fails": False}, "S2", routines={"EvtIoRead": EvtIoRead}
    )
    assert "TypeError raised in the driver's EvtIoRead" in lab.message.value
    lab.controls["lower_fails"].value = True  # the lab goes on working
    assert "TypeError" in lab.message.value and lab.run.bugcheck is None
    plt.close("all")


def test_a_lab_given_no_routines_of_yours_runs_the_packages_and_says_why():
    from wdfkit.show import widgets

    lab = widgets.ScenarioLab(scenarios.scenario3, {"reuse_first": True}, "S3", routines={})
    assert lab.driver.options == (widgets.ScenarioLab.PACKAGES,)
    assert "run your driver's cells above" in lab.message.value
    plt.close("all")
