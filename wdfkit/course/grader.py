"""``grade(…)``: run a learner's driver against a seeded, randomized application and judge it.

A seed makes one workload (``random.Random(seed)``): the application opens the device and sends
batches of reads, writes and IOCTLs — the kinds the :class:`Spec` lists, lengths drawn from its
range with 0, odd lengths and the largest among them — some synchronous, some overlapped; the
lower device is fast or slow (its ``latency``) and, where the spec allows, fails a batch
(``fail_status``); the application cancels what it has outstanding (``CancelIo``), closes its
handle with I/O outstanding (``CloseHandle``, then opens the device again), and the PnP manager
removes the device, orderly or by surprise, with I/O outstanding; then the driver is unloaded.
Between batches the application is sometimes idle for :data:`IDLE_SECONDS` (1.5 to 2.5 virtual
seconds, longer than a one-second timer's period, so a driver's timer ticks with no new request
in the driver): always after a batch it ended with CancelIo or CloseHandle, always before the
removal (after the batch before it) or, without one, before the handle is closed and the driver
unloaded, and after any other batch with the chance :data:`IDLE_CHANCE` (not after the removal:
the driver is unloaded next).  That is what finds a driver that keeps a request it has completed
(a cancel routine that completes a held request but leaves it where the timer looks): the timer's
next tick uses the dead handle, 0x10D/0x5.  Without idle time the next batch's first request
would take the dead one's place before the timer ticked, and the bug would go unseen.
All of it runs on a fresh :class:`~wdfkit.sim.machine.Machine` with Driver Verifier and KMDF
Verifier on, as a developer tests a driver.

Per seed the grader checks, in the order things happen:

* no bug check (a leak Driver Verifier finds at unload is one: 0xC4/0x62);
* every request the application sent is completed, with the status, ``Information`` and data
  (the bytes the application's buffer holds afterwards) that the spec's ``expect`` gives;
* nothing is left pending: a synchronous call that never returns, a batch not finished within
  :data:`BATCH_WAIT` virtual seconds, or a removal or unload that cannot finish (wdfkit's
  RuntimeError) is "not completed";
* no framework object left at unload (KMDF Verifier's FxPoolDump list): "leak at unload";
* no KMDF Verifier debug break in the log (on a developer's machine, with a kernel debugger
  attached, the machine stops in the debugger there): "KMDF Verifier break".

A Python exception from the driver's code stops its machine (Machine.run_callback); the grader
reports it as "driver raised <name>" and goes no further.  A DriverEntry or EvtDriverDeviceAdd
that fails, and an open the driver refuses, end the seed too.  The first failing seed ends the
run; the :class:`Report` says why, shows it, and gives the line that runs that seed again.

Zero-length reads and writes never reach the driver: KMDF completes them with STATUS_SUCCESS
and Information 0 when the queue does not set AllowZeroLengthRequests
(FxIoQueue::DispatchRequestToDriver and FxIoQueue::GetRequest, fxioqueue.cpp), and so does
wdfkit (FxIoQueue._present); the ready-made specs expect exactly that.  IOCTLs of length 0 do
reach the driver.

What grade cannot test: it never makes a DDI fail (no failed format, send or allocation), so a
driver's paths for those failures never run; and the simulator serializes what Windows runs at
the same time (a cancel that arrives while the timer holds the queue's lock:
WdfRequestUnmarkCancelable never returns STATUS_CANCELLED there), so such races never happen.
A PASSED is evidence, not proof: read your error paths yourself.

Simplified: one application thread sends everything; the lower device is wdfkit's
(:mod:`wdfkit.kernel.lowerdevice`: its data is ``pattern(length)``); a batch's lower-device
behaviour is set before it is sent and holds until all of it is done.
"""

import itertools
import random
import re
from collections import deque
from dataclasses import dataclass, field

from ..kernel.bugcheck import BugCheck, MachineHalted
from ..kernel.clock import TICKS_PER_SECOND
from ..kernel.lowerdevice import pattern
from ..kernel.ntstatus import (
    NT_SUCCESS,
    NTSTATUS,
    STATUS_CANCELLED,
    STATUS_DEVICE_BUSY,
    STATUS_IO_DEVICE_ERROR,
    STATUS_PENDING,
    STATUS_SUCCESS,
)
from ..kernel.text import fill, width
from ..language import N_, _, both, either, listed
from ..sim.machine import RUNNING, STOPPED, Machine

OPERATIONS = ("read", "write", "ioctl")
"""The kinds of request a workload may send."""

DEFAULT_SEEDS = tuple(range(16))
"""The seeds ``grade`` runs when it is given none: enough variety, within its time budget."""

BATCH_WAIT = 30.0
"""Virtual seconds a batch of overlapped requests may take to complete (the lower device's
slowest latency is 0.05 s; lesson 12's timer holds a read for at most a second)."""

HANG_LIMIT = 60.0
"""Virtual seconds one synchronous wait (a synchronous call, CancelIo, a removal) may run with
work still scheduled before the grader calls it a hang (Machine.HANG_LIMIT, for this machine)."""

HANG_ACTIONS = 5_000
"""Clock actions one synchronous wait may run before the grader calls it a hang
(Machine.HANG_ACTIONS, for this machine): bounds a driver whose timer never completes."""

LATENCIES = (0.0, 0.0005, 0.002, 0.05)
"""The lower device's latencies a seed draws from: at once, fast, slow."""

LOWER_FAILURES = (STATUS_IO_DEVICE_ERROR, STATUS_DEVICE_BUSY)
"""What the lower device fails a batch with, when the spec allows faults."""

IDLE_SECONDS = (1.5, 2.5)
"""How long the application stays idle between batches, drawn uniformly (to the millisecond):
more than one period of lesson 12's one-second timer, less than two and a half."""

IDLE_CHANCE = 0.3
"""The chance that the application is idle after a batch that no rule makes it idle after
(see the module docstring)."""

ENDING_DELAY = 0.7
"""One of the delays before the application cancels, closes or the device is removed: long
enough for a one-second timer (lesson 12's) to tick first in some seeds and not in others."""

SENTINEL = 0xCD
"""Every byte of an application's buffer before the call: what was not written shows."""

DRIVER_NAME = "Graded"
"""The service name the graded driver is loaded under (its default pool tag: 'Grad')."""

LOG_LINES = 14
"""How many log lines a failure report shows (the last ones; ``Report.full_log()`` has all)."""

TIMELINE_ROWS = 16
"""How many of the application's actions a failure report shows (the last ones, up to the
failure; ``Report.full_actions()`` has all)."""

