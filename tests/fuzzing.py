"""The hostile learner, automated: what the adversarial tests call and what they accept.

The contract (COURSE.md, issue 15): whatever a learner passes, a public callable answers with a
return value (an NTSTATUS, a handle, …), a :class:`BugCheck` that has stopped its machine, a
:class:`MachineHalted`, or a ``TypeError``/``ValueError``/``RuntimeError`` whose message starts
with the callable's name or the DDI it names (``"WdfMemoryCreate: BufferSize must …"``).
Anything else — AttributeError, KeyError, struct.error, OverflowError, MemoryError, a bug check
that left its machine running, a call that does not return — is a finding.

Two drivers of calls use this module, each in a child process (``python tests/fuzzing.py``)
whose address space is limited (RLIMIT_AS), so that a call that tries to build gigabytes fails
there and not in the test runner, and whose every call has a wall-time limit (SIGALRM):

* ``signatures``: every public callable in ``wdfkit.__all__`` (introspected, so a new DDI is
  covered without editing this file), the public methods of Machine, Application, PMDL and
  PVOID, and PMDL's settable fields, called with each hostile value in each argument position,
  the other positions drawn from the same values by a seeded random generator;
* ``stateful``: tests/test_fuzz_stateful.py's hypothesis state machine.

Findings that belong to other items of issue 15 are listed in :data:`EXPECTED` with the item
number: they are reported, not failed, until those items are merged (then remove the entries).
"""

import inspect
import json
import math
import os
import random
import resource
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import wdfkit  # noqa: E402
from wdfkit import (  # noqa: E402
    BugCheck,
    ExAllocatePoolWithTag,
    IoAllocateMdl,
    Machine,
    MachineHalted,
    NonPagedPoolNx,
    WdfDeviceIoBuffered,
    WdfObjectCreate,
    WdfObjectDelete,
)
from wdfkit.course.scenarios import queue_driver  # noqa: E402
from wdfkit.kernel.iomanager import Application  # noqa: E402
from wdfkit.kernel.mdl import PMDL  # noqa: E402
from wdfkit.kernel.pointer import PVOID  # noqa: E402

CALL_SECONDS = 2.0
"""Wall time one call may take before it counts as a hang."""
ADDRESS_SPACE = 3 << 30
"""RLIMIT_AS of the child process: what a call may cost the host, with Python's own share."""
HUGE = 1 << 40
"""The 'huge size': 1 TiB."""


class Hang(BaseException):
    """Raised by SIGALRM in a call that ran past CALL_SECONDS (BaseException: a learner's
    ``except Exception`` in a callback must not swallow it)."""


class Foreign:
    """Placeholder for "a handle of another machine", made real per call."""

    def __repr__(self):
        return "<foreign machine's handle>"


class Stale:
    """Placeholder for "a handle whose object was deleted", made real per call."""

    def __repr__(self):
        return "<stale handle>"


FOREIGN, STALE = Foreign(), Stale()
HOSTILE = [None, 0, -1, 2**64, 2**64 - 1, 1.5, math.nan, math.inf, True, "x", b"x"]
HOSTILE += [[], {}, FOREIGN, STALE, HUGE]


# -- what is accepted ------------------------------------------------------------------------

PUBLIC = set(wdfkit.__all__) | {"Application", "Machine", "PMDL", "PVOID"}
"""Names an error message may start with: the callable, or a DDI it names."""


def named_properly(message: str, name: str) -> bool:
    """Does *message* start with a name the learner can look up (``"Name: …"``)?"""
    head = message.split(":", 1)[0] if ":" in message else ""
    head = head.split("(", 1)[0].strip()
    base = name.rstrip(" =")  # "PMDL.Next=" (a field set) is named "PMDL.Next"
    short = base.rsplit(".", 1)[-1]
    return bool(head) and (
        head in PUBLIC
        or head in (base, short)
        or head.startswith(base)
        or head.rsplit(".", 1)[-1] == short  # an inherited method: PMDL.read says PVOID.read
    )


