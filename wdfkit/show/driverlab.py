"""Lesson 12's lab: the echo driver under an application that reads, cancels and removes.

:func:`echo_run` loads the echo sample (wdfkit.course.samples) on a fresh machine, writes once,
keeps a chosen number of overlapped reads outstanding, then calls ``CancelIo`` and removes the
device at the chosen virtual times; :class:`EchoLab` puts those choices on widgets and redraws
the requests' lifetimes.  :func:`replaced` loads the sample with some of its routines swapped
for broken ones, as the lesson's Break it cells do.  The logic is in plain functions and
methods that pytest drives without a browser.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import ipywidgets as W
from IPython.display import display

from ..course import samples
from ..kernel.ntstatus import STATUS_CANCELLED, STATUS_SUCCESS
from ..kernel.text import fill
from ..language import N_, _
from ..sim.machine import Machine
from ..sim.snapshot import LifetimeKind, TimelineSnapshot
from ..sim.timeline import short
from . import plots
from .canvas import new_figure, redraw_on_change, show_figure

POLL = 0.1
"""How often (virtual seconds) echo_run looks at which reads are done: the timer's ticks and
the lab's choices all fall on this grid, so each completion time is exact."""

FIRST_TICK = 0.1
"""Virtual seconds after the device starts at which the echo timer first ticks (the 100 ms due
time of EchoEvtDeviceSelfManagedIoStart); after it, one tick every TIMER_PERIOD ms."""

TITLE = N_("The echo driver's requests (the write, then the reads)")
"""The lab's plot title, in English (translated where it is shown)."""

LAB_HEIGHT = 4.4
"""The lab's plot, in inches (100 dpi): with its controls and outcome text under 650 px."""


@contextmanager
def replaced(module, **routines):
    """Within the ``with``, *module*'s named routines are the given ones, then the originals.

    The samples look their callbacks up by name when they register them (EchoTimerCreate
    names EchoEvtTimerFunc, the queue config names EchoEvtIoRead, ...), so a driver loaded
    inside the ``with`` is the sample with those routines changed — what you would get by
    editing them in the C and rebuilding."""
    saved = {name: getattr(module, name) for name in routines}
    for name, routine in routines.items():
        setattr(module, name, routine)
    try:
        yield module
    finally:
        for name, routine in saved.items():
            setattr(module, name, routine)


@dataclass
class EchoRun:
    """What :func:`echo_run` did: the machine, and per read its status, bytes and end time."""

    machine: Machine
    reads: list  # PendingIo per read, in the order they were issued
    done_at: list  # virtual seconds at which each read was complete
    started: float  # when the reads were issued
    actions: list  # (seconds after the reads were issued, what the application or PnP did)

    def ticks(self) -> list[float]:
        """The timer's ticks from the reads' issue to the last completion, in seconds after
        the reads were issued (the run ends there: a removal finishes every read)."""
        period = samples.TIMER_PERIOD / 1000
        last = max(self.done_at) - self.started
        tick = FIRST_TICK - self.started
        ticks = []
        while tick <= last + 1e-9:
            if tick > 1e-9:
                ticks.append(round(tick, 6))
            tick += period
        return ticks

    def time_marks(self) -> list[tuple[float, str]]:
        """Each tick, the CancelIo and the removal, with its virtual time, in time order (the
        words in English: :func:`mark_word` shows one in the learner's language)."""
        marks = [(at, "tick") for at in self.ticks()] + list(self.actions)
        return sorted(marks, key=lambda mark: mark[0])

    def time_line(self) -> str:
        """The virtual times the plot's steps happened at, in one printed line."""
        marks = _(", ").join(
            _("{what} at {seconds:.1f} s").format(what=mark_word(text), seconds=at)
            for at, text in self.time_marks()
        )
        return _("Virtual time (seconds after the reads were issued): {marks}.").format(marks=marks)

    def outcome_lines(self) -> list[str]:
        """One line per read: its status, its bytes, and when it was done (seconds after the
        reads were issued)."""
        line = _(
            "read {number}: {status}, {count} bytes, done {seconds:.1f} s after the reads were "
            "issued"
        )
        return [
            line.format(
                number=number,
                status=io.IoStatus.Status.name,
                count=io.IoStatus.Information,
                seconds=at - self.started,
            )
            for number, (io, at) in enumerate(zip(self.reads, self.done_at, strict=True), 1)
        ]

    def summary(self) -> str:
        """How many reads the timer completed and how many were cancelled."""
        statuses = [io.IoStatus.Status for io in self.reads]
        returned, cancelled = statuses.count(STATUS_SUCCESS), statuses.count(STATUS_CANCELLED)
        if returned == 1:
            data = _("{count} read returned data")
        else:
            data = _("{count} reads returned data")
        if cancelled == 1:
            gone = _("{count} was cancelled")
        else:
            gone = _("{count} were cancelled")
        return _("{returned}, {cancelled}").format(
            returned=data.format(count=returned), cancelled=gone.format(count=cancelled)
        )


