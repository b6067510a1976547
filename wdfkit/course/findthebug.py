"""Lesson 13's exercises: drivers with one buffer or lifetime bug each, to find and fix.

``exercise(label, seed)`` gives one variant of one buggy driver, a :class:`Bug`: the story (what
the driver is for, what its user saw); its C; its Python, which is both the text the learner
edits and the text that runs (:attr:`Bug.driver` is built by executing exactly :attr:`Bug.python`
in a namespace holding ``from wdfkit import *``); the grader's specification the fixed driver
must meet (:attr:`Bug.spec`); and the reason :func:`wdfkit.course.grader.grade` gives for the
bug.  The seed picks the variant (which
line, which request kind, which object) and its numbers (sizes, tags, alignments); the same seed
always gives the same text.

Every bug is one the lessons 01–12 show on its own; here it sits inside a driver that otherwise
works, and the learner finds it from what the machine reports (:meth:`Bug.run`), fixes a copy
and grades it (:meth:`Bug.grade`).  :func:`scoreboard` says what was solved in this Python
process.  The fixes are not here: tests/test_find_the_bug.py keeps them.

The drivers themselves, their C and what each must do are in :mod:`wdfkit.course.buggydrivers`.
"""

import ast
import dis
import random
from dataclasses import dataclass, field

from ..kernel.bugcheck import BugCheck, MachineHalted
from ..kernel.ntstatus import NTSTATUS, STATUS_CANCELLED, STATUS_PENDING
from ..kernel.text import fill, width
from ..language import N_, _, listed
from ..sim.machine import Machine
from .buggydrivers import IOCTL_CODE, MAKERS, Behaviour, tidy_c, tidy_python
from .grader import Expected, Operation, Report, Spec, driver_callbacks, grade

# -- the exercises --------------------------------------------------------------------------------
VARIANTS = 3
"""Each bug comes in this many variants; the seed picks one: ``seed % VARIANTS``."""

TIMELINE_ROWS = 16
"""How many rows of the timeline :class:`Outcome` shows: the last ones, up to the end."""

_graded: dict = {}
"""What :meth:`Bug.grade` has seen in this Python process: label → {seed: passed once}."""


def load_driver(python: str, label: str):
    """Run *python* as the notebook cell would, in a namespace holding ``from wdfkit import *``;
    return its EvtDriverDeviceAdd."""
    namespace: dict = {"__name__": f"findthebug_{label.replace('-', '_')}"}
    exec("from wdfkit import *", namespace)
    exec(compile(python, f"<exercise {label}>", "exec"), namespace)
    return namespace["EvtDriverDeviceAdd"]


@dataclass
class Bug:
    """One variant of one buggy driver (see the module docstring)."""

    label: str
    seed: int
    title: str
    story: str
    c: str
    python: str
    reason: str
    behaviour: Behaviour
    session: tuple
    lower_fail: int | None = None
    driver: object = field(default=None, repr=False)

    def __str__(self) -> str:
        return fill(
            _("[{label}, seed {seed}] {title}: {story}").format(
                label=self.label, seed=self.seed, title=self.title, story=self.story
            )
        )

    def __repr__(self) -> str:
        return f"<findthebug.exercise({self.label!r}, seed={self.seed}): {self.title}>"

    @property
    def spec(self):
        """The grader's specification the fixed driver must meet: the behaviour, under a
        workload that also cancels, closes its handle with I/O outstanding and removes the
        device; a request that was cancelled may end STATUS_CANCELLED instead."""
        b = self.behaviour

        def expect(op, expect=b.expect):
            expected = expect(op)
            if op.cancelled and not isinstance(expected, tuple):
                return (expected, Expected(STATUS_CANCELLED, 0))
            return expected

        return Spec(
            _("exercise {label} (seed {seed}), fixed: {title}").format(
                label=self.label, seed=self.seed, title=self.title
            ),
            expect,
            operations=b.operations,
            sizes=b.sizes,
            ioctl_codes=() if b.ioctl is None else (b.ioctl,),
            lower_faults=b.lower_faults,
            cancels=True,
            closes=True,
            removal=True,
            call=f'findthebug.exercise("{self.label}", seed={self.seed}).spec',
        )

    def run(self) -> "Outcome":
        """One plain run of the buggy driver: the application's session, then unload."""
        return run_session(self.driver, self.session, self.behaviour, self.lower_fail)

    def grade(self, EvtDriverDeviceAdd, seeds=None) -> Report:
        """``grade(EvtDriverDeviceAdd, self.spec)``; the verdict counts on the scoreboard (a
        pass only over the default seeds: a few chosen *seeds* are for finding a failure).

        The report warns at its top when the driver graded is not this exercise's
        (:func:`foreign_names`): in a notebook, the names ``EvtDriverDeviceAdd``, ``EvtIoRead``
        … are those of the driver cell run last, which may be another exercise's."""
        report = grade_quietly(self, EvtDriverDeviceAdd, seeds)
        foreign = foreign_names(self, report.callbacks)
        if len(foreign) == 1:
            why = _("{name} is not in its Python").format(name=foreign[0])
        elif foreign:
            why = _("{names} are not in its Python").format(names=listed(foreign))
        elif report.callbacks and shared_calls(self, report.callbacks) < SHARED_CALLS:
            why = _("its callbacks call few of the routines this exercise's callbacks call")
        else:
            why = ""
        if why:
            report.warning = _(
                "WARNING: this may not be the driver of exercise {label}, seed {seed}: {why}. "
                "Did you run this exercise's driver cell last (and %load its Python after "
                "changing the seed)?"
            ).format(label=self.label, seed=self.seed, why=why)
        passed = bool(report) and seeds is None
        seeds_seen = _graded.setdefault(self.label, {})
        seeds_seen[self.seed] = seeds_seen.get(self.seed, False) or passed
        return report


