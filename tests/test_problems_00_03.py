"""Lessons 00-03's check-yourself problems: seeded variants that differ, a solution read in
every natural form, each listed wrong answer diagnosed, and no answer given away."""

import json
import re
import time
from pathlib import Path

import pytest

from wdfkit.course import exercises
from wdfkit.course.answers import COUNT, HEX, STATUS, BugCheckKind, Several
from wdfkit.kernel.bugcheck import BUGCHECK_NAMES
from wdfkit.kernel.ntstatus import NTSTATUS

LABELS = [f"{lesson:02d}-ex{n}" for lesson in range(4) for n in (1, 2, 3)]
SEEDS = range(20)


def said(text: str) -> str:
    """Feedback with its line breaks undone (fill wraps it at 100 columns)."""
    return " ".join(text.split())


def forms(kind, value) -> list:
    """Every documented way a learner may write *value* (canonical) for *kind*."""
    if kind is COUNT:
        return [value, str(value), f"0x{value:X}", kind.show(value)]
    if kind is HEX:
        return [value, f"0x{value:X}", f"{value:x}", f"0X{value:X}", kind.show(value)]
    if kind is STATUS:
        status = NTSTATUS(value)
        long = value - (1 << 32) if value >= 0x80000000 else value
        out = [value, long, f"0x{value:08X}", f"{value:x}", kind.show(value)]
        if not status.name.startswith("0x"):
            out += [status.name, status.name.lower()]
        return out
    if isinstance(kind, BugCheckKind):
        code = value[0]
        name = BUGCHECK_NAMES[code]
        out = [code, f"0x{code:X}", name, kind.show(value), [*value], tuple(value)]
        if not kind.parameters:
            out += [(code, 1), f"{name}"]
        return out
    if isinstance(kind, Several):
        parts = [forms(k, v) for k, v in zip(kind.kinds, value, strict=True)]
        widest = max(len(p) for p in parts)
        combos = [tuple(p[i % len(p)] for p in parts) for i in range(widest)]
        out = [tuple(value), list(value), kind.show(value)]
        for combo in combos:
            out += [combo, list(combo)]
        texts = [f"0x{p:X}" for p in value]  # as a debugger prints each part
        out += [", ".join(texts), "(" + ", ".join(texts) + ")"]
        return out
    raise AssertionError(f"no forms for {kind!r}")


@pytest.mark.parametrize("label", LABELS)
def test_the_solution_is_correct_in_every_form(label):
    for seed in SEEDS:
        problem = exercises.make_problem(label, seed)
        for form in forms(problem.kind, problem.solution):
            feedback = said(problem.check(form))
            assert feedback.startswith("Correct: " + problem.kind.show(problem.solution)), (
                seed,
                form,
                feedback,
            )
            assert problem.explanation.split()[0] in feedback


@pytest.mark.parametrize("label", LABELS)
def test_each_listed_wrong_answer_gets_its_own_diagnosis(label):
    for seed in SEEDS:
        problem = exercises.make_problem(label, seed)
        assert 2 <= len(problem.diagnoses) <= 4, (seed, problem.diagnoses)
        texts = set()
        for wrong, why in problem.diagnoses:
            assert not problem.kind.same(wrong, problem.solution), (seed, wrong)
            feedback = said(problem.check(wrong))
            assert feedback.startswith("Not quite: you answered " + problem.kind.show(wrong))
            assert said(why) in feedback, (seed, wrong)
            texts.add(why)
        assert len(texts) == len(problem.diagnoses), seed  # each says something of its own


@pytest.mark.parametrize("label", LABELS)
def test_variants_differ_and_the_seed_is_printed(label):
    drawn = [exercises.make_problem(label, seed) for seed in SEEDS]
    assert len({p.question for p in drawn}) >= 3
    assert len({p.solution for p in drawn}) >= 2
    assert repr(exercises.make_problem(label, 7)).startswith(f"[{label}, seed 7] ")
    again = exercises.make_problem(label, 7)
    assert (again.question, again.solution) == (drawn[7].question, drawn[7].solution)