def verdict(name: str, machine, error: BaseException | None) -> str | None:
    """None when the outcome keeps the contract, else the kind of finding."""
    if error is None:
        return None
    if isinstance(error, Hang):
        return "hang"
    if isinstance(error, BugCheck):
        return None if machine.state == "crashed" else "bug check left its machine running"
    if isinstance(error, MachineHalted):
        return None
    if type(error) in (TypeError, ValueError, RuntimeError):
        if named_properly(str(error), name):
            return None
        return f"{type(error).__name__} not named"
    return type(error).__name__


# -- findings known and not yet fixed ---------------------------------------------------------

NAMING = ("TypeError not named", "ValueError not named", "AttributeError", "OverflowError")
ITEMS: dict = {}
"""Findings the project knows of and has not fixed yet, reported but not failed: a reason →
(callables, kinds of finding).  Empty: every finding of issue 15's fuzz is fixed.  Add an entry
only with the issue that will fix it, and remove it when that lands."""

EXPECTED = {
    (name, kind): item for item, (names, kinds) in ITEMS.items() for name in names for kind in kinds
}
"""(callable, kind of finding) → item, from ITEMS."""


def expected(name: str, kind: str) -> str | None:
    return EXPECTED.get((name, kind))


# -- the targets -----------------------------------------------------------------------------


def fresh_machine() -> Machine:
    """A machine with a device and a default queue (so application() works), plus the two
    placeholders' real handles."""
    machine = Machine("Toaster")
    with machine:
        machine.add_device(queue_driver(WdfDeviceIoBuffered, {}))
        _, stale = WdfObjectCreate(None)
        WdfObjectDelete(stale)
    machine.fuzz_stale = stale
    return machine


_OTHER: list = []


def foreign_handle():
    if not _OTHER:
        other = Machine("Other")
        with other:
            _OTHER.append(WdfObjectCreate(None)[1])
    return _OTHER[0]


def keyword_options(function) -> list[str]:
    """Keyword-only parameters, fuzzed one at a time when every positional one has a default
    (``Machine(pool_limit=…)``, ``ReadFile(…, overlapped=…)`` is not: it needs a Buffer)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.default is p.empty for p in positional):
        return []
    return [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]


def positions(function) -> int | None:
    """How many positional arguments to pass: all positional parameters, 2 for ``*args``."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    count = 0
    for p in parameters:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
        elif p.kind is p.VAR_POSITIONAL:
            count += 2
    return count


MACHINERY = {
    "access", "crash", "check_running", "trace", "wait_for", "running_driver_code",
    "run_callback", "within", "describe_irp",
}  # fmt: skip
"""Machine methods the simulation calls on itself (not a learner's API): not fuzzed."""


def targets():
    """``(name, make)`` pairs: *make(machine)* gives the callable to call on that machine."""
    found = []
    for name in sorted(wdfkit.__all__):
        value = getattr(wdfkit, name)
        # GUID is the standard library's uuid.UUID, re-exported under its C name.
        if callable(value) and name not in ("MachineHalted", "BugCheck", "GUID"):
            found.append((name, lambda machine, value=value: value))
    for method in sorted(m for m in dir(Machine) if not m.startswith("_")):
        if method in MACHINERY or not callable(getattr(Machine, method)):
            continue
        found.append((f"Machine.{method}", lambda machine, m=method: getattr(machine, m)))
    for method in ("ReadFile", "WriteFile", "DeviceIoControl", "GetOverlappedResult",
                   "CancelIo", "CancelIoEx", "CloseHandle"):  # fmt: skip
        found.append((f"Application.{method}", lambda machine, m=method: getattr(app(machine), m)))
    for method in ("CreateFile", "CM_Get_Device_Interface_List"):
        found.append((f"Process.{method}", lambda machine, m=method: getattr(process(machine), m)))
    for method in ("read", "write"):
        found.append((f"PVOID.{method}", lambda machine, m=method: getattr(pool(machine), m)))
    for method in ("read", "write", "pfn_array", "pages"):
        if callable(getattr(PMDL, method, None)):
            found.append((f"PMDL.{method}", lambda machine, m=method: getattr(mdl(machine), m)))
    for field in ("ByteCount", "ByteOffset", "MappedSystemVa", "MdlFlags", "Next", "StartVa"):
        prop = getattr(PMDL, field, None)
        if isinstance(prop, property) and prop.fset is not None:
            found.append((f"PMDL.{field}=", lambda machine, f=field: setter(mdl(machine), f)))
    return found


