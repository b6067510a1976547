"""Figures for the lessons, drawn from snapshots (never from live objects).

Every function returns a matplotlib ``Figure`` with a title, labelled axes and units, made
through pyplot so that a notebook cell can end with ``plt.show()``.  Given ``ax=``, a function
redraws into that (cleared) axes instead, keeping its figure's layout: how the widget labs
redraw quickly.  matplotlib is imported only when a plot is drawn, so ``import wdfkit`` stays
fast.
"""

from ..kernel.pool import NONPAGED_BASE, PAGE_SHIFT, PAGE_SIZE, PAGED_BASE
from ..sim.snapshot import (
    BlockHolds,
    BlockSnapshot,
    LifetimeKind,
    MachineSnapshot,
    ObjectState,
    TimelineSnapshot,
)
from ..sim.timeline import short

TAG_COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3"]


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _axes(ax, figsize: tuple[float, float]):
    """(figure, axes, new?): *ax* emptied for a redraw, or a new pyplot figure.

    Emptying removes the data artists but keeps the axes and its ticks, which ``ax.clear()``
    would rebuild at a cost a widget feels.
    """
    if ax is not None:
        for artist in [*ax.patches, *ax.texts, *ax.lines, *ax.collections]:
            artist.remove()
        ax.containers.clear()
        if ax.legend_ is not None:
            ax.legend_.remove()
        return ax.figure, ax, False
    fig, ax = _plt().subplots(figsize=figsize)
    return fig, ax, True


def _finish(fig, ax, new: bool):
    """Lay out a new figure; rescale a reused one to its new data."""
    if new:
        fig.tight_layout()
    else:
        ax.relim()
        ax.autoscale_view()
    return fig


def _colour(tags: list[str], tag: str) -> str:
    return TAG_COLOURS[sorted(tags).index(tag) % len(TAG_COLOURS)]


def _draw_tree(ax, snap: MachineSnapshot, title: str, height: int) -> None:
    """The tree as indented boxes, top-aligned in a panel *height* rows tall."""
    rows = [o for o in snap.objects]
    for i, obj in enumerate(rows):
        y = -i
        x = obj.depth
        deleted = obj.state is not ObjectState.Created
        ax.text(
            x,
            y,
            f"{obj.type_name}\n0x{obj.handle:016x}\n"
            + ("embedded" if obj.refcnt is None else f"refs {obj.refcnt}"),
            ha="left",
            va="center",
            fontsize=8,
            family="monospace",
            bbox={
                "boxstyle": "round",
                "facecolor": "#f2d7d5" if deleted else "#d6eaf8",
                "edgecolor": "#922b21" if deleted else "#1f618d",
            },
        )
        if obj.parent is not None:
            parent_row = next(j for j, o in enumerate(rows) if o.handle == obj.parent)
            ax.plot(
                [obj.depth - 0.85, obj.depth - 0.85, x - 0.05],
                [-parent_row - 0.3, y, y],
                color="#7f8c8d",
                linewidth=1,
            )
    ax.set_xlim(-0.2, max([o.depth for o in rows] + [0]) + 1.6)
    ax.set_ylim(-max(height, 1) + 0.3, 0.7)
    ax.set_title(title)
    ax.set_xlabel("depth below WDFDRIVER (parent → child)")
    ax.set_yticks([])
    ax.set_xticks(range(max([o.depth for o in rows] + [0]) + 1))


def tree_before_after(before: MachineSnapshot, after: MachineSnapshot, action: str):
    """The object tree before and after *action* (e.g. deleting a parent), side by side."""
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    height = max(len(before.objects), len(after.objects))
    _draw_tree(left, before, "Before", height)
    _draw_tree(right, after, f"After {action}", height)
    fig.suptitle("Framework objects: the parent/child tree (red = deleted but still referenced)")
    fig.tight_layout()
    return fig