@pytest.mark.parametrize("label", LABELS)
def test_the_question_does_not_give_the_answer_away(label):
    for seed in SEEDS:
        problem = exercises.make_problem(label, seed)
        shown = problem.kind.show(problem.solution)
        if isinstance(problem.kind, (BugCheckKind, Several)) or problem.kind is STATUS:
            assert shown not in problem.question, (seed, shown)
        if problem.kind is STATUS or isinstance(problem.kind, BugCheckKind):
            name = shown.split()[0] if problem.kind is STATUS else shown.split()[1]
            assert name not in problem.question, (seed, name)
        assert "check(" not in problem.question


@pytest.mark.parametrize("label", LABELS)
def test_drawing_a_problem_is_fast(label):
    start = time.perf_counter()
    for seed in range(5):
        exercises.make_problem(label, seed)
    assert (time.perf_counter() - start) / 5 < 0.2


def test_each_lesson_has_a_prediction_whose_run_is_revealed_only_on_request():
    for lesson in ("00", "01", "02", "03"):
        labels = [f"{lesson}-ex{n}" for n in (1, 2, 3)]
        predictions = [label for label in labels if exercises.make_problem(label).prediction]
        assert predictions, lesson
        for label in predictions:
            for seed in range(5):
                problem = exercises.make_problem(label, seed)
                assert problem.outcome, (label, seed)
                assert problem.outcome not in problem.question
                assert repr(problem).count("Your prediction:") == 1
                assert problem.check(None).startswith("No answer yet: write your prediction")


def test_00_ex1_pool_blocks_follow_the_layout_rule():
    for seed in SEEDS:
        problem = exercises.make_problem("00-ex1", seed)
        q = problem.question
        separate = "Verifier on (" in q or "PagedPool," in q.replace("NonPagedPool", "")
        separate = separate or any(f"'xEyM', {n})" in q for n in (4096, 9000))
        assert problem.solution == (2 if separate else 1), q
        other = 1 if separate else 2
        feedback = said(problem.check(other))
        assert ("embedded layout" if separate else "against that list") in feedback


def test_00_ex2_names_the_checker_of_each_mistake():
    seen = set()
    for seed in range(40):
        problem = exercises.make_problem("00-ex2", seed)
        code = problem.solution[0]
        seen.add(code)
        assert problem.prediction and problem.outcome.startswith(f"*** STOP: 0x{code:08X}")
        code_text = problem.question.replace(";\n    ", "; ")  # the C, one statement a line
        if "WdfObjectDelete(memory); WdfMemoryGetBuffer" in code_text:
            assert code == 0x10D
            assert "here the dead thing was a *handle*" in said(problem.check(0x50))
            assert "watches pool, not framework handles" in said(problem.check("0xC4"))
        elif "ExFreePoolWithTag(p, 'fuBM'); ExFreePoolWithTag(p, 'fuBM')" in code_text:
            on = "Driver Verifier on" in problem.question
            assert code == (0xC4 if on else 0xC2)
            wrong = 0xC2 if on else 0xC4
            assert ("sees this mistake first" if on else "Driver Verifier is off") in said(
                problem.check(wrong)
            )
        elif "RtlZeroMemory(p, 8)" in code_text:
            assert code == 0xD5
            assert "special pool" in said(problem.check((0x50, 0x1234)))
        elif "'gaTS')" in code_text:
            assert code == 0xC2
    assert seen == {0x10D, 0xC2, 0xC4, 0xD5}


def test_00_ex3_handle_and_address_are_each_other_xor_not_7():
    mask = 0xFFFF_FFFF_FFFF_FFF8
    for seed in SEEDS:
        problem = exercises.make_problem("00-ex3", seed)
        given = int(problem.question.split("0x")[1].split()[0].rstrip(".?"), 16)
        assert problem.solution == given ^ mask
        assert "That is the" in said(problem.check(given))
        assert "lowest three too" in said(problem.check(given ^ 0xFFFF_FFFF_FFFF_FFFF))


def test_01_ex1_copy_statuses_and_their_diagnoses():
    seen = set()
    for seed in range(40):
        problem = exercises.make_problem("01-ex1", seed)
        seen.add(STATUS.show(problem.solution).split()[0])
        name = STATUS.show(problem.solution).split()[0]
        into = "WdfMemoryCopyFromBuffer" in problem.question
        if name == "STATUS_INVALID_BUFFER_SIZE":
            assert into
            assert "other direction" in said(problem.check("STATUS_BUFFER_TOO_SMALL"))
            assert "refused whole" in said(problem.check(0))
        if name == "STATUS_BUFFER_TOO_SMALL":
            assert not into
        if name == "STATUS_INVALID_PARAMETER":
            assert "trivially succeeds" in said(problem.check("STATUS_SUCCESS"))
        if name == "STATUS_SUCCESS":
            own = 0xC0000206 if into else 0xC0000023  # this direction's refusal
            assert "may end exactly at the end" in said(problem.check(own))
    assert seen == {
        "STATUS_SUCCESS",
        "STATUS_INVALID_PARAMETER",
        "STATUS_INVALID_BUFFER_SIZE",
        "STATUS_BUFFER_TOO_SMALL",
    }