def _defined_names(python: str) -> set:
    """The names a driver's text defines at its top level: functions, classes, assignments."""
    names = set()
    for node in ast.parse(python).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names.add(name.id)
    return names


def _globals_used(code) -> set:
    """The global names a function's code (and the functions nested in it) looks up."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_GLOBAL"}
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            names |= _globals_used(const)
    return names


_OTHERS_DEFINE: dict = {}
"""label → the names the other exercises' drivers (every variant) define and this one's do
not: a graded driver that uses one is another exercise's."""


def _others_define(label: str) -> set:
    if label not in _OTHERS_DEFINE:
        by_label = {
            other: set().union(
                *(
                    _defined_names(tidy_python(MAKERS[other](v, random.Random(0)).python))
                    for v in range(VARIANTS)
                )
            )
            for other in MAKERS
        }
        for one in MAKERS:
            others = set().union(*(names for other, names in by_label.items() if other != one))
            _OTHERS_DEFINE[one] = others - by_label[one]
    return _OTHERS_DEFINE[label]


_ADDED_IN_A_FIX = frozenset({"EvtIoStop", "EvtIoResume", "EvtIoCanceledOnQueue"})
"""Callbacks a learner's fix may add that the exercise's driver does not have."""


def foreign_names(bug: Bug, callbacks) -> list:
    """The names that say *callbacks* (the graded driver's ``(role, function)`` pairs,
    ``Report.callbacks``) are not *bug*'s driver: a callback whose name *bug*'s Python does
    not define (one a fix may add aside: :data:`_ADDED_IN_A_FIX`), or a global a callback uses
    that only other exercises' drivers define.  A learner's own new helper is neither (a
    warning, not a verdict: the grade stands)."""
    defined = _defined_names(bug.python)
    others = _others_define(bug.label)
    foreign = []
    for role, function in callbacks:
        name = "" if role in _ADDED_IN_A_FIX else getattr(function, "__name__", "")
        code = getattr(function, "__code__", None)
        used = _globals_used(code) if code is not None else set()
        for candidate in [name, *sorted(used & others)]:
            if candidate and candidate not in defined and candidate not in foreign:
                foreign.append(candidate)
    return foreign


SHARED_CALLS = 0.6
"""Below this share of common names (the globals the callbacks use: DDIs, helpers, constants;
shared ÷ all, over both drivers) the graded driver is taken for another one.  An exercise's
own driver, broken or with a fix of a few lines, shares more than 0.85 with itself; two
exercises' drivers whose names all look alike share at most 0.55."""


def _callbacks_globals(callbacks) -> set:
    """The globals the callbacks (not EvtDriverDeviceAdd: every exercise's sets up alike) use."""
    used = set()
    for role, function in callbacks:
        code = getattr(function, "__code__", None)
        if role != "EvtDriverDeviceAdd" and code is not None:
            used |= _globals_used(code)
    return used


