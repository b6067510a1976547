"""Lesson 12's lab: the echo driver's run under the chosen application, and the lab's widgets."""

import pytest

from wdfkit import STATUS_CANCELLED, STATUS_SUCCESS
from wdfkit.course import samples
from wdfkit.show import canvas, driverlab
from wdfkit.sim.snapshot import LifetimeKind


def statuses(run) -> list:
    return [io.IoStatus.Status for io in run.reads]


def times(run) -> list:
    return [round(at - run.started, 1) for at in run.done_at]


def test_echo_run_the_timer_completes_one_read_per_period():
    run = driverlab.echo_run(3)
    assert statuses(run) == [STATUS_SUCCESS] * 3
    assert [io.IoStatus.Information for io in run.reads] == [16] * 3
    assert times(run) == [2.0, 4.0, 6.0]
    assert run.machine.bugcheck is None


def test_echo_run_CancelIo_cancels_the_held_read_and_the_waiting_ones_at_once():
    run = driverlab.echo_run(4, cancel_at=2.5)
    assert statuses(run) == [STATUS_SUCCESS] + [STATUS_CANCELLED] * 3
    assert times(run) == [2.0, 2.5, 2.5, 2.5]
    cancelled = [row for row in run.machine.snapshot().timeline.rows if row.kind.value == "request"]
    marks = [text for row in cancelled for _, text in row.marks]
    assert any(text.startswith("cancelled") for text in marks)


def test_echo_run_removal_waits_for_the_held_read_then_cancels_the_queue():
    run = driverlab.echo_run(3, remove_at=1.0)
    assert statuses(run) == [STATUS_SUCCESS, STATUS_CANCELLED, STATUS_CANCELLED]
    assert times(run) == [2.0, 2.0, 2.0]  # the removal waited for the tick
    app = run.machine.process()
    assert app.CM_Get_Device_Interface_List(samples.GUID_DEVINTERFACE_ECHO) == []


def test_requests_only_keeps_the_request_lines_renumbered():
    timeline = driverlab.echo_run(2).machine.snapshot().timeline
    shown = driverlab.requests_only(timeline)
    assert len(shown.rows) == 3  # the write and two reads
    assert {row.kind for row in shown.rows} == {LifetimeKind.REQUEST}
    assert sorted(row.line for row in shown.rows) == [0, 1, 2]
    assert all(label.startswith("WDFREQUEST") for label in shown.lines)


def test_replaced_restores_the_sample():
    original = samples.EchoEvtTimerFunc
    with driverlab.replaced(samples, EchoEvtTimerFunc=print):
        assert samples.EchoEvtTimerFunc is print
    assert samples.EchoEvtTimerFunc is original
    with pytest.raises(RuntimeError), driverlab.replaced(samples, EchoEvtTimerFunc=print):
        raise RuntimeError
    assert samples.EchoEvtTimerFunc is original


def test_lab_redraws_on_each_choice():
    lab = driverlab.EchoLab()
    assert lab.message.value == "Outcome: 3 reads returned data, 0 were cancelled"
    before = lab.shown
    lab.reads.value = 2
    assert len(lab.shown.rows) == 3 and lab.shown is not before
    lab.cancel_at.value = "0.5 s"
    assert lab.message.value == "Outcome: 0 reads returned data, 2 were cancelled"
    assert statuses(lab.run) == [STATUS_CANCELLED] * 2
    lab.cancel_at.value = "never"
    lab.remove_at.value = "1.0 s"
    assert statuses(lab.run) == [STATUS_SUCCESS, STATUS_CANCELLED]
    ends = [row.end for row in lab.shown.rows]
    assert all(end is not None for end in ends)  # nothing left alive after the removal


def test_every_dropdown_option_shows_its_label():
    lab = driverlab.EchoLab()
    for dropdown in (lab.cancel_at, lab.remove_at):
        assert dropdown.label == "never" and dropdown.index == 0
        for index, (label, _) in enumerate(dropdown._options_full):
            dropdown.index = index
            assert label and dropdown.label == label and dropdown.value == label
    assert driverlab.EchoLab.seconds("never") is None
    assert driverlab.EchoLab.seconds("2.5 s") == 2.5


def test_the_lab_prints_the_virtual_times_of_ticks_cancel_and_removal():
    run = driverlab.echo_run(4, remove_at=1.0)
    assert run.time_marks() == [
        (1.0, "removal asked"),
        (2.0, "tick"),
        (2.0, "removal finished"),
    ]
    assert run.summary() == "1 read returned data, 3 were cancelled"
    cancelled = driverlab.echo_run(3, cancel_at=2.5)
    assert cancelled.time_marks() == [(2.0, "tick"), (2.5, "CancelIo")]
    assert "tick at 2.0 s, CancelIo at 2.5 s." in cancelled.time_line()


def test_the_lab_names_the_write_and_the_reads_and_marks_the_times():
    lab = driverlab.EchoLab()
    lab.remove_at.value = "1.0 s"
    names = driverlab.row_names(lab.run)
    assert [name.split("\n")[0] for name in names] == ["write", "read 1", "read 2", "read 3"]
    assert all(name.split("\n")[1].startswith("WDFREQUEST") for name in names)
    figure = canvas.new_figure()
    ax = figure.subplots()
    driverlab.mark_times(ax, lab.run, lab.shown)
    texts = [text.get_text().strip() for text in ax.texts]
    assert texts == ["removal asked 1.0 s, tick 2.0 s, removal finished 2.0 s"]