def test_01_ex2_only_the_preallocated_buffers_are_left():
    for seed in SEEDS:
        problem = exercises.make_problem("01-ex2", seed)
        mine = [
            int(part.split(",")[1])
            for part in problem.question.split("ExAllocatePoolWithTag(NonPagedPoolNx")[1:]
        ]
        assert problem.solution == sum(mine) > 0
        assert "belongs to the driver" in said(problem.check(0))


def test_01_ex3_a_window_past_the_end_is_an_integer_overflow():
    for seed in range(40):
        problem = exercises.make_problem("01-ex3", seed)
        status, read = problem.solution
        if status == 0xC0000095:
            assert read == 0
            assert "KMDF source" in said(problem.check(("STATUS_INVALID_DEVICE_REQUEST", 0)))
        else:
            assert status == 0 and read > 0


def test_02_ex2_and_ex3_driver_verifier_keeps_nothing():
    for seed in SEEDS:
        saved = exercises.make_problem("02-ex2", seed)
        if "Driver Verifier is on" in saved.question:
            assert saved.solution == 0
        first = exercises.make_problem("02-ex3", seed)
        if "Driver Verifier is on" in first.question:
            assert first.solution[1] == 0
            assert any(
                "what does it do to a lookaside list's Depth" in why for _, why in first.diagnoses
            )
        else:
            assert first.solution[1] == 4  # Depth 4 until the first scan


def test_03_ex2_startva_is_page_aligned_and_byteoffset_under_a_page():
    for seed in SEEDS:
        problem = exercises.make_problem("03-ex2", seed)
        start_va, byte_offset = problem.solution
        assert start_va % 0x1000 == 0 and byte_offset < 0x1000
        va = start_va + byte_offset
        assert "page-aligned" in said(problem.check((va, byte_offset)))


def test_03_ex3_the_buffered_ioctl_keeps_its_first_mdl():
    found = False
    for seed in range(60):
        problem = exercises.make_problem("03-ex3", seed)
        if "METHOD_BUFFERED" in problem.question and "first calls" in problem.question:
            found = True
            first = problem.outcome.splitlines()[0]
            assert first.endswith(f"an MDL of {HEX.show(problem.solution[1])} bytes")
            wrong = [w for w, why in problem.diagnoses if "builds one MDL per request" in why]
            assert wrong
    assert found


@pytest.mark.parametrize("lesson", ["00", "01", "02", "03"])
def test_the_committed_notebook_shows_no_solution(lesson):
    path = next(Path(__file__).parent.parent.joinpath("notebooks").glob(f"{lesson}_*.ipynb"))
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    heads = [i for i, c in enumerate(cells) if "".join(c["source"]).startswith("## ")]
    start = next(i for i in heads if "".join(cells[i]["source"]).startswith("## Check yourself"))
    cells = cells[start : next(i for i in heads if i > start)]  # the Check yourself section
    stored = " ".join(
        "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
        for cell in cells
        if cell["cell_type"] == "code"
        for output in cell["outputs"]
    )
    shown = " ".join(stored.split())
    drawn = re.findall(
        r'make_problem\("(\d\d-ex\d)", seed=(\d+)\)',
        stored + " ".join("".join(cell["source"]) for cell in cells),
    )
    assert sorted({label for label, _ in drawn}) == [f"{lesson}-ex{n}" for n in (1, 2, 3)]
    for label, seed in drawn:
        problem = exercises.make_problem(label, int(seed))
        assert " ".join(repr(problem).split()) in shown  # the question, as printed
        assert "Correct" not in shown and "Answer:" not in shown
        if problem.kind not in (COUNT, HEX):  # a bare number may appear anywhere
            assert problem.kind.show(problem.solution) not in shown, label
        if problem.outcome:
            assert " ".join(problem.outcome.split()) not in shown, label