def shared_calls(bug: Bug, callbacks) -> float:
    """The share of names *callbacks* (``Report.callbacks``) and *bug*'s own driver's callbacks
    have in common: 1.0 alike, 0.0 nothing in common (see :data:`SHARED_CALLS`)."""
    machine = Machine("Exercise")
    with machine:
        machine.add_device(bug.driver)
    own = _callbacks_globals(driver_callbacks(machine, bug.driver, None))
    graded = _callbacks_globals(callbacks)
    return len(own & graded) / len(own | graded) if own | graded else 1.0


def grade_quietly(bug: Bug, EvtDriverDeviceAdd, seeds=None) -> Report:
    """``grade(EvtDriverDeviceAdd, bug.spec)`` without counting it on the scoreboard."""
    return grade(EvtDriverDeviceAdd, bug.spec, seeds=seeds)


def exercise(label: str, seed: int = 0) -> Bug:
    """The buggy driver *label* ("13-01" …), variant and numbers picked by *seed* (an int ≥ 0)."""
    if not isinstance(label, str) or label not in MAKERS:
        raise ValueError(
            f"findthebug.exercise: label must be one of {', '.join(MAKERS)}, not {label!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(
            f"findthebug.exercise: seed must be an int from 0 to 2**32 - 1, not {seed!r}"
        )
    case = MAKERS[label](seed % VARIANTS, random.Random(f"{label}/{seed}"))
    bug = Bug(
        label,
        seed,
        case.title,
        case.story,
        tidy_c(case.c),
        tidy_python(case.python),
        case.reason,
        case.behaviour,
        case.session,
        case.lower_fail,
    )
    bug.driver = load_driver(bug.python, label)
    return bug


def run_exercise(label: str = "13-01", seed: int = 0) -> "Outcome":
    """``exercise(label, seed).run()``: one plain run of that broken driver (lesson 13's lab)."""
    return exercise(label, seed).run()


class Scoreboard(str):
    """The scoreboard's text; shown as it is when it is a cell's last expression."""

    def __repr__(self) -> str:
        return str(self)


def _seeds(seeds) -> str:
    numbers = ", ".join(map(str, sorted(seeds)))
    return (_("seed {seeds}") if len(seeds) == 1 else _("seeds {seeds}")).format(seeds=numbers)


def scoreboard() -> Scoreboard:
    """What was graded in this Python process, exercise by exercise: *solved* (the seeds whose
    variant passed), *tried* (graded, never passed) or *not tried*."""
    lines = []
    for label in MAKERS:
        title = MAKERS[label](0, random.Random(0)).title
        seen = _graded.get(label, {})
        solved = [seed for seed, passed in seen.items() if passed]
        if solved:
            mark = _("solved ({seeds})").format(seeds=_seeds(solved))
        elif seen:
            mark = _("tried ({seeds})").format(seeds=_seeds(seen))
        else:
            mark = _("not tried")
        mark += " " * max(0, 22 - width(mark))
        lines.append(f"{label}  {mark} {title}")
    done = sum(1 for seen in _graded.values() if any(seen.values()))
    lines.append(_("{done} of {total} solved").format(done=done, total=len(MAKERS)))
    return Scoreboard("\n".join(lines))


