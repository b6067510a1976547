"""Widget labs: buttons that make DDI calls and sliders that redraw plots.

The logic lives in plain methods (``allocate()``, ``update()``…) that pytest drives without a
browser; the ipywidgets controls only call them.  Each lab owns its own simulated machine and
one figure that it redraws in place and shows as a PNG (no pyplot state, one render per change).

Every label, button and message is in the learner's language (:mod:`wdfkit.language`), chosen
when the lab is made; what the simulated Windows says (statuses, handles, the log) stays
English.  A dropdown passes on the same (English) values in every language: in Chinese its
options are (label, value) pairs.  A lesson's words handed to :class:`ScenarioLab` — its title,
its choices' keywords and their string options — are English too, translated when shown
(``tools/catalog.py`` takes them from the English notebooks for the catalog).
"""

import html

import ipywidgets as W
from IPython.display import display

from ..course import scenarios, workload
from ..course.dma_examples import pool_buffer_dma
from ..ddi.wdfcore import WDF_ALIGN_SIZE_UP
from ..ddi.wdflookaside import WdfLookasideListCreate, WdfMemoryCreateFromLookaside
from ..ddi.wdfmemory import WdfMemoryCopyFromBuffer, WdfMemoryCopyToBuffer, WdfMemoryCreate
from ..ddi.wdfobject import (
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WdfObjectCreate,
    WdfObjectDelete,
)
from ..ddi.wdm import ExAllocatePoolWithTag, ExFreePoolWithTag, RtlCopyMemory
from ..kernel.bugcheck import BugCheck
from ..kernel.pool import PAGE_SIZE, NonPagedPoolNx, PagedPool
from ..kernel.text import spaced
from ..language import N_, _, current
from ..sim.machine import Machine
from ..sim.snapshot import MachineState
from . import plots, views
from .canvas import new_figure, redraw_on_change, show_figure


def _axes(
    figsize: tuple[float, float],
    bottom: float,
    right: float = 0.98,
    top: float = 0.88,
    rows: int = 1,
    left: float = 0.08,
):
    """A lab's own figure (outside pyplot) with fixed margins, so redraws need no re-layout.

    One axes, or with *rows* > 1 that many stacked axes sharing the x axis.
    """
    with plots.fonts():  # (the axes' title and labels are made here: in the CJK font too)
        figure = new_figure(figsize)
        figure.subplots_adjust(left=left, right=right, top=top, bottom=bottom, hspace=0.12)
        return figure.subplots(rows, 1, sharex=True)


def _options(values) -> list:
    """A dropdown's options for *values*, each shown in the learner's language: the values
    themselves when every label is its value (always in English), else (label, value) pairs,
    so the value passed on is the same in every language."""
    values = list(values)
    labels = [_(value) if isinstance(value, str) else str(value) for value in values]
    if labels == [str(value) for value in values]:
        return values
    return list(zip(labels, values, strict=True))


def _wide() -> dict:
    """A control's keyword for its description's width: in Chinese, as wide as its words (the
    default column of 80 px cuts a label of more than five CJK characters); in English,
    nothing (the default)."""
    return {} if current() == "en" else {"style": {"description_width": "initial"}}


def _buttons(actions: dict) -> list:
    """A button per label in *actions*, each calling its action when clicked."""
    buttons = []
    for label, action in actions.items():
        button = W.Button(description=label, layout=W.Layout(width="auto"))
        button.on_click(lambda _b, action=action: action())
        buttons.append(button)
    return buttons


def _message() -> W.HTML:
    """A line for what the last change did: text that wraps at the lab's edge, where a Label
    would cut it with an ellipsis (a bug check's meaning is longer than the lab is wide)."""
    return W.HTML(layout=W.Layout(width="100%"))


def _say(message: W.HTML, text: str) -> None:
    """Put plain *text* in *message* (escaped; a newline breaks the line)."""
    message.value = html.escape(spaced(text), quote=False).replace("\n", "<br>")


