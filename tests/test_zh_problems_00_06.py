"""Lessons 00-06's check-yourself problems in Chinese: every text a learner reads is Chinese,
translated (no message falls back to English), keeps the values the English shows, and fits
a notebook cell; the Chinese problem is the English one, with the same solution.

These need the compiled catalog with the P2 fragment merged (``tools/catalog.py merge``).
"""

import re
import warnings

import pytest

from wdfkit.course import exercises
from wdfkit.course.answers import COUNT, HEX, STATUS, BugCheckKind, Choice, Several
from wdfkit.kernel.text import WIDTH, width
from wdfkit.language import UntranslatedWarning, in_language

LABELS = [label for label in exercises.labels() if label[:2] <= "06"]
SEEDS = range(6)
CJK = re.compile(r"[\u4e00-\u9fff]")


def bare(text: str) -> str:
    """*text* without its spaces and line breaks: fill breaks Chinese between any two
    characters, so a text is compared with what fill made of it without them."""
    return "".join(text.split())


def chinese(text: str) -> str:
    """*text*, checked to be Chinese and to fit a cell; returned for more checks."""
    assert CJK.search(text), text
    for line in text.split("\n"):
        assert width(line) <= WIDTH, f"{width(line)} columns: {line}"
    return text


@pytest.fixture
def strict():
    """Chinese, and a message without its translation is an error, not a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntranslatedWarning)
        with in_language("zh_CN"):
            yield


def test_lessons_00_to_06_are_all_here():
    assert len(LABELS) == 21
    assert {label[:2] for label in LABELS} == {f"{n:02d}" for n in range(7)}


@pytest.mark.parametrize("label", LABELS)
def test_every_text_of_the_problem_is_chinese_and_fits(strict, label):
    for seed in SEEDS:
        problem = exercises.make_problem(label, seed)
        shown = problem.kind.show(problem.solution)
        text = chinese(repr(problem))
        assert text.startswith(f"[{label}，种子 {seed}] "), text
        assert bare(problem.kind.example) in bare(text)
        assert chinese(problem.check(None)).startswith("还没有作答")
        assert chinese(problem.check(problem.solution)).startswith("正确"), label
        assert chinese(problem.check(shown)).startswith("正确"), shown  # the echo reads back
        assert chinese(problem.check("xyz")).startswith("无法把 'xyz' 理解为")
        answer = chinese(problem.answer())
        assert answer.startswith("答案：")
        assert bare(shown) in bare(answer), (shown, answer)
        for wrong, why in problem.diagnoses:
            feedback = chinese(problem.check(wrong))
            assert feedback.startswith("不对"), feedback
            assert bare(problem.kind.show(wrong)) in bare(feedback)
            assert bare(why) in bare(feedback)


@pytest.mark.parametrize("label", LABELS)
def test_an_undiagnosed_wrong_answer_gets_chinese_advice(strict, label):
    """An answer no diagnosis names gets the kind's general advice and the hint (a prediction
    with an outcome: the "Run it" advice instead), in Chinese."""
    for seed in SEEDS:
        problem = exercises.make_problem(label, seed)
        solution = problem.solution
        if isinstance(solution, tuple):
            if len(solution) == 1:  # a bug check without parameters
                wrong = (solution[0] + 1,)
            else:
                wrong = (solution[0], solution[1] + 0x1000) + tuple(solution[2:])
        else:
            wrong = solution + 0x1000
        feedback = chinese(problem.check(wrong))
        assert feedback.startswith("不对"), feedback
        if any(bare(why) in bare(feedback) for _wrong, why in problem.diagnoses):
            continue  # this variant diagnoses the made-up wrong answer
        if problem.prediction and problem.outcome:
            assert "运行看看" in feedback, feedback
        else:
            assert CJK.search(problem.hint), problem.hint
            assert bare(problem.hint) in bare(feedback), (problem.hint, feedback)


@pytest.mark.parametrize("label", LABELS)
def test_the_chinese_problem_is_the_english_one(label):
    for seed in SEEDS:
        english = exercises.make_problem(label, seed)
        with in_language("zh_CN"):
            chinese_problem = exercises.make_problem(label, seed)
        assert chinese_problem.solution == english.solution
        assert [w for w, _why in chinese_problem.diagnoses] == [w for w, _why in english.diagnoses]
        assert chinese_problem.kind.show(chinese_problem.solution) == english.kind.show(
            english.solution
        )
        assert not CJK.search(repr(english) + english.answer() + english.check("xyz"))


def test_a_prediction_says_what_the_simulator_did_in_chinese(strict):
    """The outcomes with words in them (copied bytes, pool allocations, objects still there,
    a clean unload) are Chinese; log lines and blue screens stay English."""
    for label in ("01-ex1", "02-ex2", "06-ex1"):
        for seed in SEEDS:
            outcome = exercises.make_problem(label, seed).outcome
            chinese(outcome)
    clean = [exercises.make_problem("04-ex1", seed).outcome for seed in range(20)]
    assert "驱动程序干净地卸载了：没有错误检查。" in clean or any("*** STOP" in o for o in clean)


def test_the_answer_kinds_speak_chinese(strict):
    assert COUNT.description == "一个数"
    assert HEX.description == "一个数（可以用十六进制）"
    assert STATUS.description == "一个 NTSTATUS（数值或名称）"
    assert BugCheckKind(1).description == "一个错误检查代码及其参数 1"
    assert Several(COUNT, HEX).description == "(一个数, 一个数（可以用十六进制）)"
    assert COUNT.diagnose(5, 3) == "多了。"
    assert COUNT.diagnose(2, 3) == "很接近：差了 1。"
    pair = Several(COUNT, COUNT)
    assert pair.diagnose((3, 9), (3, 4)) == "第 1 个值对了，第 2 个不对。 多了。"
    assert pair.diagnose((4, 3), (3, 4)) == "两个值都有，但顺序反了。"
    triple = Several(COUNT, COUNT, COUNT)
    assert triple.diagnose((1, 2, 9), (1, 2, 3)) == "第 1 个和第 2 个值都对了，第 3 个不对。 多了。"
    kind = BugCheckKind(2)
    assert kind.diagnose((0x10D,), (0x10D, 5, 1)) == "代码对了；把参数也写上：(0xAB, 0x7, 0x0)。"
    assert "NTSTATUS" in kind.diagnose((0xC0000005,), (0x10D, 5, 1))


def test_the_english_kinds_are_unchanged_after_chinese():
    """The language is read when a text is shown: after Chinese, English again."""
    with in_language("zh_CN"):
        assert COUNT.description == "一个数"
    assert COUNT.description == "a number"
    assert BugCheckKind(1).description == "a bug-check code with its parameter 1"
    assert Several(COUNT, COUNT).description == "(a number, a number)"


def test_a_choice_reads_the_chinese_words_it_lists(strict):
    """A Choice whose spellings include Chinese words reads a Chinese answer; it shows the
    canonical name, the one the question uses."""
    outcomes = Choice({"safe": ("安全", "works"), "bug check": ("蓝屏", "错误检查")})
    assert outcomes.read("安全") == "safe"
    assert outcomes.read(" 蓝屏 ") == "bug check"
    assert outcomes.description == "以下之一：'safe', 'bug check'"


def test_a_listing_keeps_its_indent_in_chinese(strict):
    """A code listing's lines, and the table of 04-ex3, stay indented four spaces when a
    Chinese comment or Chinese words are on the line."""
    for seed in SEEDS:
        for label in ("04-ex2", "04-ex3"):
            text = repr(exercises.make_problem(label, seed))
            for line in text.split("\n"):
                if "PoolWithTag(" in line or " / 0x" in line:
                    assert line.startswith("    "), line


def test_an_answer_typed_with_a_chinese_input_method_is_read():
    """A Chinese IME types full-width commas and brackets; the answer means the same."""
    with in_language("zh_CN"):
        problem = exercises.make_problem("05-ex2", seed=0)
        first, second = problem.solution
        for typed in (f"{first}，{second}", f"（{first}，{second}）", f"{first}、{second}"):
            assert problem.check(typed).startswith("正确："), typed
