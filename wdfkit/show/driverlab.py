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
from ..sim.machine import Machine
from ..sim.snapshot import LifetimeKind, TimelineSnapshot
from . import plots
from .widgets import _figure, _on_change, _show

POLL = 0.1
"""How often (virtual seconds) echo_run looks at which reads are done: the timer's ticks and
the lab's choices all fall on this grid, so each completion time is exact."""

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

    def outcome_lines(self) -> list[str]:
        """One line per read: its status, its bytes, and when it was done (seconds after the
        reads were issued)."""
        return [
            f"read {number}: {io.IoStatus.Status.name}, {io.IoStatus.Information} bytes, "
            f"done {at - self.started:.1f} s after the reads were issued"
            for number, (io, at) in enumerate(zip(self.reads, self.done_at, strict=True), 1)
        ]

    def summary(self) -> str:
        """How many reads the timer completed and how many were cancelled."""
        statuses = [io.IoStatus.Status for io in self.reads]
        return (
            f"{statuses.count(STATUS_SUCCESS)} read(s) completed with data, "
            f"{statuses.count(STATUS_CANCELLED)} cancelled (STATUS_CANCELLED)"
        )


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
        _, hDevice = app.CreateFile(path, overlapped=True)
        hDevice.GetOverlappedResult(hDevice.WriteFile(b"echo, echo, echo", overlapped=True), True)
        started = machine.clock.seconds
        pending = [hDevice.ReadFile(bytearray(16), overlapped=True) for _ in range(reads)]
        done_at = [None] * reads
        actions = sorted(
            (at, name)
            for at, name in ((cancel_at, "cancel"), (remove_at, "remove"))
            if at is not None
        )
        elapsed = 0.0
        while not all(io.done for io in pending):
            if actions and elapsed >= actions[0][0] - 1e-9:
                _, name = actions.pop(0)
                hDevice.CancelIo() if name == "cancel" else machine.remove_device()
            else:
                machine.advance(POLL)
                elapsed = round(machine.clock.seconds - started, 6)
            for index, io in enumerate(pending):
                if io.done and done_at[index] is None:
                    done_at[index] = machine.clock.seconds
        hDevice.CloseHandle()
    return EchoRun(machine, pending, done_at, started)


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


class EchoLab:
    """Lesson 12: how many reads the application keeps outstanding, when it calls CancelIo,
    when the device is removed; the requests' lifetimes and each read's outcome redrawn."""

    CANCEL_CHOICES = (("never", None), ("0.5 s", 0.5), ("2.5 s", 2.5), ("4.5 s", 4.5))
    REMOVE_CHOICES = (("never", None), ("1.0 s", 1.0), ("3.0 s", 3.0))

    def __init__(self) -> None:
        style = {"description_width": "initial"}
        self.reads = W.IntSlider(
            value=3, min=1, max=4, description="outstanding reads", style=style
        )
        self.cancel_at = W.Dropdown(
            options=self.CANCEL_CHOICES, description="CancelIo at", style=style
        )
        self.remove_at = W.Dropdown(
            options=self.REMOVE_CHOICES, description="remove device at", style=style
        )
        self.controls = [self.reads, self.cancel_at, self.remove_at]
        _on_change(self.controls, self.update)
        self.message = W.Label()
        self.out = W.Output()
        self.run = None
        self.shown = None  # the timeline last drawn
        self.update()
        self.widget = W.VBox([W.HBox(self.controls), self.message, self.out])
        self.widget.add_class("wdfkit-echo-lab")

    def update(self) -> None:
        """Run the echo driver with the chosen application; redraw the requests and outcome."""
        self.run = echo_run(self.reads.value, self.cancel_at.value, self.remove_at.value)
        self.shown = requests_only(self.run.machine.snapshot().timeline)
        figure = _figure()
        plots.lifetime_timeline(
            self.shown,
            "The echo driver's requests (the write, then the reads)",
            ax=figure.subplots(),
        )
        figure.set_size_inches(11, LAB_HEIGHT)
        figure.tight_layout()
        self.message.value = "Outcome: " + self.run.summary()
        _show(self.out, figure, "\n".join(self.run.outcome_lines()))

    def _ipython_display_(self) -> None:
        display(self.widget)


__all__ = ["EchoLab", "EchoRun", "echo_run", "replaced", "requests_only"]