class PoolLab:
    """Lesson 04: allocate and free tagged pool, parent memory objects, unload; watch pool."""

    def __init__(self, verifier: bool = True) -> None:
        self.verifier = verifier
        self.tag = W.Dropdown(options=["1gaT", "2gaT"], description=_("Tag"), **_wide())
        self.size = W.IntSlider(
            value=64, min=16, max=1024, step=16, description=_("Bytes"), **_wide()
        )
        self.buttons = {
            "ExAllocatePoolWithTag": self.allocate,
            _("ExFreePoolWithTag (last)"): self.free_last,
            _("WdfMemoryCreate (child of session)"): self.create_child,
            "WdfObjectDelete(session)": self.delete_parent,
            _("Unload driver"): self.unload,
            _("New machine"): self.reset,
        }
        controls = _buttons(self.buttons)
        self.message = _message()
        self.out = W.Output()
        self.ax = _axes((9.6, 3.2), bottom=0.34, right=0.87)  # room for the legend on the right
        self.widget = W.VBox(
            [
                W.HBox([self.tag, self.size]),
                W.HBox(controls[:3]),
                W.HBox(controls[3:]),
                self.message,
                self.out,
            ]
        )
        self.widget.add_class("wdfkit-pool-lab")
        self.reset()

    def reset(self) -> None:
        """A fresh machine with one general object, "session", to parent memory objects."""
        self.machine = Machine("Toaster", verifier=self.verifier)
        with self.machine:
            _status, self.session = WdfObjectCreate(None)
        self.allocations: list = []
        self.figure = None
        self.history = [(_("boot"), self.machine.snapshot())]
        _say(self.message, _("New machine: driver Toaster loaded, one WDFOBJECT 'session'."))
        self.redraw()

    def _step(self, label: str, action) -> None:
        state = self.history[-1][1].state  # (the snapshot after the last step)
        if state is not MachineState.RUNNING:
            _say(self.message, _(STOPPED_MESSAGES[state]))
            return
        try:
            with self.machine:
                result = action()
            _say(self.message, result or label)
        except BugCheck as bugcheck:
            _say(self.message, f"BUG CHECK {bugcheck.summary()}: {bugcheck.meaning}")
        self.history.append((label, self.machine.snapshot()))
        self.redraw()

    def allocate(self) -> None:
        def action():
            p = ExAllocatePoolWithTag(NonPagedPoolNx, self.size.value, self.tag.value)
            self.allocations.append((p, self.tag.value))
            return f"ExAllocatePoolWithTag -> {p!r}"

        label = _("alloc {size} '{tag}'").format(size=self.size.value, tag=self.tag.value[::-1])
        self._step(label, action)

    def free_last(self) -> None:
        if not self.allocations:
            _say(self.message, _("Nothing allocated to free."))
            return
        p, tag = self.allocations.pop()
        self._step(_("free '{tag}'").format(tag=tag[::-1]), lambda: ExFreePoolWithTag(p, tag))

    def create_child(self) -> None:
        def action():
            attributes = WDF_OBJECT_ATTRIBUTES()
            WDF_OBJECT_ATTRIBUTES_INIT(attributes)
            attributes.ParentObject = self.session
            status, memory, _buffer = WdfMemoryCreate(
                attributes, NonPagedPoolNx, "meMS", self.size.value
            )
            return f"WdfMemoryCreate -> {status!r}, {memory!r}"

        self._step("WdfMemoryCreate", action)

    def delete_parent(self) -> None:
        self._step(_("delete session"), lambda: WdfObjectDelete(self.session))

    def unload(self) -> None:
        self._step(_("unload"), lambda: self.machine.unload() or _("Driver unloaded cleanly."))

    def redraw(self) -> None:
        self.figure = plots.pool_by_tag(self.history, ["Tag1", "Tag2", "SMem"], self.ax, last=8)
        show_figure(
            self.out, self.figure, views.pool_usage(self.machine, tags=["Tag1", "Tag2", "SMem"])
        )


STOPPED_MESSAGES = {
    MachineState.CRASHED: N_("The machine is crashed: press 'New machine'."),
    MachineState.UNLOADED: N_("The machine is unloaded: press 'New machine'."),
    MachineState.STOPPED: N_("The machine is stopped: press 'New machine'."),
}
"""What the pool lab says to a click on a machine that no longer runs DDIs."""


