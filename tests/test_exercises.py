"""Every check-yourself problem is answerable: its own solution passes its check."""

import pytest

from wdfkit.course import exercises

LABELS = (
    ["00-ex1", "01-ex1", "02-ex1", "03-ex1", "04-ex1", "05-ex1"]
    + [f"{n:02d}-ex1" for n in range(6, 12)]
    + ["12-ex1", "12-ex2", "12-ex3"]
)


@pytest.mark.parametrize("label", LABELS)
def test_solution_passes_its_check(label):
    for seed in range(3):
        problem = exercises.make_problem(label, seed)
        assert problem.question and problem.solution is not None
        assert problem.check(problem.solution).startswith("Correct")
        assert problem.check("not an answer").startswith("Not quite")


def test_copy_problem_varies_with_the_seed():
    answers = {exercises.make_problem("01-ex1", seed).solution for seed in range(40)}
    assert {0, 0xC000000D, 0xC0000206, 0xC0000023} <= answers


def test_unknown_label_names_the_choices():
    with pytest.raises(ValueError, match="01-ex1"):
        exercises.make_problem("99-ex1")


@pytest.mark.parametrize(
    "label, shown",
    [("06-ex1", "Answer: (0x10D, 0x5)."), ("07-ex1", "Answer: 0x50."), ("08-ex1", "0xC0000010.")],
)
def test_codes_and_statuses_are_answered_in_hex(label, shown):
    assert shown in exercises.make_problem(label).answer()


def test_a_wrong_code_is_echoed_in_hex():
    problem = exercises.make_problem("07-ex1")
    assert "you answered 0xD1." in problem.check(0xD1)
    assert "you answered 'x'." in problem.check("x")


def test_lesson12_problems_vary_with_the_seed():
    """The echo and control-device problems draw different runs, and the answers follow."""
    cancel = {exercises.make_problem("12-ex1", seed).solution for seed in range(8)}
    assert len(cancel) > 3 and all(sum(pair) >= 3 for pair in cancel)
    echoed = {exercises.make_problem("12-ex2", seed).solution for seed in range(8)}
    assert (0, 0) in echoed and any(seconds == 2 for _, seconds in echoed)
    ioctl = {exercises.make_problem("12-ex3", seed).solution for seed in range(8)}
    assert (0xC000000D, 0) in ioctl and (0, 38) in ioctl


def test_lesson12_predictions_ask_for_one_and_take_a_list_for_a_pair():
    for label in ("12-ex1", "12-ex2", "12-ex3"):
        problem = exercises.make_problem(label)
        feedback = problem.check(None)
        assert feedback == "No answer yet: write your prediction in my_answer first."
        assert "Correct" in problem.check(list(problem.solution))
        assert "Correct" in problem.check(tuple(problem.solution))
        wrong = problem.check([-1, -1])
        assert wrong.startswith("Not quite") and "Run the calls again" not in wrong
    other = exercises.make_problem("07-ex1")
    assert "Run the calls again" in other.check(None)


def test_lesson12_write_problem_states_the_write_limit():
    problem = exercises.make_problem("12-ex2")
    assert "MAX_WRITE_LENGTH (40960) bytes" in " ".join(repr(problem).split())
