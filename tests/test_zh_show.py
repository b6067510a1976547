"""The presentation layer in Chinese: every plot and lab the lessons make, built and drawn
with ``use_language("zh_CN")``, shows Chinese words, draws them with a CJK font without a
single warning (no missing glyph, no font not found), and passes the same English values on.

English output is what the other tests of the labs and plots check, unchanged.
"""

import io
import logging
import re
import sys
import warnings
from pathlib import Path

import ipywidgets as W
import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Text

from wdfkit import (
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    NonPagedPoolNx,
    WdfMemoryCreate,
    WdfObjectCreate,
    WdfObjectDelete,
    WdfObjectReference,
)
from wdfkit.course import dma_examples, scenarios, workload
from wdfkit.language import _, in_language
from wdfkit.show import driverlab, plots, widgets
from wdfkit.show.reveal import Reveal
from wdfkit.sim.machine import Machine

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture
def chinese(caplog):
    """Chinese, every warning an error, and no font warning logged by matplotlib."""
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("error")
        with in_language("zh_CN"):
            yield
    assert [r.getMessage() for r in caplog.records if "font" in r.getMessage().lower()] == []
    plt.close("all")


def png(figure) -> bytes:
    """*figure* drawn as a PNG (outside the plot function, as ``plt.show()`` draws it)."""
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def chinese_words(figure) -> list[str]:
    """The titles and axis labels of *figure* (with words), each checked to hold Chinese."""
    texts = [figure._suptitle] if figure._suptitle is not None else []
    for ax in figure.axes:
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label]
    words = [t.get_text() for t in texts if t.get_text().strip()]
    assert words, "no title or label"
    for word in words:
        assert CJK.search(word), word
    return words


def fonts_of(figure) -> set[str]:
    """The font families every text of *figure* names first and last."""
    return {
        f"{text.get_fontfamily()[0]}…{text.get_fontfamily()[-1]}"
        for text in figure.findobj(Text)
        if CJK.search(text.get_text())
    }


def test_every_plot_of_the_lessons_draws_in_chinese(chinese):
    machine = Machine("Toaster")
    with machine:
        WdfMemoryCreate(None, NonPagedPoolNx, "gaTS", 64)
    title = "Pool after one WdfMemoryCreate of 64 bytes (KMDF Verifier on)"  # lesson 00's
    figure = plots.pool_map(machine.snapshot(), title)
    assert (
        figure.axes[0].get_title()
        == "一次 64 字节的 WdfMemoryCreate 之后的内存池（KMDF Verifier 开启）"
    )
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["非分页池"]

    status, contents, _unused = widgets.CopyLab.copy("WdfMemoryCopyFromBuffer", 12, 8)
    copied = plots.copy_map(16, 12, 8, contents, repr(status), "WdfMemoryCopyFromBuffer")
    assert "WdfMemoryCopyFromBuffer" in copied.axes[0].get_title()  # the API name stays

    run = workload.run(workload.EXAMPLE_A, via="kernel")
    balance = run.machine.snapshot().balance
    rows = balance.seconds_of(balance.lists[0].name)
    lookaside = plots.lookaside_timeline(rows, "50/s for 10 s, 500/s for 10 s, then idle")
    legend = [t.get_text() for t in lookaside.axes[0].get_legend().get_texts()]
    assert "Depth" in legend and all(CJK.search(t) for t in legend if t != "Depth")

    mdl = dma_examples.pool_buffer_dma(0x2A0, 0x2800, "scatter/gather", 0x2000)
    pages = plots.mdl_pages(mdl.mdl, mdl.transfers)
    assert "ByteCount 0x2800" in pages.axes[0].get_title()

    total, pieces = widgets.carve([20, 50, 7], 16)
    layout = plots.buffer_layout(total, pieces, 16, base=0xFFFF8000000010A0)

    with machine:
        _status, session = WdfObjectCreate(None)
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        attributes.ParentObject = session
        WdfMemoryCreate(attributes, NonPagedPoolNx, "meMS", 64)
        before = machine.snapshot()
        WdfObjectReference(session)
        WdfObjectDelete(session)
        after = machine.snapshot()
    tree = plots.tree_before_after(before, after, "WdfObjectDelete(session)")
    assert tree.axes[1].get_title() == "WdfObjectDelete(session) 之后"
    boxes = [t for t in tree.axes[0].texts if t.get_text().startswith("WDF")]
    assert any("引用 1" in t.get_text() for t in boxes)
    assert {t.get_fontfamily()[0] for t in boxes} == {"DejaVu Sans Mono"}

    history = [("boot", before), ("WdfObjectDelete(session)", after)]
    by_tag = plots.pool_by_tag(history, tags=["Tag1", "Tag2", "SMem"])

    timeline = scenarios.scenario4(free_early=True).machine.timeline
    lifetimes = plots.lifetime_timeline(
        timeline, "Scenario 4: memory deleted early, kept alive by the target"
    )
    assert lifetimes.axes[0].get_title().startswith("场景 4：内存对象提前删除")

    fonts = {"DejaVu Sans…Noto Sans CJK SC", "DejaVu Sans Mono…Noto Sans Mono CJK SC"}
    for drawn in (figure, copied, lookaside, pages, layout, tree, by_tag, lifetimes):
        png(drawn)
        chinese_words(drawn)
        assert fonts_of(drawn) <= fonts


