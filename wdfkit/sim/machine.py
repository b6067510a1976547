"""Machine: one simulated Windows computer with one KMDF driver loaded.

All state lives here — virtual clock, IRQL, pool, framework objects, the framework's log, and
whether the machine has stopped — so that machines are independent: a bug check stops only the
machine it happened on.  DDIs act on the *current* machine, which :func:`current_machine` returns:
the one entered with ``with`` (nested blocks restore the outer machine as they end), else the one
made current with :meth:`Machine.activate` (``boot`` creates and activates in one call).

Two tools check a driver, and a new machine has both on, as a developer runs while developing:

* **KMDF Verifier** (``kmdf_verifier``), the framework's own, per driver: FX_DRIVER_GLOBALS'
  FxVerifierOn and the sub-switches SetVerifierState sets with it (FxVerifierIO, FxVerifierHandle,
  FxPoolTrackingOn, … in fxglobals.h).  It gates the IRQL checks, the ``[verifier]`` request
  checks, reference-tag tracking, KMDF's pool tracking and its leak report at unload.
* **Driver Verifier** (``driver_verifier``), the kernel's (Verifier.exe): special pool, pool
  tracking and its leak check at unload (0xC4/0x62), its other pool checks (0xC4 instead of
  0xC2), and lookaside lists held at a fixed Depth.

``verifier=`` is the shorthand "Driver Verifier verifies this driver".  On KMDF ≥ 1.9 that also
turns KMDF Verifier on: FxInitialize asks IsWindowsVerifierOn
(MmIsDriverVerifying and Driver Verifier's WDF rule class) and FxRegistrySettingsInitialize makes
that answer the default of the ``VerifierOn`` value under the service's Parameters\\Wdf key
(globals.cpp).  The registry value overrides the default either way, so ``kmdf_verifier=``
says what it holds; turning KMDF Verifier on never turns Driver Verifier on.  Both off
(``verifier=False``) is a customer's machine.

Mirrors: FxDriverGlobals (the per-driver state KMDF keeps), IopLoadDriver calling DriverEntry
(or, without one, WdfDriverCreate done for the lesson), the PnP manager adding, starting and
removing devices (wdfkit.fx.pnp), and the unload path (FxDriver::Unload, FxPoolDestroy, Driver
Verifier's leak check).
Simplified: one processor, one driver, no devices until a lesson (or the PnP manager, through
:meth:`Machine.add_device`) creates them.
"""

import itertools
import math
import random
from collections import deque

from ..fx import pnp
from ..fx.call import OUTSIDE_ANY_DDI, call
from ..fx.device import WDFDEVICE_INIT
from ..fx.driver import FX_TAG, FxDriver, driver_tag
from ..fx.handles import WDFHANDLE
from ..fx.queue import FxIoQueue
from ..kernel.bugcheck import DRIVER_VERIFIER_DETECTED_VIOLATION, BugCheck, MachineHalted
from ..kernel.clock import MAXIMUM_TICKS, TICKS_PER_SECOND, VirtualClock
from ..kernel.driverobject import DRIVER_OBJECT, SERVICES
from ..kernel.iomanager import Application, Process, UserMode
from ..kernel.lookaside import PAGED_SLOT, BalanceSetManager
from ..kernel.namespace import Namespace
from ..kernel.ntstatus import NT_SUCCESS, NTSTATUS, STATUS_SUCCESS
from ..kernel.physical import PhysicalMemory
from ..kernel.pool import DRIVER, FRAMEWORK, NonPagedPoolNx, Pool, is_paged, tag_text
from ..kernel.usermode import UserMemory
from ..language import N_, _
from .events import Event, EventHub
from .snapshot import (
    BlockHolds,
    BlockSnapshot,
    LogEntry,
    MachineSnapshot,
    MachineState,
    ObjectSnapshot,
    ObjectState,
    TagSnapshot,
)
from .timeline import Timeline

RUNNING, CRASHED, UNLOADED = "running", "crashed", "unloaded"
STOPPED = "stopped"  # a Python exception escaped a driver callback: see Machine.run_callback
IMAGE_BASE = 0xFFFFF80612340000  # where the simulated driver image is loaded
DRIVER_NAME_ADDRESS = IMAGE_BASE + 0x3040  # its name string, as 0xC4/0x62 reports it
GLOBALS_SIZE = 0x310  # FX_DRIVER_GLOBALS, allocated before DriverEntry
BOOT_POOL = GLOBALS_SIZE + FxDriver.OBJECT_SIZE
"""Nonpaged pool that loading the driver takes: the smallest ``pool_limit`` a machine accepts."""

_machines: list["Machine | None"] = [None]
"""Which machine DDIs act on: slot 0 holds the activated machine (or None), each later slot a
``with`` block's machine, innermost last; :meth:`Machine.running_driver_code` pushes onto it too.
Only :func:`current_machine` reads it."""

_numbers = itertools.count(1)
"""Machine numbers, in the order this Python process creates machines: what error messages
name ("machine #2 'Toaster'") when something of one machine is used on another."""


def current_machine(caller: str = OUTSIDE_ANY_DDI) -> "Machine":
    """The machine DDIs act on: the innermost ``with``-entered one, else the activated one.

    With neither, a RuntimeError that names *caller* (the DDI that needed a machine) and says
    how to start one.
    """
    machine = _machines[-1]
    if machine is None:
        raise RuntimeError(
            f"{caller}: no simulated machine is active; start one with boot() "
            "or run the code inside 'with Machine():'"
        )
    return machine


LOG_SIZE_MAX = 1 << 20
"""The most entries *log_size* may ask for (KMDF's IFR is a few pages; this is far beyond)."""


