import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from wdfkit import PagedPool
from wdfkit.kernel.pool import PAGE_SIZE
from wdfkit.show import widgets
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