MARK_WORDS = {
    "tick": N_("tick"),
    "removal asked": N_("removal asked"),
    "removal finished": N_("removal finished"),
}
"""The words of :meth:`EchoRun.time_marks` that are translated (``CancelIo`` is an API)."""


def mark_word(text: str) -> str:
    """A time mark's *text* ("tick", "CancelIo", ...) as the learner reads it."""
    return _(MARK_WORDS[text]) if text in MARK_WORDS else text


def echo_run(reads: int = 3, cancel_at=None, remove_at=None) -> EchoRun:
    """The echo driver with *reads* 16-byte reads outstanding after one write.

    *cancel_at* and *remove_at* are seconds after the reads were issued (None: never) at which
    the application calls ``CancelIo`` and the PnP manager removes the device.  The run ends when
    every read is complete (the timer completes one per tick, so it always ends)."""
    machine = Machine("echo", DriverEntry=samples.EchoDriverEntry, timeline=True)
    with machine:
        machine.add_device()
        app = machine.process()
        path = app.CM_Get_Device_Interface_List(samples.GUID_DEVINTERFACE_ECHO)[0]
        _status, hDevice = app.CreateFile(path, overlapped=True)
        hDevice.GetOverlappedResult(hDevice.WriteFile(b"echo, echo, echo", overlapped=True), True)
        started = machine.clock.seconds
        pending = [hDevice.ReadFile(bytearray(16), overlapped=True) for _read in range(reads)]
        done_at = [None] * reads
        actions = sorted(
            (at, name)
            for at, name in ((cancel_at, "cancel"), (remove_at, "remove"))
            if at is not None
        )
        elapsed = 0.0
        done_actions = []
        while not all(io.done for io in pending):
            if actions and elapsed >= actions[0][0] - 1e-9:
                at, name = actions.pop(0)
                if name == "cancel":
                    hDevice.CancelIo()
                    done_actions.append((at, "CancelIo"))
                else:
                    machine.remove_device()
                    finished = round(machine.clock.seconds - started, 6)
                    done_actions.append((at, "removal asked"))
                    if finished > at + 1e-9:
                        done_actions.append((finished, "removal finished"))
            else:
                machine.advance(POLL)
                elapsed = round(machine.clock.seconds - started, 6)
            for index, io in enumerate(pending):
                if io.done and done_at[index] is None:
                    done_at[index] = machine.clock.seconds
        hDevice.CloseHandle()
    return EchoRun(machine, pending, done_at, started, done_actions)


def requests_only(timeline: TimelineSnapshot) -> TimelineSnapshot:
    """*timeline* with only its requests' lines (the memory objects and buffers live exactly as
    long as their request here), so the lab's picture stays small."""
    keep = [row for row in timeline.rows if row.kind is LifetimeKind.REQUEST]
    lines = sorted({row.line for row in keep})
    renumber = {old: new for new, old in enumerate(lines)}
    rows = tuple(type(row)(**{**row.__dict__, "line": renumber[row.line]}) for row in keep)
    return TimelineSnapshot(
        rows=rows,
        lines=tuple(timeline.lines[old] for old in lines),
        events=timeline.events,
        crash_step=timeline.crash_step,
        crash_code=timeline.crash_code,
        crash_name=timeline.crash_name,
        full=timeline.full,
        limit=timeline.limit,
    )


def row_names(run: EchoRun) -> list[str]:
    """The lab's line names: "write" and "read 1", "read 2", ... over each request's handle."""
    handles = requests_only(run.machine.snapshot().timeline).lines
    reads = [_("read {number}").format(number=number) for number in range(1, len(run.reads) + 1)]
    names = [_("write"), *reads]
    return [f"{name}\n{short(handle)}" for name, handle in zip(names, handles, strict=True)]


