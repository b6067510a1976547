"""Figures for the lessons, drawn from snapshots (never from live objects).

Every function returns a matplotlib ``Figure`` with a title, labelled axes and units, made
through pyplot so that a notebook cell can end with ``plt.show()``.  Given ``ax=``, a function
redraws into that (cleared) axes instead, keeping its figure's layout: how the widget labs
redraw quickly.  matplotlib is imported only when a plot is drawn, so ``import wdfkit`` stays
fast.

Every word a figure shows is in the learner's language (:mod:`wdfkit.language`), and so is a
title handed in by a lesson: each ``title`` parameter is English, the message the catalog
translates, and the function shows ``_(title)``.  (``tools/catalog.py`` takes those titles
from the English notebooks' calls.)  In Chinese the figures draw with a CJK font (Noto Sans CJK,
Debian's ``fonts-noto-cjk``), chosen by :func:`fonts` when a figure's text is made; English
figures are drawn exactly as before.
"""

import functools
from contextlib import contextmanager
from pathlib import Path

from ..kernel.pool import NONPAGED_BASE, PAGE_SHIFT, PAGE_SIZE, PAGED_BASE
from ..kernel.text import width as columns
from ..language import N_, _, current
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


CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP")
"""The fonts that draw Chinese, the first one found: Debian's ``fonts-noto-cjk`` holds both
(a matplotlib before 3.10 sees only the first face of its collection, the JP one, whose
glyphs cover Simplified Chinese too)."""

CJK_MONOSPACE_FONTS = ("Noto Sans Mono CJK SC", "Noto Sans Mono CJK JP")
CJK_PACKAGE = "fonts-noto-cjk"


@functools.cache
def _cjk_families() -> tuple[list[str], list[str]]:
    """(sans-serif, monospace) font families for Chinese text: matplotlib's own DejaVu fonts
    for Latin letters and digits (as in English figures), a Noto CJK font for the rest.

    matplotlib knows the fonts its cache listed when it was built; a CJK font installed after
    that (the cache built first, then ``apt-get install fonts-noto-cjk``) is added from the
    system's font files here.  Raises RuntimeError, naming the Debian package to install, when
    no CJK font is found even so: the figures would show empty boxes for every Chinese
    character."""
    from matplotlib import font_manager

    manager = font_manager.fontManager  # (the one instance every backend draws with)

    def found(names):
        for name in names:
            try:
                manager.findfont(
                    font_manager.FontProperties(family=name), fallback_to_default=False
                )
            except ValueError:
                continue
            return name
        return None

    sans = found(CJK_FONTS)
    if sans is None:  # perhaps installed after matplotlib's font cache was built
        known = {font.fname for font in manager.ttflist}
        for path in sorted(font_manager.findSystemFonts()):
            if "CJK" in Path(path).name and path not in known:
                manager.addfont(path)
        sans = found(CJK_FONTS)
    if sans is None:
        raise RuntimeError(
            _(
                "The Chinese figures need a CJK font (Noto Sans CJK), and matplotlib finds none "
                "on this machine. Install the Debian package {package} (apt-get install "
                "{package}; on Binder it is in binder/apt.txt), then restart the kernel."
            ).format(package=CJK_PACKAGE)
        )
    mono = found(CJK_MONOSPACE_FONTS) or sans
    return ["DejaVu Sans", sans], ["DejaVu Sans Mono", mono]


@contextmanager
def fonts():
    """Within the ``with``, text made in a figure draws in the learner's language: in Chinese,
    with a CJK font after DejaVu Sans (matplotlib takes each glyph from the first font that has
    it); in English, nothing changes.

    A text keeps the fonts it was made with, so a figure (or a lab's axes) made inside draws
    right wherever it is drawn, ``plt.show()`` included.
    """
    if current() == "en":
        yield
        return
    import matplotlib

    sans, _mono = _cjk_families()
    with matplotlib.rc_context({"font.family": sans}):
        yield


def _monospace():
    """The family for monospaced text: in Chinese, with the CJK font after DejaVu Sans Mono."""
    return "monospace" if current() == "en" else _cjk_families()[1]


