"""Lessons 08-11's check-yourself problems: seeded variants that differ, solutions read in every
natural form, and each listed wrong answer diagnosed with its own feedback."""

import re
import time

import pytest

from wdfkit.course import exercises
from wdfkit.course.answers import COUNT, IRQL, STATUS, Choice, Several
from wdfkit.course.problems._forwarding import run
from wdfkit.course.problems.lesson10 import read_driver
from wdfkit.kernel.ntstatus import NTSTATUS, STATUS_IO_DEVICE_ERROR

LABELS = [f"{lesson:02d}-ex{n}" for lesson in (8, 9, 10, 11) for n in (1, 2, 3)]
SEEDS = range(20)


def said(text: str) -> str:
    """Feedback with its line breaks undone (fill wraps it at 100 columns)."""
    return " ".join(text.split())


def forms(kind, value) -> list:
    """Every documented way a learner may write *value* (canonical) for *kind*."""
    if kind is COUNT:
        return [value, str(value), hex(value), f"  {value} "]
    if kind is STATUS:
        status = NTSTATUS(value)
        shown = [value, f"0x{value:08X}", f"{value:x}", kind.show(value)]
        if value & 0x80000000:
            shown.append(value - (1 << 32))  # the negative LONG C prints
        if not status.name.startswith("0x"):
            shown += [status.name, status.name.lower()]
        return shown
    if kind is IRQL:
        name = IRQL.NAMES[value]
        short = name.removesuffix("_LEVEL")
        return [value, str(value), name, name.lower(), short, kind.show(value)]
    if isinstance(kind, Choice):
        spellings = kind.options[value]
        return [value, value.upper(), f" {value.title()} ", *spellings]
    if isinstance(kind, Several):
        first = [forms(k, v) for k, v in zip(kind.kinds, value, strict=True)]
        whole = [tuple(value), list(value), ", ".join(str(v) for v in value), kind.show(value)]
        mixed = [tuple(f[i % len(f)] for f in first) for i in range(max(map(len, first)))]
        return whole + mixed
    raise AssertionError(f"no forms for {kind!r}")


@pytest.mark.parametrize("label", LABELS)
def test_the_solution_is_correct_in_every_form_and_echoed(label):
    for seed in SEEDS:
        problem = exercises.make_problem(label, seed)
        shown = problem.kind.show(problem.solution)
        for form in forms(problem.kind, problem.solution):
            feedback = said(problem.check(form))
            assert feedback.startswith(f"Correct: {shown}."), (seed, form, feedback)
        assert said(problem.answer()).startswith(f"Answer: {shown}.")
        assert problem.check(None).startswith("No answer yet")
        assert problem.check("no idea").startswith("I cannot read 'no idea' as")


@pytest.mark.parametrize("label", LABELS)
def test_each_listed_wrong_answer_gets_its_own_feedback(label):
    texts = set()
    for seed in SEEDS:
        problem = exercises.make_problem(label, seed)
        assert problem.diagnoses, (seed, "a variant with no diagnosed wrong answer")
        for wrong, why in problem.diagnoses:
            assert not problem.kind.same(wrong, problem.solution), (seed, wrong)
            for form in forms(problem.kind, wrong)[:3] + [problem.kind.show(wrong)]:
                feedback = said(problem.check(form))
                assert feedback.startswith("Not quite"), (seed, form, feedback)
                assert said(why) in feedback, (seed, form, feedback)
            texts.add(why)
    assert len(texts) >= 2, "the diagnoses are the same sentence for every variant"


@pytest.mark.parametrize("label", LABELS)
def test_variants_differ_and_are_deterministic(label):
    problems = [exercises.make_problem(label, seed) for seed in SEEDS]
    assert len({p.question for p in problems}) >= 3
    assert len({p.solution for p in problems}) >= 2
    again = exercises.make_problem(label, 7)
    assert (again.question, again.solution, again.outcome) == (
        problems[7].question,
        problems[7].solution,
        problems[7].outcome,
    )


@pytest.mark.parametrize("label", LABELS)
def test_questions_do_not_give_the_answer_away_and_runs_can_be_shown(label):
    for seed in SEEDS:
        problem = exercises.make_problem(label, seed)
        assert "check(" not in problem.question
        assert problem.outcome, seed  # "Run it" has something to show
        if isinstance(problem.kind, Several):  # a lone status may be one the story names
            assert problem.kind.show(problem.solution) not in problem.question, seed


