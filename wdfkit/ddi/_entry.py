"""What every DDI does on entry: find the machine, refuse if it stopped, say which DDI is
running (``call.ddi``, see wdfkit.fx.call), catch its bug check.

Also the Python-level argument checks: what C's types would not even compile (a string as a
size, a negative size_t) is a ``TypeError``/``ValueError`` that names the DDI and parameter.
A check is given only the parameter's name; the DDI's name comes from the call.  Header macros
that check arguments (``WDF_ALIGN_SIZE_UP``, …) are marked ``@macro`` to name themselves too.
"""

import functools
import inspect

from ..fx.call import call, foreign, named
from ..fx.handles import WDFHANDLE
from ..kernel.bugcheck import BugCheck
from ..kernel.pointer import PVOID, SIZE_T_MAX
from ..sim.events import Event
from ..sim.machine import RUNNING, current_machine

ULONG_MAX = (1 << 32) - 1
_TAGS: dict[str, int] = {}  # tag literals already checked and converted


def ddi(function):
    """Decorate a DDI written as ``f(machine, *c_args)``; learners call ``f(*c_args)``."""
    name = function.__name__
    signature = inspect.signature(function)
    params = list(signature.parameters.values())[1:]

    @functools.wraps(function)
    def entry(*args, **kwargs):
        machine = current_machine(name)
        if machine.state is not RUNNING:
            machine.check_running(name)
        events = machine.events
        if events.listeners:
            handles = tuple(arg for arg in args if isinstance(arg, WDFHANDLE))
            events.emit(Event.DDI_CALLED, name, handles)
        caller, call.ddi = call.ddi, name
        try:
            return function(machine, *args, **kwargs)
        except BugCheck as bugcheck:
            machine.crash(bugcheck, name)
            raise
        finally:
            call.ddi = caller

    entry.__signature__ = signature.replace(parameters=params)
    return entry


def macro(function):
    """Mark a header macro or inline function (no machine needed) so its checks name it."""
    name = function.__name__

    @functools.wraps(function)
    def expand(*args, **kwargs):
        caller, call.ddi = call.ddi, name
        try:
            return function(*args, **kwargs)
        finally:
            call.ddi = caller

    return expand


def size_t(param: str, value, maximum: int = SIZE_T_MAX) -> int:
    """An unsigned integer argument (size_t, ULONG): exact int in range, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(named(f"{param} must be an int, not {type(value).__name__}"))
    if not 0 <= value <= maximum:
        kind = "size_t" if maximum == SIZE_T_MAX else "ULONG"
        raise ValueError(named(f"{param} must fit a {kind} (0..{maximum:#x}), got {value}"))
    return value


def ulong(param: str, value) -> int:
    """A ULONG argument: exact int from 0 to 0xFFFFFFFF, or a clear error."""
    return size_t(param, value, ULONG_MAX)


def unicode_string(param: str, value) -> str:
    """A UNICODE_STRING argument (a name, a link, an SDDL string): a ``str``, or a clear error."""
    if not isinstance(value, str):
        raise TypeError(
            named(f"{param} must be a str (a UNICODE_STRING), not {type(value).__name__}")
        )
    return value


def pool_tag(param: str, value) -> int:
    """A pool tag: the C multi-character literal as a str ('gaT1'), or its ULONG value.

    As in C, ``'Tst1'`` is the number 0x54737431, stored little-endian, so a dump shows
    "1tsT": write tags reversed in source to read them forwards in the debugger.
    """
    if isinstance(value, str):
        tag = _TAGS.get(value)
        if tag is not None:
            return tag
        if not 1 <= len(value) <= 4 or not all(0x20 <= ord(c) <= 0x7E for c in value):
            raise ValueError(
                named(f"{param} must be 1 to 4 printable ASCII characters, got {value!r}")
            )
        tag = _TAGS[value] = int.from_bytes(value.encode("ascii"), "big")
        return tag
    return ulong(param, value)


def pointer(param: str, value, machine) -> PVOID | None:
    """A PVOID argument: ``None`` (NULL) or an address from this machine."""
    if value is None:
        return None
    if not isinstance(value, PVOID):
        raise TypeError(
            named(
                f"{param} must be a PVOID (e.g. from ExAllocatePoolWithTag), "
                f"not {type(value).__name__}"
            )
        )
    if value._machine is not machine:
        raise foreign(param, "an address", value._machine, machine)
    return value


def irql_value(param: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2:
        raise ValueError(
            named(
                f"{param} must be PASSIVE_LEVEL, APC_LEVEL or DISPATCH_LEVEL "
                "(wdfkit models IRQL 0 to 2)"
            )
        )
    return value


def callback(param: str, value):
    """A callback argument (checked when it is registered, not when it is first called)."""
    if not callable(value):
        raise TypeError(named(f"{param} must be a function, not {type(value).__name__}"))
    return value