QUEUE_CALLBACKS = (
    "EvtIoDefault",
    "EvtIoRead",
    "EvtIoWrite",
    "EvtIoDeviceControl",
    "EvtIoInternalDeviceControl",
    "EvtIoStop",
    "EvtIoResume",
    "EvtIoCanceledOnQueue",
)
"""The WDF_IO_QUEUE_CONFIG callbacks a report names, in the structure's order."""

LEAKS_SHOWN = 8
"""How many leaked objects a "leak at unload" report names (a driver may leak thousands)."""

MOST_SEEDS = 10_000
"""The most seeds one ``grade`` call runs (a simple driver takes a few milliseconds a seed)."""

_KIND_OF = {"read": N_("read of {length} B"), "write": N_("write of {length} B")}
"""An Operation's read or write, as a report describes it."""

_PLURALS = {"read": N_("reads"), "write": N_("writes"), "ioctl": N_("IOCTLs")}
"""The kinds of request, as a spec's name counts them."""

_ENDINGS = {"surprise removal": N_("surprise removal"), "removal": N_("removal")}
"""What ended a batch, in words (CancelIo and CloseHandle are named by their API)."""

_REASONS = {
    "leak at unload": N_("leak at unload"),
    "wrong status": N_("wrong status"),
    "wrong Information": N_("wrong Information"),
    "wrong data": N_("wrong data"),
    "not completed": N_("not completed"),
    "device add failed": N_("device add failed"),
    "DriverEntry failed": N_("DriverEntry failed"),
    "open failed": N_("open failed"),
    "KMDF Verifier break": N_("KMDF Verifier break"),
}
"""The reasons a report names, in words (:attr:`Report.reason` keeps the English one)."""


def _ending_text(ending: str) -> str:
    return _(_ENDINGS[ending]) if ending in _ENDINGS else ending


def reason_text(reason: str) -> str:
    """*reason* (a :attr:`Report.reason`, kept in English for programs to compare) as the
    report says it, in the learner's language."""
    if reason in _REASONS:
        return _(_REASONS[reason])
    if reason.startswith("bug check "):
        return _("bug check {code}").format(code=reason[len("bug check ") :])
    if reason.startswith("driver raised "):
        return _("driver raised {name}").format(name=reason[len("driver raised ") :])
    return reason