def test_each_lesson_has_a_prediction_and_problems_are_quick():
    for lesson in ("08", "09", "10", "11"):
        labels = [label for label in LABELS if label.startswith(lesson)]
        assert any(exercises.make_problem(label).prediction for label in labels), lesson
    for label in LABELS:
        start = time.perf_counter()
        exercises.make_problem(label, 3)
        assert time.perf_counter() - start < 0.2, label


def find(label: str, *phrases):
    """The first variant (seeds 0-199) whose question holds every one of *phrases* (a
    callable phrase is a test of the question)."""
    for seed in range(200):
        problem = exercises.make_problem(label, seed)
        question = said(problem.question)
        if all(p(question) if callable(p) else p in question for p in phrases):
            return problem
    raise AssertionError(f"{label}: no variant with {phrases}")


def feedback(problem, answer) -> str:
    text = said(problem.check(answer))
    assert text.startswith("Not quite"), text
    return text


# -- lesson 08: the forwarded read ----------------------------------------------------------
def test_08_ex1_status_and_information_of_a_forwarded_read():
    problem = find("08-ex1", "reads 0 bytes", "fails every transfer with STATUS_IO_DEVICE")
    assert problem.solution == (0, 0)
    assert "never reaches EvtIoRead" in feedback(problem, ("STATUS_IO_DEVICE_ERROR", 0))
    problem = find("08-ex1", "reads 16 bytes", "fails every transfer with STATUS_IO_DEVICE")
    assert problem.solution == (0xC0000185, 0)
    assert "which status does it complete" in feedback(problem, (0, 16))
    assert "how many bytes does a failed transfer move" in feedback(problem, ("0xC0000185", 16))
    assert "Break-it run" in feedback(problem, "STATUS_INVALID_DEVICE_REQUEST, 0")
    problem = find("08-ex1", "reads 100 bytes", "succeeds")
    assert problem.solution == (0, 100)
    assert "lower device sets Information" in feedback(problem, [0, 0])
    assert "100" not in feedback(problem, [0, 0])


def test_08_ex2_time_and_irql_of_the_completion_routine():
    problem = find("08-ex2", "takes 5 ms", "issues 3 reads")
    assert problem.solution == (15, 2)
    assert "at which IRQL do DPCs run" in feedback(problem, (15, 0))
    assert "That is the first read's time" in feedback(problem, (5, 2))
    problem = find("08-ex2", "takes 0 ms")
    assert problem.solution == (0, 0)
    assert "inside IoCallDriver" in feedback(problem, (0, 2))


def test_08_ex3_send_timeout_and_options_without_init():
    problem = find("08-ex3", "WDF_REL_TIMEOUT_IN_MS(3)", "takes 10 ms")
    assert problem.solution == (0xC00000B5, 3)
    assert "turns" not in problem.question
    assert "timer cancelled with another status" in feedback(problem, ("STATUS_CANCELLED", 3))
    assert "when the timer fires first" in feedback(problem, (0, 10))
    problem = find("08-ex3", "Timeout (WDF_REL_TIMEOUT_IN_MS(15))", "takes 5 ms")
    assert problem.solution == (0xC000000D, 0)
    assert "What does WdfRequestSend check first" in feedback(problem, (0, 5))
    problem = find("08-ex3", "WDF_REL_TIMEOUT_IN_MS(30)", "takes 20 ms")
    assert problem.solution == (0, 20)
    assert "Completing the request stops the timer" in feedback(problem, ("STATUS_IO_TIMEOUT", 30))


# -- lesson 09: the original's memory in a created request ----------------------------------
def test_09_ex1_references_while_the_new_request_is_down():
    problem = find("09-ex1", "IOCTL", "WdfObjectReference")
    assert problem.prediction and problem.solution == 3
    assert "counted on the request's IRP too" in feedback(problem, 2)
    assert "3" not in feedback(problem, 2)
    problem = find("09-ex1", "IOCTL", "While the new request", lambda q: "Reference" not in q)
    assert problem.solution == 2
    assert "memory objects an IOCTL's format stores" in feedback(problem, 1)
    problem = find("09-ex1", "a 16-byte read", "twice in a row")
    assert problem.solution in (1, 2)
    assert "ContextReleaseAndRestore" in feedback(problem, problem.solution * 2)
    assert "keeps the format's reference" in feedback(problem, 0)


