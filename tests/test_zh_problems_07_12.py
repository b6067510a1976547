"""Lessons 07-12's check-yourself problems in Chinese: every text a learner reads is translated,
keeps the values the English gives, fits a notebook cell, and the problem is the same problem.

These tests read the compiled catalog (wdfkit/locale/zh_CN), which holds the translations of
locale-parts/P3.po once merged.
"""

import re
import warnings

import pytest

from wdfkit.course import exercises
from wdfkit.course.problems import lesson07, lesson09, lesson10, lesson11
from wdfkit.kernel.text import WIDTH, width
from wdfkit.language import UntranslatedWarning, _, both, either, in_language, listed

LABELS = [f"{lesson:02d}-ex{n}" for lesson in range(7, 13) for n in (1, 2, 3)]
SEEDS = range(6)
MORE_SEEDS = range(6, 60)
"""Seeds whose variants are checked for untranslated text only (the drawn variants vary more
than six seeds show)."""
CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d+")


def said(text: str) -> str:
    """Text with its line breaks undone (fill wraps it)."""
    return " ".join(text.split())


def in_chinese(label: str, seed: int):
    """The problem *label* drawn with *seed* in Chinese, and everything it says to a learner
    (an untranslated message is an error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntranslatedWarning)
        with in_language("zh_CN"):
            problem = exercises.make_problem(label, seed)
            shown = [
                repr(problem),
                problem.check(None),
                problem.check(problem.solution),
                *[problem.check(wrong) for wrong, _why in problem.diagnoses],
                problem.check("xyz"),
                problem.answer(),
            ]
    return problem, shown


@pytest.mark.parametrize("label", LABELS)
def test_every_text_is_chinese_and_fits_a_cell(label):
    for seed in SEEDS:
        problem, shown = in_chinese(label, seed)
        for text in shown:
            assert CJK.search(text), (seed, text)
            for line in text.split("\n"):
                assert width(line) <= WIDTH, (seed, width(line), line)
        solution = problem.kind.show(problem.solution)
        assert solution in said(problem.answer()), (seed, problem.answer())
        assert solution in said(shown[2]), (seed, shown[2])


@pytest.mark.parametrize("label", LABELS)
def test_the_chinese_problem_is_the_english_one(label):
    """Same seed, same variant: the same solution, the same diagnosed wrong answers, and every
    number the English says (sizes, counts, offsets, statuses, lessons) said in Chinese too."""
    for seed in SEEDS:
        chinese, _shown = in_chinese(label, seed)
        english = exercises.make_problem(label, seed)
        assert chinese.solution == english.solution, seed
        assert [w for w, _why in chinese.diagnoses] == [w for w, _why in english.diagnoses]
        pairs = [
            (english.question, chinese.question),
            (english.explanation, chinese.explanation),
            (english.hint, chinese.hint),
            (english.outcome or "", chinese.outcome or ""),
            *zip(
                [why for _w, why in english.diagnoses],
                [why for _w, why in chinese.diagnoses],
                strict=True,
            ),
        ]
        for en, zh in pairs:
            missing = set(NUMBER.findall(en)) - set(NUMBER.findall(zh))
            assert not missing, (seed, missing, en, zh)
            assert not en or en == zh or CJK.search(zh), (seed, zh)


@pytest.mark.parametrize("label", LABELS)
def test_no_variant_is_left_untranslated(label):
    for seed in MORE_SEEDS:
        problem, shown = in_chinese(label, seed)
        assert all(CJK.search(text) for text in shown), seed


@pytest.mark.parametrize(
    "texts",
    [
        lesson07.IO,
        lesson09.WHAT,
        lesson09.ROUTINES,
        {k: v for k, v in lesson10.FROM.items() if k != "WdfMemoryCreate"},
        lesson10.ORDERS,
        lesson11.MOVE_TEXT,
        lesson11.WHERE,
    ],
)
def test_the_phrases_kept_in_constants_are_translated(texts):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntranslatedWarning)
        with in_language("zh_CN"):
            for text in texts.values():
                assert CJK.search(_(text)), text
    assert all(_(text) == text for text in texts.values())  # English again after the block


def test_safe_or_bug_check_may_be_answered_in_chinese():
    assert lesson10.OUTCOMES.read("安全") == "safe"
    assert lesson10.OUTCOMES.read("蓝屏") == "bug check"
    assert lesson10.OUTCOMES.read("错误检查") == "bug check"


def test_a_problem_without_a_hint_of_its_own_has_the_general_one_in_its_language():
    """12-ex1 gives no hint: its hint is the general advice, as the problem is made (English
    as before, Chinese in a Chinese lesson), and an undiagnosed wrong answer hears it."""
    english = exercises.make_problem("12-ex1", 0)
    assert english.hint == "Run the calls again and look closely."
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntranslatedWarning)
        with in_language("zh_CN"):
            chinese = exercises.make_problem("12-ex1", 0)
            chinese.prediction = False  # else the advice is to press Run it
            feedback = chinese.check((99, 99))
    assert CJK.search(chinese.hint) and chinese.hint != english.hint
    assert said(chinese.hint).replace(" ", "") in said(feedback).replace(" ", ""), feedback


def test_a_list_is_joined_one_way_in_each_language():
    """listed/either/both are the course's one way to join a list: English commas, "or",
    "and"; the catalog's separators in Chinese (the problems' outcomes use them too)."""
    assert listed(["a", "b", "c"]) == "a, b, c"
    assert either(["a", "b", "c"]) == "a or b or c"
    assert both(["a", "b", "c"]) == "a, b and c"
    assert (listed([]), both([]), both(["a"])) == ("", "", "a")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntranslatedWarning)
        with in_language("zh_CN"):
            assert listed(["甲", "乙", "丙"]) == _("{list}, {item}").format(
                list=_("{list}, {item}").format(list="甲", item="乙"), item="丙"
            )
            assert "," not in listed(["甲", "乙"])
            outcome = exercises.make_problem("11-ex3", 0).outcome
    assert ", " not in outcome, outcome  # read 1: …，read 2: … with the Chinese comma
    assert outcome.count("：") == 3, outcome
