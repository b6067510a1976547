"""The lifetime timeline: when each request, memory object, buffer and reference lived.

Switched on per machine (``Machine(timeline=True)``), it records one *row* per thing whose life
the life-cycle lessons follow — a request, its input and output memory, the buffers under
them, driver-created memory and requests, and each reference an I/O target holds — with the
step it began, the DDI calls that touched it, and the step it ended (deleted, freed, released
or made invalid by completion).  A thing that lives more than once (the target's reference on a
memory object, taken again at each format of a reused request) gets a row per lifetime, all on
its one line of the picture.  A bug check is recorded where it happened.

Steps count events in order (DDI calls, framework actions), because most of them happen at the
same virtual instant; each event also keeps its virtual time.  The history is bounded
(*limit* events); past it, recording stops and says so.
"""

import re
from dataclasses import dataclass, field

from ..kernel.clock import TICKS_PER_SECOND
from .snapshot import LifetimeKind, LifetimeSnapshot, TimelineEvent, TimelineSnapshot

_LONG_HEX = re.compile(r"0x[0-9A-Fa-f]{8,}")


def short(label: str) -> str:
    """Long addresses and handles cut to their last four digits: 'WDFREQUEST …f23f'."""
    return _LONG_HEX.sub(lambda m: "…" + m.group(0)[-4:], label)


@dataclass
class Row:
    """One lifetime: a label, a kind (request, memory, buffer, reference), start and end.

    *line* is where the picture draws it: every lifetime of one thing (the target's reference
    on a memory object, taken again at each format) shares that thing's line.
    """

    label: str
    kind: str
    start: int
    line: int
    end: int | None = None
    end_text: str = ""
    marks: list[tuple[int, str]] = field(default_factory=list)


class Timeline:
    """The recorded lifetimes of one machine; ``text()`` and ``plots.lifetime_timeline`` read it."""

    def __init__(self, machine, limit: int = 2000) -> None:
        self.machine = machine
        self.limit = limit
        self.rows: list[Row] = []
        """Every lifetime, in the order they began."""
        self.lines: list[str] = []
        """The picture's line labels, one per thing (a key), in the order each first began."""
        self._latest: dict[object, Row] = {}  # each key's most recent lifetime
        self.events: list[tuple[int, float, str, str]] = []  # (step, seconds, row label, text)
        self.crash_step: int | None = None
        self.crash_text = ""
        self.full = False

    def _event(self, row: Row | None, text: str) -> int | None:
        if len(self.events) >= self.limit:
            self.full = True
            return None
        step = len(self.events)
        label = row.label if row is not None else "machine"
        self.events.append((step, self.machine.clock.ticks / TICKS_PER_SECOND, label, text))
        return step

    def begin(self, key, label: str, kind: str, text: str) -> None:
        """A new lifetime of *key* starts (ignored while its last one is still open)."""
        latest = self._latest.get(key)
        if latest is not None and latest.end is None:
            return
        line = len(self.lines) if latest is None else latest.line
        row = Row(label, kind, len(self.events), line)
        if self._event(row, text) is not None:
            if latest is None:
                self.lines.append(label)
            self._latest[key] = row
            self.rows.append(row)

    def mark(self, key, text: str) -> None:
        """Something happened to a live row (a DDI call naming it, a reference taken)."""
        row = self._latest.get(key)
        if row is not None:
            step = self._event(row, text)
            if step is not None:
                row.marks.append((step, text))

    def end(self, key, text: str) -> None:
        """A lifetime ends: deleted, freed, released or invalidated."""
        row = self._latest.get(key)
        if row is not None and row.end is None:
            step = self._event(row, text)
            if step is not None:
                row.end, row.end_text = step, text

    def ddi(self, name: str, args: tuple) -> None:
        """A DDI was called: mark the first live row among its handle arguments."""
        for arg in args:
            row = self._latest.get(getattr(arg, "value", None))
            if row is not None and row.end is None:
                self.mark(arg.value, name)
                return

    def crash(self, summary: str) -> None:
        self.crash_text = summary
        self.crash_step = self._event(None, f"*** BUG CHECK {summary}")

    def snapshot(self) -> TimelineSnapshot:
        """A frozen copy of the lifetimes and events, for views and plots."""
        bugcheck = self.machine.bugcheck if self.crash_step is not None else None
        return TimelineSnapshot(
            rows=tuple(
                LifetimeSnapshot(
                    row.label,
                    LifetimeKind(row.kind),
                    row.start,
                    row.line,
                    row.end,
                    row.end_text,
                    tuple(row.marks),
                )
                for row in self.rows
            ),
            lines=tuple(self.lines),
            events=tuple(TimelineEvent(*event) for event in self.events),
            crash_step=self.crash_step,
            crash_code=None if bugcheck is None else bugcheck.code,
            crash_name="" if bugcheck is None else bugcheck.name,
            full=self.full,
            limit=self.limit,
        )

    def text(self) -> str:
        """The history as lines: step, virtual time, row, what happened."""
        lines = [f"{'step':>4}  {'time (s)':>9}  {'object':<38} event"]
        for step, seconds, label, text in self.events:
            lines.append(f"{step:>4}  {seconds:9.6f}  {short(label):<38} {short(text)}")
        if self.full:
            lines.append(f"(recording stopped after {self.limit} events)")
        return "\n".join(lines)