def test_the_timeline_of_a_crash_keeps_its_windbg_words_and_fits_its_width(chinese):
    figure = plots.lifetime_timeline(
        scenarios.scenario1(after_complete="memory handle").machine.timeline,
        "Scenario 1, the memory handle used after completion",
    )
    png(figure)
    crash = [t.get_text() for t in figure.axes[0].texts if "0x10D" in t.get_text()]
    assert crash == ["0x10D WDF_VIOLATION：延伸到这条线的条形当时仍然存活  "]
    renderer = figure.canvas.get_renderer()
    for text in figure.findobj(Text):
        if text.get_text() and text.get_visible():
            box = text.get_window_extent(renderer)
            assert figure.bbox.x0 <= box.x0 and box.x1 <= figure.bbox.x1 + 1, text.get_text()


def test_every_lab_speaks_chinese_and_passes_english_values_on(chinese):
    labs = [
        widgets.MemoryCreateLab(),
        widgets.CopyLab(),
        widgets.LookasideLab(),
        widgets.MdlLab(),
        widgets.PoolLab(),
        widgets.AlignmentLab(),
        driverlab.EchoLab(),
    ]
    memory, copy, lookaside, mdl, pool, alignment, echo = labs
    for lab in labs:
        png(lab.figure)
        chinese_words(lab.figure)
    assert memory.verifier.description == "KMDF Verifier 开启"
    assert memory.summary.value.startswith("KMDF 选择了 'pool'：这个内存对象占用 2 个内存池块")
    assert copy.offset.description == "偏移量" and copy.message.value.startswith("结果：")
    assert "Depth 109，持有 169" in lookaside.counters.value
    lookaside.pattern.value = "steady"  # the value stays English, the label is Chinese
    assert lookaside.pattern.label == "均匀" and lookaside.run.machine is not None
    mdl.profile.value = "packet"
    assert mdl.profile.label == "数据包"
    assert all(sg.NumberOfElements == 1 for sg in mdl.run.transfers)
    assert "3 页，3 个 PFN" in mdl.message.value
    pool.allocate()
    assert [b.description for b in pool.widget.children[2].children] == [
        "WdfObjectDelete(session)",
        "卸载驱动程序",
        "新机器",
    ]
    pool.unload()
    assert pool.machine.state == "crashed" and "0x62" in pool.message.value
    pool.allocate()
    assert pool.message.value == "这台机器已经崩溃：请按“新机器”。"
    alignment.alignment.value = 64
    alignment.base.value = "align up"
    assert alignment.base.label == "多分配 AlignTo − 1 字节，把基址向上对齐"
    assert not alignment.misaligned and alignment.summary.value.endswith("；全部对齐")
    assert echo.message.value == "结果：3 个读请求返回了数据，0 个被取消"
    echo.cancel_at.value = "0.5 s"
    assert echo.cancel_at.label == "0.5 s" and echo.remove_at.label == "不发生"
    assert echo.message.value == "结果：0 个读请求返回了数据，3 个被取消"
    assert (
        echo.figure.axes[0].get_title() == "echo 驱动程序的请求（先写，再读）：条形都是请求（蓝色）"
    )
    assert [name.split("\n")[0] for name in driverlab.row_names(echo.run)][:2] == [
        "写请求",
        "读请求 1",
    ]
    assert echo.run.time_line() == "虚拟时间（读请求发出后的秒数）：CancelIo（0.5 秒）。"
    assert (
        echo.run.outcome_lines()[0]
        == "第 1 个读请求：STATUS_CANCELLED，0 字节，在读请求发出后 0.5 秒完成"
    )


def test_a_scenario_lab_translates_the_words_its_lesson_hands_it(chinese):
    lab = widgets.ScenarioLab(  # lesson 07's lab, as its cell makes it
        scenarios.scenario1,
        {
            "buffering": ("buffered", "direct"),
            "after_complete": ("nothing", "memory handle", "buffer pointer"),
        },
        "Scenario 1",
        routines={},
    )
    after = lab.controls["after_complete"]
    assert after.description == "完成之后" and after.label == "什么也不做"
    assert after.style.description_width == "initial"
    after.value = "memory handle"  # the scenario still gets its English value
    assert after.label == "使用内存句柄" and lab.run.bugcheck.code == 0x10D
    assert lab.message.value.startswith("运行的是本包自带的驱动程序")
    assert "结果：" in lab.message.value and "0x10D" in lab.message.value
    assert lab.figure.axes[0].get_title().startswith("场景 1：蓝色为请求")
    png(lab.figure)

    six = widgets.ScenarioLab(  # lesson 06's, with a package constant for its options
        scenarios.life_cycle,
        {"buffer": scenarios.BUFFER_SOURCES, "hold_reference": False},
        "Lesson 06: the request's memory or the driver's own",
    )
    assert six.controls["hold_reference"].description == "持有引用"
    assert [label for label, _value in six.controls["buffer"]._options_full] == [
        "请求的内存",
        "WdfMemoryCreate",
    ]
    png(six.figure)


