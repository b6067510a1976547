"""Lessons 04-07's check-yourself problems: every answer form passes, wrong answers get their
own diagnosis, seeds draw different variants, and the solutions are the simulator's."""

import time

import pytest

from wdfkit.course import exercises
from wdfkit.course.answers import COUNT, HEX, STATUS, BugCheckKind, Several
from wdfkit.kernel.bugcheck import BUGCHECK_NAMES

LABELS = [f"{lesson:02d}-ex{n}" for lesson in (4, 5, 6, 7) for n in (1, 2, 3)]
SEEDS = range(20)


def said(text: str) -> str:
    """Feedback with its line breaks undone (fill wraps it at 100 columns)."""
    return " ".join(text.split())


def forms(kind, value) -> list:
    """Every documented way to write *value* (canonical) as an answer of *kind*."""
    shown = [kind.show(value)]
    if kind is COUNT:
        return shown + [value, str(value), hex(value)]
    if kind is HEX:
        return shown + [value, hex(value), f"{value:x}", str(value) if value < 10 else hex(value)]
    if kind is STATUS:
        return shown + [value, f"0x{value:08X}", f"{value:x}", kind.show(value).split()[0]]
    if isinstance(kind, BugCheckKind):
        code, *rest = value
        text = "/".join(f"0x{v:X}" for v in value)
        named = [BUGCHECK_NAMES[code], *rest] if rest else BUGCHECK_NAMES[code]
        return shown + [value, list(value), text, named, ", ".join(map(hex, value))]
    if isinstance(kind, Several):
        parts = [forms(k, v) for k, v in zip(kind.kinds, value, strict=True)]
        mixed = tuple(p[1] for p in parts)
        text = ", ".join(k.show(v) for k, v in zip(kind.kinds, value, strict=True))
        return shown + [value, list(value), mixed, text, f"({text})"]
    raise AssertionError(f"no forms for {kind!r}")


@pytest.fixture(scope="module")
def drawn():
    return {label: [exercises.make_problem(label, seed) for seed in SEEDS] for label in LABELS}


@pytest.mark.parametrize("label", LABELS)
def test_the_solution_passes_in_every_form(drawn, label):
    for problem in drawn[label]:
        for answer in forms(problem.kind, problem.solution):
            assert problem.check(answer).startswith("Correct"), (problem.seed, answer)


@pytest.mark.parametrize("label", LABELS)
def test_each_listed_wrong_answer_gets_its_own_feedback(drawn, label):
    listed = 0
    for problem in drawn[label]:
        assert 1 <= len(problem.diagnoses) <= 4, problem.seed
        for wrong, why in problem.diagnoses:
            assert not problem.kind.same(wrong, problem.solution), (problem.seed, wrong)
            for answer in forms(problem.kind, wrong)[:3]:
                feedback = said(problem.check(answer))
                assert feedback.startswith("Not quite"), (problem.seed, answer)
                assert said(why)[:60] in feedback, (problem.seed, answer)
            listed += 1
    assert listed >= 1.5 * len(SEEDS)


@pytest.mark.parametrize("label", LABELS)
def test_seeds_draw_different_variants(drawn, label):
    problems = drawn[label]
    assert len({p.question for p in problems}) >= 3
    assert len({p.kind.show(p.solution) for p in problems}) >= 2
    again = exercises.make_problem(label, 7)
    assert (again.question, again.solution) == (problems[7].question, problems[7].solution)


@pytest.mark.parametrize("label", LABELS)
def test_the_question_does_not_give_its_answer_away(drawn, label):
    for problem in drawn[label]:
        if not isinstance(problem.kind, (BugCheckKind, Several)) and problem.kind is not HEX:
            continue
        assert problem.kind.show(problem.solution) not in problem.question, problem.seed
        if isinstance(problem.kind, BugCheckKind) and label != "04-ex3":  # 04-ex3 lists them all
            assert f"0x{problem.solution[0]:X}" not in problem.question, problem.seed


@pytest.mark.parametrize("label", LABELS)
def test_drawing_is_fast(label):
    start = time.perf_counter()
    for seed in range(5):
        exercises.make_problem(label, seed)
    assert time.perf_counter() - start < 5 * 0.2


@pytest.mark.parametrize("lesson", ["04", "05", "06", "07"])
def test_each_lesson_has_a_prediction_that_shows_what_the_simulator_did(lesson):
    predictions = [
        exercises.make_problem(f"{lesson}-ex{n}", seed)
        for n in (1, 2, 3)
        for seed in range(3)
        if exercises.make_problem(f"{lesson}-ex{n}", seed).prediction
    ]
    assert predictions
    for problem in predictions:
        assert problem.outcome and "Your prediction:" in repr(problem)
        assert problem.check(None).startswith("No answer yet: write your prediction")


# -- what each problem's simulator run says, checked against the rule it teaches -------------


def test_04_leak_count_counts_only_the_drivers_own_blocks(drawn):
    for problem in drawn["04-ex1"]:
        allocated = problem.question.count("= ExAllocatePoolWithTag(")
        freed = problem.question.count("ExFreePoolWithTag(")
        assert problem.solution == allocated - freed, problem.seed
        if problem.solution:
            assert f"Arg4: {problem.solution:016x}" in problem.outcome
        else:
            assert "unloaded cleanly" in problem.outcome
    with_objects = next(p for p in drawn["04-ex1"] if "WdfMemoryCreate" in p.question)
    objects = with_objects.question.count("WdfMemoryCreate(")
    assert "counts the memory objects" in said(with_objects.check(with_objects.solution + objects))