def carve(sizes: list[int], alignment: int) -> tuple[int, list[tuple[str, int, int]]]:
    """Offsets for buffers laid one after another, each starting on *alignment*.

    Returns the total allocation size and (name, offset, size) for each buffer: what a driver
    computes with WDF_ALIGN_SIZE_UP before one ExAllocatePoolWithTag for all of them.
    """
    pieces, offset = [], 0
    for i, size in enumerate(sizes):
        offset = WDF_ALIGN_SIZE_UP(offset, alignment)
        pieces.append((f"buf{i}", offset, size))
        offset += size
    return WDF_ALIGN_SIZE_UP(offset, alignment), pieces


ALIGN_BASES = {
    N_("as the pool gave it"): "pool",
    N_("over-allocate by AlignTo − 1, align the base up"): "align up",
    N_("allocate a page or more"): "page",
}
"""The alignment lab's recipes for the block's base: label (translated when shown) -> value."""


class AlignmentLab:
    """Lesson 05: choose three buffer sizes and an alignment; carve them from a real pool block.

    Each change allocates one block on the lab's own machine, as a driver would, and shows the
    addresses the pool gave: below a page the pool promises only 16-byte alignment (x64
    MEMORY_ALLOCATION_ALIGNMENT), so with AlignTo 32 or 64 offsets rounded up from an unaligned
    base give unaligned buffers.  *base* picks the fix: over-allocate by AlignTo − 1 bytes and
    round the block's address up, or ask for a page or more, which starts on a page boundary.
    """

    def __init__(self) -> None:
        self.sizes = [
            W.IntSlider(
                value=v,
                min=1,
                max=200,
                description=_("buf{number} bytes").format(number=i),
                **_wide(),
            )
            for i, v in enumerate((20, 50, 7))
        ]
        self.alignment = W.Dropdown(options=[8, 16, 32, 64], value=16, description="AlignTo")
        self.base = W.Dropdown(
            options=[(_(label), value) for label, value in ALIGN_BASES.items()],
            value="pool",
            description=_("base"),
            layout=W.Layout(width="max-content"),  # the longest recipe, whole
        )
        self.summary = _message()
        self.out = W.Output()
        self.ax = _axes((9.6, 2.8), bottom=0.2, left=0.02)
        self.machine = Machine("AlignmentLab")
        redraw_on_change([*self.sizes, self.alignment, self.base], self.update)
        self.widget = W.VBox([*self.sizes, self.alignment, self.base, self.summary, self.out])
        self.widget.add_class("wdfkit-alignment-lab")
        self.update()

    def update(self) -> None:
        alignment = self.alignment.value
        self.total, self.pieces = carve([s.value for s in self.sizes], alignment)
        size = self.total
        if self.base.value == "align up":
            size += alignment - 1
        elif self.base.value == "page":
            size = max(size, PAGE_SIZE)
        with self.machine:
            block = ExAllocatePoolWithTag(NonPagedPoolNx, size, "nlAS")
            self.block = block.address
            ExFreePoolWithTag(block, "nlAS")
        self.start = self.block
        if self.base.value == "align up":
            self.start = WDF_ALIGN_SIZE_UP(self.block, alignment)
        offsets = [offset for _name, offset, _size in self.pieces]
        self.addresses = [self.start + offset for offset in offsets]
        self.misaligned = [
            name
            for (name, _offset, _size), a in zip(self.pieces, self.addresses, strict=True)
            if a % alignment
        ]
        used = sum(size for _name, _offset, size in self.pieces)
        if self.misaligned:
            verdict = _("MISALIGNED: {names}").format(names=", ".join(self.misaligned))
        else:
            verdict = _("all aligned")
        _say(
            self.summary,
            _(
                "pool gave 0x{block:X} ({size} bytes), carving from 0x{start:X}; "
                "offsets {offsets}, padding {padding} bytes; {verdict}"
            ).format(
                block=self.block,
                size=size,
                start=self.start,
                offsets=offsets,
                padding=self.total - used,
                verdict=verdict,
            ),
        )
        self.figure = plots.buffer_layout(
            self.total, self.pieces, alignment, self.ax, base=self.start
        )
        show_figure(self.out, self.figure)


BUFFER_SIZES = (16, 32, 64, 128, 256, 512, 1024, 2048, 4000, 4095, 4096, 4097, 6000, 8192)
"""The memory lab's BufferSize choices."""


