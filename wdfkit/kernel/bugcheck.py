"""Bug checks: the blue screen, as an exception that stops one simulated machine.

When Windows finds a state it cannot safely continue from, it calls ``KeBugCheckEx`` with a
code and four parameters, and the machine stops.  In wdfkit a :class:`BugCheck` exception
carries the same code, name and parameters, plus a sentence on what they mean and the DDI
that was running.  The machine that raised it is halted; Python and other machines go on.

Mirrors: bugcodes.h, KMDF's wdfbugcodes.h, and the debugger's bug-check reference pages.
Simplified: only the codes the course meets; parameters that hold code addresses use the
simulated driver image's addresses.
"""

from ..language import _
from .pointer import SIZE_T_MAX
from .text import fill

WDF_VIOLATION = 0x10D
BAD_POOL_CALLER = 0xC2
DRIVER_VERIFIER_DETECTED_VIOLATION = 0xC4
PAGE_FAULT_IN_NONPAGED_AREA = 0x50
DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL = 0xD5
IRQL_NOT_GREATER_OR_EQUAL = 0x09
MULTIPLE_IRP_COMPLETE_REQUESTS = 0x44
CANCEL_STATE_IN_COMPLETED_IRP = 0x48
KMODE_EXCEPTION_NOT_HANDLED = 0x1E
DRIVER_IRQL_NOT_LESS_OR_EQUAL = 0xD1

BUGCHECK_NAMES = {
    WDF_VIOLATION: "WDF_VIOLATION",
    BAD_POOL_CALLER: "BAD_POOL_CALLER",
    DRIVER_VERIFIER_DETECTED_VIOLATION: "DRIVER_VERIFIER_DETECTED_VIOLATION",
    PAGE_FAULT_IN_NONPAGED_AREA: "PAGE_FAULT_IN_NONPAGED_AREA",
    DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL: "DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL",
    IRQL_NOT_GREATER_OR_EQUAL: "IRQL_NOT_GREATER_OR_EQUAL",
    MULTIPLE_IRP_COMPLETE_REQUESTS: "MULTIPLE_IRP_COMPLETE_REQUESTS",
    CANCEL_STATE_IN_COMPLETED_IRP: "CANCEL_STATE_IN_COMPLETED_IRP",
    KMODE_EXCEPTION_NOT_HANDLED: "KMODE_EXCEPTION_NOT_HANDLED",
    DRIVER_IRQL_NOT_LESS_OR_EQUAL: "DRIVER_IRQL_NOT_LESS_OR_EQUAL",
}

# WDF_BUGCHECK_CODES: parameter 1 of WDF_VIOLATION (wdfbugcodes.h).
WDF_POWER_ROUTINE_TIMED_OUT = 0x1
WDF_RECURSIVE_LOCK = 0x2
WDF_VERIFIER_FATAL_ERROR = 0x3
WDF_REQUIRED_PARAMETER_IS_NULL = 0x4
WDF_INVALID_HANDLE = 0x5
WDF_REQUEST_FATAL_ERROR = 0x6
WDF_OBJECT_ERROR = 0x7
WDF_DMA_FATAL_ERROR = 0x8
WDF_QUEUE_FATAL_ERROR = 0xA

# Parameter 2 of WDF_VIOLATION / WDF_REQUEST_FATAL_ERROR (wdfbugcodes.h).
WDF_REQUEST_FATAL_ERROR_REQUEST_ALREADY_SENT = 0x3
WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH = 0x4

WDF_BUGCHECK_CODES = {
    WDF_POWER_ROUTINE_TIMED_OUT: "WDF_POWER_ROUTINE_TIMED_OUT",
    WDF_RECURSIVE_LOCK: "WDF_RECURSIVE_LOCK",
    WDF_VERIFIER_FATAL_ERROR: "WDF_VERIFIER_FATAL_ERROR",
    WDF_REQUIRED_PARAMETER_IS_NULL: "WDF_REQUIRED_PARAMETER_IS_NULL",
    WDF_INVALID_HANDLE: "WDF_INVALID_HANDLE",
    WDF_REQUEST_FATAL_ERROR: "WDF_REQUEST_FATAL_ERROR",
    WDF_OBJECT_ERROR: "WDF_OBJECT_ERROR",
    WDF_DMA_FATAL_ERROR: "WDF_DMA_FATAL_ERROR",
    WDF_QUEUE_FATAL_ERROR: "WDF_QUEUE_FATAL_ERROR",
}


class BugCheck(Exception):
    """A simulated ``KeBugCheckEx``: the machine that raised it has stopped.

    *code* is the bug-check code, *parameters* its four parameters, *meaning* one paragraph
    on what they say, *ddi* the DDI the driver was calling (filled in by the DDI layer).
    """

    def __init__(self, code: int, parameters: tuple[int, int, int, int], meaning: str):
        self.code = code
        self.name = BUGCHECK_NAMES.get(code, "BUGCHECK")
        self.parameters = tuple(int(p) & SIZE_T_MAX for p in parameters)
        self.meaning = meaning
        self.ddi: str | None = None
        super().__init__(self.summary())

    def summary(self) -> str:
        """One line: code, name and the four parameters, e.g. ``0xC4 DRIVER_VERIFIER_… (…)``."""
        params = ", ".join(f"0x{p:X}" for p in self.parameters)
        return f"0x{self.code:X} {self.name} ({params})"

    def __str__(self) -> str:
        where = f" in {self.ddi}" if self.ddi else ""
        return f"{self.summary()}{where}: {self.meaning}"

    def blue_screen(self) -> str:
        """The compact 'blue screen' a notebook shows instead of a long traceback."""
        lines = [
            f"*** STOP: 0x{self.code:08X} {self.name}",
        ]
        for i, p in enumerate(self.parameters, 1):
            lines.append(f"    Arg{i}: {p:016x}")
        if self.ddi:
            # A DDI name ("WdfRequestSend") was being called; a context ("a DPC", "driver
            # unload", the framework calling "EvtDriverDeviceAdd") is where it happened.
            called = self.ddi.isidentifier() and not self.ddi.startswith("Evt")
            lines.append(f"    {'while calling' if called else 'in'} {self.ddi}")
        lines.append(fill(self.meaning, "    ", "    "))
        stopped = _("This simulated machine has stopped; create a new Machine to go on.")
        lines.append(fill(stopped, "    ", "    "))
        return "\n".join(lines)


class MachineHalted(RuntimeError):
    """A DDI was called on a machine that has bug-checked or whose driver has unloaded."""