def _check_options(driver_pool_tag, seed, log_size, scan_phase) -> None:
    """Refuse an option C could not hold, naming it: ``Machine: log_size must …``.

    *driver_pool_tag* is WDF_DRIVER_CONFIG.DriverPoolTag, a ULONG (wdfdriver.h): 0 means "derive
    the tag from the service name" (FxDriver::_InitializeTag).  The others are wdfkit's own.
    """

    def whole(name, value, low, high):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"Machine: {name} must be an int, not {type(value).__name__}")
        if not low <= value <= high:
            raise ValueError(f"Machine: {name} must be from {low} to {high:#x}, got {value}")

    whole("driver_pool_tag", driver_pool_tag, 0, 0xFFFFFFFF)
    whole("seed", seed, -(1 << 64), (1 << 64) - 1)
    whole("log_size", log_size, 1, LOG_SIZE_MAX)
    whole("scan_phase", scan_phase, 0, 2)


def _leave(machine: "Machine") -> None:
    """Drop the innermost entry of *machine* from the stack (a ``with`` block's or a driver
    call's), whichever order the blocks end in."""
    for slot in range(len(_machines) - 1, 0, -1):
        if _machines[slot] is machine:
            del _machines[slot]
            return


class DriverCode:
    """``with machine.running_driver_code():`` — the simulation calling into the driver.

    On Windows a driver's callbacks run on the computer whose kernel called them; here the
    machine that calls a driver routine (an EvtIo… callback, a completion routine, a cleanup
    callback, EvtDriverDeviceAdd, a DPC run by the clock) is made current for the call, so the
    DDIs the routine calls act on that machine whichever machine is current outside it (or
    when none is).  One small object per machine, reused: a push and a pop per call.
    """

    __slots__ = ("machine",)

    def __init__(self, machine: "Machine") -> None:
        self.machine = machine

    def __enter__(self) -> "Machine":
        _machines.append(self.machine)
        return self.machine

    def __exit__(self, *exc) -> bool:
        _leave(self.machine)
        return False


NOTHING_COMPLETES = N_(
    "nothing scheduled on the virtual clock could complete it (after {waited:g} virtual "
    "seconds): on Windows this thread would wait for ever"
)
"""Why an endless wait gave up when nothing scheduled was left (:meth:`Machine.wait_for`)."""
GAVE_UP = N_(
    "wdfkit gave up after {waited:g} virtual seconds (its cap: {limit:g} s or {actions} clock "
    "actions) with work still scheduled that never completed it (on Windows it waits for ever)"
)
"""Why an endless wait gave up at wdfkit's cap, work still scheduled (:meth:`Machine.wait_for`)."""