def mark_times(ax, run: EchoRun, timeline: TimelineSnapshot) -> None:
    """A dashed line at the step where each tick, the CancelIo and the removal happened, with
    its virtual time along the top (marks at one step share a line and one label)."""
    at_step: dict[float, list[str]] = {}
    for seconds, text in run.time_marks():
        steps = [e.step for e in timeline.events if e.seconds - run.started >= seconds - 1e-9]
        step = (steps[0] if steps else timeline.events[-1].step + 1) - 0.5
        at_step.setdefault(step, []).append(f"{mark_word(text)} {seconds:.1f} s")
    for step, texts in at_step.items():
        ax.axvline(step, color="#555555", linestyle="--", linewidth=1)
        with plots.fonts():
            ax.text(
                step,
                1.0,
                " " + _(", ").join(texts),
                transform=ax.get_xaxis_transform(),
                fontsize=8,
                va="top",
                ha="left",
                color="#333333",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},  # the line stops short
            )


class EchoLab:
    """Lesson 12: how many reads the application keeps outstanding, when it calls CancelIo,
    when the device is removed; the requests' lifetimes and each read's outcome redrawn."""

    NEVER = N_("never")
    CANCEL_CHOICES = (NEVER, "0.5 s", "2.5 s", "4.5 s")
    REMOVE_CHOICES = (NEVER, "1.0 s", "3.0 s")
    """The dropdowns' values are their English labels (a None value would show as an empty
    dropdown): :meth:`seconds` turns one into the virtual time echo_run takes.  In Chinese the
    options are (label, value) pairs, "never" translated."""

    def __init__(self) -> None:
        style = {"description_width": "initial"}
        self.reads = W.IntSlider(
            value=3, min=1, max=4, description=_("outstanding reads"), style=style
        )
        self.cancel_at = W.Dropdown(
            options=self._options(self.CANCEL_CHOICES), description=_("CancelIo at"), style=style
        )
        self.remove_at = W.Dropdown(
            options=self._options(self.REMOVE_CHOICES),
            description=_("remove device at"),
            style=style,
        )
        self.controls = [self.reads, self.cancel_at, self.remove_at]
        redraw_on_change(self.controls, self.update)
        self.message = W.Label()
        self.out = W.Output()
        self.run = None
        self.shown = None  # the timeline last drawn
        self.figure = None  # and its figure
        self.update()
        self.widget = W.VBox([W.HBox(self.controls), self.message, self.out])
        self.widget.add_class("wdfkit-echo-lab")

    @classmethod
    def _options(cls, choices) -> tuple:
        """*choices* as a dropdown's options: themselves in English, else (label, value)."""
        if _(cls.NEVER) == cls.NEVER:
            return choices
        return tuple((_(choice) if choice == cls.NEVER else choice, choice) for choice in choices)

    @classmethod
    def seconds(cls, choice: str) -> float | None:
        """A dropdown's choice ("2.5 s", "never") as echo_run's seconds (None: never)."""
        return None if choice == cls.NEVER else float(choice.removesuffix(" s"))

    def update(self) -> None:
        """Run the echo driver with the chosen application; redraw the requests and outcome."""
        self.run = echo_run(
            self.reads.value, self.seconds(self.cancel_at.value), self.seconds(self.remove_at.value)
        )
        self.shown = requests_only(self.run.machine.snapshot().timeline)
        with plots.fonts():
            figure = new_figure()
            ax = figure.subplots()
        plots.lifetime_timeline(self.shown, TITLE, ax=ax)
        # Only requests are drawn: the title names their colour alone (the plot's own title
        # lists every kind a full timeline can hold).
        title = _("{title}: the bars are requests (blue)").format(title=_(TITLE))
        ax.set_title(title, fontsize=9)
        ax.set_yticklabels(row_names(self.run), fontsize=8)
        mark_times(ax, self.run, self.shown)
        figure.set_size_inches(plots.TIMELINE_WIDTH, LAB_HEIGHT)  # the notebook column at 1400 px
        figure.tight_layout()
        self.figure = figure
        self.message.value = _("Outcome: {outcome}").format(outcome=self.run.summary())
        lines = [self.run.time_line(), *self.run.outcome_lines()]
        show_figure(self.out, figure, "\n".join(fill(line, "", "    ") for line in lines))

    def _ipython_display_(self) -> None:
        display(self.widget)


__all__ = [
    "EchoLab",
    "EchoRun",
    "echo_run",
    "mark_times",
    "mark_word",
    "replaced",
    "requests_only",
    "row_names",
]
