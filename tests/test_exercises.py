"""Every check-yourself problem is answerable, seeded and shows no solution until asked."""

import pytest

from wdfkit.course import exercises
from wdfkit.course.answers import COUNT, STATUS, BugCheckKind, Choice, Several

LABELS = exercises.labels()


def said(text: str) -> str:
    """Feedback with its line breaks undone (fill wraps it at 100 columns)."""
    return " ".join(text.split())


@pytest.mark.parametrize("label", LABELS)
def test_solution_passes_its_check_in_its_own_echo(label):
    for seed in range(3):
        problem = exercises.make_problem(label, seed)
        assert problem.question and problem.solution is not None
        assert problem.check(problem.solution).startswith("Correct")
        shown = problem.kind.show(problem.solution)
        assert problem.check(shown).startswith("Correct"), shown  # the echo reads back
        assert problem.check("not an answer").startswith("I cannot read 'not an answer' as")


@pytest.mark.parametrize("label", LABELS)
def test_the_question_shows_label_seed_and_form_but_not_the_solution(label):
    problem = exercises.make_problem(label, 5)
    text = repr(problem)
    assert text.startswith(f"[{label}, seed 5] ")
    assert f"e.g. {problem.kind.example}." in " ".join(text.split())
    assert problem.check(None).startswith("No answer yet")
    assert "Answer:" in problem.answer()


def test_every_lesson_has_at_least_three_problems_and_one_prediction():
    lessons = {label[:2] for label in LABELS}
    assert lessons >= {f"{n:02d}" for n in range(13)}
    for lesson in sorted(lessons):
        mine = [label for label in LABELS if label.startswith(lesson)]
        assert len(mine) >= 3, lesson
        assert any(exercises.make_problem(label).prediction for label in mine), lesson


def test_unknown_label_and_bad_seed_are_named():
    with pytest.raises(ValueError, match="make_problem: unknown label '99-ex1'; choose from"):
        exercises.make_problem("99-ex1")
    with pytest.raises(ValueError, match="make_problem: seed must be an int >= 0"):
        exercises.make_problem(LABELS[0], -1)
    with pytest.raises(ValueError, match="make_problem: seed"):
        exercises.make_problem(LABELS[0], "3")
    with pytest.raises(ValueError, match="make_problem: unknown label"):
        exercises.make_problem(["00-ex1"])  # was TypeError: unhashable type: 'list'


def test_a_listed_wrong_answer_gets_its_diagnosis_and_others_the_kinds():
    problem = exercises.Problem(
        "xx-ex1",
        "What stopped the machine?",
        BugCheckKind(1),
        (0x10D, 5, 0xFFFF, 0, 0),
        "a stale handle.",
        diagnoses={0x50: "0x50 is what a dead pointer gives; here the dead thing was a handle."},
    )
    assert problem.solution == (0x10D, 5)
    assert "dead pointer" in said(problem.check((0x50, 0x1234)))
    assert "dead pointer" in said(problem.check("PAGE_FAULT_IN_NONPAGED_AREA"))
    assert "The code is right; give its parameter too" in said(problem.check(0x10D))
    assert "NTSTATUS" in said(problem.check(0xC0000010))
    for right in ((0x10D, 5), [269, 5], "0x10D/0x5", "0x10D, 5", "(0x10D, 0x5)"):
        assert said(problem.check(right)).startswith("Correct: 0x10D WDF_VIOLATION, Arg1 0x5."), (
            right
        )
    assert problem.check((0x10D, 5, 0xFFFF)).startswith("Correct")  # more, and right
    assert problem.check((0x10D, 5, 1)).startswith("Correct")  # more: not judged


def test_a_status_is_read_in_every_form_and_echoed_by_name():
    problem = exercises.Problem("xx-ex2", "?", STATUS, 0xC0000010, "why.")
    forms = (0xC0000010, -1073741808, "0xC0000010", "c0000010", "STATUS_INVALID_DEVICE_REQUEST")
    for form in forms + ("status_invalid_device_request", "STATUS_INVALID_DEVICE_REQUEST (0x…)"):
        assert said(problem.check(form)).startswith(
            "Correct: STATUS_INVALID_DEVICE_REQUEST (0xC0000010)."
        ), form
    assert "did not succeed" in said(problem.check(0))
    assert "bug-check code" in said(problem.check(0x10D))


