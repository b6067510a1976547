import ipywidgets as W
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from wdfkit import PagedPool
from wdfkit.kernel.pool import PAGE_SIZE
from wdfkit.show import plots, widgets
from wdfkit.show.widgets import CopyLab, carve


def test_pool_lab_buttons_change_pool_and_plot():
    lab = widgets.PoolLab()
    lab.size.value = 128
    lab.allocate()
    assert lab.history[-1][1].bytes_by_tag()["Tag1"] == 128
    line = lab.figure.axes[0].get_lines()[0]
    assert list(line.get_ydata()) == [0, 128]
    lab.tag.value = "2gaT"
    lab.allocate()
    lab.free_last()
    assert lab.history[-1][1].bytes_by_tag()["Tag2"] == 0
    lab.create_child()
    assert lab.history[-1][1].bytes_by_tag()["SMem"] == 128
    lab.delete_parent()
    assert lab.history[-1][1].bytes_by_tag()["SMem"] == 0
    lab.unload()
    assert "0x62" in lab.message.value and lab.machine.state == "crashed"
    lab.allocate()
    assert "New machine" in lab.message.value
    lab.reset()
    assert lab.machine.state == "running" and len(lab.history) == 1
    plt.close("all")


def test_alignment_lab_redraws_on_slider_change():
    lab = widgets.AlignmentLab()
    assert [offset for _, offset, _ in lab.pieces] == [0, 32, 96]
    lab.alignment.value = 64
    assert [offset for _, offset, _ in lab.pieces] == [0, 64, 128]
    assert lab.total == 192
    assert "padding 115 bytes" in lab.summary.value
    assert len(lab.figure.axes[0].patches) > 3
    plt.close("all")


def test_alignment_lab_shows_the_pool_addresses_and_the_two_fixes():
    """Below a page, x64 pool guarantees MEMORY_ALLOCATION_ALIGNMENT (16) only; a page or more
    starts on a page boundary (kernel/pool.py POOL_ALIGNMENT, PAGE_SIZE).  Offsets rounded up
    from an unaligned base give unaligned addresses; over-allocating by AlignTo - 1 and rounding
    the base up, or allocating a page, fixes it."""
    lab = widgets.AlignmentLab()
    assert lab.block % 16 == 0 and not lab.misaligned  # AlignTo 16: what the pool promises
    lab.alignment.value = 64
    assert lab.block % 64 != 0 and lab.block == lab.start  # the lab's pool gave an odd base
    assert lab.misaligned == ["buf0", "buf1", "buf2"]
    assert "MISALIGNED: buf0, buf1, buf2" in lab.summary.value
    assert f"0x{lab.block:X}" in lab.summary.value  # the real address the pool gave
    lab.base.value = "align up"
    assert lab.start % 64 == 0 and 0 < lab.start - lab.block < 64 and not lab.misaligned
    assert f"({lab.total + 63} bytes)" in lab.summary.value
    lab.base.value = "page"
    assert lab.block % PAGE_SIZE == 0 and lab.start == lab.block and not lab.misaligned
    assert "all aligned" in lab.summary.value
    plt.close("all")


def test_memory_lab_shows_kmdf_choice():
    lab = widgets.MemoryCreateLab()
    assert lab.kind == "pool"
    lab.verifier.value = False
    assert lab.kind == "embedded" and "1 pool block" in lab.summary.value
    lab.size.value = 4096
    assert lab.kind == "pool" and "2 pool block" in lab.summary.value
    plt.close("all")


def test_carve_aligns_every_offset():
    total, pieces = carve([20, 50, 7], 16)
    assert total == 112 and all(offset % 16 == 0 for _, offset, _ in pieces)