def app(machine) -> Application:
    return machine.application()


def process(machine):
    return machine.process()


def pool(machine) -> PVOID:
    with machine:
        return ExAllocatePoolWithTag(NonPagedPoolNx, 64, "zzuF")


def mdl(machine) -> PMDL:
    with machine:
        return IoAllocateMdl(pool(machine), 64, False, False, None)


def setter(mdl_, field):
    def assign(value):
        setattr(mdl_, field, value)

    assign.__signature__ = inspect.Signature(
        [inspect.Parameter("value", inspect.Parameter.POSITIONAL_ONLY)]
    )
    return assign


def real(value, machine):
    if value is FOREIGN:
        return foreign_handle()
    if value is STALE:
        return machine.fuzz_stale
    return value


# -- running calls ---------------------------------------------------------------------------


def _alarm(signum, frame):
    raise Hang()


def call(name, make, machine, args, keywords=None) -> tuple[str | None, str, str]:
    """Run one call on *machine* (current for it); ``(finding or None, repr, traceback)``."""
    error = None
    text = ""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        with machine:
            function = make(machine)
            keywords = {k: real(v, machine) for k, v in (keywords or {}).items()}
            function(*[real(a, machine) for a in args], **keywords)
    except BaseException as caught:  # the point: see every outcome
        if isinstance(caught, KeyboardInterrupt):
            raise
        error = caught
        text = "".join(traceback.format_exception(caught)[-6:])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    kind = verdict(name, machine, error)
    return kind, f"{type(error).__name__}: {str(error)[:200]}" if error else "returned", text


def signature_fuzz(seed: int, seconds: float | None, report) -> dict:
    """Every target, each hostile value in each position; with *seconds*, keep drawing new
    combinations until the time is up."""
    rng = random.Random(seed)
    stats = {"calls": 0, "findings": 0, "expected": 0, "by_kind": {}}
    found = targets()
    deadline = None if seconds is None else time.monotonic() + seconds
    rounds = 0
    while True:
        for name, make in found:
            machine = fresh_machine()
            function = None
            try:
                with machine:
                    function = make(machine)
            except BaseException:
                function = None
            count = positions(function) if function is not None else None
            if count is None:
                continue
            combos = [((), {})] if count == 0 else []
            for position in range(count):
                for value in HOSTILE:
                    args = [rng.choice(HOSTILE) for _ in range(count)]
                    args[position] = value
                    combos.append((tuple(args), {}))
            for option in keyword_options(function):
                combos += [((), {option: value}) for value in HOSTILE]
            for args, keywords in combos:
                if machine.state != "running" or machine.irql != 0:
                    machine = fresh_machine()
                kind, outcome, text = call(name, make, machine, args, keywords)
                stats["calls"] += 1
                if kind is None:
                    continue
                if kind == "hang":
                    machine = fresh_machine()
                stats["by_kind"][kind] = stats["by_kind"].get(kind, 0) + 1
                item = expected(name, kind)
                stats["expected" if item else "findings"] += 1
                report(
                    {
                        "callable": name,
                        "args": repr(args) + (f" {keywords!r}" if keywords else ""),
                        "kind": kind,
                        "outcome": outcome,
                        "item": item,
                        "traceback": text,
                    }
                )
        rounds += 1
        if deadline is None or time.monotonic() > deadline:
            break
    stats["rounds"] = rounds
    return stats


# -- the hostile state machine -------------------------------------------------------------


