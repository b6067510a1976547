"""Lesson 06's lab driver: the request's memory dies at completion, the driver's own at its
last reference, and a reference held on the request's memory is a bug check at completion."""

import pytest

from wdfkit import WDF_VIOLATION
from wdfkit.course import scenarios


def test_the_requests_memory_ends_at_completion_and_the_application_gets_the_data():
    run = scenarios.life_cycle()
    assert run.bugcheck is None
    assert run.data == bytes(range(0xA0, 0xB0))


def test_the_drivers_own_memory_ends_at_delete_or_at_the_last_reference():
    for hold, last_event in ((False, "WdfObjectDelete"), (True, "WdfObjectDereference")):
        run = scenarios.life_cycle("WdfMemoryCreate", hold_reference=hold)
        assert run.bugcheck is None and run.data == bytes(range(0xA0, 0xB0))
        events = run.machine.snapshot().timeline.events
        own = [e for e in events if "(pool)" in e.label]
        assert [e.text for e in own][-2:] == [last_event, "destroyed"]
        completed = next(e.step for e in events if e.text.startswith("completed"))
        assert (own[-1].step > completed) == hold


def test_a_reference_held_on_the_requests_memory_is_a_bug_check_at_completion():
    run = scenarios.life_cycle("the request's", hold_reference=True)
    assert run.bugcheck.code == WDF_VIOLATION
    assert run.bugcheck.ddi == "WdfRequestCompleteWithInformation"


def test_an_unknown_source_is_refused():
    with pytest.raises(ValueError, match="life_cycle: buffer"):
        scenarios.life_cycle("preallocated")


def test_lesson_06s_lab_runs_each_choice():
    from wdfkit.show import widgets

    lab = widgets.ScenarioLab(
        scenarios.life_cycle,
        {"buffer": scenarios.BUFFER_SOURCES, "hold_reference": False},
        "Lesson 06",
    )
    assert lab.message.value.startswith("Outcome: the application got STATUS_SUCCESS")
    lab.controls["hold_reference"].value = True
    assert "0x10D WDF_VIOLATION" in lab.message.value
    lab.controls["buffer"].value = "WdfMemoryCreate"
    assert lab.message.value.startswith("Outcome: the application got STATUS_SUCCESS")