def test_lookaside_lab_simulates_and_drives_ddis():
    lab = widgets.LookasideLab()
    assert "t=50 s: Depth 109, held 169" in lab.counters.value  # default: worked example A
    assert "pool allocations" in lab.summary.value
    lab.rates[2].value = 50
    assert "t=50 s" in lab.counters.value and lab.run.machine.balance.seconds == 50
    depth_line, in_use_line = lab.axes[0].get_lines()  # steps; the held blocks are a fill
    assert depth_line.get_label() == "Depth"
    assert depth_line.get_ydata()[-1] == lab.run.machine.balance.lists[0].Depth
    assert max(in_use_line.get_ydata()) == 500  # phase 2's burst: 500 buffers out at once
    lab.take()
    lab.take()
    lab.give_back()
    lab.advance(3)
    kernel_list = lab.machine.balance.lists[0]
    assert (kernel_list.TotalAllocates, kernel_list.TotalFrees, len(kernel_list.held)) == (2, 1, 1)
    assert lab.summary.value == "advanced 3 s"
    assert "t=3 s: Depth 4, held 1, in use 1, allocations 2, misses 2" in lab.counters.value
    lab.reset()
    assert lab.machine.balance.lists[0].TotalAllocates == 0
    plt.close("all")


def test_scenario_lab_reruns_on_each_choice():
    from wdfkit.course import scenarios

    lab = widgets.ScenarioLab(scenarios.scenario3, {"reuse_first": True, "ioctl": False}, "S3")
    assert "the application got STATUS_SUCCESS" in lab.message.value
    lab.controls["reuse_first"].value = False
    assert "0x10D" in lab.message.value and lab.run.bugcheck.parameters[2] == 1
    lab.controls["ioctl"].value = True
    assert lab.run.bugcheck.parameters[2] == 2
    assert lab.run.machine.timeline.crash_step is not None


def test_scenario4_lab_runs_every_kind_early_and_late():
    """Lesson 10's lab: owned buffers survive an early WdfObjectDelete (the format's reference),
    a preallocated buffer freed early is written by the lower device after it is freed."""
    from wdfkit.course import scenarios

    lab = widgets.ScenarioLab(
        scenarios.scenario4, {"kind": scenarios.MEMORY_KINDS, "free_early": False}, "S4"
    )
    lab.controls["free_early"].value = True
    for kind in ("WdfMemoryCreate", "lookaside"):
        lab.controls["kind"].value = kind
        assert lab.run.bugcheck is None and lab.run.data == bytes(range(16))
    lab.controls["kind"].value = "preallocated"
    assert lab.run.bugcheck.code == 0xD5 and "0xD5" in lab.message.value


def test_copy_lab_outlines_the_window_and_reports_the_status():
    lab = widgets.CopyLab()
    lab.offset.value, lab.count.value = 12, 4  # exactly up to the end: allowed
    assert lab.status == 0 and lab.contents == b"abcdefghijklABCD"
    window = lab.figure.axes[0].patches[-1]
    assert (window.get_x(), window.get_width()) == (12, 4)
    assert window.get_edgecolor()[:3] == (0x27 / 255, 0xAE / 255, 0x60 / 255)  # green
    lab.count.value = 5  # one byte past the end: refused whole, nothing written
    assert lab.status == 0xC0000206 and lab.contents == CopyLab.INITIAL
    assert "STATUS_INVALID_BUFFER_SIZE" in lab.message.value
    lab.ddi.value = "WdfMemoryCopyToBuffer"
    assert lab.status == 0xC0000023 and "nothing copied" in lab.message.value
    lab.offset.value, lab.count.value = 2, 3
    assert "the local array holds 'cde....." in lab.message.value
    lab.count.value = 0
    assert lab.status == 0xC000000D
    plt.close("all")


def test_mdl_lab_redraws_pages_and_transfers():
    lab = widgets.MdlLab()
    assert "3 page(s)" in lab.message.value and "2 transfer(s)" in lab.message.value
    lab.offset.value = 0xF00  # the same length now touches one more page
    assert "4 page(s)" in lab.message.value
    assert len(lab.run.mdl.pfns) == 4
    lab.profile.value = "packet"
    assert all(sg.NumberOfElements == 1 for sg in lab.run.transfers)
    lab.maximum.value = 0x1000
    assert all(sum(e.Length for e in sg.Elements) <= 0x1000 for sg in lab.run.transfers)
    boxes = [p for p in lab.figure.axes[0].patches if isinstance(p, Rectangle)]
    frames = [p for p in boxes if p.get_width() == 1 and p.get_y() == 0]
    assert len(frames) == 4  # one box per frame on the physical row
    plt.close("all")


