"""The lifetime timeline: when each request, memory object, buffer and reference lived.

Switched on per machine (``Machine(timeline=True)``), it listens to the machine's events
(:mod:`wdfkit.sim.events`) and records one *row* per thing whose life the life-cycle lessons
follow — a request, its input and output memory, the buffers under them, driver-created memory
and requests, and each reference an I/O target holds — with the step it began, the DDI calls
that touched it, and the step it ended (deleted, freed, released or made invalid by
completion).  A thing that lives more than once (the target's reference on a
memory object, taken again at each format of a reused request) gets a row per lifetime, all on
its one line of the picture.  A bug check is recorded where it happened.

Steps count events in order (DDI calls, framework actions), because most of them happen at the
same virtual instant; each event also keeps its virtual time.  The history is bounded
(*limit* events); past it, recording stops and says so.
"""

import itertools
import re
from dataclasses import dataclass, field

from ..kernel.clock import TICKS_PER_SECOND
from ..kernel.irp import IrpBuffer, UserMode
from .events import Event
from .snapshot import LifetimeKind, LifetimeSnapshot, TimelineEvent, TimelineSnapshot

_LONG_HEX = re.compile(r"0x[0-9A-Fa-f]{8,}")


def short(label: str) -> str:
    """Long addresses and handles cut to their last four digits: 'WDFREQUEST …f238'."""
    return _LONG_HEX.sub(lambda m: "…" + m.group(0)[-4:], label)


BUFFER_LABELS = {
    IrpBuffer.SYSTEM_BUFFER: "system buffer",
    IrpBuffer.DIRECT_MAPPING: "locked pages mapped at",
    IrpBuffer.KERNEL_CALLER_BUFFER: "caller's kernel buffer",
}
"""How a row names each kind of block an IRP carries (the I/O manager's, or a kernel-mode
caller's own buffer for METHOD_NEITHER, which wdfkit's caller frees once its I/O is done)."""


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
    """The recorded lifetimes of one machine; ``text()`` and ``plots.lifetime_timeline`` read it.

    :meth:`record` is the listener (``Machine.timeline`` subscribes it); it turns each event into
    a row begun, marked or ended with :meth:`begin`, :meth:`mark` and :meth:`end`.
    """

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
        self._buffer_keys: dict[int, tuple] = {}  # each live IRP buffer's key, by address
        self._buffer_serial = itertools.count()  # a reused address is a new buffer, a new line
        self._handlers = {
            Event.DDI_CALLED: self._ddi_called,
            Event.OBJECT_CREATED: self._object_created,
            Event.OBJECT_DESTROYED: self._object_destroyed,
            Event.REQUEST_PRESENTED: self._request_presented,
            Event.REQUEST_COMPLETED: self._request_completed,
            Event.REQUEST_CANCELLED: self._request_cancelled,
            Event.REQUEST_MEMORY_RETRIEVED: self._request_memory_retrieved,
            Event.REQUEST_MEMORY_INVALIDATED: self._request_memory_invalidated,
            Event.REFERENCE_TAKEN: self._reference_taken,
            Event.REFERENCE_RELEASED: self._reference_released,
            Event.SENT_REQUEST_COMPLETED: self._sent_request_completed,
            Event.IRP_BUFFER_ALLOCATED: self._irp_buffer_allocated,
            Event.IRP_BUFFER_FREED: self._irp_buffer_freed,
            Event.BUG_CHECK: self._bug_check,
        }

    def record(self, event: Event, *values) -> None:
        """The listener: turn one of the machine's events into rows, marks and ends (events
        the picture does not show are ignored)."""
        handler = self._handlers.get(event)
        if handler is not None:
            handler(*values)

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

    # -- what each event means for the rows ------------------------------------------------
    def _ddi_called(self, name: str, handles: tuple) -> None:
        """Mark the first live row among the DDI's handle arguments."""
        for handle in handles:
            row = self._latest.get(handle.value)
            if row is not None and row.end is None:
                self.mark(handle.value, name)
                return

    def _object_created(self, handle, kind: str) -> None:
        """Requests and memory objects get a row; other objects do not."""
        if handle.type_name == "WDFREQUEST":
            self.begin(handle.value, repr(handle), "request", "created")
        elif handle.type_name == "WDFMEMORY":
            self.begin(handle.value, f"{handle!r} ({kind})", "memory", "created")

    def _object_destroyed(self, handle) -> None:
        self.end(handle.value, "destroyed")

    def _request_presented(self, request, major: str, requestor_mode: int) -> None:
        caller = "the application" if requestor_mode == UserMode else "a driver"  # KernelMode
        self.begin(request.value, repr(request), "request", f"{major} from {caller}")

    def _request_completed(self, request) -> None:
        self.end(request.value, "completed: handle invalid")

    def _request_cancelled(self, request, how: str) -> None:
        """Marked on the request's row; a request cancelled before the driver saw it gets a
        row of its own here, which its completion ends."""
        row = self._latest.get(request.value)
        if row is not None and row.end is None:
            self.mark(request.value, f"cancelled: {how}")
        else:
            self.begin(request.value, repr(request), "request", f"cancelled: {how}")

    def _request_memory_retrieved(self, memory, which: str) -> None:
        self.begin(memory.value, f"{which} memory {memory!r}", "memory", "retrieved")

    def _request_memory_invalidated(self, memory) -> None:
        self.end(memory.value, "invalid: request completed")

    def _reference_taken(self, holder, target, role: str) -> None:
        key = ("ref", holder.value, target.value)
        text = f"formatted as {role} of {holder!r}"
        self.begin(key, f"target's reference on {target!r}", "reference", text)

    def _reference_released(self, holder, target) -> None:
        self.end(("ref", holder.value, target.value), "released")

    def _sent_request_completed(self, request, status) -> None:
        self.mark(request.value, f"target completes it: {status.name}")

    def _irp_buffer_allocated(self, address: int, size: int, use: IrpBuffer) -> None:
        key = self._buffer_keys[address] = ("buffer", address, next(self._buffer_serial))
        who = (
            "the caller allocates"
            if use is IrpBuffer.KERNEL_CALLER_BUFFER
            else "I/O manager allocates"
        )
        self.begin(key, f"{BUFFER_LABELS[use]} 0x{address:X}", "buffer", who)

    def _irp_buffer_freed(self, address: int, use: IrpBuffer) -> None:
        if use is IrpBuffer.KERNEL_CALLER_BUFFER:  # wdfkit's caller frees it once its I/O is done
            text = "freed by the caller, its I/O done"
        else:
            done = "unmapped" if use is IrpBuffer.DIRECT_MAPPING else "freed"
            text = f"{done} by IoCompleteRequest"
        self.end(self._buffer_keys.pop(address, None), text)

    def _bug_check(self, code: int, summary: str, where: str) -> None:
        self.crash_text = f"{summary} in {where}"
        self.crash_step = self._event(None, f"*** BUG CHECK {self.crash_text}")

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