def test_04_parent_delete_frees_the_subtree_but_not_pool_blocks(drawn):
    for problem in drawn["04-ex2"]:
        pool_blocks = problem.question.count("= ExAllocatePoolWithTag(")
        assert problem.solution >= pool_blocks, problem.seed
        if problem.solution > pool_blocks:
            assert "never frees pool" in said(problem.check(problem.solution - pool_blocks))


def test_04_free_mistakes_answer_as_the_verifier_setting_says(drawn):
    seen = set()
    for problem in drawn["04-ex3"]:
        verifier = "Verifier is ON" in problem.question
        if "current = header" in problem.question:
            expected = (0xC4, 0x13) if verifier else (0xC2, 0x07)
        elif "payload = header" in problem.question:
            expected = (0xC4, 0x10) if verifier else (0xC2, 0x99)
        else:
            expected = (0xC2, 0x0A)
        assert problem.solution == expected, problem.seed
        seen.add(expected)
    assert len(seen) >= 4
    on = next(p for p in drawn["04-ex3"] if p.solution == (0xC4, 0x13))
    assert "what the kernel alone reports" in said(on.check((0xC2, 7)))
    assert "nothing is read or written" in said(on.check("0xD5"))


def test_reveal_runs_it_and_shows_the_answer_only_when_pressed(drawn):
    from wdfkit.show.reveal import Reveal

    for label in LABELS:
        problem = drawn[label][0]
        buttons = Reveal(problem)
        assert buttons.text.value == ""
        if problem.prediction:
            buttons.run_it()
            assert "The simulator:" in buttons.text.value
            assert "Answer:" not in buttons.text.value  # what happened, not yet the answer
        buttons.show_answer()
        assert "Answer:" in buttons.text.value


def test_05_values_follow_the_macros():
    problem = next(
        p for p in (exercises.make_problem("05-ex3", s) for s in SEEDS) if p.solution[0] == 0
    )
    assert "wrapped" in problem.outcome
    assert "does not fit in 64 bits" in said(problem.check((2**64, problem.solution[1])))
    assert "Swapped" in said(problem.check(tuple(reversed(problem.solution))))


def test_05_carving_diagnoses_the_sum_without_padding(drawn):
    for problem in drawn["05-ex2"]:
        offset, total = problem.solution
        assert total % int(problem.question.split("multiple of ")[1].split()[0]) == 0
        assert offset < total


def test_05_aligned_start_is_aligned_and_within_the_extra_bytes(drawn):
    for problem in drawn["05-ex1"]:
        align = int(problem.question.split("multiple of ")[1].split(".")[0])
        start, skipped = problem.solution
        assert start % align == 0 and 0 <= skipped < align


def test_06_references_on_memory_are_irp_references(drawn):
    for problem in drawn["06-ex2"]:
        on_request = problem.question.count("WdfObjectReference(Request)")
        on_memory = problem.question.count("WdfObjectReference(memory)")
        released = problem.question.count("WdfObjectDereference(memory)")
        assert problem.solution == (1 + on_request, on_memory - released), problem.seed


def test_06_preallocated_buffers_outlive_their_objects(drawn):
    freed_some = False
    for problem in drawn["06-ex3"]:
        described = problem.question.count("WdfMemoryCreatePreallocated(")
        freed = problem.question.count("ExFreePoolWithTag(")
        assert problem.solution == described - freed, problem.seed
        freed_some |= freed > 0
        if problem.solution:
            assert "does not own its buffer" in said(problem.check(0))
    assert freed_some


def test_06_survivors_say_what_a_reference_does(drawn):
    for problem in drawn["06-ex1"]:
        assert problem.outcome.startswith(f"At '# <- here', {problem.solution} of the")


def test_07_late_use_tells_a_handle_from_a_pointer(drawn):
    kinds = {p.solution[:1] for p in drawn["07-ex1"]}
    assert kinds == {(0x10D,), (0x50,)}
    handle = next(p for p in drawn["07-ex1"] if p.solution == (0x10D, 5))
    assert "0x50 is what a dead *pointer* gives; here the dead thing was a *handle*" in said(
        handle.check((0x50, 0xFFFFC28A40000DA0))
    )
    pointer = next(p for p in drawn["07-ex1"] if p.solution == (0x50,))
    assert "buffered I/O" not in pointer.question  # the lesson's Break-it is not repeated
    assert "KMDF checking a *handle*" in said(pointer.check((0x10D, 5)))


def test_07_buffered_io_copies_back_information_bytes_only(drawn):
    for problem in drawn["07-ex2"]:
        information, arrived = problem.solution
        words = problem.question.split()
        copied = int(problem.question.split("driver's ")[1].split()[0])
        if "direct" in words:
            assert arrived == copied, problem.seed
        else:
            assert arrived <= min(copied, information), problem.seed


def test_07_request_rules_give_the_real_statuses(drawn):
    names = {STATUS.show(p.solution[0]).split()[0] for p in drawn["07-ex3"]}
    assert names >= {"STATUS_SUCCESS", "STATUS_ACCESS_VIOLATION", "STATUS_INVALID_BUFFER_SIZE"}
    for problem in drawn["07-ex3"]:
        if problem.solution[0] != 0:
            assert problem.solution[1] == 0