def test_your_driver_and_the_packages_are_named_in_chinese(chinese):
    from wdfkit import STATUS_SUCCESS, WdfRequestComplete

    def EvtIoRead(Queue, Request, Length):
        WdfRequestComplete(Request, STATUS_SUCCESS)

    lab = widgets.ScenarioLab(
        scenarios.scenario1,
        {"buffering": ("buffered", "direct")},
        "Scenario 1",
        routines={"EvtIoRead": EvtIoRead},
    )
    assert [label for label, _value in lab.driver._options_full] == ["你的驱动程序", "本包自带的"]
    assert lab.driver.value == widgets.ScenarioLab.YOURS == "your driver"
    assert lab.message.value.startswith("你的 EvtIoRead 运行了。结果：")
    lab.driver.value = widgets.ScenarioLab.PACKAGES
    assert lab.message.value.startswith("运行的是本包自带的驱动程序。结果：")


def test_reveal_buttons_and_headings_are_chinese(chinese):
    from wdfkit.course import exercises

    shown = Reveal(exercises.make_problem("01-ex1", seed=1))
    buttons = [b.description for b in shown.widget.children[0].children]
    assert buttons[-1] == "显示答案" and set(buttons) <= {"运行看看", "显示答案"}
    shown.show_answer()
    assert "[01-ex1，种子 1]" in shown.text.value


def test_cjk_characters_count_twice_in_text_widths():
    assert plots.columns("Scenario") == 8
    assert plots.columns("场景 1：") == 2 + 2 + 1 + 1 + 2
    assert plots._text_inches("场景") == plots._text_inches("abcd")


def test_english_figures_use_matplotlibs_own_fonts():
    """In English, fonts() changes nothing: a text keeps matplotlib's default family."""
    with plots.fonts():
        figure = plots.pool_map(Machine("Toaster").snapshot())
    assert {tuple(t.get_fontfamily()) for t in figure.findobj(Text)} == {("sans-serif",)}
    plt.close("all")


def test_a_missing_cjk_font_is_named_with_its_debian_package(monkeypatch):
    monkeypatch.setattr(plots, "CJK_FONTS", ("No Such CJK Font",))
    plots._cjk_families.cache_clear()
    try:
        with in_language("zh_CN"), pytest.raises(RuntimeError, match="fonts-noto-cjk"):
            plots.pool_map(Machine("Toaster").snapshot())
    finally:
        plots._cjk_families.cache_clear()
    plt.close("all")


def test_every_string_the_lessons_hand_to_the_show_functions_is_translated():
    """tools/catalog.py takes them from the English notebooks; the catalog has each one."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import catalog
    finally:
        sys.path.remove(str(ROOT / "tools"))
    found = {
        message
        for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        for message, _cell in catalog.notebook_messages(path)
    }
    assert {"Scenario 1", "after complete", "memory handle", "the request's", "seed"} <= found
    assert "Pool after one WdfMemoryCreate of 64 bytes (KMDF Verifier on)" in found  # a name
    with warnings.catch_warnings(), in_language("zh_CN"):
        warnings.simplefilter("error")
        for message in found:
            _(message)


def test_the_lab_controls_are_plain_widgets_in_english():
    """English: option lists are the values themselves, as before (no (label, value) pairs)."""
    lab = widgets.MdlLab()
    assert lab.profile.options == ("scatter/gather", "packet")
    assert isinstance(lab.profile, W.Dropdown) and lab.profile.style.description_width == "initial"
    plt.close("all")


def test_a_cjk_font_installed_after_matplotlibs_font_cache_was_built_is_found(monkeypatch):
    """A fresh machine: matplotlib built its font cache, then fonts-noto-cjk was installed.
    fonts() adds the system's CJK font files itself, no restart or cache deletion needed."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    stale = [font for font in manager.ttflist if "CJK" not in font.name]
    monkeypatch.setattr(manager, "ttflist", stale)  # (restored, with its cache, afterwards)
    manager._findfont_cached.cache_clear()
    plots._cjk_families.cache_clear()
    try:
        sans, mono = plots._cjk_families()
        assert sans == ["DejaVu Sans", "Noto Sans CJK SC"]
        assert mono == ["DejaVu Sans Mono", "Noto Sans Mono CJK SC"]
        with in_language("zh_CN"):
            figure = plots.pool_map(Machine("Toaster").snapshot())
            figure.canvas.draw()
    finally:
        plots._cjk_families.cache_clear()
        manager._findfont_cached.cache_clear()
    plt.close("all")