def test_a_pair_says_which_half_is_wrong_and_a_swap():
    problem = exercises.Problem("xx-ex3", "?", Several(STATUS, BugCheckKind()), (0, 0x50), "w.")
    assert problem.check([0, "0x50"]).startswith("Correct")
    assert "The first is right; the second is not." in said(problem.check((0, 0x10D)))
    problem = exercises.Problem("xx-ex4", "?", Several(COUNT, COUNT), (3, 1), "")
    assert "in the wrong order" in said(problem.check((1, 3)))
    assert "Close: one off." in said(problem.check((3, 2)))


@pytest.mark.parametrize(
    "kind, solution",
    [
        (COUNT, 3),
        (STATUS, 0),
        (BugCheckKind(1), (0x10D, 5)),
        (Several(COUNT, COUNT), (1, 2)),
        (Choice({"handle": ("a handle",)}), "handle"),
    ],
)
def test_anything_a_learner_types_gets_a_short_answer(kind, solution):
    """Huge, nested, empty, odd-typed answers: a short sentence, never an exception, never a
    status wrapped into range (2**80 is not STATUS_SUCCESS) or an address in the text."""
    problem = exercises.Problem("xx-ex5", "?", kind, solution, "why.")
    odd = [10**5000, (10**5000, 1), "1" * 5000, "(" * 10000, "", "  ", object(), b"\0", {}, True]
    odd += [
        2**80 if kind is not COUNT else 2**128,
        -(2**127) - 1,
        float("nan"),
        float("inf"),
        3.5,
        [1, [2, 3]],
        (0x10D, -1),
    ]
    for answer in odd:
        feedback = problem.check(answer)
        assert len(feedback) < 400 and " at 0x" not in feedback, feedback
        assert not feedback.startswith("Correct"), answer


def nested(depth: int) -> list:
    """A list in a list … *depth* deep: repr() of it exhausts Python's stack."""
    answer: list = []
    for _ in range(depth):
        answer = [answer]
    return answer


@pytest.mark.parametrize(
    "kind, solution",
    [(COUNT, 3), (Several(COUNT, COUNT), (1, 2)), (BugCheckKind(1), (0x10D, 5))],
)
def test_an_answer_too_deep_for_python_gets_a_sentence_not_a_recursion_error(kind, solution):
    """as_typed once let repr()'s RecursionError, and ast.literal_eval's on a crafted string,
    escape check()."""
    problem = exercises.Problem("xx-ex6", "?", kind, solution, "why.")
    for answer in (nested(100_000), "(" + "-" * 100_000 + "1)", "(" + "1+" * 5000 + "1)"):
        feedback = problem.check(answer)
        assert feedback.startswith("I cannot read") and len(feedback) < 400, feedback


def test_a_bug_check_has_at_most_four_parameters():
    """A list of a million numbers was read as a bug check with a million parameters and
    echoed back in full (14 MB of feedback)."""
    problem = exercises.Problem("xx-ex7", "?", BugCheckKind(1), (0x10D, 5), "why.")
    assert problem.check((0x10D, 5, 0, 0, 0)).startswith("Correct")
    for answer in ((0x10D, 5, 0, 0, 0, 0), [1] * 1_000_000):
        feedback = problem.check(answer)
        assert feedback.startswith("I cannot read") and len(feedback) < 400, feedback


def test_a_pair_of_different_kinds_both_wrong_gets_feedback_not_a_type_error():
    """The wrong-order check compared a bug check with a status through the bug check's
    own comparison, which took len() of an int."""
    problem = exercises.Problem("xx-ex8", "?", Several(BugCheckKind(), STATUS), (0x50, 0), "w.")
    assert said(problem.check((0x10D, 0xC0000001))).startswith("Not quite: you answered")
    problem = exercises.Problem("xx-ex9", "?", Several(STATUS, COUNT), (0, 5), "w.")
    assert "in the wrong order" in said(problem.check((5, 0)))


@pytest.mark.parametrize("label", LABELS)
def test_many_seeds_draw_a_problem_whose_solution_passes(label):
    """A seed must never crash the draw (lesson 12's METHOD_NEITHER with no output buffer once
    did: 23 of 400 seeds bug-checked in the sample's probe-and-lock)."""
    for seed in range(0, 400, 7):
        problem = exercises.make_problem(label, seed)
        assert problem.check(problem.solution).startswith("Correct"), (label, seed)