def pool_by_tag(
    history: list[tuple[str, MachineSnapshot]],
    tags: list[str] | None = None,
    ax=None,
    last: int | None = None,
):
    """Bytes of pool in use per tag after each step of a sequence of calls (the *last* ones)."""
    first = max(len(history) - last, 0) if last else 0
    steps = range(first, len(history))
    all_tags = sorted({r.tag for _, snap in history for r in snap.tags})
    shown = [t for t in all_tags if tags is None or t in tags]
    palette = all_tags if tags is None else tags  # a chosen tag keeps its colour as others come
    fig, ax, new = _axes(ax, (9, 4))
    for tag in shown:
        values = [history[i][1].bytes_by_tag().get(tag, 0) for i in steps]
        ax.step(
            steps,
            values,
            where="post",
            marker="o",
            label=f"'{tag}'",
            color=_colour(palette, tag),
        )
    ax.set_xticks(steps)
    ax.set_xticklabels(
        [f"{i}: {history[i][0]}" for i in steps], rotation=30, ha="right", fontsize=8
    )
    ax.set_xlabel("step (DDI call)")
    ax.set_ylabel("pool in use (bytes)")
    shown_steps = f" (the last {len(steps)} of {len(history)})" if first else ""
    ax.set_title(f"Pool in use by tag, after each call{shown_steps}")
    ax.grid(True, alpha=0.3)
    if shown:
        # Outside the axes, on the right: a tag's line may run anywhere inside.
        ax.legend(title="pool tag", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _finish(fig, ax, new)


def _padding(ax, start: int, end: int) -> None:
    """Hatched bar for unused bytes between *start* and *end*, if any."""
    if end > start:
        ax.barh(
            0, end - start, left=start, color="white", edgecolor="#c0392b", hatch="///", height=0.5
        )


def buffer_layout(
    total: int, pieces: list[tuple[str, int, int]], alignment: int, ax=None, base: int = 0
):
    """One allocation of *total* bytes carved into (name, offset, size) pieces, with padding.

    *base* is the address the carving starts at (the block the pool gave, or that address
    aligned up): the dotted lines mark *addresses* that are multiples of *alignment*, so a piece
    whose offset is aligned but whose address is not shows as misaligned (red edge).
    """
    fig, ax, new = _axes(ax, (10, 2.8))
    cursor, misaligned = 0, 0
    for i, (name, offset, size) in enumerate(pieces):
        _padding(ax, cursor, offset)
        off_line = (base + offset) % alignment
        misaligned += bool(off_line)
        ax.barh(
            0,
            size,
            left=offset,
            color=TAG_COLOURS[i % len(TAG_COLOURS)],
            edgecolor="#c0392b" if off_line else "black",
            linewidth=2.5 if off_line else 1,
            height=0.5,
        )
        where = f"{size} B @ +{offset}" + (f"\nmisaligned by {off_line}" if off_line else "")
        ax.text(offset + size / 2, 0, f"{name}\n{where}", ha="center", va="center", fontsize=8)
        cursor = offset + size
    _padding(ax, cursor, total)
    for boundary in range((-base) % alignment, total + 1, alignment):
        ax.axvline(boundary, color="#7f8c8d", linewidth=0.6, linestyle=":")
    used = sum(size for _, _, size in pieces)
    ax.set_xlim(0, max(total, 1))
    ax.set_yticks([])
    start = f"address 0x{base:X}" if base else "the allocation's start"
    ax.set_xlabel(
        f"offset from {start}; dotted lines at addresses that are multiples of {alignment}"
    )
    verdict = f"{misaligned} misaligned" if misaligned else "all aligned"
    ax.set_title(
        f"{len(pieces)} buffers carved from one {total}-byte allocation for AlignTo {alignment}: "
        f"{total - used} bytes of padding (hatched), {verdict}"
    )
    return _finish(fig, ax, new)


def pool_map(snap: MachineSnapshot, title: str = "Pool blocks", ax=None):
    """Live pool blocks at their offset in their pool (a row for nonpaged pool, another for
    paged pool when it has any), coloured by tag and named by what they hold."""
    blocks = list(snap.blocks)
    tags = sorted({b.tag for b in blocks})
    pools = [("nonpaged pool", NONPAGED_BASE, False)]
    if any(b.paged for b in blocks):
        pools.append(("paged pool", PAGED_BASE, True))
    fig, ax, new = _axes(ax, (10, 2.6))
    ends = [b.address + b.size - (PAGED_BASE if b.paged else NONPAGED_BASE) for b in blocks]
    span = max(ends, default=PAGE_SIZE)
    inches_per_byte = 8.0 / (span * 1.05)  # the plot area is about 8 inches wide
    height = 0.6
    for row, (_, base, paged) in enumerate(pools):
        for b in blocks:
            if b.paged != paged:
                continue
            left, colour = b.address - base, _colour(tags, b.tag)
            ax.barh(row, b.size, left=left, color=colour, edgecolor="black", label=f"'{b.tag}'")
            _name_block(ax, b, left + b.size / 2, row, inches_per_byte)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    if unique:
        ax.legend(
            unique.values(),
            unique.keys(),
            title="tag",
            fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
    ax.set_yticks(range(len(pools)), [name for name, _, _ in pools], fontsize=8)
    ax.set_ylim(len(pools) - 1 + height, -height)
    ax.set_xlim(0, span * 1.05)
    starts = ", ".join(f"{name} 0x{base:016X}" for name, base, _ in pools)
    ax.set_xlabel(f"offset in the pool (bytes from its start: {starts})")
    ax.set_title(title)
    return _finish(fig, ax, new)


def _holds_text(block: BlockSnapshot) -> str:
    """What *block* holds, in words for the pool map ("" when no framework object says)."""
    match block.holds:
        case BlockHolds.DRIVER_GLOBALS:
            return "driver\nglobals"
        case BlockHolds.OBJECT:
            return block.object_type
        case BlockHolds.OBJECT_AND_BUFFER:
            return f"{block.object_type}\n+ buffer"
        case BlockHolds.BUFFER:
            return "buffer"
    return ""


def _name_block(ax, block, x: float, y: float, inches_per_byte: float) -> None:
    """Write what *block* holds across it, or up it when narrow; nothing when it cannot fit."""
    text = _holds_text(block)
    if not text:
        return
    lines = text.splitlines()
    text_inches = max(len(line) for line in lines) * 0.7 * 7 / 72  # 7 pt bold characters
    width = block.size * inches_per_byte
    if text_inches + 0.15 <= width:
        rotation = 0
    elif width >= 0.12 * len(lines):
        rotation = 90
    else:
        return
    ax.text(
        x,
        y,
        text,
        rotation=rotation,
        ha="center",
        va="center",
        fontsize=7,
        color="white",
        fontweight="bold",
    )


def lookaside_timeline(history, title: str = "A lookaside list, second by second", axes=None):
    """One list's seconds: Depth, the pool blocks it holds idle and the most the driver had in
    use at once; below, allocations, misses (new pool blocks) and free misses (blocks freed).

    *history* is the list's :class:`~wdfkit.sim.snapshot.LookasideSecond` records, e.g. a
    balance snapshot's ``seconds_of(name)``.  Given *axes* (the two of an earlier call's figure),
    redraws into them.
    """
    rows = list(history)
    seconds = [r.second for r in rows]
    if axes is None:
        fig, axes = _plt().subplots(2, 1, figsize=(10, 6), sharex=True)
        new = True
    else:
        for ax in axes:
            _axes(ax, (0, 0))
        fig, new = axes[0].figure, False
    top, bottom = axes
    # Second t's values hold from t to t+1: a step line (filled down to 0 for counts).  Lines and
    # fills rather than step patches: matplotlib finds their data limits far faster on a redraw.
    edges = [*seconds, seconds[-1] + 1] if rows else [0]

    def series(ax, values, label, colour, fill=True):
        values = [*values, values[-1]] if values else [0]
        if fill:
            ax.fill_between(edges, values, step="post", label=label, color=colour, linewidth=0)
        else:
            ax.step(edges, values, where="post", label=label, color=colour)

    series(top, [r.held for r in rows], "blocks held by the list (idle, still pool)", "#a1c9f4")
    series(top, [r.depth for r in rows], "Depth", "#c44e52", fill=False)
    in_use = [r.peak_in_use for r in rows]
    series(top, in_use, "blocks in use by the driver (most at once)", "#2d3436", fill=False)
    scans = [r.second for r in rows if r.scanned]
    if scans:
        top.vlines(
            scans,
            0,
            1,
            transform=top.get_xaxis_transform(),
            colors="#7f8c8d",
            linewidth=0.6,
            linestyles=":",
            label="the balance-set manager re-tunes Depth",
        )
    top.set_ylabel("blocks")
    top.set_title(title)
    top.legend(fontsize=8, loc="upper left", ncol=2)
    series(bottom, [r.allocates for r in rows], "allocations", "#55a868")
    series(bottom, [r.misses for r in rows], "misses: allocated from pool", "#dd8452")
    series(bottom, [-r.free_misses for r in rows], "free misses: freed to pool (−)", "#8172b3")
    bottom.set_ylabel("calls per second")
    bottom.set_xlabel("virtual time (s)")
    bottom.legend(fontsize=8, loc="lower right", ncol=3)
    for ax in axes:
        ax.grid(True, alpha=0.3)
        if not new:
            ax.relim()
        ax.autoscale_view()
    if new:
        fig.tight_layout()
    # Room for each legend above (below) the data, so that it hides none of it.
    for ax, above, below in ((top, 0.3, 0), (bottom, 0, 0.25)):
        low, high = ax.get_ylim()
        ax.set_ylim(low - below * (high - low), high + above * (high - low), auto=None)
    if not rows:  # before the first tick there is nothing to draw: say so, on sensible axes
        top.text(
            0.5,
            0.5,
            "no second recorded yet: the counters are sampled at each tick (advance 1 s)",
            transform=top.transAxes,
            ha="center",
            fontsize=9,
            style="italic",
        )
        for ax in axes:
            ax.set_xlim(0, 1, auto=None)  # (auto=None: the next redraw rescales)
            ax.set_ylim(0, 1, auto=None)
    return fig


KIND_COLOURS = {
    LifetimeKind.REQUEST: "#4c72b0",
    LifetimeKind.MEMORY: "#55a868",
    LifetimeKind.BUFFER: "#dd8452",
    LifetimeKind.REFERENCE: "#8172b3",
}


_MARK_CHAR_IN = 0.6 * 6.5 / 72  # average width of a mark label's character (6.5 pt), inches
_LEVEL_IN = 0.13  # height of one level of mark labels, inches
_BAR_IN = 0.3  # height of a lifetime bar, inches


def _mark_name(text: str) -> str:
    return short(text).replace("WdfRequest", "…").replace("WdfIoTarget", "…")


def _timeline_layout(timeline):
    """Where a lifetime timeline puts things, with the y axis in inches from the top.

    Mark labels are horizontal, stacked above their bar in as few levels as keep them apart;
    a repeated event on a line (a reused request's next send) gets a tick but no second label.
    Returns ``(line centres, labels as (step, y, text), height of all lines)``.
    """
    last = _timeline_last_step(timeline)
    widest = max((len(short(label)) for label in timeline.lines), default=10)
    axes_inches = 11 - 0.5 - 0.075 * widest  # the figure less the 8 pt line labels
    steps_per_inch = (last + 4.5) / axes_inches
    levels: list[list[float]] = [[] for _ in timeline.lines]  # per line: where each level ends
    placed = []  # (line, level, step, text)
    named: set[tuple[int, str]] = set()
    for row in timeline.rows:
        ends = levels[row.line]
        for step, text in row.marks:
            if (row.line, text) in named:
                continue
            named.add((row.line, text))
            name = _mark_name(text)
            level = next((k for k, end in enumerate(ends) if step >= end), len(ends))
            if level == len(ends):
                ends.append(0.0)
            ends[level] = step + (len(name) + 1) * _MARK_CHAR_IN * steps_per_inch
            placed.append((row.line, level, step, name))
    centres, y = [], 0.0
    for ends in levels:
        y += len(ends) * _LEVEL_IN + 0.06 + _BAR_IN / 2
        centres.append(y)
        y += _BAR_IN / 2 + 0.12
    labels = [
        (step, centres[line] - _BAR_IN / 2 - 0.02 - level * _LEVEL_IN, name)
        for line, level, step, name in placed
    ]
    return centres, labels, y


def _timeline_last_step(timeline) -> float:
    if timeline.crash_step is not None:
        return timeline.crash_step - 0.5
    return max(len(timeline.events) - 1, 1)


def timeline_height(timeline) -> float:
    """Inches a lifetime timeline needs: its lines plus title, axis and margins."""
    return _figure_inches(_timeline_layout(_recorded(timeline))[2])


def _recorded(timeline) -> TimelineSnapshot:
    """*timeline* itself when it is a snapshot, else a snapshot of it (a machine's timeline)."""
    return timeline if isinstance(timeline, TimelineSnapshot) else timeline.snapshot()


def _figure_inches(lines_height: float) -> float:
    return 1.5 + max(lines_height, 1.2)


def lifetime_timeline(timeline, title: str = "Who lives how long", ax=None):
    """One line per request, memory object, buffer and target reference, with a bar for each
    of its lifetimes (a reference taken again at each format has several).

    Ticks mark the DDI calls and events that touched a bar, each named once per line; a red
    line marks a bug check.  The x axis counts events in order (most happen at the same
    virtual instant).  *timeline* is a :class:`~wdfkit.sim.snapshot.TimelineSnapshot`, or a
    machine's ``timeline``, which is snapshotted first.
    """
    from matplotlib.ticker import MaxNLocator

    timeline = _recorded(timeline)
    last = _timeline_last_step(timeline)
    centres, labels, height = _timeline_layout(timeline)
    fig, ax, new = _axes(ax, (11, _figure_inches(height)))
    for row in timeline.rows:
        y = centres[row.line]
        end = row.end if row.end is not None else last + 0.5
        colour = KIND_COLOURS[row.kind]
        ax.barh(y, end - row.start, left=row.start, height=_BAR_IN, color=colour, alpha=0.35)
        ax.plot([row.start], [y], marker="o", color=colour, markersize=5)
        for step, _ in row.marks:
            ax.plot([step], [y], marker="|", color=colour, markersize=12)
        if row.end is not None:
            ax.plot([row.end], [y], marker="x", color=colour, markersize=7)
            ax.annotate(  # 5 points right of the x, however wide a step is
                short(row.end_text),
                (row.end, y),
                xytext=(5, 0),
                textcoords="offset points",
                fontsize=7,
                va="center",
            )
        elif timeline.crash_step is None:  # (at a crash, the red line's label says it once)
            ax.text(end, y, " still alive", fontsize=7, va="center", style="italic")
    for step, y, name in labels:
        ax.text(step, y, name, fontsize=6.5, va="bottom")
    if timeline.crash_step is not None:
        ax.axvline(timeline.crash_step, color="#c0392b", linewidth=2)
        ax.text(
            timeline.crash_step,
            -0.08,
            f"0x{timeline.crash_code:X} {timeline.crash_name}: "
            "bars reaching this line were alive  ",
            color="#c0392b",
            fontsize=8,
            ha="right",
        )
    ax.set_yticks(centres, [short(label) for label in timeline.lines], fontsize=8)
    ax.set_ylim(height + 0.05, -0.35)
    ax.set_xlim(-0.5, last + 4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step (events in the order they happened)")
    ax.set_title(
        f"{title}\nbars: alive (o created, | DDI call or event, x ended); blue request, "
        "green memory object, orange buffer, purple target's reference",
        fontsize=9,
    )
    ax.grid(True, axis="x", alpha=0.3)
    if new:
        fig.tight_layout()
    return fig


def copy_map(
    size: int, offset: int, count: int, contents: bytes, outcome: str, ddi: str = "copy", ax=None
):
    """A memory object's *size*-byte buffer, cell by cell, with the window a copy asked for.

    *contents* are the buffer's bytes after the copy (shown as characters); cells past the end
    are hatched.  The window [offset, offset + count) is outlined green when the copy was
    allowed and red when it was refused: a refused copy touches no byte at all.
    """
    from matplotlib.patches import Rectangle

    fig, ax, new = _axes(ax, (10, 2.4))
    end = max(size, offset + count)
    for i in range(end):
        inside = i < size
        ax.add_patch(
            Rectangle(
                (i, 0),
                1,
                1,
                facecolor="#dfe8f5" if inside else "white",
                edgecolor="#7f8c8d",
                hatch=None if inside else "///",
            )
        )
        if inside:
            ax.text(i + 0.5, 0.5, chr(contents[i]), ha="center", va="center", fontsize=9)
    allowed = outcome.startswith("STATUS_SUCCESS")
    colour = "#27ae60" if allowed else "#c0392b"
    if count:
        ax.add_patch(
            Rectangle((offset, -0.08), count, 1.16, fill=False, edgecolor=colour, linewidth=2.5)
        )
    ax.axvline(size, color="black", linewidth=1.5)
    ax.text(size, 1.25, " end of buffer", fontsize=8, va="bottom")
    ax.set_xlim(0, max(end, size + 3) + 0.5)  # room for the "end of buffer" label
    ax.set_ylim(-0.3, 1.6)
    ax.set_yticks([])
    ax.set_xticks(range(0, end + 1, 4 if end > 24 else 2))
    ax.set_xlabel("offset in the memory object's buffer (bytes); hatched: past its end")
    window = f"bytes {offset} to {offset + count - 1}" if count else "0 bytes"
    ax.set_title(f"{ddi} at offset {offset}, {window} (outlined): {outcome}", fontsize=10)
    return _finish(fig, ax, new)


TRANSFER_COLOURS = ["#2e86c1", "#e67e22", "#27ae60", "#8e44ad", "#c0392b", "#16a085"]


def _frame_positions(pfns) -> dict[int, float]:
    """x position of each frame on the physical row: ascending, adjacent frames touching."""
    positions, x, previous = {}, 0.0, None
    for pfn in sorted(set(pfns)):
        if previous is not None:
            x += 1.0 if pfn == previous + 1 else 1.6
        positions[pfn] = x
        previous = pfn
    return positions


def _draw_transfers(ax, transfers, frames: dict[int, float], y: float) -> None:
    """Each scatter/gather element as bars on the frames it covers, coloured by transfer."""
    from matplotlib.patches import Rectangle

    for t, sg_list in enumerate(transfers):
        colour = TRANSFER_COLOURS[t % len(TRANSFER_COLOURS)]
        for e, element in enumerate(sg_list.Elements):
            address, remaining = element.Address.QuadPart, element.Length
            while remaining > 0:  # one frame at a time
                offset = address & (PAGE_SIZE - 1)
                piece = min(remaining, PAGE_SIZE - offset)
                x = frames[address >> PAGE_SHIFT] + offset / PAGE_SIZE
                ax.add_patch(Rectangle((x, y), piece / PAGE_SIZE, 0.5, color=colour, alpha=0.75))
                address, remaining = address + piece, remaining - piece
            first = element.Address.QuadPart
            label_x = frames[first >> PAGE_SHIFT] + (first & (PAGE_SIZE - 1)) / PAGE_SIZE
            if element.Length >= PAGE_SIZE // 6:  # room for the label
                ax.text(
                    label_x + 0.04, y + 0.25, f"T{t + 1}.{e + 1}", fontsize=7,
                    va="center", color="white", weight="bold",
                )  # fmt: skip


def mdl_pages(snap, transfers=None, title: str | None = None, ax=None):
    """An MDL drawn over its pages: the buffer in its virtual pages (top), each page's frame
    in physical memory (bottom), StartVa, ByteOffset, ByteCount and the PFNs labelled.

    *transfers* (optional) are scatter/gather lists: each element is drawn on the frames it
    covers, coloured by transfer.
    """
    from matplotlib.patches import FancyArrowPatch, Rectangle

    pages = len(snap.pfns)
    frames = _frame_positions(snap.pfns)
    width = max(pages, max(frames.values(), default=0) + 1)
    fig, ax, new = _axes(ax, (11, 4.2))
    top, bottom = 2.2, 0.0
    for i in range(pages):  # the virtual pages, and the buffer's bytes in them
        ax.add_patch(Rectangle((i, top), 1, 0.8, facecolor="#f4f6f7", edgecolor="#566573"))
        ax.text(
            i + 0.5, top + 0.88, f"0x{snap.start_va + i * PAGE_SIZE:X}", ha="center", fontsize=7
        )
    start = snap.byte_offset / PAGE_SIZE
    length = snap.byte_count / PAGE_SIZE
    ax.add_patch(
        Rectangle((start, top + 0.15), length, 0.5, facecolor="#aed6f1", edgecolor="#1b4f72")
    )
    ax.text(
        start + length / 2, top + 0.4, f"ByteCount 0x{snap.byte_count:X}", ha="center", fontsize=8
    )
    if snap.byte_offset:
        ax.annotate(
            "", (start, top + 0.1), (0, top + 0.1), arrowprops={"arrowstyle": "<->", "lw": 0.8}
        )
        ax.text(
            start / 2,
            top - 0.08,
            f"ByteOffset 0x{snap.byte_offset:X}",
            ha="center",
            fontsize=7,
            va="top",
        )
    for pfn, x in frames.items():  # the frames
        ax.add_patch(Rectangle((x, bottom), 1, 0.8, facecolor="#fdebd0", edgecolor="#7e5109"))
        ax.text(x + 0.5, bottom - 0.12, f"PFN 0x{pfn:X}", ha="center", va="top", fontsize=7)
    for i, pfn in enumerate(snap.pfns):  # page i -> its frame
        ax.add_patch(
            FancyArrowPatch(
                (i + 0.5, top), (frames[pfn] + 0.5, bottom + 0.8), arrowstyle="-|>",
                mutation_scale=9, color="#7f8c8d", linewidth=0.8,
            )
        )  # fmt: skip
    _draw_transfers(ax, transfers or [], frames, bottom + 0.15)
    ax.text(-0.1, top + 0.4, "virtual\npages", ha="right", va="center", fontsize=8)
    ax.text(-0.1, bottom + 0.4, "physical\nframes", ha="right", va="center", fontsize=8)
    ax.set_xlim(-0.9, width + 0.1)
    ax.set_ylim(-0.6, top + 1.3)
    ax.set_yticks([])
    ax.set_xlabel("pages (each 4 KB): virtual pages in address order, frames in PFN order")
    if title is None:
        title = (
            f"MDL: StartVa 0x{snap.start_va:X}, ByteOffset 0x{snap.byte_offset:X}, "
            f"ByteCount 0x{snap.byte_count:X} -> {pages} page(s), {len(frames)} frame(s)"
        )
        if transfers:
            title += f"\n{len(transfers)} DMA transfer(s), coloured; Tn.e = transfer n, element e"
    ax.set_title(title, fontsize=10)
    return _finish(fig, ax, new)
