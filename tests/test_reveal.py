"""The reveal buttons show nothing until pressed, then the run's outcome or the answer."""

import pytest

from wdfkit.course import exercises
from wdfkit.course.answers import COUNT
from wdfkit.show.reveal import Reveal, reveal


def test_nothing_is_shown_until_a_button_is_pressed():
    problem = exercises.make_problem("12-ex1", seed=12)
    shown = reveal(problem)
    assert isinstance(shown, Reveal) and shown.text.value == ""
    assert [b.description for b in shown.widget.children[0].children] == [
        "Run it",
        "Show the answer",
    ]


def test_run_it_shows_what_the_simulator_did_and_the_answer_button_the_answer():
    problem = exercises.make_problem("12-ex1", seed=12)
    shown = reveal(problem)
    shown.run_button.click()
    assert "[12-ex1, seed 12] The simulator:" in shown.text.value
    assert "STATUS_CANCELLED" in shown.text.value and "Answer:" not in shown.text.value
    shown.answer_button.click()
    assert "Answer: (1, 5)." in shown.text.value


def test_a_problem_without_a_run_has_only_the_answer_button():
    problem = exercises.Problem("xx-ex1", "How many?", COUNT, 3, "three <b>.")
    shown = reveal(problem)
    assert [b.description for b in shown.widget.children[0].children] == ["Show the answer"]
    shown.answer_button.click()
    assert "three &lt;b&gt;." in shown.text.value  # the text is escaped, not HTML


def test_something_else_than_a_problem_is_a_type_error_naming_reveal():
    with pytest.raises(TypeError, match="reveal: problem must be a Problem"):
        reveal("12-ex1")