class MemoryCreateLab:
    """Lesson 00: one WdfMemoryCreate on a fresh machine; which blocks does KMDF allocate?"""

    def __init__(self) -> None:
        # The sizes that tell the story, evenly spaced on a wide slider: KMDF embeds a buffer
        # below a page (fxmemoryobject.cpp, FxMemoryObject::_Create) and gives a page or more
        # its own block; 4096 and its neighbours are one step apart.
        self.size = W.SelectionSlider(
            options=BUFFER_SIZES,
            value=64,
            description="BufferSize",
            layout=W.Layout(width="560px"),
        )
        self.pool = W.Dropdown(
            options=[("NonPagedPoolNx", NonPagedPoolNx), ("PagedPool", PagedPool)],
            description="PoolType",
        )
        self.verifier = W.Checkbox(value=True, description=_("KMDF Verifier on"))
        self.summary = _message()
        self.out = W.Output()
        self.ax = _axes((9.6, 2.6), bottom=0.2, right=0.88, left=0.11)  # room for "nonpaged pool"
        redraw_on_change((self.size, self.pool, self.verifier), self.update)
        self.widget = W.VBox([self.size, self.pool, self.verifier, self.summary, self.out])
        self.widget.add_class("wdfkit-memory-lab")
        self.update()

    def update(self) -> None:
        machine = Machine("Toaster", kmdf_verifier=self.verifier.value)  # its pool tracking
        with machine:
            _status, memory, buffer = WdfMemoryCreate(
                None, self.pool.value, "gaTS", self.size.value
            )
        self.snapshot = machine.snapshot()
        described = next(o for o in self.snapshot.objects if o.handle == memory.value)
        self.kind = described.detail.kind.value
        blocks = [b for b in self.snapshot.blocks if b.tag in ("STag", "Toas")][1:]
        _say(
            self.summary,
            _(
                "KMDF chose '{kind}': {count} pool block(s) for this memory object; "
                "buffer at {buffer}"
            ).format(kind=self.kind, count=len(blocks), buffer=repr(buffer)),
        )
        title = N_("Pool after one WdfMemoryCreate")  # (pool_map translates it)
        self.figure = plots.pool_map(self.snapshot, title, self.ax)
        show_figure(self.out, self.figure)


class CopyLab:
    """Lesson 01: copy into or out of a 16-byte memory object at an offset; see what is refused."""

    SIZE = 16
    INITIAL = b"abcdefghijklmnop"  # what the memory object's buffer holds before each copy
    SOURCE = bytes(range(ord("A"), ord("A") + 32))  # the driver's local array for CopyFrom

    def __init__(self) -> None:
        self.ddi = W.Dropdown(
            options=["WdfMemoryCopyFromBuffer", "WdfMemoryCopyToBuffer"], description="DDI"
        )
        self.offset = W.IntSlider(value=4, min=0, max=24, description=_("offset"), **_wide())
        self.count = W.IntSlider(value=8, min=0, max=24, description=_("bytes"), **_wide())
        self.message = _message()
        self.out = W.Output()
        self.ax = _axes((9.6, 2.4), bottom=0.25, top=0.85)
        redraw_on_change((self.ddi, self.offset, self.count), self.update)
        self.widget = W.VBox([self.ddi, self.offset, self.count, self.message, self.out])
        self.widget.add_class("wdfkit-copy-lab")
        self.update()

    @classmethod
    def copy(cls, ddi: str, offset: int, count: int):
        """Run *ddi* on a fresh 16-byte memory object: (status, buffer after, local array)."""
        with Machine("Toaster"):
            _status, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, "ypoC", cls.SIZE)
            RtlCopyMemory(buffer, cls.INITIAL, cls.SIZE)
            local = bytearray(b"." * 24)
            if ddi == "WdfMemoryCopyFromBuffer":
                status = WdfMemoryCopyFromBuffer(memory, offset, cls.SOURCE, count)
            else:
                status = WdfMemoryCopyToBuffer(memory, offset, local, count)
            return status, buffer.read(cls.SIZE), bytes(local)

    def update(self) -> None:
        ddi, offset, count = self.ddi.value, self.offset.value, self.count.value
        self.status, self.contents, local = self.copy(ddi, offset, count)
        done = _("copied") if self.status == 0 else _("nothing copied")
        if ddi == "WdfMemoryCopyToBuffer":
            done = _("{done}; the local array holds {local}").format(
                done=done, local=repr(local.decode())
            )
        _say(
            self.message,
            _("Outcome: {ddi}(offset {offset}, {count} bytes) -> {status}: {done}").format(
                ddi=ddi, offset=offset, count=count, status=repr(self.status), done=done
            ),
        )
        self.figure = plots.copy_map(
            self.SIZE, offset, count, self.contents, repr(self.status), ddi, self.ax
        )
        show_figure(self.out, self.figure)