def test_pool_map_names_blocks_and_gives_paged_pool_its_own_row():
    lab = widgets.MemoryCreateLab()  # KMDF Verifier on: object and buffer in two blocks
    names = [text.get_text() for text in lab.ax.texts]
    assert names == ["driver\nglobals", "WDFDRIVER", "buffer", "WDFMEMORY"]
    lab.verifier.value = False
    assert [text.get_text() for text in lab.ax.texts][-1] == "WDFMEMORY\n+ buffer"
    lab.verifier.value = True
    lab.pool.value = PagedPool  # the buffer is far away, in paged pool: a row of its own
    rows = [label.get_text() for label in lab.ax.get_yticklabels()]
    assert rows == ["nonpaged pool", "paged pool"]
    assert lab.ax.get_xlim()[1] < 2 * PAGE_SIZE  # offsets within each pool, not 0x1C... apart
    plt.close("all")


# -- what the learner sees: nothing cut off, overflowing or empty without a word (issue 18) --


def _extents(figure):
    """Each text of *figure*'s axes as (text, its box in pixels), drawn at the figure's dpi.

    (The box of the text alone: an annotation's own extent includes its line to what it names.)
    """
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    return [
        (text, Text.get_window_extent(text, renderer))
        for ax in figure.axes
        for text in ax.texts
        if text.get_text()
    ]