COLLECT: list = []
"""With ``--collect``: findings outside EXPECTED are listed here (a sentinel first) instead of
failing the example, to survey a seed; the first entry is the sentinel."""

CALLS = {"calls": 0, "expected": 0}
"""What the state machine did (it keeps no other state across examples)."""


def hostile_session():
    """The RuleBasedStateMachine: a driver with a device and a default queue whose callbacks
    follow a plan the rules choose (complete, complete with hostile Information, retrieve
    memory, forward to the lower device, keep the request, delete it), and rules that mix the
    application's I/O, object creation and deletion, pool, lookaside lists and MDLs, every
    argument either a working value or a hostile one.  Every outcome goes to :func:`verdict`:
    a finding outside EXPECTED fails the example (hypothesis then shrinks the sequence)."""
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

    from wdfkit import (
        NPAGED_LOOKASIDE_LIST,
        ExAllocateFromNPagedLookasideList,
        ExDeleteNPagedLookasideList,
        ExFreePoolWithTag,
        ExFreeToNPagedLookasideList,
        ExInitializeNPagedLookasideList,
        IoFreeMdl,
        KeLowerIrql,
        KeRaiseIrql,
        MmBuildMdlForNonPagedPool,
        MmGetMdlByteCount,
        MmGetSystemAddressForMdlSafe,
        NormalPagePriority,
        RtlCopyMemory,
        RtlZeroMemory,
        WdfDeviceGetIoTarget,
        WdfIoQueueGetDevice,
        WdfIoQueuePurge,
        WdfIoQueueStart,
        WdfIoQueueStop,
        WdfIoTargetFormatRequestForRead,
        WdfMemoryCopyFromBuffer,
        WdfMemoryCreate,
        WdfObjectDereference,
        WdfObjectReference,
        WdfRequestComplete,
        WdfRequestCompleteWithInformation,
        WdfRequestMarkCancelableEx,
        WdfRequestRetrieveOutputBuffer,
        WdfRequestRetrieveOutputMemory,
        WdfRequestSend,
        WdfRequestSetCompletionRoutine,
    )

    hostile = st.sampled_from(HOSTILE)
    sizes = st.one_of(st.integers(0, 4096), hostile)
    index = st.integers(0, 7)
    plans = st.sampled_from(
        ["complete", "information", "retrieve", "forward", "keep", "cancelable", "delete"]
    )

    def pick(items, i, value):
        """A bundle member (a working value) or, when *value* is not None, a hostile one."""
        if value is not None or not items:
            return value
        return items[i % len(items)]

    class HostileSession(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.new_machine()

        def new_machine(self):
            self.plan = ["complete", 0]
            session = self

            def io(Queue, Request, *lengths):
                plan, value = session.plan
                if plan == "complete":
                    WdfRequestComplete(Request, 0)
                elif plan == "information":
                    WdfRequestCompleteWithInformation(Request, 0, value)
                elif plan == "retrieve":
                    status, buffer, length = WdfRequestRetrieveOutputBuffer(Request, value)
                    WdfRequestComplete(Request, status)
                elif plan == "forward":
                    target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
                    status, memory = WdfRequestRetrieveOutputMemory(Request)
                    if status == 0:
                        WdfIoTargetFormatRequestForRead(target, Request, memory, None, None)
                        WdfRequestSetCompletionRoutine(Request, done, None)
                        if WdfRequestSend(Request, target, None):
                            return
                    WdfRequestComplete(Request, status)
                elif plan == "keep":
                    session.kept.append(Request)
                elif plan == "cancelable":  # kept, and cancelled by CancelIoEx (cancel_io)
                    status = WdfRequestMarkCancelableEx(Request, cancelled)
                    if status == 0:
                        session.kept.append(Request)
                    else:
                        WdfRequestComplete(Request, status)
                else:
                    WdfObjectDelete(Request)

            def done(Request, Target, Params, Context):
                WdfRequestComplete(Request, Params.IoStatus.Status)

            def cancelled(Request):
                # complete_kept pops a request before completing it; a hostile status refused
                # by WdfRequestComplete leaves it the driver's (and cancelable) off the list
                if Request in session.kept:
                    session.kept.remove(Request)
                WdfRequestComplete(Request, 0xC0000120)  # STATUS_CANCELLED

            callbacks = {"EvtIoRead": io, "EvtIoWrite": io, "EvtIoDeviceControl": io}
            self.machine = Machine("Fuzz")
            with self.machine:
                self.machine.add_device(queue_driver(WdfDeviceIoBuffered, callbacks))
                _, stale = WdfObjectCreate(None)
                WdfObjectDelete(stale)
            self.machine.fuzz_stale = stale
            self.app = self.machine.application()
            self.handles, self.pointers, self.mdls, self.lists, self.kept = [], [], [], [], []
            self.pending = []  # the application's overlapped I/O

        def call(self, name, function, *args):
            """Run one call and judge it; a finding outside EXPECTED fails the example."""
            machine = self.machine
            CALLS["calls"] += 1
            kind, outcome, text = call(name, lambda m: function, machine, args)
            if kind is not None:
                if expected(name, kind) is None and COLLECT:
                    COLLECT.append(
                        {
                            "callable": name,
                            "args": repr(args),
                            "kind": kind,
                            "outcome": outcome,
                            "item": None,
                            "traceback": text,
                        }
                    )
                elif expected(name, kind) is None:
                    raise AssertionError(f"{name}{args!r}: {kind}\n  {outcome}\n{text}")
                CALLS["expected"] += 1
            if machine.state != "running" or machine.irql != 0:
                self.new_machine()
            return outcome

        def result(self, name, function, *args):
            """Like :meth:`call`, returning the function's value (None when it raised)."""
            box = []
            self.call(name, lambda *a: box.append(function(*a)), *args)
            return box[0] if box else None

        @rule(plan=plans, value=sizes, size=st.integers(0, 512), kind=st.integers(0, 2))
        def application_io(self, plan, value, size, kind):
            self.plan = [plan, value]
            app = self.app
            if kind == 0:
                self.call("Application.ReadFile", app.ReadFile, bytearray(size))
            elif kind == 1:
                self.call("Application.WriteFile", app.WriteFile, bytes(size))
            else:
                code = 0x222000
                self.call("Application.DeviceIoControl", app.DeviceIoControl, code, b"x", None)

        @rule(plan=plans, value=sizes, size=st.integers(1, 64))
        def overlapped_io(self, plan, value, size):
            self.plan = [plan, value]
            io = self.result(
                "Application.ReadFile",
                lambda b: self.app.ReadFile(b, overlapped=True),
                bytearray(size),
            )
            if io is not None:
                self.pending.append(io)

        @rule(action=st.sampled_from(["stop", "start", "purge", "power-stop", "power-resume"]))
        def queue_control(self, action):
            """The driver stops, starts or purges its queue, or a power change holds and
            resumes it (what the removal path drives), between any other steps."""
            queue = self.machine.devices[0].default_queue
            handle = queue.handle
            if action == "stop":
                self.call("WdfIoQueueStop", WdfIoQueueStop, handle, None, None)
            elif action == "start":
                self.call("WdfIoQueueStart", WdfIoQueueStart, handle)
            elif action == "purge":
                self.call("WdfIoQueuePurge", WdfIoQueuePurge, handle, None, None)
            elif action == "power-stop":
                self.call(
                    "FxIoQueue.stop_processing_for_power", queue.stop_processing_for_power, "stop"
                )
            else:
                self.call(
                    "FxIoQueue.resume_processing_for_power", queue.resume_processing_for_power
                )

        @precondition(lambda self: self.pending)
        @rule(i=index)
        def cancel_io(self, i):
            """IoCancelIrp on a pending read, as CancelIoEx does: the queue's or the driver's
            cancel routine, or nothing for a request the driver holds unmarked."""
            io = self.pending.pop(i % len(self.pending))
            machine = self.machine
            self.call("IoCancelIrp", lambda: machine.within("CancelIoEx", io.irp.cancel))

        @rule(milliseconds=st.integers(0, 5))
        def advance(self, milliseconds):
            self.call("Machine.advance", self.machine.advance, milliseconds / 1000)

        @precondition(lambda self: self.kept)
        @rule(status=st.one_of(st.just(0), hostile))
        def complete_kept(self, status):
            self.call("WdfRequestComplete", WdfRequestComplete, self.kept.pop(), status)

        @rule(size=sizes, tag=st.one_of(st.just("zzuF"), hostile))
        def create_memory(self, size, tag):
            value = self.result("WdfMemoryCreate", WdfMemoryCreate, None, NonPagedPoolNx, tag, size)
            if value and value[0] == 0:
                self.handles.append(value[1])

        @rule()
        def create_object(self):
            value = self.result("WdfObjectCreate", WdfObjectCreate, None)
            if value and value[0] == 0:
                self.handles.append(value[1])

        @rule(i=index, value=st.one_of(st.none(), hostile))
        def delete(self, i, value):
            handle = pick(self.handles, i, value)
            self.call("WdfObjectDelete", WdfObjectDelete, handle)

        @rule(i=index, value=st.one_of(st.none(), hostile), add=st.booleans())
        def reference(self, i, value, add):
            handle = pick(self.handles, i, value)
            if add:
                self.call("WdfObjectReference", WdfObjectReference, handle)
            else:
                self.call("WdfObjectDereference", WdfObjectDereference, handle)

        @rule(i=index, offset=sizes, length=sizes)
        def copy_into_memory(self, i, offset, length):
            handle = pick(self.handles, i, None)
            source = pick(self.pointers, i, None)
            self.call(
                "WdfMemoryCopyFromBuffer", WdfMemoryCopyFromBuffer, handle, offset, source, length
            )

        @rule(size=sizes)
        def allocate(self, size):
            p = self.result(
                "ExAllocatePoolWithTag", ExAllocatePoolWithTag, NonPagedPoolNx, size, "zzuF"
            )
            if isinstance(p, PVOID):
                self.pointers.append(p)

        @rule(i=index, value=st.one_of(st.none(), hostile))
        def free(self, i, value):
            p = pick(self.pointers, i, value)
            if p in self.pointers:
                self.pointers.remove(p)
            self.call("ExFreePoolWithTag", ExFreePoolWithTag, p, "zzuF")

        @rule(i=index, j=index, length=sizes)
        def copy_memory(self, i, j, length):
            self.call(
                "RtlCopyMemory",
                RtlCopyMemory,
                pick(self.pointers, i, None),
                pick(self.pointers, j, None),
                length,
            )

        @rule(i=index, length=sizes)
        def zero_memory(self, i, length):
            self.call("RtlZeroMemory", RtlZeroMemory, pick(self.pointers, i, None), length)

        @rule(size=sizes)
        def lookaside_create(self, size):
            header = NPAGED_LOOKASIDE_LIST()
            self.call(
                "ExInitializeNPagedLookasideList",
                ExInitializeNPagedLookasideList,
                header,
                None,
                None,
                0,
                size,
                "zzuF",
                0,
            )
            if header.L is not None:
                self.lists.append(header)

        @precondition(lambda self: self.lists)
        @rule(i=index)
        def lookaside_allocate(self, i):
            p = self.result(
                "ExAllocateFromNPagedLookasideList",
                ExAllocateFromNPagedLookasideList,
                pick(self.lists, i, None),
            )
            if isinstance(p, PVOID):
                self.pointers.append(p)

        @precondition(lambda self: self.lists)
        @rule(i=index, j=index, value=st.one_of(st.none(), hostile))
        def lookaside_free(self, i, j, value):
            entry = pick(self.pointers, j, value)
            if entry in self.pointers:
                self.pointers.remove(entry)
            self.call(
                "ExFreeToNPagedLookasideList",
                ExFreeToNPagedLookasideList,
                pick(self.lists, i, None),
                entry,
            )

        @precondition(lambda self: self.lists)
        @rule(i=index)
        def lookaside_delete(self, i):
            header = self.lists.pop(i % len(self.lists))
            self.call("ExDeleteNPagedLookasideList", ExDeleteNPagedLookasideList, header)

        @rule(i=index, length=sizes, value=st.one_of(st.none(), hostile))
        def mdl_allocate(self, i, length, value):
            from wdfkit import IoAllocateMdl as allocate

            va = pick(self.pointers, i, value)
            mdl = self.result("IoAllocateMdl", allocate, va, length, False, False, None)
            if isinstance(mdl, PMDL):
                self.mdls.append(mdl)

        @precondition(lambda self: self.mdls)
        @rule(i=index, action=st.integers(0, 3))
        def mdl_use(self, i, action):
            mdl = pick(self.mdls, i, None)
            if action == 0:
                self.call("MmBuildMdlForNonPagedPool", MmBuildMdlForNonPagedPool, mdl)
            elif action == 1:
                self.call("MmGetMdlByteCount", MmGetMdlByteCount, mdl)
            elif action == 2:
                self.call(
                    "MmGetSystemAddressForMdlSafe",
                    MmGetSystemAddressForMdlSafe,
                    mdl,
                    NormalPagePriority,
                )
            else:
                self.mdls.remove(mdl)
                self.call("IoFreeMdl", IoFreeMdl, mdl)

        @rule(value=st.one_of(st.integers(0, 2), hostile))
        def irql(self, value):
            old = self.result("KeRaiseIrql", KeRaiseIrql, value)
            if isinstance(old, int):
                self.call("KeLowerIrql", KeLowerIrql, old)

        @rule(value=hostile)
        def foreign_or_stale(self, value):
            self.call("WdfObjectDelete", WdfObjectDelete, value)

        @invariant()
        def a_stopped_machine_refuses_everything(self):
            if self.machine.state == "crashed":
                assert self.machine.bugcheck is not None
                try:
                    with self.machine:
                        WdfObjectCreate(None)
                except MachineHalted:
                    pass
                else:
                    raise AssertionError("a crashed machine ran a DDI")

    return HostileSession


def stateful_fuzz(seed: int, seconds: float | None, report) -> dict:
    """Run the state machine: derandomized at seed 0 (make test), else at random seeds, over
    and over until *seconds* are up.  The first finding outside EXPECTED stops it."""
    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test

    session = hostile_session()
    fixed = seconds is None
    config = settings(
        max_examples=100 if fixed else 200,
        stateful_step_count=40,
        deadline=None,
        derandomize=fixed and seed == 0,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    if not fixed or seed != 0:
        random.seed(seed)
    deadline = None if fixed else time.monotonic() + seconds
    runs = 0
    while True:
        try:
            run_state_machine_as_test(session, settings=config)
        except AssertionError as failure:
            report(
                {
                    "callable": "state machine",
                    "args": "",
                    "kind": "finding",
                    "item": None,
                    "outcome": str(failure)[:3000],
                    "traceback": "".join(traceback.format_exception(failure)[-8:]),
                }
            )
            break
        runs += 1
        if deadline is None or time.monotonic() > deadline:
            break
    for finding in COLLECT[1:]:
        report(finding)
    return {"runs": runs, **CALLS}


def limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def main(argv) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["signatures", "stateful"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--collect", action="store_true")
    options = parser.parse_args(argv)
    limit_address_space()
    if options.collect:
        COLLECT.append(None)
    with open(options.out, "w") as out:

        def report(finding):
            out.write(json.dumps(finding) + "\n")
            out.flush()

        fuzz = signature_fuzz if options.mode == "signatures" else stateful_fuzz
        stats = fuzz(options.seed, options.seconds, report)
        out.write(json.dumps({"stats": stats}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