class MdlLab:
    """Lesson 03: place a buffer in its pages; see its MDL and the DMA transfers it becomes."""

    def __init__(self) -> None:
        wide = {"description_width": "initial"}
        hexadecimal = {"readout_format": "#x", "style": wide, "step": 0x10}
        self.offset = W.IntSlider(0x2A0, 0, 0xFF0, description="ByteOffset", **hexadecimal)
        self.length = W.IntSlider(0x2800, 0x10, 0x4000, description="ByteCount", **hexadecimal)
        self.profile = W.Dropdown(
            options=_options([N_("scatter/gather"), N_("packet")]),
            description=_("DMA profile"),
            style=wide,
        )
        self.maximum = W.Dropdown(
            options=[("0x1000", 0x1000), ("0x2000", 0x2000), ("0x4000", 0x4000)],
            value=0x2000,
            description="MaximumLength",
            style=wide,
        )
        self.message = _message()
        self.out = W.Output()
        self.ax = _axes((9.6, 4.2), bottom=0.14, top=0.9, right=0.99)
        redraw_on_change((self.offset, self.length, self.profile, self.maximum), self.update)
        controls = W.HBox(
            [W.VBox([self.offset, self.length]), W.VBox([self.profile, self.maximum])]
        )
        self.widget = W.VBox([controls, self.message, self.out])
        self.widget.add_class("wdfkit-mdl-lab")
        self.update()

    def update(self) -> None:
        self.run = run = pool_buffer_dma(
            self.offset.value, self.length.value, self.profile.value, self.maximum.value
        )
        mdl = run.mdl
        elements = sum(sg.NumberOfElements for sg in run.transfers)
        _say(
            self.message,
            _(
                "Outcome: ByteOffset 0x{byte_offset:X}, ByteCount 0x{byte_count:X} -> "
                "{pages} page(s), {pages} PFN(s); DMA: {transfers} transfer(s), {elements} "
                "scatter/gather element(s)"
            ).format(
                byte_offset=mdl.byte_offset,
                byte_count=mdl.byte_count,
                pages=len(mdl.pfns),
                transfers=len(run.transfers),
                elements=elements,
            ),
        )
        self.figure = plots.mdl_pages(mdl, run.transfers, ax=self.ax)
        show_figure(self.out, self.figure)