@dataclass(frozen=True)
class Expected:
    """What the application must see for one request; a field left None is not checked.

    *status*: an NTSTATUS, or a tuple of them (any one will do).  *information*: the
    IO_STATUS_BLOCK's Information.  *data*: the bytes the application's buffer must start with
    after completion (a read's or an IOCTL's output buffer).
    """

    status: object = None
    information: int | None = None
    data: bytes | None = None

    def __post_init__(self) -> None:
        statuses = self.status if isinstance(self.status, tuple) else (self.status,)
        for status in statuses:
            if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
                raise TypeError(
                    "Expected: status must be an NTSTATUS, a tuple of them, or None, "
                    f"not {type(status).__name__}"
                )
        if self.information is not None and (
            isinstance(self.information, bool) or not isinstance(self.information, int)
        ):
            raise TypeError("Expected: information must be an int or None")
        if self.data is not None and not isinstance(self.data, (bytes, bytearray)):
            raise TypeError("Expected: data must be bytes or None")

    def statuses(self) -> tuple:
        """The statuses it accepts (empty: any)."""
        if self.status is None:
            return ()
        return self.status if isinstance(self.status, tuple) else (self.status,)

    def mismatch(self, status, information: int, data: bytes) -> str:
        """The first of a completed request's *status*, *information* and output *data* that
        this does not allow: "status", "Information" or "data"; "" when it allows all three."""
        if self.statuses() and status not in self.statuses():
            return "status"
        if self.information is not None and information != self.information:
            return "Information"
        if self.data is not None and data[: len(self.data)] != self.data:
            return "data"
        return ""

    def __str__(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(either([_status_text(s) for s in self.statuses()]))
        if self.information is not None:
            parts.append(_("Information {information}").format(information=self.information))
        if self.data is not None:
            parts.append(_("data {data}").format(data=_bytes_text(self.data)))
        return listed(parts) or _("anything")


@dataclass
class Operation:
    """One request of a workload, as ``expect`` sees it.

    *step* numbers the requests of a seed from 0; *kind* is "read", "write" or "ioctl";
    *length* the read's length, the write's, or the IOCTL's output length; *input* the bytes a
    write or an IOCTL sends; *code* the IOCTL's control code (None otherwise); *overlapped*
    whether the application went on while it was in flight; *latency* and *fail_status* how
    the lower device behaved while it was in flight (fail_status None: it succeeded);
    *ended_by* what the application (or the PnP manager) did to it while it was outstanding:
    "CancelIo", "CloseHandle", "surprise removal", "removal", or None; *cancelled* is True for
    any of them.
    """

    step: int
    kind: str
    length: int
    input: bytes = b""
    code: int | None = None
    overlapped: bool = False
    latency: float = 0.0
    fail_status: NTSTATUS | None = None
    ended_by: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.ended_by is not None

    def __str__(self) -> str:
        return self.describe()

    def describe(self, lower: bool = True) -> str:
        """One line: the step, what was sent, how, what ended it; with *lower*, how the lower
        device behaved."""
        if self.kind == "ioctl":
            what = _("IOCTL 0x{code:X}, in {input} B, out {output} B").format(
                code=self.code, input=len(self.input), output=self.length
            )
        elif self.kind in _KIND_OF:
            what = _(_KIND_OF[self.kind]).format(length=self.length)
        else:
            what = f"{self.kind} of {self.length} B"
        how = _("overlapped") if self.overlapped else _("synchronous")
        text = _("step {step}: {what}, {how}").format(step=self.step, what=what, how=how)
        if self.ended_by:
            text = _("{request}, then {ending}").format(
                request=text, ending=_ending_text(self.ended_by)
            )
        if lower:
            latency = _latency_text(self.latency)
            if self.fail_status is not None:
                text = _("{request} (lower device {latency}, failing with {status})").format(
                    request=text, latency=latency, status=self.fail_status.name
                )
            else:
                text = _("{request} (lower device {latency})").format(request=text, latency=latency)
        return text


@dataclass(frozen=True)
class Spec:
    """What the application must see from the driver under test, and what the workload does.

    *name*: one line saying what the driver must do (the report shows it).
    *expect*: ``expect(op) -> Expected`` (or a tuple of Expected: any one will do) for each
    :class:`Operation`.
    *operations*: the kinds of request to send, from ("read", "write", "ioctl").
    *sizes*: ``(smallest, largest)`` buffer length, both included; the smallest (0 by
    default), the largest and odd lengths are among those drawn.
    *ioctl_codes*: the control codes IOCTLs use (needed when "ioctl" is an operation).
    *lower_faults*: the lower device fails some batches (``fail_status``).
    *cancels*, *closes*, *removal*: the application cancels outstanding I/O (CancelIo), closes
    its handle with I/O outstanding, and the device is removed (orderly or surprise) with I/O
    outstanding.
    *requests*: about how many requests a seed sends.
    *call*: how the reproduce line spells this spec (``FORWARD_READS``, ``bug.spec``).
    *describe*: ``describe() -> str``, the name in the learner's language of the moment (the
    ready-made specs give it; without it a report shows *name*).
    """

    name: str
    expect: object
    operations: tuple = ("read",)
    sizes: tuple = (0, 64)
    ioctl_codes: tuple = ()
    lower_faults: bool = True
    cancels: bool = False
    closes: bool = False
    removal: bool = False
    requests: int = 12
    call: str = "spec"
    describe: object = field(default=None, repr=False, compare=False)

    def title(self) -> str:
        """The name as a report shows it: in the learner's language for a ready-made spec
        (*describe* says it), else *name* as given."""
        return self.describe() if self.describe is not None else self.name

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError("Spec: name must be a non-empty str")
        if self.describe is not None and not callable(self.describe):
            raise TypeError("Spec: describe must be a function describe() -> str, or None")
        if not callable(self.expect):
            raise TypeError(
                "Spec: expect must be a function expect(op) -> Expected, "
                f"not {type(self.expect).__name__}"
            )
        operations = tuple(self.operations) if isinstance(self.operations, (tuple, list)) else ()
        if not operations or any(op not in OPERATIONS for op in operations):
            raise ValueError(f"Spec: operations must be a non-empty tuple from {OPERATIONS}")
        object.__setattr__(self, "operations", operations)
        sizes = self.sizes
        if (
            not isinstance(sizes, (tuple, list))
            or len(sizes) != 2
            or any(isinstance(s, bool) or not isinstance(s, int) for s in sizes)
            or not 0 <= sizes[0] <= sizes[1] <= 1 << 20
        ):
            raise ValueError(
                "Spec: sizes must be (smallest, largest), two ints with "
                f"0 <= smallest <= largest <= {1 << 20}, not {sizes!r}"
            )
        object.__setattr__(self, "sizes", tuple(sizes))
        codes = tuple(self.ioctl_codes) if isinstance(self.ioctl_codes, (tuple, list)) else None
        if codes is None or any(
            isinstance(c, bool) or not isinstance(c, int) or not 0 <= c <= 0xFFFFFFFF for c in codes
        ):
            raise ValueError("Spec: ioctl_codes must be a tuple of ULONG control codes")
        if "ioctl" in operations and not codes:
            raise ValueError("Spec: an 'ioctl' operation needs ioctl_codes")
        object.__setattr__(self, "ioctl_codes", codes)
        for flag in ("lower_faults", "cancels", "closes", "removal"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"Spec: {flag} must be True or False")
        if (
            isinstance(self.requests, bool)
            or not isinstance(self.requests, int)
            or not 1 <= self.requests <= 1000
        ):
            raise ValueError("Spec: requests must be an int from 1 to 1000")
        if not isinstance(self.call, str) or not self.call:
            raise TypeError("Spec: call must be a non-empty str")


# -- the ready-made specs ------------------------------------------------------------------------
def _cancel_alternative(op: Operation, expected: Expected):
    """A cancelled request may have finished first: the normal answer, or STATUS_CANCELLED
    with Information 0."""
    if not op.cancelled:
        return expected
    return (expected, Expected(STATUS_CANCELLED, 0))


def expect_forwarded(op: Operation):
    """The application sees exactly what the lower device returns (see the module docstring
    for zero lengths): a read or an IOCTL gets ``pattern(length)`` and Information = length; a
    write Information = its length; a failing lower device its status with Information 0; a
    cancelled request STATUS_CANCELLED with Information 0 (or its normal answer, if it won
    the race)."""
    if op.kind != "ioctl" and op.length == 0:  # a purge may cancel it before it is presented
        return _cancel_alternative(op, Expected(STATUS_SUCCESS, 0))
    if op.fail_status is not None:
        return _cancel_alternative(op, Expected(op.fail_status, 0))
    if op.kind == "write":
        return _cancel_alternative(op, Expected(STATUS_SUCCESS, op.length))
    return _cancel_alternative(op, Expected(STATUS_SUCCESS, op.length, pattern(op.length)))


def forwarding(operations=("read",), ioctl_codes=(), **options) -> Spec:
    """A spec for a driver that passes each request down (itself, or in a request of its own)
    and completes it with what the lower device returned (:func:`expect_forwarded`).

    *options* are Spec's other fields; by default the workload cancels, closes with I/O
    outstanding and removes the device."""
    operations = tuple(operations)

    def describe() -> str:
        kinds = [_(_PLURALS[kind]) if kind in _PLURALS else str(kind) for kind in operations]
        return _("{kinds} forwarded: the application sees what the lower device returns").format(
            kinds=both(kinds)
        )

    if "name" not in options:
        options["name"], options["describe"] = describe(), describe
    for flag in ("cancels", "closes", "removal"):
        options.setdefault(flag, True)
    return Spec(
        expect=expect_forwarded,
        operations=operations,
        ioctl_codes=tuple(ioctl_codes),
        **options,
    )


FORWARD_READS = forwarding(("read",), call="FORWARD_READS")
"""Reads forwarded to the lower device: the application gets ``pattern(length)``, the lower
device's failure status with Information 0, or STATUS_CANCELLED for a cancelled read."""


def answering_reads(data: bytes, *, repeat: bool = False, **options) -> Spec:
    """A spec for a driver that answers every read itself with *data*: as much of it as fits
    (*repeat*: *data* over and over, filling the read), with Information the count copied.

    A cancelled read may come back STATUS_CANCELLED with Information 0.  *options* are Spec's
    other fields (the lower device is not involved, so ``lower_faults`` defaults to False)."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise TypeError("answering_reads: data must be non-empty bytes")
    data = bytes(data)

    def expect_answered(op: Operation):
        if op.length == 0:
            return _cancel_alternative(op, Expected(STATUS_SUCCESS, 0))
        if repeat:
            answer = (data * (op.length // len(data) + 1))[: op.length]
        else:
            answer = data[: op.length]
        return _cancel_alternative(op, Expected(STATUS_SUCCESS, len(answer), answer))

    if "name" not in options:

        def describe() -> str:
            return _("reads answered with {data}").format(data=_data_text(data))

        options["name"], options["describe"] = describe(), describe
    options.setdefault("lower_faults", False)
    return Spec(expect=expect_answered, operations=("read",), **options)


def held_reads(data: bytes, call: str = "held_reads(MY_DATA)") -> Spec:
    """Lesson 12's driver: every read gets as much of *data* as fits, held until a timer
    completes it, cancelable meanwhile; the application cancels, closes with reads held, is
    idle for more than a timer period after each (the timer ticks with no new read), and the
    device is removed with a read held."""

    def describe() -> str:
        return _("reads held for the timer, answered with {data}, cancelable").format(
            data=_data_text(bytes(data))
        )

    return answering_reads(
        data,
        name=describe(),
        describe=describe,
        sizes=(0, 40),
        cancels=True,
        closes=True,
        removal=True,
        requests=8,
        call=call,
    )


# -- the report ---------------------------------------------------------------------------------
@dataclass
class Report:
    """What ``grade`` found: true when the driver passed on every seed.

    *reason* is None when it passed, else one short string naming the first failure's kind:
    "bug check 0x10D/0x3" (the parameter 1 only for 0x10D and 0xC4), "leak at unload",
    "wrong status", "wrong Information", "wrong data", "not completed",
    "driver raised TypeError", "device add failed", "DriverEntry failed", "open failed" or
    "KMDF Verifier break".  *seed* is the first failing seed; *bugcheck* the BugCheck when
    that was the failure; *operation* the request that went wrong, when one did; *detail*
    what went wrong, in words; *log* and *timeline* the lines shown: the framework log's last
    lines and the last of the application's (and the PnP manager's) actions; *reproduce* the
    one line that runs the failing seed again.

    *callbacks* names the driver graded: ``(role, function)`` pairs, its EvtDriverDeviceAdd
    (or DriverEntry) and the callbacks its queues and timers were given, read from the machine
    after the device was added.  *warning*, when not empty, heads the report (an exercise's
    ``grade`` sets it when the callbacks are not that exercise's).  *machine* is the failing
    seed's machine (None when it passed): :meth:`full_log` and :meth:`full_actions` show
    what the report leaves out.
    """

    spec: Spec
    seeds: tuple
    seeds_run: tuple = ()
    requests: int = 0
    reason: str | None = None
    seed: int | None = None
    bugcheck: BugCheck | None = None
    operation: Operation | None = None
    detail: str = ""
    log: tuple = ()
    timeline: tuple = ()
    reproduce: str = ""
    callbacks: tuple = ()
    warning: str = ""
    actions: tuple = field(default=(), repr=False)
    machine: Machine | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.reason is None

    def full_log(self) -> str:
        """Every line of the failing seed's framework log (the report shows the last ones)."""
        if self.machine is None:
            return _("(no failing seed: nothing to show)")
        return "\n".join(self.machine.log_lines())

    def full_actions(self) -> str:
        """Every action of the failing seed's application and PnP manager, with its time
        (the report shows the last ones)."""
        if not self.actions:
            return _("(no failing seed: nothing to show)")
        return "\n".join(self.actions)

    def graded(self) -> str:
        """One line: the driver graded, by the names of its functions."""
        if not self.callbacks:
            return _("Graded: (unknown: no seed got as far as adding the device)")
        entry, *rest = self.callbacks
        if rest:
            return _("Graded: {entry}, which set up {callbacks}.").format(
                entry=_callback_text(*entry),
                callbacks=listed([_callback_text(*pair) for pair in rest]),
            )
        return _("Graded: {entry}.").format(entry=_callback_text(*entry))

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        seeds = _seeds_text(self.seeds)
        head = [fill(self.warning), ""] if self.warning else []
        if self.passed:
            return "\n".join(
                head
                + [
                    fill(
                        _(
                            "PASSED: {name}. {count} seeds ({seeds}), {requests} requests: no "
                            "bug check, every request completed as expected, nothing pending, "
                            "nothing leaked at unload (Driver Verifier and KMDF Verifier on)."
                        ).format(
                            name=self.spec.title(),
                            count=len(self.seeds_run),
                            seeds=seeds,
                            requests=self.requests,
                        )
                    ),
                    fill(self.graded(), "", "    "),
                ]
            )
        if self.seeds_run == self.seeds:
            seeds_line = _("Seeds run: {run}; seed {seed} failed.").format(
                run=_seeds_text(self.seeds_run), seed=self.seed
            )
        else:
            seeds_line = _(
                "Seeds run: {run} of {seeds}; seed {seed} is the first that failed (grade stops "
                "there)."
            ).format(run=_seeds_text(self.seeds_run), seeds=seeds, seed=self.seed)
        lines = head + [
            fill(
                _("FAILED: {reason}, seed {seed}. Spec: {name}.").format(
                    reason=reason_text(self.reason), seed=self.seed, name=self.spec.title()
                )
            ),
            fill(self.graded(), "", "    "),
            fill(seeds_line),
            "",
        ]
        if self.operation is not None:
            request = self.operation.describe(lower=self.spec.lower_faults)
            lines.append(fill(_("Request: {request}").format(request=request), "", "    "))
        if self.bugcheck is not None:
            lines.append(self.bugcheck.blue_screen())
        if self.detail:
            lines.append(self.detail)
        total = len(self.machine.log_lines()) if self.machine is not None else len(self.log)
        left_out = total - len(self.log)
        if left_out:
            log = _("Log, the last lines ({count} earlier left out; full_log() gives all):")
        else:
            log = _("Log:")
        lines += ["", fill(log.format(count=left_out), "", "    ")]
        lines += list(self.log) or ["    " + _("(empty)")]
        left_out = len(self.actions) - len(self.timeline)
        if left_out > 0:
            actions = _(
                "The application's actions, the last ({count} earlier left out; full_actions() "
                "gives all):"
            )
        else:
            actions = _("The application's actions (and the PnP manager's):")
        lines += ["", fill(actions.format(count=left_out), "", "    ")]
        lines += list(self.timeline)
        lines += ["", _("Reproduce: {call}").format(call=self.reproduce)]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))