def _in_fonts(function):
    """*function* draws its texts with :func:`fonts`."""

    @functools.wraps(function)
    def drawn(*args, **kwargs):
        with fonts():
            return function(*args, **kwargs)

    return drawn


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
            + (_("embedded") if obj.refcnt is None else _("refs {count}").format(count=obj.refcnt)),
            ha="left",
            va="center",
            fontsize=8,
            family=_monospace(),
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
    ax.set_xlabel(_("depth below WDFDRIVER (parent → child)"))
    ax.set_yticks([])
    ax.set_xticks(range(max([o.depth for o in rows] + [0]) + 1))


@_in_fonts
def tree_before_after(before: MachineSnapshot, after: MachineSnapshot, action: str):
    """The object tree before and after *action* (e.g. deleting a parent), side by side."""
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    height = max(len(before.objects), len(after.objects))
    _draw_tree(left, before, _("Before"), height)
    _draw_tree(right, after, _("After {action}").format(action=action), height)
    fig.suptitle(_("Framework objects: the parent/child tree (red = deleted but still referenced)"))
    fig.tight_layout()
    return fig


@_in_fonts
def pool_by_tag(
    history: list[tuple[str, MachineSnapshot]],
    tags: list[str] | None = None,
    ax=None,
    last: int | None = None,
):
    """Bytes of pool in use per tag after each step of a sequence of calls (the *last* ones)."""
    first = max(len(history) - last, 0) if last else 0
    steps = range(first, len(history))
    all_tags = sorted({r.tag for _label, snap in history for r in snap.tags})
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
    ax.set_xlabel(_("step (DDI call)"))
    ax.set_ylabel(_("pool in use (bytes)"))
    if first:
        title = _("Pool in use by tag, after each call (the last {shown} of {total})")
    else:
        title = _("Pool in use by tag, after each call")
    ax.set_title(title.format(shown=len(steps), total=len(history)))
    ax.grid(True, alpha=0.3)
    if shown:
        # Outside the axes, on the right: a tag's line may run anywhere inside.
        ax.legend(title=_("pool tag"), fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    else:  # nothing to draw: say what will appear, not a y axis around zero bytes
        if tags:
            which = ", ".join(f"'{tag}'" for tag in tags)
            nothing = _("No pool in use under {tags} yet.").format(tags=which)
        else:
            nothing = _("No pool in use under any tag yet.")
        _say_empty(
            ax,
            nothing
            + "\n"
            + _(
                "Each call you make adds a step here: "
                "click ExAllocatePoolWithTag or WdfMemoryCreate."
            ),
        )
    ax.yaxis.set_visible(bool(shown))
    fig = _finish(fig, ax, new)
    # Bytes start at 0 (a flat line of zeros would otherwise get an axis around it).
    peak = max((max(line.get_ydata()) for line in ax.get_lines()), default=0)
    ax.set_ylim(0, max(peak, 16) * 1.1, auto=None)
    return fig


def _padding(ax, start: int, end: int) -> None:
    """Hatched bar for unused bytes between *start* and *end*, if any."""
    if end > start:
        ax.barh(
            0, end - start, left=start, color="white", edgecolor="#c0392b", hatch="///", height=0.5
        )


@_in_fonts
def buffer_layout(
    total: int, pieces: list[tuple[str, int, int]], alignment: int, ax=None, base: int = 0
):
    """One allocation of *total* bytes carved into (name, offset, size) pieces, with padding.

    *base* is the address the carving starts at (the block the pool gave, or that address
    aligned up): the dotted lines mark *addresses* that are multiples of *alignment*, so a piece
    whose offset is aligned but whose address is not shows as misaligned (red edge).
    """
    fig, ax, new = _axes(ax, (9.6, 2.8))
    cursor, misaligned = 0, 0
    inches_per_byte = ax.get_position().width * fig.get_figwidth() / max(total, 1)
    lanes = {-0.32: 0.0, 0.32: 0.0}  # below and above the bars: where each lane's text ends
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
        where = f"{size} B @ +{offset}"
        if off_line:
            where += "\n" + _("misaligned by {count}").format(count=off_line)
        text = f"{name}\n{where}"
        inches = max(columns(line) for line in text.splitlines()) * 0.6 * 8 / 72 + 0.1
        middle = offset + size / 2
        if inches <= size * inches_per_byte:  # it fits in its bar
            ax.text(middle, 0, text, ha="center", va="center", fontsize=8)
        else:  # beside the bar, below or above it, in the lane that is free there
            half = inches / 2 / inches_per_byte
            x = min(max(middle, half), max(total, 1) - half)  # within the axes
            lane = min(lanes, key=lambda y: (lanes[y] > x - half, lanes[y]))
            x = max(x, lanes[lane] + half)  # (both lanes taken: after the nearer one's text)
            lanes[lane] = x + half
            ax.annotate(
                text,
                (middle, 0.25 if lane > 0 else -0.25),
                (x, lane),
                ha="center",
                va="bottom" if lane > 0 else "top",
                fontsize=8,
                arrowprops={"arrowstyle": "-", "linewidth": 0.6, "color": "#566573"},
            )
        cursor = offset + size
    _padding(ax, cursor, total)
    for boundary in range((-base) % alignment, total + 1, alignment):
        ax.axvline(boundary, color="#7f8c8d", linewidth=0.6, linestyle=":")
    used = sum(size for _name, _offset, size in pieces)
    ax.set_xlim(0, max(total, 1))
    ax.set_ylim(-1, 1)  # room below and above the bars for labels that do not fit in them
    ax.set_yticks([])
    if base:
        where = _(
            "offset from address 0x{base:X}; dotted lines at addresses that are multiples of "
            "{alignment}"
        )
    else:
        where = _(
            "offset from the allocation's start; dotted lines at addresses that are multiples "
            "of {alignment}"
        )
    ax.set_xlabel(where.format(base=base, alignment=alignment))
    if misaligned:
        verdict = _("{count} misaligned").format(count=misaligned)
    else:
        verdict = _("all aligned")
    ax.set_title(
        _(
            "{count} buffers carved from one {total}-byte allocation for AlignTo {alignment}: "
            "{padding} bytes of padding (hatched), {verdict}"
        ).format(
            count=len(pieces),
            total=total,
            alignment=alignment,
            padding=total - used,
            verdict=verdict,
        ),
        fontsize=10,
    )
    return _finish(fig, ax, new)


@_in_fonts
def pool_map(snap: MachineSnapshot, title: str = N_("Pool blocks"), ax=None):
    """Live pool blocks at their offset in their pool (a row for nonpaged pool, another for
    paged pool when it has any), coloured by tag and named by what they hold."""
    blocks = list(snap.blocks)
    tags = sorted({b.tag for b in blocks})
    pools = [(_("nonpaged pool"), NONPAGED_BASE, False)]
    if any(b.paged for b in blocks):
        pools.append((_("paged pool"), PAGED_BASE, True))
    fig, ax, new = _axes(ax, (9.6, 2.6))
    ends = [b.address + b.size - (PAGED_BASE if b.paged else NONPAGED_BASE) for b in blocks]
    span = max(ends, default=PAGE_SIZE)
    inches_per_byte = ax.get_position().width * fig.get_figwidth() / (span * 1.05)
    outside = {}  # row -> where the names written outside its bars end (bytes)
    for row, (_name, base, paged) in enumerate(pools):
        for b in sorted((b for b in blocks if b.paged == paged), key=lambda b: b.address):
            left, colour = b.address - base, _colour(tags, b.tag)
            ax.barh(row, b.size, left=left, color=colour, edgecolor="black", label=f"'{b.tag}'")
            _name_block(ax, b, left + b.size / 2, row, inches_per_byte, outside, span * 1.05)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    if unique:
        ax.legend(
            unique.values(),
            unique.keys(),
            title=_("tag"),
            fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
    ax.set_yticks(range(len(pools)), [name for name, _base, _paged in pools], fontsize=8)
    # Room above the first row (below a second) for the names of blocks too narrow to hold them.
    last = len(pools) - 1
    ax.set_ylim(last + (1.0 if last and last in outside else 0.6), -1.0 if 0 in outside else -0.6)
    ax.set_xlim(0, span * 1.05)
    starts = ", ".join(f"{name} 0x{base:016X}" for name, base, _paged in pools)
    ax.set_xlabel(_("offset in the pool (bytes from its start: {starts})").format(starts=starts))
    ax.set_title(_(title))
    return _finish(fig, ax, new)


def _holds_text(block: BlockSnapshot) -> str:
    """What *block* holds, in words for the pool map ("" when no framework object says)."""
    match block.holds:
        case BlockHolds.DRIVER_GLOBALS:
            return _("driver\nglobals")
        case BlockHolds.OBJECT:
            return block.object_type
        case BlockHolds.OBJECT_AND_BUFFER:
            return _("{object}\n+ buffer").format(object=block.object_type)
        case BlockHolds.BUFFER:
            return _("buffer")
    return ""


def _name_block(
    ax, block, x: float, y: int, inches_per_byte: float, outside: dict, right: float
) -> None:
    """Write what *block* holds across it, or up it when narrow; when even that cannot fit,
    above its row (below, for the second row) with a line to it.

    *outside* maps a row to where the names already written outside it end (bytes), so that
    the next one starts after them; *right* is the x axis' end, which a name stays within.
    """
    text = _holds_text(block)
    if not text:
        return
    lines = text.splitlines()
    text_inches = max(columns(line) for line in lines) * 0.7 * 7 / 72  # 7 pt bold characters
    width = block.size * inches_per_byte
    if text_inches + 0.15 <= width or width >= 0.12 * len(lines):
        ax.text(
            x,
            y,
            text,
            rotation=0 if text_inches + 0.15 <= width else 90,
            ha="center",
            va="center",
            fontsize=7,
            color="white",
            fontweight="bold",
        )
        return
    half = (text_inches + 0.1) / 2 / inches_per_byte
    centre = max(min(x, right - half), outside.get(y, 0) + half)
    outside[y] = centre + half
    above = y == 0  # (the y axis runs downwards: row 0 is the top one)
    ax.annotate(
        text,
        (x, y - 0.4 if above else y + 0.4),
        (centre, y - 0.5 if above else y + 0.5),
        ha="center",
        va="bottom" if above else "top",
        fontsize=7,
        fontweight="bold",
        arrowprops={"arrowstyle": "-", "linewidth": 0.6, "color": "#566573"},
    )


@_in_fonts
def lookaside_timeline(history, title: str = N_("A lookaside list, second by second"), axes=None):
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

    held = [r.held for r in rows]
    series(top, held, _("blocks held by the list (idle, still pool)"), "#a1c9f4")
    series(top, [r.depth for r in rows], "Depth", "#c44e52", fill=False)
    in_use = [r.peak_in_use for r in rows]
    series(top, in_use, _("blocks in use by the driver (most at once)"), "#2d3436", fill=False)
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
            label=_("the balance-set manager re-tunes Depth"),
        )
    top.set_ylabel(_("blocks"))
    top.set_title(_(title))
    top.legend(fontsize=8, loc="upper left", ncol=2)
    series(bottom, [r.allocates for r in rows], _("allocations"), "#55a868")
    series(bottom, [r.misses for r in rows], _("misses: allocated from pool"), "#dd8452")
    frees = [-r.free_misses for r in rows]
    series(bottom, frees, _("free misses: freed to pool (−)"), "#8172b3")
    bottom.set_ylabel(_("calls per second"))
    bottom.set_xlabel(_("virtual time (s)"))
    bottom.legend(fontsize=8, loc="lower right", ncol=3)
    for ax in axes:
        ax.grid(True, alpha=0.3)
        if not new:
            ax.relim()
        ax.autoscale_view()
    if new:
        fig.tight_layout()
    # Room for each legend above (below) the data, so that it hides none of it.
    for ax, above, below in ((top, 0.55, 0), (bottom, 0, 0.3)):
        low, high = ax.get_ylim()
        ax.set_ylim(low - below * (high - low), high + above * (high - low), auto=None)
    # Nothing to draw in a panel: say what will appear there, without a y axis around zero.
    calls = any(r.allocates or r.misses or r.free_misses for r in rows)
    top.yaxis.set_visible(bool(rows))
    bottom.yaxis.set_visible(calls)
    if not rows:  # before the first tick
        _say_empty(top, _("No second recorded yet: the list's counters are sampled at each tick."))
        for ax in axes:
            ax.set_xlim(0, 1, auto=None)  # (auto=None: the next redraw rescales)
    if not calls:
        _say_empty(
            bottom,
            _("No allocations yet: each second's allocations, misses and free misses appear here.")
            + "\n"
            + _("Click WdfMemoryCreateFromLookaside, then advance 1 s."),
        )
    for ax, drawn in ((top, rows), (bottom, calls)):
        if not drawn:
            ax.set_ylim(0, 1, auto=None)
    return fig


def _say_empty(ax, text: str) -> None:
    """*text* across the middle of an axes that has nothing to show yet."""
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=10,
        style="italic",
    )


