"""Printed text fits a notebook cell: wdfkit.kernel.text.fill and the views that use it."""

from wdfkit import Machine, NonPagedPoolNx, WdfLookasideListCreate, WdfMemoryCreateFromLookaside
from wdfkit.kernel.text import WIDTH, fill, spaced, width
from wdfkit.show import views


def test_fill_keeps_lines_within_the_width_and_a_code_with_its_name():
    text = "IoCompleteRequest(IRP 0xFFFFC28A40000C70, IRP_MJ_READ): " + (
        "STATUS_INVALID_DEVICE_REQUEST (0xC0000010), Information 0 " * 3
    )
    lines = fill(text, "[log] ", " " * 6).splitlines()
    assert len(lines) > 1
    assert all(len(line) <= WIDTH for line in lines)
    assert lines[0].startswith("[log] IoCompleteRequest(IRP 0xFFFFC28A40000C70,")
    assert all(line.startswith(" " * 6) for line in lines[1:])
    names = ("STATUS_INVALID_DEVICE_REQUEST", "IRP")
    assert not any(line.rstrip().endswith(names) for line in lines)
    assert " ".join(line.strip() for line in lines) == ("[log] " + text).strip()


def test_fill_keeps_a_bug_check_code_with_its_name():
    text = "Answer: (0x6, 0x3). The simulator's run ended: bug check 0x10D WDF_VIOLATION " + (
        "(0x6, 0x3, 0x3D75BFFFEFE8, 0xFFFFC28A40000010) in WdfRequestSend."
    )
    lines = fill(text).splitlines()
    assert lines[1].startswith("check 0x10D WDF_VIOLATION (0x6, 0x3, 0x3D75BFFFEFE8,")
    assert all(len(line) <= WIDTH for line in lines)


def test_fill_never_splits_bug_check():
    summary = "0x10D WDF_VIOLATION (0x5, 0x3D75BFFFF7B8, 0x1, 0xFFFFC28A40000840) in WdfFoo"
    for pad in range(0, 60, 7):
        text = f"[  0.000123s IRQL 0] {'x' * pad} *** BUG CHECK {summary}"
        lines = fill(text, "", " " * 21).splitlines()
        assert any("*** BUG CHECK 0x10D WDF_VIOLATION" in line for line in lines), lines
        assert all(len(line) <= WIDTH for line in lines), lines


def test_fill_keeps_a_list_of_numbers_whole_unless_it_is_wider_than_a_line():
    pair = "e.g. (0xC0000001, 0x1F40)."
    lines = fill("x " * 45 + pair).splitlines()
    assert lines[-1] == pair
    params = "(" + ", ".join(["0xFFFFC28A40000E90"] * 6) + ")"
    lines = fill("*** BUG CHECK 0x48 CANCEL_STATE_IN_COMPLETED_IRP " + params).splitlines()
    assert lines[0].startswith("*** BUG CHECK 0x48 CANCEL_STATE_IN_COMPLETED_IRP (0xFFFF")
    assert all(len(line) <= WIDTH for line in lines)


def test_fill_leaves_short_lines_and_their_breaks_alone():
    assert fill("STATUS_SUCCESS (0x00000000)") == "STATUS_SUCCESS (0x00000000)"
    text = "A driver calls\n    ExAllocatePoolWithTag(NonPagedPoolNx, 277, 'nlAS')\nand gets it."
    assert fill(text) == text


def test_object_tree_puts_wide_details_on_the_next_line():
    """A lookaside memory object's details do not fit beside its handle: they go below it."""
    machine = Machine("Toaster", verifier=False)
    with machine:
        _, lookaside = WdfLookasideListCreate(None, 256, NonPagedPoolNx, None, "kooL")
        _, memory = WdfMemoryCreateFromLookaside(lookaside)
    lines = views.object_tree(machine).splitlines()
    assert all(len(line) <= WIDTH for line in lines)
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(repr(memory)))
    assert lines[at].endswith("refs 1  Created")
    assert lines[at + 1].strip().startswith("[lookaside, owns buffer")
    assert repr(lookaside) in " ".join(lines[at + 1 : at + 3])


def test_fill_measures_chinese_as_two_columns_and_breaks_between_characters():
    text = (
        "不对：你的答案是 0x50。死掉的不是指针而是句柄：请求完成之后，WdfMemoryGetBuffer 拿到的是"
        "一个已经失效的 WDFMEMORY 句柄，KMDF Verifier 以 0x10D WDF_VIOLATION 停机。"
    ) * 3
    lines = fill(text, "    ", "    ").splitlines()
    assert len(lines) > 3
    assert all(width(line) <= WIDTH for line in lines)
    assert max(width(line) for line in lines) >= WIDTH - 2  # lines are filled, not cut short
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert all(line.strip() for line in lines)
    assert any("0x10D WDF_VIOLATION" in line for line in lines)


def test_fill_never_begins_a_line_with_a_closing_mark_or_ends_one_with_an_opening_mark():
    for pad in range(0, 12):
        text = "字" * pad + "（一句括号里的话，还有逗号。）" * 12
        lines = fill(text).splitlines()
        assert all(width(line) <= WIDTH for line in lines)
        assert not any(line[0] in "，。）：；" for line in lines[1:]), lines
        assert not any(line[-1] == "（" for line in lines), lines


def test_width_counts_chinese_twice():
    assert width("abc") == 3
    assert width("中文 ok") == 7


def test_fill_spaces_chinese_as_chinese_is_written():
    """Sentences joined with a space: none after a full-width mark; a space between a Chinese
    character and a Latin letter or digit."""
    assert fill("先预测，再运行。 场景 1，共3块。 理解为a number") == (
        "先预测，再运行。场景 1，共 3 块。理解为 a number"
    )
    assert fill("（这是 0x10D）里面") == "（这是 0x10D）里面"
    english = "First predict, then run it. Scenario 1: 3 blocks."
    assert fill(english) == english


def test_spaced_spaces_chinese_without_wrapping():
    long = "你的 EvtIoRead 运行了。 结果：应用程序得到 STATUS_SUCCESS，共16字节。" * 4
    assert "\n" not in spaced(long)
    assert (
        spaced("你的 EvtIoRead 运行了。 结果：共16字节")
        == "你的 EvtIoRead 运行了。结果：共 16 字节"
    )
    assert spaced("Your EvtIoRead ran.  Outcome: 16") == "Your EvtIoRead ran.  Outcome: 16"


def test_fill_keeps_a_run_of_spaces_after_a_full_width_mark_that_lines_up_columns():
    """The grader's "Expected:"/"Got:" pair: the translation lines its values up under each
    other and under the continuation indent; only a single joining space is dropped."""
    expected = fill("预期：    STATUS_SUCCESS (0x00000000)", "    ", "              ")
    values = "STATUS_INVALID_PARAMETER (0xC000000D)，" * 4
    got = fill("实际：    " + values, "    ", "              ")
    assert expected == "    预期：    STATUS_SUCCESS (0x00000000)"
    lines = got.splitlines()
    assert lines[0].startswith("    实际：    STATUS_INVALID_PARAMETER")
    assert width("    实际：    ") == len("              ")  # the value column of every line
    assert all(line.startswith("              STATUS") for line in lines[1:]), lines
    assert spaced("预期：    0x5") == "预期：    0x5" and spaced("预期： 0x5") == "预期：0x5"