# -- running a seed -----------------------------------------------------------------------------
class _Failure(Exception):
    """A seed failed: *reason* and what to show."""

    def __init__(self, reason: str, detail: str = "", operation: Operation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.operation = operation


class _WatchedLog(deque):
    """A graded machine's framework log, which keeps the first KMDF Verifier debug break
    written to it: the log is a ring of Machine's *log_size* lines, and a driver that logs
    much after the break (objects created in a loop) would push it out before the grader
    looks."""

    def __init__(self, log: deque) -> None:
        super().__init__(maxlen=log.maxlen)
        self.first_break: str | None = None
        """The first debug break's line, formatted; None while there is none."""
        for entry in log:
            self.append(entry)

    def append(self, entry: tuple) -> None:
        super().append(entry)
        _ticks, _irql, text, args = entry
        if self.first_break is None and "debug break)" in text:
            line = text % args if args else text
            if "(no debug break)" not in line:
                self.first_break = line


class _Sent:
    """One request in flight: its operation, the application's buffer, its PendingIo."""

    __slots__ = ("op", "buffer", "io", "result", "row")

    def __init__(self, op: Operation, buffer: bytearray) -> None:
        self.op = op
        self.buffer = buffer
        self.io = None
        self.result = None
        self.row = -1


class _Run:
    """One seed's workload on one machine."""

    def __init__(self, driver_add, driver_entry, spec: Spec, seed: int) -> None:
        self.driver_add = driver_add
        self.driver_entry = driver_entry
        self.spec = spec
        self.seed = seed
        self.rng = random.Random(seed)
        # the idle periods draw from a stream of their own, so that they change neither which
        # requests a seed sends nor how
        self.idle_rng = random.Random(f"idle {seed}")
        self.machine: Machine | None = None
        self.handle = None
        """The application's open handle to the device (it opens it again after CloseHandle)."""
        self.timeline: list[str] = []
        self.callbacks: tuple = ()
        self.in_flight: list[_Sent] = []  # requests sent and not seen done yet
        self.requests = 0
        self.step = 0

    # -- the timeline --------------------------------------------------------------------
    def note(self, text: str) -> int:
        """Add a timeline row, stamped with the virtual time; its index."""
        seconds = 0.0 if self.machine is None else self.machine.clock.seconds
        self.timeline.append(f"  {seconds:10.6f}s  {text}")
        return len(self.timeline) - 1

    def note_result(self, sent: _Sent) -> None:
        """Write the request's result into its timeline row."""
        if sent.row >= 0 and sent.result is not None:
            status, information = sent.result
            self.timeline[sent.row] += f"  -> {_status_text(status)}, {information}"

    # -- the workload --------------------------------------------------------------------
    def run(self) -> None:
        """Load, open, send the batches (idle between some), end with a removal or a close,
        unload; then the checks at unload."""
        self.load()
        machine, spec = self.machine, self.spec
        with machine:
            self.handle = self.open()
            latency = self.rng.choice(LATENCIES)
            batches = max(1, spec.requests // 2)
            for batch in range(batches):
                last = batch == batches - 1
                removing = last and spec.removal
                ending = self.batch(latency, removal=removing)
                if not removing and self.idle_after(batch, batches, ending):
                    self.idle()
            if not spec.removal:
                self.close()
            self.note(_("the driver is unloaded"))
            try:
                machine.unload()
            except RuntimeError as error:
                raise _Failure(
                    "not completed", fill(_("Unload: {error}").format(error=error), "    ", "    ")
                ) from None
        self.check_breaks()
        if machine.objects:
            raise _Failure("leak at unload", _leaked_text(list(machine.objects.values())))

    def load(self) -> None:
        """Load the driver (its DriverEntry, or a WDFDRIVER the machine makes) with both
        verifiers on, and let the PnP manager add its device."""
        if self.driver_entry is not None:
            self.note("DriverEntry")
        try:
            self.machine = Machine(
                DRIVER_NAME,
                verifier=True,
                kmdf_verifier=True,
                seed=self.seed,
                DriverEntry=self.driver_entry,
            )
        except (TypeError, ValueError, RuntimeError) as error:
            if _from_driver(error):
                raise
            # Machine._load: a DriverEntry that returned no NTSTATUS, or success without
            # WdfDriverCreate
            raise _Failure("DriverEntry failed", fill(str(error), "    ", "    ")) from None
        machine = self.machine
        machine.log = _WatchedLog(machine.log)
        machine.HANG_LIMIT = HANG_LIMIT
        machine.HANG_ACTIONS = HANG_ACTIONS
        if not NT_SUCCESS(machine.load_status):
            raise _Failure(
                "DriverEntry failed",
                "    " + _("DriverEntry returned {status}").format(status=machine.load_status),
            )
        if self.driver_add is None and machine.driver.device_add is None:
            raise ValueError(
                "grade: the driver's WDF_DRIVER_CONFIG names no EvtDriverDeviceAdd; grade runs "
                "PnP drivers (the PnP manager adds one device), not non-PnP ones"
            )
        self.note(_("the PnP manager adds the device"))
        with machine:
            status = machine.add_device(self.driver_add)
        self.callbacks = driver_callbacks(machine, self.driver_add, self.driver_entry)
        if not NT_SUCCESS(status):
            raise _Failure(
                "device add failed",
                "    "
                + _("EvtDriverDeviceAdd (or the start) returned {status}").format(status=status),
            )

    def idle_after(self, batch: int, batches: int, ending: "str | None") -> bool:
        """Whether the application is idle after *batch* (of *batches*; the removal's batch is
        never asked), which *ending* ended: the rules of the module docstring, else by chance
        (:data:`IDLE_CHANCE`, drawn only when no rule decides)."""
        spec = self.spec
        return (
            ending in ("CancelIo", "CloseHandle")
            or (batch == batches - 1 and not spec.removal)
            or (spec.removal and batch == batches - 2)
            or self.idle_rng.random() < IDLE_CHANCE
        )

    def idle(self) -> None:
        """The application sends nothing for a while (:data:`IDLE_SECONDS`): the driver's
        timers and DPCs run with no new request arriving."""
        seconds = round(self.idle_rng.uniform(*IDLE_SECONDS), 3)
        self.note(_("the application is idle for {seconds:g} s").format(seconds=seconds))
        self.machine.advance(seconds)
        self.check_breaks()

    def batch(self, latency: float, removal: bool) -> "str | None":
        """Send 1 to 3 requests, perhaps end them (CancelIo, CloseHandle or, with *removal*,
        the device's removal), wait for all of them and check each; what ended them, or None."""
        machine, rng, spec = self.machine, self.rng, self.spec
        lower = machine.lower_device
        fail = None
        if spec.lower_faults and rng.random() < 0.25:
            fail = rng.choice(LOWER_FAILURES)
        if lower is not None:
            lower.latency = latency
            lower.fail_status = fail
        count = rng.randint(1, 3)
        sync_allowed = not removal
        sent = []
        for _request in range(count):
            op = self.operation(latency, fail, overlapped=not sync_allowed or rng.random() < 0.6)
            item = self.send(op)
            sent.append(item)
        outstanding = [s for s in sent if s.io is not None and not s.io.done]
        ending = None
        choice = rng.random()
        if removal:
            ending = "surprise removal" if rng.random() < 0.5 else "removal"
        elif spec.cancels and choice < 0.35:
            ending = "CancelIo"
        elif spec.closes and 0.35 <= choice < 0.55:
            ending = "CloseHandle"
        if ending is not None:
            if outstanding:  # at once, half-way through the lower device's latency, or later
                machine.advance(rng.choice((0.0, latency / 2, ENDING_DELAY)))
            outstanding = [s for s in outstanding if not s.io.done]
            for item in outstanding:
                item.op.ended_by = ending
            self.end(ending, len(outstanding))
        waited = [s for s in sent if s.result is None]
        self.wait(waited)
        self.check_breaks()
        for item in waited:
            self.check(item)
        return ending

    def check_breaks(self) -> None:
        """A KMDF Verifier debug break in the log fails the seed: on the developer's machine
        (a kernel debugger attached) the machine stops in the debugger there."""
        line = self.machine.log.first_break
        if line is not None:
            raise _Failure("KMDF Verifier break", fill(line, "    ", "    "))

    def operation(self, latency, fail, overlapped: bool) -> Operation:
        """The next request, drawn from the seed: its kind, its length and, for a write or an
        IOCTL, its input bytes (and the IOCTL's code)."""
        rng, spec = self.rng, self.spec
        kind = rng.choice(spec.operations)
        op = Operation(
            self.step,
            kind,
            self.length(),
            overlapped=overlapped,
            latency=latency,
            fail_status=fail,
        )
        self.step += 1
        if kind == "write":
            op.input = rng.randbytes(op.length)
        elif kind == "ioctl":
            op.code = rng.choice(spec.ioctl_codes)
            op.input = rng.randbytes(self.length())
        return op

    def length(self) -> int:
        """A buffer length from the spec's sizes: the smallest with chance 0.15, the largest
        with 0.10, else any of them."""
        low, high = self.spec.sizes
        draw = self.rng.random()
        if draw < 0.15:
            return low
        if draw < 0.25:
            return high
        return self.rng.randint(low, high)

    def send(self, op: Operation) -> _Sent:
        """Send *op*; a synchronous call waits for it here, as the application's thread would.

        Every call goes out overlapped and a synchronous one is waited for at once, which is
        what FileHandle._send does for a call without *overlapped* (wdfkit.kernel.iomanager);
        the PendingIo then tells the grader whether it completed, so that a driver that
        completes a request with STATUS_PENDING gets "wrong status", not "never returned"."""
        self.requests += 1
        buffer = bytearray([SENTINEL]) * (op.length if op.kind != "write" else 0)
        item = _Sent(op, buffer)
        item.row = self.note(op.describe(lower=False))
        handle = self.handle
        if op.kind == "read":
            item.io = handle.ReadFile(buffer, overlapped=True)
        elif op.kind == "write":
            item.io = handle.WriteFile(op.input, overlapped=True)
        else:
            item.io = handle.DeviceIoControl(op.code, op.input, buffer, overlapped=True)
        self.in_flight = [s for s in self.in_flight if not s.io.done] + [item]
        if not op.overlapped:
            item.io.wait()
            if not item.io.done:
                item.result = (STATUS_PENDING, 0)
                self.note_result(item)
                held = self.held_by_driver(self.in_flight)
                if held is None or held is item:
                    if held:
                        text = _(
                            "The synchronous call never returned: the driver holds it (presented "
                            "to it) and did not complete it ({hang})."
                        )
                    else:
                        text = _(
                            "The synchronous call never returned: the driver did not complete it "
                            "({hang})."
                        )
                    raise _Failure(
                        "not completed",
                        fill(text.format(hang=self.machine.hang_reason()), "    ", "    "),
                        op,
                    )
                text = _(
                    "The driver holds this request (presented to it) and never completed it. "
                    "Step {step}, a synchronous call sent after it, waits behind it and never "
                    "returned ({hang})."
                ).format(step=op.step, hang=self.machine.hang_reason())
                raise _Failure("not completed", fill(text, "    ", "    "), held.op)
        if item.io.done:  # judged now: the log ends where it completed
            status = item.io.IoStatus
            item.result = (status.Status, status.Information)
            self.note_result(item)
            self.check_breaks()
            self.check(item)
        return item

    def end(self, ending: str, outstanding: int) -> None:
        """End a batch with *outstanding* requests in flight: CancelIo, CloseHandle (and open
        again), or the device's removal (orderly or surprise; then the handle is closed)."""
        machine = self.machine
        if outstanding:
            self.note(
                _("{ending} with {count} request(s) outstanding").format(
                    ending=_ending_text(ending), count=outstanding
                )
            )
        else:
            self.note(_ending_text(ending))
        if ending == "CancelIo":
            self.handle.CancelIo()
        elif ending == "CloseHandle":
            self.handle.CloseHandle()
            self.handle = self.open()
            self.note(_("the application opens the device again"))
        else:
            try:
                machine.remove_device(surprise=ending == "surprise removal")
            except RuntimeError as error:
                raise _Failure(
                    "not completed", fill(_("Removal: {error}").format(error=error), "    ", "    ")
                ) from None
            self.close()

    def open(self):
        """The application opens the device (``machine.application()``): a device that asks
        for a file object gets IRP_MJ_CREATE, which the driver may fail."""
        try:
            return self.machine.application()
        except RuntimeError as error:
            if self.machine.state != RUNNING:
                raise
            raise _Failure("open failed", fill(str(error), "    ", "    ")) from None

    def close(self) -> None:
        """The application closes its handle."""
        self.note("CloseHandle")
        self.handle.CloseHandle()

    def wait(self, sent: list) -> None:
        """Wait up to :data:`BATCH_WAIT` virtual seconds for the overlapped requests in *sent*;
        "not completed" names the first one still pending."""
        machine = self.machine
        pending = [s for s in sent if s.io is not None]

        def finished() -> bool:
            return all(s.io.done for s in pending)

        if not finished():
            machine.wait_for(finished, BATCH_WAIT * TICKS_PER_SECOND, "the grader's batch")
        for item in pending:
            if item.io.done:
                status = item.io.IoStatus
                item.result = (status.Status, status.Information)
                self.note_result(item)
        stuck = [item for item in pending if not item.io.done]
        if stuck:
            held = self.held_by_driver(stuck)
            if held is not None:
                text = _(
                    "Still pending {seconds:g} virtual seconds after it was sent: the driver holds "
                    "it (presented to it) and never completed it."
                )
            else:
                text = _(
                    "Still pending {seconds:g} virtual seconds after it was sent: the driver never "
                    "completed it."
                )
            raise _Failure(
                "not completed",
                fill(text.format(seconds=BATCH_WAIT), "    ", "    "),
                (held or stuck[0]).op,
            )

    def held_by_driver(self, items: list) -> "_Sent | None":
        """The first of *items* (overlapped, not done) whose request a queue presented to the
        driver and the driver has not completed: the one to blame for what waits behind it."""
        for item in items:
            if item.io is not None and not item.io.done:
                if self.machine.describe_irp(item.io.irp).endswith("owned by the driver)"):
                    return item
        return None

    def check(self, item: _Sent) -> None:
        """Judge a completed request against the answers the spec's ``expect`` allows: one
        that matches none fails, named by how far the closest matched ("wrong status", then
        "wrong Information", then "wrong data")."""
        op = item.op
        expected = self.spec.expect(op)
        choices = expected if isinstance(expected, tuple) else (expected,)
        if not choices or not all(isinstance(c, Expected) for c in choices):
            raise TypeError(
                f"grade: the spec's expect must return an Expected or a tuple of them, "
                f"not {expected!r}"
            )
        status, information = item.result
        got_data = bytes(item.buffer)
        mismatches = [c.mismatch(status, information, got_data) for c in choices]
        if "" in mismatches:
            return
        # the choice that matched furthest names the failure: status, then Information, data
        reason = "wrong " + max(mismatches, key=("status", "Information", "data").index)
        wanted = either([f"({c})" if len(choices) > 1 else str(c) for c in choices])
        got = [
            _status_text(status),
            _("Information {information}").format(information=information),
        ]
        if op.kind != "write" and any(c.data is not None for c in choices):
            got.append(_("data {data}").format(data=_bytes_text(got_data)))
        detail = _labelled(_("Expected: {wanted}"), wanted)
        detail += "\n" + _labelled(_("Got:      {got}"), listed(got))
        raise _Failure(reason, detail, op)


def _labelled(template: str, value: str) -> str:
    """A report's "Expected:" or "Got:" line: *template* (one field, the value, after its
    label) indented four spaces, the value's wrapped lines under its first character.  The
    label is padded in the catalog so that the two values line up; a Chinese label's padding
    after its full-width colon is dropped as fill drops it."""
    label = template[: template.index("{")]
    if any(width(char) == 2 for char in label):
        label = label.rstrip(" ")
    under = "    " + " " * width(label)
    return "    " + label + fill(value, under, under)[len(under) :]


# -- grade ---------------------------------------------------------------------------------------
def grade(EvtDriverDeviceAdd, spec: Spec, seeds=None, *, DriverEntry=None) -> Report:
    """Run the driver against *spec*'s workload for each seed; the :class:`Report` is true
    when it passed on every one (see the module docstring for what is checked).

    *EvtDriverDeviceAdd* is the learner's callback (the PnP manager calls it for one device);
    None with *DriverEntry* loads a whole driver, whose WDF_DRIVER_CONFIG names it.  *seeds*
    is an iterable of ints ≥ 0 (default :data:`DEFAULT_SEEDS`); the first failing seed ends
    the run.
    """
    if EvtDriverDeviceAdd is not None and not callable(EvtDriverDeviceAdd):
        raise TypeError(
            "grade: EvtDriverDeviceAdd must be a function EvtDriverDeviceAdd(Driver, "
            f"DeviceInit) or None, not {type(EvtDriverDeviceAdd).__name__}"
        )
    if DriverEntry is not None and not callable(DriverEntry):
        raise TypeError(
            "grade: DriverEntry must be a function DriverEntry(DriverObject, RegistryPath) "
            f"or None, not {type(DriverEntry).__name__}"
        )
    if EvtDriverDeviceAdd is None and DriverEntry is None:
        raise ValueError("grade: give EvtDriverDeviceAdd, or None and DriverEntry=")
    if not isinstance(spec, Spec):
        raise TypeError(
            f"grade: spec must be a Spec (e.g. FORWARD_READS), not {type(spec).__name__}"
        )
    seeds = _checked_seeds(seeds)
    report = Report(spec, seeds)
    run_seeds = []
    for seed in seeds:
        run_seeds.append(seed)
        run = _Run(EvtDriverDeviceAdd, DriverEntry, spec, seed)
        failure = _run_seed(run)
        report.requests += run.requests
        report.callbacks = run.callbacks or report.callbacks
        if failure is not None:
            _fill_failure(report, run, failure, EvtDriverDeviceAdd, DriverEntry)
            break
    report.seeds_run = tuple(run_seeds)
    return report


def _run_seed(run: _Run) -> "_Failure | BugCheck | None":
    """Run one seed; what stopped it, or None."""
    try:
        run.run()
    except _Failure as failure:
        return failure
    except (BugCheck, MachineHalted) as error:
        machine = run.machine
        if machine is not None and machine.bugcheck is not None:
            return machine.bugcheck
        if isinstance(error, BugCheck):  # while loading: the machine was never handed back
            return error
        if machine is not None and machine.state == STOPPED:
            name = machine.stopped_by.split()[0]
            return _Failure(f"driver raised {name}", fill(f"{machine.stopped_by}", "    ", "    "))
        raise
    except Exception as error:
        machine = run.machine
        stopped = machine is None or machine.state == STOPPED
        if stopped and _from_driver(error):
            name = type(error).__name__
            return _Failure(f"driver raised {name}", fill(f"{name}: {error}", "    ", "    "))
        raise
    return None


def _from_driver(error: Exception) -> bool:
    """The exception escaped one of the driver's callbacks (Machine.run_callback's note)."""
    return any(
        note.startswith("wdfkit: this exception escaped")
        for note in getattr(error, "__notes__", ())
    )


def _fill_failure(report: Report, run: _Run, failure, add, entry) -> None:
    """Fill *report* from the first failing seed's *run*: the reason and what stopped it, the
    log's and the timeline's last lines (without the process-wide machine number), and the
    line that runs the seed again."""
    machine = run.machine
    report.seed = run.seed
    if isinstance(failure, BugCheck):
        code, first = failure.code, failure.parameters[0]
        suffix = f"/0x{first:X}" if code in (0x10D, 0xC4) else ""
        report.reason = f"bug check 0x{code:X}{suffix}"
        report.bugcheck = failure
    else:
        report.reason = failure.reason
        report.detail = failure.detail
        report.operation = failure.operation
    given = [("DriverEntry", entry)] if entry is not None else []
    given += [("EvtDriverDeviceAdd", add)] if add is not None else []
    report.callbacks = run.callbacks or report.callbacks or tuple(given)
    report.machine = machine
    if machine is not None:
        report.log = tuple(fill(line, "    ", " " * 8) for line in machine.log_lines()[-LOG_LINES:])
    if report.bugcheck is not None:
        bugcheck = report.bugcheck
        run.note(f"*** bug check 0x{bugcheck.code:X} {bugcheck.name} in {bugcheck.ddi}")
    elif report.reason.startswith("driver raised") and machine is not None:
        run.note(f"*** {machine.stopped_by or report.reason}")
    report.actions = tuple(_timeline_row(_machine_free(line)) for line in run.timeline)
    report.timeline = report.actions[-TIMELINE_ROWS:]
    report.detail = _machine_free(report.detail)
    report.reproduce = _reproduce_line(add, report.spec, entry, run.seed)


def _timeline_row(line: str) -> str:
    """A timeline row filled for the report: its time right-aligned, its text wrapped under it.
    The row's leading spaces are given to fill as its first indent, so that a row in Chinese
    keeps them as an English one does."""
    text = line.lstrip(" ")
    return fill(text, line[: len(line) - len(text)], " " * 15)


def _reproduce_line(add, spec: Spec, entry, seed: int) -> str:
    """The call that runs *seed* again: ``grade(MyEvtDriverDeviceAdd, FORWARD_READS,
    seeds=[3])``, with ``DriverEntry=`` when the whole driver was graded."""
    parts = [getattr(add, "__name__", "EvtDriverDeviceAdd") if add is not None else "None"]
    parts.append(spec.call)
    if entry is not None:
        parts.append(f"DriverEntry={getattr(entry, '__name__', 'DriverEntry')}")
    parts.append(f"seeds=[{seed}]")
    return f"grade({', '.join(parts)})"


def _leaked_text(leaked: list) -> str:
    """The objects still referenced at unload, as KMDF Verifier's FxPoolDump lists them
    (wdfpool.cpp): the first :data:`LEAKS_SHOWN` by handle, then how many more."""
    names = ", ".join(repr(obj.handle) for obj in leaked[:LEAKS_SHOWN])
    if len(leaked) > LEAKS_SHOWN:
        names = _("{names} and {count} more").format(names=names, count=len(leaked) - LEAKS_SHOWN)
    text = _("KMDF Verifier: still referenced at unload: {names}").format(names=names)
    return fill(text, "    ", "    ")


def driver_callbacks(machine: Machine, add, entry) -> tuple:
    """The driver graded, by its functions: ``(role, function)`` pairs — its DriverEntry or
    EvtDriverDeviceAdd, then the callbacks each of its queues (WDF_IO_QUEUE_CONFIG) and timers
    (WDF_TIMER_CONFIG's EvtTimerFunc) holds, in the order the objects were created."""
    pairs = []
    if entry is not None:
        pairs.append(("DriverEntry", entry))
    add = add if add is not None else getattr(machine.driver, "device_add", None)
    if add is not None:
        pairs.append(("EvtDriverDeviceAdd", add))
    for obj in machine.objects.values():
        if obj.HANDLE_NAME == "WDFQUEUE":
            for role in QUEUE_CALLBACKS:
                function = getattr(obj.config, role, None)
                if function is not None and (role, function) not in pairs:
                    pairs.append((role, function))
        elif obj.HANDLE_NAME == "WDFTIMER" and obj.callback is not None:
            if ("EvtTimerFunc", obj.callback) not in pairs:
                pairs.append(("EvtTimerFunc", obj.callback))
    return tuple(pairs)


_MACHINE_NUMBER = re.compile(r"machine #\d+ ")


def _machine_free(text: str) -> str:
    """Text without the process-wide machine number, so that a report reads the same in every
    run ("machine 'Graded'")."""
    return _MACHINE_NUMBER.sub("machine ", text)


def _checked_seeds(seeds) -> tuple:
    if seeds is None:
        return DEFAULT_SEEDS
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(
            f"grade: seeds must be an iterable of ints (e.g. [17] or range(50)), not "
            f"{type(seeds).__name__}"
        )
    seeds = tuple(itertools.islice(seeds, MOST_SEEDS + 1))  # an endless iterable stops here
    if not seeds:
        raise ValueError("grade: seeds must name at least one seed")
    if len(seeds) > MOST_SEEDS:
        raise ValueError(f"grade: seeds must name at most {MOST_SEEDS} seeds")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"grade: seeds must hold ints, not {type(seed).__name__}")
        if not 0 <= seed < 1 << 32:
            raise ValueError(f"grade: each seed must be from 0 to 0xFFFFFFFF, got {seed}")
    return seeds


# -- text helpers --------------------------------------------------------------------------------
def _status_text(status) -> str:
    name = getattr(status, "name", None)
    return name if name else f"0x{int(status):08X}"


_TEXT_BYTES = frozenset(range(0x20, 0x7F)) | {0, 9, 10, 13}


def _bytes_text(data: bytes, most: int = 12) -> str:
    """Bytes as a report shows them: text as Python's bytes literal, anything else in hex,
    the first *most* of them."""
    if not data:
        return _("(none)")
    if _TEXT_BYTES.issuperset(data) and data.count(0) <= 1:
        more = _("… ({count} bytes)").format(count=len(data)) if len(data) > 2 * most else ""
        return repr(bytes(data[: 2 * most])) + more
    shown = " ".join(f"{b:02x}" for b in data[:most])
    more = " " + _("… ({count} bytes)").format(count=len(data)) if len(data) > most else ""
    return shown + more


def _data_text(data: bytes) -> str:
    """Data as a spec's name shows it: Python's bytes literal, cut at 32 bytes."""
    return repr(data[:32]) + ("…" if len(data) > 32 else "")


def _callback_text(role: str, function) -> str:
    """A callback as a report names it: its function's name, and the role it has when the
    name does not say it ("EvtIoReadWithoutRoutine (EvtIoRead)")."""
    name = getattr(function, "__name__", None) or repr(function)
    return name if name == role else f"{name} ({role})"


def _latency_text(latency: float) -> str:
    if latency == 0:
        return _("at once")
    return _("after {milliseconds:g} ms").format(milliseconds=latency * 1000)


def _seeds_text(seeds: tuple) -> str:
    if len(seeds) > 2 and seeds == tuple(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


__all__ = [
    "DEFAULT_SEEDS",
    "FORWARD_READS",
    "Expected",
    "Operation",
    "Report",
    "Spec",
    "answering_reads",
    "driver_callbacks",
    "expect_forwarded",
    "forwarding",
    "grade",
    "held_reads",
]