def _apart(boxes) -> list:
    """The pairs of *boxes* (text, bbox) that overlap."""
    return [
        (a.get_text(), b.get_text())
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def test_messages_wrap_so_a_bug_check_is_shown_whole():
    """A Label cuts its text with an ellipsis at the lab's edge; the labs' messages wrap."""
    lab = widgets.PoolLab()
    lab.allocate()
    lab.unload()
    assert isinstance(lab.message, W.HTML)
    assert "unloading without freeing its pool: 1 allocation(s)" in lab.message.value
    assert "<br>" in lab.message.value  # the meaning's second line, "Arg2: …", on its own line
    for lab in (widgets.LookasideLab(), widgets.MemoryCreateLab(), widgets.CopyLab()):
        labels = [c for c in lab.widget.children if isinstance(c, W.Label)]
        assert labels == []
    plt.close("all")


def test_scenario_dropdowns_show_their_whole_name():
    from wdfkit.course import scenarios

    lab = widgets.ScenarioLab(
        scenarios.scenario1,
        {"buffering": ("buffered", "direct"), "after_complete": ("nothing", "memory handle")},
        "S1",
    )
    for control in lab.controls.values():
        assert control.style.description_width == "initial"
    assert lab.controls["after_complete"].description == "after complete"


def test_pool_lab_says_what_will_appear_on_a_new_machine():
    lab = widgets.PoolLab()
    (empty,) = [t.get_text() for t in lab.ax.texts]
    assert "No pool in use under 'Tag1', 'Tag2', 'SMem' yet" in empty
    assert "click ExAllocatePoolWithTag" in empty
    assert not lab.ax.yaxis.get_visible()  # no axis from -0.04 to 0.04 bytes
    lab.allocate()
    assert len(lab.ax.texts) == 0 and lab.ax.yaxis.get_visible()
    assert lab.ax.get_ylim()[0] == 0
    lab.free_last()  # every tag back to 0 bytes: still an axis of bytes from 0, not around 0
    low, high = lab.ax.get_ylim()
    assert low == 0 and high >= 16
    plt.close("all")


def test_lookaside_lab_says_what_will_appear_after_new_machine():
    lab = widgets.LookasideLab()
    top, bottom = lab.axes
    assert len(top.texts) == len(bottom.texts) == 0  # the designed workload: data in both
    lab.reset()
    assert "No second recorded yet" in top.texts[0].get_text()
    assert "No allocations yet" in bottom.texts[0].get_text()
    assert not top.yaxis.get_visible() and not bottom.yaxis.get_visible()
    lab.advance(1)  # a second recorded, still no call: Depth drawn, the lower panel explained
    assert len(top.texts) == 0 and top.yaxis.get_visible()
    assert "Click WdfMemoryCreateFromLookaside" in bottom.texts[0].get_text()
    assert bottom.get_ylim() == (0, 1)
    lab.take()
    lab.advance(1)
    assert len(bottom.texts) == 0 and bottom.yaxis.get_visible()
    plt.close("all")


def test_alignment_labels_stay_in_their_bar_or_clear_of_every_bar():
    """At AlignTo 64, buf2 (7 bytes) is narrower than its label: the label goes beside the bar
    (with a line to it) instead of spilling over its edges."""
    lab = widgets.AlignmentLab()
    for sizes, alignment in (((20, 50, 7), 64), ((1, 200, 1), 64), ((1, 1, 1), 8)):
        for slider, size in zip(lab.sizes, sizes, strict=True):
            slider.value = size
        lab.alignment.value = alignment
        boxes = _extents(lab.figure)
        renderer = lab.figure.canvas.get_renderer()
        bars = [p.get_window_extent(renderer) for p in lab.ax.patches if p.get_hatch() is None]
        frame = lab.ax.get_window_extent(renderer)
        assert len(boxes) == 3 and len(bars) == 3
        for (text, box), bar in zip(boxes, bars, strict=True):
            inside = bar.x0 <= box.x0 and box.x1 <= bar.x1
            assert inside or not any(box.overlaps(b) for b in bars), (sizes, text.get_text())
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
            assert box.y1 <= frame.y1, (sizes, text.get_text())
        assert _apart(boxes) == []
    plt.close("all")


def test_memory_lab_names_every_block_and_offers_the_sizes_that_matter():
    lab = widgets.MemoryCreateLab()
    assert {4095, 4096} <= set(lab.size.options)  # one step apart, easy to land on
    lab.size.value = 8192
    named = [b for b in lab.snapshot.blocks if plots._holds_text(b)]
    boxes = _extents(lab.figure)
    assert sorted(t.get_text() for t, _ in boxes) == sorted(plots._holds_text(b) for b in named)
    frame = lab.ax.get_window_extent(lab.figure.canvas.get_renderer())
    assert all(frame.x0 <= box.x0 and box.x1 <= frame.x1 for _, box in boxes)
    assert _apart(boxes) == []
    plt.close("all")


def test_timeline_labels_are_readable_and_clear_of_each_other_and_of_the_bars_starts():
    """At 100 dpi and at most 9.6 inches wide (shown unscaled in a notebook at 1400 px), every
    label is at least 10 px tall; no label overlaps another or a bar's start dot (lesson 11's
    'released' used to run into the next send's reference), and none leaves the figure."""
    from wdfkit.course import scenarios

    cases = [
        (scenarios.scenario1, {"buffering": ("direct",), "after_complete": ("buffer pointer",)}),
        (scenarios.scenario2, {"completion_routine": True, "lower_fails": True}),
        (scenarios.scenario3, {"reuse_first": False, "ioctl": True}),
        (scenarios.scenario4, {"kind": ("preallocated",), "free_early": True}),
        (scenarios.scenario5, {"sends": (4,), "reuse": True, "overlap": True}),
        (scenarios.scenario5, {"sends": (4,), "reuse": True, "overlap": False}),
    ]
    for scenario, choices in cases:
        lab = widgets.ScenarioLab(scenario, choices, "Scenario")
        figure, (ax,) = lab.figure, lab.figure.axes
        assert figure.get_figwidth() <= 9.6 and figure.dpi == 100
        height = figure.get_figheight()
        assert height <= 5.8, (scenario.__name__, height)  # with the controls: within 650 px
        boxes = _extents(figure)
        renderer = figure.canvas.get_renderer()
        ticks = [(t, t.get_window_extent(renderer)) for t in ax.get_yticklabels()]
        whole = figure.bbox
        for text, box in boxes + ticks:
            assert text.get_fontsize() >= 8 and box.height >= 10, text.get_text()
            assert whole.x0 <= box.x0 and box.x1 <= whole.x1, text.get_text()
        assert _apart(boxes) == [], scenario.__name__
        dots = [
            ax.transData.transform((line.get_xdata()[0], line.get_ydata()[0]))
            for line in ax.get_lines()
            if line.get_marker() == "o"
        ]
        for text, box in boxes:
            hit = [
                d for d in dots if box.x0 - 3 < d[0] < box.x1 + 3 and box.y0 - 3 < d[1] < box.y1 + 3
            ]
            assert hit == [], (scenario.__name__, text.get_text())
        plt.close("all")
