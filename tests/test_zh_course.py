"""The course's reports in Chinese: grade, find the bug, try_your_driver and a scenario's outcome.

Each text is made twice, in English and in Chinese, from the same driver and seeds: the Chinese
one has Chinese in it and no message left untranslated (an UntranslatedWarning is an error
here), carries the numbers and names of the English one (seeds, request counts, callback names,
the log, the blue screen, the line that reproduces the failure), and fits a cell as the English
does (at most WIDTH columns a line, a Chinese character counting two).  The verdict is the same
in both languages: passed or failed, the same failing seed, the same bug check.
"""

import random
import re
import warnings

import pytest
import test_find_the_bug
import test_grader
import test_yourdriver

from wdfkit.course import findthebug, scenarios
from wdfkit.course.buggydrivers import MAKERS
from wdfkit.course.grader import FORWARD_READS, forwarding, grade, held_reads
from wdfkit.course.yourdriver import try_your_driver
from wdfkit.kernel.text import WIDTH, width
from wdfkit.language import UntranslatedWarning, in_language

CJK = re.compile(r"[\u4e00-\u9fff]")
LABELS = tuple(MAKERS)


def in_chinese(make):
    """*make()* with the course speaking Chinese; a message without translation fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntranslatedWarning)
        with in_language("zh_CN"):
            return make()


def squeezed(text: str) -> str:
    """*text* without its white space: a Chinese line breaks between any two characters."""
    return "".join(text.split())


def assert_chinese_text(text: str) -> None:
    assert CJK.search(text), text
    wide = [line for line in text.splitlines() if width(line) > WIDTH]
    assert not wide, "\n".join(wide)


def assert_same_verdict(english, chinese) -> None:
    """Two grade Reports say the same: passed or failed, where, and why (Report.reason is the
    English key in both languages)."""
    assert bool(english) == bool(chinese)
    assert (english.reason, english.seed, english.seeds_run, english.requests) == (
        chinese.reason,
        chinese.seed,
        chinese.seeds_run,
        chinese.requests,
    )
    assert (english.bugcheck is None) == (chinese.bugcheck is None)
    if english.bugcheck is not None:
        assert english.bugcheck.code == chinese.bugcheck.code
        assert english.bugcheck.parameters == chinese.bugcheck.parameters
    assert english.log == chinese.log  # WinDbg's English, whatever the language
    assert english.reproduce == chinese.reproduce


# -- grade ---------------------------------------------------------------------------------------
def test_a_passing_grade_reads_in_chinese_with_the_english_numbers():
    spec = forwarding(("read", "write", "ioctl"), ioctl_codes=(test_grader.IOCTL_GET,))
    english = grade(test_grader.ForwardEvtDriverDeviceAdd, spec, seeds=range(4))
    chinese = in_chinese(lambda: grade(test_grader.ForwardEvtDriverDeviceAdd, spec, seeds=range(4)))
    assert_same_verdict(english, chinese)
    text = in_chinese(lambda: str(chinese))
    assert_chinese_text(text)
    assert text.startswith("通过：")
    flat = squeezed(text)
    assert f"{english.requests}个请求" in flat and "4个种子（0-3）" in flat
    for name in ("ForwardEvtIoRead", "ForwardEvtIoWrite", "ForwardEvtIoDeviceControl"):
        assert name in text
    assert "DriverVerifier" in flat and "KMDFVerifier" in flat
    assert "passed" not in text.lower()


@pytest.mark.parametrize(
    "driver, spec",
    [
        (test_grader.WrongDataAdd, FORWARD_READS),
        (test_grader.WrongStatusAdd, held_reads(b"hello")),
        (test_grader.NeverCompletesAdd, FORWARD_READS),
        (test_grader.LeakingAdd, FORWARD_READS),
        (test_grader.TypeErrorAdd, FORWARD_READS),
        (test_grader.MemoryAfterCompletionAdd, FORWARD_READS),
    ],
)
def test_a_failing_grade_reads_in_chinese_and_fails_the_same_way(driver, spec):
    english = grade(driver, spec)
    chinese = in_chinese(lambda: grade(driver, spec))
    assert not english
    assert_same_verdict(english, chinese)
    text = in_chinese(lambda: str(chinese))
    assert_chinese_text(text)
    assert text.startswith("未通过：")
    assert f"种子 {english.seed}" in text
    assert f"重现：{english.reproduce}" in text  # the call that reproduces it, as in English
    for line in english.log:
        assert line in text
    if english.bugcheck is not None:
        assert f"错误检查0x{english.bugcheck.code:X}" in squeezed(text)
        assert english.bugcheck.blue_screen().splitlines()[0] in text  # *** STOP stays English
    if english.operation is not None:
        assert f"第{english.operation.step}步" in squeezed(text)
    assert "FAILED" not in text and "Seeds run" not in text
    # the application's actions keep their time column, as in English
    assert [_indent(row) for row in english.timeline] == [_indent(row) for row in chinese.timeline]


def _indent(row: str) -> int:
    return len(row) - len(row.lstrip(" "))


# -- find the bug ----------------------------------------------------------------------------------
@pytest.mark.parametrize("label", LABELS)
def test_each_exercise_reads_in_chinese_and_fails_as_in_english(label):
    bug = findthebug.exercise(label, 0)
    english_run = bug.run()
    chinese_bug = in_chinese(lambda: findthebug.exercise(label, 0))
    assert chinese_bug.python == bug.python and chinese_bug.c == bug.c  # code stays code
    assert chinese_bug.reason == bug.reason
    story = in_chinese(lambda: str(chinese_bug))
    assert_chinese_text(story)
    assert story.startswith(f"[{label}，种子 0] ")
    assert CJK.search(chinese_bug.title)

    chinese_run = in_chinese(chinese_bug.run)
    text = in_chinese(lambda: str(chinese_run))
    assert_chinese_text(text)
    assert (english_run.bugcheck is None) == (chinese_run.bugcheck is None)
    if english_run.bugcheck is not None:
        assert english_run.bugcheck.code == chinese_run.bugcheck.code
        windbg = [
            line
            for line in english_run.bugcheck.blue_screen().splitlines()[:7]
            if line.startswith(("*** STOP", "    Arg", "    while calling", "    in "))
        ]
        assert all(line in text for line in windbg)  # WinDbg's lines stay English
        meaning = "".join(chinese_run.bugcheck.meaning.split())  # the learner's language,
        assert meaning in "".join(text.split())  # wrapped as the blue screen wraps it
    assert [str(result) for _what, result in english_run.results] == [
        str(result) for _what, result in chinese_run.results
    ]
    assert CJK.search(in_chinese(lambda: chinese_run.outcome))

    english = findthebug.grade_quietly(bug, bug.driver, seeds=[0, 1])
    chinese = in_chinese(lambda: findthebug.grade_quietly(chinese_bug, chinese_bug.driver, [0, 1]))
    assert_same_verdict(english, chinese)
    assert chinese.reason == bug.reason
    report = in_chinese(lambda: str(chinese))
    assert_chinese_text(report)
    assert f"练习{label}（种子0）" in squeezed(report)


def test_a_fixed_exercise_passes_in_chinese_too():
    bug = in_chinese(lambda: findthebug.exercise("13-01", 0))
    fixed = findthebug.load_driver(test_find_the_bug.FIXES["13-01"](bug.python, 0), "13-01")
    report = in_chinese(lambda: findthebug.grade_quietly(bug, fixed, seeds=range(3)))
    assert report
    text = in_chinese(lambda: str(report))
    assert_chinese_text(text)
    assert squeezed(text).startswith("通过：练习13-01（种子0）")


def test_the_foreign_driver_warning_reads_in_chinese():
    bug = findthebug.exercise("13-01", 0)
    other = findthebug.exercise("13-02", 0)
    english = bug.grade(other.driver, seeds=[0])
    chinese = in_chinese(
        lambda: in_chinese(lambda: findthebug.exercise("13-01", 0)).grade(other.driver, seeds=[0])
    )
    assert english.warning.startswith("WARNING: ")
    assert chinese.warning.startswith("警告：")
    assert "SendCopy" in chinese.warning and "%load" in chinese.warning
    assert_chinese_text(in_chinese(lambda: str(chinese)))


def test_the_scoreboard_reads_in_chinese_and_keeps_its_width(monkeypatch):
    monkeypatch.setattr(findthebug, "_graded", {"13-01": {0: True, 3: False}, "13-02": {1: False}})
    english = str(findthebug.scoreboard())
    text = in_chinese(lambda: str(findthebug.scoreboard()))
    assert_chinese_text(text)
    lines = text.splitlines()
    assert lines[0].startswith("13-01  已解决（种子 0）")
    assert lines[1].startswith("13-02  已尝试（种子 1）")
    assert lines[2].startswith("13-03  未尝试")
    assert "1" in lines[-1] and "11" in lines[-1]
    # every title starts in the same column, as in English
    starts = {
        width(line[: line.index(title)]) for line, title in zip(lines, _titles(), strict=False)
    }
    english_starts = {
        line.index(title) for line, title in zip(english.splitlines(), _titles("en"), strict=False)
    }
    assert starts == english_starts == {30}


def _titles(language: str = "zh_CN") -> list:
    with in_language(language):
        return [MAKERS[label](0, random.Random(0)).title for label in LABELS]


# -- try_your_driver -------------------------------------------------------------------------------
def _tried(*edits) -> tuple:
    """try_your_driver's report on the lesson's skeleton after *edits*, in English and Chinese."""
    reports = []
    for language in ("en", "zh_CN"):
        ns = test_yourdriver.skeleton()
        for edit in edits:
            edit(ns)
        with warnings.catch_warnings():
            warnings.simplefilter("error", UntranslatedWarning)
            with in_language(language):
                reports.append(try_your_driver(ns["MyDriverEntry"], ns["GUID_DEVINTERFACE_MINE"]))
    return tuple(reports)


@pytest.mark.parametrize(
    "edits, marks",
    [
        ((), ["还没完成：", "STATUS_INVALID_DEVICE_REQUEST", "TODO 1 和 2"]),
        ((test_yourdriver.fill_in,), ["全部完成：", "Windows"]),
        (
            (lambda ns: test_yourdriver.fill_in(ns, timer_unmarks=False),),
            ["还没完成：", "0x48 CANCEL_STATE_IN_COMPLETED_IRP", "MyEvtTimerFunc"],
        ),
        (
            (test_yourdriver.fill_in, test_yourdriver.cancel_uses_the_dead_request),
            ["还没完成：", "0x10D WDF_VIOLATION (0x5,", "WdfRequestGetIoQueue", "CancelIo"],
        ),
        (
            (test_yourdriver.fill_in, test_yourdriver.wrong_unpacking),
            ["还没完成：", "TypeError: ", "show_traceback=True"],
        ),
    ],
)
def test_try_your_driver_says_each_step_in_chinese(edits, marks):
    english, chinese = _tried(*edits)
    assert_chinese_text(chinese)
    flat = "".join(chinese.split())
    for mark in marks:
        assert "".join(mark.split()) in flat, chinese
    # the same steps, the same verdict
    assert english.count("ok  ") == chinese.count("通过：")
    assert english.startswith("All done") == chinese.startswith("全部完成")
    assert english.splitlines()[-1].startswith("All done") == (
        chinese.splitlines()[-1].startswith("全部完成")
    )


# -- a scenario's outcome -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "run, words",
    [
        (lambda: scenarios.scenario1(), ["STATUS_SUCCESS (0x00000000)", "Information 为 16"]),
        (lambda: scenarios.scenario2(lower_fails=True), ["STATUS_IO_DEVICE_ERROR", "Information"]),
        (
            lambda: scenarios.scenario1(after_complete="memory handle"),
            ["0x10D WDF_VIOLATION", "WdfMemoryGetBuffer", "错误检查"],
        ),
        (
            lambda: scenarios.scenario5(EvtDriverDeviceAdd=lambda Driver, DeviceInit: 0xC0000001),
            ["EvtDriverDeviceAdd", "I/O"],
        ),
    ],
)
def test_a_scenario_outcome_reads_in_chinese_with_english_names(run, words):
    english = run().outcome
    chinese = in_chinese(lambda: run().outcome)
    assert_chinese_text(chinese)
    for word in words:
        assert word in chinese
    assert english != chinese


def test_the_expected_and_got_values_wrap_under_themselves_in_both_languages():
    """A wrong-status report's "Got:" line is long enough to wrap; its wrapped part starts
    under the value in English (the label padded to ten columns) and in Chinese (the label
    three wide characters, its padding dropped by fill)."""
    english = str(grade(test_grader.WrongStatusAdd, FORWARD_READS, seeds=range(6)))
    chinese = str(
        in_chinese(lambda: grade(test_grader.WrongStatusAdd, FORWARD_READS, seeds=range(6)))
    )
    for text, label in ((english, "    Got:      "), (chinese, "    实际：")):
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(label))
        wrapped = lines[start + 1]
        assert wrapped.strip() and not wrapped.startswith(label), text
        assert width(wrapped) - width(wrapped.lstrip(" ")) == width(label), wrapped
        value = lines[start][len(label) :]
        assert not value.startswith(" "), lines[start]  # the value right after the label