class LookasideLab:
    """Lesson 02: design a workload, or press the DDIs yourself; watch Depth follow."""

    def __init__(self) -> None:
        defaults = workload.EXAMPLE_A
        self.rates = [
            W.IntSlider(
                value=p.rate,
                min=0,
                max=600,
                step=10,
                description=_("phase {number} /s").format(number=i + 1),
                **_wide(),
            )
            for i, p in enumerate(defaults)
        ]
        self.durations = [
            W.IntSlider(value=p.seconds, min=1, max=30, description=_("seconds"), **_wide())
            for p in defaults
        ]
        self.pattern = W.Dropdown(
            options=_options([N_("burst"), N_("steady")]), description=_("pattern"), **_wide()
        )
        redraw_on_change([*self.rates, *self.durations, self.pattern], self.simulate)
        self.buttons = {
            "WdfMemoryCreateFromLookaside": self.take,
            _("WdfObjectDelete (last)"): self.give_back,
            _("advance {seconds} s").format(seconds=1): lambda: self.advance(1),
            _("advance {seconds} s").format(seconds=3): lambda: self.advance(3),
            _("New machine"): self.reset,
        }
        controls = _buttons(self.buttons)
        self.summary = _message()  # what the last change or click did
        self.counters = _message()  # the list's counters after it
        self.out = W.Output()
        self.axes = _axes((9.6, 3.8), bottom=0.14, top=0.92, rows=2)
        # Axis labels at fixed places: matplotlib need not re-measure the tick labels (of both
        # axes, since they share x) to place them on every redraw.
        for ax in self.axes:
            ax.yaxis.set_label_coords(-0.06, 0.5)
        self.axes[1].xaxis.set_label_coords(0.5, -0.26)
        rows = [
            W.HBox([rate, seconds])
            for rate, seconds in zip(self.rates, self.durations, strict=True)
        ]
        wrap = W.Layout(flex_flow="row wrap", align_items="center")
        self.widget = W.VBox(
            [
                W.HBox(
                    [
                        W.HTML(
                            _("<b>Workload designer</b> (re-runs the whole workload):") + "&nbsp;"
                        ),
                        self.pattern,
                    ],
                    layout=wrap,
                ),
                *rows,
                W.HBox(
                    [W.HTML(_("<b>Or press the DDIs</b>:") + "&nbsp;"), *controls],
                    layout=wrap,
                ),
                self.summary,
                self.counters,
                self.out,
            ]
        )
        self.widget.add_class("wdfkit-lookaside-lab")
        self.reset(redraw=False)
        self.simulate()

    # -- the workload designer ------------------------------------------------------------
    def phases(self):
        return [
            workload.Phase(rate.value, seconds.value, self.pattern.value)
            for rate, seconds in zip(self.rates, self.durations, strict=True)
        ]

    def simulate(self) -> None:
        """Run the designed workload on a fresh machine, through the list and through pool."""
        run = workload.run(self.phases(), via="kernel")
        self.run = run
        pool_only = sum(p.rate * p.seconds for p in self.phases())
        _say(
            self.summary,
            _(
                "Your workload: pool allocations {allocations} (plain WdfMemoryCreate: "
                "{pool_only}), pool frees {frees}"
            ).format(allocations=run.pool_allocations, pool_only=pool_only, frees=run.pool_frees),
        )
        self._draw(run.machine, N_("Your workload"))

    # -- the DDI buttons ------------------------------------------------------------------
    def reset(self, redraw: bool = True) -> None:
        self.machine = Machine("Toaster", verifier=False)
        with self.machine:
            _status, self.lookaside = WdfLookasideListCreate(
                None, workload.BUFFER_SIZE, NonPagedPoolNx, None, workload.TAG
            )
        self.memories: list = []
        if redraw:
            self._manual(_("New machine with one WDFLOOKASIDE (256-byte buffers, tag 'Look')."))

    def take(self) -> None:
        with self.machine:
            status, memory = WdfMemoryCreateFromLookaside(self.lookaside)
        self.memories.append(memory)
        self._manual(f"WdfMemoryCreateFromLookaside -> {status!r}, {memory!r}")

    def give_back(self) -> None:
        if not self.memories:
            self._manual(_("No memory object to delete."))
            return
        with self.machine:
            WdfObjectDelete(self.memories.pop())
        self._manual(_("WdfObjectDelete: the buffer went back to the list (or to pool at Depth)."))

    def advance(self, seconds: int) -> None:
        self.machine.advance(seconds)
        self._manual(_("advanced {seconds} s").format(seconds=seconds))

    def _manual(self, what: str) -> None:
        _say(self.summary, what)
        self._draw(self.machine, N_("Your DDI calls"))

    def _draw(self, machine, title: str) -> None:
        """Show the list's counters now (second line) and its seconds so far (the plot titled
        *title*, in English: lookaside_timeline translates it)."""
        balance = machine.snapshot().balance
        lst = balance.lists[0]
        _say(
            self.counters,
            _(
                "t={seconds} s: Depth {depth}, held {held}, in use {in_use}, allocations "
                "{allocations}, misses {misses}, frees {frees}, free misses {free_misses}"
            ).format(
                seconds=balance.seconds,
                depth=lst.depth,
                held=lst.held,
                in_use=lst.in_use,
                allocations=lst.total_allocates,
                misses=lst.allocate_misses,
                frees=lst.total_frees,
                free_misses=lst.free_misses,
            ),
        )
        rows = balance.seconds_of(lst.name)
        self.figure = plots.lookaside_timeline(rows, title, axes=self.axes)
        show_figure(self.out, self.figure)