class Machine:
    """A fresh, isolated, deterministic simulated machine.

    *driver_name* is the driver's service name (it gives the default pool tag); *verifier*
    says whether Driver Verifier verifies the driver, *driver_verifier* and *kmdf_verifier*
    set the two tools apart (each defaults to *verifier*: see the module docstring);
    *pool_limit* is how many bytes each pool can hand out (default 512 MiB: both pools written
    full with distinct bytes cost the host about 1 GiB, which a 2 GB notebook pod survives;
    pages never written, or written whole with one byte value, cost next to nothing — see
    :mod:`wdfkit.kernel.pool`); *seed* seeds :attr:`rng`, the only
    source of randomness a lesson should use;
    *log_size* bounds the framework log (a ring, like the IFR); *verbose* logs every object
    state transition; *timeline* records the lifetimes the life-cycle lessons draw (a listener
    on :attr:`events`; see :mod:`wdfkit.sim.timeline`).  *scan_phase* and *scan_every_second*
    set up the balance-set manager that re-tunes lookaside lists (see
    :class:`~wdfkit.kernel.lookaside.BalanceSetManager`).

    *DriverEntry* loads a driver as Windows does: ``DriverEntry(DriverObject, RegistryPath)``
    runs once FX_DRIVER_GLOBALS exist and must create the WDFDRIVER with ``WdfDriverCreate``
    (its WDF_DRIVER_CONFIG gives EvtDriverDeviceAdd, EvtDriverUnload and the pool tag, which
    wins over *driver_pool_tag*); if it returns an error the driver is not loaded (see
    :meth:`_load`).  Without it the machine makes a WDFDRIVER with no callbacks itself, as the
    lessons 00-11 expect.
    """

    def __init__(
        self,
        driver_name: str = "Toaster",
        *,
        verifier: bool = True,
        kmdf_verifier: bool | None = None,
        driver_verifier: bool | None = None,
        pool_limit: int = 512 << 20,
        driver_pool_tag: int = 0,
        seed: int = 0,
        log_size: int = 200,
        verbose: bool = False,
        scan_phase: int = PAGED_SLOT,
        scan_every_second: bool = False,
        timeline: bool = False,
        DriverEntry=None,
    ) -> None:
        _check_options(driver_pool_tag, seed, log_size, scan_phase)
        if not isinstance(driver_name, str) or not driver_name.isascii() or not driver_name:
            raise TypeError("Machine: driver_name must be a non-empty ASCII string")
        if isinstance(pool_limit, bool) or not isinstance(pool_limit, int):
            raise TypeError(f"Machine: pool_limit must be an int, not {type(pool_limit).__name__}")
        if pool_limit < BOOT_POOL:
            raise ValueError(
                f"Machine: pool_limit must be at least {BOOT_POOL} bytes, what loading the "
                f"driver takes (FX_DRIVER_GLOBALS and the WDFDRIVER); got {pool_limit}"
            )
        self.driver_name = driver_name
        self.number = next(_numbers)
        """This machine's number in this Python process (1 for the first one created)."""
        self.name = f"machine #{self.number} '{driver_name}'"
        """How error messages name this machine: ``machine #2 'Toaster'``."""
        self._driver_code = DriverCode(self)
        self._running_callbacks: list[str] = []
        """The driver callbacks running now, innermost last (see :meth:`run_callback`)."""
        self.driver_verifier = bool(verifier if driver_verifier is None else driver_verifier)
        """Driver Verifier verifies this driver: special pool, pool tracking, fixed-depth
        lookaside lists, 0xC4 for the pool mistakes it catches."""
        self.kmdf_verifier = bool(self.driver_verifier if kmdf_verifier is None else kmdf_verifier)
        """KMDF Verifier (FxVerifierOn): IRQL checks, the [verifier] request checks, reference
        tracking, KMDF's pool tracking; its default follows Driver Verifier (KMDF ≥ 1.9)."""
        self.verbose = bool(verbose)
        self.rng = random.Random(seed)
        """The machine's random numbers: seeded, so every run is the same."""
        self.clock = VirtualClock()
        self.irql = 0
        """Current IRQL: PASSIVE_LEVEL (0), APC_LEVEL (1) or DISPATCH_LEVEL (2)."""
        self.pool = Pool(pool_limit, self.driver_verifier, lambda: self.irql)
        self.pool.on_fault = self._memory_fault
        self.objects: dict[int, object] = {}
        """Live framework objects by handle value."""
        self.balance = BalanceSetManager(scan_phase, scan_every_second)
        """The kernel's once-a-second housekeeping: lookaside lists and their history."""
        self.balance_ticks = self.clock.every(
            TICKS_PER_SECOND,
            self.balance.tick,
            self.balance.idle,
            self.balance.skip,
            background=True,
        )
        """The once-a-second wake-up (housekeeping: it completes no I/O); idle stretches are
        skipped in one step (kernel.clock)."""
        self.events = EventHub()
        """What happens on this machine, announced (see :mod:`wdfkit.sim.events`)."""
        self._timeline: Timeline | None = None
        if timeline:
            self.timeline = Timeline(self)
        self.devices: list = []
        self.pdo_count = 0  # numbers the PDOs' and unnamed control devices' names
        self.namespace = Namespace()
        """Device names, symbolic links and device interfaces (see wdfkit.kernel.namespace)."""
        self.physical = PhysicalMemory(mapped=self.pool.page_mapped)
        self.user_memory = UserMemory(self.pool)
        """The applications' buffers at user-mode addresses (see wdfkit.kernel.usermode)."""
        self.log: deque[tuple[int, int, str, tuple]] = deque(maxlen=log_size)
        """The framework log: (ticks, IRQL, message, arguments); read it with log_lines()."""
        self.state = RUNNING
        self.bugcheck: BugCheck | None = None
        self.return_address = IMAGE_BASE + 0x1A2C
        self.user_memory.instruction = self.return_address
        self.tag = driver_tag(driver_name, driver_pool_tag)
        self._globals_block = self.pool.allocate(NonPagedPoolNx, GLOBALS_SIZE, FX_TAG, FRAMEWORK)
        self.driver_globals = self._globals_block.address
        """Address of FX_DRIVER_GLOBALS: parameter 4 of every WDF_VIOLATION."""
        self.trace(f"FxInitialize: {self.verifiers()}")  # before DriverEntry, as in globals.cpp
        self.driver_object = DRIVER_OBJECT(self, driver_name)
        """The DRIVER_OBJECT the I/O manager made for the driver (DriverEntry's first argument)."""
        self.registry_path = SERVICES + driver_name
        """The driver's service key (DriverEntry's second argument)."""
        self.load_status = STATUS_SUCCESS
        """What DriverEntry returned (STATUS_SUCCESS when the machine made the driver itself)."""
        self.driver: FxDriver | None = None
        self.loaded_by_driver_entry = DriverEntry is not None
        """The driver came with its own DriverEntry (else the machine made the WDFDRIVER)."""
        if DriverEntry is None:
            self.driver = FxDriver.create(self)
            self.driver_object.DriverUnload = "FxDriver::Unload"
            self.trace(
                f"DriverEntry: WdfDriverCreate -> {self.driver.handle!r}, "
                f"pool tag '{tag_text(self.tag)}'"
            )
        else:
            self._load(DriverEntry)

    def __repr__(self) -> str:
        return (
            f"<Machine '{self.driver_name}': {self.state}, "
            f"{self.verifiers()}, t={self.clock.seconds:.6f} s>"
        )

    def verifiers(self) -> str:
        """Which of the two tools are on, as a line of text says it."""
        kmdf = "on" if self.kmdf_verifier else "off"
        return f"KMDF Verifier {kmdf}, Driver Verifier {'on' if self.driver_verifier else 'off'}"

    @property
    def timeline(self) -> Timeline | None:
        """The recorded lifetimes of requests, memory and buffers, or None when off.

        Setting it (a new :class:`Timeline`, or None) moves the subscription to :attr:`events`
        from the old timeline to the new one.
        """
        return self._timeline

    @timeline.setter
    def timeline(self, timeline: Timeline | None) -> None:
        if self._timeline is not None:
            self.events.unsubscribe(self._timeline.record)
        self._timeline = timeline
        if timeline is not None:
            self.events.subscribe(timeline.record)

    # -- which machine the DDIs act on ----------------------------------------------------
    def __enter__(self) -> "Machine":
        _machines.append(self)
        return self

    def __exit__(self, *exc) -> bool:
        _leave(self)
        return False

    def running_driver_code(self) -> DriverCode:
        """A context manager that makes this machine current while the simulation runs the
        driver's code (see :class:`DriverCode`); cheap enough for every request."""
        return self._driver_code

    def activate(self) -> "Machine":
        """Make this the machine DDIs act on outside any ``with`` block; returns self."""
        _machines[0] = self
        return self

    def deactivate(self) -> "Machine":
        """Stop being the machine DDIs act on outside ``with`` blocks, if it is; returns self."""
        if _machines[0] is self:
            _machines[0] = None
        return self

    # -- running and stopping ---------------------------------------------------------------
    def check_running(self, ddi: str) -> None:
        """Refuse to run a DDI on a machine that has stopped, saying why."""
        if self.state == CRASHED:
            raise MachineHalted(
                f"{ddi}: this machine stopped with bug check\n"
                f"    {self.bugcheck.summary()};\ncreate a new Machine to go on"
            )
        if self.state == UNLOADED:
            if not NT_SUCCESS(self.load_status):
                raise MachineHalted(
                    f"{ddi}: the driver never loaded on this machine: its DriverEntry "
                    f"returned {self.load_status}"
                )
            raise MachineHalted(f"{ddi}: the driver has been unloaded from this machine")
        if self.state == STOPPED:
            raise MachineHalted(f"{ddi}: this machine stopped: {self.stopped_by}")

    def crash(self, bugcheck: BugCheck, ddi: str) -> None:
        """KeBugCheckEx: record the bug check and stop the machine.

        A machine stops once: the first bug check (or the exception that stopped it, see
        :meth:`run_callback`) is the one it keeps; a caller further out that catches the same
        bug check on its way up finds the machine already stopped.
        """
        if self.state is not RUNNING:
            return
        if bugcheck.ddi is None:
            bugcheck.ddi = ddi
        self.state = CRASHED
        self.bugcheck = bugcheck
        if self.events.listeners:
            self.events.emit(Event.BUG_CHECK, bugcheck.code, bugcheck.summary(), bugcheck.ddi)
        self.trace(f"*** BUG CHECK {bugcheck.summary()} in {bugcheck.ddi}")

    def access(self, action):
        """Run a memory access; a fault stops the machine."""
        return self.within("a memory access", action)

    def within(self, where: str, action):
        """Run *action* as *where* (the slot a DDI's name takes, ``call.ddi``): a bug check
        raised in it and not inside a DDI it calls stops this machine and names *where*.

        The contexts that are not DDIs — the driver's callbacks the PnP and I/O managers call,
        the clock's DPCs, unload, a driver's own pointer access — name themselves this way.
        """
        caller, call.ddi = call.ddi, where
        try:
            return action()
        except BugCheck as bugcheck:
            self.crash(bugcheck, where)
            raise
        finally:
            call.ddi = caller

    def _memory_fault(self, bugcheck: BugCheck) -> None:
        """The pool found a bad access (a page fault, 0x50 / 0xD5): KeBugCheckEx stops the
        machine right there, whoever touched the memory — a DDI, a DPC, or the driver's own
        code outside any DDI (a PMDL field, a PFN array entry, a view of a freed MDL).

        The one choke point for memory: on Windows the fault handler bug-checks the machine
        whatever code ran (MmAccessFault → KeBugCheckEx).  The bug check names what was
        running: the DDI or context in ``call.ddi`` (see :meth:`within`), else "a memory
        access".
        """
        where = call.ddi
        self.crash(bugcheck, "a memory access" if where == OUTSIDE_ANY_DDI else where)

    def trace(self, text: str, *args) -> None:
        """Append a line to the framework log (a bounded ring, like KMDF's IFR).

        With *args*, *text* is a ``%`` format applied only when the log is read, as the IFR
        stores a message's arguments and formats them in the debugger.
        """
        self.log.append((self.clock.ticks, self.irql, text, args))

    def log_lines(self) -> list[str]:
        """The framework log, oldest first, one formatted line per entry."""
        return [
            f"[{ticks / TICKS_PER_SECOND:10.6f}s IRQL {irql}] {text % args if args else text}"
            for ticks, irql, text, args in self.log
        ]

    def advance(self, seconds: float) -> None:
        """Move virtual time forward, running whatever falls due on the way.

        Idle time is a jump, not a walk: the balance-set manager's once-a-second tick is
        skipped in one step while it has nothing to do (see :mod:`wdfkit.kernel.clock`), so
        ``advance(1e9)`` costs what the events on the way cost.  *seconds* is a finite number
        ≥ 0 that keeps the clock within its 64 bits of 100 ns (about 29,000 years); anything
        else (NaN, infinity, a negative number, a string, True) is a ValueError.
        """
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise ValueError(
                f"Machine.advance: seconds must be a finite number ≥ 0, not {seconds!r}"
            )
        ticks = round(seconds * TICKS_PER_SECOND)
        if self.clock.ticks + ticks > MAXIMUM_TICKS:
            raise ValueError(
                f"Machine.advance: seconds={seconds!r} would take the clock past its 64 bits "
                f"of 100 ns (at most {(MAXIMUM_TICKS - self.clock.ticks) // TICKS_PER_SECOND} "
                "more seconds)"
            )
        self.check_running("Machine.advance")
        self._not_from_driver_code("advance")
        deadline = self.clock.ticks + ticks
        with self._driver_code:  # DPCs and completions that fall due run on this machine
            self.access(lambda: self.clock.run_until(deadline))

    HANG_LIMIT = 30 * 24 * 3600.0
    """The most virtual seconds one endless wait runs while work is still scheduled (30 days:
    beyond any lower device's latency, see :meth:`wait_for`)."""
    HANG_ACTIONS = 100_000
    """The most clock actions (DPCs, timers, completions) one endless wait runs: what keeps a
    driver whose periodic timer never completes the request from busying the host."""

    last_hang: str = ""
    """Why the last endless wait gave up (see :meth:`wait_for`), in English, as the log says it
    and for programmers' errors; :meth:`hang_reason` says it to the learner."""
    _hang: tuple[str, dict] = ("", {})
    """That reason as its English message and its fields: :meth:`hang_reason` translates it."""

    def hang_reason(self) -> str:
        """Why the last endless wait gave up, in the learner's language."""
        message, fields = self._hang
        return _(message).format(**fields)

    def wait_for(self, finished, timeout_ticks: int | None, who) -> bool:
        """Run virtual time until *finished()*; True if it held, False if the wait gave up.

        This is a thread blocking: whatever falls due meanwhile (DPCs, timers, lower-device
        completions, the balance-set manager) runs; idle stretches are skipped in one step.

        With *timeout_ticks* it is a wait with a timeout (KeWaitForSingleObject's Timeout): it
        ends at the deadline whatever is scheduled.  Without, it is a wait with no timeout,
        which on Windows lasts for ever: wdfkit lets it run as long as the virtual clock has
        something scheduled that could still complete it (``clock.pending_work`` > 0; the
        balance-set tick is background housekeeping and does not count).  When nothing is
        scheduled, nothing can ever end the wait: that is a hang, reported at once — a trace
        line naming *who* (the request it waits for), the clock left where it is, and False.
        A cap keeps a wait from running for ever when something is always scheduled but never
        completes the request (a periodic timer that forgets it): after HANG_LIMIT virtual
        seconds or HANG_ACTIONS clock actions, whichever comes first, it is reported the same
        way.  :attr:`last_hang` keeps the reason for the caller's message.  *who* names the
        waiter in that report: a str, or a function giving it (called only for a report).
        """
        clock = self.clock
        if timeout_ticks is not None:
            deadline = min(clock.ticks + round(timeout_ticks), MAXIMUM_TICKS)
            actions = None
        else:  # no timeout: only while work is scheduled, at most HANG_ACTIONS actions
            deadline = min(clock.ticks + round(self.HANG_LIMIT * TICKS_PER_SECOND), MAXIMUM_TICKS)
            actions = self.HANG_ACTIONS
        started = clock.ticks
        with self._driver_code:  # DPCs and completions run on this machine
            if self.within("a DPC", lambda: clock.run_until(deadline, finished, actions)):
                return True
        if finished():
            return True
        if timeout_ticks is None:
            waited = (clock.ticks - started) / TICKS_PER_SECOND
            if clock.pending_work == 0:
                self._hang = (NOTHING_COMPLETES, {"waited": waited})
            else:
                limits = {"limit": self.HANG_LIMIT, "actions": self.HANG_ACTIONS}
                self._hang = (GAVE_UP, {"waited": waited, **limits})
            self.last_hang = self._hang[0].format(**self._hang[1])
            self.trace("%s is still waiting: %s", who() if callable(who) else who, self.last_hang)
        return False

    # -- devices and I/O --------------------------------------------------------------------
    def _load(self, DriverEntry) -> None:
        """IopLoadDriver: call the driver's ``DriverEntry(DriverObject, RegistryPath)``.

        FX_DRIVER_GLOBALS exist before it (the KMDF stub binds them); ``WdfDriverCreate`` in
        it makes the WDFDRIVER.  A DriverEntry that returns an error leaves the driver not
        loaded, as on Windows: no EvtDriverUnload (wdfdriver.h's EVT_WDF_DRIVER_UNLOAD page),
        the WDFDRIVER and everything under it deleted (cleanup callbacks run), the pool
        checks of an unload made (a leak is 0xC4/0x62 with Driver Verifier), and the machine
        UNLOADED: ``load_status`` holds the status and every later DDI says the driver never
        loaded.  Returning success without WdfDriverCreate is a RuntimeError (a KMDF driver
        must call it before any other framework routine; wdfkit does not model a driver
        without a WDFDRIVER) and leaves the machine STOPPED.
        """
        if not callable(DriverEntry):
            raise TypeError(
                "Machine: DriverEntry must be a function DriverEntry(DriverObject, "
                f"RegistryPath), not {type(DriverEntry).__name__}"
            )
        self.trace("DriverEntry(%r, %s)", self.driver_object, self.registry_path)
        status = self.within(
            "DriverEntry",
            lambda: self.run_callback(
                "DriverEntry", DriverEntry, self.driver_object, self.registry_path
            ),
        )
        try:
            pnp.check_returned_status("DriverEntry", status)
        except (TypeError, ValueError):
            self.state = STOPPED
            self.stopped_by = "DriverEntry returned no NTSTATUS"
            raise
        self.load_status = NTSTATUS(status)
        if not NT_SUCCESS(status):
            self.trace("DriverEntry failed %s: the driver is not loaded", self.load_status)
            self._finish_unload()
            return
        if self.driver is None:
            self.state = STOPPED
            self.stopped_by = "DriverEntry returned success without calling WdfDriverCreate"
            raise RuntimeError(
                "DriverEntry returned success without calling WdfDriverCreate: a KMDF driver "
                "must create its WDFDRIVER in DriverEntry before it calls any other framework "
                "routine"
            )

    def add_device(self, EvtDriverDeviceAdd=None):
        """The PnP manager finds a device for this driver, calls *EvtDriverDeviceAdd*, then
        starts the device.

        The callback is ``EvtDriverDeviceAdd(Driver, DeviceInit)`` returning an NTSTATUS, as
        in C; None (the default) means the one in the driver's WDF_DRIVER_CONFIG.  When it
        fails, a device it created is deleted (FxDriver::AddDevice: DeleteDeviceFromFailedCreate,
        km/fxdriverkm.cpp).  When it succeeds, each device it created is started
        (wdfkit.fx.pnp.start_device: EvtDevicePrepareHardware, EvtDeviceD0Entry,
        EvtDeviceSelfManagedIoInit, interfaces enabled); a failing start callback fails the
        start and the device is removed.  Returns EvtDriverDeviceAdd's status, or the failing
        start callback's.
        """
        if EvtDriverDeviceAdd is None:
            self.check_running("Machine.add_device")
            EvtDriverDeviceAdd = self.driver.device_add
            if EvtDriverDeviceAdd is None:
                raise RuntimeError(
                    "Machine.add_device: the driver's WDF_DRIVER_CONFIG has no "
                    "EvtDriverDeviceAdd (a non-PnP driver gets no devices from the PnP manager: "
                    "it creates control devices itself); pass one to add_device"
                )
        if not callable(EvtDriverDeviceAdd):
            raise TypeError(
                "Machine.add_device: EvtDriverDeviceAdd must be a function "
                f"EvtDriverDeviceAdd(Driver, DeviceInit), not {type(EvtDriverDeviceAdd).__name__}"
            )
        self.check_running("Machine.add_device")
        self._not_from_driver_code("add_device")
        self.trace("PnP: calling EvtDriverDeviceAdd")
        init = WDFDEVICE_INIT()
        known = list(self.devices)
        checked = pnp.status_checked("EvtDriverDeviceAdd", EvtDriverDeviceAdd)
        status = self.within(
            "EvtDriverDeviceAdd",
            lambda: self.run_callback("EvtDriverDeviceAdd", checked, self.driver.handle, init),
        )
        added = [d for d in self.devices if d not in known and not d.is_control]
        if not NT_SUCCESS(status):
            for device in added:
                self.trace("PnP: EvtDriverDeviceAdd failed %s: deleting %r", status, device.handle)
                with self._driver_code:
                    self.within("EvtDriverDeviceAdd", device.delete_object)
            return status
        for device in added:
            started = pnp.start_device(device)
            if not NT_SUCCESS(started):
                return started
        return status

    def remove_device(self, device=None, surprise: bool = False) -> None:
        """The PnP manager removes *device* (a WDFDEVICE handle; default: the first PnP
        device): orderly, or surprise removal (the hardware is gone) when *surprise*.

        The driver's callbacks run in KMDF's order (wdfkit.fx.pnp.remove_device): SurpriseRemoval
        first for a surprise removal, SelfManagedIoSuspend, queues stopped (the framework waits
        until the driver has completed or acknowledged every request it owns), D0Exit(
        WdfPowerDeviceD3Final), ReleaseHardware, interfaces disabled and the symbolic link
        deleted, queues purged, SelfManagedIoFlush, SelfManagedIoCleanup; then the device is
        deleted.  While it waits, virtual time runs (:meth:`wait_for`).  A driver that never
        completes a request it owns is the hang it would be on Windows: a RuntimeError names
        the requests and the machine goes on running, the device half-removed
        (``device.removed``: new I/O is refused); calling remove_device again after
        completing them finishes the removal.
        """
        self.check_running("Machine.remove_device")
        self._not_from_driver_code("remove_device")
        if not isinstance(surprise, bool):
            raise TypeError(
                f"Machine.remove_device: surprise must be True or False, not {surprise!r}"
            )
        target = self._pnp_device(device)
        with self._driver_code:
            pnp.remove_device(target, surprise, self._removal_wait)

    def _pnp_device(self, device):
        pnp_devices = [d for d in self.devices if not d.is_control]
        if device is None:
            if not pnp_devices:
                raise RuntimeError("Machine.remove_device: the driver has no PnP device")
            return pnp_devices[0]
        if not isinstance(device, WDFHANDLE):
            raise TypeError(
                f"Machine.remove_device: device must be a WDFDEVICE handle or None, "
                f"not {type(device).__name__}"
            )
        for candidate in pnp_devices:
            if candidate.handle == device:
                return candidate
        raise ValueError(
            f"Machine.remove_device: {device!r} is not a PnP device of this driver "
            "(a control device is deleted by the driver: WdfObjectDelete)"
        )

    def _removal_wait(self, finished, who: str) -> bool:
        return bool(self.wait_for(finished, None, who))

    stopped_by: str = ""
    """Why a STOPPED machine stopped: the callback and the exception that escaped it."""

    def run_callback(self, name: str, callback, *args):
        """Call the driver's *callback* (named *name*, e.g. "EvtIoRead") with *args*.

        Every place the framework calls a driver callback goes through here: the queue's
        presentation (EvtIo…), completion routines, EvtCleanupCallback/EvtDestroyCallback,
        EvtProgramDma and EvtDriverDeviceAdd.  A bug check passes through (it has already
        stopped the machine).  Any other exception — a Python error in the learner's code, or
        a TypeError from a DDI it called wrongly — escapes with the learner's own traceback and
        a note naming the callback, and leaves the machine STOPPED: the request (or object) it
        was working on is half-processed, so nothing on this machine is run again and every
        later DDI says why (MachineHalted).  Other machines go on.

        Windows: an exception a driver does not handle stops the computer with a bug check
        (KMODE_EXCEPTION_NOT_HANDLED, 0x1E, or SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, 0x7E).
        wdfkit stops the machine without inventing one: most Python errors (a wrong type, a
        misspelt name) have no C equivalent at run time.
        """
        running = self._running_callbacks
        running.append(name)
        try:
            with self._driver_code:  # the driver runs on its own machine
                return callback(*args)
        except (BugCheck, MachineHalted):
            raise
        except Exception as error:
            if self.state is RUNNING:
                self.state = STOPPED
                self.stopped_by = f"{type(error).__name__} raised in the driver's {name}"
                self.trace("*** STOPPED: %s", self.stopped_by)
                error.add_note(
                    f"wdfkit: this exception escaped the driver's {name}, leaving its request "
                    "or object half-processed, so the machine has stopped (an exception a Windows "
                    "driver does not handle is a bug check). Fix it and create a new Machine."
                )
            raise
        finally:
            running.pop()

    def _not_from_driver_code(self, operation: str) -> None:
        """Refuse *operation* (advance, add_device, remove_device, unload) inside a driver
        callback: time passing, the PnP manager and the driver's unload happen between the
        driver's callbacks.  On Windows a callback cannot make them happen: at DISPATCH_LEVEL,
        holding its queue's lock, it keeps the DPCs that share the lock from running, and no
        driver routine unloads its own driver.  A RuntimeError (it escapes the callback, so
        the machine stops as :meth:`run_callback` says)."""
        if self._running_callbacks:
            raise RuntimeError(
                f"Machine.{operation}: called from inside the driver's "
                f"{self._running_callbacks[-1]}: virtual time, the PnP manager and the driver's "
                "unload move only between the driver's callbacks. Call it from the test or "
                "notebook cell that drives the machine (a driver waits with a WDFTIMER)."
            )

    def application(self, requestor_mode: int | None = None):
        """A process (UserMode, the default) or a KernelMode client with the first device open
        (see :class:`wdfkit.kernel.iomanager.Application`)."""
        if not self.devices:
            raise RuntimeError(
                "Machine.application: the driver has no device yet; "
                "call machine.add_device(EvtDriverDeviceAdd) first"
            )
        mode = UserMode if requestor_mode is None else requestor_mode
        if mode not in (0, 1):
            raise ValueError("Machine.application: requestor_mode must be UserMode or KernelMode")
        return Application.open(self, self.devices[0], mode)

    def process(self):
        """A new user-mode process with nothing open: ``CreateFile`` opens a device by its
        symbolic link (``\\\\.\\Name``) or an interface path from
        ``CM_Get_Device_Interface_List`` (see :mod:`wdfkit.kernel.iomanager`)."""
        self.check_running("Machine.process")
        return Process(self)

    @property
    def lower_device(self):
        """The device below the driver's first device: set its latency or make it fail."""
        return self.devices[0].lower if self.devices else None

    def unload(self) -> None:
        """Unload the driver as Windows does: delete WDFDRIVER and its tree, then check pool.

        With KMDF Verifier on, objects still referenced are reported in the log (KMDF's own
        pool tracking: FxPoolDestroy calls FxPoolDump only when IsPoolTrackingOn(), wdfpool.cpp).
        With Driver Verifier on, pool the driver allocated itself and never freed stops the
        machine with DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) / 0x62 (its pool tracking): Arg2
        the address of the driver's name, Arg4 the number of allocations not freed.  Arg3 is
        reserved (on a real machine it holds a pointer into Driver Verifier's own per-driver
        data); wdfkit leaves it 0 and the blue screen says it is reserved.

        A driver that still owns a request cannot be unloaded: Windows unloads a driver only
        after its devices are removed, and removal waits until every request the driver owns
        is completed (FxPkgIo::StopProcessingForPower with FxIoStopProcessingForPowerPurge-
        NonManaged "returns when all requests … have been completed and/or cancelled", only
        called during device-remove, fxpkgio.cpp; each queue waits on m_PowerIdle,
        fxioqueue.cpp).  wdfkit waits the same way — virtual time runs, so a request the lower
        device completes meanwhile is finished — but, as a synchronous wait does, it gives up
        when nothing scheduled could complete them (see :meth:`wait_for`): then it refuses
        with a RuntimeError naming the requests, and the machine stays loaded and running (a
        real removal would wait for ever).

        In order: the PnP manager removes each PnP device (:meth:`remove_device`'s path, with
        the driver's PnP callbacks; a machine without a DriverEntry first waits for the
        requests its driver owns, as it always has); requests still owned on a control device
        are waited for the same way (their open handles keep the device, so the driver, in
        memory); then FxDriver::Unload: EvtDriverUnload, the WDFDRIVER deleted with its tree
        (a control device the driver did not delete goes here).  A non-PnP driver without an
        EvtDriverUnload cannot be unloaded at all (KMDF leaves DriverUnload NULL): a
        RuntimeError says so.
        """
        self.check_running("Machine.unload")
        self._not_from_driver_code("unload")
        if self.driver_object.DriverUnload is None:
            raise RuntimeError(
                "Machine.unload: the driver cannot be unloaded: it is a non-PnP driver "
                "(WdfDriverInitNonPnpDriver) without an EvtDriverUnload, so KMDF left "
                "DRIVER_OBJECT.DriverUnload NULL (FxDriver::Initialize)"
            )
        if not self.loaded_by_driver_entry:
            self._wait_for_owned_requests()
        with self._driver_code:  # the driver's callbacks run on this machine
            for device in [d for d in self.devices if not d.is_control]:
                pnp.remove_device(device, False, self._removal_wait)
            self._wait_for_owned_requests()  # a control device's: its handles keep it alive
            callback = self.driver.unload_callback
            if callback is not None:  # FxDriver::Unload
                self.trace("EvtDriverUnload(%r)", self.driver.handle)
                self.within(
                    "EvtDriverUnload",
                    lambda: self.run_callback("EvtDriverUnload", callback, self.driver.handle),
                )
        self._finish_unload()

    def _wait_for_owned_requests(self) -> None:
        """Run virtual time until the driver owns no request; a RuntimeError naming them when
        nothing completes them (see :meth:`unload`)."""
        if self._owned_requests() and not self.wait_for(
            lambda: not self._owned_requests(), None, "Driver unload (device removal)"
        ):
            owned = ", ".join(repr(r.handle) for r in self._owned_requests())
            raise RuntimeError(
                f"Machine.unload: the driver still owns {owned}; Windows cannot unload it: "
                "removing the device waits until the driver completes its requests "
                f"({self.last_hang}). "
                "Complete them (WdfRequestComplete), then unload."
            )

    def _finish_unload(self) -> None:
        """Delete the WDFDRIVER and its tree, then KMDF's and Driver Verifier's pool checks,
        free FX_DRIVER_GLOBALS; the machine is UNLOADED (see :meth:`unload`)."""
        if self.driver is not None:
            self.trace("Driver unload: deleting WDFDRIVER and its descendants")
            with self._driver_code:  # cleanup and destroy callbacks run on this machine
                self.within("driver unload", self.driver.delete_object)
        if self.kmdf_verifier:  # FxPoolDestroy dumps only with IsPoolTrackingOn() (wdfpool.cpp)
            for obj in self.objects.values():
                self.trace(f"FxPoolDump: {obj.handle!r} still referenced at unload (leaked)")
        leaks = [b for b in self.pool.live_blocks() if b.owner == DRIVER]
        for block in leaks:
            tag = tag_text(block.tag)
            self.trace(f"Pool leak: 0x{block.address:016X} {block.size:#x} bytes tag '{tag}'")
        if leaks and self.driver_verifier:
            paged = sum(1 for b in leaks if is_paged(b.pool_type))
            bugcheck = BugCheck(
                DRIVER_VERIFIER_DETECTED_VIOLATION,
                (0x62, DRIVER_NAME_ADDRESS, 0, len(leaks)),
                _(
                    "The driver is unloading without freeing its pool: {count} allocation(s) "
                    "({paged} paged, {nonpaged} nonpaged).\n"
                    "    Arg2: the driver's name. Arg3: reserved (Driver Verifier's own data; "
                    "0 here)."
                ).format(count=len(leaks), paged=paged, nonpaged=len(leaks) - paged),
            )
            self.crash(bugcheck, "driver unload")
            raise bugcheck
        if not self.objects:
            self.pool.free(self._globals_block.address, FX_TAG)
        self.state = UNLOADED
        self.trace("Driver unloaded")

    def describe_irp(self, irp) -> str:
        """``IRP 0x…`` and, when a framework request wraps it, which and where it is: what a
        hang report names."""
        text = f"IRP 0x{irp.address:X}"
        for obj in self.objects.values():
            if getattr(obj, "irp", None) is irp:
                queue = getattr(obj, "queue", None)
                if obj in getattr(queue, "presented", ()):
                    return f"{text} ({obj.handle!r}, owned by the driver)"
                if obj in getattr(queue, "waiting", ()):
                    return f"{text} ({obj.handle!r}, waiting in {queue.handle!r})"
                return f"{text} ({obj.handle!r})"
        return text

    def _owned_requests(self) -> list:
        """The requests the driver's queues have presented and it has not completed yet,
        creates EvtDeviceFileCreate holds included (see :func:`wdfkit.fx.pnp.owned_creates`)."""
        queued = [
            request
            for obj in self.objects.values()
            if isinstance(obj, FxIoQueue)
            for request in obj.presented
        ]
        return queued + [r for device in self.devices for r in pnp.owned_creates(device)]

    # -- what the tools show ------------------------------------------------------------------
    def snapshot(self) -> MachineSnapshot:
        """A frozen copy of everything views, plots and widgets show."""
        objects: list[ObjectSnapshot] = []

        def walk(obj, depth):
            objects.append(_object_snapshot(obj, depth))
            for part in obj.embedded():  # no count of its own: listed under its container
                objects.append(_object_snapshot(part, depth + 1, embedded=True))
            for child in obj.children:
                walk(child, depth + 1)

        if self.driver is not None and self.driver.handle.value in self.objects:
            walk(self.driver, 0)
        listed = {o.handle for o in objects}
        for value, obj in self.objects.items():  # no parent, or deleted but still referenced
            if value not in listed and obj.container is None:
                start = len(objects)
                walk(obj, 0)
                listed.update(o.handle for o in objects[start:])
        holds = {self.driver_globals: (BlockHolds.DRIVER_GLOBALS, None)}
        for obj in self.objects.values():
            for address, held in obj.pool_blocks().items():
                holds[address] = (held, obj.HANDLE_NAME)
        unclaimed = (BlockHolds.UNKNOWN, None)
        blocks = tuple(
            BlockSnapshot(
                b.address,
                b.size,
                tag_text(b.tag),
                b.paged,
                b.owner,
                *holds.get(b.address, unclaimed),
            )
            for b in self.pool.live_blocks()
        )
        tags = tuple(
            TagSnapshot(u.tag, u.paged, u.allocs, u.frees, u.bytes_in_use)
            for u in self.pool.tag_usage()
        )
        log = tuple(
            LogEntry(ticks / TICKS_PER_SECOND, irql, text % args if args else text)
            for ticks, irql, text, args in self.log
        )
        return MachineSnapshot(
            driver_name=self.driver_name,
            driver_tag=tag_text(self.tag),
            kmdf_verifier=self.kmdf_verifier,
            driver_verifier=self.driver_verifier,
            state=MachineState(self.state),
            seconds=self.clock.seconds,
            irql=self.irql,
            objects=tuple(objects),
            blocks=blocks,
            tags=tags,
            balance=self.balance.snapshot(),
            log=log,
            bugcheck=None if self.bugcheck is None else self.bugcheck.blue_screen(),
            timeline=None if self.timeline is None else self.timeline.snapshot(),
        )


def _object_snapshot(obj, depth: int, embedded: bool = False) -> ObjectSnapshot:
    return ObjectSnapshot(
        handle=obj.handle.value,
        type_name=obj.HANDLE_NAME,
        address=obj.address,
        refcnt=None if embedded else obj.refcnt,
        state=ObjectState(obj.state),
        parent=None if obj.parent is None else obj.parent.handle.value,
        depth=depth,
        detail=obj.detail(),
    )


def boot(driver_name: str = "Toaster", **options) -> Machine:
    """Start a fresh machine with the driver loaded and make it the current one."""
    return Machine(driver_name, **options).activate()