# -- one plain run --------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What :meth:`Bug.run` saw: each call's result, the bug check or the hang, the log and the
    timeline of the machine it ran on."""

    machine: Machine
    results: list
    bugcheck: BugCheck | None = None
    problem: str = ""
    step: str = ""  # what was going on when the run ended ("" once the driver unloaded)

    @property
    def outcome(self) -> str:
        """One line: how the run ended (what a lab shows under its timeline)."""
        if self.bugcheck is not None:
            return _("bug check {summary} while {step}").format(
                summary=self.bugcheck.summary(), step=self.step
            )
        if self.problem:
            return self.problem
        return _("the driver unloaded cleanly")

    def __str__(self) -> str:
        lines = [
            fill(_("{call}: {result}").format(call=what, result=result), "", "    ")
            for what, result in self.results
        ]
        if self.bugcheck is not None:
            stopped = _("The machine stopped while {step}:").format(step=self.step)
            lines.append(fill(stopped, "", "    "))
            lines.append(self.bugcheck.blue_screen())
        elif self.problem:
            lines.append(fill(self.problem, "", "    "))
        else:
            lines.append(_("The driver unloaded cleanly."))
        lines.append(_("The framework log, last lines:"))
        lines += [fill(line, "", " " * 4) for line in self.machine.log_lines()[-8:]]
        header, *rows = self.machine.timeline.text().splitlines()
        shown = rows[-TIMELINE_ROWS:]
        if len(shown) < len(rows):
            title = _("The timeline of objects, last rows ({count} earlier rows left out):")
        else:
            title = _("The timeline of objects, last rows:")
        lines += [title.format(count=len(rows) - len(shown)), header]
        lines += [fill(row, "", " " * 8) for row in shown]
        return "\n".join(lines)


def _send(machine, app, step):
    """Make *step*'s call; return its IO_STATUS_BLOCK and the bytes of its output buffer."""
    buffer = bytearray(step.length)
    if step.kind == "read":
        result = app.ReadFile(buffer)
    elif step.kind == "cancel":
        io = app.ReadFile(buffer, overlapped=True)
        machine.advance(0.01)
        app.CancelIo()
        result = app.GetOverlappedResult(io, True)
    elif step.kind == "write":
        result = app.WriteFile(step.data)
    else:
        result = app.DeviceIoControl(IOCTL_CODE, step.data, buffer)
    return result, bytes(buffer)


_WRONG = {
    "status": N_(
        "{step} got the wrong status: {status}, Information {information}; the application "
        "expects {expected}."
    ),
    "Information": N_(
        "{step} got the wrong Information: {status}, Information {information}; the "
        "application expects {expected}."
    ),
    "data": N_(
        "{step} got the wrong data: {status}, Information {information}; the application "
        "expects {expected}."
    ),
}
"""What a plain run says of an answer the application does not expect, by what is wrong."""


def run_session(EvtDriverDeviceAdd, steps, behaviour: Behaviour, lower_fail=None) -> Outcome:
    """Load the driver on a fresh machine (both verifiers on, timeline on), make *steps*, check
    each answer against *behaviour*, let a second go by, unload."""
    machine = Machine("Toaster", timeline=True)
    outcome = Outcome(machine, [])
    try:
        with machine:
            machine.add_device(EvtDriverDeviceAdd)
            if lower_fail is not None:
                machine.lower_device.fail_status = lower_fail
            app = machine.application()
            for number, step in enumerate(steps):
                outcome.step = _("the application's {call}").format(call=step.describe())
                result, data = _send(machine, app, step)
                outcome.results.append((outcome.step, result))
                if result.Status == STATUS_PENDING:
                    outcome.problem = _(
                        "{step} never completed: it is still pending, and the device cannot be "
                        "removed until it is."
                    ).format(step=outcome.step)
                    return outcome
                kind = "read" if step.kind == "cancel" else step.kind
                operation = Operation(
                    number,
                    kind,
                    len(step.data) if kind == "write" else step.length,
                    step.data,
                    IOCTL_CODE if kind == "ioctl" else None,
                    fail_status=None if lower_fail is None else NTSTATUS(lower_fail),
                    ended_by="CancelIo" if step.kind == "cancel" else None,
                )
                expected = behaviour.expect(operation)
                choices = expected if isinstance(expected, tuple) else (expected,)
                wrong = [e.mismatch(result.Status, result.Information, data) for e in choices]
                if step.kind != "cancel" and all(wrong):
                    outcome.problem = _(_WRONG[wrong[0]]).format(
                        step=outcome.step,
                        status=result.Status,
                        information=result.Information,
                        expected=choices[0],
                    )
            outcome.step = _("the application waited a second after its last call")
            machine.advance(1.0)  # timers tick, late completions come in
            outcome.step = _("the driver was unloaded")
            machine.unload()
            outcome.step = ""
    except BugCheck as bugcheck:
        outcome.bugcheck = bugcheck
    except MachineHalted:
        outcome.bugcheck = machine.bugcheck
    return outcome


__all__ = [
    "SHARED_CALLS",
    "Bug",
    "Outcome",
    "exercise",
    "foreign_names",
    "run_exercise",
    "scoreboard",
    "shared_calls",
]