class ScenarioLab:
    """Lessons 06-11: run a scenario's driver, yours or the package's; see its timeline and outcome.

    *scenario* is one of :mod:`wdfkit.course.scenarios`' functions; *choices* maps each keyword
    to its options (a tuple of values: a dropdown; a bool: a checkbox).  *routines* is where
    your driver's routines are, looked up by their KMDF names (:func:`scenarios.routine_names`):
    a notebook passes ``globals()``, the way ``timeit`` takes one, so the lab runs the routines
    of the last driver cell you ran.  With some found, a "driver" choice is between your
    driver and the package's.  Your driver runs with the setting choices only: the driver
    moves (:data:`scenarios.DRIVER_MOVES`) are lines of the package's copy, so their controls
    are hidden while yours runs (a greyed, ticked box would contradict the code you edited),
    and you make such a change by editing your cell.  A
    Python error in your routine stops the run's machine and shows as the outcome.

    *title* and the words of *choices* (each keyword, with its underscores as spaces, and each
    option that is a string) are English, shown translated (:func:`_choice_control`); an
    option given as a (label, value) pair shows its label as it is.
    """

    YOURS, PACKAGES = N_("your driver"), N_("the package's")

    def __init__(self, scenario, choices: dict, title: str, routines=None) -> None:
        self.scenario = scenario
        self.title = title
        found = routines or {}
        self.routines = {
            name: found[name]
            for name in scenarios.routine_names(scenario)
            if callable(found.get(name))
        }
        self.moves = set(scenarios.DRIVER_MOVES.get(scenario.__name__, ()))  # none: all settings
        self.asked_for_routines = routines is not None
        self.controls = {name: _choice_control(name, options) for name, options in choices.items()}
        self.driver = W.Dropdown(
            options=_options([self.YOURS, self.PACKAGES] if self.routines else [self.PACKAGES]),
            description=_("driver"),
            layout=W.Layout(width="max-content"),
            **_wide(),
        )
        redraw_on_change([self.driver, *self.controls.values()], self.update)
        self.out = W.Output()
        self.message = _message()
        self.run = None
        self.update()
        controls = list(self.controls.values())
        if self.routines:  # one row: the driver, then its settings (the lab's height counts)
            controls.insert(0, self.driver)
        self.widget = W.VBox([W.HBox(controls), self.message, self.out])
        self.widget.add_class("wdfkit-scenario-lab")

    def update(self) -> None:
        """Run the scenario with the chosen driver and choices; redraw the timeline and outcome."""
        yours = self.driver.value == self.YOURS
        keywords = {}
        for name, control in self.controls.items():
            hidden = yours and name in self.moves  # a line of the package's copy, not of yours
            control.layout.display = "none" if hidden else None
            if not hidden:
                keywords[name] = control.value
        if yours:
            keywords.update(self.routines)
        self.run = self.scenario(**keywords)
        timeline = self.run.machine.snapshot().timeline
        with plots.fonts():
            figure = new_figure()
            plots.lifetime_timeline(timeline, self.title, ax=figure.subplots())
        plots.fit_timeline(figure, timeline, self.title)
        self.figure = figure
        who = self._who_ran(yours)
        outcome = _("Outcome: {outcome}").format(outcome=self.run.outcome)
        _say(self.message, f"{who} {outcome}" if who else outcome)
        show_figure(self.out, figure)

    def _who_ran(self, yours: bool) -> str:
        """The message's first sentence: whose driver ran (nothing when the lab never asked
        for a driver of yours: it is about the package's)."""
        if yours:
            *others, last = self.routines
            if others:
                return _("Your {names} and {last} ran.").format(
                    names=_(", ").join(others), last=last
                )
            return _("Your {name} ran.").format(name=last)
        if self.routines:
            return _("The package's driver ran.")
        if self.asked_for_routines:
            return _("The package's driver ran (run your driver's cells above, then this cell).")
        return ""

    def _ipython_display_(self) -> None:
        display(self.widget)


def _choice_control(name: str, options) -> W.Widget:
    """The control for one of a lab's choices: a checkbox for a bool, else a dropdown of the
    options, labelled with the keyword's words, translated (``after_complete``: the message
    "after complete").  String options show translated; (label, value) pairs, as given."""
    label = _(name.replace("_", " "))
    if isinstance(options, bool):
        return W.Checkbox(value=options, description=label, indent=False)
    options = list(options)
    pairs = all(isinstance(option, tuple | list) and len(option) == 2 for option in options)
    return W.Dropdown(
        options=options if pairs else _options(options),
        description=label,
        style={"description_width": "initial"},  # the whole name: "after complete"
        layout=W.Layout(width="max-content"),
    )