KIND_COLOURS = {
    LifetimeKind.REQUEST: "#4c72b0",
    LifetimeKind.MEMORY: "#55a868",
    LifetimeKind.BUFFER: "#dd8452",
    LifetimeKind.REFERENCE: "#8172b3",
}


TIMELINE_WIDTH = 9.6
"""Inches a lifetime timeline is wide: what a notebook shows at 1400 px without shrinking it."""

_TEXT_PT = 8  # every label on a timeline: 11 px at the notebook's 100 dpi
_CHAR_IN = 0.6 * _TEXT_PT / 72  # average width of a label's character, inches
_LEVEL_IN = 0.15  # height of one level of mark labels, inches
_BAR_IN = 0.22  # height of a lifetime bar, inches
_LINE_LABEL_CHARS = 22  # longer line names take two lines, which keeps the left margin narrow


def _mark_name(text: str) -> str:
    return short(text).replace("WdfRequest", "…").replace("WdfIoTarget", "…")


def _line_name(label: str) -> str:
    """A line's name for the y axis: past 22 characters, broken at the space nearest its middle."""
    name = short(label)
    if columns(name) <= _LINE_LABEL_CHARS or " " not in name:
        return name
    spaces = [i for i, c in enumerate(name) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return name[:cut] + "\n" + name[cut + 1 :]


def _text_inches(text: str) -> float:
    return (columns(text) + 1) * _CHAR_IN


def _timeline_layout(timeline):
    """Where a lifetime timeline puts things, with the y axis in inches from the top.

    Mark labels are horizontal, stacked above their bar in as few levels as keep them apart;
    a repeated event on a line (a reused request's next send) gets a tick but no second label.
    An end's label ("released", "freed by …") goes right of its x, or, where the line's next
    bar starts too soon after it, up among the mark labels, and also only once per line.
    Returns ``(line centres, mark labels as (step, y, text), end labels beside their x as
    (step, line, text), height of all lines, the x axis' right end)``.
    """
    last = _timeline_last_step(timeline)
    widest = max(
        (columns(part) for label in timeline.lines for part in _line_name(label).split("\n")),
        default=10,
    )
    axes_inches = TIMELINE_WIDTH - 0.45 - 0.07 * widest  # the figure less the line names
    beside, above, ended = [], [], set()  # end labels right of their x / among the marks
    starts = {}  # line -> the steps its bars start at
    for row in timeline.rows:
        starts.setdefault(row.line, []).append(row.start)
    for row in timeline.rows:
        if row.end is None or (row.line, row.end_text) in ended:
            continue
        ended.add((row.line, row.end_text))
        text = short(row.end_text)
        later = [s for s in starts[row.line] if s > row.end]
        (above if later else beside).append((row, text))
    # The x axis reaches past the last step far enough for each label right of its x and for
    # "still alive": each needs end + width * (steps per inch), where the steps per inch
    # themselves grow with the axis' right end R: steps/inch = (R + 0.5) / axes_inches.
    right = last + 1.5
    wanted = [(last + 0.5, _text_inches(" " + _("still alive")))]
    wanted += [(row.end, _text_inches(text) + 0.07) for row, text in beside]
    for end, inches in wanted:
        share = inches / axes_inches
        right = max(right, (end + 0.5 * share) / (1 - share))
    steps_per_inch = (right + 0.5) / axes_inches
    levels: list[list[float]] = [[] for _line in timeline.lines]  # per line: where each level ends
    placed, named = [], set()  # (line, level, step, text); (line, what) already named
    marks = [
        (row.line, step, _mark_name(text), text)
        for row in timeline.rows
        for step, text in row.marks
    ]
    marks += [(row.line, row.end, text, ("end", text)) for row, text in above]
    marks.sort(key=lambda mark: mark[1])
    for line, step, name, key in marks:
        if (line, key) in named:
            continue
        named.add((line, key))
        ends = levels[line]
        level = next((k for k, end in enumerate(ends) if step >= end), len(ends))
        if level == len(ends):
            ends.append(0.0)
        ends[level] = step + (_text_inches(name) + 0.1) * steps_per_inch  # and a gap
        placed.append((line, level, step, name))
    centres, y = [], 0.0
    for ends in levels:
        y += len(ends) * _LEVEL_IN + 0.03 + _BAR_IN / 2
        centres.append(y)
        y += _BAR_IN / 2 + 0.04
    labels = [
        (step, centres[line] - _BAR_IN / 2 - 0.02 - level * _LEVEL_IN, name)
        for line, level, step, name in placed
    ]
    ends_beside = [(row.end, row.line, text) for row, text in beside]
    return centres, labels, ends_beside, y, right


def _timeline_last_step(timeline) -> float:
    if timeline.crash_step is not None:
        return timeline.crash_step - 0.5
    return max(len(timeline.events) - 1, 1)


def fit_timeline(fig, timeline, title: str = N_("Who lives how long")) -> None:
    """Size *fig*, holding one lifetime timeline titled *title*, to what that timeline needs.

    The y axis counts inches (the label levels are laid out in inches), so the axes get exactly
    their y range's height; the left margin is what the line names need.
    """
    _fit_timeline(fig, _timeline_layout(_recorded(timeline))[3], _timeline_title(title))


def _fit_timeline(fig, lines_height: float, heading: str) -> None:
    top = _TITLE_IN + _TITLE_LINE_IN * (heading.count("\n") + 1)
    inches = top + _AXIS_IN + _y_span(lines_height)
    fig.set_size_inches(TIMELINE_WIDTH, inches)
    fig.tight_layout()  # the left and right margins
    fig.subplots_adjust(top=1 - top / inches, bottom=_AXIS_IN / inches)


def _recorded(timeline) -> TimelineSnapshot:
    """*timeline* itself when it is a snapshot, else a snapshot of it (a machine's timeline)."""
    return timeline if isinstance(timeline, TimelineSnapshot) else timeline.snapshot()


_TITLE_IN, _TITLE_LINE_IN = 0.1, 0.17  # above the axes: a margin, and each title line
_AXIS_IN = 0.5  # below the axes: the step numbers and the axis label


def _y_span(lines_height: float) -> float:
    """The y axis' range (inches): the lines, room above them for the crash's label, a margin."""
    return max(lines_height, 1.2) + 0.35


_KIND_KEY = N_("blue request, green memory object, orange buffer, purple target's reference")


def _timeline_title(title: str) -> str:
    """*title* (English: it is translated here) and what the colours mean: on one line when
    that is short enough."""
    title, key = _(title), _(_KIND_KEY)
    if columns(title) + columns(key) <= 100:
        return _("{title}: {key}").format(title=title, key=key)
    return f"{title}\n{key}"


@_in_fonts
def lifetime_timeline(timeline, title: str = N_("Who lives how long"), ax=None):
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
    centres, labels, ends_beside, height, right = _timeline_layout(timeline)
    heading = _timeline_title(title)
    fig, ax, new = _axes(ax, (TIMELINE_WIDTH, 4))
    for row in timeline.rows:
        y = centres[row.line]
        end = row.end if row.end is not None else last + 0.5
        colour = KIND_COLOURS[row.kind]
        ax.barh(y, end - row.start, left=row.start, height=_BAR_IN, color=colour, alpha=0.35)
        ax.plot([row.start], [y], marker="o", color=colour, markersize=5)
        for step, _text in row.marks:
            ax.plot([step], [y], marker="|", color=colour, markersize=10)
        if row.end is not None:
            ax.plot([row.end], [y], marker="x", color=colour, markersize=7)
        elif timeline.crash_step is None:  # (at a crash, the red line's label says it once)
            alive = " " + _("still alive")
            ax.text(end, y, alive, fontsize=_TEXT_PT, va="center", style="italic")
    for step, line, text in ends_beside:
        ax.annotate(  # 5 points right of the x, however wide a step is
            text,
            (step, centres[line]),
            xytext=(5, 0),
            textcoords="offset points",
            fontsize=_TEXT_PT,
            va="center",
        )
    for step, y, name in labels:
        ax.text(step, y, name, fontsize=_TEXT_PT, va="bottom")
    if timeline.crash_step is not None:
        ax.axvline(timeline.crash_step, color="#c0392b", linewidth=2)
        ax.text(
            timeline.crash_step,
            -0.08,
            _("0x{code:X} {name}: bars reaching this line were alive").format(
                code=timeline.crash_code, name=timeline.crash_name
            )
            + "  ",
            color="#c0392b",
            fontsize=_TEXT_PT,
            ha="right",
        )
    ax.set_yticks(centres, [_line_name(label) for label in timeline.lines], fontsize=_TEXT_PT)
    ax.set_ylim(_y_span(height) - 0.3, -0.3)
    ax.set_xlim(-0.5, right)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(
        _(
            "step (events in the order they happened); bars: alive (o created, | DDI call or "
            "event, x ended)"
        ),
        fontsize=9,
    )
    ax.set_title(heading, fontsize=9)
    ax.grid(True, axis="x", alpha=0.3)
    if new:
        _fit_timeline(fig, height, heading)
    return fig


@_in_fonts
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
    ax.text(size, 1.25, " " + _("end of buffer"), fontsize=8, va="bottom")
    ax.set_xlim(0, max(end, size + 3) + 0.5)  # room for the "end of buffer" label
    ax.set_ylim(-0.3, 1.6)
    ax.set_yticks([])
    ax.set_xticks(range(0, end + 1, 4 if end > 24 else 2))
    ax.set_xlabel(_("offset in the memory object's buffer (bytes); hatched: past its end"))
    if count:
        window = _("bytes {first} to {last}").format(first=offset, last=offset + count - 1)
    else:
        window = _("0 bytes")
    ax.set_title(
        _("{ddi} at offset {offset}, {window} (outlined): {outcome}").format(
            ddi=ddi, offset=offset, window=window, outcome=outcome
        ),
        fontsize=10,
    )
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


@_in_fonts
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
    ax.text(-0.1, top + 0.4, _("virtual\npages"), ha="right", va="center", fontsize=8)
    ax.text(-0.1, bottom + 0.4, _("physical\nframes"), ha="right", va="center", fontsize=8)
    ax.set_xlim(-0.9, width + 0.1)
    ax.set_ylim(-0.6, top + 1.3)
    ax.set_yticks([])
    ax.set_xlabel(_("pages (each 4 KB): virtual pages in address order, frames in PFN order"))
    if title is None:
        title = _(
            "MDL: StartVa 0x{start_va:X}, ByteOffset 0x{byte_offset:X}, "
            "ByteCount 0x{byte_count:X} -> {pages} page(s), {frames} frame(s)"
        ).format(
            start_va=snap.start_va,
            byte_offset=snap.byte_offset,
            byte_count=snap.byte_count,
            pages=pages,
            frames=len(frames),
        )
        if transfers:
            title += "\n" + _(
                "{count} DMA transfer(s), coloured; Tn.e = transfer n, element e"
            ).format(count=len(transfers))
    else:
        title = _(title)
    ax.set_title(title, fontsize=10)
    return _finish(fig, ax, new)