def test_09_ex2_references_left_when_the_original_is_completed():
    problem = find("09-ex2", "IOCTL", "only when the lower device's status is a success", "fails")
    assert problem.solution == 2
    assert "release the format's references before" in feedback(problem, 0)
    assert "a read and an IOCTL differ" in feedback(problem, 1)
    problem = find("09-ex2", "a 16-byte read", "calls WdfRequestReuse on the new request, then")
    assert problem.solution == 0
    assert "what does that call release" in feedback(problem, 1)


def test_09_ex3_header_and_window_in_the_application_buffer():
    forgets_header = "Information = the saved IoStatus.Information. How many"
    problem = find("09-ex3", "buffered I/O", "reads 16 bytes", "an 8-byte header", forgets_header)
    assert problem.solution == (8, 0)  # only the header is copied back
    assert "copies back only Information bytes" in feedback(problem, (8, 8))
    assert "Does it add the header" in feedback(problem, (16, 0))
    problem = find("09-ex3", "direct I/O", "reads 24 bytes", "a 4-byte header", forgets_header)
    assert problem.solution == (20, 20)  # written straight into the application's pages
    assert "no copy back" in feedback(problem, (20, 16))
    problem = find("09-ex3", "buffered I/O", "reads 32 bytes", "an 8-byte", "+ the header's length")
    assert problem.solution == (32, 24)
    assert "what does it add to the saved Information" in feedback(problem, (24, 24))


# -- lesson 10: new memory for a created request --------------------------------------------
def test_10_ex1_pool_traffic_by_kind_and_driver_verifier():
    problem = find("10-ex1", "Driver Verifier is off", "lookaside list", "makes 5 reads")
    assert problem.prediction and problem.solution == 1
    assert "what does it do with the buffer a read gives back" in feedback(problem, 5)
    problem = find("10-ex1", "Driver Verifier is on", "lookaside list", "makes 5 reads")
    assert problem.solution == 5
    assert "what does it do to a lookaside list's Depth" in feedback(problem, 1)
    problem = find("10-ex1", "WdfMemoryCreate (a new memory object", "makes 4 reads")
    assert problem.solution == 4
    assert "Does WdfMemoryCreate keep anything" in feedback(problem, 1)


def test_10_ex2_a_read_longer_than_the_drivers_buffer():
    problem = find("10-ex2", "reads 65 bytes")
    assert problem.solution == (0xC0000095, 0)
    assert "does not clip the window" in feedback(problem, ("STATUS_SUCCESS", 64))
    assert "Lesson 01 runs such a window" in feedback(problem, ("STATUS_INVALID_PARAMETER", 0))
    assert "INTEGER_OVERFLOW" not in feedback(problem, ("STATUS_INVALID_PARAMETER", 0))
    problem = find("10-ex2", "reads 16 bytes")
    assert problem.solution == (0, 16)
    assert "only the bytes the application asked for" in feedback(problem, (0, 64))


def test_10_ex3_which_order_of_letting_go_is_safe():
    problem = find("10-ex3", "from WdfMemoryCreate,", "first deletes the memory object and the")
    assert problem.solution == "bug check"
    assert "what still holds the memory object" in feedback(problem, "Safe")
    problem = find(
        "10-ex3", "behind WdfMemoryCreatePreallocated", "first deletes the memory object and the"
    )
    assert problem.solution == "safe"
    assert "Who owns a preallocated buffer" in feedback(problem, "crash")
    problem = find("10-ex3", "behind WdfMemoryCreatePreallocated", "first lets go of the buffer")
    assert problem.solution == "bug check"
    assert "Does any reference keep pool the driver allocated" in feedback(problem, "ok")
    problem = find("10-ex3", "from its lookaside list", "first lets go of the buffer")
    assert problem.solution == "safe"
    assert "what else still held a reference" in feedback(problem, "bug check")


# -- lesson 11: one created request, reused -------------------------------------------------
def test_11_ex1_what_must_be_redone_before_each_send():
    problem = find("11-ex1", "was set once", "issues 4 overlapped")
    assert problem.prediction and problem.solution == (1, 3)
    assert "who completes the application's read" in feedback(problem, (1, 0))
    assert "What do a completed send and WdfRequestReuse clear" in feedback(problem, (4, 0))
    problem = find("11-ex1", "was formatted once", "issues 5 overlapped")
    assert problem.solution == (1, 0)
    assert "a request no longer formatted" in feedback(problem, (1, 4))
    problem = find("11-ex1", "sets its completion routine. Its", "issues 3 overlapped")
    assert problem.solution == (3, 0)


def test_11_ex2_releases_of_the_targets_reference():
    problem = find("11-ex2", "before each send", "makes 4 reads")
    assert problem.solution == (3, 1)
    assert "after the last read, has any of those happened" in feedback(problem, (4, 0))
    problem = find("11-ex2", "in its completion routine", "makes 4 reads")
    assert problem.solution == (4, 0)
    assert "when does that run, for each send" in feedback(problem, (3, 1))
    problem = find("11-ex2", "never calls WdfRequestReuse", "makes 3 reads")
    assert problem.solution == (2, 1)
    assert "pile up" in feedback(problem, (0, 3))


def asks_about_the_failing_read(question: str) -> bool:
    failing = question.split("fails read ")[1].split()[0]
    return f"What status does read {failing} get" in question


def test_11_ex3_the_status_a_reused_request_reports():
    problem = find(
        "11-ex3", "STATUS_SUCCESS)", "read after WdfRequestReuse", asks_about_the_failing_read
    )
    assert problem.solution == 0
    assert "WDF_REQUEST_REUSE_PARAMS" in feedback(problem, "STATUS_IO_DEVICE_ERROR")
    assert "STATUS_SUCCESS" not in feedback(problem, "STATUS_IO_DEVICE_ERROR")
    problem = find(
        "11-ex3",
        "STATUS_UNSUCCESSFUL)",
        "read before WdfRequestReuse",
        "STATUS_IO_DEVICE_ERROR",
        asks_about_the_failing_read,
    )
    assert problem.solution == 0xC0000185
    assert "before WdfRequestReuse runs" in feedback(problem, "STATUS_UNSUCCESSFUL")
    problem = find(
        "11-ex3", "Params->IoStatus.Status", lambda q: not asks_about_the_failing_read(q)
    )
    assert problem.solution == 0  # another read's failure is not this read's
    failed_with = said(problem.question).split("fails read ")[1].split(" with ")[1].split()[0]
    assert "each send's status is its own" in feedback(problem, failed_with)


def test_no_diagnosis_names_the_answer():
    """A wrong answer's feedback says what that answer means and where to look, never what the
    right one is: a second try is still the learner's own (the explanation may name it).  The
    answer's status or bug check name is not in any diagnosis unless the question names it."""
    for label in exercises.labels():
        if label >= "13":
            continue
        for seed in range(6):
            problem = exercises.make_problem(label, seed)
            kinds = problem.kind.kinds if isinstance(problem.kind, Several) else [problem.kind]
            values = problem.solution if isinstance(problem.kind, Several) else [problem.solution]
            names = set()
            for kind, value in zip(kinds, values, strict=True):
                names.update(re.findall(r"STATUS_\w+|0x[0-9A-F]+ [A-Z_]{3,}", kind.show(value)))
            names = {name for name in names if name not in said(problem.question)}
            for _, why in problem.diagnoses:
                assert not [name for name in names if name in why], (label, seed, why)


@pytest.mark.parametrize("kind", ["WdfMemoryCreate", "lookaside", "preallocated"])
def test_lesson10s_driver_completes_a_failed_lower_read_with_the_lower_status(kind):
    """Its completion routine once overwrote the lower device's status with that of
    WdfRequestRetrieveOutputMemory, so a failed read reached the application as a success."""

    def application(machine, app):
        return app.ReadFile(bytearray(16))

    outcome = run(application, read_driver(kind), fail_status=STATUS_IO_DEVICE_ERROR)
    assert outcome.bugcheck is None
    assert (outcome.result.Status, outcome.result.Information) == (STATUS_IO_DEVICE_ERROR, 0)
